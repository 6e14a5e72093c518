package syncer_test

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
	"time"

	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// graphMailbox is one mailbox as Graph shows it, for GraphSource: an Inbox whose
// messages change under test control (delta rounds with @removed, expiring tokens),
// a Sent Items folder, one event and one contact. Its JSON follows Graph's documented
// answers.
type graphMailbox struct {
	srv  *httptest.Server
	gets atomic.Int64 // single-message GETs

	mu      sync.Mutex
	version int
	inbox   map[string]graphMsg
	expired bool // every message delta token answers 410
}

type graphMsg struct {
	version int
	deleted bool
	isRead  bool
	subject string
}

func newGraphMailbox(t *testing.T) *graphMailbox {
	g := &graphMailbox{inbox: map[string]graphMsg{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/users/{u}/mailFolders/{name}", func(w http.ResponseWriter, r *http.Request) {
		ids := map[string]string{"inbox": "AAMkInbox", "sentitems": "AAMkSent"}
		if ids[r.PathValue("name")] == "" {
			gerr(w, 404, "ErrorItemNotFound", "The specified object was not found in the store.")
			return
		}
		gjson(w, map[string]any{"id": ids[r.PathValue("name")], "displayName": r.PathValue("name"), "parentFolderId": "AAMkRoot"})
	})
	mux.HandleFunc("GET /v1.0/users/{u}/mailFolders/delta", func(w http.ResponseWriter, r *http.Request) {
		link := g.srv.URL + "/v1.0/users/" + r.PathValue("u") + "/mailFolders/delta?$deltatoken=f1"
		if r.URL.Query().Get("$deltatoken") != "" {
			gjson(w, map[string]any{"value": []any{}, "@odata.deltaLink": link})
			return
		}
		gjson(w, map[string]any{"value": []map[string]any{
			{"id": "AAMkInbox", "displayName": "Inbox", "parentFolderId": "AAMkRoot", "childFolderCount": 0},
			{"id": "AAMkSent", "displayName": "Sent Items", "parentFolderId": "AAMkRoot", "childFolderCount": 0},
			{"id": "AAMkDeleted", "displayName": "Deleted Items", "parentFolderId": "AAMkRoot", "childFolderCount": 0},
		}, "@odata.deltaLink": link})
	})
	mux.HandleFunc("GET /v1.0/users/{u}/mailFolders/{f}/messages/delta", g.messagesDelta)
	mux.HandleFunc("GET /v1.0/users/{u}/messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		g.gets.Add(1)
		gerr(w, 404, "ErrorItemNotFound", "The specified object was not found in the store.")
	})
	mux.HandleFunc("GET /v1.0/users/{u}/calendarView/delta", func(w http.ResponseWriter, r *http.Request) {
		link := g.srv.URL + "/v1.0/users/" + r.PathValue("u") + "/calendarView/delta?$deltatoken=c1"
		if r.URL.Query().Get("$deltatoken") != "" {
			gjson(w, map[string]any{"value": []any{}, "@odata.deltaLink": link})
			return
		}
		gjson(w, map[string]any{"value": []map[string]any{{
			"@odata.type": "#microsoft.graph.event", "id": "AAMkEvent1", "changeKey": "DwAAABYAAAA1", "subject": "Planning",
			"type": "singleInstance", "showAs": "busy", "iCalUId": "040000008200E00074C5B7101A82E0080000000001",
			"start":     map[string]any{"dateTime": "2026-12-09T09:00:00.0000000", "timeZone": "UTC"},
			"end":       map[string]any{"dateTime": "2026-12-09T10:00:00.0000000", "timeZone": "UTC"},
			"organizer": map[string]any{"emailAddress": map[string]any{"name": "Alice", "address": "Alice@Contoso.com"}},
			"attendees": []map[string]any{{"type": "optional", "emailAddress": map[string]any{"name": "Bob", "address": "bob@contoso.com"},
				"status": map[string]any{"response": "tentativelyAccepted"}}},
		}}, "@odata.deltaLink": link})
	})
	mux.HandleFunc("GET /v1.0/users/{u}/contactFolders/contacts/contacts/delta", func(w http.ResponseWriter, r *http.Request) {
		link := g.srv.URL + "/v1.0/users/" + r.PathValue("u") + "/contactFolders/contacts/contacts/delta?$deltatoken=k1"
		if r.URL.Query().Get("$deltatoken") != "" {
			gjson(w, map[string]any{"value": []any{}, "@odata.deltaLink": link})
			return
		}
		gjson(w, map[string]any{"value": []map[string]any{{
			"@odata.type": "#microsoft.graph.contact", "id": "AAMkContact1", "changeKey": "EQAAABYAAAA1", "displayName": "Pavel Bansky",
			"givenName": "Pavel", "surname": "Bansky", "emailAddresses": []map[string]any{{"name": "Pavel", "address": "PavelB@fabrikam.example"}},
			"businessPhones": []string{"+1 732 555 0102"},
		}}, "@odata.deltaLink": link})
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func gjson(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	json.NewEncoder(w).Encode(v)
}

func gerr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]any{"date": "2026-12-07T10:00:00", "request-id": "00000000-0000-4000-8000-000000000001"}}})
}

