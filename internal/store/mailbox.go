package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
)

// Mailbox is the sync engine's record of a user's mailbox: whether it is synced, how the
// last sync went, and which worker holds it.
type Mailbox struct {
	UserID int64
	OrgID  int64
	Email  string
	// State is what the admin wants: "active" (synced), "paused" (by an admin), or
	// "stopped" (by the engine, after an access error, until new credentials are saved).
	State string
	// Status is how syncing goes: "pending" (not synced yet), "syncing", "ok", "error".
	Status        string
	StatusCode    string
	StatusMessage string
	// HierarchyState is the folder hierarchy's SyncState.
	HierarchyState string
	LeaseOwner     string
	LeaseToken     int64
	LeaseExpiresAt *time.Time
	LastAttemptAt  *time.Time
	LastSuccessAt  *time.Time
	Items          int64
	// JobGen is the generation of the mailbox's sync job: a job of another generation
	// has been superseded (its worker died and a new job took over).
	JobGen int64
	// WakeAt asks for another sync as soon as the running step ends.
	WakeAt *time.Time
}

// Errors of the sync engine's leases.
var (
	// ErrLeaseHeld: another worker holds the mailbox's unexpired lease.
	ErrLeaseHeld = errors.New("store: mailbox lease held by another worker")
	// ErrLeaseLost: the lease was taken over (its fencing token changed); the holder must
	// stop writing.
	ErrLeaseLost = errors.New("store: mailbox lease lost")
)

// Lease gives one worker the right to write one mailbox's sync state. Token is the
// fencing token: every commit checks it in its own transaction, so a worker that lost its
// lease (paused by GC, partitioned, presumed dead) cannot write after another took over.
type Lease struct {
	UserID    int64
	OrgID     int64
	Owner     string
	Token     int64
	ExpiresAt time.Time
}

// ActivateMailboxes makes every user of the organization synced: users without a mailbox
// record get one, and mailboxes the engine stopped after an access error are resumed
// (renewed); paused mailboxes stay paused. It returns the users whose mailbox became
// active.
func (s *Store) ActivateMailboxes(ctx context.Context, a Actor, orgID int64) ([]int64, error) {
	return s.activateMailboxes(ctx, a, orgID, true)
}

// CreateMailboxes gives the organization's users that have no mailbox record one, active
// (users added after sync was activated); stopped mailboxes stay stopped. It returns the
// users whose mailbox was created.
func (s *Store) CreateMailboxes(ctx context.Context, a Actor, orgID int64) ([]int64, error) {
	return s.activateMailboxes(ctx, a, orgID, false)
}

func (s *Store) activateMailboxes(ctx context.Context, a Actor, orgID int64, renew bool) ([]int64, error) {
	var ids []int64
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids = nil
		rows, err := tx.QueryContext(ctx, s.q(`SELECT u.id, m.state FROM users u LEFT JOIN mailboxes m ON m.user_id = u.id
			WHERE u.org_id = ? ORDER BY u.id`), orgID)
		if err != nil {
			return err
		}
		var create, resume []int64
		for rows.Next() {
			var id int64
			var state sql.NullString
			if err := rows.Scan(&id, &state); err != nil {
				rows.Close()
				return err
			}
			switch {
			case !state.Valid:
				create = append(create, id)
			case state.String == "stopped" && renew:
				resume = append(resume, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range create {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO mailboxes (user_id, org_id, created_at) VALUES (?, ?, ?)`), id, orgID, now); err != nil {
				return err
			}
		}
		for _, id := range resume {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET state = 'active', status = 'pending', status_code = '', status_message = ''
				WHERE user_id = ? AND org_id = ?`), id, orgID); err != nil {
				return err
			}
		}
		ids = append(create, resume...)
		if len(ids) == 0 {
			return nil
		}
		if err := s.recordStatus(ctx, tx, now, ids); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, a, "sync.activate", strconv.Itoa(len(ids))+" mailboxes",
			map[string]string{"new": strconv.Itoa(len(create)), "renewed": strconv.Itoa(len(resume))})
	})
	return ids, wrap("activate mailboxes", err)
}

