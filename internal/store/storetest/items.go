package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// mailboxWith gives a mailbox these folders (all synced) under a lease, and returns the
// lease and the folders by folder id.
func mailboxWith(t *testing.T, s *store.Store, userID int64, folders ...store.Folder) (store.Lease, map[string]store.Folder) {
	t.Helper()
	l := must[store.Lease](t)(s.AcquireLease(ctx, userID, "worker", time.Minute))
	for i := range folders {
		folders[i].Synced = true
	}
	ok(t, s.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: folders, NewState: "h1"}))
	out := map[string]store.Folder{}
	for _, f := range must[[]store.Folder](t)(s.ListFolders(ctx, userID)) {
		out[f.FolderID] = f
	}
	return l, out
}

// commitItems stores a page of a folder's changes.
func commitItems(t *testing.T, s *store.Store, l store.Lease, f store.Folder, p store.PageCommit) {
	t.Helper()
	p.Folder, p.Generation, p.NewState = f.ID, f.Generation, fmt.Sprintf("%s-%d", f.FolderID, time.Now().UnixNano())
	must[store.PageResult](t)(s.CommitPage(ctx, l, p))
}

// at is a time on the test day, h hours after midnight UTC.
func at(h float64) *time.Time {
	t := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h * float64(time.Hour)))
	return &t
}

// record is an item as the sync engine stores it, with data of the given fields.
func record(id, kind, subject, sender string, itemTime, endTime *time.Time, data map[string]any) store.ItemRecord {
	if data == nil {
		data = map[string]any{}
	}
	data["kind"], data["subject"] = kind, subject
	b, _ := json.Marshal(data)
	return store.ItemRecord{ItemID: id, ChangeKey: "ck-" + id, Kind: kind, Subject: subject, Sender: sender, ItemTime: itemTime, EndTime: endTime, Data: b}
}

// ids returns the items' ids.
func ids(items []store.StoredItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ItemID
	}
	return out
}

// all pages through a listing, limit items at a time, and returns every id in order.
func all(t *testing.T, limit int, list func(after *store.ItemKey, limit int) (store.ItemPage, error)) []string {
	t.Helper()
	var out []string
	var after *store.ItemKey
	for range 100 {
		p := must[store.ItemPage](t)(list(after, limit))
		if len(p.Items) > limit || (p.Next != nil && len(p.Items) != limit) {
			t.Fatalf("a page of %d items (limit %d), next %+v", len(p.Items), limit, p.Next)
		}
		out = append(out, ids(p.Items)...)
		if p.Next == nil {
			return out
		}
		after = p.Next
	}
	t.Fatal("the listing does not end")
	return nil
}

