package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// Actor is who makes a change, as the audit log records it.
type Actor struct {
	// Label names the actor for people: an admin's email address, "token:NAME" for an
	// API token, "system" for the service itself.
	Label string
}

// System is the actor of changes the service makes on its own.
var System = Actor{Label: "system"}

// AuditEntry is one line of the audit log: who changed what, when.
type AuditEntry struct {
	ID     int64
	OrgID  int64 // 0 for installation-wide entries (organizations created or deleted, operators)
	At     time.Time
	Actor  string
	Action string            // e.g. "user.add", "email_config.save"
	Target string            // what was changed, e.g. an email address
	Detail map[string]string // what changed, never a secret
}

// audit writes an audit entry inside tx.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, orgID int64, a Actor, action, target string, detail map[string]string) error {
	var d string
	if len(detail) > 0 {
		b, err := json.Marshal(detail)
		if err != nil {
			return wrap("audit", err)
		}
		d = string(b)
	}
	label := a.Label
	if label == "" {
		label = System.Label
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (org_id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`),
		nullID(orgID), s.timestamp(), label, action, target, d)
	return wrap("audit", err)
}

// ListAudit returns an organization's audit entries, newest first, at most limit of them
// with ids below before (0: from the newest). orgID 0 lists installation-wide entries.
func (s *Store) ListAudit(ctx context.Context, orgID int64, before int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if before <= 0 {
		before = 1 << 62
	}
	where := `org_id = ?`
	args := []any{orgID}
	if orgID == 0 {
		where, args = `org_id IS NULL`, nil
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT id, at, actor, action, target, detail FROM audit_log
		WHERE `+where+` AND id < ? ORDER BY id DESC LIMIT ?`), append(args, before, limit)...)
	if err != nil {
		return nil, wrap("list audit", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		e := AuditEntry{OrgID: orgID}
		var detail string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &detail); err != nil {
			return nil, wrap("list audit", err)
		}
		e.At = e.At.UTC()
		if detail != "" {
			if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
				return nil, wrap("list audit", err)
			}
		}
		out = append(out, e)
	}
	return out, wrap("list audit", rows.Err())
}
