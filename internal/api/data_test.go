package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
)

// databases are the stores the feed's tests run on.
var databases = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return "" }},
	{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
}

// syncedContoso is an organization with the users given, its configuration saved
// (which activates their mailboxes) and those in sync synced from the simulator; it
// returns the organization, its token and the users' ids by address.
func (e *env) syncedContoso(t *testing.T, users []string, sync ...string) (int64, string, map[string]int64) {
	t.Helper()
	org, tok := e.org(t, "Contoso", users...)
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", ids{org: org}), contosoConfig()).want(t, 200)
	id := map[string]int64{}
	list, err := e.Store.ListUsers(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		id[u.Email] = u.ID
	}
	for _, u := range sync {
		e.SyncMailbox(t, org, id[u], 7) // small pages: many commits
	}
	return org, tok, id
}

// feedEntry is an entry of the change feed as the API answers it.
type feedEntry struct {
	ID     string         `json:"id"`
	Seq    int64          `json:"seq"`
	Op     string         `json:"op"`
	Kind   string         `json:"kind"`
	UserID int64          `json:"user_id"`
	ItemID string         `json:"item_id"`
	At     string         `json:"at"`
	Item   map[string]any `json:"item"`
}

// consumer is a client of the change feed: its copy of the items (user/item -> the
// item's JSON) and the entries it read.
type consumer struct {
	items   map[string]map[string]any
	entries []feedEntry
}

func newConsumer() *consumer { return &consumer{items: map[string]map[string]any{}} }

// read reads the feed from cursor to its end, limit entries a page, applying each page
// as the feed's documentation says, and returns the cursor to read on from.
func (c *consumer) read(t *testing.T, e *env, tok string, org int64, cursor string, limit int) string {
	t.Helper()
	for range 10000 {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Changes    []feedEntry `json:"changes"`
			NextCursor string      `json:"next_cursor"`
			HasMore    bool        `json:"has_more"`
		}
		e.do(t, tok, "GET", path("/api/v1/orgs/{org}/changes", ids{org: org})+"?"+q.Encode(), nil).want(t, 200).decode(t, &page)
		if page.Changes == nil || page.NextCursor == "" || len(page.Changes) > limit || (page.HasMore && len(page.Changes) != limit) {
			t.Fatalf("page of %d entries (limit %d), next %q, has_more %v", len(page.Changes), limit, page.NextCursor, page.HasMore)
		}
		for _, ch := range page.Changes {
			if n := len(c.entries); n > 0 && ch.Seq <= c.entries[n-1].Seq {
				t.Fatalf("entry %d after %d", ch.Seq, c.entries[n-1].Seq)
			}
			if ch.ID != strconv.FormatInt(ch.Seq, 10) || ch.ItemID == "" || ch.UserID == 0 || !strings.HasSuffix(ch.At, "Z") {
				t.Fatalf("entry %+v", ch)
			}
			key := fmt.Sprint(ch.UserID, "/", ch.ItemID)
			switch {
			case ch.Op == "delete":
				if ch.Item != nil {
					t.Fatalf("a delete carries an item: %+v", ch)
				}
				delete(c.items, key)
			case ch.Op != "upsert":
				t.Fatalf("op %q", ch.Op)
			case ch.Item != nil:
				if ch.Item["id"] != ch.ItemID || ch.Item["kind"] != ch.Kind || ch.Item["user_id"] != float64(ch.UserID) {
					t.Fatalf("entry %+v carries %v", ch, ch.Item)
				}
				c.items[key] = ch.Item
			}
			c.entries = append(c.entries, ch)
		}
		cursor = page.NextCursor
		if !page.HasMore {
			return cursor
		}
	}
	t.Fatal("the feed does not end")
	return ""
}

// envelope are the item fields the API adds to the stored record.
var envelope = []string{"id", "change_key", "kind", "user_id", "folder_id", "is_read", "updated_at"}

