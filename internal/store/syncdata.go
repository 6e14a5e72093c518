package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Folder is a folder of a synced mailbox.
type Folder struct {
	ID            int64 // the row
	FolderID      string
	ParentID      string
	Name          string
	Class         string // IPF.Note, IPF.Appointment, IPF.Contact, …
	Distinguished string // inbox, sentitems, calendar, contacts, msgfolderroot; or ""
	Synced        bool   // its items are synced
	SyncState     string
	// Generation increases with every full resync; items not seen in the current
	// generation's full pass are deleted when it completes.
	Generation int64
	// Complete: the folder's items have been synced to the end at least once in this
	// generation.
	Complete bool
}

// ListFolders returns a mailbox's folders.
func (s *Store) ListFolders(ctx context.Context, userID int64) ([]Folder, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT id, folder_id, parent_id, name, class, distinguished, synced, sync_state, generation, complete
		FROM mailbox_folders WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, wrap("list folders", err)
	}
	defer rows.Close()
	var out []Folder
	for rows.Next() {
		var f Folder
		if err := rows.Scan(&f.ID, &f.FolderID, &f.ParentID, &f.Name, &f.Class, &f.Distinguished, &f.Synced, &f.SyncState, &f.Generation, &f.Complete); err != nil {
			return nil, wrap("list folders", err)
		}
		out = append(out, f)
	}
	return out, wrap("list folders", rows.Err())
}

// HierarchyCommit is one page of folder hierarchy changes.
type HierarchyCommit struct {
	// Upserts are by FolderID; ID, SyncState, Generation and Complete are kept for
	// existing folders that stay synced. A folder upserted not Synced loses its items
	// (recorded as deleted in the change feed) and its SyncState.
	Upserts  []Folder
	Deletes  []string // FolderIDs; their items go with them (and are recorded as deleted)
	NewState string
}

// CommitHierarchy applies folder changes and the new hierarchy SyncState in one
// transaction, under the mailbox's lease.
func (s *Store) CommitHierarchy(ctx context.Context, l Lease, c HierarchyCommit) error {
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, l); err != nil {
			return err
		}
		for _, f := range c.Upserts {
			// A folder no longer synced forgets its SyncState: synced again, it is read from
			// the start.
			res, err := tx.ExecContext(ctx, s.q(`UPDATE mailbox_folders SET parent_id = ?, name = ?, class = ?,
				distinguished = CASE WHEN ? <> '' THEN ? ELSE distinguished END, synced = ?,
				sync_state = CASE WHEN ? THEN sync_state ELSE '' END, complete = CASE WHEN ? THEN complete ELSE FALSE END
				WHERE user_id = ? AND folder_id = ?`),
				f.ParentID, f.Name, f.Class, f.Distinguished, f.Distinguished, f.Synced, f.Synced, f.Synced, l.UserID, f.FolderID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO mailbox_folders (user_id, folder_id, parent_id, name, class, distinguished, synced)
					VALUES (?, ?, ?, ?, ?, ?, ?)`), l.UserID, f.FolderID, f.ParentID, f.Name, f.Class, f.Distinguished, f.Synced); err != nil {
					return err
				}
			}
			if !f.Synced {
				// A folder no longer synced keeps no items (each recorded as deleted).
				if err := s.deleteFolderItems(ctx, tx, l, f.FolderID, now); err != nil {
					return err
				}
			}
		}
		for _, id := range c.Deletes {
			if err := s.deleteFolderItems(ctx, tx, l, id, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM mailbox_folders WHERE user_id = ? AND folder_id = ?`), l.UserID, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET hierarchy_state = ? WHERE user_id = ?`), c.NewState, l.UserID); err != nil {
			return err
		}
		return s.countItems(ctx, tx, l.UserID)
	})
	return wrap("commit hierarchy", err)
}

// deleteFolderItems deletes a folder's items, recording each deletion in the change feed.
func (s *Store) deleteFolderItems(ctx context.Context, tx *sql.Tx, l Lease, folderID string, now time.Time) error {
	if err := s.lockFeed(ctx, tx, l.OrgID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO changes (org_id, user_id, item_id, kind, op, at)
		SELECT i.org_id, i.user_id, i.item_id, i.kind, 'delete', ? FROM items i JOIN mailbox_folders f ON f.id = i.folder
		WHERE f.user_id = ? AND f.folder_id = ? ORDER BY i.id`), now, l.UserID, folderID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM items WHERE folder IN (SELECT id FROM mailbox_folders WHERE user_id = ? AND folder_id = ?)`), l.UserID, folderID)
	return err
}

// lockFeed serializes the transactions that append to an organization's change feed on
// PostgreSQL, so that sequence numbers are visible in commit order (a reader that has
// seen seq N never later finds a new row below N). SQLite has one writer anyway.
func (s *Store) lockFeed(ctx context.Context, tx *sql.Tx, orgID int64) error {
	if s.dialect != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242, $1::int)`, orgID)
	return err
}

