package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"time"
)

// GraphSubscription is a Microsoft Graph change-notification subscription of one
// mailbox's resource (its Inbox messages, events or contacts). The clientState secret is
// kept as a hash: CheckGraphClientState compares a notification's against it.
type GraphSubscription struct {
	ID        string // Graph's subscription id
	OrgID     int64
	UserID    int64
	Resource  string // e.g. "users/alice@contoso.com/events"
	ExpiresAt time.Time
	CreatedAt time.Time
	stateHash string
}

// hashClientState is the stored form of a clientState.
func hashClientState(state string) string {
	h := sha256.Sum256([]byte(state))
	return hex.EncodeToString(h[:])
}

// CheckGraphClientState reports, in constant time, whether state is the subscription's
// clientState.
func (g GraphSubscription) CheckGraphClientState(state string) bool {
	return g.stateHash != "" && subtle.ConstantTimeCompare([]byte(hashClientState(state)), []byte(g.stateHash)) == 1
}

// PutGraphSubscription records a new subscription of a mailbox's resource with its
// clientState (hashed), replacing the one the mailbox had for that resource. ErrNotFound
// when the user no longer exists in the organization.
func (s *Store) PutGraphSubscription(ctx context.Context, g GraphSubscription, clientState string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users WHERE org_id = ? AND id = ?`), g.OrgID, g.UserID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM graph_subscriptions WHERE user_id = ? AND resource = ?`), g.UserID, g.Resource); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO graph_subscriptions (id, org_id, user_id, resource, state_hash, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), g.ID, g.OrgID, g.UserID, g.Resource, hashClientState(clientState), g.ExpiresAt.UTC(), s.timestamp())
		return err
	})
	return wrap("put graph subscription", err)
}

const graphSubColumns = `id, org_id, user_id, resource, state_hash, expires_at, created_at`

func scanGraphSub(sc interface{ Scan(...any) error }) (GraphSubscription, error) {
	var g GraphSubscription
	err := sc.Scan(&g.ID, &g.OrgID, &g.UserID, &g.Resource, &g.stateHash, &g.ExpiresAt, &g.CreatedAt)
	g.ExpiresAt, g.CreatedAt = g.ExpiresAt.UTC(), g.CreatedAt.UTC()
	return g, err
}

// GetGraphSubscription returns the subscription with Graph's id, or ErrNotFound. It is not
// scoped to an organization: a notification names nothing but the subscription.
func (s *Store) GetGraphSubscription(ctx context.Context, id string) (GraphSubscription, error) {
	g, err := scanGraphSub(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+graphSubColumns+` FROM graph_subscriptions WHERE id = ?`), id))
	return g, wrap("get graph subscription", err)
}

// ListGraphSubscriptions returns an organization's subscriptions, soonest expiry first.
func (s *Store) ListGraphSubscriptions(ctx context.Context, orgID int64) ([]GraphSubscription, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+graphSubColumns+` FROM graph_subscriptions WHERE org_id = ? ORDER BY expires_at, id`), orgID)
	if err != nil {
		return nil, wrap("list graph subscriptions", err)
	}
	defer rows.Close()
	var out []GraphSubscription
	for rows.Next() {
		g, err := scanGraphSub(rows)
		if err != nil {
			return nil, wrap("list graph subscriptions", err)
		}
		out = append(out, g)
	}
	return out, wrap("list graph subscriptions", rows.Err())
}

// GraphSubscriptionOrgs returns the organizations that have subscriptions, by id.
func (s *Store) GraphSubscriptionOrgs(ctx context.Context) ([]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT org_id FROM graph_subscriptions ORDER BY org_id`)
	if err != nil {
		return nil, wrap("graph subscription organizations", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("graph subscription organizations", err)
		}
		out = append(out, id)
	}
	return out, wrap("graph subscription organizations", rows.Err())
}

// RenewGraphSubscription records a subscription's new expiry (ErrNotFound when it is
// gone).
func (s *Store) RenewGraphSubscription(ctx context.Context, orgID int64, id string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE graph_subscriptions SET expires_at = ? WHERE org_id = ? AND id = ?`), expires.UTC(), orgID, id)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("renew graph subscription", err)
}

// DeleteGraphSubscription forgets a subscription (no error when it is gone already).
func (s *Store) DeleteGraphSubscription(ctx context.Context, orgID int64, id string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM graph_subscriptions WHERE org_id = ? AND id = ?`), orgID, id)
	return wrap("delete graph subscription", err)
}

// mustAffect turns an update of no row into ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
