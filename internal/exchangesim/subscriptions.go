package exchangesim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Notification subscriptions (Subscribe, GetEvents, GetStreamingEvents, Unsubscribe) share
// the registry in this file. The model follows Exchange's:
//
//   - Each mailbox that has been subscribed to keeps an event log, the simulator's copy of
//     the store's event table: the World's events in watermark order, bounded by
//     SubscriptionPolicy.EventLog events and by 30 days (as the store's table). A watermark
//     names a position in it; one that fell out of it (or never was in it) is
//     ErrorInvalidWatermark.
//   - A pull subscription reads the log from the watermark GetEvents passes. A streaming
//     subscription has a cursor in the log; its open connection is woken by the World's
//     listener and reads past the cursor. Neither copies events, so a slow client costs
//     nothing but its place in the log, and the World's delivery never waits on it: a
//     stream that falls behind the log's start gets ErrorMissedNotificationEvents.
//   - Subscriptions belong to the account that created them (under impersonation, the
//     service account, not the target), and count against EWSMaxSubscriptions of the
//     budget the Subscribe call was charged to (the target mailbox's copy, see throttle.go).
//   - Expiry is checked lazily against the simulator's clock: a pull subscription not
//     polled for its Timeout, a streaming one with no open connection for
//     SubscriptionPolicy.StreamingIdleTimeout.
//
// Locking: the World calls the listener with a mailbox lock held, and the listener takes
// subscriptions.mu; so nothing here calls into the World while holding mu.

// Response codes the ews package has no constant for.
const (
	codeEventNotFound                  = "ErrorEventNotFound"
	codeInvalidSubscriptionRequest     = "ErrorInvalidSubscriptionRequest"
	codeNewEventStreamConnectionOpened = "ErrorNewEventStreamConnectionOpened"
)

// Defaults of SubscriptionPolicy.
const (
	defaultMaxSubscriptions       = 5000 // EWSMaxSubscriptions, Exchange 2013–2019 on-premises
	defaultHangingConnectionLimit = 10   // HangingConnectionLimit, Exchange 2016/2019
	defaultKeepAlive              = 40 * time.Second
	defaultEventLog               = 2000
	defaultStreamingIdleTimeout   = 30 * time.Minute
	eventRetention                = 30 * 24 * time.Hour // the store's event table window
	getEventsPageSize             = 50                  // events per GetEvents answer, as Exchange
	sweepInterval                 = time.Minute
)

// SubscriptionPolicy sets the simulator's notification limits and timings. The zero value
// of a field means its default; a negative limit disables it.
type SubscriptionPolicy struct {
	// MaxSubscriptions is EWSMaxSubscriptions: live pull and streaming subscriptions per
	// budget (default 5000). Excess Subscribe calls get ErrorExceededSubscriptionCount.
	MaxSubscriptions int
	// HangingConnectionLimit is the number of concurrent GetStreamingEvents connections per
	// budget (default 10, as Exchange 2016/2019). Excess connections get
	// ErrorExceededConnectionCount in the stream.
	HangingConnectionLimit int
	// KeepAlive is how long an open stream stays silent before it gets a ConnectionStatus OK
	// envelope (default 40s, under the 45s heartbeat the EWS Managed API expects).
	KeepAlive time.Duration
	// ConnectionTimeoutUnit is the real duration of one minute of a GetStreamingEvents
	// ConnectionTimeout (default time.Minute). Tests shorten it to see Closed quickly.
	ConnectionTimeoutUnit time.Duration
	// EventLog is how many events each subscribed mailbox keeps for watermarks and for
	// streams that fall behind (default 2000).
	EventLog int
	// StreamingIdleTimeout is how long, by the simulator's clock, a streaming subscription
	// survives without an open connection (default 30 minutes).
	StreamingIdleTimeout time.Duration
}

func (p SubscriptionPolicy) withDefaults() SubscriptionPolicy {
	if p.MaxSubscriptions == 0 {
		p.MaxSubscriptions = defaultMaxSubscriptions
	}
	if p.HangingConnectionLimit == 0 {
		p.HangingConnectionLimit = defaultHangingConnectionLimit
	}
	if p.KeepAlive <= 0 {
		p.KeepAlive = defaultKeepAlive
	}
	if p.ConnectionTimeoutUnit <= 0 {
		p.ConnectionTimeoutUnit = time.Minute
	}
	if p.EventLog <= 0 {
		p.EventLog = defaultEventLog
	}
	if p.StreamingIdleTimeout <= 0 {
		p.StreamingIdleTimeout = defaultStreamingIdleTimeout
	}
	return p
}

