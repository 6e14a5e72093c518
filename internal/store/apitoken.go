package store

import (
	"context"
	"database/sql"
	"time"
)

// APIToken is a bearer token for the JSON API: an operator token (OrgID 0) for operator
// actions, or an organization's token for everything within it. Only its hash is stored;
// Prefix, its first characters, lets people tell tokens apart.
type APIToken struct {
	ID         int64
	OrgID      int64
	Name       string
	TokenHash  []byte
	Prefix     string
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// CreateAPIToken stores a new token.
func (s *Store) CreateAPIToken(ctx context.Context, a Actor, t APIToken) (APIToken, error) {
	t.CreatedAt, t.CreatedBy = s.timestamp(), a.Label
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO api_tokens (org_id, name, token_hash, prefix, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), nullID(t.OrgID), t.Name, t.TokenHash, t.Prefix, t.CreatedBy, t.CreatedAt).Scan(&t.ID)
		switch {
		case isForeignKey(err):
			return ErrNotFound
		case isUnique(err):
			return &DuplicateError{What: "token", Value: t.Prefix}
		case err != nil:
			return err
		}
		return s.audit(ctx, tx, t.OrgID, a, "api_token.create", t.Name, map[string]string{"prefix": t.Prefix})
	})
	return t, wrap("create API token", err)
}

const tokenColumns = `id, org_id, name, token_hash, prefix, created_by, created_at, last_used_at`

func scanToken(sc interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var org sql.NullInt64
	var used sql.NullTime
	err := sc.Scan(&t.ID, &org, &t.Name, &t.TokenHash, &t.Prefix, &t.CreatedBy, &t.CreatedAt, &used)
	t.OrgID, t.CreatedAt, t.LastUsedAt = org.Int64, t.CreatedAt.UTC(), nullTime(used)
	return t, err
}

// UseAPIToken finds the token with this hash and records that it was used.
func (s *Store) UseAPIToken(ctx context.Context, tokenHash []byte) (APIToken, error) {
	t, err := scanToken(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`), tokenHash))
	if err != nil {
		return APIToken{}, wrap("use API token", err)
	}
	now := s.timestamp()
	// At most one write a minute per token: a busy client must not turn reads into writes.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if _, err := s.db.ExecContext(ctx, s.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), now, t.ID); err != nil {
			return APIToken{}, wrap("use API token", err)
		}
		t.LastUsedAt = &now
	}
	return t, nil
}

// ListAPITokens returns an organization's tokens, or the operator tokens for orgID 0.
func (s *Store) ListAPITokens(ctx context.Context, orgID int64) ([]APIToken, error) {
	query, args := `SELECT `+tokenColumns+` FROM api_tokens WHERE org_id = ? ORDER BY id`, []any{orgID}
	if orgID == 0 {
		query, args = `SELECT `+tokenColumns+` FROM api_tokens WHERE org_id IS NULL ORDER BY id`, nil
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, wrap("list API tokens", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, wrap("list API tokens", err)
		}
		out = append(out, t)
	}
	return out, wrap("list API tokens", rows.Err())
}

// RevokeAPIToken deletes a token of the organization (orgID 0: an operator token).
func (s *Store) RevokeAPIToken(ctx context.Context, a Actor, orgID, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		where, args := `id = ? AND org_id = ?`, []any{id, orgID}
		if orgID == 0 {
			where, args = `id = ? AND org_id IS NULL`, []any{id}
		}
		var name string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT name FROM api_tokens WHERE `+where), args...).Scan(&name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM api_tokens WHERE id = ?`), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, a, "api_token.revoke", name, nil)
	})
	return wrap("revoke API token", err)
}