// Messages newest first, paged with keys that resume exactly (ties broken by row,
// messages without a time last), filtered by folder (id or distinguished name), sender
// and received range; events by overlap with a range; contacts by name, searched by
// name and email; single items by id and kind. Nothing of another organization or
// mailbox is seen.
func testItemListings(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org, users := syncOrg(t, s, "Contoso", "alice@contoso.com", "bob@contoso.com")
	other, _ := syncOrg(t, s, "Fabrikam", "x@fabrikam.com")
	alice, bob := users[0], users[1]
	l, fs := mailboxWith(t, s, alice,
		store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"},
		store.Folder{FolderID: "proj", ParentID: "in", Name: "Projects", Class: "IPF.Note"},
		store.Folder{FolderID: "sent", Name: "Sent Items", Class: "IPF.Note", Distinguished: "sentitems"},
		store.Folder{FolderID: "cal", Name: "Calendar", Class: "IPF.Appointment", Distinguished: "calendar"},
		store.Folder{FolderID: "con", Name: "Contacts", Class: "IPF.Contact", Distinguished: "contacts"})
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: []store.ItemRecord{
		record("m1", "message", "One", "carol@contoso.com", at(1), nil, nil),
		record("m2", "message", "Two", "dave@contoso.com", at(2), nil, nil),
		record("m3", "message", "Three", "carol@contoso.com", at(3), nil, nil),
		record("m4", "message", "Four (same time as three)", "carol@contoso.com", at(3), nil, nil),
		record("m5", "message", "No date", "carol@contoso.com", nil, nil, nil),
	}})
	commitItems(t, s, l, fs["proj"], store.PageCommit{Upserts: []store.ItemRecord{
		record("m6", "message", "Project", "dave@contoso.com", at(2.5), nil, nil),
		record("m7", "message", "Also no date", "dave@contoso.com", nil, nil, nil),
	}})
	commitItems(t, s, l, fs["sent"], store.PageCommit{Upserts: []store.ItemRecord{
		record("m8", "message", "Sent", "alice@contoso.com", at(4), nil, nil),
	}})
	commitItems(t, s, l, fs["cal"], store.PageCommit{Upserts: []store.ItemRecord{
		record("e1", "event", "Early", "", at(8), at(9), nil),
		record("e2", "event", "Overlaps the start", "", at(9.5), at(10.5), nil),
		record("e3", "event", "Inside", "", at(11), at(12), nil),
		record("e4", "event", "Same start", "", at(11), at(11.5), nil),
		record("e5", "event", "Overlaps the end", "", at(13.5), at(14.5), nil),
		record("e6", "event", "Starts at the end", "", at(14), at(15), nil),
		record("e7", "event", "No end", "", at(12), nil, nil),
		record("e8", "event", "No length, at the start", "", at(10), at(10), nil),
		record("e9", "event", "No start", "", nil, nil, nil),
		record("e10", "event", "Ends at the start", "", at(9), at(10), nil),
	}})
	commitItems(t, s, l, fs["con"], store.PageCommit{Upserts: []store.ItemRecord{
		record("c1", "contact", "zoe Zimmer", "", nil, nil, map[string]any{"display_name": "zoe Zimmer", "given_name": "Zoe", "surname": "Zimmer", "emails": []string{"zoe@partner.example"}}),
		record("c2", "contact", "Adam Ant", "", nil, nil, map[string]any{"display_name": "Adam Ant", "given_name": "Adam", "surname": "Ant", "emails": []string{"adam@ants.example", "a.ant@home.example"}}),
		record("c3", "contact", "Mia 100% Miller", "", nil, nil, map[string]any{"display_name": "Mia 100% Miller", "given_name": "Mia", "surname": "Miller"}),
		record("c4", "contact", "ADAM Again", "", nil, nil, map[string]any{"display_name": "ADAM Again", "emails": "not a list"}),
		record("c5", "contact", "", "", nil, nil, map[string]any{"emails": []string{"nameless@x.example"}}),
	}})
	ok(t, s.ReleaseLease(ctx, l))
	// Bob's mailbox has a message of its own.
	lb, bfs := mailboxWith(t, s, bob, store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	commitItems(t, s, lb, bfs["in"], store.PageCommit{Upserts: []store.ItemRecord{record("bm1", "message", "Bob's", "carol@contoso.com", at(5), nil, nil)}})
	ok(t, s.ReleaseLease(ctx, lb))

	messages := func(q store.MessageQuery) func(*store.ItemKey, int) (store.ItemPage, error) {
		return func(after *store.ItemKey, limit int) (store.ItemPage, error) {
			q.After, q.Limit = after, limit
			return s.ListMessages(ctx, org.ID, alice, q)
		}
	}
	// m4 was stored after m3 at the same time: newest first puts it first.
	wantAll := []string{"m8", "m4", "m3", "m6", "m2", "m1", "m7", "m5"}
	for _, limit := range []int{1, 2, 3, 7, 8, 100} {
		if got := all(t, limit, messages(store.MessageQuery{})); !slices.Equal(got, wantAll) {
			t.Fatalf("messages by %d: %v, want %v", limit, got, wantAll)
		}
	}
	cases := []struct {
		name string
		q    store.MessageQuery
		want []string
	}{
		{"inbox by name", store.MessageQuery{Folder: "inbox"}, []string{"m4", "m3", "m2", "m1", "m5"}},
		{"subfolder by id", store.MessageQuery{Folder: "proj"}, []string{"m6", "m7"}},
		{"sent items", store.MessageQuery{Folder: "sentitems"}, []string{"m8"}},
		{"unknown folder", store.MessageQuery{Folder: "nope"}, nil},
		{"from", store.MessageQuery{From: "carol@contoso.com"}, []string{"m4", "m3", "m1", "m5"}},
		{"from in a folder", store.MessageQuery{From: "dave@contoso.com", Folder: "inbox"}, []string{"m2"}},
		{"received range", store.MessageQuery{ReceivedAfter: at(2), ReceivedBefore: at(3)}, []string{"m6", "m2"}},
		{"received after", store.MessageQuery{ReceivedAfter: at(3)}, []string{"m8", "m4", "m3"}},
		{"received before", store.MessageQuery{ReceivedBefore: at(2)}, []string{"m1"}},
	}
	for _, c := range cases {
		if got := all(t, 2, messages(c.q)); !slices.Equal(got, c.want) {
			t.Errorf("messages %s: %v, want %v", c.name, got, c.want)
		}
	}
	first := must[store.ItemPage](t)(s.ListMessages(ctx, org.ID, alice, store.MessageQuery{Limit: 1}))
	if it := first.Items[0]; it.FolderID != "sent" || it.OrgID != org.ID || it.UserID != alice || it.ChangeKey != "ck-m8" ||
		it.Sender != "alice@contoso.com" || !it.ItemTime.Equal(*at(4)) || it.Subject != "Sent" || string(it.Data) != `{"kind":"message","subject":"Sent"}` {
		t.Fatalf("first message %+v", it)
	}
	if p := must[store.ItemPage](t)(s.ListMessages(ctx, org.ID, alice, store.MessageQuery{})); len(p.Items) != 8 || p.Next != nil {
		t.Fatalf("the default page: %d items, next %v", len(p.Items), p.Next)
	}

	events := func(q store.EventQuery) func(*store.ItemKey, int) (store.ItemPage, error) {
		return func(after *store.ItemKey, limit int) (store.ItemPage, error) {
			q.After, q.Limit = after, limit
			return s.ListEvents(ctx, org.ID, alice, q)
		}
	}
	ecases := []struct {
		name string
		q    store.EventQuery
		want []string
	}{
		{"all", store.EventQuery{}, []string{"e1", "e10", "e2", "e8", "e3", "e4", "e7", "e5", "e6", "e9"}},
		{"overlapping 10:00-14:00", store.EventQuery{Start: at(10), End: at(14)}, []string{"e2", "e8", "e3", "e4", "e7", "e5"}},
		{"from 12:00", store.EventQuery{Start: at(12)}, []string{"e7", "e5", "e6"}},
		{"until 9:30", store.EventQuery{End: at(9.5)}, []string{"e1", "e10"}},
		{"nothing", store.EventQuery{Start: at(20), End: at(21)}, nil},
	}
	for _, c := range ecases {
		for _, limit := range []int{1, 4, 100} {
			if got := all(t, limit, events(c.q)); !slices.Equal(got, c.want) {
				t.Errorf("events %s by %d: %v, want %v", c.name, limit, got, c.want)
			}
		}
	}

	contacts := func(q store.ContactQuery) func(*store.ItemKey, int) (store.ItemPage, error) {
		return func(after *store.ItemKey, limit int) (store.ItemPage, error) {
			q.After, q.Limit = after, limit
			return s.ListContacts(ctx, org.ID, alice, q)
		}
	}
	ccases := []struct {
		q    string
		want []string
	}{
		{"", []string{"c5", "c4", "c2", "c3", "c1"}},
		{"adam", []string{"c4", "c2"}},
		{"ANTS.EXAMPLE", []string{"c2"}},
		{"home", []string{"c2"}},
		{"zimmer", []string{"c1"}},
		{"100%", []string{"c3"}},
		{"%", []string{"c3"}},
		{"_", nil},
		{"nameless@", []string{"c5"}},
		{"not a list", nil},
		{"nobody", nil},
	}
	for _, c := range ccases {
		for _, limit := range []int{1, 2, 100} {
			if got := all(t, limit, contacts(store.ContactQuery{Query: c.q})); !slices.Equal(got, c.want) {
				t.Errorf("contacts %q by %d: %v, want %v", c.q, limit, got, c.want)
			}
		}
	}

	got := must[store.StoredItem](t)(s.GetItem(ctx, org.ID, alice, "event", "e3"))
	if got.ItemID != "e3" || got.FolderID != "cal" || !got.EndTime.Equal(*at(12)) || got.Kind != "event" {
		t.Fatalf("get %+v", got)
	}
	_, err := s.GetItem(ctx, org.ID, alice, "message", "e3")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetItem(ctx, org.ID, bob, "event", "e3")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetItem(ctx, other.ID, alice, "event", "e3")
	wantErr(t, err, store.ErrNotFound)
	if p := must[store.ItemPage](t)(s.ListMessages(ctx, other.ID, alice, store.MessageQuery{})); len(p.Items) != 0 {
		t.Fatalf("another organization lists %v", ids(p.Items))
	}
	if p := must[store.ItemPage](t)(s.ListEvents(ctx, other.ID, alice, store.EventQuery{})); len(p.Items) != 0 {
		t.Fatal("another organization lists events")
	}
	if p := must[store.ItemPage](t)(s.ListContacts(ctx, other.ID, alice, store.ContactQuery{})); len(p.Items) != 0 {
		t.Fatal("another organization lists contacts")
	}
	if got := all(t, 5, func(after *store.ItemKey, limit int) (store.ItemPage, error) {
		return s.ListMessages(ctx, org.ID, bob, store.MessageQuery{After: after, Limit: limit})
	}); !slices.Equal(got, []string{"bm1"}) {
		t.Fatalf("bob's messages %v", got)
	}
}

