package exchangesim

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// replica is a sync client's copy of a folder. apply enforces the client's side of the
// contract: no Create for a known id, no Update, ReadFlagChange or Delete for an unknown
// one, a ReadFlagChange only when the content the client holds is current.
type replica struct {
	items map[string]replicaItem
	state string
	// exact also fails an Update that brings no new content (a change that should have
	// been a ReadFlagChange), for tests whose updates always change the subject.
	exact bool
}

type replicaItem struct {
	changeKey, subject string
	isRead             *bool
}

func newReplica() *replica { return &replica{items: map[string]replicaItem{}} }

func (r *replica) apply(t testing.TB, m *Mailbox, changes []ItemChange) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range changes {
		id := c.ItemId.Id
		if seen[id] {
			t.Fatalf("%s for %s twice in one page", c.Kind, id)
		}
		seen[id] = true
		old, known := r.items[id]
		switch c.Kind {
		case ChangeCreate:
			if known {
				t.Fatalf("Create for known id %s", id)
			}
			r.items[id] = replicaItem{c.ItemId.ChangeKey, c.Item.Subject, c.Item.IsRead}
		case ChangeUpdate:
			if !known {
				t.Fatalf("Update for unknown id %s", id)
			}
			if r.exact && c.Item.Subject == old.subject {
				t.Fatalf("Update for %s without a content change (%q)", id, old.subject)
			}
			r.items[id] = replicaItem{c.ItemId.ChangeKey, c.Item.Subject, c.Item.IsRead}
		case ChangeReadFlag:
			if !known {
				t.Fatalf("ReadFlagChange for unknown id %s", id)
			}
			cur, err := m.Item(id)
			if err != nil {
				t.Fatalf("ReadFlagChange for %s: %v", id, err)
			}
			if cur.Subject != old.subject {
				t.Fatalf("ReadFlagChange for %s whose content changed (%q, client has %q)", id, cur.Subject, old.subject)
			}
			old.changeKey, old.isRead = c.ItemId.ChangeKey, ews.Bool(c.IsRead)
			r.items[id] = old
		case ChangeDelete:
			if !known {
				t.Fatalf("Delete for unknown id %s", id)
			}
			if c.ItemId.ChangeKey != "" {
				t.Fatalf("Delete with a ChangeKey")
			}
			delete(r.items, id)
		default:
			t.Fatalf("change kind %v", c.Kind)
		}
		if c.Kind != ChangeDelete && c.ItemId.ChangeKey == "" {
			t.Fatalf("%s without ChangeKey", c.Kind)
		}
	}
}

// page runs one SyncItems call and applies it.
func (r *replica) page(t testing.TB, m *Mailbox, ref FolderRef, n int) ([]ItemChange, bool) {
	t.Helper()
	changes, st, last, err := m.SyncItems(ref, r.state, n, nil)
	if err != nil {
		t.Fatalf("SyncItems: %v", err)
	}
	if len(changes) > n {
		t.Fatalf("%d changes for MaxChangesReturned %d", len(changes), n)
	}
	if !last && len(changes) < n {
		t.Fatalf("short page (%d of %d) without IncludesLastItemInRange", len(changes), n)
	}
	r.apply(t, m, changes)
	r.state = st
	return changes, last
}

// syncToEnd pages until IncludesLastItemInRange and returns all changes and the page count.
func (r *replica) syncToEnd(t testing.TB, m *Mailbox, ref FolderRef, n int) ([]ItemChange, int) {
	t.Helper()
	var all []ItemChange
	for pages := 1; pages < 100000; pages++ {
		changes, last := r.page(t, m, ref, n)
		all = append(all, changes...)
		if last {
			return all, pages
		}
	}
	t.Fatal("sync never ended")
	return nil, 0
}

// equal fails unless the replica is exactly the folder's content.
func (r *replica) equal(t testing.TB, m *Mailbox, ref FolderRef) {
	t.Helper()
	items := folderItems(t, m, ref)
	if len(items) != len(r.items) {
		t.Fatalf("replica has %d items, folder %d", len(r.items), len(items))
	}
	for _, it := range items {
		got, ok := r.items[it.ItemId.Id]
		if !ok {
			t.Fatalf("replica misses %s (%q)", it.ItemId.Id, it.Subject)
		}
		if got.changeKey != it.ItemId.ChangeKey || got.subject != it.Subject || !sameBool(got.isRead, it.IsRead) {
			t.Fatalf("replica has %+v for %q, folder ck %s read %v", got, it.Subject, it.ItemId.ChangeKey, boolStr(it.IsRead))
		}
	}
}