// SetSubscriptionPolicy changes the notification limits and timings. New limits apply to
// the next Subscribe or GetStreamingEvents; timings to streams opened afterwards.
func (s *Simulator) SetSubscriptionPolicy(p SubscriptionPolicy) {
	s.subs.mu.Lock()
	s.subs.policy = p.withDefaults()
	s.subs.mu.Unlock()
}

// SubscriptionPolicy returns the notification limits and timings in force.
func (s *Simulator) SubscriptionPolicy() SubscriptionPolicy { return s.subs.currentPolicy() }

// SubscriptionStats counts live notification subscriptions and open streaming connections.
type SubscriptionStats struct {
	Subscriptions int `json:"subscriptions"`
	Streams       int `json:"streams"`
}

// SubscriptionStats returns the current counts (expired subscriptions are not counted).
func (s *Simulator) SubscriptionStats() SubscriptionStats {
	r := s.subs
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweepLocked(r.now(), true)
	return SubscriptionStats{Subscriptions: len(r.byID), Streams: len(r.conns)}
}

type subKind int

const (
	pullSubscription subKind = iota + 1
	streamingSubscription
)

// subscription is one Subscribe's result. Fields after mb are guarded by subscriptions.mu.
type subscription struct {
	id      string
	kind    subKind
	owner   string // the creating account's primary SMTP address
	mailbox string // the subscribed mailbox's primary SMTP address
	mb      *Mailbox
	budget  string // the EWSMaxSubscriptions budget it is counted in
	all     bool
	folders map[string]bool // FolderId.Id of the subscribed folders, unless all
	kinds   uint32          // bit 1<<EventKind for each subscribed event type
	timeout time.Duration   // pull only

	lastUsed time.Time   // pull: last poll; streaming: creation or last disconnect
	cursor   uint64      // streaming: the last event delivered
	conn     *streamConn // streaming: the connection serving it
	removed  bool
}

// matches reports whether the subscription reports e: the event type is subscribed and the
// object is in (or, for moves and copies, came from) a subscribed folder. A folder's own
// change reaches subscribers to the folder, as Exchange sends an Inbox ModifiedEvent to
// Inbox subscribers.
func (sub *subscription) matches(e *Event) bool {
	if sub.kinds&(1<<uint(e.Kind)) == 0 {
		return false
	}
	if sub.all || sub.folders[e.ParentFolderId.Id] {
		return true
	}
	if e.FolderId != nil && sub.folders[e.FolderId.Id] {
		return true
	}
	return e.OldParentFolderId != nil && sub.folders[e.OldParentFolderId.Id]
}

// eventLog is one mailbox's retained events, oldest first, all after floor.
type eventLog struct {
	ready    bool   // floor is known (see subscriptions.startLog)
	floor    uint64 // events up to this watermark are gone
	latest   uint64 // the newest event's watermark
	events   []Event
	watchers map[*streamConn]struct{}
}

// trim drops events beyond max and older than cutoff.
func (l *eventLog) trim(max int, cutoff time.Time) {
	k := 0
	if n := len(l.events) - max; n > 0 {
		k = n
	}
	for k < len(l.events) && l.events[k].Time.Before(cutoff) {
		k++
	}
	if k > 0 {
		l.floor = l.events[k-1].Watermark
		l.events = l.events[k:]
	}
}

// after returns the retained events with a watermark above wm.
func (l *eventLog) after(wm uint64) []Event {
	i, _ := slices.BinarySearchFunc(l.events, wm+1, func(e Event, w uint64) int {
		switch {
		case e.Watermark < w:
			return -1
		case e.Watermark > w:
			return 1
		}
		return 0
	})
	return l.events[i:]
}

// valid reports whether wm names a position the log can read from.
func (l *eventLog) valid(wm uint64) bool { return l.ready && wm >= l.floor && wm <= l.latest }

// streamConn is one open GetStreamingEvents connection. Fields other than wake, srv,
// budget and mailboxes are guarded by subscriptions.mu.
type streamConn struct {
	wake      chan struct{} // capacity 1: something for the connection to look at
	srv       *http.Server
	budget    string
	mailboxes []*Mailbox // distinct, for the batching barrier
	subs      []*subscription
	shutdown  bool
}

