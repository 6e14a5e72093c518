package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// HistoryKeep is how many status changes a mailbox's history keeps: older ones are
// pruned in the transaction that records a new one.
const HistoryKeep = 50

// StatusChange is one entry of a mailbox's status history: its state and status from
// At on.
type StatusChange struct {
	ID      int64
	At      time.Time
	State   string // "active", "paused", "stopped"
	Status  string // "pending", "syncing", "ok", "error"
	Code    string
	Message string
}

// recordStatus appends the current state and status of the mailboxes to their
// histories, inside tx, except where the latest entry says the same already, and prunes
// each history to its last HistoryKeep entries.
func (s *Store) recordStatus(ctx context.Context, tx *sql.Tx, now time.Time, userIDs []int64) error {
	for start := 0; start < len(userIDs); start += 500 {
		chunk := userIDs[start:min(start+500, len(userIDs))]
		in := "(?" + strings.Repeat(", ?", len(chunk)-1) + ")"
		args := make([]any, 0, len(chunk)+1)
		args = append(args, now)
		for _, id := range chunk {
			args = append(args, id)
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO mailbox_status_history (org_id, user_id, at, state, status, status_code, status_message)
			SELECT m.org_id, m.user_id, ?, m.state, m.status, m.status_code, m.status_message FROM mailboxes m
			WHERE m.user_id IN `+in+` AND NOT EXISTS (SELECT 1 FROM mailbox_status_history h
				WHERE h.id = (SELECT MAX(l.id) FROM mailbox_status_history l WHERE l.user_id = m.user_id)
				AND h.state = m.state AND h.status = m.status AND h.status_code = m.status_code AND h.status_message = m.status_message)
			ORDER BY m.user_id`), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM mailbox_status_history WHERE user_id IN `+in+`
			AND id <= (SELECT k.id FROM mailbox_status_history k WHERE k.user_id = mailbox_status_history.user_id
				ORDER BY k.id DESC LIMIT 1 OFFSET `+strconv.Itoa(HistoryKeep)+`)`), args[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// MailboxHistory returns a mailbox's status changes, newest first (at most HistoryKeep).
// A mailbox of another organization has none.
func (s *Store) MailboxHistory(ctx context.Context, orgID, userID int64) ([]StatusChange, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT id, at, state, status, status_code, status_message FROM mailbox_status_history
		WHERE org_id = ? AND user_id = ? ORDER BY id DESC`), orgID, userID)
	if err != nil {
		return nil, wrap("mailbox history", err)
	}
	defer rows.Close()
	var out []StatusChange
	for rows.Next() {
		var c StatusChange
		if err := rows.Scan(&c.ID, &c.At, &c.State, &c.Status, &c.Code, &c.Message); err != nil {
			return nil, wrap("mailbox history", err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, wrap("mailbox history", rows.Err())
}

// CountItemsByKind counts a mailbox's stored items by kind ("message", "event",
// "contact"); kinds it has none of are left out.
func (s *Store) CountItemsByKind(ctx context.Context, orgID, userID int64) (map[string]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT kind, COUNT(*) FROM items WHERE org_id = ? AND user_id = ? GROUP BY kind`), orgID, userID)
	if err != nil {
		return nil, wrap("count items", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var kind string
		var n int64
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, wrap("count items", err)
		}
		out[kind] = n
	}
	return out, wrap("count items", rows.Err())
}
