package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// An organization's people change: joiners come from the distribution groups it keeps in
// sync (group sources), leavers are removed with their data, and items older than its
// retention are purged. Every removal is in the change feed, so that a consumer's copy
// loses what the store loses.

// GroupSource is a distribution group an organization keeps its users in sync with: its
// membership is re-read on a schedule, joiners are added (their Source is
// "group:ADDRESS") and leavers removed.
type GroupSource struct {
	ID        int64
	OrgID     int64
	Address   string // lower case
	CreatedAt time.Time
	CreatedBy string // the actor's label
	// The last read: nil LastReadAt when never read.
	LastReadAt *time.Time
	GroupRead
}

// GroupRead is the outcome of reading a group source's membership.
type GroupRead struct {
	// Status is "ok", "error" (Exchange could not be read: nobody was removed) or "held"
	// (the read would remove more users than the guard allows: Held waits for an admin's
	// confirmation); "" before the first read.
	Status  string
	Message string
	// Members is how many people the group has; Added and Removed how many users the
	// read added and removed.
	Members, Added, Removed int
	// Held are the addresses a held read would remove.
	Held []string
}

const groupSourceColumns = `id, org_id, address, created_at, created_by, last_read_at, status, message, members, added, removed, held`

func scanGroupSource(sc interface{ Scan(...any) error }) (GroupSource, error) {
	var g GroupSource
	var last sql.NullTime
	var held string
	err := sc.Scan(&g.ID, &g.OrgID, &g.Address, &g.CreatedAt, &g.CreatedBy, &last, &g.Status, &g.Message, &g.Members, &g.Added, &g.Removed, &held)
	if err != nil {
		return g, err
	}
	g.CreatedAt, g.LastReadAt = g.CreatedAt.UTC(), nullTime(last)
	if held != "" {
		if err := json.Unmarshal([]byte(held), &g.Held); err != nil {
			return g, err
		}
	}
	return g, nil
}

// encodeHeld stores a held list as JSON ("" when empty).
func encodeHeld(held []string) (string, error) {
	if len(held) == 0 {
		return "", nil
	}
	b, err := json.Marshal(held)
	return string(b), err
}

// AddGroupSource keeps the organization's users in sync with a distribution group, whose
// first read (the import that added its members) is r. An address kept already is a
// *DuplicateError.
func (s *Store) AddGroupSource(ctx context.Context, a Actor, orgID int64, address string, r GroupRead) (GroupSource, error) {
	now := s.timestamp()
	address = strings.ToLower(strings.TrimSpace(address))
	label := a.Label
	if label == "" {
		label = System.Label
	}
	g := GroupSource{OrgID: orgID, Address: address, CreatedAt: now, CreatedBy: label, LastReadAt: &now, GroupRead: r}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		held, err := encodeHeld(r.Held)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO group_sources (org_id, address, created_at, created_by, last_read_at, status, message, members, added, removed, held)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), orgID, address, now, label, now, r.Status, r.Message, r.Members, r.Added, r.Removed, held).Scan(&g.ID)
		switch {
		case isUnique(err):
			return &DuplicateError{What: "group source", Value: address}
		case isForeignKey(err):
			return ErrNotFound
		case err != nil:
			return err
		}
		return s.audit(ctx, tx, orgID, a, "group.add", address, map[string]string{
			"members": strconv.Itoa(r.Members), "added": strconv.Itoa(r.Added)})
	})
	return g, wrap("add group source", err)
}

// ListGroupSources returns an organization's group sources, by address.
func (s *Store) ListGroupSources(ctx context.Context, orgID int64) ([]GroupSource, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+groupSourceColumns+` FROM group_sources WHERE org_id = ? ORDER BY address`), orgID)
	if err != nil {
		return nil, wrap("list group sources", err)
	}
	defer rows.Close()
	var out []GroupSource
	for rows.Next() {
		g, err := scanGroupSource(rows)
		if err != nil {
			return nil, wrap("list group sources", err)
		}
		out = append(out, g)
	}
	return out, wrap("list group sources", rows.Err())
}

// GetGroupSource returns one group source of an organization.
func (s *Store) GetGroupSource(ctx context.Context, orgID, id int64) (GroupSource, error) {
	g, err := scanGroupSource(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+groupSourceColumns+` FROM group_sources WHERE org_id = ? AND id = ?`), orgID, id))
	return g, wrap("get group source", err)
}

