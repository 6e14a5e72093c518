package watch_test

import (
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/exchangesim/simtest"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/watch"
)

// waitLimit bounds every wait; no test sleeps.
const waitLimit = 30 * time.Second

// fixture is an organization in the store whose users are mailboxes of a simulator on
// a real listener.
type fixture struct {
	sim   *exchangesim.Simulator
	url   string
	admin string
	dsn   string
	st    *store.Store
	org   int64
	users map[string]int64
}

func newFixture(t *testing.T, users ...string) *fixture {
	t.Helper()
	return newFixtureOn(t, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), users...)
}

// newFixtureOn is newFixture on the database dsn names.
func newFixtureOn(t *testing.T, dsn string, users ...string) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{users: map[string]int64{}, dsn: dsn}
	var srv *exchangesim.Server
	f.sim, srv = simtest.Start(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	f.url, f.admin = srv.Info().EWSURL, srv.Info().AdminURL
	f.st = f.openStore(t)
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
	if _, err := f.st.ActivateMailboxes(ctx, store.System, f.org); err != nil {
		t.Fatal(err)
	}
	return f
}

// openStore opens a store on the fixture's database, as another node would.
func (f *fixture) openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), f.dsn, store.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// client returns a client of svc-sync (NTLM unless auth says otherwise).
func (f *fixture) client(t *testing.T, auth ewsclient.Authenticator, opts ewsclient.Options) func(context.Context, int64) (*ewsclient.Client, error) {
	t.Helper()
	if auth == nil {
		auth = ewsclient.NTLM("svc-sync@contoso.com", exchangesim.DefaultServicePassword)
	}
	c, err := ewsclient.New(f.url, auth, opts)
	if err != nil {
		t.Fatal(err)
	}
	return func(context.Context, int64) (*ewsclient.Client, error) { return c, nil }
}

// setFaults changes the simulator's injected faults (the fields body names).
func (f *fixture) setFaults(t *testing.T, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, f.admin+"/faults", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT faults: HTTP %d", resp.StatusCode)
	}
}

// deliver puts a new message in the user's Inbox, as a delivery would.
func (f *fixture) deliver(t *testing.T, user, subject string) {
	t.Helper()
	mb, err := f.sim.World().Mailbox(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.CreateItem(exchangesim.FolderByName("inbox"), ews.Item{XMLName: xml.Name{Local: "t:Message"}, Subject: subject}); err != nil {
		t.Fatal(err)
	}
}

// change is one OnChange call.
type change struct {
	org, user int64
	at        time.Time
}

// recorder keeps a Watcher's OnChange calls.
type recorder struct {
	mu      sync.Mutex
	calls   []change
	updated chan struct{} // closed at the next call
}

func newRecorder() *recorder { return &recorder{updated: make(chan struct{})} }

func (r *recorder) onChange(_ context.Context, org, user int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, change{org, user, time.Now()})
	close(r.updated)
	r.updated = make(chan struct{})
}

// count returns how many calls there were for user, and how many of them at or after
// since.
func (r *recorder) count(user int64, since time.Time) (all, after int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c.user == user {
			all++
			if !c.at.Before(since) {
				after++
			}
		}
	}
	return all, after
}

// waitChange waits for a call for user made at or after since.
func (r *recorder) waitChange(t *testing.T, user int64, since time.Time) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		r.mu.Lock()
		updated := r.updated
		r.mu.Unlock()
		if _, after := r.count(user, since); after > 0 {
			return
		}
		select {
		case <-updated:
		case <-deadline:
			t.Fatalf("no OnChange for user %d", user)
		}
	}
}

// start runs a Watcher until the test ends (or stop is called; it waits for Run).
func start(t *testing.T, cfg watch.Config) (w *watch.Watcher, stop func()) {
	t.Helper()
	w = watch.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Error("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return w, stop
}

// waitFor waits, one Watcher update at a time, until cond holds.
func waitFor(t *testing.T, w *watch.Watcher, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		updated := w.Updated()
		if cond() {
			return
		}
		select {
		case <-updated:
		case <-deadline:
			t.Fatalf("timed out waiting for %s (stats %+v)", what, w.Stats())
		}
	}
}

// streaming reports whether all the users are read by an open connection.
func streaming(w *watch.Watcher, org int64, users ...int64) func() bool {
	return func() bool {
		have := map[int64]bool{}
		for _, u := range w.Streaming(org) {
			have[u] = true
		}
		for _, u := range users {
			if !have[u] {
				return false
			}
		}
		return true
	}
}

