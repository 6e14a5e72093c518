package control

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// Page sizes of the data listings and the change feed (store.DefaultPage and
// store.MaxPage): a larger limit is an *InputError, not silently lowered.
const (
	DefaultPageSize = store.DefaultPage
	MaxPageSize     = store.MaxPage
)

// Item kinds.
const (
	KindMessage = "message"
	KindEvent   = "event"
	KindContact = "contact"
)

// ItemView is a synced item as the data APIs and the change feed show it: where it is
// and its state, and the stored record (syncer.Record: a message's headers and dates, an
// event's times and attendees, a contact's names and addresses).
type ItemView struct {
	UserID    int64
	ItemID    string // the EWS ItemId
	ChangeKey string
	Kind      string // KindMessage, KindEvent, KindContact
	FolderID  string // the EWS FolderId of its folder
	IsRead    bool
	UpdatedAt time.Time // when mailbridge last stored a change of it
	Record    syncer.Record
}

func itemView(it store.StoredItem) (ItemView, error) {
	v := ItemView{UserID: it.UserID, ItemID: it.ItemID, ChangeKey: it.ChangeKey, Kind: it.Kind, FolderID: it.FolderID,
		IsRead: it.IsRead, UpdatedAt: it.UpdatedAt.UTC()}
	if err := json.Unmarshal(it.Data, &v.Record); err != nil {
		return v, fmt.Errorf("control: item %s: stored record: %w", it.ItemID, err)
	}
	v.Record.Kind = it.Kind
	return v, nil
}

// ItemPage is a page of a listing; Next is the cursor of the following page, "" on the
// last one.
type ItemPage struct {
	Items []ItemView
	Next  string
}

// checkLimit validates a page size: 0 means DefaultPageSize.
func checkLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, inputErr("limit", fmt.Sprintf("Ask for 1 to %d entries per page (default %d).", MaxPageSize, DefaultPageSize))
	}
	return n, nil
}

// mailboxUser returns store.ErrNotFound unless p may see the organization and the user
// is one of its users.
func (s *Service) mailboxUser(ctx context.Context, p Principal, orgID, userID int64) error {
	if err := orgAccess(p, orgID); err != nil {
		return err
	}
	_, err := s.st.GetUser(ctx, orgID, userID)
	return err
}