// RemoveGroupSource stops keeping the organization's users in sync with a group. Its
// users stay, with their source: nobody is removed.
func (s *Store) RemoveGroupSource(ctx context.Context, a Actor, orgID, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var address string
		if err := tx.QueryRowContext(ctx, s.q(`DELETE FROM group_sources WHERE org_id = ? AND id = ? RETURNING address`), orgID, id).Scan(&address); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, a, "group.remove", address, nil)
	})
	return wrap("remove group source", err)
}

// RecordGroupRead records the outcome of re-reading a group source, and, when audit is
// set, writes it to the audit log ("group.reread", with its counts).
func (s *Store) RecordGroupRead(ctx context.Context, a Actor, orgID, id int64, r GroupRead, audit bool) error {
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		held, err := encodeHeld(r.Held)
		if err != nil {
			return err
		}
		var address string
		if err := tx.QueryRowContext(ctx, s.q(`UPDATE group_sources SET last_read_at = ?, status = ?, message = ?, members = ?, added = ?, removed = ?, held = ?
			WHERE org_id = ? AND id = ? RETURNING address`), now, r.Status, r.Message, r.Members, r.Added, r.Removed, held, orgID, id).Scan(&address); err != nil {
			return err
		}
		if !audit {
			return nil
		}
		detail := map[string]string{"status": r.Status, "members": strconv.Itoa(r.Members), "added": strconv.Itoa(r.Added),
			"removed": strconv.Itoa(r.Removed), "held": strconv.Itoa(len(r.Held))}
		if r.Message != "" {
			detail["message"] = r.Message
		}
		return s.audit(ctx, tx, orgID, a, "group.reread", address, detail)
	})
	return wrap("record group read", err)
}

// GroupSourceOrgs lists the organizations that keep at least one group source.
func (s *Store) GroupSourceOrgs(ctx context.Context) ([]int64, error) {
	return s.orgIDs(ctx, "group source organizations", `SELECT DISTINCT org_id FROM group_sources ORDER BY org_id`)
}

// SetUserSource changes where a user comes from: a leaver of one kept group who is a
// member of another now comes from that one.
func (s *Store) SetUserSource(ctx context.Context, orgID, userID int64, source string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET source = ? WHERE org_id = ? AND id = ?`), source, orgID, userID)
	if err == nil {
		if n, rerr := res.RowsAffected(); rerr != nil {
			err = rerr
		} else if n == 0 {
			err = ErrNotFound
		}
	}
	return wrap("set user source", err)
}

// orgIDs runs a query that lists organization ids.
func (s *Store) orgIDs(ctx context.Context, op, query string) ([]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, query)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, id)
	}
	return out, wrap(op, rows.Err())
}

// removeUser removes a user of an organization inside tx, and everything synced for it:
// the mailbox's lease is revoked first (a new fencing token: a sync job in flight fails
// its next commit with ErrLeaseLost, and cannot write again since the mailbox is gone),
// every stored item is recorded as deleted in the change feed (under the feed's lock, so
// in commit order), then the user is deleted (mailbox, folders, items and history
// cascade). The audit entry carries detail and the number of items deleted.
func (s *Store) removeUser(ctx context.Context, tx *sql.Tx, a Actor, orgID, id int64, detail map[string]string) error {
	var email string
	if err := tx.QueryRowContext(ctx, s.q(`SELECT email FROM users WHERE org_id = ? AND id = ?`), orgID, id).Scan(&email); err != nil {
		return err
	}
	// On PostgreSQL the UPDATE waits for a page commit in flight (which holds the
	// mailbox's row), and is taken before the feed's lock, in the order commits take them.
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET state = 'stopped', lease_token = lease_token + 1, lease_owner = '', lease_expires_at = NULL
		WHERE org_id = ? AND user_id = ?`), orgID, id); err != nil {
		return err
	}
	if err := s.lockFeed(ctx, tx, orgID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO changes (org_id, user_id, item_id, kind, op, at)
		SELECT org_id, user_id, item_id, kind, 'delete', ? FROM items WHERE org_id = ? AND user_id = ? ORDER BY id`), s.timestamp(), orgID, id)
	if err != nil {
		return err
	}
	items, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM users WHERE org_id = ? AND id = ?`), orgID, id); err != nil {
		return err
	}
	if items > 0 {
		if detail == nil {
			detail = map[string]string{}
		}
		detail["items"] = strconv.FormatInt(items, 10)
	}
	return s.audit(ctx, tx, orgID, a, "user.remove", email, detail)
}

