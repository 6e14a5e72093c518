package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Incident is something wrong with an organization's sync that its admins are told of
// once: when it opens, and again when it is resolved. An organization has at most one
// unresolved incident of each kind. An incident is detected first and opened later when
// its condition must last (sync errors); one resolved before it opened is forgotten.
type Incident struct {
	ID         int64
	OrgID      int64
	Kind       string // control's alert kinds: "auth_failed", "impersonation_lost", "sync_errors"
	DetectedAt time.Time
	OpenedAt   *time.Time // nil while only detected
	ResolvedAt *time.Time
	Summary    string
	Mailboxes  int // how many mailboxes it affects
	// EmailedAt and RecoveryEmailedAt record that the alert and the recovery notice
	// were sent (or skipped: no SMTP, no admin).
	EmailedAt         *time.Time
	RecoveryEmailedAt *time.Time
}

const incidentColumns = `id, org_id, kind, detected_at, opened_at, resolved_at, summary, mailboxes, emailed_at, recovery_emailed_at`

func scanIncident(sc interface{ Scan(...any) error }) (Incident, error) {
	var i Incident
	var opened, resolved, emailed, recovered sql.NullTime
	err := sc.Scan(&i.ID, &i.OrgID, &i.Kind, &i.DetectedAt, &opened, &resolved, &i.Summary, &i.Mailboxes, &emailed, &recovered)
	i.DetectedAt = i.DetectedAt.UTC()
	i.OpenedAt, i.ResolvedAt, i.EmailedAt, i.RecoveryEmailedAt = nullTime(opened), nullTime(resolved), nullTime(emailed), nullTime(recovered)
	return i, err
}

func (s *Store) listIncidents(ctx context.Context, op, where string, args ...any) ([]Incident, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents WHERE `+where), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, i)
	}
	return out, wrap(op, rows.Err())
}

// UnresolvedIncidents returns the organization's incidents detected or open.
func (s *Store) UnresolvedIncidents(ctx context.Context, orgID int64) ([]Incident, error) {
	return s.listIncidents(ctx, "unresolved incidents", `org_id = ? AND resolved_at IS NULL ORDER BY id`, orgID)
}

// ListIncidents returns the organization's incidents that were opened, newest first, at
// most limit.
func (s *Store) ListIncidents(ctx context.Context, orgID int64, limit int) ([]Incident, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	return s.listIncidents(ctx, "list incidents", `org_id = ? AND opened_at IS NOT NULL ORDER BY id DESC LIMIT ?`, orgID, limit)
}

// GetIncident returns an incident by id.
func (s *Store) GetIncident(ctx context.Context, id int64) (Incident, error) {
	i, err := scanIncident(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents WHERE id = ?`), id))
	return i, wrap("get incident", err)
}

// IncidentsToEmail returns the organization's incidents whose alert or recovery notice
// has not been sent: those opened and not emailed, and those resolved and not yet
// recovery-emailed.
func (s *Store) IncidentsToEmail(ctx context.Context, orgID int64) ([]Incident, error) {
	return s.listIncidents(ctx, "incidents to email", `org_id = ? AND opened_at IS NOT NULL
		AND (emailed_at IS NULL OR (resolved_at IS NOT NULL AND recovery_emailed_at IS NULL)) ORDER BY id`, orgID)
}

// DetectIncident records that an incident's condition holds, unless an unresolved
// incident of the kind exists already, and returns the unresolved incident: opened
// later by OpenIncident.
func (s *Store) DetectIncident(ctx context.Context, orgID int64, kind, summary string, mailboxes int) (Incident, error) {
	now := s.timestamp()
	i := Incident{OrgID: orgID, Kind: kind, DetectedAt: now, Summary: summary, Mailboxes: mailboxes}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanIncident(tx.QueryRowContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents WHERE org_id = ? AND kind = ? AND resolved_at IS NULL`), orgID, kind))
		if err == nil {
			i = cur
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO incidents (org_id, kind, detected_at, summary, mailboxes) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			orgID, kind, now, summary, mailboxes).Scan(&i.ID)
		switch {
		case isUnique(err):
			return ErrConflict // another node detected it meanwhile
		case isForeignKey(err):
			return ErrNotFound
		}
		return err
	})
	return i, wrap("detect incident", err)
}

// OpenIncident opens a detected incident, and queues the status event payload(i)
// returns for the organization's status subscriptions in the same transaction. It
// returns the incident and the subscriptions. An incident opened or resolved already is
// left as it is (and nothing is queued).
func (s *Store) OpenIncident(ctx context.Context, id int64, summary string, mailboxes int, payload func(Incident) ([]byte, error)) (Incident, []int64, error) {
	now := s.timestamp()
	var i Incident
	var hooks []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		i, err = scanIncident(tx.QueryRowContext(ctx, s.q(`UPDATE incidents SET opened_at = ?, summary = ?, mailboxes = ?
			WHERE id = ? AND opened_at IS NULL AND resolved_at IS NULL RETURNING `+incidentColumns), now, summary, mailboxes, id))
		if errors.Is(err, sql.ErrNoRows) {
			i, err = scanIncident(tx.QueryRowContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents WHERE id = ?`), id))
			return err
		}
		if err != nil {
			return err
		}
		body, err := payload(i)
		if err != nil {
			return err
		}
		hooks, err = s.enqueueStatus(ctx, tx, i.OrgID, [][]byte{body}, now)
		return err
	})
	return i, hooks, wrap("open incident", err)
}