// SetMailboxState pauses ("paused") or resumes ("active") one user's mailbox.
func (s *Store) SetMailboxState(ctx context.Context, a Actor, orgID, userID int64, state string) error {
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var email, was string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT u.email, m.state FROM mailboxes m JOIN users u ON u.id = m.user_id
			WHERE m.org_id = ? AND m.user_id = ?`), orgID, userID).Scan(&email, &was); err != nil {
			return err
		}
		// Pausing revokes the lease, so that a job in flight stops writing at once.
		q := `UPDATE mailboxes SET state = ?, lease_token = lease_token + 1, lease_owner = '', lease_expires_at = NULL WHERE org_id = ? AND user_id = ?`
		if state == "active" {
			// A resumed mailbox starts afresh: its old error no longer describes it.
			q = `UPDATE mailboxes SET state = ?, status = CASE WHEN state = 'active' THEN status ELSE 'pending' END,
				status_code = CASE WHEN state = 'active' THEN status_code ELSE '' END,
				status_message = CASE WHEN state = 'active' THEN status_message ELSE '' END WHERE org_id = ? AND user_id = ?`
		}
		if _, err := tx.ExecContext(ctx, s.q(q), state, orgID, userID); err != nil {
			return err
		}
		if state != was {
			if err := s.recordStatus(ctx, tx, now, []int64{userID}); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, orgID, a, "sync."+state, email, nil)
	})
	return wrap("set mailbox state", err)
}

const mailboxColumns = `m.user_id, m.org_id, u.email, m.state, m.status, m.status_code, m.status_message, m.hierarchy_state,
	m.lease_owner, m.lease_token, m.lease_expires_at, m.last_attempt_at, m.last_success_at, m.items, m.job_gen, m.wake_at`

func scanMailbox(sc interface{ Scan(...any) error }) (Mailbox, error) {
	var m Mailbox
	var exp, att, suc, wake sql.NullTime
	err := sc.Scan(&m.UserID, &m.OrgID, &m.Email, &m.State, &m.Status, &m.StatusCode, &m.StatusMessage, &m.HierarchyState,
		&m.LeaseOwner, &m.LeaseToken, &exp, &att, &suc, &m.Items, &m.JobGen, &wake)
	m.LeaseExpiresAt, m.LastAttemptAt, m.LastSuccessAt, m.WakeAt = nullTime(exp), nullTime(att), nullTime(suc), nullTime(wake)
	return m, err
}

// GetMailbox returns a user's mailbox record.
func (s *Store) GetMailbox(ctx context.Context, orgID, userID int64) (Mailbox, error) {
	m, err := scanMailbox(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+mailboxColumns+` FROM mailboxes m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.user_id = ?`), orgID, userID))
	return m, wrap("get mailbox", err)
}

// ListMailboxes returns an organization's mailbox records, by address.
func (s *Store) ListMailboxes(ctx context.Context, orgID int64) ([]Mailbox, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+mailboxColumns+` FROM mailboxes m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? ORDER BY u.email`), orgID)
	if err != nil {
		return nil, wrap("list mailboxes", err)
	}
	defer rows.Close()
	var out []Mailbox
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, wrap("list mailboxes", err)
		}
		out = append(out, m)
	}
	return out, wrap("list mailboxes", rows.Err())
}

// AcquireLease gives owner the mailbox's lease for ttl, with a new fencing token, unless
// another owner holds an unexpired one (ErrLeaseHeld). Only active mailboxes are leased
// (ErrNotFound otherwise).
func (s *Store) AcquireLease(ctx context.Context, userID int64, owner string, ttl time.Duration) (Lease, error) {
	var l Lease
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var curOwner, state string
		var token int64
		var exp sql.NullTime
		if err := tx.QueryRowContext(ctx, s.q(`SELECT org_id, state, lease_owner, lease_token, lease_expires_at FROM mailboxes
			WHERE user_id = ?`+s.forUpdate()), userID).Scan(&l.OrgID, &state, &curOwner, &token, &exp); err != nil {
			return err
		}
		if state != "active" {
			return ErrNotFound
		}
		if curOwner != "" && curOwner != owner && exp.Valid && exp.Time.After(now) {
			return ErrLeaseHeld
		}
		l.UserID, l.Owner, l.Token, l.ExpiresAt = userID, owner, token+1, now.Add(ttl)
		_, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET lease_owner = ?, lease_token = ?, lease_expires_at = ?, last_attempt_at = ?
			WHERE user_id = ?`), owner, l.Token, l.ExpiresAt, now, userID)
		return err
	})
	return l, wrap("acquire lease", err)
}

