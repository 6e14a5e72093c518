package ewsschema_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
)

// The repository's copy of the schemas equals the shared directory, file for file, when
// that directory is checked out beside the repository.
func TestCopyMatchesShared(t *testing.T) {
	shared := ewsschema.SharedDir(t)
	if shared == "" {
		t.Skip("../shared/ews-schema is not checked out beside the repository")
	}
	ours := filepath.Join(ewsschema.ModuleRoot(t), "third_party", "ews-schema")
	seen := map[string]bool{}
	err := filepath.WalkDir(shared, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(shared, p)
		seen[rel] = true
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(ours, rel))
		if err != nil {
			t.Errorf("%s: missing from third_party/ews-schema: copy it again from ../shared", rel)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: stale: copy it again from ../shared/ews-schema", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(ours, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ours, p)
		if !seen[rel] {
			t.Errorf("%s: in third_party/ews-schema but not in ../shared", rel)
		}
		return nil
	})
}

// Validate accepts a schema-valid envelope against both sets.
func TestValidate(t *testing.T) {
	ok, err := os.ReadFile(filepath.Join(ewsschema.Dir(t), "examples", "SyncFolderItems.request.xml"))
	if err != nil {
		t.Fatal(err)
	}
	ewsschema.Validate(t, ewsschema.Primary, "ok", ok)
	ewsschema.Validate(t, ewsschema.Exchange2016, "ok2016", ok)
}