func (s *Store) countItems(ctx context.Context, tx *sql.Tx, userID int64) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET items = (SELECT COUNT(*) FROM items WHERE user_id = ?) WHERE user_id = ?`), userID, userID)
	return err
}

// ItemRecord is a synced item as stored: the fields queries filter on, and Data, the
// whole stored representation (JSON).
type ItemRecord struct {
	ItemID    string
	ChangeKey string
	Kind      string // "message", "event", "contact"
	Subject   string
	Sender    string     // a message's sender address, an event's organizer
	ItemTime  *time.Time // received (message) or start (event)
	EndTime   *time.Time // end (event)
	IsRead    bool
	Data      []byte
}

// PageCommit is one page of a folder's item changes.
type PageCommit struct {
	Folder    int64 // the folder's row
	Upserts   []ItemRecord
	Deletes   []string // item ids
	ReadFlags []ReadFlag
	NewState  string
	// Last: the page reached the end of the folder's changes (IncludesLastItemInRange).
	// When a full resync's pass ends, stored items it did not see are deleted.
	Last bool
	// Generation is the folder generation the page belongs to; a page of an older
	// generation (the folder was reset meanwhile) is refused with ErrConflict.
	Generation int64
	// BeforeCommit, if set, is called inside the page's transaction once everything is
	// written, just before it commits (crash-safety tests stop the process there).
	BeforeCommit func()
}

// ReadFlag is an item whose read state changed (and with it its change key).
type ReadFlag struct {
	ItemID    string
	ChangeKey string
	IsRead    bool
}

// insertRows is how many items one INSERT statement carries.
const insertRows = 64

// insertItemsSQL and insertChangesSQL insert n items, and their feed entries, at once;
// the full-size ones are prepared once (hotStatements).
func insertItemsSQL(n int) string {
	return `INSERT INTO items (org_id, user_id, folder, item_id, change_key, kind, subject, sender,
				item_time, end_time, is_read, data, generation, updated_at) VALUES ` + valueRows(n, 14)
}

func insertChangesSQL(n int) string {
	return `INSERT INTO changes (org_id, user_id, item_id, kind, op, at) VALUES ` + valueRows(n, 6)
}

var (
	insertItemsChunk   = insertItemsSQL(insertRows)
	insertChangesChunk = insertChangesSQL(insertRows)
)

// valueRows returns n parenthesized groups of cols placeholders: "(?, ?), (?, ?)".
func valueRows(n, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(one+", ", n-1) + one
}

// PageResult counts what a page changed in the store.
type PageResult struct {
	Created, Updated, Deleted, Unchanged int
}

// CommitPage stores a page of item changes and the folder's new SyncState in ONE
// transaction, under the mailbox's lease (the fencing check is in the same transaction):
// after a crash either all of the page is stored with its state, or none of it, so the
// next sync resumes from the last committed state and nothing is lost or duplicated.
// Every stored change is appended to the organization's change feed.
func (s *Store) CommitPage(ctx context.Context, l Lease, p PageCommit) (PageResult, error) {
	var res PageResult
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res = PageResult{}
		if err := s.checkLease(ctx, tx, l); err != nil {
			return err
		}
		var gen int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT generation FROM mailbox_folders WHERE id = ? AND user_id = ?`), p.Folder, l.UserID).Scan(&gen); err != nil {
			return err
		}
		if gen != p.Generation {
			return ErrConflict
		}
		if err := s.lockFeed(ctx, tx, l.OrgID); err != nil {
			return err
		}
		// What is stored already, for the page's ids.
		type stored struct {
			changeKey string
			folder    int64
			read      bool
		}
		have := map[string]stored{}
		ids := make([]string, 0, len(p.Upserts)+len(p.Deletes)+len(p.ReadFlags))
		for _, r := range p.Upserts {
			ids = append(ids, r.ItemID)
		}
		ids = append(ids, p.Deletes...)
		for _, rf := range p.ReadFlags {
			ids = append(ids, rf.ItemID)
		}
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			args := []any{l.UserID}
			for _, id := range chunk {
				args = append(args, id)
			}
			rows, err := tx.QueryContext(ctx, s.q(`SELECT item_id, change_key, folder, is_read FROM items WHERE user_id = ? AND item_id IN (?`+
				strings.Repeat(",?", len(chunk)-1)+`)`), args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var st stored
				if err := rows.Scan(&id, &st.changeKey, &st.folder, &st.read); err != nil {
					rows.Close()
					return err
				}
				have[id] = st
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		feed, err := tx.PrepareContext(ctx, s.q(`INSERT INTO changes (org_id, user_id, item_id, kind, op, at) VALUES (?, ?, ?, ?, ?, ?)`))
		if err != nil {
			return err
		}
		defer feed.Close()
		var inserts []ItemRecord
		for _, r := range p.Upserts {
			old, exists := have[r.ItemID]
			switch {
			case !exists:
				inserts = append(inserts, r)
				res.Created++
				continue
			case old.changeKey == r.ChangeKey && old.folder == p.Folder && old.read == r.IsRead:
				// Seen again (a resync's full pass): only the generation moves.
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE items SET generation = ? WHERE user_id = ? AND item_id = ?`), gen, l.UserID, r.ItemID); err != nil {
					return err
				}
				res.Unchanged++
				continue
			default:
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE items SET folder = ?, change_key = ?, kind = ?, subject = ?, sender = ?, item_time = ?,
					end_time = ?, is_read = ?, data = ?, generation = ?, updated_at = ? WHERE user_id = ? AND item_id = ?`),
					p.Folder, r.ChangeKey, r.Kind, r.Subject, r.Sender, r.ItemTime, r.EndTime, r.IsRead, string(r.Data), gen, now, l.UserID, r.ItemID); err != nil {
					return err
				}
				res.Updated++
			}
			if _, err := feed.ExecContext(ctx, l.OrgID, l.UserID, r.ItemID, r.Kind, "upsert", now); err != nil {
				return err
			}
		}
		// New items go in insertRows at a time, each with its change-feed entry.
		for start := 0; start < len(inserts); start += insertRows {
			chunk := inserts[start:min(start+insertRows, len(inserts))]
			args := make([]any, 0, len(chunk)*14)
			feedArgs := make([]any, 0, len(chunk)*6)
			for _, r := range chunk {
				args = append(args, l.OrgID, l.UserID, p.Folder, r.ItemID, r.ChangeKey, r.Kind, r.Subject, r.Sender, r.ItemTime, r.EndTime, r.IsRead, string(r.Data), gen, now)
				feedArgs = append(feedArgs, l.OrgID, l.UserID, r.ItemID, r.Kind, "upsert", now)
			}
			if _, err := s.execIn(ctx, tx, insertItemsSQL(len(chunk)), args...); err != nil {
				return err
			}
			if _, err := s.execIn(ctx, tx, insertChangesSQL(len(chunk)), feedArgs...); err != nil {
				return err
			}
		}
		for _, rf := range p.ReadFlags {
			old, exists := have[rf.ItemID]
			if !exists || old.read == rf.IsRead && (rf.ChangeKey == "" || old.changeKey == rf.ChangeKey) {
				continue
			}
			ck := rf.ChangeKey
			if ck == "" {
				ck = old.changeKey
			}
			var kind string
			if err := tx.QueryRowContext(ctx, s.q(`UPDATE items SET is_read = ?, change_key = ?, updated_at = ? WHERE user_id = ? AND item_id = ? RETURNING kind`),
				rf.IsRead, ck, now, l.UserID, rf.ItemID).Scan(&kind); err != nil {
				return err
			}
			if _, err := feed.ExecContext(ctx, l.OrgID, l.UserID, rf.ItemID, kind, "upsert", now); err != nil {
				return err
			}
			res.Updated++
		}
		for _, id := range p.Deletes {
			if _, exists := have[id]; !exists {
				continue
			}
			var kind string
			if err := tx.QueryRowContext(ctx, s.q(`DELETE FROM items WHERE user_id = ? AND item_id = ? RETURNING kind`), l.UserID, id).Scan(&kind); err != nil {
				return err
			}
			if _, err := feed.ExecContext(ctx, l.OrgID, l.UserID, id, kind, "delete", now); err != nil {
				return err
			}
			res.Deleted++
		}
		if p.Last {
			// The end of a full pass: what this generation did not see is gone.
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO changes (org_id, user_id, item_id, kind, op, at)
				SELECT org_id, user_id, item_id, kind, 'delete', ? FROM items WHERE folder = ? AND generation < ? ORDER BY id`), now, p.Folder, gen); err != nil {
				return err
			}
			r, err := tx.ExecContext(ctx, s.q(`DELETE FROM items WHERE folder = ? AND generation < ?`), p.Folder, gen)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			res.Deleted += int(n)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE mailbox_folders SET sync_state = ?, complete = CASE WHEN ? THEN TRUE ELSE complete END WHERE id = ?`),
			p.NewState, p.Last, p.Folder); err != nil {
			return err
		}
		if delta := res.Created - res.Deleted; delta != 0 {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET items = items + ? WHERE user_id = ?`), delta, l.UserID); err != nil {
				return err
			}
		}
		if p.BeforeCommit != nil {
			p.BeforeCommit()
		}
		return nil
	})
	return res, wrap("commit page", err)
}

// ResetFolder starts a full resync of a folder (its SyncState was refused as invalid or
// expired): the state is cleared and the generation increased, so that the next full
// pass re-reads every item, updates what changed, and, when it ends, deletes what it did
// not see — without duplicates. It returns the new generation.
func (s *Store) ResetFolder(ctx context.Context, l Lease, folder int64) (int64, error) {
	var gen int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, l); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(`UPDATE mailbox_folders SET sync_state = '', complete = FALSE, generation = generation + 1
			WHERE id = ? AND user_id = ? RETURNING generation`), folder, l.UserID).Scan(&gen); err != nil {
			return err
		}
		return nil
	})
	return gen, wrap("reset folder", err)
}

// ResetHierarchy clears the mailbox's hierarchy SyncState (refused by Exchange).
func (s *Store) ResetHierarchy(ctx context.Context, l Lease) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkLease(ctx, tx, l); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE mailboxes SET hierarchy_state = '' WHERE user_id = ?`), l.UserID)
		return err
	})
	return wrap("reset hierarchy", err)
}

