package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors callers branch on.
var (
	// ErrNotFound: no such row in this organization (or at all).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the row was changed by someone else since it was read (optimistic
	// concurrency), or a uniqueness rule was broken; DuplicateError says which.
	ErrConflict = errors.New("store: conflict")
	// ErrSchemaOutOfDate: the database's schema is not the one this build expects.
	ErrSchemaOutOfDate = errors.New("store: schema out of date")
)

// DuplicateError reports a value that must be unique and already exists.
type DuplicateError struct {
	What  string // "user", "organization", "account", "token"
	Value string // the value that exists already, e.g. an email address
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s %q already exists", e.What, e.Value)
}

// Is makes errors.Is(err, ErrConflict) true for duplicates.
func (e *DuplicateError) Is(target error) bool { return target == ErrConflict }

// Dialect names the database behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options configure Open.
type Options struct {
	// Migrate applies missing migrations at open. When false, Open fails with
	// ErrSchemaOutOfDate unless the schema is current (`mailbridge migrate` first).
	Migrate bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store is mailbridge's state over SQLite or PostgreSQL. It is safe for concurrent use.
type Store struct {
	dialect Dialect
	db      *sql.DB // writes (and, on PostgreSQL, reads)
	rdb     *sql.DB // reads: on SQLite a separate read-only pool beside the one writer
	now     func() time.Time
	// stmts caches prepared statements of the sync engine's hot writes (query -> *sql.Stmt
	// on db): parsing a 64-row INSERT for every page costs more than running it.
	stmts sync.Map
}

// ParseDSN tells which database a data source names: "postgres://…" or
// "postgresql://…" is PostgreSQL; "sqlite:PATH", "sqlite://PATH" or a bare path is SQLite.
func ParseDSN(dsn string) (Dialect, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return "", "", fmt.Errorf("store: invalid PostgreSQL URL: %w", redactURLError(err))
		}
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		dsn = strings.TrimPrefix(dsn, "sqlite://")
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("store: unsupported database %q: use postgres://… or sqlite:PATH", strings.SplitN(dsn, "://", 2)[0])
	}
	if dsn == "" {
		return "", "", errors.New("store: empty database path")
	}
	return SQLite, dsn, nil
}

// redactURLError drops the URL (and so any password in it) from a url.Parse error.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Open opens the database dsn names (see ParseDSN), checks its schema (or migrates it
// when opts.Migrate) and returns a Store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	dialect, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{dialect: dialect, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	switch dialect {
	case SQLite:
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		// One writer connection (SQLite has one writer at a time; transactions take the
		// write lock when they begin, so they queue here instead of failing with
		// SQLITE_BUSY), and a pool of read-only connections beside it (WAL lets readers
		// run during a write).
		// A 64 MB page cache per connection keeps the indexes a sync writes in memory.
		common := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_time_format=sqlite"
		if s.db, err = sql.Open("sqlite", "file:"+target+"?"+common+"&_txlock=immediate"); err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		s.db.SetMaxOpenConns(1)
		if s.rdb, err = sql.Open("sqlite", "file:"+target+"?"+common+"&_pragma=query_only(1)"); err != nil {
			s.db.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		s.rdb.SetMaxOpenConns(8)
	case Postgres:
		if s.db, err = sql.Open("pgx", target); err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		s.db.SetMaxOpenConns(16)
		s.db.SetMaxIdleConns(16)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
		s.rdb = s.db
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", dialect, err)
	}
	if opts.Migrate {
		if _, err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.CheckSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepareHot(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	err := s.db.Close()
	if s.rdb != s.db {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Dialect tells which database is behind the store.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks that the database answers (for readiness probes).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// timestamp is the store's clock, in UTC at the precision both databases keep.
func (s *Store) timestamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// q rewrites a query written with ? placeholders for the store's dialect.
func (s *Store) q(query string) string {
	if s.dialect != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx runs fn in a write transaction and commits it when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// hotStatements are prepared when the store opens (on SQLite's single writer connection
// a statement cannot be prepared while a transaction holds it).
var hotStatements = []string{insertItemsChunk, insertChangesChunk}

// prepareHot prepares hotStatements on the write pool.
func (s *Store) prepareHot(ctx context.Context) error {
	for _, q := range hotStatements {
		st, err := s.db.PrepareContext(ctx, s.q(q))
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		s.stmts.Store(q, st)
	}
	return nil
}

// execIn runs query inside tx, through its prepared statement when it is a hot one.
func (s *Store) execIn(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st, ok := s.stmts.Load(query); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, s.q(query), args...)
}

// isUnique tells whether err is a uniqueness violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isForeignKey tells whether err is a foreign-key violation (a row that refers to
// something that does not exist, e.g. a user added to a deleted organization).
func isForeignKey(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}

// nullTime converts a nullable column to a *time.Time in UTC.
func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// nullID maps 0 to NULL for optional references.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// wrap prefixes an error with the operation unless it is one of the package's own.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *DuplicateError
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.As(err, &de) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// DB returns the store's write pool, for the job runner (River keeps its tables in the
// same database, and on SQLite must share the one writer connection).
func (s *Store) DB() *sql.DB { return s.db }