func (c *streamConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// subscriptions is the Simulator's notification registry.
type subscriptions struct {
	now    func() time.Time
	server string // the backend server's FQDN, embedded in subscription ids as Exchange does

	mu        sync.Mutex
	policy    SubscriptionPolicy
	byID      map[string]*subscription
	budgets   map[string]map[*subscription]struct{}
	logs      map[string]*eventLog // by primary SMTP address
	conns     map[*streamConn]struct{}
	hanging   map[string]int        // open connections per budget
	servers   map[*http.Server]bool // shutdown hook registered; true once shut down
	lastSweep time.Time
}

func newSubscriptions(s *Simulator) *subscriptions {
	r := &subscriptions{
		now:     s.world.Now,
		server:  "EXCH01",
		policy:  SubscriptionPolicy{}.withDefaults(),
		byID:    map[string]*subscription{},
		budgets: map[string]map[*subscription]struct{}{},
		logs:    map[string]*eventLog{},
		conns:   map[*streamConn]struct{}{},
		hanging: map[string]int{},
		servers: map[*http.Server]bool{},
	}
	if doms := s.world.Directory().Domains(); len(doms) > 0 {
		r.server += "." + doms[0].Name
	}
	// The registry lives as long as the World: the listener is never removed.
	s.world.AddListener(r.onEvent)
	return r
}

func (r *subscriptions) currentPolicy() SubscriptionPolicy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.policy
}

// onEvent is the World's listener: it logs events of subscribed mailboxes and wakes the
// connections streaming them. It never blocks.
func (r *subscriptions) onEvent(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.logs[e.Mailbox]
	if l == nil {
		return
	}
	if l.ready && e.Watermark <= l.latest {
		// The watermark went back: the user was removed and added again, a new mailbox.
		// The old one's subscriptions and watermarks die with it.
		for _, sub := range r.byID {
			if sub.mailbox == e.Mailbox {
				r.removeLocked(sub)
			}
		}
		l.events, l.floor = nil, e.Watermark-1
	}
	l.events = append(l.events, e)
	l.latest = e.Watermark
	l.trim(r.policy.EventLog, r.now().Add(-eventRetention))
	for c := range l.watchers {
		c.signal()
	}
}

// startLog makes sure mailbox mb logs its events from now on and returns with r.mu held.
// The first subscription of a mailbox starts its log at the mailbox's current watermark:
// mark the mailbox as logged, then read the watermark (events in between are logged and
// then dropped as at or below it), then lock.
func (r *subscriptions) startLog(mb *Mailbox) *eventLog {
	smtp := mb.SMTP()
	r.mu.Lock()
	l := r.logs[smtp]
	if l == nil {
		l = &eventLog{watchers: map[*streamConn]struct{}{}}
		r.logs[smtp] = l
	}
	ready := l.ready
	r.mu.Unlock()
	if ready {
		r.mu.Lock()
		return l
	}
	wm := mb.Watermark()
	r.mu.Lock()
	if !l.ready {
		l.ready, l.floor = true, wm
		l.latest = max(l.latest, wm)
		l.events = slices.DeleteFunc(l.events, func(e Event) bool { return e.Watermark <= wm })
	}
	return l
}

// addLocked registers a new subscription and gives it its id, enforcing
// EWSMaxSubscriptions on its budget (expired subscriptions are purged first).
func (r *subscriptions) addLocked(sub *subscription, now time.Time) error {
	set := r.budgets[sub.budget]
	if lim := r.policy.MaxSubscriptions; lim > 0 && len(set) >= lim {
		for other := range set {
			if r.expiredLocked(other, now) {
				r.removeLocked(other)
			}
		}
		if set = r.budgets[sub.budget]; len(set) >= lim {
			return &ews.ResponseError{Code: ews.ErrorExceededSubscriptionCount,
				Message: "You have exceeded the maximum number of subscriptions (" + strconv.Itoa(lim) + ") allowed by your throttling policy."}
		}
	}
	if set == nil {
		set = map[*subscription]struct{}{}
		r.budgets[sub.budget] = set
	}
	sub.id = r.newID(now)
	set[sub] = struct{}{}
	r.byID[sub.id] = sub
	return nil
}

// removeLocked ends a subscription; a connection streaming it notices at its next wake.
func (r *subscriptions) removeLocked(sub *subscription) {
	if sub.removed {
		return
	}
	sub.removed = true
	delete(r.byID, sub.id)
	if set := r.budgets[sub.budget]; set != nil {
		delete(set, sub)
		if len(set) == 0 {
			delete(r.budgets, sub.budget)
		}
	}
	if sub.conn != nil {
		sub.conn.signal()
	}
}

func (r *subscriptions) expiredLocked(sub *subscription, now time.Time) bool {
	switch sub.kind {
	case pullSubscription:
		return now.Sub(sub.lastUsed) > sub.timeout
	case streamingSubscription:
		return sub.conn == nil && now.Sub(sub.lastUsed) > r.policy.StreamingIdleTimeout
	}
	return false
}