// UpdateIncident records what an unresolved incident looks like now (no one is told).
func (s *Store) UpdateIncident(ctx context.Context, id int64, summary string, mailboxes int) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE incidents SET summary = ?, mailboxes = ? WHERE id = ? AND resolved_at IS NULL`), summary, mailboxes, id)
	return wrap("update incident", err)
}

// ResolveIncident resolves an incident: one that was opened gets resolved_at, and the
// status event payload(i) returns is queued in the same transaction; one only detected
// is forgotten. It returns the incident (zero when forgotten) and the subscriptions.
func (s *Store) ResolveIncident(ctx context.Context, id int64, payload func(Incident) ([]byte, error)) (Incident, []int64, error) {
	now := s.timestamp()
	var i Incident
	var hooks []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM incidents WHERE id = ? AND opened_at IS NULL`), id); err != nil {
			return err
		}
		var err error
		i, err = scanIncident(tx.QueryRowContext(ctx, s.q(`UPDATE incidents SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL RETURNING `+incidentColumns), now, id))
		if errors.Is(err, sql.ErrNoRows) {
			i = Incident{}
			return nil
		}
		if err != nil {
			return err
		}
		body, err := payload(i)
		if err != nil {
			return err
		}
		hooks, err = s.enqueueStatus(ctx, tx, i.OrgID, [][]byte{body}, now)
		return err
	})
	return i, hooks, wrap("resolve incident", err)
}

// ClaimIncidentEmail claims the sending of an incident's alert (or, with recovery, its
// recovery notice), so that it is sent once however many nodes try: it reports whether
// the caller is the one to send it. An incident resolved before its alert was sent
// needs neither (both are marked done and false is returned). A send that fails gives
// the claim back with UnclaimIncidentEmail.
func (s *Store) ClaimIncidentEmail(ctx context.Context, id int64, recovery bool) (bool, error) {
	now := s.timestamp()
	claimed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE incidents SET emailed_at = ?, recovery_emailed_at = ?
			WHERE id = ? AND emailed_at IS NULL AND resolved_at IS NOT NULL`), now, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		q := `UPDATE incidents SET emailed_at = ? WHERE id = ? AND emailed_at IS NULL AND opened_at IS NOT NULL`
		if recovery {
			q = `UPDATE incidents SET recovery_emailed_at = ? WHERE id = ? AND recovery_emailed_at IS NULL AND resolved_at IS NOT NULL AND emailed_at IS NOT NULL`
		}
		if res, err = tx.ExecContext(ctx, s.q(q), now, id); err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		claimed = n > 0
		return nil
	})
	return claimed, wrap("claim incident email", err)
}

// UnclaimIncidentEmail gives back a claim whose email could not be sent.
func (s *Store) UnclaimIncidentEmail(ctx context.Context, id int64, recovery bool) error {
	col := "emailed_at"
	if recovery {
		col = "recovery_emailed_at"
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE incidents SET `+col+` = NULL WHERE id = ?`), id)
	return wrap("unclaim incident email", err)
}

// MailboxStatusCount is how many of an organization's mailboxes are in one state,
// status and status code, split by whether they ever synced successfully.
type MailboxStatusCount struct {
	State, Status, Code string
	EverSynced          bool
	N                   int
}

