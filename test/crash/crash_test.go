// Package crash_test proves the sync engine crash-safe (issue 6, item 7): it kills
// `mailbridge worker` with SIGKILL at each named failpoint of a sync, again and again
// while one large mailbox is synced for the first time and changed in between, then
// lets a worker finish and compares the store with the simulator item by item: nothing
// lost, nothing duplicated, nothing stale, and a change feed that agrees. It does so for
// each source: EWS with impersonation, and Microsoft Graph with the generated world's
// app (the workers reach the simulator's Entra ID and Graph with --entra-authority and
// --graph-url).
//
// The simulator runs in its own process (`mailbridge sim`), so it outlives the workers;
// the store (SQLite, and PostgreSQL when MAILBRIDGE_TEST_POSTGRES_URL is set) is set up
// in-process through the control service, as an admin would, and read directly.
//
// A killed worker's River job stays "running" until River's rescuer notices, which
// takes about a minute; the job runner does not wait for it: once the mailbox's lease
// expires unreleased (here after --lease-ttl 1.5 s), a job of the next generation takes
// the mailbox over, and the dead one, when River finally rescues it, finds itself
// superseded. The harness relies on that, as production does.
package crash_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
)

const (
	// The mailbox: 4,800 Inbox messages, 600 sent, 360 events, 240 contacts; in pages
	// of 50 changes fetched in GetItem batches of 20 (3 per page), about 120 pages, of
	// which the kill schedule consumes 90 %.
	simItems   = 6000
	pageSize   = 50
	fetchBatch = 20
	// rounds of start, failpoint, SIGKILL, changes: seven per failpoint.
	rounds = 28

	nodeID      = "crash-node"
	masterKey   = "6d61696c6272696467652d63726173682d6861726e6573732d6b65792d303031"
	user        = "user00001@example.com"
	svcAccount  = "svc-sync@example.com"
	svcPassword = "Svc-Pass-2026!"

	hitTimeout  = 60 * time.Second
	syncTimeout = 60 * time.Second
)

// failpoints are the worker's named points, in the order the rounds cycle through them.
var failpoints = []string{"mid-fetch", "before-commit", "inside-tx", "after-commit"}

// The sources a worker reads the mailbox through: EWS with impersonation (svc-sync),
// or Microsoft Graph as the generated world's app (Microsoft 365 app-only access).
const (
	sourceEWS   = "ews"
	sourceGraph = "graph"
)

func TestCrashSafety(t *testing.T) {
	bin := buildMailbridge(t)
	for _, d := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + t.TempDir() + "/mailbridge.db" }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		for _, source := range []string{sourceEWS, sourceGraph} {
			t.Run(d.name+"/"+source, func(t *testing.T) {
				t.Parallel()
				runCrashes(t, bin, d.dsn(t), source)
			})
		}
	}
}

// harness is one run: the simulator, the store and the organization synced.
type harness struct {
	source string
	app    *app.App
	st     *store.Store
	org    int64
	userID int64
	mb     *mailbox
}