func (f *fixture) config(t *testing.T, r *recorder) watch.Config {
	return watch.Config{Store: f.st, Client: f.client(t, nil, ewsclient.Options{}), OnChange: r.onChange, NodeID: "node-a",
		LeaseTTL: time.Second}
}

// A message delivered to a subscribed mailbox wakes its sync; a mailbox the service
// account may not impersonate is left to polling.
func TestNotification(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "alice@contoso.com", "bob@contoso.com")
	alice, bob := f.users["alice@contoso.com"], f.users["bob@contoso.com"]
	r := newRecorder()
	w, _ := start(t, f.config(t, r))
	waitFor(t, w, "alice streaming", streaming(w, f.org, alice))
	if got := w.Streaming(f.org); len(got) != 1 {
		t.Fatalf("streaming %v: bob (outside the scope) should be left to polling", got)
	}

	before := time.Now()
	f.deliver(t, "alice@contoso.com", "Hello")
	r.waitChange(t, alice, before)
	if n, _ := r.count(bob, time.Time{}); n != 0 {
		t.Error("OnChange for bob")
	}
	if s := w.Stats(); s.Orgs != 1 || s.Subscribed != 1 || s.Streams != 1 || s.Notifications == 0 || s.Changes == 0 {
		t.Errorf("stats %+v", s)
	}
}

// A burst of deliveries wakes the sync far fewer times than there were messages, and at
// least once after the last of them.
func TestDebounce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "alice@contoso.com")
	alice := f.users["alice@contoso.com"]
	r := newRecorder()
	w, _ := start(t, f.config(t, r))
	waitFor(t, w, "alice streaming", streaming(w, f.org, alice))

	var last time.Time
	for i := range 10 {
		last = time.Now()
		f.deliver(t, "alice@contoso.com", "Burst "+string(rune('0'+i)))
	}
	r.waitChange(t, alice, last)
	if n, _ := r.count(alice, time.Time{}); n > 3 {
		t.Fatalf("%d OnChange calls for a burst of 10 messages", n)
	}
}

// Subscriptions are grouped: fewer GetStreamingEvents connections than mailboxes, each
// of which is notified.
func TestGroups(t *testing.T) {
	t.Parallel()
	users := []string{"alice@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "room-atlas@contoso.com"}
	for _, tc := range []struct {
		name      string
		groupSize int
		streams   int
	}{
		{"default size", 0, 1},
		{"two per group", 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, users...)
			var ids []int64
			for _, u := range users {
				ids = append(ids, f.users[u])
			}
			r := newRecorder()
			cfg := f.config(t, r)
			cfg.GroupSize = tc.groupSize
			w, _ := start(t, cfg)
			waitFor(t, w, "every mailbox streaming", streaming(w, f.org, ids...))
			if s := w.Stats(); s.Streams != tc.streams || s.Subscribed != len(users) {
				t.Fatalf("stats %+v, want %d connections for %d subscriptions", s, tc.streams, len(users))
			}
			if s := f.sim.SubscriptionStats(); s.Streams != tc.streams || s.Subscriptions != len(users) {
				t.Fatalf("the simulator counts %+v, want %d connections for %d subscriptions", s, tc.streams, len(users))
			}
			before := time.Now()
			for _, u := range users {
				f.deliver(t, u, "For "+u)
			}
			for _, u := range users {
				r.waitChange(t, f.users[u], before)
			}
		})
	}
}

