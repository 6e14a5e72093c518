// Package watch turns Exchange streaming notifications into syncs: a Watcher subscribes
// every active mailbox to streaming notifications and calls OnChange for a mailbox when
// it changes, which wakes the mailbox's sync job. Polling stays the fallback: a mailbox
// that cannot be subscribed, or whose subscription is being renewed, is synced at the
// poll interval as before.
//
// # Organizations and nodes
//
// Each organization is watched by one node at a time: the node that holds the named
// lease "watch:org:<id>" (store.NamedLease). The lease has a short TTL and is renewed
// while watching, so a crashed node's organizations are taken over within seconds; a
// node that stops releases its leases at once. Every RescanInterval (and when Rescan is
// called) the Watcher reads the active mailboxes: organizations that became active are
// acquired, mailboxes added or removed are subscribed or unsubscribed, organizations
// without active mailboxes are dropped.
//
// # Subscriptions and connections
//
// Each mailbox gets one streaming subscription to all its folders (SubscribeToAllFolders
// counts as one subscription against EWSMaxSubscriptions, which is 20 per mailbox in
// Exchange Online), created while impersonating it. Subscriptions are grouped, as
// Exchange recommends, into groups of at most GroupSize (200) mailboxes in address
// order; each group is read through one GetStreamingEvents connection made on behalf of
// the group's first mailbox (its anchor: impersonation and X-AnchorMailbox), which keeps
// the connections within HangingConnectionLimit. A group's membership is sticky: a
// mailbox stays in its group until its subscription ends.
//
// Every request of a group carries Exchange's affinity headers (ewsclient.Affinity):
// X-PreferServerAffinity with the group's anchor as X-AnchorMailbox on each Subscribe,
// and the X-BackEndOverrideCookie the first answer sets, replayed on the later Subscribes
// and on GetStreamingEvents — so that on a multi-server Exchange all of a group's
// subscriptions live on the server its connection reads from. Should a connection still
// answer ErrorSubscriptionNotFound, those mailboxes are subscribed again (and synced, as
// their events may be lost).
//
// # Failures
//
//   - A subscription that ends (expired, not found, missed events) is renewed at once,
//     then with back-off, and its mailbox is synced, since events may have been lost.
//   - A mailbox that cannot be subscribed (impersonation denied, no mailbox, too many
//     subscriptions) is left to polling and tried again after DeniedRetry.
//   - Throttling (ErrorServerBusy, ErrorExceededConnectionCount, HTTP 503) pauses the
//     organization's subscriptions, or the group's connection, for the back-off
//     Exchange asks for.
//   - When Exchange refuses the service account's credentials (HTTP 401) the
//     organization is no longer watched, and OnRefused is called, until its saved
//     configuration changes or its mailboxes stop being active and become active again:
//     repeating a refused password locks the account out.
package watch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/store"
)

// ErrNotEWS is what Config.Client returns for an organization synced through another
// protocol (Microsoft Graph): the watcher leaves it alone, without a warning.
var ErrNotEWS = errors.New("watch: the organization is not synced through EWS")

// Defaults of Config.
const (
	DefaultRescanInterval    = 30 * time.Second
	DefaultLeaseTTL          = 15 * time.Second
	DefaultDebounce          = 200 * time.Millisecond
	DefaultGroupSize         = 200 // mailboxes per group, as Exchange recommends
	DefaultConnectionTimeout = 30  // minutes, GetStreamingEvents' maximum
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultRetryMin          = time.Second
	DefaultRetryMax          = 5 * time.Minute
	DefaultDeniedRetry       = 15 * time.Minute
	DefaultSubscribers       = 4
)

