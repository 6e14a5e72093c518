package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mailbridge/mailbridge/internal/graph"
)

const goodToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.good"

// staticTokens is a TokenSource handing out one token, counting invalidations.
type staticTokens struct {
	mu          sync.Mutex
	tokens      []string // handed out in turn; the last one stays
	invalidated int
}

func (s *staticTokens) AccessToken(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[0], nil
}

func (s *staticTokens) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated++
	if len(s.tokens) > 1 {
		s.tokens = s.tokens[1:]
	}
}

// graphError writes Graph's error JSON.
func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", "7f0c7e2c-0000-4000-8000-000000000001")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{"date": "2026-12-07T10:00:00", "request-id": "7f0c7e2c-0000-4000-8000-000000000001",
			"client-request-id": "7f0c7e2c-0000-4000-8000-000000000001"},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

// change is one version of a message in the fake mailbox.
type change struct {
	version int
	deleted bool
	msg     map[string]any
}

// fakeGraph answers a few Graph endpoints as Microsoft documents them, over one
// mailbox whose Inbox changes under test control.
type fakeGraph struct {
	srv      *httptest.Server
	requests atomic.Int64
	prefers  chan string // the Prefer headers of delta requests

	mu      sync.Mutex
	version int
	inbox   map[string]change // by id: the latest change
	expired map[string]bool   // delta tokens that answer 410
}

