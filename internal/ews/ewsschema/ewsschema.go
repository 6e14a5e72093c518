// Package ewsschema validates EWS documents against Microsoft's published schemas with
// xmllint, for tests. The schemas are kept in the repository, in third_party/ews-schema
// (a copy of the project's shared ../shared/ews-schema, which a test keeps in step when it
// is present); MAILBRIDGE_EWS_SCHEMA points elsewhere. `make test` installs xmllint
// (libxml2-utils).
package ewsschema

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Set names a schema set: Primary (the newest, V2018_01_08) or Exchange2016
// (V2017_07_11, taken from a real Exchange 2016 server).
type Set string

// The schema sets in third_party/ews-schema.
const (
	Primary      Set = ""
	Exchange2016 Set = "exchange2016-V2017_07_11"
)

// Dir returns the schema directory, failing the test if it cannot be found.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("MAILBRIDGE_EWS_SCHEMA"); d != "" {
		return d
	}
	root := ModuleRoot(t)
	s := filepath.Join(root, "third_party", "ews-schema")
	if _, err := os.Stat(filepath.Join(s, "envelope.xsd")); err != nil {
		t.Fatalf("EWS schemas not found at %s (set MAILBRIDGE_EWS_SCHEMA to use others)", s)
	}
	return s
}

// SharedDir returns the project's shared schema directory beside the repository
// (../shared/ews-schema), or "" when it is not checked out there.
func SharedDir(t testing.TB) string {
	t.Helper()
	s := filepath.Join(filepath.Dir(ModuleRoot(t)), "shared", "ews-schema")
	if _, err := os.Stat(filepath.Join(s, "envelope.xsd")); err != nil {
		return ""
	}
	return s
}

// ModuleRoot returns the directory holding go.mod above the working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatal("go.mod not found above the working directory")
		}
	}
}

// ValidateFiles validates complete SOAP envelopes (requests or responses) against the
// envelope schema of set, in one xmllint run, and fails the test with xmllint's report for
// any invalid file.
func ValidateFiles(t testing.TB, set Set, paths ...string) {
	t.Helper()
	if len(paths) == 0 {
		return
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint not found: run `make test`, which installs libxml2-utils")
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		if abs[i], err = filepath.Abs(p); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(Dir(t), string(set))
	args := append([]string{"--noout", "--nonet", "--schema", "envelope.xsd"}, abs...)
	cmd := exec.Command(xmllint, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			var bad []string
			for _, line := range strings.Split(out.String(), "\n") {
				if line != "" && !strings.HasSuffix(line, " validates") {
					bad = append(bad, line)
				}
			}
			t.Fatalf("schema %q: invalid documents:\n%s", setName(set), strings.Join(bad, "\n"))
		}
		t.Fatalf("xmllint: %v", err)
	}
}

// Validate validates one document held in memory; name labels it in failures.
func Validate(t testing.TB, set Set, name string, doc []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), filepath.Base(name)+".xml")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ValidateFiles(t, set, p)
}

func setName(s Set) string {
	if s == Primary {
		return "primary (V2018_01_08)"
	}
	return string(s)
}