// Two nodes on one database: only one watches the organization; when it stops, or
// stops renewing its lease as a crashed node would, the other takes over and
// notifications still arrive.
func TestLeaseTakeover(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "m.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		for _, crash := range []bool{false, true} {
			name := db.name + "/stop"
			if crash {
				name = db.name + "/crash"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				f := newFixtureOn(t, db.dsn(t), "alice@contoso.com")
				alice := f.users["alice@contoso.com"]
				ra, rb := newRecorder(), newRecorder()
				cfgA := f.config(t, ra)
				cfgA.Store = f.openStore(t)
				a, stopA := start(t, cfgA)
				waitFor(t, a, "node a streaming", streaming(a, f.org, alice))

				cfgB := f.config(t, rb)
				cfgB.NodeID = "node-b"
				cfgB.RescanInterval = 50 * time.Millisecond
				b, _ := start(t, cfgB)
				waitFor(t, b, "node b's rescans", func() bool { return b.Stats().Rescans >= 5 })
				if s := b.Stats(); s.Orgs != 0 || s.Subscribed != 0 {
					t.Fatalf("node b watches while node a holds the lease: %+v", s)
				}
				before := time.Now()
				f.deliver(t, "alice@contoso.com", "To node a")
				ra.waitChange(t, alice, before)

				if crash {
					cfgA.Store.Close() // node a can no longer renew (nor release) its lease
				} else {
					stopA()
				}
				waitFor(t, b, "node b streaming", streaming(b, f.org, alice))
				l, err := f.st.GetNamedLease(context.Background(), watch.LeaseName(f.org))
				if err != nil || l.Owner != "node-b" || l.Token < 2 {
					t.Fatalf("lease %+v, %v", l, err)
				}
				before = time.Now()
				f.deliver(t, "alice@contoso.com", "To node b")
				rb.waitChange(t, alice, before)
				if crash {
					waitFor(t, a, "node a giving up", func() bool { return a.Stats().Orgs == 0 })
				}
			})
		}
	}
}

// countingTransport counts requests by operation, and 401 answers.
type countingTransport struct {
	base http.RoundTripper

	mu           sync.Mutex
	ops          map[string]int
	unauthorized int
	updated      chan struct{} // closed at the next request
}

func newCountingTransport() *countingTransport {
	return &countingTransport{base: &http.Transport{}, ops: map[string]int{}, updated: make(chan struct{})}
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	action := strings.Trim(req.Header.Get("SOAPAction"), `"`)
	op := action[strings.LastIndex(action, "/")+1:]
	resp, err := c.base.RoundTrip(req)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops[op]++
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		c.unauthorized++
	}
	close(c.updated)
	c.updated = make(chan struct{})
	return resp, err
}

// count returns how many op requests were sent (all 401s for "401").
func (c *countingTransport) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op == "401" {
		return c.unauthorized
	}
	return c.ops[op]
}

// wait waits until at least n op requests were sent.
func (c *countingTransport) wait(t *testing.T, op string, n int) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		c.mu.Lock()
		updated := c.updated
		c.mu.Unlock()
		if c.count(op) >= n {
			return
		}
		select {
		case <-updated:
		case <-deadline:
			t.Fatalf("timed out waiting for %d %s requests (%d)", n, op, c.count(op))
		}
	}
}

