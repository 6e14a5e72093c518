package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/store/storetest"
)

func openSQLite(t *testing.T, opts store.Options) *store.Store {
	t.Helper()
	opts.Migrate = true
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "mailbridge.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t *testing.T, opts store.Options) *store.Store {
	t.Helper()
	opts.Migrate = true
	s, err := store.Open(context.Background(), pgtest.NewDatabase(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, openSQLite)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	storetest.Run(t, openPostgres)
}

var dialects = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "m.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
}

// Open refuses an empty or older database unless asked to migrate; Migrate brings it
// to the latest version once, even when several processes run it at the same time.
func TestMigrations(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := d.dsn(t)
			_, err := store.Open(ctx, dsn, store.Options{})
			if !errors.Is(err, store.ErrSchemaOutOfDate) || !strings.Contains(err.Error(), "mailbridge migrate") {
				t.Fatalf("open of an empty database: %v", err)
			}
			var wg sync.WaitGroup
			applied := make([]int, 4)
			errs := make([]error, 4)
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s, err := store.Open(ctx, dsn, store.Options{Migrate: true})
					if err != nil {
						errs[i] = err
						return
					}
					defer s.Close()
					applied[i], errs[i] = s.Migrate(ctx) // a second run applies nothing
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("migrate %d: %v", i, err)
				}
				if applied[i] != 0 {
					t.Fatalf("second migrate of opener %d applied %d", i, applied[i])
				}
			}
			s, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			v, err := s.SchemaVersion(ctx)
			if err != nil || v != s.LatestVersion() || v < 1 {
				t.Fatalf("version %d (latest %d): %v", v, s.LatestVersion(), err)
			}
		})
	}
}

// A database migrated by a newer build is refused, not written to.
func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := store.Open(ctx, "sqlite:"+path, store.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', CURRENT_TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, migrate := range []bool{false, true} {
		_, err = store.Open(ctx, "sqlite:"+path, store.Options{Migrate: migrate})
		if !errors.Is(err, store.ErrSchemaOutOfDate) || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("migrate=%v: %v", migrate, err)
		}
	}
}

func TestParseDSN(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dsn     string
		dialect store.Dialect
		target  string
		err     string
	}{
		{dsn: "postgres://u:secret@db/x", dialect: store.Postgres, target: "postgres://u:secret@db/x"},
		{dsn: "postgresql://db/x", dialect: store.Postgres, target: "postgresql://db/x"},
		{dsn: "sqlite:/var/lib/mb.db", dialect: store.SQLite, target: "/var/lib/mb.db"},
		{dsn: "sqlite:///var/lib/mb.db", dialect: store.SQLite, target: "/var/lib/mb.db"},
		{dsn: "data/mb.db", dialect: store.SQLite, target: "data/mb.db"},
		{dsn: "mysql://db/x", err: `unsupported database "mysql"`},
		{dsn: "", err: "empty"},
		{dsn: "postgres://u:secret@db:badport/x", err: "invalid PostgreSQL URL"},
	}
	for _, c := range cases {
		d, target, err := store.ParseDSN(c.dsn)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("%q: error %v, want %q without the password", c.dsn, err, c.err)
			}
			continue
		}
		if err != nil || d != c.dialect || target != c.target {
			t.Errorf("%q: %s %q %v", c.dsn, d, target, err)
		}
	}
}