// sameAsStore fails unless the consumer's copy is exactly the store's items of the
// users: the same items, each with the stored fields and record.
func (c *consumer) sameAsStore(t *testing.T, e *env, org int64, users ...int64) int {
	t.Helper()
	n := 0
	for _, u := range users {
		items, err := e.Store.ListItems(ctx, org, u)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			n++
			got, ok := c.items[fmt.Sprint(u, "/", it.ItemID)]
			if !ok {
				t.Fatalf("the feed lacks %s %s", it.Kind, it.ItemID)
			}
			updated, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(got["updated_at"]))
			if got["id"] != it.ItemID || got["change_key"] != it.ChangeKey || got["is_read"] != it.IsRead || got["folder_id"] != it.FolderID ||
				got["kind"] != it.Kind || got["user_id"] != float64(u) || !updated.Equal(it.UpdatedAt) {
				t.Fatalf("the feed's %s:\n %v\nthe store's:\n %+v", it.ItemID, got, it)
			}
			var rec map[string]any
			if err := json.Unmarshal(it.Data, &rec); err != nil {
				t.Fatal(err)
			}
			for k, v := range rec {
				if !reflect.DeepEqual(got[k], v) {
					t.Fatalf("%s: the feed's %s is %v, the store's %v", it.ItemID, k, got[k], v)
				}
			}
			for k := range got {
				if _, ok := rec[k]; !ok && !slices.Contains(envelope, k) {
					t.Fatalf("%s: the feed has %s=%v, which the store has not", it.ItemID, k, got[k])
				}
			}
		}
	}
	if len(c.items) != n {
		t.Fatalf("the feed has %d items, the store %d", len(c.items), n)
	}
	return n
}

