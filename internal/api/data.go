package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
)

// queryError turns control's complaint about query parameters into a 400 naming them;
// other errors pass unchanged.
func queryError(err error, params ...string) error {
	var ie *control.InputError
	if !errors.As(err, &ie) {
		return err
	}
	var msgs []string
	for name, msg := range ie.Fields {
		if !slices.Contains(params, name) {
			return err
		}
		msgs = append(msgs, "Query parameter “"+name+"”: "+msg)
	}
	slices.Sort(msgs)
	return badRequest(strings.Join(msgs, " "), ie.Fields)
}

// queryLimit reads the optional page size "limit": 1 to control.MaxPageSize. A larger
// one is refused (400), not silently lowered, so that a client learns the bound.
func queryLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > control.MaxPageSize {
		msg := fmt.Sprintf("must be an integer from 1 to %d (default %d)", control.MaxPageSize, control.DefaultPageSize)
		return 0, badRequest("Query parameter “limit” "+msg+".", map[string]string{"limit": msg})
	}
	return n, nil
}

// queryTime reads an optional time parameter: RFC 3339 (2026-12-01T09:00:00Z) or a
// date (2026-12-01, midnight UTC).
func queryTime(r *http.Request, name string) (*time.Time, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		msg := "must be a time in RFC 3339 form (2026-12-01T09:00:00Z) or a date (2026-12-01)"
		return nil, badRequest("Query parameter “"+name+"” "+msg+".", map[string]string{name: msg})
	}
	t = t.UTC()
	return &t, nil
}

// pathItem returns the {item} wildcard: an EWS ItemId, sent URL-escaped (its base64
// has "/", "+" and "=").
func pathItem(r *http.Request) (string, error) {
	id := r.PathValue("item")
	if id == "" || len(id) > 1024 {
		return "", errNoSuchID
	}
	return id, nil
}

// nextCursor is a listing's next_cursor: null on the last page.
func nextCursor(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// itemList writes a page of items under key.
func itemList(w http.ResponseWriter, key string, p control.ItemPage) {
	items := make([]control.ItemJSON, len(p.Items))
	for i, v := range p.Items {
		items[i] = v.JSON()
	}
	writeJSON(w, http.StatusOK, map[string]any{key: items, "next_cursor": nextCursor(p.Next)})
}

func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request, c *call) error {
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := control.MessageFilter{Folder: q.Get("folder"), From: q.Get("from"), Cursor: q.Get("cursor"), Limit: limit}
	if f.ReceivedAfter, err = queryTime(r, "received_after"); err != nil {
		return err
	}
	if f.ReceivedBefore, err = queryTime(r, "received_before"); err != nil {
		return err
	}
	p, err := h.svc.ListMessages(r.Context(), c.p, c.org.ID, user, f)
	if err != nil {
		return queryError(err, "from", "received_before", "cursor", "limit")
	}
	itemList(w, "messages", p)
	return nil
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	f := control.EventFilter{Cursor: r.URL.Query().Get("cursor"), Limit: limit}
	if f.Start, err = queryTime(r, "start"); err != nil {
		return err
	}
	if f.End, err = queryTime(r, "end"); err != nil {
		return err
	}
	p, err := h.svc.ListEvents(r.Context(), c.p, c.org.ID, user, f)
	if err != nil {
		return queryError(err, "end", "cursor", "limit")
	}
	itemList(w, "events", p)
	return nil
}

func (h *Handler) listContacts(w http.ResponseWriter, r *http.Request, c *call) error {
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := h.svc.ListContacts(r.Context(), c.p, c.org.ID, user, control.ContactFilter{Query: q.Get("q"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return queryError(err, "q", "cursor", "limit")
	}
	itemList(w, "contacts", p)
	return nil
}

func (h *Handler) getMessage(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.getItem(w, r, c, control.KindMessage)
}

func (h *Handler) getEvent(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.getItem(w, r, c, control.KindEvent)
}

func (h *Handler) getContact(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.getItem(w, r, c, control.KindContact)
}

func (h *Handler) getItem(w http.ResponseWriter, r *http.Request, c *call, kind string) error {
	user, err := pathID(r, "user")
	if err != nil {
		return err
	}
	id, err := pathItem(r)
	if err != nil {
		return err
	}
	v, err := h.svc.GetItem(r.Context(), c.p, c.org.ID, user, kind, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v.JSON())
	return nil
}

// listChanges serves the change feed: see control.Service.Changes.
func (h *Handler) listChanges(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	p, err := h.svc.Changes(r.Context(), c.p, c.org.ID, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return queryError(err, "cursor", "limit")
	}
	out := struct {
		Changes    []control.ChangeJSON `json:"changes"`
		NextCursor string               `json:"next_cursor"`
		HasMore    bool                 `json:"has_more"`
	}{Changes: make([]control.ChangeJSON, len(p.Changes)), NextCursor: p.Next, HasMore: p.HasMore}
	for i, ch := range p.Changes {
		out.Changes[i] = ch.JSON()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