func sameBool(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func boolStr(b *bool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(*b)
}

func TestSyncItemsInitialPaging(t *testing.T) {
	t.Parallel()
	for _, folder := range []struct {
		name  string
		count int
	}{{"inbox", 50}, {"calendar", 20}, {"contacts", 10}, {"sentitems", 10}, {"drafts", 0}} {
		for _, n := range []int{1, 7, 512} {
			t.Run(fmt.Sprintf("%s/N=%d", folder.name, n), func(t *testing.T) {
				t.Parallel()
				w, _ := contosoWorld(t)
				m := mailbox(t, w, "carol@contoso.com")
				ref := FolderByName(folder.name)
				r := newReplica()
				changes, pages := r.syncToEnd(t, m, ref, n)
				if len(changes) != folder.count {
					t.Fatalf("%d changes, want %d", len(changes), folder.count)
				}
				for _, c := range changes {
					if c.Kind != ChangeCreate {
						t.Fatalf("initial sync gave %s", c.Kind)
					}
				}
				if want := max(1, (folder.count+n-1)/n); pages != want {
					t.Fatalf("%d pages, want %d", pages, want)
				}
				r.equal(t, m, ref)
				// Up to date: nothing more, and the state stays the same size.
				again, last := r.page(t, m, ref, n)
				if len(again) != 0 || !last {
					t.Fatalf("second sync: %d changes, last %v", len(again), last)
				}
			})
		}
	}
}

func TestSyncItemsInitialSyncMatchesChangeNumberOrder(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	r := newReplica()
	changes, _ := r.syncToEnd(t, m, FolderByName("inbox"), 512)
	// Generated mail arrives oldest first, so the initial sync is in received order.
	for i := 1; i < len(changes); i++ {
		if changes[i].Item.DateTimeReceived.Before(changes[i-1].Item.DateTimeReceived.Time) {
			t.Fatalf("change %d received before change %d", i, i-1)
		}
	}
}

// mutation is one change to alice's inbox and the changes a synced client must then see.
type mutation struct {
	name string
	do   func(t *testing.T, w *World, m *Mailbox, items []ews.Item) (touched string)
	want []ChangeKind // in the inbox
}

func TestSyncItemsEachChangeKind(t *testing.T) {
	t.Parallel()
	inbox := FolderByName("inbox")
	unread := func(items []ews.Item) ews.Item {
		for _, it := range items {
			if !*it.IsRead {
				return it
			}
		}
		panic("no unread item")
	}
	tests := []mutation{
		{"create", func(t *testing.T, _ *World, m *Mailbox, _ []ews.Item) string {
			return must[ews.ItemId](t)(m.CreateItem(inbox, newMessage("new"))).Id
		}, []ChangeKind{ChangeCreate}},
		{"deliver", func(t *testing.T, w *World, _ *Mailbox, _ []ews.Item) string {
			msg := newMessage("delivered")
			msg.ToRecipients = &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: "alice@contoso.com"}}}
			must[[]string](t)(w.Deliver(context.Background(), msg))
			return ""
		}, []ChangeKind{ChangeCreate}},
		{"update", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			return must[ews.ItemId](t)(m.UpdateItem(*items[3].ItemId, func(it *ews.Item) error { it.Subject = "changed"; return nil })).Id
		}, []ChangeKind{ChangeUpdate}},
		{"read flag", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			return must[ews.ItemId](t)(m.SetRead(unread(items).ItemId.Id, true)).Id
		}, []ChangeKind{ChangeReadFlag}},
		{"read flag through UpdateItem", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			return must[ews.ItemId](t)(m.UpdateItem(*unread(items).ItemId, func(it *ews.Item) error { it.IsRead = ews.Bool(true); return nil })).Id
		}, []ChangeKind{ChangeReadFlag}},
		{"update then read flag", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			it := unread(items)
			must[ews.ItemId](t)(m.UpdateItem(ews.ItemId{Id: it.ItemId.Id}, func(it *ews.Item) error { it.Subject = "x"; return nil }))
			return must[ews.ItemId](t)(m.SetRead(it.ItemId.Id, true)).Id
		}, []ChangeKind{ChangeUpdate}},
		{"read flag then update", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			it := unread(items)
			must[ews.ItemId](t)(m.SetRead(it.ItemId.Id, true))
			return must[ews.ItemId](t)(m.UpdateItem(ews.ItemId{Id: it.ItemId.Id}, func(it *ews.Item) error { it.Subject = "y"; return nil })).Id
		}, []ChangeKind{ChangeUpdate}},
		{"same read flag is no change", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			must[ews.ItemId](t)(m.SetRead(items[0].ItemId.Id, *items[0].IsRead))
			must[ews.ItemId](t)(m.UpdateItem(*items[0].ItemId, func(*ews.Item) error { return nil }))
			return ""
		}, nil},
		{"hard delete", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			if err := m.DeleteItem(items[5].ItemId.Id, HardDelete); err != nil {
				t.Fatal(err)
			}
			return items[5].ItemId.Id
		}, []ChangeKind{ChangeDelete}},
		{"soft delete", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			if err := m.DeleteItem(items[5].ItemId.Id, SoftDelete); err != nil {
				t.Fatal(err)
			}
			return items[5].ItemId.Id
		}, []ChangeKind{ChangeDelete}},
		{"move to deleted items", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			if err := m.DeleteItem(items[5].ItemId.Id, MoveToDeletedItems); err != nil {
				t.Fatal(err)
			}
			return items[5].ItemId.Id
		}, []ChangeKind{ChangeDelete}},
		{"move out", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			must[ews.ItemId](t)(m.MoveItem(items[6].ItemId.Id, FolderByName("junkemail")))
			return items[6].ItemId.Id
		}, []ChangeKind{ChangeDelete}},
		{"move in", func(t *testing.T, _ *World, m *Mailbox, _ []ews.Item) string {
			sent := folderItems(t, m, FolderByName("sentitems"))
			return must[ews.ItemId](t)(m.MoveItem(sent[0].ItemId.Id, inbox)).Id
		}, []ChangeKind{ChangeCreate}},
		{"copy in", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			return must[ews.ItemId](t)(m.CopyItem(items[0].ItemId.Id, inbox)).Id
		}, []ChangeKind{ChangeCreate}},
		{"create then delete", func(t *testing.T, _ *World, m *Mailbox, _ []ews.Item) string {
			id := must[ews.ItemId](t)(m.CreateItem(inbox, newMessage("fleeting")))
			if err := m.DeleteItem(id.Id, HardDelete); err != nil {
				t.Fatal(err)
			}
			return ""
		}, nil},
		{"create then move out", func(t *testing.T, _ *World, m *Mailbox, _ []ews.Item) string {
			id := must[ews.ItemId](t)(m.CreateItem(inbox, newMessage("passing")))
			must[ews.ItemId](t)(m.MoveItem(id.Id, FolderByName("drafts")))
			return ""
		}, nil},
		{"update then delete", func(t *testing.T, _ *World, m *Mailbox, items []ews.Item) string {
			must[ews.ItemId](t)(m.UpdateItem(*items[2].ItemId, func(it *ews.Item) error { it.Subject = "z"; return nil }))
			if err := m.DeleteItem(items[2].ItemId.Id, HardDelete); err != nil {
				t.Fatal(err)
			}
			return items[2].ItemId.Id
		}, []ChangeKind{ChangeDelete}},
		{"change in another folder", func(t *testing.T, _ *World, m *Mailbox, _ []ews.Item) string {
			must[ews.ItemId](t)(m.CreateItem(FolderByName("drafts"), newMessage("draft")))
			return ""
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, _ := contosoWorld(t)
			m := mailbox(t, w, "alice@contoso.com")
			r := newReplica()
			r.syncToEnd(t, m, inbox, 512)
			touched := tt.do(t, w, m, folderItems(t, m, inbox))
			changes, pages := r.syncToEnd(t, m, inbox, 1)
			var kinds []ChangeKind
			for _, c := range changes {
				kinds = append(kinds, c.Kind)
			}
			if !slices.Equal(kinds, tt.want) {
				t.Fatalf("changes %v, want %v", kinds, tt.want)
			}
			if len(tt.want) > 0 && pages != 1 {
				t.Fatalf("%d pages for one change", pages)
			}
			if touched != "" && len(changes) == 1 && changes[0].ItemId.Id != touched {
				t.Fatalf("change for %s, want %s", changes[0].ItemId.Id, touched)
			}
			if len(changes) == 1 && changes[0].Kind == ChangeReadFlag && !changes[0].IsRead {
				t.Fatal("ReadFlagChange with IsRead false")
			}
			r.equal(t, m, inbox)
		})
	}
}