func (s *Service) itemPage(p store.ItemPage, err error, next func(*store.ItemKey) string) (ItemPage, error) {
	if err != nil {
		return ItemPage{}, err
	}
	out := ItemPage{Items: make([]ItemView, 0, len(p.Items)), Next: next(p.Next)}
	for _, it := range p.Items {
		v, err := itemView(it)
		if err != nil {
			return ItemPage{}, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// MessageFilter selects a mailbox's messages. Its zero value lists them all, newest first,
// DefaultPageSize at a time.
type MessageFilter struct {
	// Folder is a folder's EWS FolderId or a distinguished name (inbox, sentitems);
	// "inbox" is the Inbox itself, without its subfolders.
	Folder string
	// From keeps the messages of this sender address.
	From string
	// ReceivedAfter and ReceivedBefore bound the received time: [after, before).
	ReceivedAfter, ReceivedBefore *time.Time
	Cursor                        string // the previous page's Next; "" for the first page
	Limit                         int
}

// ListMessages returns a page of a user's synced messages, newest first (messages
// without a received time last, when no received range is asked for). A user of another
// organization is store.ErrNotFound; a bad filter, limit or cursor is an *InputError.
func (s *Service) ListMessages(ctx context.Context, p Principal, orgID, userID int64, f MessageFilter) (ItemPage, error) {
	if err := s.mailboxUser(ctx, p, orgID, userID); err != nil {
		return ItemPage{}, err
	}
	limit, err := checkLimit(f.Limit)
	if err != nil {
		return ItemPage{}, err
	}
	q := store.MessageQuery{Folder: messageFolder(f.Folder), ReceivedAfter: f.ReceivedAfter, ReceivedBefore: f.ReceivedBefore, Limit: limit}
	if f.From != "" {
		from, msg := NormalizeEmail(f.From)
		if msg != "" {
			return ItemPage{}, inputErr("from", msg)
		}
		q.From = from
	}
	if f.ReceivedAfter != nil && f.ReceivedBefore != nil && !f.ReceivedBefore.After(*f.ReceivedAfter) {
		return ItemPage{}, inputErr("received_before", "received_before must be later than received_after.")
	}
	filters := filterHash(q.Folder, q.From, timeKey(f.ReceivedAfter), timeKey(f.ReceivedBefore))
	if q.After, err = itemKey(f.Cursor, cursorMessages, orgID, userID, filters); err != nil {
		return ItemPage{}, err
	}
	pg, err := s.st.ListMessages(ctx, orgID, userID, q)
	return s.itemPage(pg, err, func(k *store.ItemKey) string { return itemCursor(cursorMessages, orgID, userID, filters, k) })
}

// messageFolder reads a folder filter: a distinguished name in any case, or a FolderId
// as it is.
func messageFolder(f string) string {
	f = strings.TrimSpace(f)
	switch l := strings.ToLower(f); l {
	case "inbox", "sentitems":
		return l
	}
	return f
}

// timeKey writes an optional time for a filter hash.
func timeKey(t *time.Time) string {
	if t == nil {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// EventFilter selects a mailbox's events overlapping [Start, End) (either may be nil:
// unbounded).
type EventFilter struct {
	Start, End *time.Time
	Cursor     string
	Limit      int
}

// ListEvents returns a page of a user's synced events by start time: with a range, the
// events overlapping it. A recurring series is one event, its master, with the master's
// (first occurrence's) times: occurrences are not expanded, so a series that started
// before the range is not listed for an occurrence inside it.
func (s *Service) ListEvents(ctx context.Context, p Principal, orgID, userID int64, f EventFilter) (ItemPage, error) {
	if err := s.mailboxUser(ctx, p, orgID, userID); err != nil {
		return ItemPage{}, err
	}
	limit, err := checkLimit(f.Limit)
	if err != nil {
		return ItemPage{}, err
	}
	if f.Start != nil && f.End != nil && !f.End.After(*f.Start) {
		return ItemPage{}, inputErr("end", "end must be later than start.")
	}
	filters := filterHash(timeKey(f.Start), timeKey(f.End))
	q := store.EventQuery{Start: f.Start, End: f.End, Limit: limit}
	if q.After, err = itemKey(f.Cursor, cursorEvents, orgID, userID, filters); err != nil {
		return ItemPage{}, err
	}
	pg, err := s.st.ListEvents(ctx, orgID, userID, q)
	return s.itemPage(pg, err, func(k *store.ItemKey) string { return itemCursor(cursorEvents, orgID, userID, filters, k) })
}

// ContactFilter selects a mailbox's contacts.
type ContactFilter struct {
	// Query keeps the contacts whose name or one of whose email addresses contains it
	// (case does not matter).
	Query  string
	Cursor string
	Limit  int
}

// maxQueryLen bounds a search.
const maxQueryLen = 200

// ListContacts returns a page of a user's synced contacts by name.
func (s *Service) ListContacts(ctx context.Context, p Principal, orgID, userID int64, f ContactFilter) (ItemPage, error) {
	if err := s.mailboxUser(ctx, p, orgID, userID); err != nil {
		return ItemPage{}, err
	}
	limit, err := checkLimit(f.Limit)
	if err != nil {
		return ItemPage{}, err
	}
	query := strings.TrimSpace(f.Query)
	if len(query) > maxQueryLen {
		return ItemPage{}, inputErr("q", fmt.Sprintf("Search for at most %d characters.", maxQueryLen))
	}
	filters := filterHash(strings.ToLower(query))
	q := store.ContactQuery{Query: query, Limit: limit}
	if q.After, err = itemKey(f.Cursor, cursorContacts, orgID, userID, filters); err != nil {
		return ItemPage{}, err
	}
	pg, err := s.st.ListContacts(ctx, orgID, userID, q)
	return s.itemPage(pg, err, func(k *store.ItemKey) string { return itemCursor(cursorContacts, orgID, userID, filters, k) })
}

// GetItem returns one synced item of a user by its EWS ItemId and kind; one of another
// organization, another user or another kind is store.ErrNotFound.
func (s *Service) GetItem(ctx context.Context, p Principal, orgID, userID int64, kind, itemID string) (ItemView, error) {
	if err := s.mailboxUser(ctx, p, orgID, userID); err != nil {
		return ItemView{}, err
	}
	it, err := s.st.GetItem(ctx, orgID, userID, kind, itemID)
	if err != nil {
		return ItemView{}, err
	}
	return itemView(it)
}

// ChangeView is an entry of the change feed.
type ChangeView struct {
	ID     string // stable: the same entry has the same id however often it is read
	Seq    int64  // the entry's place in the organization's feed
	Op     string // "upsert" or "delete"
	Kind   string // KindMessage, KindEvent, KindContact
	UserID int64
	ItemID string
	At     time.Time
	// Item is, for an upsert, the item as it is stored now; nil for a delete, and for an
	// upsert of an item deleted since (a later entry of the feed deletes it).
	Item *ItemView
}

// ItemJSON is an item as the API returns it and webhooks deliver it: where it is and
// its state, then the stored record's fields.
type ItemJSON struct {
	ID        string    `json:"id"`
	ChangeKey string    `json:"change_key"`
	UserID    int64     `json:"user_id"`
	FolderID  string    `json:"folder_id"`
	IsRead    bool      `json:"is_read"`
	UpdatedAt time.Time `json:"updated_at"`
	syncer.Record
}

// JSON returns the item's JSON shape.
func (v ItemView) JSON() ItemJSON {
	return ItemJSON{ID: v.ItemID, ChangeKey: v.ChangeKey, UserID: v.UserID, FolderID: v.FolderID, IsRead: v.IsRead,
		UpdatedAt: v.UpdatedAt.UTC(), Record: v.Record}
}

// ChangeJSON is a change-feed entry as the API returns it and "changes" webhooks
// deliver it: one shape for both, so a consumer applies either the same way.
type ChangeJSON struct {
	ID     string    `json:"id"`
	Seq    int64     `json:"seq"`
	Op     string    `json:"op"`
	Kind   string    `json:"kind"`
	UserID int64     `json:"user_id"`
	ItemID string    `json:"item_id"`
	At     time.Time `json:"at"`
	Item   *ItemJSON `json:"item"`
}

// JSON returns the entry's JSON shape.
func (c ChangeView) JSON() ChangeJSON {
	out := ChangeJSON{ID: c.ID, Seq: c.Seq, Op: c.Op, Kind: c.Kind, UserID: c.UserID, ItemID: c.ItemID, At: c.At.UTC()}
	if c.Item != nil {
		v := c.Item.JSON()
		out.Item = &v
	}
	return out
}

// changeView is a store's feed entry as a ChangeView.
func changeView(e store.FeedEntry) (ChangeView, error) {
	cv := ChangeView{ID: strconv.FormatInt(e.Seq, 10), Seq: e.Seq, Op: e.Op, Kind: e.Kind, UserID: e.UserID, ItemID: e.ItemID, At: e.At.UTC()}
	if e.Item != nil {
		v, err := itemView(*e.Item)
		if err != nil {
			return cv, err
		}
		cv.Item = &v
	}
	return cv, nil
}

// ChangePage is a page of the change feed. Next is the cursor to read on from (the
// same as the one given when nothing is new); HasMore tells that more entries are
// waiting already.
type ChangePage struct {
	Changes []ChangeView
	Next    string
	HasMore bool
}

// Changes returns a page of an organization's change feed after cursor ("" for the
// start): every create, update and delete of a synced message, event or contact, in
// commit order. Delivery is at least once: a consumer keeps Next only once it has applied
// the page, and may see entries again after a failure; ids are stable. Each upsert
// carries the item's current content, so applying the entries in order — an upsert as
// its content (or nothing when it has none), a delete as a removal — converges to the
// store's content. A cursor that is malformed, of another listing or of another
// organization is an *InputError on "cursor".
func (s *Service) Changes(ctx context.Context, p Principal, orgID int64, cur string, limit int) (ChangePage, error) {
	if err := orgAccess(p, orgID); err != nil {
		return ChangePage{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return ChangePage{}, err
	}
	limit, err := checkLimit(limit)
	if err != nil {
		return ChangePage{}, err
	}
	var after int64
	if cur != "" {
		c, err := decodeCursor(cur, cursorChanges, orgID, 0, "")
		if err != nil {
			return ChangePage{}, err
		}
		after = c.S
	}
	// One more than asked tells whether more are waiting.
	entries, err := s.st.ChangeFeed(ctx, orgID, after, limit+1)
	if err != nil {
		return ChangePage{}, err
	}
	out := ChangePage{Changes: make([]ChangeView, 0, min(len(entries), limit))}
	if len(entries) > limit {
		entries, out.HasMore = entries[:limit], true
	}
	for _, e := range entries {
		cv, err := changeView(e)
		if err != nil {
			return ChangePage{}, err
		}
		out.Changes = append(out.Changes, cv)
		after = e.Seq
	}
	out.Next = cursor{K: cursorChanges, O: orgID, S: after}.encode()
	return out, nil
}