// A refused password stops the watch without being tried again, until the
// organization's mailboxes are active again.
func TestRefusedPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com")
	rt := newCountingTransport()
	var refused atomic.Int64
	r := newRecorder()
	cfg := f.config(t, r)
	wrong := f.client(t, ewsclient.Basic("svc-sync@contoso.com", "not-the-password"), ewsclient.Options{Transport: rt})
	var client atomic.Pointer[func(context.Context, int64) (*ewsclient.Client, error)]
	client.Store(&wrong)
	cfg.Client = func(ctx context.Context, org int64) (*ewsclient.Client, error) { return (*client.Load())(ctx, org) }
	cfg.OnRefused = func(_ context.Context, org int64) {
		if org == f.org {
			refused.Add(1)
		}
	}
	cfg.RescanInterval = 20 * time.Millisecond
	w, _ := start(t, cfg)
	waitFor(t, w, "refusal", func() bool { return w.Stats().Refused == 1 })
	rescans := w.Stats().Rescans
	waitFor(t, w, "more rescans", func() bool { return w.Stats().Rescans >= rescans+10 })
	if n := rt.count("401"); n != 1 {
		t.Fatalf("%d requests refused, want 1", n)
	}
	if n := refused.Load(); n != 1 {
		t.Fatalf("OnRefused called %d times", n)
	}

	// The mailboxes are paused (the application stops them on OnRefused), then active
	// again: the watch tries again, once.
	for _, id := range f.users {
		if err := f.st.SetMailboxState(ctx, store.System, f.org, id, "paused"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, w, "the organization dropped", func() bool { return w.Stats().Orgs == 0 })
	for _, id := range f.users {
		if err := f.st.SetMailboxState(ctx, store.System, f.org, id, "active"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, w, "the second refusal", func() bool { return refused.Load() == 2 })
	if n := rt.count("401"); n != 2 {
		t.Fatalf("%d requests refused, want 2", n)
	}

	// An admin saves the right password: the watch starts again at once.
	right := f.client(t, ewsclient.Basic("svc-sync@contoso.com", exchangesim.DefaultServicePassword), ewsclient.Options{Transport: rt})
	client.Store(&right)
	if _, err := f.st.SaveEmailConfig(ctx, store.System, 0, store.EmailConfig{OrgID: f.org, AccessType: "exchange_impersonation",
		AccountLogon: "svc-sync@contoso.com", PasswordSealed: []byte("sealed"), EWSURL: f.url, AuthMethod: "basic"}, 0); err != nil {
		t.Fatal(err)
	}
	w.Rescan()
	waitFor(t, w, "streaming with the new password", streaming(w, f.org, f.users["alice@contoso.com"], f.users["carol@contoso.com"]))
	if s := w.Stats(); s.Refused != 0 || rt.count("401") != 2 {
		t.Fatalf("stats %+v, %d requests refused", s, rt.count("401"))
	}
}

// Connections Exchange closes after their ConnectionTimeout are opened again, and no
// event is lost in between.
func TestReconnect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "alice@contoso.com", "carol@contoso.com")
	f.sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{ConnectionTimeoutUnit: 20 * time.Millisecond})
	alice, carol := f.users["alice@contoso.com"], f.users["carol@contoso.com"]
	rt := newCountingTransport()
	r := newRecorder()
	cfg := f.config(t, r)
	cfg.Client = f.client(t, ewsclient.Basic("svc-sync@contoso.com", exchangesim.DefaultServicePassword), ewsclient.Options{Transport: rt})
	cfg.ConnectionTimeout = 1
	w, _ := start(t, cfg)
	waitFor(t, w, "streaming", streaming(w, f.org, alice, carol))
	rt.wait(t, "GetStreamingEvents", 5)
	for i := range 3 {
		before := time.Now()
		f.deliver(t, "carol@contoso.com", "Between connections "+string(rune('0'+i)))
		r.waitChange(t, carol, before)
	}
	if n := rt.count("Subscribe"); n != 2 {
		t.Errorf("%d Subscribe calls for 2 mailboxes: subscriptions outlive connections", n)
	}
}

// A subscription Exchange no longer knows (the mailbox was deleted and created again)
// is made again, and the mailbox synced, since its events may have been missed.
func TestResubscribe(t *testing.T) {
	t.Parallel()
	const addr = "alice@contoso.com"
	f := newFixture(t, addr)
	alice := f.users[addr]
	rt := newCountingTransport()
	r := newRecorder()
	cfg := f.config(t, r)
	cfg.Client = f.client(t, ewsclient.Basic("svc-sync@contoso.com", exchangesim.DefaultServicePassword), ewsclient.Options{Transport: rt})
	w, _ := start(t, cfg)
	waitFor(t, w, "streaming", streaming(w, f.org, alice))
	for i := range 3 {
		f.deliver(t, addr, "Before "+string(rune('0'+i)))
	}
	r.waitChange(t, alice, time.Time{})

	world := f.sim.World()
	if err := world.RemoveUser(addr); err != nil {
		t.Fatal(err)
	}
	if _, err := world.AddUser(exchangesim.UserSpec{SMTP: addr, Password: exchangesim.DefaultUserPassword,
		GivenName: "Alice", Surname: "Anderson", Department: "Sales"}); err != nil {
		t.Fatal(err)
	}
	if err := world.AddScopeMembers("Sales", addr); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	f.deliver(t, addr, "In the new mailbox") // its subscription dies with the old mailbox
	rt.wait(t, "Subscribe", 2)
	r.waitChange(t, alice, before)
	waitFor(t, w, "streaming again", func() bool { return streaming(w, f.org, alice)() && w.Stats().Subscribed == 1 })

	before = time.Now()
	f.deliver(t, addr, "Notified again")
	r.waitChange(t, alice, before)
}

