package jobs_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/jobs"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

var ctx = context.Background()

// simSources reads every organization's mailboxes from one simulator, through EWS as
// svc-sync or, when graph is set, through Graph as contoso's app, syncing the folders
// of its selection (every folder when it has none).
type simSources struct {
	client  *ewsclient.Client
	graph   *graph.Client
	folders syncer.Folders
}

func (s simSources) Source(context.Context, int64) (syncer.Source, error) {
	if s.graph != nil {
		return &syncer.GraphSource{Client: s.graph}, nil
	}
	return &syncer.EWSSource{Client: s.client}, nil
}

// The sources the jobs' tests run against.
const (
	sourceEWS   = "ews"
	sourceGraph = "graph"
)

var sources = []string{sourceEWS, sourceGraph}

func (s simSources) Folders(context.Context, int64) (syncer.Folders, error) {
	if s.folders == 0 {
		return syncer.AllFolders, nil
	}
	return s.folders, nil
}

type fixture struct {
	st    *store.Store
	srv   *exchangesim.Server
	sim   *exchangesim.Simulator
	src   simSources
	org   int64
	users map[string]int64
	dsn   string
}

var contosoUsers = []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "frank@contoso.com"}

func newFixture(t *testing.T, dsn string, simOpts ...exchangesim.Options) *fixture {
	t.Helper()
	var so exchangesim.Options
	if len(simOpts) > 0 {
		so = simOpts[0]
	}
	return newSourceFixture(t, dsn, sourceEWS, so)
}