// MailboxHealth returns the counts of an organization's mailboxes by state, status,
// code and past success, and the latest success of any of them.
func (s *Store) MailboxHealth(ctx context.Context, orgID int64) ([]MailboxStatusCount, *time.Time, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT state, status, status_code, CASE WHEN last_success_at IS NULL THEN 0 ELSE 1 END, COUNT(*)
		FROM mailboxes WHERE org_id = ? GROUP BY state, status, status_code, CASE WHEN last_success_at IS NULL THEN 0 ELSE 1 END`), orgID)
	if err != nil {
		return nil, nil, wrap("mailbox health", err)
	}
	defer rows.Close()
	var out []MailboxStatusCount
	for rows.Next() {
		var c MailboxStatusCount
		var ever int
		if err := rows.Scan(&c.State, &c.Status, &c.Code, &ever, &c.N); err != nil {
			return nil, nil, wrap("mailbox health", err)
		}
		c.EverSynced = ever == 1
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, wrap("mailbox health", err)
	}
	var last sql.NullTime
	err = s.rdb.QueryRowContext(ctx, s.q(`SELECT last_success_at FROM mailboxes WHERE org_id = ? AND last_success_at IS NOT NULL
		ORDER BY last_success_at DESC LIMIT 1`), orgID).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, nil, wrap("mailbox health", err)
	}
	return out, nullTime(last), nil
}

// MailboxesWithCode returns up to limit addresses of the organization's mailboxes with
// this status code (only those that synced before, with everSynced), by address.
func (s *Store) MailboxesWithCode(ctx context.Context, orgID int64, code string, everSynced bool, limit int) ([]string, error) {
	q := `SELECT u.email FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? AND m.status_code = ?`
	if everSynced {
		q += ` AND m.last_success_at IS NOT NULL`
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(q+` ORDER BY u.email LIMIT ?`), orgID, code, limit)
	if err != nil {
		return nil, wrap("mailboxes with code", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, wrap("mailboxes with code", err)
		}
		out = append(out, e)
	}
	return out, wrap("mailboxes with code", rows.Err())
}

// SeenStatus is a mailbox's state and status.
type SeenStatus struct {
	State, Status, Code string
}

// MailboxStatusNews is a mailbox whose state or status changed since subscribers were
// last told (Previous nil: never told).
type MailboxStatusNews struct {
	UserID   int64
	Email    string
	Current  SeenStatus
	Message  string
	Previous *SeenStatus
}

// UnseenMailboxStatuses returns up to limit of the organization's mailboxes whose state,
// status or code differs from what subscribers were last told, by user id. Mailboxes
// in the middle of a sync step ("syncing") wait for its outcome.
func (s *Store) UnseenMailboxStatuses(ctx context.Context, orgID int64, limit int) ([]MailboxStatusNews, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT m.user_id, u.email, m.state, m.status, m.status_code, m.status_message, p.state, p.status, p.status_code
		FROM mailboxes m JOIN users u ON u.id = m.user_id LEFT JOIN mailbox_status_seen p ON p.user_id = m.user_id
		WHERE m.org_id = ? AND m.status <> 'syncing'
			AND (p.user_id IS NULL OR p.state <> m.state OR p.status <> m.status OR p.status_code <> m.status_code)
		ORDER BY m.user_id LIMIT ?`), orgID, limit)
	if err != nil {
		return nil, wrap("unseen mailbox statuses", err)
	}
	defer rows.Close()
	var out []MailboxStatusNews
	for rows.Next() {
		var n MailboxStatusNews
		var ps, pst, pc sql.NullString
		if err := rows.Scan(&n.UserID, &n.Email, &n.Current.State, &n.Current.Status, &n.Current.Code, &n.Message, &ps, &pst, &pc); err != nil {
			return nil, wrap("unseen mailbox statuses", err)
		}
		if ps.Valid {
			n.Previous = &SeenStatus{State: ps.String, Status: pst.String, Code: pc.String}
		}
		out = append(out, n)
	}
	return out, wrap("unseen mailbox statuses", rows.Err())
}

// MarkMailboxStatusesSeen records what subscribers are told of these mailboxes, and
// queues the status events (payloads) for the organization's status subscriptions, in
// one transaction. It returns the subscriptions.
func (s *Store) MarkMailboxStatusesSeen(ctx context.Context, orgID int64, news []MailboxStatusNews, payloads [][]byte) ([]int64, error) {
	now := s.timestamp()
	var hooks []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(news); start += 200 {
			chunk := news[start:min(start+200, len(news))]
			args := make([]any, 0, len(chunk)*5)
			for _, n := range chunk {
				args = append(args, n.UserID, orgID, n.Current.State, n.Current.Status, n.Current.Code)
			}
			// A mailbox removed meanwhile has nothing to record.
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO mailbox_status_seen (user_id, org_id, state, status, status_code)
				SELECT v.user_id, v.org_id, v.state, v.status, v.status_code FROM (`+seenValues(len(chunk))+`) v
				WHERE EXISTS (SELECT 1 FROM mailboxes m WHERE m.user_id = v.user_id)
				ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, status = excluded.status, status_code = excluded.status_code`), args...); err != nil {
				return err
			}
		}
		var err error
		hooks, err = s.enqueueStatus(ctx, tx, orgID, payloads, now)
		return err
	})
	return hooks, wrap("mark mailbox statuses seen", err)
}

// seenValues is a derived table of n rows (user_id, org_id, state, status, status_code)
// of placeholders, for both dialects.
func seenValues(n int) string {
	row := `SELECT CAST(? AS BIGINT) AS user_id, CAST(? AS BIGINT) AS org_id, CAST(? AS TEXT) AS state, CAST(? AS TEXT) AS status, CAST(? AS TEXT) AS status_code`
	return strings.Repeat(row+" UNION ALL ", n-1) + row
}