// sweepLocked removes expired subscriptions, so that abandoned ones do not pile up. Unless
// forced, it runs at most once a simulated minute.
func (r *subscriptions) sweepLocked(now time.Time, force bool) {
	if !force && now.Sub(r.lastSweep) < sweepInterval && !now.Before(r.lastSweep) {
		return
	}
	r.lastSweep = now
	for _, sub := range r.byID {
		if r.expiredLocked(sub, now) {
			r.removeLocked(sub)
		}
	}
}

// lookupLocked returns the live subscription id owned by caller, or the error Exchange
// gives: an unknown, malformed or expired id is ErrorSubscriptionNotFound; another
// account's subscription is ErrorSubscriptionAccessDenied.
func (r *subscriptions) lookupLocked(id, caller string, now time.Time) (*subscription, error) {
	sub := r.byID[id]
	if sub == nil || r.expiredLocked(sub, now) {
		if sub != nil {
			r.removeLocked(sub)
		}
		return nil, &ews.ResponseError{Code: ews.ErrorSubscriptionNotFound, Message: "The specified subscription was not found."}
	}
	if !strings.EqualFold(sub.owner, caller) {
		return nil, &ews.ResponseError{Code: ews.ErrorSubscriptionAccessDenied,
			Message: "Access is denied. Only the subscription owner may access the subscription."}
	}
	return sub, nil
}

// newID returns an unguessable subscription id shaped like Exchange's: the length-prefixed
// server name, then a random GUID and the creation time (FILETIME).
func (r *subscriptions) newID(now time.Time) string {
	var guid [16]byte
	rand.Read(guid[:])
	b := binary.LittleEndian.AppendUint16(nil, uint16(len(r.server)))
	b = append(b, r.server...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(guid)))
	b = append(b, guid[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(now.UnixNano()/100+116444736000000000))
	return base64.StdEncoding.EncodeToString(b)
}

// encodeWatermark returns the opaque watermark of event wm of a mailbox, shaped like
// Exchange's: a version, the mailbox GUID and the event counter.
func encodeWatermark(guid [16]byte, wm uint64) string {
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, 29), 1)
	b = append(b, guid[:]...)
	b = binary.LittleEndian.AppendUint64(b, wm)
	b = append(b, 1)
	return base64.StdEncoding.EncodeToString(b)
}

// decodeWatermark reads a watermark of mailbox guid.
func decodeWatermark(s string, guid [16]byte) (uint64, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 29 || binary.LittleEndian.Uint32(b) != 1 || [16]byte(b[4:20]) != guid || b[28] != 1 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[20:]), true
}

func errInvalidWatermark() error {
	return &ews.ResponseError{Code: ews.ErrorInvalidWatermark, Message: "The watermark is invalid or no longer in the mailbox's event table."}
}

// notificationEvent renders a logged event; pull notifications carry watermarks, streaming
// ones do not (as Exchange's).
func notificationEvent(e *Event, guid [16]byte, withWatermark bool) ews.Event {
	ev := ews.NewEvent(e.Kind.String())
	if withWatermark {
		ev.Watermark = encodeWatermark(guid, e.Watermark)
	}
	ev.TimeStamp = ews.Date(e.Time)
	if e.FolderId != nil {
		id := *e.FolderId
		ev.FolderId = &id
	}
	if e.ItemId != nil {
		id := *e.ItemId
		ev.ItemId = &id
	}
	if e.ParentFolderId.Id != "" {
		p := e.ParentFolderId
		ev.ParentFolderId = &p
	}
	if e.OldItemId != nil {
		id := *e.OldItemId
		ev.OldItemId = &id
	}
	if e.OldParentFolderId != nil {
		p := *e.OldParentFolderId
		ev.OldParentFolderId = &p
	}
	return ev
}

// ---- streaming connections ----

// idFailure is a requested subscription id GetStreamingEvents cannot serve.
type idFailure struct {
	id  string
	err *ews.ResponseError
}

