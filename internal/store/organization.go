package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"
)

// Organization is a customer of the installation: its users, email configuration and
// everything synced for them belong to it.
type Organization struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Users     int // number of users (filled by ListOrganizations and GetOrganization)
}

// CreateOrganization creates an organization. Names are unique, ignoring case.
func (s *Store) CreateOrganization(ctx context.Context, a Actor, name string) (Organization, error) {
	now := s.timestamp()
	o := Organization{Name: name, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO organizations (name, created_at, updated_at) VALUES (?, ?, ?) RETURNING id`),
			name, now, now).Scan(&o.ID)
		if isUnique(err) {
			return &DuplicateError{What: "organization", Value: name}
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, 0, a, "organization.create", name, map[string]string{"id": strconv.FormatInt(o.ID, 10)})
	})
	return o, wrap("create organization", err)
}

const orgColumns = `o.id, o.name, o.created_at, o.updated_at, (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id)`

func scanOrg(sc interface{ Scan(...any) error }) (Organization, error) {
	var o Organization
	err := sc.Scan(&o.ID, &o.Name, &o.CreatedAt, &o.UpdatedAt, &o.Users)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}

// GetOrganization returns one organization.
func (s *Store) GetOrganization(ctx context.Context, id int64) (Organization, error) {
	o, err := scanOrg(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+orgColumns+` FROM organizations o WHERE o.id = ?`), id))
	return o, wrap("get organization", err)
}

// ListOrganizations returns every organization, by name.
func (s *Store) ListOrganizations(ctx context.Context) ([]Organization, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations o ORDER BY lower(o.name), o.id`)
	if err != nil {
		return nil, wrap("list organizations", err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, wrap("list organizations", err)
		}
		out = append(out, o)
	}
	return out, wrap("list organizations", rows.Err())
}

// DeleteOrganization deletes an organization and everything it owns (its admins, users,
// configuration, check runs, tokens and audit entries; its mailboxes with their items,
// change feed and history; its group sources and named leases); an installation-wide
// audit entry records the deletion. A sync job in flight cannot write again: its
// mailbox's lease is gone with the mailbox (ErrLeaseLost).
func (s *Store) DeleteOrganization(ctx context.Context, a Actor, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT name FROM organizations WHERE id = ?`), id).Scan(&name); err != nil {
			return err
		}
		// Sessions of the organization's admins go with their accounts (cascade).
		// Named leases have no foreign key: they are deleted by name (lifecycle.go).
		if err := s.deleteOrgLeases(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM organizations WHERE id = ?`), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, 0, a, "organization.delete", name, map[string]string{"id": strconv.FormatInt(id, 10)})
	})
	return wrap("delete organization", err)
}