func newFakeGraph(t *testing.T) *fakeGraph {
	f := &fakeGraph{inbox: map[string]change{}, expired: map[string]bool{}, prefers: make(chan string, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/users", f.users)
	mux.HandleFunc("GET /v1.0/users/{user}", f.user)
	mux.HandleFunc("GET /v1.0/users/{user}/mailFolders", f.folders)
	mux.HandleFunc("GET /v1.0/users/{user}/mailFolders/{folder}/childFolders", f.children)
	mux.HandleFunc("GET /v1.0/users/{user}/mailFolders/{folder}/messages/delta", f.messagesDelta)
	mux.HandleFunc("GET /v1.0/users/{user}/calendarView/delta", f.calendarDelta)
	mux.HandleFunc("GET /v1.0/users/{user}/contactFolders/{folder}/contacts/delta", f.contactsDelta)
	mux.HandleFunc("GET /v1.0/places/microsoft.graph.room", f.rooms)
	mux.HandleFunc("GET /v1.0/places/microsoft.graph.roomlist", f.roomLists)
	mux.HandleFunc("POST /v1.0/users/{user}/calendar/getSchedule", f.getSchedule)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+goodToken {
			graphError(w, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) client(t *testing.T, opts graph.Options) *graph.Client {
	t.Helper()
	opts.BaseURL = f.srv.URL + "/v1.0"
	c, err := graph.New(&staticTokens{tokens: []string{goodToken}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeGraph) users(w http.ResponseWriter, r *http.Request) {
	all := []map[string]any{
		{"id": "u1", "displayName": "Alice", "mail": "alice@contoso.com", "userPrincipalName": "alice@contoso.com", "accountEnabled": true},
		{"id": "u2", "displayName": "Bob", "mail": "bob@contoso.com", "userPrincipalName": "bob@contoso.com", "accountEnabled": true},
		{"id": "u3", "displayName": "Carol", "mail": "carol@contoso.com", "userPrincipalName": "carol@contoso.com", "accountEnabled": false},
	}
	resp := map[string]any{"@odata.context": f.srv.URL + "/v1.0/$metadata#users"}
	if r.URL.Query().Get("$skiptoken") == "" {
		resp["value"] = all[:2]
		resp["@odata.nextLink"] = f.srv.URL + "/v1.0/users?$select=id,displayName&$top=2&$skiptoken=RFNwdAIAAQAAAA"
	} else {
		resp["value"] = all[2:]
	}
	writeJSON(w, resp)
}

func (f *fakeGraph) user(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("user") {
	case "alice@contoso.com":
		writeJSON(w, map[string]any{"@odata.context": f.srv.URL + "/v1.0/$metadata#users/$entity", "id": "u1",
			"displayName": "Alice", "mail": "alice@contoso.com", "userPrincipalName": "alice@contoso.com"})
	case "bob@contoso.com":
		graphError(w, 403, "ErrorAccessDenied", "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.")
	case "dave@contoso.com":
		graphError(w, 404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
	default:
		graphError(w, 404, "Request_ResourceNotFound", "Resource '"+r.PathValue("user")+"' does not exist or one of its queried reference-property objects are not present.")
	}
}

func (f *fakeGraph) folders(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"value": []map[string]any{
		{"id": "AAMkInbox", "displayName": "Inbox", "parentFolderId": "AAMkRoot", "childFolderCount": 2, "totalItemCount": 5},
		{"id": "AAMkSent", "displayName": "Sent Items", "parentFolderId": "AAMkRoot"},
	}})
}

func (f *fakeGraph) children(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("folder") {
	case "AAMkInbox":
		if r.URL.Query().Get("$skiptoken") == "" {
			writeJSON(w, map[string]any{"value": []map[string]any{{"id": "AAMkProjects", "displayName": "Projects", "parentFolderId": "AAMkInbox", "childFolderCount": 1}},
				"@odata.nextLink": f.srv.URL + "/v1.0/users/" + r.PathValue("user") + "/mailFolders/AAMkInbox/childFolders?$skiptoken=2"})
			return
		}
		writeJSON(w, map[string]any{"value": []map[string]any{{"id": "AAMkReceipts", "displayName": "Receipts", "parentFolderId": "AAMkInbox"}}})
	case "AAMkProjects":
		writeJSON(w, map[string]any{"value": []map[string]any{{"id": "AAMkApollo", "displayName": "Apollo", "parentFolderId": "AAMkProjects"}}})
	default:
		graphError(w, 404, "ErrorItemNotFound", "The specified object was not found in the store.")
	}
}

// put records a new version of a message (nil msg: deleted).
func (f *fakeGraph) put(id string, msg map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	if msg == nil {
		f.inbox[id] = change{version: f.version, deleted: true}
		return
	}
	msg["id"] = id
	msg["@odata.type"] = "#microsoft.graph.message"
	msg["@odata.etag"] = fmt.Sprintf(`W/"CQAAABYAAAA%d"`, f.version)
	msg["changeKey"] = fmt.Sprintf("CQAAABYAAAA%d", f.version)
	msg["parentFolderId"] = "AAMkInbox"
	f.inbox[id] = change{version: f.version, msg: msg}
}

func (f *fakeGraph) expire(token string) {
	f.mu.Lock()
	f.expired[token] = true
	f.mu.Unlock()
}

// messagesDelta pages through the changes between two versions. The initial round
// (no token) reports live messages only; later rounds report deletions as @removed.
// $skiptoken is "from.to.offset"; $deltatoken is the version the round ended at.
func (f *fakeGraph) messagesDelta(w http.ResponseWriter, r *http.Request) {
	f.prefers <- strings.Join(r.Header.Values("Prefer"), ", ")
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	from, to, offset := 0, f.version, 0
	if tok := q.Get("$deltatoken"); tok != "" {
		if f.expired[tok] {
			graphError(w, 410, "SyncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
			return
		}
		from, _ = strconv.Atoi(tok)
	}
	if tok := q.Get("$skiptoken"); tok != "" {
		p := strings.Split(tok, ".")
		from, _ = strconv.Atoi(p[0])
		to, _ = strconv.Atoi(p[1])
		offset, _ = strconv.Atoi(p[2])
	}
	var ids []string
	for id, c := range f.inbox {
		if c.version > from && c.version <= to && !(from == 0 && c.deleted) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	size := 10
	if _, after, ok := strings.Cut(r.Header.Get("Prefer"), "odata.maxpagesize="); ok {
		size, _ = strconv.Atoi(strings.SplitN(after, ",", 2)[0])
	}
	end := min(offset+size, len(ids))
	var value []map[string]any
	for _, id := range ids[offset:end] {
		if c := f.inbox[id]; c.deleted {
			value = append(value, map[string]any{"@odata.type": "#microsoft.graph.message", "id": id, "@removed": map[string]any{"reason": "deleted"}})
		} else {
			value = append(value, c.msg)
		}
	}
	base := f.srv.URL + "/v1.0/users/" + r.PathValue("user") + "/mailFolders/" + r.PathValue("folder") + "/messages/delta"
	resp := map[string]any{"@odata.context": f.srv.URL + "/v1.0/$metadata#Collection(message)", "value": value}
	if end < len(ids) {
		resp["@odata.nextLink"] = fmt.Sprintf("%s?$skiptoken=%d.%d.%d", base, from, to, end)
	} else {
		resp["@odata.deltaLink"] = fmt.Sprintf("%s?$deltatoken=%d", base, to)
	}
	writeJSON(w, resp)
}

func (f *fakeGraph) calendarDelta(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	base := f.srv.URL + "/v1.0/users/" + r.PathValue("user") + "/calendarView/delta"
	if q.Get("$deltatoken") != "" {
		writeJSON(w, map[string]any{"value": []map[string]any{
			{"@odata.type": "#microsoft.graph.event", "id": "AAMkEv1", "@removed": map[string]any{"reason": "deleted"}},
		}, "@odata.deltaLink": base + "?$deltatoken=ev2"})
		return
	}
	if q.Get("startDateTime") != "2026-12-01T00:00:00Z" || q.Get("endDateTime") != "2027-01-01T00:00:00Z" {
		graphError(w, 400, "ErrorInvalidParameter", "startDateTime and endDateTime are required")
		return
	}
	writeJSON(w, map[string]any{"value": []map[string]any{{
		"@odata.type": "#microsoft.graph.event", "@odata.etag": `W/"DwAAABYAAAA"`, "id": "AAMkEv1", "changeKey": "DwAAABYAAAA",
		"subject": "Quarterly review", "bodyPreview": "Agenda attached", "isAllDay": false, "isCancelled": false, "type": "singleInstance",
		"iCalUId": "040000008200E00074C5B7101A82E008", "showAs": "busy",
		"start":     map[string]any{"dateTime": "2026-12-08T09:00:00.0000000", "timeZone": "UTC"},
		"end":       map[string]any{"dateTime": "2026-12-08T10:30:00.0000000", "timeZone": "UTC"},
		"location":  map[string]any{"displayName": "Conf Room Rainier"},
		"organizer": map[string]any{"emailAddress": map[string]any{"name": "Alice", "address": "alice@contoso.com"}},
		"attendees": []map[string]any{{"type": "required", "status": map[string]any{"response": "accepted", "time": "2026-12-01T10:00:00Z"},
			"emailAddress": map[string]any{"name": "Bob", "address": "bob@contoso.com"}}},
	}}, "@odata.deltaLink": base + "?$deltatoken=ev1"})
}

func (f *fakeGraph) contactsDelta(w http.ResponseWriter, r *http.Request) {
	base := f.srv.URL + "/v1.0/users/" + r.PathValue("user") + "/contactFolders/" + r.PathValue("folder") + "/contacts/delta"
	writeJSON(w, map[string]any{"value": []map[string]any{
		{"@odata.type": "#microsoft.graph.contact", "id": "AAMkCt1", "changeKey": "EQAAABYAAAA", "displayName": "Pavel Bansky",
			"givenName": "Pavel", "surname": "Bansky", "companyName": "Fabrikam", "jobTitle": "Buyer",
			"emailAddresses": []map[string]any{{"name": "Pavel Bansky", "address": "pavelb@fabrikam.example"}},
			"businessPhones": []string{"+1 732 555 0102"}, "mobilePhone": "+1 732 555 0199", "parentFolderId": r.PathValue("folder")},
		{"@odata.type": "#microsoft.graph.contact", "id": "AAMkCt2", "@removed": map[string]any{"reason": "deleted"}},
	}, "@odata.deltaLink": base + "?$deltatoken=ct1"})
}

func (f *fakeGraph) rooms(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"@odata.context": f.srv.URL + "/v1.0/$metadata#places/microsoft.graph.room", "value": []map[string]any{
		{"id": "3162F1E1-C4C0-604B-51D8-91DA78989EB1", "emailAddress": "cf100@contoso.com", "displayName": "Conf Room 100", "capacity": 50,
			"building": "1", "floorNumber": 1, "bookingType": "standard", "isWheelChairAccessible": false},
	}})
}

func (f *fakeGraph) roomLists(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"value": []map[string]any{
		{"id": "DC404124-302A-92AA-F98D-7B4DEB0C1705", "displayName": "Building 1", "emailAddress": "bldg1@contoso.com"},
	}})
}

func (f *fakeGraph) getSchedule(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Schedules []string `json:"schedules"`
		StartTime struct {
			DateTime string `json:"dateTime"`
			TimeZone string `json:"timeZone"`
		} `json:"startTime"`
		Interval int `json:"availabilityViewInterval"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.StartTime.TimeZone != "UTC" || req.Interval != 60 {
		graphError(w, 400, "ErrorInvalidRequest", fmt.Sprintf("bad request: %v %+v", err, req))
		return
	}
	var value []map[string]any
	for _, s := range req.Schedules {
		if s == "nobody@contoso.com" {
			value = append(value, map[string]any{"scheduleId": s, "availabilityView": "", "error": map[string]any{
				"message": "The recipient is not found.", "responseCode": "ErrorMailRecipientNotFound"}})
			continue
		}
		value = append(value, map[string]any{"scheduleId": s, "availabilityView": "0220", "scheduleItems": []map[string]any{{
			"isPrivate": false, "status": "busy", "subject": "Let's go for lunch", "location": "Harry's Bar",
			"start": map[string]any{"dateTime": "2026-12-08T01:00:00.0000000", "timeZone": "UTC"},
			"end":   map[string]any{"dateTime": "2026-12-08T03:00:00.0000000", "timeZone": "UTC"},
		}}, "workingHours": map[string]any{"daysOfWeek": []string{"monday"}, "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
			"timeZone": map[string]any{"name": "Pacific Standard Time"}}})
	}
	writeJSON(w, map[string]any{"value": value})
}
