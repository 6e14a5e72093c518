package exchangesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Graph delta queries run on the same engine as EWS's SyncFolderItems: a $skiptoken or
// $deltatoken carries a folder sync state (plus what the query remembers between rounds:
// $select and the calendar window), so that a change made through EWS or the admin API
// appears in the next Graph round and vice versa, and expiring a mailbox's sync states
// (the admin API's expire-sync-states, or Options.Faults' sync state TTL) makes Graph
// answer 410 Gone, as Exchange Online does when it has dropped a delta token.

// Page sizes of delta queries: Graph's default, and the largest odata.maxpagesize the
// simulator honours.
const (
	defaultDeltaPageSize = 10
	maxDeltaPageSize     = 1000
)

// deltaToken is the content of a $skiptoken or $deltatoken.
type deltaToken struct {
	Kind   string `json:"k"` // "message", "event" or "contact"
	Folder string `json:"f"` // distinguished name or EWS folder id
	Dist   bool   `json:"d,omitempty"`
	Select string `json:"s,omitempty"`
	Start  int64  `json:"a,omitempty"` // calendar window, Unix seconds
	End    int64  `json:"b,omitempty"`
	State  string `json:"x,omitempty"` // the EWS sync state
}

func (s *Simulator) deltaMAC(b []byte) []byte {
	mac := hmac.New(sha256.New, s.world.secret[:])
	mac.Write([]byte("graph delta token\x00"))
	mac.Write(b)
	return mac.Sum(nil)[:16]
}

func (s *Simulator) encodeDeltaToken(t deltaToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(s.deltaMAC(b))
}

func (s *Simulator) decodeDeltaToken(tok string) (deltaToken, bool) {
	var t deltaToken
	body, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return t, false
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.deltaMAC(b)) || json.Unmarshal(b, &t) != nil {
		return t, false
	}
	return t, true
}

func (t deltaToken) ref() FolderRef {
	if t.Dist {
		return FolderByName(t.Folder)
	}
	return FolderByID(t.Folder)
}

// deltaRequest reads the token of a delta request, or starts a new round with fresh.
func (s *Simulator) deltaRequest(r *http.Request, fresh deltaToken) (deltaToken, error) {
	q := r.URL.Query()
	tok := q.Get("$deltatoken")
	if tok == "" {
		tok = q.Get("$skiptoken")
	}
	if tok == "" {
		return fresh, nil
	}
	t, ok := s.decodeDeltaToken(tok)
	if !ok || t.Kind != fresh.Kind {
		return t, errBadRequest("The delta token is malformed or was issued for another query.")
	}
	return t, nil
}

// graphDelta answers one page of a delta query: the changes of the token's folder since
// its state, rendered by render (which may leave a change out, or turn it into a
// removal), with @odata.nextLink while changes remain and @odata.deltaLink at the end.
func (s *Simulator) graphDelta(w http.ResponseWriter, r *http.Request, mb *Mailbox, tok deltaToken, odataType string,
	render func(ItemChange) (entity map[string]any, removed, include bool)) error {
	size, applied, err := pageSize(r, defaultDeltaPageSize, maxDeltaPageSize)
	if err != nil {
		return err
	}
	sel := parseSelect(tok.Select)
	value := []map[string]any{}
	state, last := tok.State, false
	for len(value) < size && !last {
		var changes []ItemChange
		changes, state, last, err = mb.SyncItems(tok.ref(), state, min(size-len(value), maxChangesReturnedLimit), nil)
		if err != nil {
			return s.deltaError(r, err)
		}
		for _, c := range changes {
			removedEntity := map[string]any{"@odata.type": odataType, "id": restID(c.ItemId.Id), "@removed": map[string]string{"reason": "deleted"}}
			if c.Kind == ChangeDelete {
				value = append(value, removedEntity)
				continue
			}
			if c.Kind == ChangeReadFlag {
				it, err := mb.Item(c.ItemId.Id)
				if err != nil {
					continue // deleted since; the next round reports it
				}
				c.Item = it
			}
			e, removed, include := render(c)
			switch {
			case removed:
				value = append(value, removedEntity)
			case include:
				value = append(value, selectFields(e, sel))
			}
		}
	}
	tok.State = state
	s.writeDeltaPage(w, r, tok, odataType, value, last, applied, size)
	return nil
}