// Config is what a Watcher needs. Store, Client and OnChange are required.
type Config struct {
	Store *store.Store
	// Client returns an EWS client for an organization's saved configuration. It is
	// asked again when the configuration's version changes.
	Client func(ctx context.Context, orgID int64) (*ewsclient.Client, error)
	// OnChange is called when a mailbox changed: a notification arrived, or events may
	// have been missed. Calls for one mailbox are debounced (Debounce). It runs on one
	// goroutine: it should return quickly.
	OnChange func(ctx context.Context, orgID, userID int64)
	// OnRefused, if set, is called once when Exchange refuses the organization's
	// credentials (the application stops the organization's sync until an admin saves
	// new ones).
	OnRefused func(ctx context.Context, orgID int64)

	// NodeID names this node in the organizations' leases; default the host name and a
	// random suffix.
	NodeID string
	Logger *slog.Logger
	// Now is the clock of back-offs and debouncing; default time.Now.
	Now func() time.Time

	// RescanInterval is how often the active mailboxes are read again; default 30 s.
	RescanInterval time.Duration
	// LeaseTTL is how long an organization's lease lasts without renewal (it is renewed
	// every third of it); default 15 s.
	LeaseTTL time.Duration
	// Debounce coalesces a mailbox's notifications: OnChange comes Debounce after the
	// first of a burst; default 200 ms.
	Debounce time.Duration
	// GroupSize bounds the subscriptions read through one GetStreamingEvents
	// connection; default 200.
	GroupSize int
	// ConnectionTimeout is the lifetime, in minutes (1–30), Exchange gives a
	// GetStreamingEvents connection before it closes it and the next one is opened;
	// default 30.
	ConnectionTimeout int
	// IdleTimeout ends a connection that has sent nothing, not even a keep-alive, for
	// this long (a half-open connection); default 2 minutes.
	IdleTimeout time.Duration
	// RetryMin and RetryMax bound the exponential back-off after failures; default 1 s
	// and 5 minutes.
	RetryMin, RetryMax time.Duration
	// DeniedRetry is how long a mailbox that cannot be subscribed is left to polling
	// before it is tried again; default 15 minutes.
	DeniedRetry time.Duration
	// Subscribers bounds the Subscribe calls in flight per organization; default 4.
	Subscribers int
}

func (c Config) withDefaults() Config {
	if c.NodeID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		c.NodeID = host + "-" + hex.EncodeToString(b[:])
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	dur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	dur(&c.RescanInterval, DefaultRescanInterval)
	dur(&c.LeaseTTL, DefaultLeaseTTL)
	dur(&c.Debounce, DefaultDebounce)
	dur(&c.IdleTimeout, DefaultIdleTimeout)
	dur(&c.RetryMin, DefaultRetryMin)
	dur(&c.RetryMax, DefaultRetryMax)
	dur(&c.DeniedRetry, DefaultDeniedRetry)
	if c.GroupSize <= 0 {
		c.GroupSize = DefaultGroupSize
	}
	if c.ConnectionTimeout <= 0 || c.ConnectionTimeout > 30 {
		c.ConnectionTimeout = DefaultConnectionTimeout
	}
	if c.Subscribers <= 0 {
		c.Subscribers = DefaultSubscribers
	}
	return c
}

// Stats describe what a Watcher is doing (tests, metrics).
type Stats struct {
	// Rescans counts the reads of the active mailboxes.
	Rescans int64
	// Orgs is how many organizations this node watches (holds the lease of).
	Orgs int
	// Subscribed is how many mailboxes have a live subscription; Streaming how many of
	// them are read by an open connection, of which there are Streams.
	Subscribed, Streaming, Streams int
	// Refused is how many watched organizations are on hold after a 401.
	Refused int
	// Notifications counts the mailbox notifications received; Changes the OnChange
	// calls made.
	Notifications, Changes int64
}

// Watcher watches the active mailboxes of the organizations this node holds for
// streaming notifications. Create it with New and run it with Run.
type Watcher struct {
	cfg  Config
	log  *slog.Logger
	poke chan struct{}
	deb  *debouncer

	rescans, notifications atomic.Int64

	mu      sync.Mutex
	views   map[int64]orgView
	updated chan struct{} // closed at the next change of views or Rescans
}