// storedOf returns a user's stored items of a kind in a folder ("" any).
func storedOf(t *testing.T, e *env, org, user int64, kind, distinguished string) []store.StoredItem {
	t.Helper()
	items, err := e.Store.ListItems(ctx, org, user)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := e.Store.ListFolders(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.StoredItem
	for _, it := range items {
		if it.Kind != kind {
			continue
		}
		if distinguished != "" && !slices.ContainsFunc(folders, func(f store.Folder) bool {
			return f.FolderID == it.FolderID && f.Distinguished == distinguished
		}) {
			continue
		}
		out = append(out, it)
	}
	return out
}

// The change feed, read from the start a small page at a time and applied, gives
// exactly the store's content after a sync from the simulator; after changes in the
// simulator (a new message and contact, an edited subject, a read flag, deletes) and
// another sync, reading on from the saved cursor gives it again; an upsert of an item
// deleted since carries none, its delete follows; a second reader from the start gets
// the same entries with the same ids. On SQLite and on PostgreSQL.
func TestChangeFeed(t *testing.T) {
	t.Parallel()
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, controltest.Options{DSN: db.dsn(t)})
			org, tok, id := e.syncedContoso(t, []string{"alice@contoso.com", "carol@contoso.com"}, "alice@contoso.com", "carol@contoso.com")
			alice, carol := id["alice@contoso.com"], id["carol@contoso.com"]
			c := newConsumer()
			cursor := c.read(t, e, tok, org, "", 7)
			if n := c.sameAsStore(t, e, org, alice, carol); n < 60 {
				t.Fatalf("only %d items synced", n)
			}
			kinds := map[string]int{}
			for _, it := range c.items {
				kinds[it["kind"].(string)]++
			}
			if kinds["message"] == 0 || kinds["event"] == 0 || kinds["contact"] == 0 {
				t.Fatalf("kinds in the feed: %v", kinds)
			}
			// An entry's item is what the data API returns for the item.
			for _, kind := range []string{"message", "event", "contact"} {
				it := storedOf(t, e, org, alice, kind, "")[0]
				var got map[string]any
				e.do(t, tok, "GET", path("/api/v1/orgs/{org}/users/{user}/"+kind+"s/{item}", ids{org: org, user: alice, item: it.ItemID}), nil).want(t, 200).decode(t, &got)
				if want := c.items[fmt.Sprint(alice, "/", it.ItemID)]; !reflect.DeepEqual(got, want) {
					t.Fatalf("the data API's %s:\n %v\nthe feed's:\n %v", kind, got, want)
				}
			}

			// Changes in Exchange, then a sync.
			mb, err := e.World.Mailbox(ctx, "alice@contoso.com")
			if err != nil {
				t.Fatal(err)
			}
			inbox := storedOf(t, e, org, alice, "message", "inbox")
			events := storedOf(t, e, org, alice, "event", "")
			if len(inbox) < 4 || len(events) < 1 {
				t.Fatalf("%d inbox messages, %d events", len(inbox), len(events))
			}
			must := func(_ ews.ItemId, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(mb.CreateItem(exchangesim.FolderByName("inbox"), ews.Item{Subject: "New deal",
				From: &ews.SingleRecipient{Mailbox: ews.EmailAddress{Name: "Bob Brown", EmailAddress: "bob@contoso.com"}}}))
			must(mb.CreateItem(exchangesim.FolderByName("contacts"), ews.Item{DisplayName: "Zed Zulu", GivenName: "Zed", Surname: "Zulu",
				EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "zed@zulu.example"}}}}))
			edited := inbox[0].ItemID
			must(mb.UpdateItem(ews.ItemId{Id: edited}, func(it *ews.Item) error { it.Subject = "Edited subject"; return nil }))
			must(mb.SetRead(inbox[1].ItemID, !inbox[1].IsRead))
			if err := mb.DeleteItem(inbox[2].ItemID, exchangesim.HardDelete); err != nil {
				t.Fatal(err)
			}
			if err := mb.DeleteItem(events[0].ItemID, exchangesim.MoveToDeletedItems); err != nil {
				t.Fatal(err)
			}
			if st := e.SyncMailbox(t, org, alice, 3); st.Created != 2 || st.Updated != 2 || st.Deleted != 2 {
				t.Fatalf("second sync: %+v", st)
			}
			// The edited message goes too, after its update: the update's entry, read
			// now, carries nothing.
			if err := mb.DeleteItem(edited, exchangesim.HardDelete); err != nil {
				t.Fatal(err)
			}
			e.SyncMailbox(t, org, alice, 0)

			from := len(c.entries)
			next := c.read(t, e, tok, org, cursor, 3)
			c.sameAsStore(t, e, org, alice, carol)
			var ops []string
			for _, ch := range c.entries[from:] {
				op := ch.Op + " " + ch.Kind
				if ch.ItemID == edited {
					op += " (edited)"
				}
				if ch.Op == "upsert" && ch.Item == nil {
					op += " (deleted since)"
				}
				ops = append(ops, op)
			}
			slices.Sort(ops)
			want := []string{"delete event", "delete message", "delete message (edited)", "upsert contact", "upsert message", "upsert message",
				"upsert message (edited) (deleted since)"}
			if !slices.Equal(ops, want) {
				t.Fatalf("entries after the cursor:\n %q\nwant\n %q", ops, want)
			}
			// Nothing new: the same cursor back, no entries.
			if again := c.read(t, e, tok, org, next, 3); again != next || len(c.entries) != from+7 {
				t.Fatalf("an idle read moved the cursor or found %d entries", len(c.entries)-from-7)
			}

			// Another consumer from the start, in large pages: the same entries, ids and
			// content.
			c2 := newConsumer()
			c2.read(t, e, tok, org, "", 1000)
			c2.sameAsStore(t, e, org, alice, carol)
			if len(c2.entries) != len(c.entries) {
				t.Fatalf("%d entries, then %d", len(c.entries), len(c2.entries))
			}
			for i := range c.entries {
				a, b := c.entries[i], c2.entries[i]
				if a.ID != b.ID || a.Op != b.Op || a.ItemID != b.ItemID || a.At != b.At {
					t.Fatalf("entry %d: %+v, then %+v", i, a, b)
				}
			}
		})
	}
}