// forUpdate locks the selected row until the transaction ends, on PostgreSQL (SQLite's
// write transaction already excludes other writers).
func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// checkLease verifies inside tx that l still holds its mailbox (the fencing check).
func (s *Store) checkLease(ctx context.Context, tx *sql.Tx, l Lease) error {
	var token int64
	var owner string
	err := tx.QueryRowContext(ctx, s.q(`SELECT lease_token, lease_owner FROM mailboxes WHERE user_id = ?`+s.forUpdate()), l.UserID).Scan(&token, &owner)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrLeaseLost // the user was removed
	}
	if err != nil {
		return err
	}
	if token != l.Token || owner != l.Owner {
		return ErrLeaseLost
	}
	return nil
}

// RenewLease extends a held lease.
func (s *Store) RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, l); err != nil {
			return err
		}
		l.ExpiresAt = s.timestamp().Add(ttl)
		_, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET lease_expires_at = ? WHERE user_id = ?`), l.ExpiresAt, l.UserID)
		return err
	})
	return l, wrap("renew lease", err)
}

// ReleaseLease gives a held lease back (its token stays, so a later holder gets a
// greater one).
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, l); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET lease_owner = '', lease_expires_at = NULL WHERE user_id = ?`), l.UserID)
		return err
	})
	return wrap("release lease", err)
}

// MailboxStatus is how a sync attempt went.
type MailboxStatus struct {
	Status  string // "syncing", "ok", "error"
	Code    string
	Message string
	// Stop stops the mailbox (state "stopped") until an admin renews it: access errors.
	Stop bool
	// Release gives the lease back in the same transaction (the end of a step).
	Release bool
}

// SetMailboxStatus records how syncing a mailbox goes, under its lease.
func (s *Store) SetMailboxStatus(ctx context.Context, l Lease, st MailboxStatus) error {
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, l); err != nil {
			return err
		}
		var was string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT status FROM mailboxes WHERE user_id = ?`), l.UserID).Scan(&was); err != nil {
			return err
		}
		q := `UPDATE mailboxes SET status = ?, status_code = ?, status_message = ?`
		args := []any{st.Status, st.Code, st.Message}
		if st.Status == "ok" {
			q += `, last_success_at = ?`
			args = append(args, now)
		}
		if st.Stop {
			q += `, state = 'stopped'`
		}
		if st.Release {
			q += `, lease_owner = '', lease_expires_at = NULL`
		}
		if _, err := tx.ExecContext(ctx, s.q(q+` WHERE user_id = ?`), append(args, l.UserID)...); err != nil {
			return err
		}
		// Every step of a synced mailbox passes through "syncing" and back: only its
		// first sync's start is history, not each poll's.
		if st.Status == "syncing" && was != "pending" {
			return nil
		}
		return s.recordStatus(ctx, tx, now, []int64{l.UserID})
	})
	return wrap("set mailbox status", err)
}

// StopMailboxes stops every active mailbox of the organization with an error status (the
// service account's credentials were refused: nothing may retry them until an admin saves
// new ones), and revokes their leases.
func (s *Store) StopMailboxes(ctx context.Context, orgID int64, code, message string) (int64, error) {
	var n int64
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Revoking the leases (a new fencing token) makes the jobs in flight stop writing:
		// their next commit or status fails with ErrLeaseLost.
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE mailboxes SET state = 'stopped', status = 'error', status_code = ?, status_message = ?,
			lease_token = lease_token + 1, lease_owner = '', lease_expires_at = NULL
			WHERE org_id = ? AND state = 'active' RETURNING user_id`), code, message, orgID)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = int64(len(ids))
		return s.recordStatus(ctx, tx, now, ids)
	})
	return n, wrap("stop mailboxes", err)
}

