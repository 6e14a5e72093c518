package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Pages of the data APIs and the change feed: DefaultPage items unless asked, at most
// MaxPage.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// pageLimit bounds a requested page size.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPage
	case n > MaxPage:
		return MaxPage
	}
	return n
}

// ItemKey is an item's place in a listing, from which the next page resumes: the value
// the listing is sorted by and the item's row, which breaks ties.
type ItemKey struct {
	// Time is a message's received time or an event's start, in UTC; nil when the item
	// has none (such items are listed after the others).
	Time *time.Time
	// Name is a contact's sort key: its name, lower-cased.
	Name string
	Row  int64
}

// ItemPage is a page of a listing. Next is where the following page starts; nil on the
// last page.
type ItemPage struct {
	Items []StoredItem
	Next  *ItemKey
}

// MessageQuery selects a mailbox's messages, newest first.
type MessageQuery struct {
	// Folder is a folder's id or distinguished name ("inbox", "sentitems"); "" for all.
	Folder string
	// From keeps the messages of this sender address (lower case).
	From string
	// ReceivedAfter and ReceivedBefore bound the received time: [after, before).
	// Either bound leaves out messages without a received time.
	ReceivedAfter, ReceivedBefore *time.Time
	After                         *ItemKey // resume after this item
	Limit                         int      // DefaultPage when 0, at most MaxPage
}

// EventQuery selects a mailbox's events by start time. With Start or End, only events
// overlapping [Start, End) are listed: starting before End and ending after Start (an
// event without an end, or of no length, counts from its start). Recurring series are
// stored as their master (its first occurrence's times): occurrences are not expanded.
type EventQuery struct {
	Start, End *time.Time
	After      *ItemKey
	Limit      int
}

// ContactQuery selects a mailbox's contacts by name (case-insensitive for ASCII).
type ContactQuery struct {
	// Query keeps the contacts whose name (display, given or surname) or one of whose
	// email addresses contains it, case-insensitively.
	Query string
	After *ItemKey
	Limit int
}

// itemSelect reads items with their folders; scanItem reads a row of it.
const itemSelect = `SELECT i.id, i.org_id, i.user_id, f.folder_id, i.item_id, i.change_key, i.kind, i.subject, i.sender,
	i.item_time, i.end_time, i.is_read, i.data, i.updated_at`

const itemFrom = ` FROM items i JOIN mailbox_folders f ON f.id = i.folder`

type scanner interface{ Scan(dest ...any) error }

// scanItem reads a row of itemSelect, and extra columns after it.
func scanItem(r scanner, extra ...any) (StoredItem, int64, error) {
	var it StoredItem
	var row int64
	var t1, t2 sql.NullTime
	var data string
	dest := append([]any{&row, &it.OrgID, &it.UserID, &it.FolderID, &it.ItemID, &it.ChangeKey, &it.Kind, &it.Subject, &it.Sender,
		&t1, &t2, &it.IsRead, &data, &it.UpdatedAt}, extra...)
	if err := r.Scan(dest...); err != nil {
		return it, 0, err
	}
	it.ItemTime, it.EndTime, it.Data, it.UpdatedAt = nullTime(t1), nullTime(t2), []byte(data), it.UpdatedAt.UTC()
	return it, row, nil
}

// timedList is a listing sorted by item_time, then by row: the items that have a time,
// then (when withoutTime) those that have none, by row.
type timedList struct {
	kind        string
	desc        bool
	where       []string // more conditions, with their args
	args        []any
	withoutTime bool
}

// list returns a page of the listing after key.
func (s *Store) listTimed(ctx context.Context, orgID, userID int64, l timedList, after *ItemKey, limit int) (ItemPage, error) {
	limit = pageLimit(limit)
	base := itemSelect + itemFrom + ` WHERE i.org_id = ? AND i.user_id = ? AND i.kind = ?`
	for _, w := range l.where {
		base += " AND " + w
	}
	cmp, dir := ">", "ASC"
	if l.desc {
		cmp, dir = "<", "DESC"
	}
	// The bound on item_time alone lets the index's range start at the key.
	var out []StoredItem
	var keys []ItemKey
	read := func(query string, args ...any) error {
		rows, err := s.rdb.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, row, err := scanItem(rows)
			if err != nil {
				return err
			}
			out = append(out, it)
			keys = append(keys, ItemKey{Time: it.ItemTime, Row: row})
		}
		return rows.Err()
	}
	args := append([]any{orgID, userID, l.kind}, l.args...)
	// The items with a time: skipped when the previous page ended among those without.
	if after == nil || after.Time != nil {
		q, a := base+` AND i.item_time IS NOT NULL`, args
		if after != nil {
			q += ` AND i.item_time ` + cmp + `= ? AND (i.item_time ` + cmp + ` ? OR i.id ` + cmp + ` ?)`
			a = append(a, *after.Time, *after.Time, after.Row)
		}
		q += ` ORDER BY i.item_time ` + dir + `, i.id ` + dir + ` LIMIT ?`
		if err := read(q, append(a, limit+1)...); err != nil {
			return ItemPage{}, wrap("list items", err)
		}
	}
	if l.withoutTime && len(out) <= limit {
		q, a := base+` AND i.item_time IS NULL`, args
		if after != nil && after.Time == nil {
			q += ` AND i.id ` + cmp + ` ?`
			a = append(a, after.Row)
		}
		q += ` ORDER BY i.id ` + dir + ` LIMIT ?`
		if err := read(q, append(a, limit+1-len(out))...); err != nil {
			return ItemPage{}, wrap("list items", err)
		}
	}
	return page(out, keys, limit), nil
}