// newSourceFixture is newFixture syncing through source.
func newSourceFixture(t *testing.T, dsn, source string, so exchangesim.Options) *fixture {
	t.Helper()
	f := &fixture{users: map[string]int64{}, dsn: dsn}
	var err error
	if f.sim, err = exchangesim.New(so); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	srv, err := f.sim.Start(sctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		c, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		srv.Shutdown(c)
	})
	f.srv = srv
	// Short retry delays: the throttling tests inject many ErrorServerBusy answers.
	client, err := ewsclient.New(srv.Info().EWSURL, ewsclient.NTLM("svc-sync@contoso.com", exchangesim.DefaultServicePassword),
		ewsclient.Options{RetryBaseDelay: 5 * time.Millisecond, MaxRetryWait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f.src = simSources{client: client}
	if source == sourceGraph {
		tokens, err := entra.NewTokenSource(entra.Credentials{Tenant: exchangesim.ContosoTenantID, ClientID: exchangesim.ContosoAppClientID,
			ClientSecret: exchangesim.ContosoAppSecret}, entra.GraphScope, entra.Options{Authority: srv.AuthorityURL()})
		if err != nil {
			t.Fatal(err)
		}
		if f.src.graph, err = graph.New(tokens, graph.Options{BaseURL: srv.GraphURL()}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.src.graph.CloseIdleConnections)
	}
	f.st = openStore(t, dsn)
	o, err := f.st.CreateOrganization(ctx, store.System, "Contoso")
	if err != nil {
		t.Fatal(err)
	}
	f.org = o.ID
	var nu []store.NewUser
	for _, u := range contosoUsers {
		nu = append(nu, store.NewUser{Email: u})
	}
	res, err := f.st.AddUsers(ctx, store.System, o.ID, "manual", nu, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Added {
		f.users[u.Email] = u.ID
	}
	return f
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, dsn, store.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := jobs.CheckSchema(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st
}

// runner starts a node's job runner over st.
func (f *fixture) runner(t *testing.T, st *store.Store, node string, before func(context.Context, jobs.SyncArgs), accountSlots ...int) *jobs.Runner {
	t.Helper()
	slots := 0
	if len(accountSlots) > 0 {
		slots = accountSlots[0]
	}
	r, err := jobs.New(jobs.Config{Store: st, Engine: syncer.New(st, syncer.Options{PageSize: 50, StepBudget: time.Second}),
		Sources: f.src, NodeID: node, Workers: 3, PollInterval: time.Hour, BeforeWork: before, AccountSlots: slots})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.Stop(c); err != nil {
			t.Errorf("stop %s: %v", node, err)
		}
	})
	return r
}

func (f *fixture) activate(t *testing.T, r *jobs.Runner) {
	t.Helper()
	ids, err := f.st.ActivateMailboxes(ctx, store.System, f.org)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Enqueue(ctx, f.org, ids); err != nil {
		t.Fatal(err)
	}
}

// waitFor waits, one River event at a time, until cond holds.
func waitFor(t *testing.T, events <-chan *river.Event, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(90 * time.Second)
	// The condition is looked at after every job event, and also every half second: the
	// last store write a condition depends on may land after the last event.
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-events:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// statuses returns each user's mailbox "state/status/code".
func (f *fixture) statuses(t *testing.T) map[string]string {
	t.Helper()
	mbs, err := f.st.ListMailboxes(ctx, f.org)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range mbs {
		out[m.Email] = m.State + "/" + m.Status + "/" + m.StatusCode
	}
	return out
}

var wantSynced = map[string]string{
	"alice@contoso.com": "active/ok/", "carol@contoso.com": "active/ok/", "dave@contoso.com": "active/ok/", "erin@contoso.com": "active/ok/",
	"bob@contoso.com": "active/error/impersonation_denied", "frank@contoso.com": "active/error/no_mailbox",
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func dsns() []struct {
	name string
	dsn  func(t *testing.T) string
} {
	return []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "mb.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	}
}

// Activating an organization syncs every mailbox through the jobs, and each ends with
// the status the access check would give it.
func TestJobsSyncEveryMailbox(t *testing.T) {
	t.Parallel()
	for _, d := range dsns() {
		for _, source := range sources {
			t.Run(d.name+"/"+source, func(t *testing.T) {
				t.Parallel()
				f := newSourceFixture(t, d.dsn(t), source, exchangesim.Options{})
				r := f.runner(t, f.st, "node-a", nil)
				events, stop := r.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
				defer stop()
				f.activate(t, r)
				waitFor(t, events, "every mailbox synced", func() bool { return equalMaps(f.statuses(t), wantSynced) })
				for _, u := range []string{"alice@contoso.com", "carol@contoso.com"} {
					mb, _ := f.st.GetMailbox(ctx, f.org, f.users[u])
					items, _ := f.st.ListItems(ctx, f.org, f.users[u])
					if mb.Items == 0 || int64(len(items)) != mb.Items || mb.LastSuccessAt == nil {
						t.Fatalf("%s: %d items stored, mailbox says %d, last success %v", u, len(items), mb.Items, mb.LastSuccessAt)
					}
				}
			})
		}
	}
}

// The jobs sync the folders the organization's Sources select: without Contacts and
// Sent Items, no contact and no sent message is stored.
func TestJobsFolderSelection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"))
	f.src.folders = syncer.AllFolders &^ (syncer.FolderContacts | syncer.FolderSentItems)
	r := f.runner(t, f.st, "node-a", nil)
	events, stop := r.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	f.activate(t, r)
	waitFor(t, events, "every mailbox synced", func() bool { return equalMaps(f.statuses(t), wantSynced) })
	items, err := f.st.ListItems(ctx, f.org, f.users["alice@contoso.com"])
	if err != nil {
		t.Fatal(err)
	}
	folders, err := f.st.ListFolders(ctx, f.users["alice@contoso.com"])
	if err != nil {
		t.Fatal(err)
	}
	sent := ""
	for _, fo := range folders {
		if fo.Distinguished == "sentitems" {
			sent = fo.FolderID
		}
	}
	kinds := map[string]int{}
	for _, it := range items {
		kinds[it.Kind]++
		if it.FolderID == sent {
			t.Fatalf("a sent message is stored: %+v", it)
		}
	}
	if sent == "" || kinds["contact"] != 0 || kinds["event"] == 0 || kinds["message"] == 0 {
		t.Fatalf("stored %v (Sent Items %q)", kinds, sent)
	}
}

// The first refused password stops every mailbox of the organization at once, without
// retries; saving new credentials (activation) brings them all back.
func TestJobsAuthFailureStopsOrganization(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"))
	var works atomic.Int64
	r := f.runner(t, f.st, "node-a", func(context.Context, jobs.SyncArgs) { works.Add(1) })
	events, stop := r.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	if err := f.sim.World().SetPassword("svc-sync@contoso.com", "Changed-on-Exchange-1!"); err != nil {
		t.Fatal(err)
	}
	f.activate(t, r)
	allStopped := func() bool {
		for _, s := range f.statuses(t) {
			if s != "stopped/error/auth_failed" {
				return false
			}
		}
		return true
	}
	waitFor(t, events, "every mailbox stopped with auth_failed", allStopped)
	// The jobs ended: none runs again while the credentials are wrong. At most one job per
	// mailbox ran (each saw the stop, or was the one that caused it).
	if n := works.Load(); n > int64(len(contosoUsers)) {
		t.Fatalf("%d job runs for %d mailboxes: jobs retried a refused password", n, len(contosoUsers))
	}
	// The admin fixes the password on Exchange and saves it here: sync resumes.
	if err := f.sim.World().SetPassword("svc-sync@contoso.com", exchangesim.DefaultServicePassword); err != nil {
		t.Fatal(err)
	}
	f.activate(t, r)
	waitFor(t, events, "sync resumed after new credentials", func() bool { return equalMaps(f.statuses(t), wantSynced) })
}

// Two nodes on one PostgreSQL database share the mailboxes: node A does not start its
// first job until node B has worked one, so both work; every mailbox ends synced, and no
// mailbox was written by two nodes (the commits' fencing would have refused it).
func TestJobsSeveralNodesShareWork(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, dsn)
	stB := openStore(t, dsn) // node B has its own connections, as another process would
	bWorked := make(chan struct{})
	var once sync.Once
	var aJobs, bJobs atomic.Int64
	ra := f.runner(t, f.st, "node-a", func(ctx context.Context, _ jobs.SyncArgs) {
		if aJobs.Add(1) == 1 {
			select {
			case <-bWorked:
			case <-ctx.Done():
			}
		}
	})
	rb := f.runner(t, stB, "node-b", func(context.Context, jobs.SyncArgs) {
		bJobs.Add(1)
		once.Do(func() { close(bWorked) })
	})
	// Either node's events may be the last: watch both.
	evA, stopA := ra.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stopA()
	evB, stopB := rb.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stopB()
	events := make(chan *river.Event)
	done := make(chan struct{})
	defer close(done)
	for _, ev := range []<-chan *river.Event{evA, evB} {
		go func() {
			for e := range ev {
				select {
				case events <- e:
				case <-done:
					return
				}
			}
		}()
	}
	f.activate(t, ra)
	waitFor(t, events, "every mailbox synced by two nodes", func() bool { return equalMaps(f.statuses(t), wantSynced) })
	if aJobs.Load() == 0 || bJobs.Load() == 0 {
		t.Fatalf("node A worked %d jobs, node B %d", aJobs.Load(), bJobs.Load())
	}
}

// The service account's concurrency is bounded across nodes: with one slot for the
// account, two nodes of three workers each never have more than one step's requests in
// flight (the engine's three concurrent GetItems) for the account, and everything syncs.
func TestJobsAccountConcurrencyBound(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	f := newFixture(t, dsn, exchangesim.Options{Throttle: exchangesim.ThrottlePolicy{MaxConcurrency: -1, ChargeTo: exchangesim.ChargeCaller},
		Faults: exchangesim.Faults{LatencyMS: 30}}) // slow enough that steps overlap
	stB := openStore(t, dsn)
	ra := f.runner(t, f.st, "node-a", nil, 1)
	rb := f.runner(t, stB, "node-b", nil, 1)
	evA, stopA := ra.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stopA()
	evB, stopB := rb.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stopB()
	f.activate(t, ra)
	waitFor(t, merge(t, evA, evB), "every mailbox synced under the account's bound", func() bool { return equalMaps(f.statuses(t), wantSynced) })
	resp, err := http.Get(f.srv.Info().AdminURL + "/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var state struct {
		Stats struct {
			MaxInFlight int `json:"max_in_flight_per_budget"`
		} `json:"throttle_stats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatal(err)
	}
	if state.Stats.MaxInFlight > 3 || state.Stats.MaxInFlight < 1 {
		t.Fatalf("the service account had %d requests in flight, want at most one step's 3", state.Stats.MaxInFlight)
	}
}

// merge passes the events of several channels on one, until the test ends.
func merge(t *testing.T, chs ...<-chan *river.Event) <-chan *river.Event {
	out := make(chan *river.Event)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	for _, ch := range chs {
		go func() {
			for e := range ch {
				select {
				case out <- e:
				case <-done:
					return
				}
			}
		}()
	}
	return out
}

// Lifecycle through the jobs: a user taken out of the impersonation scope, a mailbox
// deleted on Exchange, a user added to the organization later, and a throttling storm —
// each ends in the status it should, and the others keep syncing.
func TestJobsMailboxLifecycle(t *testing.T) {
	t.Parallel()
	for _, source := range sources {
		t.Run(source, func(t *testing.T) {
			t.Parallel()
			testMailboxLifecycle(t, source)
		})
	}
}

func testMailboxLifecycle(t *testing.T, source string) {
	// A throttling storm: through EWS, 30 % of GetItem and SyncFolderItems answered
	// ErrorServerBusy; through Graph, 429 with Retry-After once the app has made 12
	// requests in a second (for all its mailboxes).
	storm := exchangesim.Options{Faults: exchangesim.Faults{ErrorRate: map[string]float64{"GetItem": 0.3, "SyncFolderItems": 0.3},
		ErrorCode: "ErrorServerBusy", BackOffMS: 20}}
	if source == sourceGraph {
		storm = exchangesim.Options{Microsoft365: exchangesim.Microsoft365Options{
			GraphThrottle: exchangesim.GraphThrottlePolicy{Requests: 12, WindowSeconds: 1}}}
	}
	f := newSourceFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"), source, storm)
	r := f.runner(t, f.st, "node-a", nil)
	events, stop := r.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	f.activate(t, r)
	// Everyone still syncs through the storm, with the same result as without it.
	began := time.Now()
	waitFor(t, events, "every mailbox synced through the storm", func() bool { return equalMaps(f.statuses(t), wantSynced) })
	t.Logf("storm: %v", time.Since(began))
	if source == sourceGraph {
		if denied := f.graphThrottleDenied(t); denied == 0 {
			t.Fatal("the Graph throttle refused no request: no storm")
		}
	}
	aliceItems := f.items(t, "alice@contoso.com")

	w := f.sim.World()
	if err := w.RemoveScopeMembers("Sales", "carol@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := w.RemoveUser("dave@contoso.com"); err != nil {
		t.Fatal(err)
	}
	newUser, err := f.st.AddUsers(ctx, store.System, f.org, "manual", []store.NewUser{{Email: "room-atlas@contoso.com"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	created, err := f.st.CreateMailboxes(ctx, store.System, f.org)
	if err != nil || len(created) != 1 || created[0] != newUser.Added[0].ID {
		t.Fatalf("joiner's mailbox: %v %v", created, err)
	}
	all := []int64{}
	for _, id := range f.users {
		all = append(all, id)
	}
	if err := r.Enqueue(ctx, f.org, append(all, created...)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"alice@contoso.com": "active/ok/", "erin@contoso.com": "active/ok/", "room-atlas@contoso.com": "active/ok/",
		"carol@contoso.com": "active/error/impersonation_denied", "dave@contoso.com": "active/error/no_mailbox",
		"bob@contoso.com": "active/error/impersonation_denied", "frank@contoso.com": "active/error/no_mailbox",
	}
	began = time.Now()
	waitFor(t, events, "the lifecycle statuses", func() bool { return equalMaps(f.statuses(t), want) })
	t.Logf("lifecycle: %v", time.Since(began))
	// Alice kept syncing, untouched; carol's items stay stored until an admin removes her.
	if got := f.items(t, "alice@contoso.com"); got != aliceItems {
		t.Fatalf("alice has %d items, had %d", got, aliceItems)
	}
	if f.items(t, "carol@contoso.com") == 0 {
		t.Fatal("carol's stored items vanished when she left the scope")
	}
}

// graphThrottleDenied is how many Graph requests the simulator's throttle refused.
func (f *fixture) graphThrottleDenied(t *testing.T) int64 {
	t.Helper()
	resp, err := http.Get(f.srv.Info().AdminURL + "/graph/throttle")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var state struct {
		Stats exchangesim.GraphThrottleStats `json:"stats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatal(err)
	}
	return state.Stats.BudgetDenied + state.Stats.ConcurrencyDenied
}

func (f *fixture) items(t *testing.T, user string) int {
	t.Helper()
	var id int64
	for _, m := range mustList(t, f) {
		if m.Email == user {
			id = m.UserID
		}
	}
	its, err := f.st.ListItems(ctx, f.org, id)
	if err != nil {
		t.Fatal(err)
	}
	return len(its)
}

func mustList(t *testing.T, f *fixture) []store.Mailbox {
	t.Helper()
	mbs, err := f.st.ListMailboxes(ctx, f.org)
	if err != nil {
		t.Fatal(err)
	}
	return mbs
}

// The periodic re-check runs the access check of every organization, one job each.
func TestJobsRecheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"))
	other, err := f.st.CreateOrganization(ctx, store.System, "Other")
	if err != nil {
		t.Fatal(err)
	}
	checked := make(chan int64, 4)
	r, err := jobs.New(jobs.Config{Store: f.st, Engine: syncer.New(f.st, syncer.Options{}), Sources: f.src, Workers: 2,
		Recheck: func(_ context.Context, org int64) error { checked <- org; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(c)
	})
	if err := r.EnqueueRechecks(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	deadline := time.After(60 * time.Second)
	for len(got) < 2 {
		select {
		case org := <-checked:
			got[org] = true
		case <-deadline:
			t.Fatalf("re-checked %v", got)
		}
	}
	if !got[f.org] || !got[other.ID] {
		t.Fatalf("re-checked %v, want %d and %d", got, f.org, other.ID)
	}
}

// A wake that lands after a step looked for one, just before its job goes to sleep for
// the poll interval (an hour here), is not lost: the job runs again at once.
func TestWakeBeforeSleep(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"))
	alice := f.users["alice@contoso.com"]
	var steps atomic.Int64
	var armed atomic.Bool
	var r *jobs.Runner
	woke := make(chan error, 1)
	r, err := jobs.New(jobs.Config{Store: f.st, Engine: syncer.New(f.st, syncer.Options{PageSize: 50, StepBudget: time.Second}),
		Sources: f.src, NodeID: "node-a", Workers: 3, PollInterval: time.Hour,
		BeforeWork: func(_ context.Context, a jobs.SyncArgs) {
			if a.UserID == alice {
				steps.Add(1)
			}
		},
		BeforeSleep: func(ctx context.Context, a jobs.SyncArgs) {
			if a.UserID == alice && armed.CompareAndSwap(true, false) {
				woke <- r.Enqueue(ctx, f.org, []int64{alice}) // the job runs: the wake is a request
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r.Stop(c)
	})
	events, stop := r.Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	f.activate(t, r)
	waitFor(t, events, "every mailbox synced", func() bool { return equalMaps(f.statuses(t), wantSynced) })
	// A notification wakes alice's sleeping job; at the end of that step, another
	// arrives in the window.
	before := steps.Load()
	armed.Store(true)
	if err := r.Enqueue(ctx, f.org, []int64{alice}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, "the woken step", func() bool { return steps.Load() >= before+1 && !armed.Load() })
	if err := <-woke; err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, "the step after the late wake", func() bool { return steps.Load() >= before+2 })
}
