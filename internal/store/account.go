package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Role is what an account may do.
type Role string

// The roles.
const (
	// RoleOperator runs the installation: creates organizations and their admins and
	// sees everything.
	RoleOperator Role = "operator"
	// RoleOrgAdmin configures and watches one organization, and sees only it.
	RoleOrgAdmin Role = "org_admin"
)

// Account is someone who logs in to the admin panel.
type Account struct {
	ID           int64
	OrgID        int64 // the organization of an admin; 0 for an operator
	Role         Role
	Email        string // lower case; the login name
	Name         string
	PasswordHash string // argon2id, PHC form (internal/secrets)
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CreateAccount adds an account. Email addresses are unique across the installation
// (one login name, one account), compared in lower case.
func (s *Store) CreateAccount(ctx context.Context, a Actor, acc Account) (Account, error) {
	acc.Email = strings.ToLower(strings.TrimSpace(acc.Email))
	now := s.timestamp()
	acc.CreatedAt, acc.UpdatedAt = now, now
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO accounts (org_id, role, email, name, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			nullID(acc.OrgID), string(acc.Role), acc.Email, acc.Name, acc.PasswordHash, now, now).Scan(&acc.ID)
		switch {
		case isUnique(err):
			return &DuplicateError{What: "account", Value: acc.Email}
		case isForeignKey(err):
			return ErrNotFound
		case err != nil:
			return err
		}
		return s.audit(ctx, tx, acc.OrgID, a, "account.create", acc.Email, map[string]string{"role": string(acc.Role)})
	})
	return acc, wrap("create account", err)
}

const accountColumns = `id, org_id, role, email, name, password_hash, created_at, updated_at`

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var acc Account
	var org sql.NullInt64
	var role string
	err := sc.Scan(&acc.ID, &org, &role, &acc.Email, &acc.Name, &acc.PasswordHash, &acc.CreatedAt, &acc.UpdatedAt)
	acc.OrgID, acc.Role = org.Int64, Role(role)
	acc.CreatedAt, acc.UpdatedAt = acc.CreatedAt.UTC(), acc.UpdatedAt.UTC()
	return acc, err
}

// GetAccountByEmail finds an account by its login name (case-insensitive).
func (s *Store) GetAccountByEmail(ctx context.Context, email string) (Account, error) {
	acc, err := scanAccount(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+accountColumns+` FROM accounts WHERE email = ?`),
		strings.ToLower(strings.TrimSpace(email))))
	return acc, wrap("get account", err)
}

// GetAccount returns an account by id.
func (s *Store) GetAccount(ctx context.Context, id int64) (Account, error) {
	acc, err := scanAccount(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id))
	return acc, wrap("get account", err)
}

// ListAccounts returns an organization's admins, or the operators when orgID is 0.
func (s *Store) ListAccounts(ctx context.Context, orgID int64) ([]Account, error) {
	query, args := `SELECT `+accountColumns+` FROM accounts WHERE org_id = ? ORDER BY email`, []any{orgID}
	if orgID == 0 {
		query, args = `SELECT `+accountColumns+` FROM accounts WHERE org_id IS NULL ORDER BY email`, nil
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, wrap("list accounts", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		acc, err := scanAccount(rows)
		if err != nil {
			return nil, wrap("list accounts", err)
		}
		out = append(out, acc)
	}
	return out, wrap("list accounts", rows.Err())
}

// SetAccountPassword replaces an account's password hash and ends its sessions.
func (s *Store) SetAccountPassword(ctx context.Context, a Actor, id int64, hash string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var org sql.NullInt64
		var email string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT org_id, email FROM accounts WHERE id = ?`), id).Scan(&org, &email); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?`), hash, s.timestamp(), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE account_id = ?`), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, org.Int64, a, "account.password", email, nil)
	})
	return wrap("set account password", err)
}

// DeleteAccount removes an organization's admin (orgID must match) or, with orgID 0, an
// operator; their sessions end.
func (s *Store) DeleteAccount(ctx context.Context, a Actor, orgID, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var email string
		where := `id = ? AND org_id = ?`
		args := []any{id, orgID}
		if orgID == 0 {
			where, args = `id = ? AND org_id IS NULL`, []any{id}
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT email FROM accounts WHERE `+where), args...).Scan(&email); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM accounts WHERE id = ?`), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, a, "account.delete", email, nil)
	})
	return wrap("delete account", err)
}