// orgView is what a session publishes about its organization.
type orgView struct {
	streaming  []int64 // user ids read by an open connection, sorted
	subscribed int
	streams    int
	refused    bool
}

// New returns a Watcher (not running).
func New(cfg Config) *Watcher {
	cfg = cfg.withDefaults()
	w := &Watcher{cfg: cfg, log: cfg.Logger, poke: make(chan struct{}, 1), views: map[int64]orgView{},
		updated: make(chan struct{})}
	w.deb = newDebouncer(cfg.Debounce, cfg.Now, cfg.OnChange)
	return w
}

// Rescan asks for the active mailboxes to be read now instead of at the next
// RescanInterval (mailboxes were just activated). It does not wait.
func (w *Watcher) Rescan() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// Updated returns a channel that is closed at the next change of what Stats and
// Streaming report. Take it before reading them, then wait on it.
func (w *Watcher) Updated() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.updated
}

// Streaming returns the users of the organization whose mailboxes are read by an open
// connection on this node, sorted.
func (w *Watcher) Streaming(orgID int64) []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.views[orgID].streaming)
}

// Stats returns the Watcher's current counts.
func (w *Watcher) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := Stats{Rescans: w.rescans.Load(), Orgs: len(w.views), Notifications: w.notifications.Load(), Changes: w.deb.fired.Load()}
	for _, v := range w.views {
		s.Subscribed += v.subscribed
		s.Streaming += len(v.streaming)
		s.Streams += v.streams
		if v.refused {
			s.Refused++
		}
	}
	return s
}

// publish records an organization's view (nil: no longer watched) and wakes Updated's
// waiters.
func (w *Watcher) publish(orgID int64, v *orgView) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v == nil {
		delete(w.views, orgID)
	} else {
		w.views[orgID] = *v
	}
	w.changedLocked()
}

func (w *Watcher) changedLocked() {
	close(w.updated)
	w.updated = make(chan struct{})
}

// watched is an organization session this node runs under the organization's lease.
type watched struct {
	s      *session
	lease  store.NamedLease
	cancel context.CancelFunc
	lost   bool // the lease was taken over: not released at the end
}

// exit reports the end of a session's run.
type exit struct{ orgID int64 }

