package pgtest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// fakeTB records what URL does instead of ending the test.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

type stopped struct{}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	panic(stopped{})
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic(stopped{})
}

func callURL(f *fakeTB) (u string) {
	defer func() {
		if r := recover(); r != nil && r != (stopped{}) {
			panic(r)
		}
	}()
	return URL(f)
}

func TestURL(t *testing.T) {
	for _, tc := range []struct {
		url, require      string
		want, skip, fatal string
	}{
		{url: "postgres://x/y", want: "postgres://x/y"},
		{url: "postgres://x/y", require: "1", want: "postgres://x/y"},
		{skip: "`make test` starts PostgreSQL"},
		{require: "0", skip: "`make test` starts PostgreSQL"},
		{require: "1", fatal: "MAILBRIDGE_REQUIRE_POSTGRES=1"},
	} {
		t.Run(fmt.Sprintf("url=%q,require=%q", tc.url, tc.require), func(t *testing.T) {
			t.Setenv(EnvURL, tc.url)
			t.Setenv(EnvRequire, tc.require)
			f := &fakeTB{}
			got := callURL(f)
			if got != tc.want {
				t.Errorf("URL = %q, want %q", got, tc.want)
			}
			if (f.skipped == "") != (tc.skip == "") || !strings.Contains(f.skipped, tc.skip) {
				t.Errorf("skip message %q, want one containing %q", f.skipped, tc.skip)
			}
			if (f.fatal == "") != (tc.fatal == "") || !strings.Contains(f.fatal, tc.fatal) {
				t.Errorf("fatal message %q, want one containing %q", f.fatal, tc.fatal)
			}
		})
	}
}

func TestDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	seen := map[string]bool{}
	for _, testName := range []string{"", "TestX", "TestX/sub_test#01", strings.Repeat("TestVeryLong/Ünïcode", 20)} {
		for range 100 {
			name := databaseName(testName)
			if len(name) > 63 || !valid.MatchString(name) {
				t.Fatalf("databaseName(%q) = %q: not a plain identifier of at most 63 bytes", testName, name)
			}
			if seen[name] {
				t.Fatalf("databaseName(%q) returned %q twice", testName, name)
			}
			seen[name] = true
		}
	}
}

func TestWithDatabase(t *testing.T) {
	for base, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable":            "postgres://postgres@127.0.0.1:5432/db1?sslmode=disable",
		"postgresql://u:p%40ss@h:1?sslmode=disable":                              "postgresql://u:p%40ss@h:1/db1?sslmode=disable",
		"postgres://h/postgres?dbname=other&sslmode=disable":                     "postgres://h/db1?sslmode=disable",
		"host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable": "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable dbname=db1",
	} {
		got, err := withDatabase(base, "db1")
		if err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", base, got, err, want)
		}
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// existing returns which of names are databases on the server at base.
func existing(t *testing.T, base string, names []string) []string {
	t.Helper()
	var got []string
	rows, err := connect(t, base).Query(context.Background(),
		"SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname", names)
	if err != nil {
		t.Fatal(err)
	}
	got, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestNewDatabase(t *testing.T) {
	base := URL(t)
	var (
		mu    sync.Mutex
		names []string
	)
	// The parallel subtests create their databases concurrently. Each gets two and
	// creates a table in one only; every subtest uses the same table name, which would
	// clash if any database were shared.
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				// Registered before NewDatabase, so it closes this connection after the
				// database was dropped: the drop must not wait for it (WITH (FORCE)).
				var leftOpen *pgx.Conn
				t.Cleanup(func() {
					if leftOpen != nil {
						leftOpen.Close(ctx)
					}
				})
				urlA, urlB := NewDatabase(t), NewDatabase(t)
				if urlA == urlB {
					t.Fatalf("NewDatabase returned %s twice", urlA)
				}
				a, b := connect(t, urlA), connect(t, urlB)
				var nameA, nameB string
				if err := a.QueryRow(ctx, "SELECT current_database()").Scan(&nameA); err != nil {
					t.Fatal(err)
				}
				if err := b.QueryRow(ctx, "SELECT current_database()").Scan(&nameB); err != nil {
					t.Fatal(err)
				}
				if !strings.HasSuffix(urlA, "/"+nameA+"?sslmode=disable") && !strings.Contains(urlA, "dbname="+nameA) {
					t.Errorf("connected to database %s with URL %s", nameA, urlA)
				}
				mu.Lock()
				names = append(names, nameA, nameB)
				mu.Unlock()

				if _, err := a.Exec(ctx, "CREATE TABLE items (id int PRIMARY KEY)"); err != nil {
					t.Fatalf("creating a table in %s: %v", nameA, err)
				}
				if _, err := a.Exec(ctx, "INSERT INTO items VALUES ($1)", i); err != nil {
					t.Fatal(err)
				}
				var inA, inB *string
				if err := a.QueryRow(ctx, "SELECT to_regclass('items')::text").Scan(&inA); err != nil {
					t.Fatal(err)
				}
				if err := b.QueryRow(ctx, "SELECT to_regclass('items')::text").Scan(&inB); err != nil {
					t.Fatal(err)
				}
				if inA == nil || inB != nil {
					t.Errorf("table items: in %s: %v, in %s: %v; want only in the first", nameA, inA != nil, nameB, inB != nil)
				}
				var ids []int32
				rows, _ := a.Query(ctx, "SELECT id FROM items")
				ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
				if err != nil || len(ids) != 1 || ids[0] != int32(i) {
					t.Errorf("items in %s = %v, %v; want [%d]", nameA, ids, err, i)
				}
				if got := existing(t, base, []string{nameA, nameB}); len(got) != 2 {
					t.Errorf("pg_database lists %v, want %s and %s", got, nameA, nameB)
				}
				var err2 error
				if leftOpen, err2 = pgx.Connect(ctx, urlA); err2 != nil {
					t.Fatal(err2)
				}
			})
		}
	})
	// t.Run returned: the parallel subtests and their cleanups have run.
	if len(names) != 8 && !t.Failed() {
		t.Fatalf("subtests recorded %d databases, want 8", len(names))
	}
	if got := existing(t, base, names); len(got) != 0 {
		t.Errorf("databases left after the subtests' cleanup: %v", got)
	}
}