// attach opens a streaming connection for ids on behalf of c's caller, charged to budget.
// It fails as a whole: either every id is served, or failures lists those that cannot be
// (and nothing is attached). err is ErrorExceededConnectionCount. A subscription another
// connection was serving moves here; that connection reports the takeover.
func (r *subscriptions) attach(caller, budget string, ids []string, srv *http.Server) (conn *streamConn, failures []idFailure, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var subs []*subscription
	for _, id := range ids {
		sub, err := r.lookupLocked(id, caller, now)
		if err == nil && sub.kind != streamingSubscription {
			err = &ews.ResponseError{Code: ews.ErrorInvalidSubscription, Message: "The subscription is not a streaming subscription."}
		}
		if err != nil {
			failures = append(failures, idFailure{id, err.(*ews.ResponseError)})
			continue
		}
		if !slices.Contains(subs, sub) {
			subs = append(subs, sub)
		}
	}
	if len(failures) > 0 {
		return nil, failures, nil
	}
	if lim := r.policy.HangingConnectionLimit; lim > 0 && r.hanging[budget] >= lim {
		return nil, nil, &ews.ResponseError{Code: ews.ErrorExceededConnectionCount,
			Message: "You have exceeded the available concurrent connections for your account (" + strconv.Itoa(lim) + "). Try again once your other requests have completed."}
	}
	conn = &streamConn{wake: make(chan struct{}, 1), srv: srv, budget: budget, subs: subs}
	for _, sub := range subs {
		if old := sub.conn; old != nil {
			old.signal()
		}
		sub.conn = conn
		if !slices.Contains(conn.mailboxes, sub.mb) {
			conn.mailboxes = append(conn.mailboxes, sub.mb)
		}
		r.logs[sub.mailbox].watchers[conn] = struct{}{}
	}
	r.hanging[budget]++
	r.conns[conn] = struct{}{}
	if srv != nil && r.servers[srv] {
		conn.shutdown = true // the server is already shutting down
	}
	conn.signal() // events that happened while nobody listened
	return conn, nil, nil
}

// detach closes a connection: its subscriptions start their idle time.
func (r *subscriptions) detach(conn *streamConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, sub := range conn.subs {
		if sub.conn == conn {
			sub.conn, sub.lastUsed = nil, now
		}
	}
	for _, mb := range conn.mailboxes {
		if l := r.logs[mb.SMTP()]; l != nil {
			delete(l.watchers, conn)
		}
	}
	if r.hanging[conn.budget]--; r.hanging[conn.budget] <= 0 {
		delete(r.hanging, conn.budget)
	}
	delete(r.conns, conn)
}

// streamBatch is what a connection has to send after a wake.
type streamBatch struct {
	notifications []ews.Notification
	missed        []string // fell behind the event log
	lost          []string // taken over by a newer connection
	done          bool     // no subscription left to serve
	shutdown      bool
}

// collect gathers a connection's new events and state changes, and advances its cursors.
func (r *subscriptions) collect(conn *streamConn) streamBatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if conn.shutdown {
		return streamBatch{shutdown: true}
	}
	var b streamBatch
	keep := conn.subs[:0]
	for _, sub := range conn.subs {
		switch {
		case sub.removed:
			continue
		case sub.conn != conn:
			b.lost = append(b.lost, sub.id)
			continue
		}
		keep = append(keep, sub)
		l := r.logs[sub.mailbox]
		if sub.cursor < l.floor {
			b.missed = append(b.missed, sub.id)
			sub.cursor = l.latest
			continue
		}
		var evs []ews.Event
		for _, e := range l.after(sub.cursor) {
			if sub.matches(&e) {
				evs = append(evs, notificationEvent(&e, sub.mb.guid, false))
			}
		}
		sub.cursor = l.latest
		if len(evs) > 0 {
			b.notifications = append(b.notifications, ews.Notification{SubscriptionId: sub.id, Events: evs})
		}
	}
	clear(conn.subs[len(keep):])
	conn.subs = keep
	b.done = len(keep) == 0
	return b
}

// watchShutdown makes srv's Shutdown end the streams it serves with a Closed envelope
// (http.Server.Shutdown does not cancel request contexts; it waits for handlers).
func (r *subscriptions) watchShutdown(srv *http.Server) {
	if srv == nil {
		return
	}
	r.mu.Lock()
	_, known := r.servers[srv]
	if !known {
		r.servers[srv] = false
	}
	r.mu.Unlock()
	if !known {
		srv.RegisterOnShutdown(func() { r.shutdown(srv) })
	}
}

func (r *subscriptions) shutdown(srv *http.Server) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.servers[srv] = true
	for c := range r.conns {
		if c.srv == srv {
			c.shutdown = true
			c.signal()
		}
	}
}

// rangeViolation is the ErrorSchemaValidation fault for an integer outside its type's
// facets.
func rangeViolation(element string, v, lo, hi int, typ string) error {
	if v >= lo && v <= hi {
		return nil
	}
	facet := "MaxInclusive"
	if v < lo {
		facet = "MinInclusive"
	}
	return &ews.SchemaError{Violation: "The '" + element + "' element is invalid - The value '" + strconv.Itoa(v) +
		"' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:" + typ +
		"' - The " + facet + " constraint failed."}
}