func (g *graphMailbox) put(id string, m graphMsg) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.version++
	m.version = g.version
	g.inbox[id] = m
}

// live returns the ids and change keys of the messages in the Inbox.
func (g *graphMailbox) live() map[string]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]string{}
	for id, m := range g.inbox {
		if !m.deleted {
			out[id] = fmt.Sprintf("CQAAABYAAAA%d", m.version)
		}
	}
	return out
}

// messagesDelta pages (2 per page) through the changes between two versions; tokens
// as in the graph package's tests: $skiptoken "from.to.offset", $deltatoken "to".
func (g *graphMailbox) messagesDelta(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g.mu.Lock()
	defer g.mu.Unlock()
	from, to, offset := 0, g.version, 0
	if tok := q.Get("$deltatoken"); tok != "" {
		if g.expired {
			gerr(w, 410, "SyncStateNotFound", "The sync state generation is not found. The delta token is expired and data must be synchronized again.")
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
	if r.PathValue("f") == "AAMkInbox" {
		for id, m := range g.inbox {
			if m.version > from && m.version <= to && !(from == 0 && m.deleted) {
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	end := min(offset+2, len(ids))
	value := []map[string]any{}
	for _, id := range ids[offset:end] {
		m := g.inbox[id]
		if m.deleted {
			value = append(value, map[string]any{"@odata.type": "#microsoft.graph.message", "id": id, "@removed": map[string]any{"reason": "deleted"}})
			continue
		}
		value = append(value, map[string]any{"@odata.type": "#microsoft.graph.message", "id": id,
			"changeKey": fmt.Sprintf("CQAAABYAAAA%d", m.version), "subject": m.subject, "isRead": m.isRead,
			"receivedDateTime": "2026-12-06T08:00:00Z", "parentFolderId": "AAMkInbox", "importance": "high",
			"from":         map[string]any{"emailAddress": map[string]any{"name": "Pat", "address": "Pat@Fabrikam.example"}},
			"toRecipients": []map[string]any{{"emailAddress": map[string]any{"name": "Alice", "address": "alice@contoso.com"}}}})
	}
	base := g.srv.URL + r.URL.Path
	resp := map[string]any{"value": value}
	if end < len(ids) {
		resp["@odata.nextLink"] = fmt.Sprintf("%s?$skiptoken=%d.%d.%d", base, from, to, end)
	} else {
		resp["@odata.deltaLink"] = fmt.Sprintf("%s?$deltatoken=%d", base, to)
	}
	gjson(w, resp)
}

func TestGraphSourceSyncsAndResyncs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d dialect) {
		g := newGraphMailbox(t)
		for i := 1; i <= 5; i++ {
			g.put(fmt.Sprintf("AAMkMsg%d", i), graphMsg{subject: fmt.Sprintf("Message %d", i)})
		}
		client, err := graph.New(tokenFunc(func() string { return "t" }), graph.Options{BaseURL: g.srv.URL + "/v1.0"})
		if err != nil {
			t.Fatal(err)
		}
		clk := &clock{now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
		src := &syncer.GraphSource{Client: client, Now: clk.Now}
		st, err := store.Open(ctx, d.dsn(t), store.Options{Migrate: true, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		o, err := st.CreateOrganization(ctx, store.System, "Contoso")
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.AddUsers(ctx, store.System, o.ID, "manual", []store.NewUser{{Email: "alice@contoso.com"}}, false)
		if err != nil {
			t.Fatal(err)
		}
		uid := res.Added[0].ID
		if _, err := st.ActivateMailboxes(ctx, store.System, o.ID); err != nil {
			t.Fatal(err)
		}
		e := syncer.New(st, syncer.Options{Now: clk.Now, LookBack: 90 * 24 * time.Hour})
		sync := func() syncer.Stats {
			t.Helper()
			l, err := st.AcquireLease(ctx, uid, "test", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			stats, err := e.SyncMailbox(ctx, l, "alice@contoso.com", src, syncer.AllFolders)
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if err := st.ReleaseLease(ctx, l); err != nil {
				t.Fatal(err)
			}
			return stats
		}
		// compare: the store holds the Inbox's live messages at their change keys, the
		// event and the contact, each once.
		compare := func(when string) []store.StoredItem {
			t.Helper()
			items, err := st.ListItems(ctx, o.ID, uid)
			if err != nil {
				t.Fatal(err)
			}
			want := g.live()
			want["AAMkEvent1"], want["AAMkContact1"] = "DwAAABYAAAA1", "EQAAABYAAAA1"
			got := map[string]string{}
			for _, it := range items {
				if _, dup := got[it.ItemID]; dup {
					t.Fatalf("%s: %s stored twice", when, it.ItemID)
				}
				got[it.ItemID] = it.ChangeKey
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: store holds %v, want %v", when, got, want)
			}
			return items
		}

		sync()
		items := compare("initial sync")
		for _, it := range items {
			var r syncer.Record
			if err := json.Unmarshal(it.Data, &r); err != nil {
				t.Fatal(err)
			}
			switch it.ItemID {
			case "AAMkMsg1":
				if it.Kind != "message" || it.Sender != "pat@fabrikam.example" || r.Importance != "High" || len(r.To) != 1 || it.ItemTime == nil {
					t.Errorf("message stored as %+v / %+v", it.ItemRecord, r)
				}
			case "AAMkEvent1":
				if it.Kind != "event" || it.Sender != "alice@contoso.com" || it.EndTime == nil || r.EventType != "Single" ||
					len(r.Optional) != 1 || r.Optional[0].Response != "tentativelyAccepted" || r.ShowAs != "Busy" {
					t.Errorf("event stored as %+v / %+v", it.ItemRecord, r)
				}
			case "AAMkContact1":
				if it.Kind != "contact" || len(r.Emails) != 1 || r.Emails[0] != "pavelb@fabrikam.example" || r.Phones[0].Kind != "BusinessPhone" {
					t.Errorf("contact stored as %+v / %+v", it.ItemRecord, r)
				}
			}
		}

		// Incremental: a new message, one read, one deleted.
		g.put("AAMkMsg6", graphMsg{subject: "Message 6"})
		g.put("AAMkMsg2", graphMsg{subject: "Message 2", isRead: true})
		g.put("AAMkMsg3", graphMsg{deleted: true})
		stats := sync()
		items = compare("incremental sync")
		if stats.Deleted != 1 {
			t.Errorf("incremental stats %+v, want 1 deletion", stats)
		}
		for _, it := range items {
			if it.ItemID == "AAMkMsg2" && !it.IsRead {
				t.Error("the read flag of AAMkMsg2 was not stored")
			}
		}

		// The delta token expires while the mailbox changes: a reconciling resync.
		g.mu.Lock()
		g.expired = true
		g.mu.Unlock()
		g.put("AAMkMsg4", graphMsg{deleted: true})
		g.put("AAMkMsg7", graphMsg{subject: "Message 7"})
		stats = sync()
		if stats.Resyncs != 2 { // the Inbox and Sent Items: every message delta token expired
			t.Errorf("stats after an expired delta link: %+v, want 2 resyncs", stats)
		}
		compare("after the resync")
		if n := g.gets.Load(); n != 0 {
			t.Errorf("%d single-message GETs: the delta pages' properties were not used", n)
		}
	})
}

// tokenFunc is a graph.TokenSource.
type tokenFunc func() string

func (f tokenFunc) AccessToken(_ context.Context) (string, error) { return f(), nil }