// applyFeed applies feed entries to a consumer's copy (user/item -> item), as the
// feed's documentation says: an upsert sets the content it carries (none: the item was
// deleted since, and a later entry deletes it), a delete removes the item.
func applyFeed(copy map[string]store.StoredItem, entries []store.FeedEntry) {
	for _, e := range entries {
		key := fmt.Sprint(e.UserID, "/", e.ItemID)
		switch {
		case e.Op == "delete":
			delete(copy, key)
		case e.Item != nil:
			copy[key] = *e.Item
		}
	}
}

// sameAsStore fails unless the consumer's copy is the store's content of the mailboxes.
func sameAsStore(t *testing.T, s *store.Store, orgID int64, users []int64, copy map[string]store.StoredItem) {
	t.Helper()
	n := 0
	for _, u := range users {
		for _, it := range must[[]store.StoredItem](t)(s.ListItems(ctx, orgID, u)) {
			n++
			c, found := copy[fmt.Sprint(u, "/", it.ItemID)]
			if !found {
				t.Fatalf("the feed lacks %s", it.ItemID)
			}
			if c.ChangeKey != it.ChangeKey || c.IsRead != it.IsRead || c.FolderID != it.FolderID || c.Subject != it.Subject ||
				string(c.Data) != string(it.Data) || !c.UpdatedAt.Equal(it.UpdatedAt) || c.Kind != it.Kind || c.OrgID != orgID {
				t.Fatalf("the feed's %s:\n %+v\nthe store's:\n %+v", it.ItemID, c, it)
			}
		}
	}
	if len(copy) != n {
		t.Fatalf("the feed has %d items, the store %d", len(copy), n)
	}
}