func TestSyncItemsMoveAppearsInBothFolders(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "dave@contoso.com")
	inbox, sent := FolderByName("inbox"), FolderByName("sentitems")
	ri, rs := newReplica(), newReplica()
	ri.syncToEnd(t, m, inbox, 512)
	rs.syncToEnd(t, m, sent, 512)
	it := folderItems(t, m, inbox)[0]
	nid := must[ews.ItemId](t)(m.MoveItem(it.ItemId.Id, sent))
	if nid.Id == it.ItemId.Id {
		t.Fatal("a moved item kept its id")
	}
	ci, _ := ri.syncToEnd(t, m, inbox, 10)
	cs, _ := rs.syncToEnd(t, m, sent, 10)
	if len(ci) != 1 || ci[0].Kind != ChangeDelete || ci[0].ItemId.Id != it.ItemId.Id {
		t.Fatalf("inbox changes %+v", ci)
	}
	if len(cs) != 1 || cs[0].Kind != ChangeCreate || cs[0].ItemId.Id != nid.Id || cs[0].Item.Subject != it.Subject {
		t.Fatalf("sent items changes %+v", cs)
	}
}

// TestSyncItemsChangesBetweenPages pages through an initial sync while the folder
// changes under it, in a fixed interleaving.
func TestSyncItemsChangesBetweenPages(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "erin@contoso.com")
	inbox := FolderByName("inbox")
	items := folderItems(t, m, inbox) // newest first
	r := newReplica()
	first, last := r.page(t, m, inbox, 10) // the 10 oldest
	if last || len(first) != 10 {
		t.Fatalf("first page: %d, last %v", len(first), last)
	}
	given, notGiven := first[0].ItemId.Id, items[0].ItemId.Id
	// Change one item the client has and one it has not yet been given.
	must[ews.ItemId](t)(m.UpdateItem(ews.ItemId{Id: given}, func(it *ews.Item) error { it.Subject = "given, changed"; return nil }))
	must[ews.ItemId](t)(m.UpdateItem(ews.ItemId{Id: notGiven}, func(it *ews.Item) error { it.Subject = "not given, changed"; return nil }))
	must[ews.ItemId](t)(m.SetRead(first[1].ItemId.Id, !*first[1].Item.IsRead))
	if err := m.DeleteItem(first[2].ItemId.Id, HardDelete); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteItem(items[1].ItemId.Id, HardDelete); err != nil { // never given
		t.Fatal(err)
	}
	created := must[ews.ItemId](t)(m.CreateItem(inbox, newMessage("between pages")))
	rest, _ := r.syncToEnd(t, m, inbox, 10)
	count := map[string]map[ChangeKind]int{}
	for _, c := range rest {
		if count[c.ItemId.Id] == nil {
			count[c.ItemId.Id] = map[ChangeKind]int{}
		}
		count[c.ItemId.Id][c.Kind]++
	}
	want := map[string]ChangeKind{given: ChangeUpdate, notGiven: ChangeCreate, first[1].ItemId.Id: ChangeReadFlag, first[2].ItemId.Id: ChangeDelete, created.Id: ChangeCreate}
	for id, k := range want {
		if count[id][k] != 1 || len(count[id]) != 1 {
			t.Errorf("%s: got %v, want one %s", id, count[id], k)
		}
	}
	if count[items[1].ItemId.Id] != nil {
		t.Errorf("item deleted before it was given: %v", count[items[1].ItemId.Id])
	}
	// 40 not yet given, less the one deleted unseen, plus the new one: 40 Creates; then
	// the Update, the ReadFlagChange and the Delete of items from the first page.
	if len(rest) != 43 {
		t.Errorf("%d changes after the first page, want 43", len(rest))
	}
	r.equal(t, m, inbox)
}