// writeDeltaPage answers a page of a delta round: its entries, then @odata.nextLink
// while changes remain or @odata.deltaLink at the end, each carrying tok.
func (s *Simulator) writeDeltaPage(w http.ResponseWriter, r *http.Request, tok deltaToken, odataType string, value []map[string]any,
	last, applied bool, size int) {
	link := requestBase(r) + r.URL.Path + "?"
	resp := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(" + strings.TrimPrefix(odataType, "#") + ")", "value": value}
	if last {
		resp["@odata.deltaLink"] = link + url.Values{"$deltatoken": {s.encodeDeltaToken(tok)}}.Encode()
	} else {
		resp["@odata.nextLink"] = link + url.Values{"$skiptoken": {s.encodeDeltaToken(tok)}}.Encode()
	}
	if applied {
		w.Header().Set("Preference-Applied", fmt.Sprintf("odata.maxpagesize=%d", size))
	}
	writeGraphJSON(w, http.StatusOK, resp)
}

// deltaError maps an error of the sync engine to Graph's answer: a state the mailbox no
// longer accepts is 410 Gone with a Location to start over from.
func (s *Simulator) deltaError(r *http.Request, err error) error {
	switch ews.Code(err) {
	case ews.ErrorInvalidSyncStateData:
		return &graphErr{status: http.StatusGone, code: "syncStateNotFound",
			msg:      "The sync state of this delta token is no longer available; restart the synchronization with a new delta request.",
			location: requestBase(r) + r.URL.Path}
	case ews.ErrorFolderNotFound, ews.ErrorInvalidIdMalformed:
		return &graphErr{status: http.StatusNotFound, code: "ErrorItemNotFound", msg: "The specified object was not found in the store."}
	case ews.ErrorNonExistentMailbox:
		return &graphErr{status: http.StatusNotFound, code: "MailboxNotEnabledForRESTAPI", msg: "The mailbox is either inactive, soft-deleted, or is hosted on-premise."}
	}
	return err
}

// ---- entity rendering shared by messages, events and contacts ----

func graphAddress(a ews.EmailAddress) map[string]any {
	return map[string]any{"emailAddress": map[string]string{"name": a.Name, "address": a.EmailAddress}}
}

func graphRecipients(rs *ews.Recipients) []map[string]any {
	out := []map[string]any{}
	if rs != nil {
		for _, a := range rs.Mailboxes {
			out = append(out, graphAddress(a))
		}
	}
	return out
}

func graphRecipient(r *ews.SingleRecipient) any {
	if r == nil {
		return nil
	}
	return graphAddress(r.Mailbox)
}

func graphBody(b *ews.Body) map[string]string {
	if b == nil {
		return map[string]string{"contentType": "text", "content": ""}
	}
	ct := "text"
	if strings.EqualFold(b.BodyType, "HTML") {
		ct = "html"
	}
	return map[string]string{"contentType": ct, "content": b.Value}
}

// bodyPreview is the first 255 characters of the body's text.
func bodyPreview(it *ews.Item) string {
	if it.Preview != "" {
		return it.Preview
	}
	if it.Body == nil {
		return ""
	}
	// One pass that stops at 255 characters: tags left out (HTML), runs of white space
	// made one space, none at either end. Bodies are kilobytes; the preview is not.
	const maxPreview = 255
	html := strings.EqualFold(it.Body.BodyType, "HTML")
	var b strings.Builder
	n, inTag, space := 0, false, false
	for _, c := range it.Body.Value {
		switch {
		case html && c == '<':
			inTag = true
			continue
		case html && c == '>':
			inTag = false
			continue
		case inTag:
			continue
		case unicode.IsSpace(c):
			space = n > 0
			continue
		}
		if space {
			if n++; n > maxPreview {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if n++; n > maxPreview {
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}

func categories(it *ews.Item) []string {
	if it.Categories == nil {
		return []string{}
	}
	return it.Categories.Strings
}

// baseEntity holds the properties every Outlook item has in Graph.
func baseEntity(it *ews.Item, odataType string) map[string]any {
	created := it.DateTimeCreated.Time
	modified := it.LastModifiedTime.Time
	if modified.IsZero() {
		modified = created
	}
	e := map[string]any{
		"@odata.type":          odataType,
		"id":                   restID(it.ItemId.Id),
		"createdDateTime":      graphTime(created),
		"lastModifiedDateTime": graphTime(modified),
		"changeKey":            it.ItemId.ChangeKey,
		"categories":           categories(it),
	}
	if it.ItemId.ChangeKey != "" {
		e["@odata.etag"] = `W/"` + it.ItemId.ChangeKey + `"`
	}
	if it.ParentFolderId != nil {
		e["parentFolderId"] = restID(it.ParentFolderId.Id)
	}
	return e
}

func boolOf(b *bool) bool { return b != nil && *b }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// windowOf reads a calendar window from startDateTime and endDateTime.
func windowOf(r *http.Request) (start, end time.Time, err error) {
	q := r.URL.Query()
	a, b := q.Get("startDateTime"), q.Get("endDateTime")
	if a == "" || b == "" {
		return start, end, &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter",
			msg: "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime."}
	}
	parse := func(v string) (time.Time, error) {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.0000000", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter",
			msg: fmt.Sprintf("The value '%s' of parameter 'StartDateTime' or 'EndDateTime' is invalid.", v)}
	}
	if start, err = parse(a); err != nil {
		return
	}
	if end, err = parse(b); err != nil {
		return
	}
	if !end.After(start) {
		return start, end, &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter", msg: "The end of the time window must be after its start."}
	}
	return start, end, nil
}