// RemoveUsers removes users of an organization as RemoveUser does, each in a transaction
// of its own (a large mailbox's removal does not hold the others'); reason, when not
// empty, is recorded in each audit entry. Users that are gone already are skipped. It
// returns how many it removed.
func (s *Store) RemoveUsers(ctx context.Context, a Actor, orgID int64, ids []int64, reason string) (int, error) {
	n := 0
	for _, id := range ids {
		var detail map[string]string
		if reason != "" {
			detail = map[string]string{"reason": reason}
		}
		err := s.tx(ctx, func(tx *sql.Tx) error { return s.removeUser(ctx, tx, a, orgID, id, detail) })
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return n, wrap("remove users", err)
		}
		n++
	}
	return n, nil
}

// deleteOrgLeases deletes, inside tx, the named leases of an organization's work
// ("watch:org:<id>", "recheck:org:<id>", "groups:org:<id>", "retention:org:<id>",
// "slot:account:<id>:<n>"): they are not tied to it by a foreign key.
func (s *Store) deleteOrgLeases(ctx context.Context, tx *sql.Tx, orgID int64) error {
	id := strconv.FormatInt(orgID, 10)
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM leases WHERE name LIKE ? OR name LIKE ? OR name LIKE ?`),
		"%:org:"+id, "%:org:"+id+":%", "slot:account:"+id+":%")
	return err
}

// leaseOrg returns the organization a named lease belongs to, if it names one (see
// deleteOrgLeases).
func leaseOrg(name string) (int64, bool) {
	parts := strings.Split(name, ":")
	if len(parts) < 3 || !(parts[1] == "org" || parts[0] == "slot" && parts[1] == "account") {
		return 0, false
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	return id, err == nil
}

// DeleteOrphanLeases deletes the named leases of organizations that no longer exist: a
// job that was running when its organization was deleted may have taken one again
// (a slot of its account) before it noticed. It returns how many it deleted.
func (s *Store) DeleteOrphanLeases(ctx context.Context) (int, error) {
	orgs, err := s.orgIDs(ctx, "delete orphan leases", `SELECT id FROM organizations`)
	if err != nil {
		return 0, err
	}
	exists := make(map[int64]bool, len(orgs))
	for _, id := range orgs {
		exists[id] = true
	}
	leases, err := s.NamedLeases(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range leases {
		id, ok := leaseOrg(l.Name)
		if !ok || exists[id] {
			continue
		}
		// Checked again as it is deleted: an organization is never created with the id
		// of a deleted one, but the list above may be older than this lease.
		res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM leases WHERE name = ? AND NOT EXISTS (SELECT 1 FROM organizations WHERE id = ?)`), l.Name, id)
		if err != nil {
			return n, wrap("delete orphan leases", err)
		}
		if k, err := res.RowsAffected(); err == nil {
			n += int(k)
		}
	}
	return n, nil
}

// MaxRetentionDays bounds an organization's retention (100 years).
const MaxRetentionDays = 36500