// page cuts a listing read one item beyond the limit.
func page(items []StoredItem, keys []ItemKey, limit int) ItemPage {
	if len(items) <= limit {
		return ItemPage{Items: items}
	}
	k := keys[limit-1]
	return ItemPage{Items: items[:limit], Next: &k}
}

// ListMessages returns a page of a mailbox's messages, newest first (received time,
// then the most recently stored); messages without a received time come last.
func (s *Store) ListMessages(ctx context.Context, orgID, userID int64, q MessageQuery) (ItemPage, error) {
	l := timedList{kind: "message", desc: true, withoutTime: q.ReceivedAfter == nil && q.ReceivedBefore == nil}
	if q.Folder != "" {
		l.where = append(l.where, `i.folder IN (SELECT id FROM mailbox_folders WHERE user_id = ? AND (folder_id = ? OR distinguished = ?))`)
		l.args = append(l.args, userID, q.Folder, q.Folder)
	}
	if q.From != "" {
		l.where = append(l.where, `i.sender = ?`)
		l.args = append(l.args, q.From)
	}
	if q.ReceivedAfter != nil {
		l.where = append(l.where, `i.item_time >= ?`)
		l.args = append(l.args, q.ReceivedAfter.UTC())
	}
	if q.ReceivedBefore != nil {
		l.where = append(l.where, `i.item_time < ?`)
		l.args = append(l.args, q.ReceivedBefore.UTC())
	}
	return s.listTimed(ctx, orgID, userID, l, q.After, q.Limit)
}

// ListEvents returns a page of a mailbox's events by start time (then by row); see
// EventQuery for the range.
func (s *Store) ListEvents(ctx context.Context, orgID, userID int64, q EventQuery) (ItemPage, error) {
	l := timedList{kind: "event", withoutTime: q.Start == nil && q.End == nil}
	if q.End != nil {
		l.where = append(l.where, `i.item_time < ?`)
		l.args = append(l.args, q.End.UTC())
	}
	if q.Start != nil {
		l.where = append(l.where, `(i.end_time > ? OR i.item_time >= ?)`)
		l.args = append(l.args, q.Start.UTC(), q.Start.UTC())
	}
	return s.listTimed(ctx, orgID, userID, l, q.After, q.Limit)
}

// ListContacts returns a page of a mailbox's contacts by name (lower-cased, in code
// point order), then by row.
func (s *Store) ListContacts(ctx context.Context, orgID, userID int64, q ContactQuery) (ItemPage, error) {
	limit := pageLimit(q.Limit)
	name := `LOWER(i.subject)`
	if s.dialect == Postgres {
		name = `LOWER(i.subject) COLLATE "C"`
	}
	query := itemSelect + `, ` + name + itemFrom + ` WHERE i.org_id = ? AND i.user_id = ? AND i.kind = 'contact'`
	args := []any{orgID, userID}
	if t := strings.ToLower(strings.TrimSpace(q.Query)); t != "" {
		pattern := "%" + likeEscaper.Replace(t) + "%"
		if s.dialect == Postgres {
			query += ` AND (LOWER(i.subject) LIKE ? ESCAPE '\' OR LOWER(COALESCE(i.data::jsonb ->> 'display_name', '')) LIKE ? ESCAPE '\'
				OR LOWER(COALESCE(i.data::jsonb ->> 'given_name', '')) LIKE ? ESCAPE '\' OR LOWER(COALESCE(i.data::jsonb ->> 'surname', '')) LIKE ? ESCAPE '\'
				OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(i.data::jsonb -> 'emails') = 'array'
					THEN i.data::jsonb -> 'emails' ELSE '[]'::jsonb END) e WHERE LOWER(e) LIKE ? ESCAPE '\'))`
		} else {
			query += ` AND (LOWER(i.subject) LIKE ? ESCAPE '\' OR LOWER(COALESCE(json_extract(i.data, '$.display_name'), '')) LIKE ? ESCAPE '\'
				OR LOWER(COALESCE(json_extract(i.data, '$.given_name'), '')) LIKE ? ESCAPE '\' OR LOWER(COALESCE(json_extract(i.data, '$.surname'), '')) LIKE ? ESCAPE '\'
				OR (json_type(i.data, '$.emails') = 'array' AND EXISTS (SELECT 1 FROM json_each(i.data, '$.emails') e WHERE LOWER(e.value) LIKE ? ESCAPE '\')))`
		}
		args = append(args, pattern, pattern, pattern, pattern, pattern)
	}
	if q.After != nil {
		query += ` AND ` + name + ` >= ? AND (` + name + ` > ? OR i.id > ?)`
		args = append(args, q.After.Name, q.After.Name, q.After.Row)
	}
	query += ` ORDER BY ` + name + `, i.id LIMIT ?`
	rows, err := s.rdb.QueryContext(ctx, s.q(query), append(args, limit+1)...)
	if err != nil {
		return ItemPage{}, wrap("list contacts", err)
	}
	defer rows.Close()
	var out []StoredItem
	var keys []ItemKey
	for rows.Next() {
		var key string
		it, row, err := scanItem(rows, &key)
		if err != nil {
			return ItemPage{}, wrap("list contacts", err)
		}
		out = append(out, it)
		keys = append(keys, ItemKey{Name: key, Row: row})
	}
	if err := rows.Err(); err != nil {
		return ItemPage{}, wrap("list contacts", err)
	}
	return page(out, keys, limit), nil
}