// ErrorServerBusy on Subscribe holds the subscriptions back for the time asked; they
// are made once Exchange lets them.
func TestThrottled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "alice@contoso.com")
	alice := f.users["alice@contoso.com"]
	f.setFaults(t, `{"error_rate":{"Subscribe":1,"GetStreamingEvents":1},"error_code":"ErrorServerBusy","back_off_ms":50}`)
	rt := newCountingTransport()
	r := newRecorder()
	cfg := f.config(t, r)
	cfg.Client = f.client(t, ewsclient.Basic("svc-sync@contoso.com", exchangesim.DefaultServicePassword),
		ewsclient.Options{Transport: rt, MaxRetries: -1})
	cfg.RetryMin = 10 * time.Millisecond
	w, _ := start(t, cfg)
	rt.wait(t, "Subscribe", 3)
	f.setFaults(t, `{"error_rate":{"GetStreamingEvents":1}}`)
	rt.wait(t, "GetStreamingEvents", 3)
	if s := w.Stats(); s.Subscribed != 1 || s.Streams != 0 {
		t.Fatalf("stats %+v while connections are throttled", s)
	}
	f.setFaults(t, `{"error_rate":{}}`)
	waitFor(t, w, "streaming", streaming(w, f.org, alice))
	before := time.Now()
	f.deliver(t, "alice@contoso.com", "After the storm")
	r.waitChange(t, alice, before)
}

// Mailboxes paused, resumed or added later are unsubscribed and subscribed.
func TestMembership(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, "alice@contoso.com", "carol@contoso.com")
	alice, carol := f.users["alice@contoso.com"], f.users["carol@contoso.com"]
	r := newRecorder()
	w, _ := start(t, f.config(t, r))
	waitFor(t, w, "streaming", streaming(w, f.org, alice, carol))

	if err := f.st.SetMailboxState(ctx, store.System, f.org, carol, "paused"); err != nil {
		t.Fatal(err)
	}
	w.Rescan()
	waitFor(t, w, "carol unsubscribed", func() bool { return slices.Equal(w.Streaming(f.org), []int64{alice}) })

	res, err := f.st.AddUsers(ctx, store.System, f.org, "manual", []store.NewUser{{Email: "dave@contoso.com"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	dave := res.Added[0].ID
	if _, err := f.st.CreateMailboxes(ctx, store.System, f.org); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetMailboxState(ctx, store.System, f.org, carol, "active"); err != nil {
		t.Fatal(err)
	}
	w.Rescan()
	waitFor(t, w, "dave and carol subscribed", streaming(w, f.org, alice, carol, dave))
	before := time.Now()
	f.deliver(t, "dave@contoso.com", "Welcome")
	r.waitChange(t, dave, before)
}

// Run owns its goroutines: none is left once it has returned. (Not parallel: the other
// tests' watchers run later.)
func TestRunStopsEverything(t *testing.T) {
	f := newFixture(t, "alice@contoso.com", "bob@contoso.com", "carol@contoso.com")
	r := newRecorder()
	w, stop := start(t, f.config(t, r))
	waitFor(t, w, "streaming", streaming(w, f.org, f.users["alice@contoso.com"], f.users["carol@contoso.com"]))
	f.deliver(t, "alice@contoso.com", "Pending")
	stop()
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "internal/watch.(*") {
			t.Errorf("a goroutine is left:\n%s", g)
		}
	}
	if s := w.Stats(); s.Orgs != 0 || s.Streams != 0 {
		t.Errorf("stats after Run: %+v", s)
	}
	l, err := f.st.GetNamedLease(context.Background(), watch.LeaseName(f.org))
	if err != nil || l.Owner != "" {
		t.Errorf("the lease is not released: %+v, %v", l, err)
	}
}

// An organization synced through Microsoft Graph is not watched: its client answers
// ErrNotEWS, and the watcher neither retries it at once nor warns about it.
func TestNotEWS(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "alice@contoso.com")
	var calls atomic.Int64
	logs := &lockedBuffer{}
	cfg := f.config(t, newRecorder())
	cfg.Client = func(context.Context, int64) (*ewsclient.Client, error) {
		calls.Add(1)
		return nil, watch.ErrNotEWS
	}
	cfg.RescanInterval = 20 * time.Millisecond
	cfg.RetryMin, cfg.RetryMax = 10*time.Millisecond, time.Hour
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, _ := start(t, cfg)
	waitFor(t, w, "rescans", func() bool { return w.Stats().Rescans >= 20 })
	if n := calls.Load(); n != 1 {
		t.Fatalf("the client was asked %d times in 20 rescans", n)
	}
	if s := w.Stats(); s.Subscribed != 0 || s.Refused != 0 {
		t.Fatalf("stats %+v", s)
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("warned: %s", logs.String())
	}
}

// lockedBuffer is a log sink safe for the watcher's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