// Retention returns how many days of items an organization keeps (0: forever).
func (s *Store) Retention(ctx context.Context, orgID int64) (int, error) {
	var days int
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT retention_days FROM organizations WHERE id = ?`), orgID).Scan(&days)
	return days, wrap("get retention", err)
}

// SetRetention sets how many days of items an organization keeps (0: forever), in the
// audit log as "retention.set".
func (s *Store) SetRetention(ctx context.Context, a Actor, orgID int64, days int) error {
	if days < 0 || days > MaxRetentionDays {
		return wrap("set retention", errors.New("days out of range"))
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var was int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT retention_days FROM organizations WHERE id = ?`+s.forUpdate()), orgID).Scan(&was); err != nil {
			return err
		}
		if was == days {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE organizations SET retention_days = ?, updated_at = ? WHERE id = ?`), days, s.timestamp(), orgID); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, a, "retention.set", strconv.Itoa(days)+" days",
			map[string]string{"days": strconv.Itoa(days), "was": strconv.Itoa(was)})
	})
	return wrap("set retention", err)
}

// RetentionOrgs lists the organizations with a retention (items are purged).
func (s *Store) RetentionOrgs(ctx context.Context) ([]int64, error) {
	return s.orgIDs(ctx, "retention organizations", `SELECT id FROM organizations WHERE retention_days > 0 ORDER BY id`)
}

// PurgeResult counts the items a purge deleted.
type PurgeResult struct {
	Messages, Events int
}

// expiredItems selects a mailbox's items dated before a cutoff: messages by their
// received time, events by their end (their start when they have none); contacts have
// no date and are never purged.
const expiredItems = `user_id = ? AND (kind = 'message' AND item_time < ? OR kind = 'event' AND COALESCE(end_time, item_time) < ?)`

// PurgeItems deletes the organization's items dated before cutoff (see expiredItems),
// each recorded as deleted in the change feed, at most batch items per transaction
// (default 500), so that a large purge never holds the database for long. A purge that
// deleted anything is in the audit log ("retention.purge", with its counts).
func (s *Store) PurgeItems(ctx context.Context, a Actor, orgID int64, cutoff time.Time, batch int) (PurgeResult, error) {
	if batch <= 0 {
		batch = 500
	}
	cutoff = cutoff.UTC()
	var res PurgeResult
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT user_id FROM mailboxes WHERE org_id = ? AND items > 0 ORDER BY user_id`), orgID)
	if err != nil {
		return res, wrap("purge items", err)
	}
	var users []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return res, wrap("purge items", err)
		}
		users = append(users, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, wrap("purge items", err)
	}
	for _, user := range users {
		for {
			n, err := s.purgeBatch(ctx, orgID, user, cutoff, batch, &res)
			if err != nil {
				return res, wrap("purge items", err)
			}
			if n < batch {
				break
			}
		}
	}
	if res.Messages+res.Events == 0 {
		return res, nil
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		return s.audit(ctx, tx, orgID, a, "retention.purge", strconv.Itoa(res.Messages+res.Events)+" items", map[string]string{
			"messages": strconv.Itoa(res.Messages), "events": strconv.Itoa(res.Events), "before": cutoff.Format(time.RFC3339)})
	})
	if errors.Is(err, sql.ErrNoRows) || isForeignKey(err) {
		err = nil // the organization was deleted meanwhile
	}
	return res, wrap("purge items", err)
}

// purgeBatch deletes up to batch expired items of one mailbox in one transaction and
// returns how many.
func (s *Store) purgeBatch(ctx context.Context, orgID, userID int64, cutoff time.Time, batch int, res *PurgeResult) (int, error) {
	var n, m, e int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n, m, e = 0, 0, 0
		// The mailbox's row first, then the feed: the order in which page commits take
		// them (a commit in flight finishes before the purge reads the items).
		var locked int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT user_id FROM mailboxes WHERE org_id = ? AND user_id = ?`+s.forUpdate()), orgID, userID).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // removed meanwhile
		}
		if err != nil {
			return err
		}
		if err := s.lockFeed(ctx, tx, orgID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, kind FROM items WHERE `+expiredItems+` ORDER BY id LIMIT ?`), userID, cutoff, cutoff, batch)
		if err != nil {
			return err
		}
		var ids []any
		var messages, events int
		for rows.Next() {
			var id int64
			var kind string
			if err := rows.Scan(&id, &kind); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			if kind == "message" {
				messages++
			} else {
				events++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		in := `(?` + strings.Repeat(", ?", len(ids)-1) + `)`
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO changes (org_id, user_id, item_id, kind, op, at)
			SELECT org_id, user_id, item_id, kind, 'delete', ? FROM items WHERE id IN `+in+` ORDER BY id`), append([]any{s.timestamp()}, ids...)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM items WHERE id IN `+in), ids...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET items = items - ? WHERE user_id = ?`), len(ids), userID); err != nil {
			return err
		}
		n, m, e = len(ids), messages, events
		return nil
	})
	if err != nil {
		return 0, err
	}
	res.Messages += m
	res.Events += e
	return n, nil
}