// StoredItem is an item as a reader sees it.
type StoredItem struct {
	ItemRecord
	OrgID, UserID int64
	FolderID      string
	UpdatedAt     time.Time
}

// ListItems returns a mailbox's stored items (the data API and the tests).
func (s *Store) ListItems(ctx context.Context, orgID, userID int64) ([]StoredItem, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT i.org_id, i.user_id, f.folder_id, i.item_id, i.change_key, i.kind, i.subject, i.sender,
			i.item_time, i.end_time, i.is_read, i.data, i.updated_at
		FROM items i JOIN mailbox_folders f ON f.id = i.folder WHERE i.org_id = ? AND i.user_id = ? ORDER BY i.item_id`), orgID, userID)
	if err != nil {
		return nil, wrap("list items", err)
	}
	defer rows.Close()
	var out []StoredItem
	for rows.Next() {
		var it StoredItem
		var t1, t2 sql.NullTime
		var data string
		if err := rows.Scan(&it.OrgID, &it.UserID, &it.FolderID, &it.ItemID, &it.ChangeKey, &it.Kind, &it.Subject, &it.Sender,
			&t1, &t2, &it.IsRead, &data, &it.UpdatedAt); err != nil {
			return nil, wrap("list items", err)
		}
		it.ItemTime, it.EndTime, it.Data, it.UpdatedAt = nullTime(t1), nullTime(t2), []byte(data), it.UpdatedAt.UTC()
		out = append(out, it)
	}
	return out, wrap("list items", rows.Err())
}

// Change is one entry of the change feed.
type Change struct {
	Seq    int64
	UserID int64
	ItemID string
	Kind   string
	Op     string // "upsert" or "delete"
	At     time.Time
}

// ListChanges returns an organization's changes after the cursor seq, in commit order.
func (s *Store) ListChanges(ctx context.Context, orgID, after int64, limit int) ([]Change, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT seq, user_id, item_id, kind, op, at FROM changes WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`), orgID, after, limit)
	if err != nil {
		return nil, wrap("list changes", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.Seq, &c.UserID, &c.ItemID, &c.Kind, &c.Op, &c.At); err != nil {
			return nil, wrap("list changes", err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, wrap("list changes", rows.Err())
}
