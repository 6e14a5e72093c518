package syncer_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

func TestParseFolders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    syncer.Folders
		wantErr bool
	}{
		{"all", "inbox,inbox_subfolders,sentitems,calendar,contacts", syncer.AllFolders, false},
		{"some, any order", "contacts, Inbox", syncer.FolderInbox | syncer.FolderContacts, false},
		{"repeated", "calendar,calendar", syncer.FolderCalendar, false},
		{"empty", "", 0, false},
		{"unknown", "inbox,deleteditems", 0, true},
		{"blank name", "inbox,,calendar", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := syncer.ParseFolderList(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseFolderList(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err == nil {
				if back, err := syncer.ParseFolderList(got.String()); err != nil || back != got {
					t.Fatalf("round trip of %q: %v, %v", got, back, err)
				}
			}
		})
	}
	if got := syncer.AllFolders.Names(); !slices.Equal(got, syncer.FolderNames()) {
		t.Fatalf("AllFolders.Names() = %v", got)
	}
	if got := (syncer.FolderContacts | syncer.FolderInbox).String(); got != "inbox,contacts" {
		t.Fatalf("String() = %q", got)
	}
}

// kinds counts a mailbox's stored items by kind.
func (f *fixture) kinds(t *testing.T, user string) map[string]int {
	t.Helper()
	_, items := f.stored(t, user)
	out := map[string]int{}
	for _, it := range items {
		out[it.Kind]++
	}
	return out
}

// The selection decides what is stored: without Contacts no contact is; taking the
// Calendar out deletes its events, each recorded as deleted in the change feed; putting
// both back syncs them from scratch.
func TestFolderSelection(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		f := newFixture(t, d, nil, "alice@contoso.com")
		e := f.engine(syncer.Options{PageSize: 20})
		const user = "alice@contoso.com"
		window := 90 * 24 * time.Hour

		noContacts := syncer.AllFolders &^ syncer.FolderContacts
		f.syncFolders(t, e, user, noContacts)
		f.compareOf(t, user, window, noContacts)
		kinds := f.kinds(t, user)
		if kinds["contact"] != 0 || kinds["event"] == 0 || kinds["message"] == 0 {
			t.Fatalf("stored without contacts: %v", kinds)
		}
		events := kinds["event"]
		folders, err := f.st.ListFolders(ctx, f.users[user])
		if err != nil {
			t.Fatal(err)
		}
		for _, fo := range folders {
			if fo.Distinguished == "contacts" && fo.Synced {
				t.Fatalf("the Contacts folder is marked synced: %+v", fo)
			}
		}

		cursor := lastSeq(t, f)
		neither := noContacts &^ syncer.FolderCalendar
		st := f.syncFolders(t, e, user, neither)
		f.compareOf(t, user, window, neither)
		if k := f.kinds(t, user); k["event"] != 0 || k["message"] != kinds["message"] {
			t.Fatalf("after taking the Calendar out: %v (stats %+v)", k, st)
		}
		changes, err := f.st.ListChanges(ctx, f.org, cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		deleted := map[string]bool{}
		for _, c := range changes {
			if c.Op != "delete" || c.Kind != "event" || c.UserID != f.users[user] {
				t.Fatalf("feed after taking the Calendar out: %+v", c)
			}
			deleted[c.ItemID] = true
		}
		if len(deleted) != events || len(changes) != events {
			t.Fatalf("feed has %d deletes (%d distinct) for %d events", len(changes), len(deleted), events)
		}
		mb, err := f.st.GetMailbox(ctx, f.org, f.users[user])
		if err != nil {
			t.Fatal(err)
		}
		if int(mb.Items) != kinds["message"] {
			t.Fatalf("item count %d, want %d", mb.Items, kinds["message"])
		}

		// An idle sync with the same selection changes nothing.
		cursor = lastSeq(t, f)
		f.syncFolders(t, e, user, neither)
		if cs, _ := f.st.ListChanges(ctx, f.org, cursor, 0); len(cs) != 0 {
			t.Fatalf("idle sync wrote %d changes", len(cs))
		}

		// Both put back: synced from scratch, the events stored again.
		st = f.sync(t, e, user)
		f.compare(t, user, window)
		if k := f.kinds(t, user); k["event"] != events || k["contact"] == 0 || st.Created != events+k["contact"] {
			t.Fatalf("after putting them back: %v, stats %+v", k, st)
		}
	})
}

// The Inbox and its subfolders are chosen apart.
func TestFolderSelectionInboxSubfolders(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		f := newFixture(t, d, nil, "alice@contoso.com")
		e := f.engine(syncer.Options{})
		const user = "alice@contoso.com"
		window := 90 * 24 * time.Hour
		mb, _ := f.sim.World().Mailbox(ctx, user)
		sub, err := mb.CreateFolder(exchangesim.FolderByName("inbox"), "Projects", "IPF.Note")
		if err != nil {
			t.Fatal(err)
		}
		id, err := mb.CreateItem(exchangesim.FolderByID(sub.FolderId.Id), ews.Item{XMLName: xmlName("t:Message"), Subject: "In Projects"})
		if err != nil {
			t.Fatal(err)
		}
		has := func() bool {
			got, _ := f.stored(t, user)
			_, ok := got[id.Id]
			return ok
		}
		f.syncFolders(t, e, user, syncer.FolderInbox)
		f.compareOf(t, user, window, syncer.FolderInbox)
		if has() {
			t.Fatal("a subfolder's message is stored with the Inbox alone")
		}
		f.syncFolders(t, e, user, syncer.FolderInboxSubfolders)
		n := f.compareOf(t, user, window, syncer.FolderInboxSubfolders)
		if !has() || n != 1 {
			t.Fatalf("subfolders alone: %d items, the subfolder's stored: %v", n, has())
		}
	})
}

// An empty selection is refused before anything is touched.
func TestNoFolders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dialects[0], nil, "alice@contoso.com")
	e := f.engine(syncer.Options{})
	f.sync(t, e, "alice@contoso.com")
	before, _ := f.stored(t, "alice@contoso.com")
	l := f.lease(t, "alice@contoso.com", "test")
	if _, err := e.SyncMailbox(ctx, l, "alice@contoso.com", f.src, 0); !errors.Is(err, syncer.ErrNoFolders) {
		t.Fatalf("empty selection: %v", err)
	}
	if after, _ := f.stored(t, "alice@contoso.com"); len(after) != len(before) {
		t.Fatalf("an empty selection changed the store: %d -> %d items", len(before), len(after))
	}
}