// The change feed in commit order with each upsert's current content: read from the
// start, a page at a time, and applied, it gives the store's content, before and after
// updates, read flags and deletes; an upsert of an item deleted since carries none; a
// resumed read continues where it stopped; another organization's feed is its own.
func testChangeFeed(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org, users := syncOrg(t, s, "Contoso", "alice@contoso.com", "bob@contoso.com")
	other, otherUsers := syncOrg(t, s, "Fabrikam", "x@fabrikam.com")
	l, fs := mailboxWith(t, s, users[0], store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	lb, bfs := mailboxWith(t, s, users[1], store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	lo, ofs := mailboxWith(t, s, otherUsers[0], store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	var page []store.ItemRecord
	for i := range 12 {
		page = append(page, record(fmt.Sprint("m", i), "message", fmt.Sprint("Message ", i), "carol@contoso.com", at(float64(i)), nil, nil))
	}
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: page})
	commitItems(t, s, lb, bfs["in"], store.PageCommit{Upserts: page[:3]}) // the same ids in bob's mailbox
	commitItems(t, s, lo, ofs["in"], store.PageCommit{Upserts: page[:2]})

	copy := map[string]store.StoredItem{}
	read := func(after int64, limit int) int64 {
		t.Helper()
		for range 100 {
			entries := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, org.ID, after, limit))
			if len(entries) > limit {
				t.Fatalf("%d entries, limit %d", len(entries), limit)
			}
			for i, e := range entries {
				if e.Seq <= after || (i > 0 && e.Seq <= entries[i-1].Seq) {
					t.Fatalf("entry %d out of order after %d", e.Seq, after)
				}
				if e.Item != nil && (e.Item.ItemID != e.ItemID || e.Item.UserID != e.UserID) {
					t.Fatalf("entry %+v carries %+v", e.Change, e.Item)
				}
				if e.At.IsZero() || e.At.After(c.Now()) || e.At.Location() != time.UTC {
					t.Fatalf("entry at %v", e.At)
				}
			}
			applyFeed(copy, entries)
			if len(entries) < limit {
				if len(entries) > 0 {
					return entries[len(entries)-1].Seq
				}
				return after
			}
			after = entries[len(entries)-1].Seq
		}
		t.Fatal("the feed does not end")
		return 0
	}
	cursor := read(0, 5)
	sameAsStore(t, s, org.ID, users, copy)
	if n := len(copy); n != 15 {
		t.Fatalf("%d items from the feed", n)
	}

	// Changes: an update, a read flag, a delete; an item created and deleted again.
	c.Add(time.Minute)
	upd := page[4]
	upd.ChangeKey, upd.Subject, upd.Data = "ck-m4-2", "Message 4, edited", []byte(`{"kind":"message","subject":"Message 4, edited"}`)
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: []store.ItemRecord{upd, record("gone", "message", "Short-lived", "", at(20), nil, nil)},
		ReadFlags: []store.ReadFlag{{ItemID: "m5", ChangeKey: "ck-m5-2", IsRead: true}}})
	c.Add(time.Minute)
	commitItems(t, s, l, fs["in"], store.PageCommit{Deletes: []string{"m7", "gone"}})
	commitItems(t, s, lb, bfs["in"], store.PageCommit{Deletes: []string{"m0"}})
	entries := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, org.ID, cursor, 0))
	var ops []string
	for _, e := range entries {
		op := e.Op + " " + e.ItemID
		if e.Op == "upsert" && e.Item == nil {
			op += " (deleted since)"
		}
		ops = append(ops, op)
	}
	want := []string{"upsert m4", "upsert gone (deleted since)", "upsert m5", "delete m7", "delete gone", "delete m0"}
	if !slices.Equal(ops, want) {
		t.Fatalf("feed after the cursor:\n %q\nwant\n %q", ops, want)
	}
	if e := entries[2]; e.Item == nil || !e.Item.IsRead || e.Item.ChangeKey != "ck-m5-2" || e.Kind != "message" {
		t.Fatalf("read flag entry %+v %+v", e.Change, e.Item)
	}
	if e := entries[5]; e.UserID != users[1] {
		t.Fatalf("bob's delete %+v", e.Change)
	}
	read(cursor, 2)
	sameAsStore(t, s, org.ID, users, copy)

	// At least once: read again from the start into a fresh copy, same result.
	copy = map[string]store.StoredItem{}
	read(0, 1000)
	sameAsStore(t, s, org.ID, users, copy)

	// The other organization's feed has its own two items only.
	others := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, other.ID, 0, 0))
	if len(others) != 2 || others[0].UserID != otherUsers[0] {
		t.Fatalf("another organization's feed: %+v", others)
	}
	if got := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, other.ID, others[1].Seq, 0)); len(got) != 0 {
		t.Fatalf("%d entries after the end", len(got))
	}
	if got := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, org.ID, 0, 3)); len(got) != 3 {
		t.Fatalf("limit 3: %d entries", len(got))
	}
	for _, lease := range []store.Lease{l, lb, lo} {
		ok(t, s.ReleaseLease(ctx, lease))
	}
}
