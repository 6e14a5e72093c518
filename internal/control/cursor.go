package control

import (
	"encoding/base64"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// Cursors are opaque to clients: base64url (no padding) of a small JSON object with a
// version, the listing it belongs to (its kind, organization, mailbox and filters) and
// the position. One from another listing, organization or version is refused with a
// clear *InputError on "cursor", never silently read from the start.
const (
	cursorVersion = 1
	maxCursorLen  = 1024
)

// The listings a cursor may belong to.
const (
	cursorChanges  = "changes"
	cursorMessages = "messages"
	cursorEvents   = "events"
	cursorContacts = "contacts"
)

// cursor is what a cursor string holds.
type cursor struct {
	V int    `json:"v"`
	K string `json:"k"`           // the listing
	O int64  `json:"o"`           // organization
	U int64  `json:"u,omitempty"` // mailbox (user), for item listings
	F string `json:"f,omitempty"` // hash of the listing's filters
	S int64  `json:"s,omitempty"` // change feed: the last sequence number read
	T *int64 `json:"t,omitempty"` // item listings: the item's time, Unix nanoseconds (as stored)
	N string `json:"n,omitempty"` // contacts: the item's name key
	R int64  `json:"r,omitempty"` // item listings: the item's row
}

func (c cursor) encode() string {
	c.V = cursorVersion
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// filterHash sums up a listing's filters, so that a cursor is not used with others.
func filterHash(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// errCursor is the error of a cursor that cannot be used here.
func errCursor(msg string) *InputError {
	return inputErr("cursor", msg)
}

// decodeCursor reads a cursor string of the listing kind, of this organization, mailbox
// and filters.
func decodeCursor(s, kind string, orgID, userID int64, filters string) (cursor, error) {
	if len(s) > maxCursorLen {
		return cursor{}, errCursor("This cursor is not one mailbridge gave out: it is too long.")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err != nil || json.Unmarshal(b, &c) != nil || c.K == "" {
		return cursor{}, errCursor("This cursor is malformed: pass next_cursor of the previous page exactly as it was given.")
	}
	switch {
	case c.V != cursorVersion:
		return cursor{}, errCursor("This cursor is from another version of mailbridge; start again without a cursor.")
	case c.K != kind:
		return cursor{}, errCursor("This cursor belongs to another listing (" + c.K + "), not to " + kind + ".")
	case c.O != orgID:
		return cursor{}, errCursor("This cursor belongs to another organization's " + kind + ".")
	case c.U != userID:
		return cursor{}, errCursor("This cursor belongs to another mailbox's " + kind + ".")
	case c.F != filters:
		return cursor{}, errCursor("This cursor was made with other filters: pass the same filters as for the first page, or start again.")
	case c.S < 0 || c.R < 0:
		return cursor{}, errCursor("This cursor is malformed: pass next_cursor of the previous page exactly as it was given.")
	}
	return c, nil
}

// itemCursor encodes the place of a listing's next page.
func itemCursor(kind string, orgID, userID int64, filters string, k *store.ItemKey) string {
	if k == nil {
		return ""
	}
	c := cursor{K: kind, O: orgID, U: userID, F: filters, N: k.Name, R: k.Row}
	if k.Time != nil {
		ns := k.Time.UnixNano()
		c.T = &ns
	}
	return c.encode()
}

// itemKey reads the place a cursor holds ("" is the start: nil).
func itemKey(s, kind string, orgID, userID int64, filters string) (*store.ItemKey, error) {
	if s == "" {
		return nil, nil
	}
	c, err := decodeCursor(s, kind, orgID, userID, filters)
	if err != nil {
		return nil, err
	}
	k := &store.ItemKey{Name: c.N, Row: c.R}
	if c.T != nil {
		t := time.Unix(0, *c.T).UTC()
		k.Time = &t
	}
	return k, nil
}
