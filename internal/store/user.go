package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// User is a mailbox of an organization: someone whose mail, calendar and contacts
// mailbridge syncs through the organization's service account.
type User struct {
	ID          int64
	OrgID       int64
	Email       string // lower case
	DisplayName string
	// Source says how the user was added: "manual", "csv", "group:ADDRESS" or "api".
	Source string
	// Status is the outcome of the user's last access check: "unchecked", "ok",
	// "warning" or "failure", with the checker's code and message.
	Status        string
	StatusCode    string
	StatusMessage string
	CheckedAt     *time.Time
	CreatedAt     time.Time
}

// NewUser is a user to add.
type NewUser struct {
	Email       string
	DisplayName string
}

// AddUsersResult tells what AddUsers did.
type AddUsersResult struct {
	Added   []User
	Skipped []string // addresses that were already users (SkipExisting)
}

// AddUsers adds users to an organization in one transaction: all of them or none.
// Addresses are compared in lower case. An address that is already a user of the
// organization fails the whole call with a *DuplicateError, unless skipExisting, in which
// case it is left as it is and reported in Skipped. The caller validates addresses and
// removes duplicates within the list (a duplicate within it is a *DuplicateError too).
func (s *Store) AddUsers(ctx context.Context, a Actor, orgID int64, source string, users []NewUser, skipExisting bool) (AddUsersResult, error) {
	var res AddUsersResult
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res = AddUsersResult{}
		var exists int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM organizations WHERE id = ?`), orgID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return ErrNotFound
		}
		existing := map[string]bool{}
		if skipExisting {
			rows, err := tx.QueryContext(ctx, s.q(`SELECT email FROM users WHERE org_id = ?`), orgID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var e string
				if err := rows.Scan(&e); err != nil {
					rows.Close()
					return err
				}
				existing[e] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO users (org_id, email, display_name, source, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, nu := range users {
			email := strings.ToLower(strings.TrimSpace(nu.Email))
			if existing[email] {
				res.Skipped = append(res.Skipped, email)
				continue
			}
			u := User{OrgID: orgID, Email: email, DisplayName: nu.DisplayName, Source: source, Status: "unchecked", CreatedAt: now}
			err := ins.QueryRowContext(ctx, orgID, email, nu.DisplayName, source, now).Scan(&u.ID)
			if isUnique(err) {
				return &DuplicateError{What: "user", Value: email}
			}
			if err != nil {
				return err
			}
			res.Added = append(res.Added, u)
		}
		if len(res.Added) == 0 {
			return nil
		}
		detail := map[string]string{"count": strconv.Itoa(len(res.Added)), "source": source}
		target := res.Added[0].Email
		if len(res.Added) > 1 {
			target = strconv.Itoa(len(res.Added)) + " users"
		}
		return s.audit(ctx, tx, orgID, a, "user.add", target, detail)
	})
	return res, wrap("add users", err)
}

const userColumns = `id, org_id, email, display_name, source, status, status_code, status_message, checked_at, created_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var checked sql.NullTime
	err := sc.Scan(&u.ID, &u.OrgID, &u.Email, &u.DisplayName, &u.Source, &u.Status, &u.StatusCode, &u.StatusMessage, &checked, &u.CreatedAt)
	u.CheckedAt, u.CreatedAt = nullTime(checked), u.CreatedAt.UTC()
	return u, err
}

// ListUsers returns an organization's users by address.
func (s *Store) ListUsers(ctx context.Context, orgID int64) ([]User, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE org_id = ? ORDER BY email`), orgID)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("list users", err)
		}
		out = append(out, u)
	}
	return out, wrap("list users", rows.Err())
}

// GetUser returns one user of an organization.
func (s *Store) GetUser(ctx context.Context, orgID, id int64) (User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`), orgID, id))
	return u, wrap("get user", err)
}

// RemoveUser removes a user from an organization, in one transaction: its sync stops
// (the mailbox's lease is revoked), each of its stored items is recorded as deleted in
// the change feed, and everything synced for it is deleted (see removeUser).
func (s *Store) RemoveUser(ctx context.Context, a Actor, orgID, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error { return s.removeUser(ctx, tx, a, orgID, id, nil) })
	return wrap("remove user", err)
}

// UserStatus is the outcome of a user's access check.
type UserStatus struct {
	Email   string
	Status  string
	Code    string
	Message string
}

// SetUserStatuses records the outcome of access checks for users of an organization,
// in one transaction; addresses that are not users of the organization are ignored.
func (s *Store) SetUserStatuses(ctx context.Context, orgID int64, st []UserStatus) error {
	if len(st) == 0 {
		return nil
	}
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		up, err := tx.PrepareContext(ctx, s.q(`UPDATE users SET status = ?, status_code = ?, status_message = ?, checked_at = ? WHERE org_id = ? AND email = ?`))
		if err != nil {
			return err
		}
		defer up.Close()
		for _, u := range st {
			if _, err := up.ExecContext(ctx, u.Status, u.Code, u.Message, now, orgID, strings.ToLower(u.Email)); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("set user statuses", err)
}