// likeEscaper escapes LIKE's wildcards (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// GetItem returns one stored item of a mailbox by its EWS item id and kind; another
// organization's, another mailbox's or another kind's is ErrNotFound.
func (s *Store) GetItem(ctx context.Context, orgID, userID int64, kind, itemID string) (StoredItem, error) {
	it, _, err := scanItem(s.rdb.QueryRowContext(ctx, s.q(itemSelect+itemFrom+` WHERE i.org_id = ? AND i.user_id = ? AND i.item_id = ? AND i.kind = ?`),
		orgID, userID, itemID, kind))
	return it, wrap("get item", err)
}

// FeedEntry is an entry of the change feed with, for an upsert, the item as it is
// stored now (nil when it has been deleted since: a later entry deletes it).
type FeedEntry struct {
	Change
	Item *StoredItem
}

// ChangeFeed returns an organization's changes after seq, in commit order, each upsert
// with its item's current content; at most limit (DefaultPage when 0, at most
// MaxPage+1, so that a caller can tell whether more follow a full page).
// Entries and items are read in one statement, so from one snapshot: applying the
// entries in order, each upsert as the content it carries, converges to the store's
// content (an item changed again later has a later entry too).
func (s *Store) ChangeFeed(ctx context.Context, orgID, after int64, limit int) ([]FeedEntry, error) {
	if limit <= 0 {
		limit = DefaultPage
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT c.seq, c.user_id, c.item_id, c.kind, c.op, c.at,
			i.id, i.org_id, i.user_id, f.folder_id, i.item_id, i.change_key, i.kind, i.subject, i.sender, i.item_time, i.end_time,
			i.is_read, i.data, i.updated_at
		FROM changes c
		LEFT JOIN items i ON c.op = 'upsert' AND i.user_id = c.user_id AND i.item_id = c.item_id AND i.org_id = c.org_id
		LEFT JOIN mailbox_folders f ON f.id = i.folder
		WHERE c.org_id = ? AND c.seq > ? ORDER BY c.seq LIMIT ?`), orgID, after, min(limit, MaxPage+1))
	if err != nil {
		return nil, wrap("change feed", err)
	}
	defer rows.Close()
	var out []FeedEntry
	for rows.Next() {
		var e FeedEntry
		var (
			row, org, user                              sql.NullInt64
			folder, id, ck, kind, subject, sender, data sql.NullString
			t1, t2, updated                             sql.NullTime
			read                                        sql.NullBool
		)
		if err := rows.Scan(&e.Seq, &e.UserID, &e.ItemID, &e.Kind, &e.Op, &e.At,
			&row, &org, &user, &folder, &id, &ck, &kind, &subject, &sender, &t1, &t2, &read, &data, &updated); err != nil {
			return nil, wrap("change feed", err)
		}
		e.At = e.At.UTC()
		if row.Valid {
			e.Item = &StoredItem{ItemRecord: ItemRecord{ItemID: id.String, ChangeKey: ck.String, Kind: kind.String, Subject: subject.String,
				Sender: sender.String, ItemTime: nullTime(t1), EndTime: nullTime(t2), IsRead: read.Bool, Data: []byte(data.String)},
				OrgID: org.Int64, UserID: user.Int64, FolderID: folder.String, UpdatedAt: updated.Time.UTC()}
		}
		out = append(out, e)
	}
	return out, wrap("change feed", rows.Err())
}