// TestSyncItemsRandomizedModel interleaves random mutations with paged syncs of two
// clients at their own pace, and checks after a final sync that each client's replica is
// exactly the folder, and that no change contradicted what the client knew.
func TestSyncItemsRandomizedModel(t *testing.T) {
	t.Parallel()
	runs := 120
	if testing.Short() {
		runs = 20
	}
	sc := &Scenario{
		Seed:    5,
		Domains: []Domain{{Name: "test.com"}},
		Users: []UserSpec{{SMTP: "u@test.com", GivenName: "U", Content: &Content{
			Counts: map[string]int{"inbox": 12, "Archive": 4},
		}}},
	}
	for run := range runs {
		t.Run(fmt.Sprint(run), func(t *testing.T) {
			t.Parallel()
			rnd := rand.New(rand.NewPCG(uint64(run), 99))
			w, clock := newWorld(t, sc, WorldConfig{Seed: int64(run)})
			m := mailbox(t, w, "u@test.com")
			inbox, archive := FolderByName("inbox"), FolderByName("Archive")
			archive = FolderByID(must[[]ews.Folder](t)(m.FindFolders(FolderByName("msgfolderroot"), false))[0].FolderId.Id)
			if f := must[ews.Folder](t)(m.Folder(archive)); f.DisplayName != "Archive" {
				t.Fatalf("folder %s", f.DisplayName)
			}
			clients := []*replica{newReplica(), newReplica()}
			for _, c := range clients {
				c.exact = true
			}
			live := func(ref FolderRef) []ews.Item { return folderItems(t, m, ref) }
			anyItem := func(ref FolderRef) (ews.Item, bool) {
				items := live(ref)
				if len(items) == 0 {
					return ews.Item{}, false
				}
				return items[rnd.IntN(len(items))], true
			}
			n := 0
			for step := 0; step < 60; step++ {
				clock.Advance(time.Minute)
				n++
				switch op := rnd.IntN(12); op {
				case 0, 1:
					must[ews.ItemId](t)(m.CreateItem(inbox, newMessage(fmt.Sprintf("created %d", n))))
				case 2:
					if it, ok := anyItem(inbox); ok {
						must[ews.ItemId](t)(m.UpdateItem(*it.ItemId, func(x *ews.Item) error { x.Subject = fmt.Sprintf("updated %d", n); return nil }))
					}
				case 3:
					if it, ok := anyItem(inbox); ok {
						must[ews.ItemId](t)(m.SetRead(it.ItemId.Id, !*it.IsRead))
					}
				case 4:
					if it, ok := anyItem(inbox); ok {
						if err := m.DeleteItem(it.ItemId.Id, DeleteMode(1+rnd.IntN(3))); err != nil {
							t.Fatal(err)
						}
					}
				case 5:
					if it, ok := anyItem(inbox); ok {
						must[ews.ItemId](t)(m.MoveItem(it.ItemId.Id, archive))
					}
				case 6:
					if it, ok := anyItem(archive); ok {
						must[ews.ItemId](t)(m.MoveItem(it.ItemId.Id, inbox))
					}
				case 7:
					id := must[ews.ItemId](t)(m.CreateItem(inbox, newMessage(fmt.Sprintf("fleeting %d", n))))
					if rnd.IntN(2) == 0 {
						must[ews.ItemId](t)(m.SetRead(id.Id, true))
					}
					if err := m.DeleteItem(id.Id, HardDelete); err != nil {
						t.Fatal(err)
					}
				case 8:
					if it, ok := anyItem(inbox); ok {
						must[ews.ItemId](t)(m.UpdateItem(ews.ItemId{Id: it.ItemId.Id}, func(x *ews.Item) error {
							x.Subject = fmt.Sprintf("both %d", n)
							x.IsRead = ews.Bool(!*x.IsRead)
							return nil
						}))
					}
				default:
					c := clients[rnd.IntN(len(clients))]
					c.page(t, m, inbox, []int{1, 2, 3, 5, 7}[rnd.IntN(5)])
				}
			}
			for _, c := range clients {
				c.syncToEnd(t, m, inbox, 1+rnd.IntN(512))
				c.equal(t, m, inbox)
				if again, last := c.page(t, m, inbox, 512); len(again) != 0 || !last {
					t.Fatalf("after the final sync: %d changes", len(again))
				}
			}
			// A client starting now sees exactly the folder too.
			fresh := newReplica()
			fresh.syncToEnd(t, m, inbox, 3)
			fresh.equal(t, m, inbox)
		})
	}
}