// Run watches until ctx ends, then stops its sessions, releases their leases and
// returns nil once every goroutine it started has ended.
func (w *Watcher) Run(ctx context.Context) error {
	if w.cfg.Store == nil || w.cfg.Client == nil || w.cfg.OnChange == nil {
		return errors.New("watch: Config needs Store, Client and OnChange")
	}
	var wg sync.WaitGroup
	dctx, stopDeb := context.WithCancel(ctx)
	wg.Go(func() { w.deb.run(dctx) })
	defer func() {
		stopDeb()
		wg.Wait()
	}()

	sessions := map[int64]*watched{}
	exits := make(chan exit)
	active := map[int64]bool{}
	rescan := time.NewTimer(0)
	defer rescan.Stop()
	leases := time.NewTicker(w.cfg.LeaseTTL / 3)
	defer leases.Stop()

	// end releases an ended session's lease.
	end := func(orgID int64) {
		ws := sessions[orgID]
		delete(sessions, orgID)
		w.publish(orgID, nil)
		if ws.lost {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := w.cfg.Store.ReleaseNamedLease(rctx, ws.lease); err != nil && !errors.Is(err, store.ErrLeaseLost) {
			w.log.Warn("release an organization's watch lease", "org_id", orgID, "err", err)
		}
	}
	start := func(orgID int64, l store.NamedLease) {
		sctx, cancel := context.WithCancel(ctx)
		s := newSession(w, orgID)
		sessions[orgID] = &watched{s: s, lease: l, cancel: cancel}
		w.log.Info("watching the organization's mailboxes", "org_id", orgID, "lease_token", l.Token)
		wg.Go(func() {
			s.run(sctx)
			exits <- exit{orgID}
		})
	}
	tend := func() {
		now := w.cfg.Now()
		// Renew the leases this node holds, in one transaction.
		var mine []store.NamedLease
		for _, ws := range sessions {
			if !ws.lost {
				mine = append(mine, ws.lease)
			}
		}
		if len(mine) > 0 {
			held, err := w.cfg.Store.RenewNamedLeases(ctx, mine, w.cfg.LeaseTTL)
			if ctx.Err() != nil {
				return
			}
			renewed := make(map[string]store.NamedLease, len(held))
			for _, l := range held {
				renewed[l.Name] = l
			}
			for orgID, ws := range sessions {
				l, ok := renewed[ws.lease.Name]
				switch {
				case ws.lost:
				case err == nil && ok:
					ws.lease = l
				case err == nil:
					w.log.Warn("another node took over the organization's watch", "org_id", orgID)
					ws.lost = true
					ws.cancel()
				case now.After(ws.lease.ExpiresAt):
					// Another node may hold it by now.
					w.log.Warn("the organization's watch lease expired without renewal", "org_id", orgID, "err", err)
					ws.cancel()
				}
			}
			if err != nil {
				w.log.Warn("renew the organizations' watch leases", "err", err)
			}
		}
		// Take the active organizations whose lease is free or expired.
		var free []int64
		for _, orgID := range sortedKeys(active) {
			if _, ok := sessions[orgID]; !ok {
				free = append(free, orgID)
			}
		}
		if len(free) == 0 {
			return
		}
		all, err := w.cfg.Store.NamedLeases(ctx, leasePrefix)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("read the organizations' watch leases", "err", err)
			}
			return
		}
		current := make(map[string]store.NamedLease, len(all))
		for _, l := range all {
			current[l.Name] = l
		}
		for _, orgID := range free {
			if l, ok := current[LeaseName(orgID)]; ok && l.Owner != "" && l.Owner != w.cfg.NodeID && l.ExpiresAt.After(now) {
				continue // another node watches it
			}
			l, err := w.cfg.Store.AcquireNamedLease(ctx, LeaseName(orgID), w.cfg.NodeID, w.cfg.LeaseTTL)
			switch {
			case err == nil:
				start(orgID, l)
			case errors.Is(err, store.ErrLeaseHeld), ctx.Err() != nil:
			default:
				w.log.Warn("acquire an organization's watch lease", "org_id", orgID, "err", err)
			}
		}
	}
	scan := func() {
		refs, err := w.cfg.Store.ActiveMailboxes(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Warn("read the active mailboxes", "err", err)
			}
			return
		}
		clear(active)
		for _, r := range refs {
			active[r.OrgID] = true
		}
		for orgID, ws := range sessions {
			if !active[orgID] {
				ws.cancel()
				continue
			}
			ws.s.refresh()
		}
		tend()
		w.rescans.Add(1)
		w.mu.Lock()
		w.changedLocked()
		w.mu.Unlock()
	}

	for {
		select {
		case <-ctx.Done():
			for _, ws := range sessions {
				ws.cancel()
			}
			for len(sessions) > 0 {
				end((<-exits).orgID)
			}
			return nil
		case e := <-exits:
			end(e.orgID)
		case <-rescan.C:
			scan()
			rescan.Reset(w.cfg.RescanInterval)
		case <-w.poke:
			scan()
			rescan.Reset(w.cfg.RescanInterval)
		case <-leases.C:
			tend()
		}
	}
}

// leasePrefix starts the names of the organizations' watch leases.
const leasePrefix = "watch:org:"

// LeaseName is the name of the lease that gives a node the organization's watch.
func LeaseName(orgID int64) string { return leasePrefix + strconv.FormatInt(orgID, 10) }

func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// backoff returns the wait after n consecutive failures (n ≥ 1): RetryMin doubled
// n-1 times, at most RetryMax.
func (c *Config) backoff(n int) time.Duration {
	d := c.RetryMin
	for i := 1; i < n && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}