// The change feed's bad input: cursors malformed, of another version, listing or
// organization; limits out of bounds; another organization's feed.
func TestChangeFeedBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok, id := e.syncedContoso(t, []string{"alice@contoso.com"})
	other, otherTok := e.org(t, "Fabrikam")
	feed := path("/api/v1/orgs/{org}/changes", ids{org: org})

	// An organization with nothing synced: no entries, a cursor to poll with.
	var page struct {
		Changes    []feedEntry `json:"changes"`
		NextCursor string      `json:"next_cursor"`
		HasMore    bool        `json:"has_more"`
	}
	e.do(t, tok, "GET", feed, nil).want(t, 200).decode(t, &page)
	if len(page.Changes) != 0 || page.Changes == nil || page.NextCursor == "" || page.HasMore {
		t.Fatalf("empty feed: %+v", page)
	}
	e.do(t, tok, "GET", feed+"?cursor="+page.NextCursor, nil).want(t, 200)
	e.do(t, tok, "GET", feed+"?limit=1000", nil).want(t, 200)
	var foreign struct {
		NextCursor string `json:"next_cursor"`
	}
	e.do(t, otherTok, "GET", path("/api/v1/orgs/{org}/changes", ids{org: other}), nil).want(t, 200).decode(t, &foreign)
	var msgs struct {
		NextCursor *string `json:"next_cursor"`
	}
	e.SyncItems(t, id["alice@contoso.com"], 3)
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/users/{user}/messages?limit=1", ids{org: org, user: id["alice@contoso.com"]}), nil).want(t, 200).decode(t, &msgs)
	if msgs.NextCursor == nil {
		t.Fatal("no messages cursor")
	}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name, query string
		field, msg  string
	}{
		{"garbage cursor", "cursor=%21%21not-a-cursor", "cursor", "malformed"},
		{"cursor not JSON", "cursor=" + b64("v1:42"), "cursor", "malformed"},
		{"cursor of an unknown version", "cursor=" + b64(fmt.Sprintf(`{"v":2,"k":"changes","o":%d,"s":1}`, org)), "cursor", "another version"},
		{"cursor of another organization", "cursor=" + foreign.NextCursor, "cursor", "another organization"},
		{"cursor of another listing", "cursor=" + *msgs.NextCursor, "cursor", "another listing"},
		{"negative position", "cursor=" + b64(fmt.Sprintf(`{"v":1,"k":"changes","o":%d,"s":-5}`, org)), "cursor", "malformed"},
		{"very long cursor", "cursor=" + strings.Repeat("A", 5000), "cursor", "too long"},
		{"limit 0", "limit=0", "limit", "1 to 1000"},
		{"negative limit", "limit=-1", "limit", "1 to 1000"},
		{"huge limit", "limit=100000", "limit", "1 to 1000"},
		{"limit not a number", "limit=ten", "limit", "integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			er := e.do(t, tok, "GET", feed+"?"+c.query, nil).wantErr(t, 400, "invalid_input")
			if er.Error.Fields[c.field] == "" || !strings.Contains(er.Error.Message, c.msg) {
				t.Fatalf("error %+v", er.Error)
			}
		})
	}
	// Another organization's feed, or one that does not exist: 404.
	e.do(t, otherTok, "GET", feed, nil).wantErr(t, 404, "not_found")
	e.do(t, tok, "GET", "/api/v1/orgs/999999/changes", nil).wantErr(t, 404, "not_found")
	e.do(t, "", "GET", feed, nil).wantErr(t, 401, "unauthenticated")
}