func stateBytes(t testing.TB, s string) int {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestSyncItemsStateIsSmallAfterFullSync(t *testing.T) {
	t.Parallel()
	w, _ := newWorld(t, Generate(1, 1000, 3), WorldConfig{})
	m := mailbox(t, w, "user00001@example.com")
	inbox := FolderByName("inbox")
	r := newReplica()
	r.syncToEnd(t, m, inbox, 7)
	// version, kind, folder, epoch, issue time (6 bytes), W, no seen ranges, one id
	// range, MAC.
	if n := stateBytes(t, r.state); n > 38 {
		t.Fatalf("state after a full sync of 800 items is %d bytes", n)
	}
	items := folderItems(t, m, inbox)
	for i, it := range items[:200] {
		switch i % 3 {
		case 0:
			must[ews.ItemId](t)(m.SetRead(it.ItemId.Id, !*it.IsRead))
		case 1:
			must[ews.ItemId](t)(m.UpdateItem(*it.ItemId, func(x *ews.Item) error { x.Subject = "u"; return nil }))
		case 2:
			must[ews.ItemId](t)(m.CreateItem(inbox, newMessage("n")))
		}
	}
	r.syncToEnd(t, m, inbox, 512)
	if n := stateBytes(t, r.state); n > 38 {
		t.Fatalf("state after updates and a full sync is %d bytes", n)
	}
	// Deletions leave holes in the known ids: the state grows by a few bytes per hole.
	for _, it := range items[300:310] {
		if err := m.DeleteItem(it.ItemId.Id, HardDelete); err != nil {
			t.Fatal(err)
		}
	}
	r.syncToEnd(t, m, inbox, 512)
	if n := stateBytes(t, r.state); n > 38+10*4 {
		t.Fatalf("state with 10 holes is %d bytes", n)
	}
	r.equal(t, m, inbox)
}

func TestSyncItemsInvalidStates(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	alice := mailbox(t, w, "alice@contoso.com")
	bob := mailbox(t, w, "bob@contoso.com")
	inbox := FolderByName("inbox")
	_, good, _, err := alice.SyncItems(inbox, "", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, hier, _, err := alice.SyncFolders(FolderRef{}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(good)
	flipped := append([]byte(nil), raw...)
	flipped[3] ^= 1
	other, _ := contosoWorld(t) // same seed: accepts alice's state
	otherSeed, _ := newWorld(t, Contoso(), WorldConfig{Seed: 2})
	tests := []struct {
		name  string
		m     *Mailbox
		ref   FolderRef
		state string
		ok    bool
	}{
		{"good", alice, inbox, good, true},
		{"good, surrounding blanks", alice, inbox, "  " + good + "\n", true},
		{"same seed world", mailbox(t, other, "alice@contoso.com"), inbox, good, true},
		{"garbage", alice, inbox, "not a sync state", false},
		{"base64 garbage", alice, inbox, base64.StdEncoding.EncodeToString([]byte("0123456789012345678901234567890123456789")), false},
		{"truncated", alice, inbox, base64.StdEncoding.EncodeToString(raw[:len(raw)-3]), false},
		{"truncated base64", alice, inbox, good[:len(good)-4], false},
		{"bit flipped", alice, inbox, base64.StdEncoding.EncodeToString(flipped), false},
		{"extra byte", alice, inbox, base64.StdEncoding.EncodeToString(append(raw, 0)), false},
		{"other folder", alice, FolderByName("sentitems"), good, false},
		{"other mailbox", bob, inbox, good, false},
		{"other world", mailbox(t, otherSeed, "alice@contoso.com"), inbox, good, false},
		{"hierarchy state", alice, FolderByName("msgfolderroot"), hier, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := tt.m.SyncItems(tt.ref, tt.state, 10, nil)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, ews.ErrorInvalidSyncStateData)
		})
	}
	_, _, _, err = alice.SyncFolders(FolderRef{}, good, 0)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
	// An item state of another mailbox that the MAC would accept but that comes from the
	// future is refused too.
	for range 8 {
		must[ews.ItemId](t)(alice.CreateItem(FolderByName("drafts"), newMessage("d")))
	}
	_, future, _, _ := alice.SyncItems(FolderByName("drafts"), "", 10, nil)
	_, _, _, err = mailbox(t, other, "alice@contoso.com").SyncItems(FolderByName("drafts"), future, 10, nil)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
}

func TestSyncItemsMaxChangesReturnedBounds(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	for _, n := range []int{0, -1, 513} {
		_, _, _, err := m.SyncItems(FolderByName("inbox"), "", n, nil)
		wantCode(t, err, ews.ErrorInvalidRequest)
	}
	_, _, _, err := m.SyncItems(FolderByName("nosuchfolder"), "", 5, nil)
	wantCode(t, err, ews.ErrorFolderNotFound)
	_, _, _, err = m.SyncItems(FolderByID("garbage"), "", 5, nil)
	wantCode(t, err, ews.ErrorInvalidIdMalformed)
}

func TestSyncItemsExpiredStates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	inbox := FolderByName("inbox")
	r := newReplica()
	r.syncToEnd(t, m, inbox, 512)
	_, hier, _, err := m.SyncFolders(FolderRef{}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.ExpireSyncStates(ctx, "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = m.SyncItems(inbox, r.state, 10, nil)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
	_, _, _, err = m.SyncFolders(FolderRef{}, hier, 0)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
	// Starting over works and yields the folder again.
	again := newReplica()
	again.syncToEnd(t, m, inbox, 100)
	again.equal(t, m, inbox)
	if err := w.ExpireSyncStates(ctx, "frank@contoso.com"); ews.Code(err) != ews.ErrorNonExistentMailbox {
		t.Fatalf("ExpireSyncStates(frank) = %v", err)
	}
}

func TestSyncItemsTombstonePurge(t *testing.T) {
	t.Parallel()
	inbox := FolderByName("inbox")
	t.Run("explicit", func(t *testing.T) {
		t.Parallel()
		w, _ := contosoWorld(t)
		m := mailbox(t, w, "alice@contoso.com")
		behind, current := newReplica(), newReplica()
		behind.syncToEnd(t, m, inbox, 512)
		items := folderItems(t, m, inbox)
		if err := m.DeleteItem(items[0].ItemId.Id, HardDelete); err != nil {
			t.Fatal(err)
		}
		current.syncToEnd(t, m, inbox, 512)
		if err := m.PurgeTombstones(); err != nil {
			t.Fatal(err)
		}
		// The client that is owed the Delete cannot be served; the up-to-date one can.
		_, _, _, err := m.SyncItems(inbox, behind.state, 10, nil)
		wantCode(t, err, ews.ErrorInvalidSyncStateData)
		if c, _ := current.syncToEnd(t, m, inbox, 10); len(c) != 0 {
			t.Fatalf("%d changes", len(c))
		}
		// So is a new client, and one that has not been told about any item yet.
		fresh := newReplica()
		fresh.syncToEnd(t, m, inbox, 512)
		fresh.equal(t, m, inbox)
	})
	t.Run("by age", func(t *testing.T) {
		t.Parallel()
		w, clock := contosoWorld(t)
		m := mailbox(t, w, "alice@contoso.com")
		behind, current := newReplica(), newReplica()
		behind.syncToEnd(t, m, inbox, 512)
		items := folderItems(t, m, inbox)
		if err := m.DeleteItem(items[0].ItemId.Id, HardDelete); err != nil {
			t.Fatal(err)
		}
		current.syncToEnd(t, m, inbox, 512)
		clock.Advance(29 * 24 * time.Hour)
		// Still within retention: the Delete is served.
		probe := &replica{items: map[string]replicaItem{}, state: behind.state}
		for k, v := range behind.items {
			probe.items[k] = v
		}
		if c, _ := probe.syncToEnd(t, m, inbox, 10); len(c) != 1 || c[0].Kind != ChangeDelete {
			t.Fatalf("within retention: %+v", c)
		}
		clock.Advance(2 * 24 * time.Hour)
		_, _, _, err := m.SyncItems(inbox, behind.state, 10, nil)
		wantCode(t, err, ews.ErrorInvalidSyncStateData)
		if c, _ := current.syncToEnd(t, m, inbox, 10); len(c) != 0 {
			t.Fatalf("%d changes", len(c))
		}
	})
}

func TestSyncItemsIgnore(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	inbox := FolderByName("inbox")
	r := newReplica()
	r.syncToEnd(t, m, inbox, 512)
	// The client creates an item and updates another itself, then syncs ignoring both.
	mine := must[ews.ItemId](t)(m.CreateItem(inbox, newMessage("mine")))
	items := folderItems(t, m, inbox)
	upd := must[ews.ItemId](t)(m.UpdateItem(*items[10].ItemId, func(x *ews.Item) error { x.Subject = "mine too"; return nil }))
	other := must[ews.ItemId](t)(m.CreateItem(inbox, newMessage("someone else's")))
	foreign := folderItems(t, mailbox(t, w, "bob@contoso.com"), inbox)[0].ItemId
	changes, st, last, err := m.SyncItems(inbox, r.state, 10, []ews.ItemId{mine, upd, *foreign, {Id: "junk"}})
	if err != nil || !last {
		t.Fatalf("SyncItems: %v, last %v", err, last)
	}
	if len(changes) != 1 || changes[0].ItemId.Id != other.Id || changes[0].Kind != ChangeCreate {
		t.Fatalf("changes = %+v", changes)
	}
	// The ignored create still counts as known: deleting it is reported.
	if err := m.DeleteItem(mine.Id, HardDelete); err != nil {
		t.Fatal(err)
	}
	changes, _, _, err = m.SyncItems(inbox, st, 10, nil)
	if err != nil || len(changes) != 1 || changes[0].Kind != ChangeDelete || changes[0].ItemId.Id != mine.Id {
		t.Fatalf("after deleting the ignored item: %+v, %v", changes, err)
	}
}

func TestSyncFolders(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	changes, st, last, err := m.SyncFolders(FolderRef{}, "", 0)
	if err != nil || !last {
		t.Fatal(err, last)
	}
	var names []string
	for _, c := range changes {
		if c.Kind != ChangeCreate {
			t.Fatalf("initial hierarchy sync gave %s", c.Kind)
		}
		names = append(names, c.Folder.DisplayName)
	}
	want := "Inbox,Sent Items,Drafts,Deleted Items,Outbox,Junk Email,Calendar,Contacts,Tasks,Notes,Journal,Conversation History"
	if strings.Join(names, ",") != want {
		t.Fatalf("folders %s", strings.Join(names, ","))
	}
	if c := changes[6]; c.Folder.Kind() != ews.KindCalendarFolder || c.Folder.FolderClass != "IPF.Appointment" || *c.Folder.TotalCount != 20 {
		t.Fatalf("calendar = %+v", c.Folder)
	}
	// Create a subtree, rename, delete.
	proj := must[ews.Folder](t)(m.CreateFolder(FolderByName("inbox"), "Projects", ""))
	sub := must[ews.Folder](t)(m.CreateFolder(FolderByID(proj.FolderId.Id), "2026", ""))
	pages := 0
	var all []FolderChange
	for {
		c, next, last, err := m.SyncFolders(FolderRef{}, st, 1)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all, st = append(all, c...), next
		if last {
			break
		}
	}
	if pages != 2 || len(all) != 2 || all[0].Kind != ChangeCreate || all[0].FolderId.Id != proj.FolderId.Id || all[1].FolderId.Id != sub.FolderId.Id {
		t.Fatalf("pages %d, changes %+v", pages, all)
	}
	must[ews.Folder](t)(m.RenameFolder(FolderByID(sub.FolderId.Id), "2027"))
	c, st, _, _ := m.SyncFolders(FolderRef{}, st, 0)
	if len(c) != 1 || c[0].Kind != ChangeUpdate || c[0].Folder.DisplayName != "2027" {
		t.Fatalf("after rename: %+v", c)
	}
	// A folder created and deleted between syncs is never reported.
	tmp := must[ews.Folder](t)(m.CreateFolder(FolderByID(proj.FolderId.Id), "tmp", ""))
	if err := m.DeleteFolder(FolderByID(proj.FolderId.Id)); err != nil {
		t.Fatal(err)
	}
	c, st, _, _ = m.SyncFolders(FolderRef{}, st, 0)
	var deleted []string
	for _, x := range c {
		if x.Kind != ChangeDelete {
			t.Fatalf("after delete: %+v", c)
		}
		deleted = append(deleted, x.FolderId.Id)
	}
	slices.Sort(deleted)
	wantDel := []string{proj.FolderId.Id, sub.FolderId.Id}
	slices.Sort(wantDel)
	if !slices.Equal(deleted, wantDel) || slices.Contains(deleted, tmp.FolderId.Id) {
		t.Fatalf("deleted %v", deleted)
	}
	if c, _, _, _ := m.SyncFolders(FolderRef{}, st, 0); len(c) != 0 {
		t.Fatalf("up to date, got %+v", c)
	}
	if n := stateBytes(t, st); n > 38 {
		t.Fatalf("hierarchy state is %d bytes", n)
	}
}

func TestSyncFoldersBelowAFolder(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	inbox := FolderByName("inbox")
	a := must[ews.Folder](t)(m.CreateFolder(inbox, "A", ""))
	must[ews.Folder](t)(m.CreateFolder(FolderByName("calendar"), "Holidays", "IPF.Appointment"))
	c, st, _, err := m.SyncFolders(inbox, "", 0)
	if err != nil || len(c) != 1 || c[0].FolderId.Id != a.FolderId.Id {
		t.Fatalf("below inbox: %+v, %v", c, err)
	}
	_, _, _, err = m.SyncFolders(FolderRef{}, st, 0)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
	// Changes outside the synced subtree do not show.
	must[ews.Folder](t)(m.CreateFolder(FolderByName("sentitems"), "Old", ""))
	if c, _, _, _ := m.SyncFolders(inbox, st, 0); len(c) != 0 {
		t.Fatalf("got %+v", c)
	}
}

// TestSyncItemsJournalCompaction makes the journal compact while a client still needs an
// entry that only an item's contentCN refers to.
func TestSyncItemsJournalCompaction(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	inbox := FolderByName("inbox")
	r := newReplica()
	r.exact = true
	r.syncToEnd(t, m, inbox, 512)
	items := folderItems(t, m, inbox)
	x, y := items[0], items[1]
	must[ews.ItemId](t)(m.UpdateItem(ews.ItemId{Id: x.ItemId.Id}, func(it *ews.Item) error { it.Subject = "new content"; return nil }))
	read := *y.IsRead
	for range 3001 { // thousands of stale entries: the journal compacts several times
		read = !read
		must[ews.ItemId](t)(m.SetRead(y.ItemId.Id, read))
		must[ews.ItemId](t)(m.SetRead(x.ItemId.Id, !*x.IsRead))
		must[ews.ItemId](t)(m.SetRead(x.ItemId.Id, *x.IsRead))
	}
	must[ews.ItemId](t)(m.SetRead(x.ItemId.Id, !*x.IsRead))
	f := m.folders[m.byDist["inbox"]]
	if len(f.journal) > 1024 {
		t.Fatalf("journal not compacted: %d entries", len(f.journal))
	}
	// One change per page: after y's page, W must stop below x's content change.
	changes, _ := r.syncToEnd(t, m, inbox, 1)
	kinds := map[string]ChangeKind{}
	for _, c := range changes {
		kinds[c.ItemId.Id] = c.Kind
	}
	if len(changes) != 2 || kinds[x.ItemId.Id] != ChangeUpdate || kinds[y.ItemId.Id] != ChangeReadFlag {
		t.Fatalf("changes %v", kinds)
	}
	r.equal(t, m, inbox)
}

// With a sync state TTL, a state issued longer ago than the TTL (by the World's clock) is
// refused, item and hierarchy states alike, while the state a sync returns is fresh;
// changing the TTL applies to states already issued.
func TestSyncStateTTL(t *testing.T) {
	t.Parallel()
	w, clock := newWorld(t, Generate(1, 20, 1), WorldConfig{SyncStateTTL: time.Hour})
	m := mailbox(t, w, "user00001@example.com")
	inbox := FolderByName("inbox")
	_, items, _, err := m.SyncItems(inbox, "", 512, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, folders, _, err := m.SyncFolders(FolderRef{}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // exactly the TTL: still valid
	_, items2, _, err := m.SyncItems(inbox, items, 512, nil)
	if err != nil {
		t.Fatalf("items state at the TTL: %v", err)
	}
	if _, _, _, err := m.SyncFolders(FolderRef{}, folders, 0); err != nil {
		t.Fatalf("hierarchy state at the TTL: %v", err)
	}
	clock.Advance(time.Millisecond)
	_, _, _, err = m.SyncItems(inbox, items, 512, nil)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
	_, _, _, err = m.SyncFolders(FolderRef{}, folders, 0)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
	if _, _, _, err := m.SyncItems(inbox, items2, 512, nil); err != nil {
		t.Fatalf("a state issued at the last sync: %v", err)
	}
	w.SetSyncStateTTL(0)
	if _, _, _, err := m.SyncItems(inbox, items, 512, nil); err != nil {
		t.Fatalf("TTL off: %v", err)
	}
	w.SetSyncStateTTL(time.Minute)
	clock.Advance(time.Minute + time.Millisecond)
	_, _, _, err = m.SyncItems(inbox, items2, 512, nil)
	wantCode(t, err, ews.ErrorInvalidSyncStateData)
}

// A client that starts over after its states expired (tombstones purged) pages to the
// end: deletions purged before it began were never owed to it. A client that was part
// way through when a tombstone it might be owed is purged is still refused.
func TestSyncItemsFreshStartAfterPurge(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "carol@contoso.com")
	ref := FolderByName("inbox")
	old := newReplica()
	old.syncToEnd(t, m, ref, 512)
	page, err := m.FindItems(ref, ItemQuery{Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteItem(page.Items[0].ItemId.Id, HardDelete); err != nil {
		t.Fatal(err)
	}
	if err := m.ExpireSyncStates(); err != nil {
		t.Fatal(err)
	}
	fresh := newReplica()
	changes, pages := fresh.syncToEnd(t, m, ref, 7)
	if len(changes) != 49 || pages != 7 {
		t.Fatalf("fresh start: %d changes in %d pages, want 49 in 7", len(changes), pages)
	}
	fresh.equal(t, m, ref)

	// Part way through an enumeration, a purge of a tombstone it may be owed makes its
	// state invalid.
	mid := newReplica()
	mid.page(t, m, ref, 10)
	page, _ = m.FindItems(ref, ItemQuery{Max: 1})
	if err := m.DeleteItem(page.Items[0].ItemId.Id, HardDelete); err != nil {
		t.Fatal(err)
	}
	if err := m.PurgeTombstones(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := m.SyncItems(ref, mid.state, 10, nil); ews.Code(err) != ews.ErrorInvalidSyncStateData {
		t.Fatalf("state owed a purged delete: %v", err)
	}
}
