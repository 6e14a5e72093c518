package store

import (
	"context"
	"database/sql"
	"time"
)

// Session is a logged-in browser. Only the hash of its token is stored.
type Session struct {
	TokenHash []byte
	AccountID int64
	CSRFToken string // sent back with every form of the session
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a new session and drops the account's expired ones.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	sess.CreatedAt = s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE account_id = ? AND expires_at < ?`), sess.AccountID, sess.CreatedAt); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
			sess.TokenHash, sess.AccountID, sess.CSRFToken, sess.CreatedAt, sess.ExpiresAt.UTC())
		if isForeignKey(err) {
			return ErrNotFound
		}
		return err
	})
	return wrap("create session", err)
}

// GetSession returns the unexpired session with this token hash and its account.
func (s *Store) GetSession(ctx context.Context, tokenHash []byte) (Session, Account, error) {
	var sess Session
	var acc Account
	var org sql.NullInt64
	var role string
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT s.token_hash, s.account_id, s.csrf_token, s.created_at, s.expires_at,
			a.id, a.org_id, a.role, a.email, a.name, a.password_hash, a.created_at, a.updated_at
		FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ? AND s.expires_at > ?`), tokenHash, s.timestamp()).
		Scan(&sess.TokenHash, &sess.AccountID, &sess.CSRFToken, &sess.CreatedAt, &sess.ExpiresAt,
			&acc.ID, &org, &role, &acc.Email, &acc.Name, &acc.PasswordHash, &acc.CreatedAt, &acc.UpdatedAt)
	if err != nil {
		return Session{}, Account{}, wrap("get session", err)
	}
	acc.OrgID, acc.Role = org.Int64, Role(role)
	sess.CreatedAt, sess.ExpiresAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC()
	acc.CreatedAt, acc.UpdatedAt = acc.CreatedAt.UTC(), acc.UpdatedAt.UTC()
	return sess, acc, nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_hash = ?`), tokenHash)
	return wrap("delete session", err)
}