// The data APIs over a synced mailbox: messages newest first, paged, filtered by folder
// (name or id), sender and received range; events overlapping a range; contacts by
// name, searched; single items by URL-escaped ItemId; another organization's or user's
// ids are 404; bad filters and cursors are 400.
func TestDataAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok, id := e.syncedContoso(t, []string{"alice@contoso.com", "carol@contoso.com"}, "alice@contoso.com")
	other, otherTok := e.org(t, "Fabrikam", "bob@contoso.com")
	alice := id["alice@contoso.com"]
	mine := ids{org: org, user: alice}
	type item struct {
		ID       string `json:"id"`
		Kind     string `json:"kind"`
		FolderID string `json:"folder_id"`
		Subject  string `json:"subject"`
		From     *struct {
			Address string `json:"address"`
		} `json:"from"`
		Received    *time.Time `json:"received"`
		Start       *time.Time `json:"start"`
		End         *time.Time `json:"end"`
		DisplayName string     `json:"display_name"`
		Emails      []string   `json:"emails"`
	}
	list := func(route, query string, limit int) []item {
		t.Helper()
		var out []item
		cursor := ""
		for range 1000 {
			q, _ := url.ParseQuery(query)
			q.Set("limit", strconv.Itoa(limit))
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var page map[string]json.RawMessage
			e.do(t, tok, "GET", path(route, mine)+"?"+q.Encode(), nil).want(t, 200).decode(t, &page)
			var items []item
			key := route[strings.LastIndex(route, "/")+1:]
			if err := json.Unmarshal(page[key], &items); err != nil || items == nil {
				t.Fatalf("%s: %s", key, page[key])
			}
			out = append(out, items...)
			var next *string
			json.Unmarshal(page["next_cursor"], &next)
			if next == nil {
				return out
			}
			if len(items) != limit {
				t.Fatalf("a page of %d before the last (limit %d)", len(items), limit)
			}
			cursor = *next
		}
		t.Fatal("the listing does not end")
		return nil
	}
	const messages, events, contacts = "/api/v1/orgs/{org}/users/{user}/messages", "/api/v1/orgs/{org}/users/{user}/events", "/api/v1/orgs/{org}/users/{user}/contacts"

	// Messages: all of them, newest first, in any page size.
	stored := storedOf(t, e, org, alice, "message", "")
	all := list(messages, "", 1000)
	if len(all) != len(stored) || len(all) < 20 {
		t.Fatalf("%d messages listed, %d stored", len(all), len(stored))
	}
	for i := range all {
		if all[i].Received == nil {
			t.Fatalf("message without a received time: %+v", all[i])
		}
		if i > 0 && all[i].Received.After(*all[i-1].Received) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	for _, limit := range []int{1, 7} {
		if got := list(messages, "", limit); !reflect.DeepEqual(got, all) {
			t.Fatalf("by %d: another listing", limit)
		}
	}
	folders, _ := e.Store.ListFolders(ctx, alice)
	folderOf := map[string]string{}
	for _, f := range folders {
		folderOf[f.Distinguished] = f.FolderID
	}
	count := func(items []item, keep func(item) bool) int {
		n := 0
		for _, it := range items {
			if keep(it) {
				n++
			}
		}
		return n
	}
	inbox := list(messages, "folder=inbox", 10)
	if len(inbox) == 0 || len(inbox) != count(all, func(it item) bool { return it.FolderID == folderOf["inbox"] }) ||
		count(inbox, func(it item) bool { return it.FolderID != folderOf["inbox"] }) != 0 {
		t.Fatalf("inbox: %d of %d", len(inbox), len(all))
	}
	sent := list(messages, "folder="+url.QueryEscape(folderOf["sentitems"]), 10)
	if len(sent) == 0 || !reflect.DeepEqual(sent, list(messages, "folder=SentItems", 10)) || len(sent)+len(inbox) > len(all) {
		t.Fatalf("sent items: %d", len(sent))
	}
	i := slices.IndexFunc(all, func(it item) bool { return it.From != nil && it.From.Address != "alice@contoso.com" })
	if i < 0 {
		t.Fatal("no message from someone else")
	}
	sender := all[i].From.Address
	fromSender := list(messages, "from="+url.QueryEscape(strings.ToUpper(sender)), 5)
	if len(fromSender) == 0 || len(fromSender) != count(all, func(it item) bool { return it.From != nil && it.From.Address == sender }) {
		t.Fatalf("from %s: %d", sender, len(fromSender))
	}
	mid := all[len(all)/2].Received
	after := list(messages, "received_after="+mid.Format(time.RFC3339), 10)
	before := list(messages, "received_before="+mid.Format(time.RFC3339), 10)
	if len(after)+len(before) != len(all) || count(after, func(it item) bool { return it.Received.Before(*mid) }) != 0 {
		t.Fatalf("received after %v: %d, before: %d, of %d", mid, len(after), len(before), len(all))
	}
	day := list(messages, "received_after="+mid.Format(time.DateOnly)+"&received_before="+mid.AddDate(0, 0, 1).Format(time.DateOnly), 10)
	if len(day) == 0 {
		t.Fatal("no message on the day of a message")
	}

	// One message, its id URL-escaped (the base64 has / + =), either way.
	msg := all[3]
	var got item
	e.do(t, tok, "GET", path(messages+"/{item}", ids{org: org, user: alice, item: msg.ID}), nil).want(t, 200).decode(t, &got)
	if !reflect.DeepEqual(got, msg) {
		t.Fatalf("get %+v, listed %+v", got, msg)
	}
	fully := strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(msg.ID)
	e.do(t, tok, "GET", path(messages, mine)+"/"+fully, nil).want(t, 200)

	// Events overlapping a range: those the store says, by start.
	evs := list(events, "", 1000)
	storedEvents := storedOf(t, e, org, alice, "event", "")
	if len(evs) != len(storedEvents) || len(evs) < 5 {
		t.Fatalf("%d events listed, %d stored", len(evs), len(storedEvents))
	}
	start, end := *evs[len(evs)/3].Start, *evs[2*len(evs)/3].Start
	ranged := list(events, "start="+start.Format(time.RFC3339)+"&end="+end.Format(time.RFC3339), 2)
	want := 0
	for _, ev := range storedEvents {
		if ev.ItemTime.Before(end) && (ev.EndTime.After(start) || !ev.ItemTime.Before(start)) {
			want++
		}
	}
	if len(ranged) != want || want == 0 {
		t.Fatalf("%d events in [%v, %v), want %d", len(ranged), start, end, want)
	}
	for i, ev := range ranged {
		if !ev.Start.Before(end) || (!ev.End.After(start) && ev.Start.Before(start)) || (i > 0 && ev.Start.Before(*ranged[i-1].Start)) {
			t.Fatalf("event %+v in [%v, %v)", ev, start, end)
		}
	}
	e.do(t, tok, "GET", path(events+"/{item}", ids{org: org, user: alice, item: evs[0].ID}), nil).want(t, 200).decode(t, &got)
	if got.ID != evs[0].ID || got.Kind != "event" || got.Start == nil {
		t.Fatalf("event %+v", got)
	}

	// Contacts by name, searched by name and address.
	cons := list(contacts, "", 3)
	names := map[string]string{} // id -> the stored name
	for _, c := range storedOf(t, e, org, alice, "contact", "") {
		names[c.ItemID] = c.Subject
	}
	if len(cons) != len(names) || len(cons) < 5 {
		t.Fatalf("%d contacts listed, %d stored", len(cons), len(names))
	}
	for i := 1; i < len(cons); i++ {
		if a, b := strings.ToLower(names[cons[i-1].ID]), strings.ToLower(names[cons[i].ID]); b < a {
			t.Fatalf("contacts not by name: %q after %q", b, a)
		}
	}
	target := cons[2]
	if len(target.Emails) == 0 {
		t.Fatalf("contact without an address: %+v", target)
	}
	local, _, _ := strings.Cut(target.Emails[0], "@")
	byMail := list(contacts, "q="+url.QueryEscape(strings.ToUpper(local)), 10)
	if !slices.ContainsFunc(byMail, func(c item) bool { return c.ID == target.ID }) {
		t.Fatalf("q=%s: %+v", local, byMail)
	}
	byName := list(contacts, "q="+url.QueryEscape(names[target.ID]), 10)
	if !slices.ContainsFunc(byName, func(c item) bool { return c.ID == target.ID }) {
		t.Fatalf("q=%s: %+v", names[target.ID], byName)
	}
	if none := list(contacts, "q=nobody-has-this", 10); len(none) != 0 {
		t.Fatalf("q=nobody: %+v", none)
	}
	e.do(t, tok, "GET", path(contacts+"/{item}", ids{org: org, user: alice, item: target.ID}), nil).want(t, 200)

	// Ids of another kind, user or organization: 404.
	carol := id["carol@contoso.com"]
	fab, _ := e.Store.ListUsers(ctx, other)
	notFound := []string{
		path(messages+"/{item}", ids{org: org, user: alice, item: evs[0].ID}),       // an event as a message
		path(contacts+"/{item}", ids{org: org, user: alice, item: msg.ID}),          // a message as a contact
		path(messages+"/{item}", ids{org: org, user: carol, item: msg.ID}),          // another user's
		path(messages+"/{item}", ids{org: org, user: alice, item: "AAMkAGNoSuch="}), // none
		path(messages+"/{item}", ids{org: other, user: alice, item: msg.ID}),        // another organization
		path(messages, ids{org: other, user: alice}),
		path(messages, ids{org: org, user: fab[0].ID}),
		path(events, ids{org: org, user: 999999}),
		"/api/v1/orgs/" + strconv.FormatInt(org, 10) + "/users/alice/contacts",
	}
	for _, p := range notFound {
		e.do(t, tok, "GET", p, nil).wantErr(t, 404, "not_found")
	}
	e.do(t, otherTok, "GET", path(messages, mine), nil).wantErr(t, 404, "not_found")
	e.do(t, otherTok, "GET", path(messages+"/{item}", ids{org: other, user: fab[0].ID, item: msg.ID}), nil).wantErr(t, 404, "not_found")

	// Bad filters, limits and cursors: 400, naming the parameter.
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	e.do(t, tok, "GET", path(messages, mine)+"?limit=2&folder=inbox", nil).want(t, 200).decode(t, &page)
	inboxCursor := *page.NextCursor
	e.do(t, tok, "GET", path(events, mine)+"?limit=2", nil).want(t, 200).decode(t, &page)
	eventCursor := *page.NextCursor
	e.do(t, tok, "GET", path(messages, ids{org: org, user: carol})+"?cursor="+inboxCursor, nil).wantErr(t, 400, "invalid_input")
	bad := []struct {
		route, query, field string
	}{
		{messages, "limit=0", "limit"},
		{messages, "limit=1001", "limit"},
		{events, "limit=-3", "limit"},
		{contacts, "limit=x", "limit"},
		{messages, "cursor=zzz", "cursor"},
		{messages, "cursor=" + eventCursor, "cursor"},
		{messages, "folder=sentitems&cursor=" + inboxCursor, "cursor"},
		{messages, "received_after=yesterday", "received_after"},
		{messages, "received_after=2026-12-02&received_before=2026-12-01", "received_before"},
		{messages, "from=not-an-address", "from"},
		{events, "start=2026-13-01", "start"},
		{events, "start=2026-12-02T00:00:00Z&end=2026-12-01T00:00:00Z", "end"},
		{contacts, "q=" + strings.Repeat("x", 201), "q"},
	}
	for _, b := range bad {
		er := e.do(t, tok, "GET", path(b.route, mine)+"?"+b.query, nil).wantErr(t, 400, "invalid_input")
		if er.Error.Fields[b.field] == "" || !strings.Contains(er.Error.Message, b.field) {
			t.Errorf("%s?%s: %+v", b.route, b.query, er.Error)
		}
	}
}
