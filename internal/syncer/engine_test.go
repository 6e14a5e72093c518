package syncer_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/exchangesim/simtest"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

var ctx = context.Background()

// clock is the simulator's and the engine's shared, settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a simulator, a store with one organization whose users have mailboxes,
// and a source reading them: EWS acting as svc-sync, or Graph as contoso's app.
type fixture struct {
	st     *store.Store
	sim    *exchangesim.Simulator
	srv    *exchangesim.Server
	src    syncer.Source
	source string // sourceEWS or sourceGraph
	// waits counts the client's throttling waits (429 Retry-After, ErrorServerBusy).
	waits atomic.Int64
	clock *clock
	org   int64
	users map[string]int64
}

// itemID is the id the fixture's source gives a simulator item (EWS's id): Graph's
// REST form for Graph.
func (f *fixture) itemID(ewsID string) string {
	if f.source == sourceGraph {
		return exchangesim.GraphID(ewsID)
	}
	return ewsID
}

type dialect struct {
	name string
	dsn  func(t *testing.T) string
}

var dialects = []dialect{
	{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "mb.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
}

// The sources the engine's tests run against.
const (
	sourceEWS   = "ews"
	sourceGraph = "graph"
)

// forEachSource runs a test on SQLite and on PostgreSQL, reading through EWS and
// through Graph.
func forEachSource(t *testing.T, fn func(t *testing.T, d dialect, source string)) {
	t.Helper()
	for _, d := range dialects {
		for _, source := range []string{sourceEWS, sourceGraph} {
			t.Run(d.name+"/"+source, func(t *testing.T) {
				t.Parallel()
				fn(t, d, source)
			})
		}
	}
}

// forEachDialect runs a test on SQLite and on PostgreSQL.
func forEachDialect(t *testing.T, fn func(t *testing.T, d dialect)) {
	t.Helper()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

func newFixture(t *testing.T, d dialect, sc *exchangesim.Scenario, users ...string) *fixture {
	t.Helper()
	return newSourceFixture(t, d, sourceEWS, exchangesim.Options{Scenario: sc}, users...)
}

// newSourceFixture is newFixture reading through source, with the simulator's options
// (its clock is the fixture's).
func newSourceFixture(t *testing.T, d dialect, source string, simOpts exchangesim.Options, users ...string) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}, users: map[string]int64{}, source: source}
	simOpts.Clock = f.clock.Now
	f.sim, f.srv = simtest.Start(t, simOpts, exchangesim.ListenConfig{})
	f.src = f.newSource(t, simOpts.Scenario != nil)
	var err error
	if f.st, err = store.Open(ctx, d.dsn(t), store.Options{Migrate: true, Now: f.clock.Now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	o, err := f.st.CreateOrganization(ctx, store.System, "Contoso")
	if err != nil {
		t.Fatal(err)
	}
	f.org = o.ID
	var nu []store.NewUser
	for _, u := range users {
		nu = append(nu, store.NewUser{Email: u})
	}
	res, err := f.st.AddUsers(ctx, store.System, o.ID, "manual", nu, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Added {
		f.users[u.Email] = u.ID
	}
	if _, err := f.st.ActivateMailboxes(ctx, store.System, o.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// newSource returns the fixture's source: EWS as svc-sync, or Graph as the scenario's
// app (contoso's, or a generated world's). Throttled requests are retried quickly and
// often, and every throttling wait is counted; Graph's waits also move the shared clock
// on by the Retry-After, so that the simulator's request window, which runs on it,
// ends as the client expects.
func (f *fixture) newSource(t *testing.T, generated bool) syncer.Source {
	t.Helper()
	if f.source == sourceGraph {
		tenant, clientID, secret := exchangesim.ContosoTenantID, exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret
		if generated {
			tenant, clientID, secret = exchangesim.GeneratedTenantID, exchangesim.GeneratedAppClientID, exchangesim.GeneratedAppSecret
		}
		tokens, err := entra.NewTokenSource(entra.Credentials{Tenant: tenant, ClientID: clientID, ClientSecret: secret}, entra.GraphScope,
			entra.Options{Authority: f.srv.AuthorityURL(), Now: f.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		client, err := graph.New(tokens, graph.Options{BaseURL: f.srv.GraphURL(), Now: f.clock.Now, MaxRetries: 10,
			Observer: graphWaits{f}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(client.CloseIdleConnections)
		return &syncer.GraphSource{Client: client, Now: f.clock.Now}
	}
	svc := "svc-sync@contoso.com"
	if generated {
		svc = "svc-sync@example.com"
	}
	client, err := ewsclient.New(f.srv.Info().EWSURL, ewsclient.NTLM(svc, exchangesim.DefaultServicePassword),
		ewsclient.Options{MaxRetries: 10, RetryBaseDelay: time.Millisecond, MaxRetryWait: 50 * time.Millisecond, Observer: ewsWaits{f}})
	if err != nil {
		t.Fatal(err)
	}
	return &syncer.EWSSource{Client: client}
}

// ewsWaits and graphWaits count a client's throttling waits; graphWaits also moves
// the fixture's clock on by each wait.
type (
	ewsWaits   struct{ f *fixture }
	graphWaits struct{ f *fixture }
)

func (o ewsWaits) Request(string, string, time.Duration) {}
func (o ewsWaits) ThrottleWait(string, time.Duration)    { o.f.waits.Add(1) }
func (o graphWaits) Request(string, int, time.Duration)  {}
func (o graphWaits) ThrottleWait(_ string, d time.Duration) {
	o.f.waits.Add(1)
	o.f.clock.Add(d)
}

func (f *fixture) lease(t *testing.T, user, owner string) store.Lease {
	t.Helper()
	l, err := f.st.AcquireLease(ctx, f.users[user], owner, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fixture) engine(opts syncer.Options) *syncer.Engine {
	opts.Now = f.clock.Now
	return syncer.New(f.st, opts)
}

func (f *fixture) sync(t *testing.T, e *syncer.Engine, user string) syncer.Stats {
	t.Helper()
	return f.syncFolders(t, e, user, syncer.AllFolders)
}

// syncFolders syncs a mailbox with a folder selection.
func (f *fixture) syncFolders(t *testing.T, e *syncer.Engine, user string, sel syncer.Folders) syncer.Stats {
	t.Helper()
	l := f.lease(t, user, "test")
	st, err := e.SyncMailbox(ctx, l, user, f.src, sel)
	if err != nil {
		t.Fatalf("sync %s: %v", user, err)
	}
	if err := f.st.ReleaseLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	return st
}

// oracle lists what the store should hold for a mailbox: every item of the synced
// folders (Inbox and its subfolders, Sent Items, Calendar, Contacts) inside the window,
// straight from the simulator's world: id -> change key.
func (f *fixture) oracle(t *testing.T, user string, lookBack time.Duration) map[string]string {
	t.Helper()
	return f.oracleOf(t, user, lookBack, syncer.AllFolders)
}

// oracleOf is oracle for a folder selection.
func (f *fixture) oracleOf(t *testing.T, user string, lookBack time.Duration, sel syncer.Folders) map[string]string {
	t.Helper()
	mb, err := f.sim.World().Mailbox(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	var refs []exchangesim.FolderRef
	for _, r := range []struct {
		f    syncer.Folders
		name string
	}{{syncer.FolderInbox, "inbox"}, {syncer.FolderSentItems, "sentitems"}, {syncer.FolderCalendar, "calendar"}, {syncer.FolderContacts, "contacts"}} {
		if sel.Has(r.f) {
			refs = append(refs, exchangesim.FolderByName(r.name))
		}
	}
	subs, err := mb.FindFolders(exchangesim.FolderByName("inbox"), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if sel.Has(syncer.FolderInboxSubfolders) && (s.FolderClass == "" || strings.HasPrefix(s.FolderClass, "IPF.Note")) {
			refs = append(refs, exchangesim.FolderByID(s.FolderId.Id))
		}
	}
	cutoff := f.clock.Now().Add(-lookBack)
	out := map[string]string{}
	for _, ref := range refs {
		page, err := mb.FindItems(ref, exchangesim.ItemQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			switch it.Kind() {
			case ews.KindCalendarItem:
				if it.End.Before(cutoff) {
					continue
				}
			case ews.KindContact, ews.KindDistributionList:
			default:
				if it.DateTimeReceived.Before(cutoff) {
					continue
				}
			}
			out[f.itemID(it.ItemId.Id)] = it.ItemId.ChangeKey
		}
	}
	return out
}

// stored lists the store's items of a mailbox: id -> change key.
func (f *fixture) stored(t *testing.T, user string) (map[string]string, []store.StoredItem) {
	t.Helper()
	items, err := f.st.ListItems(ctx, f.org, f.users[user])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, it := range items {
		if _, dup := out[it.ItemID]; dup {
			t.Fatalf("item %s stored twice", it.ItemID)
		}
		out[it.ItemID] = it.ChangeKey
	}
	return out, items
}

// compare fails the test unless the store holds exactly the oracle's items, at their
// current change keys: nothing lost, nothing duplicated, nothing stale.
func (f *fixture) compare(t *testing.T, user string, lookBack time.Duration) int {
	t.Helper()
	return f.compareOf(t, user, lookBack, syncer.AllFolders)
}

// compareOf is compare for a folder selection.
func (f *fixture) compareOf(t *testing.T, user string, lookBack time.Duration, sel syncer.Folders) int {
	t.Helper()
	want := f.oracleOf(t, user, lookBack, sel)
	got, _ := f.stored(t, user)
	var lost, extra, stale []string
	for id, ck := range want {
		switch g, ok := got[id]; {
		case !ok:
			lost = append(lost, id)
		case g != ck:
			stale = append(stale, id)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			extra = append(extra, id)
		}
	}
	if len(lost)+len(extra)+len(stale) > 0 {
		sort.Strings(lost)
		t.Fatalf("%s: %d lost, %d extra, %d stale (of %d expected): lost %v extra %v stale %v", user, len(lost), len(extra), len(stale), len(want),
			head(lost), head(extra), head(stale))
	}
	return len(want)
}

func head(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

func TestInitialSync(t *testing.T) {
	t.Parallel()
	forEachSource(t, func(t *testing.T, d dialect, source string) {
		f := newSourceFixture(t, d, source, exchangesim.Options{}, "alice@contoso.com", "carol@contoso.com")
		e := f.engine(syncer.Options{PageSize: 7}) // small pages: many commits
		st := f.sync(t, e, "alice@contoso.com")
		n := f.compare(t, "alice@contoso.com", 90*24*time.Hour)
		if n < 30 || st.Created != n || st.Pages < n/7 || st.Skipped == 0 {
			t.Fatalf("stored %d items with stats %+v (the window should skip some of 180 days)", n, st)
		}
		// What is stored is what the protocol says: spot-check one message and one event.
		_, items := f.stored(t, "alice@contoso.com")
		kinds := map[string]int{}
		for _, it := range items {
			kinds[it.Kind]++
			var r syncer.Record
			if err := json.Unmarshal(it.Data, &r); err != nil {
				t.Fatal(err)
			}
			switch it.Kind {
			case "message":
				if r.From == nil || r.Received == nil || it.Sender == "" || it.ItemTime == nil || (it.FolderID != "" && r.Subject != it.Subject) {
					t.Fatalf("message record %+v / %+v", it, r)
				}
			case "event":
				if r.Start == nil || r.End == nil || it.EndTime == nil {
					t.Fatalf("event record %+v", r)
				}
			case "contact":
				if r.DisplayName == "" || len(r.Emails) == 0 {
					t.Fatalf("contact record %+v", r)
				}
			}
		}
		if kinds["message"] == 0 || kinds["event"] == 0 || kinds["contact"] == 0 {
			t.Fatalf("kinds stored: %v", kinds)
		}
		// A second sync changes nothing and adds nothing to the change feed.
		before, _ := f.st.ListChanges(ctx, f.org, 0, 0)
		st = f.sync(t, e, "alice@contoso.com")
		after, _ := f.st.ListChanges(ctx, f.org, 0, 0)
		if st.Created+st.Updated+st.Deleted != 0 || len(after) != len(before) || len(before) != n {
			t.Fatalf("idle resync: %+v; feed %d -> %d (stored %d)", st, len(before), len(after), n)
		}
		// Carol is untouched by alice's sync.
		if got, _ := f.stored(t, "carol@contoso.com"); len(got) != 0 {
			t.Fatalf("carol has %d items before her sync", len(got))
		}
	})
}

func TestIncrementalSync(t *testing.T) {
	t.Parallel()
	forEachSource(t, func(t *testing.T, d dialect, source string) {
		f := newSourceFixture(t, d, source, exchangesim.Options{}, "alice@contoso.com")
		e := f.engine(syncer.Options{})
		f.sync(t, e, "alice@contoso.com")
		mb, _ := f.sim.World().Mailbox(ctx, "alice@contoso.com")
		page, _ := mb.FindItems(exchangesim.FolderByName("inbox"), exchangesim.ItemQuery{Max: 3})
		upd, read, del := page.Items[0].ItemId, page.Items[1].ItemId, page.Items[2].ItemId
		if _, err := mb.UpdateItem(*upd, func(it *ews.Item) error { it.Subject = "Changed subject"; return nil }); err != nil {
			t.Fatal(err)
		}
		wasRead := page.Items[1].IsRead != nil && *page.Items[1].IsRead
		if _, err := mb.SetRead(read.Id, !wasRead); err != nil {
			t.Fatal(err)
		}
		if err := mb.DeleteItem(del.Id, exchangesim.HardDelete); err != nil {
			t.Fatal(err)
		}
		newID, err := mb.CreateItem(exchangesim.FolderByName("inbox"), ews.Item{XMLName: xmlName("t:Message"), Subject: "Fresh",
			From: &ews.SingleRecipient{Mailbox: ews.EmailAddress{Name: "Bob", EmailAddress: "bob@contoso.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		cursor := lastSeq(t, f)
		st := f.sync(t, e, "alice@contoso.com")
		if st.Created != 1 || st.Updated != 2 || st.Deleted != 1 {
			t.Fatalf("incremental stats %+v, want 1 created, 2 updated (subject, read flag), 1 deleted", st)
		}
		f.compare(t, "alice@contoso.com", 90*24*time.Hour)
		changes, _ := f.st.ListChanges(ctx, f.org, cursor, 0)
		ops := map[string]string{}
		for _, c := range changes {
			ops[c.ItemID] = c.Op
		}
		if len(changes) != 4 || ops[f.itemID(newID.Id)] != "upsert" || ops[f.itemID(upd.Id)] != "upsert" || ops[f.itemID(read.Id)] != "upsert" ||
			ops[f.itemID(del.Id)] != "delete" {
			t.Fatalf("feed after the changes: %+v", changes)
		}
		_, items := f.stored(t, "alice@contoso.com")
		for _, it := range items {
			if it.ItemID == f.itemID(upd.Id) && it.Subject != "Changed subject" {
				t.Fatalf("updated subject not stored: %q", it.Subject)
			}
			if it.ItemID == f.itemID(read.Id) && it.IsRead == wasRead {
				t.Fatal("read flag not stored")
			}
		}
	})
}

func xmlName(local string) xml.Name { return xml.Name{Local: local} }

func lastSeq(t *testing.T, f *fixture) int64 {
	t.Helper()
	cs, err := f.st.ListChanges(ctx, f.org, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		return 0
	}
	return cs[len(cs)-1].Seq
}

// An expired sync state mid-life: the folder is read again from scratch and reconciled
// with what is stored — changes made meanwhile applied, nothing duplicated.
func TestInvalidSyncStateResync(t *testing.T) {
	t.Parallel()
	forEachSource(t, func(t *testing.T, d dialect, source string) {
		f := newSourceFixture(t, d, source, exchangesim.Options{}, "alice@contoso.com")
		e := f.engine(syncer.Options{PageSize: 10})
		first := f.sync(t, e, "alice@contoso.com")
		mb, _ := f.sim.World().Mailbox(ctx, "alice@contoso.com")
		page, _ := mb.FindItems(exchangesim.FolderByName("inbox"), exchangesim.ItemQuery{Max: 2})
		if err := mb.DeleteItem(page.Items[0].ItemId.Id, exchangesim.HardDelete); err != nil {
			t.Fatal(err)
		}
		if _, err := mb.UpdateItem(*page.Items[1].ItemId, func(it *ews.Item) error { it.Subject = "Edited while states expired"; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := mb.ExpireSyncStates(); err != nil {
			t.Fatal(err)
		}
		st := f.sync(t, e, "alice@contoso.com")
		if st.Resyncs == 0 || st.Deleted != 1 || st.Updated != 1 || st.Created != 0 {
			t.Fatalf("resync stats %+v (first sync %+v)", st, first)
		}
		f.compare(t, "alice@contoso.com", 90*24*time.Hour)
	})
}

// A throttled server: EWS answering ErrorServerBusy to a third of the requests that
// read items, Graph answering 429 with Retry-After once the app's budget of three
// requests a second is spent. The sync waits, retries and ends equal to the mailbox:
// nothing lost, nothing duplicated.
func TestThrottledSync(t *testing.T) {
	t.Parallel()
	forEachSource(t, func(t *testing.T, d dialect, source string) {
		opts := exchangesim.Options{Faults: exchangesim.Faults{ErrorRate: map[string]float64{"SyncFolderItems": 0.3, "GetItem": 0.3},
			ErrorCode: "ErrorServerBusy", BackOffMS: 1}}
		if source == sourceGraph {
			opts = exchangesim.Options{Microsoft365: exchangesim.Microsoft365Options{
				GraphThrottle: exchangesim.GraphThrottlePolicy{Requests: 3, WindowSeconds: 1}}}
		}
		f := newSourceFixture(t, d, source, opts, "alice@contoso.com")
		e := f.engine(syncer.Options{PageSize: 20})
		st := f.sync(t, e, "alice@contoso.com")
		n := f.compare(t, "alice@contoso.com", 90*24*time.Hour)
		if st.Created != n || f.waits.Load() == 0 {
			t.Fatalf("stats %+v for %d items after %d throttling waits (want some)", st, n, f.waits.Load())
		}
		// An incremental round through the same throttle.
		mb, _ := f.sim.World().Mailbox(ctx, "alice@contoso.com")
		if _, err := mb.CreateItem(exchangesim.FolderByName("inbox"), ews.Item{XMLName: xmlName("t:Message"), Subject: "Through the throttle"}); err != nil {
			t.Fatal(err)
		}
		if st := f.sync(t, e, "alice@contoso.com"); st.Created != 1 {
			t.Fatalf("incremental stats %+v, want 1 created", st)
		}
		f.compare(t, "alice@contoso.com", 90*24*time.Hour)
	})
}

// A worker whose lease was taken over cannot write: its commit fails on the fencing
// token, and the store keeps the new holder's state.
func TestLeaseFencing(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		f := newFixture(t, d, nil, "alice@contoso.com")
		e := f.engine(syncer.Options{PageSize: 5})
		old := f.lease(t, "alice@contoso.com", "node-a")
		if _, err := f.st.AcquireLease(ctx, f.users["alice@contoso.com"], "node-b", time.Minute); !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatalf("a held lease was taken: %v", err)
		}
		f.clock.Add(2 * time.Minute) // node-a is presumed dead
		if _, err := f.st.AcquireLease(ctx, f.users["alice@contoso.com"], "node-b", time.Minute); err != nil {
			t.Fatal(err)
		}
		_, err := e.SyncMailbox(ctx, old, "alice@contoso.com", f.src, syncer.AllFolders)
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("sync under a lost lease: %v", err)
		}
		if got, _ := f.stored(t, "alice@contoso.com"); len(got) != 0 {
			t.Fatalf("a stale worker wrote %d items", len(got))
		}
	})
}

// Folders: a subfolder of the Inbox is synced, a folder elsewhere is not; deleting a
// folder deletes its stored items and says so in the feed.
func TestFolders(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		f := newFixture(t, d, nil, "alice@contoso.com")
		e := f.engine(syncer.Options{})
		mb, _ := f.sim.World().Mailbox(ctx, "alice@contoso.com")
		sub, err := mb.CreateFolder(exchangesim.FolderByName("inbox"), "Projects", "IPF.Note")
		if err != nil {
			t.Fatal(err)
		}
		other, err := mb.CreateFolder(exchangesim.FolderByName("msgfolderroot"), "Archive 2019", "IPF.Note")
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range []exchangesim.FolderRef{exchangesim.FolderByID(sub.FolderId.Id), exchangesim.FolderByID(other.FolderId.Id)} {
			if _, err := mb.CreateItem(ref, ews.Item{XMLName: xmlName("t:Message"), Subject: "In " + ref.Id}); err != nil {
				t.Fatal(err)
			}
		}
		f.sync(t, e, "alice@contoso.com")
		f.compare(t, "alice@contoso.com", 90*24*time.Hour) // the oracle includes Inbox subfolders only
		cursor := lastSeq(t, f)
		if err := mb.DeleteFolder(exchangesim.FolderByID(sub.FolderId.Id)); err != nil {
			t.Fatal(err)
		}
		f.sync(t, e, "alice@contoso.com")
		f.compare(t, "alice@contoso.com", 90*24*time.Hour)
		changes, _ := f.st.ListChanges(ctx, f.org, cursor, 0)
		if len(changes) != 1 || changes[0].Op != "delete" {
			t.Fatalf("feed after deleting a folder: %+v", changes)
		}
	})
}

// The look-back window decides what an initial sync stores.
func TestLookBackWindow(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, d dialect) {
		f := newFixture(t, d, nil, "alice@contoso.com")
		e := f.engine(syncer.Options{LookBack: 30 * 24 * time.Hour})
		f.sync(t, e, "alice@contoso.com")
		n30 := f.compare(t, "alice@contoso.com", 30*24*time.Hour)
		if n90 := len(f.oracle(t, "alice@contoso.com", 90*24*time.Hour)); n30 >= n90 {
			t.Fatalf("30 days hold %d items, 90 days %d", n30, n90)
		}
	})
}
