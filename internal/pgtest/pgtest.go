// Package pgtest gives tests a PostgreSQL database of their own.
//
// The server comes from the environment: MAILBRIDGE_TEST_POSTGRES_URL names it (a
// superuser's URL, such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable).
// `make test` and `make test-go` start a throwaway server with scripts/test-postgres.sh
// and set it, along with MAILBRIDGE_REQUIRE_POSTGRES=1. When the URL is not set, tests
// that need PostgreSQL are skipped, or fail when MAILBRIDGE_REQUIRE_POSTGRES=1, so that
// a CI run cannot pass by silently skipping them.
//
// A test calls NewDatabase for a fresh, empty database that is dropped when the test
// ends, so tests and packages running in parallel do not see each other's tables:
//
//	conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
//
// (database/sql with github.com/jackc/pgx/v5/stdlib works the same way once go.sum
// lists github.com/jackc/puddle/v2, which stdlib needs through pgxpool.)
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// EnvURL names the environment variable with the server's URL.
	EnvURL = "MAILBRIDGE_TEST_POSTGRES_URL"
	// EnvRequire names the environment variable that, set to 1, makes a missing
	// server a test failure instead of a skip.
	EnvRequire = "MAILBRIDGE_REQUIRE_POSTGRES"
)

// timeout bounds each statement NewDatabase and its cleanup send to the server.
const timeout = 60 * time.Second

// URL returns the URL of the test server, from MAILBRIDGE_TEST_POSTGRES_URL. When that
// is not set it skips the test, or fails it when MAILBRIDGE_REQUIRE_POSTGRES=1.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u != "" {
		return u
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s is not set but %s=1: this test needs PostgreSQL (`make test-go` starts one with scripts/test-postgres.sh)", EnvURL, EnvRequire)
	}
	t.Skipf("PostgreSQL test skipped: %s is not set (`make test` starts PostgreSQL and sets it; or run scripts/test-postgres.sh start)", EnvURL)
	return ""
}

// NewDatabase creates an empty database with a unique name on the test server (see
// URL, which decides between skipping and failing when there is none) and returns its
// URL. The database is dropped when the test and its subtests have finished, after
// the cleanup functions the test registers later (which run first), closing any
// connections still open to it.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := URL(t)
	name := databaseName(t.Name())
	dbURL, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := exec(ctx, base, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := exec(ctx, base, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return dbURL
}

// exec runs one statement on its own connection to the server at url. CREATE
// DATABASE fails with object_in_use while another session is connected to the
// template database; that is retried for a while.
func exec(ctx context.Context, url, sql string) error {
	for {
		err := exec1(ctx, url, sql)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func exec1(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// databaseName returns a new database name: a prefix of the test's name, for whoever
// looks at the server, and 64 random bits. It is at most 63 bytes, PostgreSQL's limit.
func databaseName(testName string) string {
	var b strings.Builder
	b.WriteString("pgtest_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var random [8]byte
	rand.Read(random[:])
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(random[:]))
	return b.String()
}

// withDatabase returns the connection string base with its database replaced by name.
// base is a URL (postgres://...) or a keyword/value string (host=... dbname=...).
func withDatabase(base, name string) (string, error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		// In a keyword/value string the last dbname wins.
		return base + " dbname=" + name, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	u.RawPath = ""
	if q := u.Query(); q.Has("dbname") { // would override the path
		q.Del("dbname")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
