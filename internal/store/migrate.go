package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one step of the schema: version N is the file NNNN_name.sql of the dialect.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the dialect's migrations in order. Versions are consecutive from 1,
// and both dialects have the same versions (a test checks it).
func migrations(d Dialect) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok {
			continue
		}
		num, name, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with its version", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations of %s: version %d where %d was expected", d, m.version, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this build expects.
func (s *Store) LatestVersion() int {
	ms, _ := migrations(s.dialect)
	return len(ms)
}

// SchemaVersion returns the database's schema version (0 for an empty database).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, s.db, s)
}

func schemaVersion(ctx context.Context, q queryer, s *Store) (int, error) {
	if _, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// CheckSchema returns ErrSchemaOutOfDate (wrapped, with both versions) unless the
// database's schema is the one this build expects.
func (s *Store) CheckSchema(ctx context.Context) error {
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	want := s.LatestVersion()
	switch {
	case have < want:
		return fmt.Errorf("%w: the database is at version %d, this build needs %d: run `mailbridge migrate`", ErrSchemaOutOfDate, have, want)
	case have > want:
		return fmt.Errorf("%w: the database is at version %d, newer than this build (%d): run a newer mailbridge", ErrSchemaOutOfDate, have, want)
	}
	return nil
}

// Migrate applies the missing migrations, each in its own transaction, and returns how
// many it applied. Concurrent callers are safe: on PostgreSQL an advisory lock serializes
// them, on SQLite the single writer does.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := migrations(s.dialect)
	if err != nil {
		return 0, err
	}
	applied := 0
	for {
		done, err := s.migrateOne(ctx, ms)
		if err != nil {
			return applied, err
		}
		if done {
			return applied, nil
		}
		applied++
	}
}

// migrateOne applies the next missing migration, or reports that none is missing.
func (s *Store) migrateOne(ctx context.Context, ms []migration) (done bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if s.dialect == Postgres {
			// Held to the end of the transaction.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7366840218)`); err != nil {
				return fmt.Errorf("store: migrate: lock: %w", err)
			}
		}
		have, err := schemaVersion(ctx, tx, s)
		if err != nil {
			return err
		}
		if have > len(ms) {
			return fmt.Errorf("%w: the database is at version %d, newer than this build (%d)", ErrSchemaOutOfDate, have, len(ms))
		}
		if have == len(ms) {
			done = true
			return nil
		}
		m := ms[have]
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, s.timestamp()); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
		return nil
	})
	return done, err
}