func runCrashes(t *testing.T, bin, dsn, source string) {
	ctx := t.Context()
	began := time.Now()
	info := startSim(t, bin, simItems)
	h := setup(ctx, t, dsn, info, source)
	_, kinds := h.mb.items(ctx, t)
	h.mb.track(kinds)

	kills := map[string]int{}
	for round := range rounds {
		fp := failpoints[round%len(failpoints)]
		// Kill round r at about (r+1)/rounds of 90 % of the way, wherever the previous
		// kills left the sync: kills spread over the whole sync (its last tenth is left
		// to the final worker), each at the Nth hit of its failpoint from there.
		done := h.mailboxRecord(ctx, t).Items
		target := (round + 1) * len(h.mb.live) * 9 / (10 * rounds)
		nth := max(1, (target-int(done))/pageSize+(round*7)%5-2)
		started := time.Now()
		w := startWorker(t, bin, dsn, info, fmt.Sprintf("%s:%d", fp, nth))
		h.waitHit(ctx, t, w, fp, started)
		w.kill(t)
		kills[fp]++
		mb := h.mailboxRecord(ctx, t)
		h.mb.mutate(ctx, t, round)
		h.wake(ctx, t)
		t.Logf("round %2d: killed at %s (hit %d): %d items stored, %d of 4 folders complete", round, fp, nth, mb.Items, h.completeFolders(ctx, t))
	}
	killed := time.Since(began)

	// A worker without failpoints finishes the sync: every change was made before it
	// started, so a success recorded after its start covers them all.
	start := time.Now()
	w := startWorker(t, bin, dsn, info, "")
	h.waitSynced(ctx, t, w, start)
	w.stop(t)

	want, _ := h.mb.items(ctx, t)
	stored := h.compare(ctx, t, want)
	h.checkFeed(ctx, t, stored)

	total := 0
	for _, fp := range failpoints {
		total += kills[fp]
		if kills[fp] < 3 {
			t.Errorf("failpoint %s: %d kills, want at least 3", fp, kills[fp])
		}
	}
	if total < 20 {
		t.Errorf("%d kills, want at least 20", total)
	}
	t.Logf("%d kills (mid-fetch %d, before-commit %d, inside-tx %d, after-commit %d) in %v; final sync %v; whole run %v",
		total, kills["mid-fetch"], kills["before-commit"], kills["inside-tx"], kills["after-commit"],
		killed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	t.Logf("simulator: %d items (changes while workers were dead: %d created, %d modified, %d read flags, %d deleted); store: %d items",
		len(want), h.mb.created, h.mb.modified, h.mb.readFlags, h.mb.deleted, len(stored))
}

// setup creates the store with an organization, its user and the Email Configuration
// for source (which activates sync and enqueues the mailbox's job), in-process through
// the control service as an admin would, with the master key the workers are given.
func setup(ctx context.Context, t *testing.T, dsn string, info simInfo, source string) *harness {
	t.Helper()
	a, err := app.New(ctx, app.Config{Database: dsn, DataDir: t.TempDir(), MasterKey: masterKey, Migrate: true,
		AllowPrivateEndpoints: true, EntraAuthority: info.AuthorityURL, GraphURL: info.GraphURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	h := &harness{source: source, app: a, st: a.Store(), mb: newMailbox(t, info, user)}
	svc := a.Service()
	p := control.Principal{Kind: control.Operator, Label: "crash-harness"}
	org, err := svc.CreateOrganization(ctx, p, "Crash")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.AddUser(ctx, p, org.ID, user, "")
	if err != nil {
		t.Fatal(err)
	}
	h.org, h.userID = org.ID, u.ID
	cfg := control.EmailConfigInput{AccountLogon: svcAccount, Password: svcPassword, EWSURL: info.EWSURL, AuthMethod: "basic"}
	if source == sourceGraph {
		cfg = control.EmailConfigInput{AccessType: control.AccessMicrosoft365App, Tenant: exchangesim.GeneratedTenantID,
			ClientID: exchangesim.GeneratedAppClientID, Password: exchangesim.GeneratedAppSecret}
	}
	if _, err := svc.SaveEmailConfig(ctx, p, org.ID, cfg); err != nil {
		t.Fatalf("save the email configuration: %v", err)
	}
	if mb := h.mailboxRecord(ctx, t); mb.State != "active" {
		t.Fatalf("saving the configuration left the mailbox %q", mb.State)
	}
	return h
}

func (h *harness) mailboxRecord(ctx context.Context, t *testing.T) store.Mailbox {
	t.Helper()
	mb, err := h.st.GetMailbox(ctx, h.org, h.userID)
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

// completeFolders counts the synced folders whose items were synced to the end.
func (h *harness) completeFolders(ctx context.Context, t *testing.T) int {
	t.Helper()
	folders, err := h.st.ListFolders(ctx, h.userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range folders {
		if f.Synced && f.Complete {
			n++
		}
	}
	return n
}

// wake runs the mailbox's job now if it sleeps (as saving the configuration does).
func (h *harness) wake(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := h.app.Jobs().Enqueue(ctx, h.org, []int64{h.userID}); err != nil {
		t.Fatal(err)
	}
}

// waitHit waits for the worker to report that it stopped at failpoint name. It fails
// the test if the worker exits first, or if it syncs the mailbox to the end without
// reaching the failpoint (checked every 100 ms in the store: the schedule needs a
// larger mailbox).
func (h *harness) waitHit(ctx context.Context, t *testing.T, w *worker, name string, since time.Time) {
	t.Helper()
	deadline := time.After(hitTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-w.hits:
			if !ok {
				<-w.exited
				t.Fatalf("worker exited (%v) before failpoint %s", w.err, name)
			}
			if line != "HIT "+name {
				t.Fatalf("worker reported %q, want HIT %s", line, name)
			}
			return
		case <-tick.C:
			switch mb := h.mailboxRecord(ctx, t); {
			case mb.Status == "ok" && mb.LastSuccessAt != nil && mb.LastSuccessAt.After(since):
				t.Fatalf("the mailbox was synced to the end before failpoint %s: the kill schedule needs a larger mailbox", name)
			case mb.Status == "error":
				t.Fatalf("the mailbox's sync failed before failpoint %s: %s: %s", name, mb.StatusCode, mb.StatusMessage)
			}
		case <-deadline:
			t.Fatalf("worker did not reach failpoint %s within %v", name, hitTimeout)
		}
	}
}

// waitSynced waits until the mailbox's status is "ok" with a success after since,
// polling the store (no event crosses the process boundary); the worker must not exit.
func (h *harness) waitSynced(ctx context.Context, t *testing.T, w *worker, since time.Time) {
	t.Helper()
	deadline := time.After(syncTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		mb := h.mailboxRecord(ctx, t)
		if mb.Status == "ok" && mb.LastSuccessAt != nil && mb.LastSuccessAt.After(since) {
			return
		}
		if mb.Status == "error" {
			t.Fatalf("the mailbox's sync failed: %s: %s", mb.StatusCode, mb.StatusMessage)
		}
		select {
		case <-w.exited:
			t.Fatalf("the worker exited before the sync finished: %v", w.err)
		case <-deadline:
			t.Fatalf("the mailbox was not synced within %v: status %q, %d items", syncTimeout, mb.Status, mb.Items)
		case <-tick.C:
		}
	}
}

// compare fails the test unless the store holds exactly the simulator's items (id ->
// change key), once each, at their current change keys; it returns the stored items.
func (h *harness) compare(ctx context.Context, t *testing.T, want map[string]string) []store.StoredItem {
	t.Helper()
	items, err := h.st.ListItems(ctx, h.org, h.userID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var dup, lost, extra, stale []string
	for _, it := range items {
		if _, seen := got[it.ItemID]; seen {
			dup = append(dup, it.ItemID)
		}
		got[it.ItemID] = it.ChangeKey
	}
	if h.source == sourceGraph {
		graphIDs := make(map[string]string, len(want))
		for id, ck := range want {
			graphIDs[exchangesim.GraphID(id)] = ck
		}
		want = graphIDs
	}
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
	if len(dup)+len(lost)+len(extra)+len(stale) > 0 {
		sort.Strings(lost)
		sort.Strings(extra)
		sort.Strings(stale)
		t.Errorf("store vs simulator (%d expected, %d stored): %d lost %v, %d duplicated %v, %d extra %v, %d stale %v",
			len(want), len(items), len(lost), head(lost), len(dup), head(dup), len(extra), head(extra), len(stale), head(stale))
	} else {
		t.Logf("store vs simulator, item by item: %d items, 0 lost, 0 duplicated, 0 extra, 0 stale", len(want))
	}
	if mb := h.mailboxRecord(ctx, t); mb.Items != int64(len(items)) {
		t.Errorf("the mailbox counts %d items, the store holds %d", mb.Items, len(items))
	}
	return items
}

// checkFeed checks the organization's change feed against the store: every stored item
// has an upsert and its last change is one; every item the feed names that is not
// stored ends with a delete.
func (h *harness) checkFeed(ctx context.Context, t *testing.T, stored []store.StoredItem) {
	t.Helper()
	last := map[string]string{}
	upserted := map[string]bool{}
	for after := int64(0); ; {
		page, err := h.st.ListChanges(ctx, h.org, after, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			last[c.ItemID] = c.Op
			upserted[c.ItemID] = upserted[c.ItemID] || c.Op == "upsert"
		}
		after = page[len(page)-1].Seq
	}
	isStored := map[string]bool{}
	var bad []string
	for _, it := range stored {
		isStored[it.ItemID] = true
		if !upserted[it.ItemID] || last[it.ItemID] != "upsert" {
			bad = append(bad, fmt.Sprintf("%s (stored; feed: upserted %v, last %q)", it.ItemID, upserted[it.ItemID], last[it.ItemID]))
		}
	}
	for id, op := range last {
		if !isStored[id] && op != "delete" {
			bad = append(bad, fmt.Sprintf("%s (not stored; last change %q)", id, op))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		t.Errorf("change feed disagrees with the store for %d items: %s", len(bad), strings.Join(head(bad), "; "))
	}
}

func head(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}