// MailboxRef names a mailbox (and its job generation).
type MailboxRef struct {
	OrgID, UserID int64
	JobGen        int64
}

// ActiveMailboxes lists every active mailbox of the installation (the job runner makes
// sure each has its job).
func (s *Store) ActiveMailboxes(ctx context.Context) ([]MailboxRef, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT org_id, user_id, job_gen FROM mailboxes WHERE state = 'active' ORDER BY user_id`)
	if err != nil {
		return nil, wrap("active mailboxes", err)
	}
	defer rows.Close()
	var out []MailboxRef
	for rows.Next() {
		var r MailboxRef
		if err := rows.Scan(&r.OrgID, &r.UserID, &r.JobGen); err != nil {
			return nil, wrap("active mailboxes", err)
		}
		out = append(out, r)
	}
	return out, wrap("active mailboxes", rows.Err())
}

// MailboxCount is how many mailboxes of the installation are in a state and status.
type MailboxCount struct {
	State, Status string
	N             int64
}

// MailboxCounts counts the installation's mailboxes by state and status (metrics).
func (s *Store) MailboxCounts(ctx context.Context) ([]MailboxCount, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT state, status, COUNT(*) FROM mailboxes GROUP BY state, status ORDER BY state, status`)
	if err != nil {
		return nil, wrap("mailbox counts", err)
	}
	defer rows.Close()
	var out []MailboxCount
	for rows.Next() {
		var c MailboxCount
		if err := rows.Scan(&c.State, &c.Status, &c.N); err != nil {
			return nil, wrap("mailbox counts", err)
		}
		out = append(out, c)
	}
	return out, wrap("mailbox counts", rows.Err())
}

// NextJobGen starts a new job generation for a mailbox whose worker died, and returns it.
func (s *Store) NextJobGen(ctx context.Context, userID int64) (int64, error) {
	var gen int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.q(`UPDATE mailboxes SET job_gen = job_gen + 1 WHERE user_id = ? RETURNING job_gen`), userID).Scan(&gen)
	})
	return gen, wrap("next job generation", err)
}

// RequestWake asks for the mailbox to be synced again as soon as its running step ends.
func (s *Store) RequestWake(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE mailboxes SET wake_at = ? WHERE user_id = ?`), s.timestamp(), userID)
	return wrap("request wake", err)
}

// OrphanedMailboxes lists the active mailboxes whose lease expired without being released:
// their worker died (or stalled) in the middle of a step.
func (s *Store) OrphanedMailboxes(ctx context.Context) ([]MailboxRef, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT org_id, user_id FROM mailboxes
		WHERE state = 'active' AND lease_owner <> '' AND lease_expires_at < ? ORDER BY user_id`), s.timestamp())
	if err != nil {
		return nil, wrap("orphaned mailboxes", err)
	}
	defer rows.Close()
	var out []MailboxRef
	for rows.Next() {
		var r MailboxRef
		if err := rows.Scan(&r.OrgID, &r.UserID); err != nil {
			return nil, wrap("orphaned mailboxes", err)
		}
		out = append(out, r)
	}
	return out, wrap("orphaned mailboxes", rows.Err())
}
