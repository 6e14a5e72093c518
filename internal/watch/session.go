package watch

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/store"
)

// eventTypes are the events a subscription asks for: every change of an item or folder
// (FreeBusyChangedEvent adds nothing the calendar's own events do not).
var eventTypes = []string{ews.EventNewMail, ews.EventCreated, ews.EventModified, ews.EventDeleted, ews.EventMoved, ews.EventCopied}

// session watches one organization while this node holds its lease. Its state belongs to
// the goroutine running run; Subscribe calls and connections run in goroutines of their
// own that report back through reports.
type session struct {
	w       *Watcher
	cfg     *Config
	log     *slog.Logger
	orgID   int64
	refresh func() // asks run to read the mailboxes again
	reload  chan struct{}
	reports chan report
	wg      sync.WaitGroup

	// Owned by run's goroutine.
	client         *ewsclient.Client
	version        int64 // of the email configuration client was made from
	verified       bool  // a Subscribe with client succeeded: the credentials work
	needLoad       bool
	loadAt         time.Time
	loadFailures   int
	refused        bool
	notEWS         bool // the configuration is not EWS (Microsoft Graph): nothing to watch
	throttledUntil time.Time
	inflight       int // Subscribe calls running
	mailboxes      map[int64]*mbox
	bySub          map[string]*mbox
	groups         []*group
	view           orgView
}

// mbox is one active mailbox of the organization.
type mbox struct {
	userID int64
	email  string

	subID       string // the live subscription, if any
	group       *group // the group it is subscribed (or being subscribed) in
	subscribing bool
	removed     bool // no longer active; its Subscribe call is still running
	nextTry     time.Time
	failures    int
	missed      bool // its events may have been lost: sync it once subscribed again
}

// group is a set of subscriptions read through one connection.
type group struct {
	members map[*mbox]struct{}
	pending int // members being subscribed
	anchor  *mbox
	// aff keeps the group's subscriptions and its connection on one mailbox server:
	// anchored on the mailbox that started the group, with the backend cookie Exchange
	// answers the first Subscribe with.
	aff *ewsclient.Affinity

	gen      int                // of the current connection; reports of older ones are stale
	cancel   context.CancelFunc // ends the current connection's goroutine
	open     bool
	dirty    bool // membership changed, or the connection ended: (re)open it
	nextTry  time.Time
	failures int
}

type reportKind int

const (
	reportSubscribed reportKind = iota + 1 // a Subscribe call ended: subID or err
	reportOpened                           // a group's connection opened
	reportNotified                         // notifications for subscription ids
	reportSubFailed                        // an error about some subscriptions (code, ids)
	reportEnded                            // a group's connection goroutine ended (err)
)

type report struct {
	kind       reportKind
	mb         *mbox
	subID      string
	g          *group
	gen        int
	ids        []string
	code       string
	err        error
	progressed bool // the connection received something before it ended
}

func newSession(w *Watcher, orgID int64) *session {
	s := &session{w: w, cfg: &w.cfg, log: w.log.With("org_id", orgID), orgID: orgID,
		reload: make(chan struct{}, 1), reports: make(chan report),
		mailboxes: map[int64]*mbox{}, bySub: map[string]*mbox{}, needLoad: true}
	s.refresh = func() {
		select {
		case s.reload <- struct{}{}:
		default:
		}
	}
	return s
}

// run watches the organization until ctx ends, then stops its goroutines and waits for
// them.
func (s *session) run(ctx context.Context) {
	defer func() {
		for _, g := range s.groups {
			if g.cancel != nil {
				g.cancel()
			}
		}
		s.wg.Wait()
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
	}()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	changed := true // what publish reports may have changed
	for {
		next := s.step(ctx)
		if changed {
			s.publish()
		}
		changed = true
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(s.cfg.Now()), time.Millisecond)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.reload:
			s.needLoad, s.loadAt = true, time.Time{}
		case r := <-s.reports:
			// Take what else is waiting before publishing (a burst of subscriptions).
			// Notifications alone change nothing publish reports.
			changed = s.handle(ctx, r)
		more:
			for range 256 {
				select {
				case r := <-s.reports:
					changed = s.handle(ctx, r) || changed
				default:
					break more
				}
			}
		case <-t.C:
		}
	}
}

// send reports to run, unless ctx ended.
func (s *session) send(ctx context.Context, r report) {
	select {
	case s.reports <- r:
	case <-ctx.Done():
	}
}

// load reads the organization's configuration version and active mailboxes: a new
// configuration starts over with a new client; new mailboxes are subscribed, removed ones
// unsubscribed.
func (s *session) load(ctx context.Context) {
	now := s.cfg.Now()
	var version int64
	switch c, err := s.cfg.Store.GetEmailConfig(ctx, s.orgID); {
	case err == nil:
		version = c.Version
	case !errors.Is(err, store.ErrNotFound):
		s.loadFailed(ctx, now, err)
		return
	}
	if (s.client != nil || s.refused || s.notEWS) && version != s.version {
		s.log.Info("the organization's configuration changed: subscribing its mailboxes again", "version", version)
		s.dropAll(true)
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
		s.client, s.refused, s.verified, s.notEWS = nil, false, false, false
	}
	s.version = version
	if s.refused || s.notEWS {
		s.needLoad = false
		return
	}
	if s.client == nil {
		c, err := s.cfg.Client(ctx, s.orgID)
		if err != nil {
			s.loadFailed(ctx, now, err)
			return
		}
		s.client = c
	}
	mbs, err := s.cfg.Store.ActiveMailboxAddresses(ctx, s.orgID)
	if err != nil {
		s.loadFailed(ctx, now, err)
		return
	}
	seen := make(map[int64]bool, len(mbs))
	for _, m := range mbs {
		seen[m.UserID] = true
		if s.mailboxes[m.UserID] == nil {
			s.mailboxes[m.UserID] = &mbox{userID: m.UserID, email: m.Email, nextTry: now}
		}
	}
	for id, mb := range s.mailboxes {
		if !seen[id] {
			s.remove(ctx, mb)
		}
	}
	s.needLoad, s.loadFailures = false, 0
}

func (s *session) loadFailed(ctx context.Context, now time.Time, err error) {
	if ctx.Err() != nil {
		return
	}
	if errors.Is(err, ErrNotEWS) {
		// Another protocol syncs this organization (Microsoft Graph): nothing to watch
		// until its configuration changes.
		s.notEWS, s.needLoad = true, false
		s.log.Debug("the organization is not synced through EWS: not watched until its configuration changes")
		return
	}
	s.loadFailures++
	s.loadAt = now.Add(s.cfg.backoff(s.loadFailures))
	s.log.Warn("read the organization's mailboxes and configuration", "err", err, "retry_in", s.loadAt.Sub(now))
}

// remove forgets a mailbox that is no longer active and ends its subscription.
func (s *session) remove(ctx context.Context, mb *mbox) {
	delete(s.mailboxes, mb.userID)
	mb.removed = true
	if mb.subscribing {
		return // its report unsubscribes
	}
	id := mb.subID
	s.drop(mb)
	if id != "" {
		s.unsubscribe(ctx, mb.email, id)
	}
}

// unsubscribe ends a subscription, as a courtesy to the mailbox's EWSMaxSubscriptions
// (20 in Exchange Online); it would expire on its own.
func (s *session) unsubscribe(ctx context.Context, mailbox, id string) {
	c := s.client
	if c == nil || s.refused {
		return
	}
	s.wg.Go(func() {
		uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := c.Unsubscribe(uctx, mailbox, &ews.UnsubscribeRequest{SubscriptionId: id}); err != nil && ctx.Err() == nil {
			s.log.Debug("unsubscribe", "mailbox", mailbox, "err", err)
		}
	})
}

// drop forgets a mailbox's subscription and takes it out of its group.
func (s *session) drop(mb *mbox) {
	if mb.subID != "" {
		delete(s.bySub, mb.subID)
		mb.subID = ""
	}
	if g := mb.group; g != nil {
		delete(g.members, mb)
		if g.anchor == mb {
			g.anchor = nil
		}
		g.dirty = true
		mb.group = nil
	}
}

// dropAll ends every connection and forgets every subscription; missed marks the
// mailboxes for a sync once subscribed again.
func (s *session) dropAll(missed bool) {
	for _, g := range s.groups {
		if g.cancel != nil {
			g.cancel()
		}
		for mb := range g.members {
			if mb.subscribing {
				g.pending--
			}
			mb.group = nil
		}
	}
	s.groups = nil
	clear(s.bySub)
	now := s.cfg.Now()
	for _, mb := range s.mailboxes {
		if mb.subID != "" && missed {
			mb.missed = true
		}
		mb.subID, mb.failures, mb.nextTry = "", 0, now
	}
	s.throttledUntil = time.Time{}
}

// step starts what is due: loading, Subscribe calls, connections. It returns when to
// look again (zero: when something is reported).
func (s *session) step(ctx context.Context) time.Time {
	now := s.cfg.Now()
	var next time.Time
	at := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if s.needLoad {
		if now.Before(s.loadAt) {
			at(s.loadAt)
		} else {
			s.load(ctx)
			if s.needLoad {
				at(s.loadAt)
			}
		}
	}
	if s.refused || s.client == nil {
		return next
	}

	if now.Before(s.throttledUntil) {
		at(s.throttledUntil)
	} else {
		var due []*mbox
		for _, mb := range s.mailboxes {
			switch {
			case mb.subID != "" || mb.subscribing:
			case now.Before(mb.nextTry):
				at(mb.nextTry)
			default:
				due = append(due, mb)
			}
		}
		// In address order, so that groups fill alphabetically, as Exchange recommends.
		slices.SortFunc(due, func(a, b *mbox) int { return cmp.Compare(a.email, b.email) })
		limit := s.cfg.Subscribers
		if !s.verified {
			// One at a time until the credentials are known to work: a wrong password
			// then costs one failed logon, not one per call in flight.
			limit = 1
		}
		for _, mb := range due {
			if s.inflight >= limit {
				break // the next report makes room
			}
			s.subscribe(ctx, mb)
		}
	}

	for _, g := range s.groups {
		switch {
		case !g.dirty || g.pending > 0:
			// Wait for the subscriptions being made, to open one connection for them all.
		case now.Before(g.nextTry):
			at(g.nextTry)
		default:
			s.open(ctx, g)
		}
	}
	s.groups = slices.DeleteFunc(s.groups, func(g *group) bool { return len(g.members) == 0 && g.cancel == nil })
	return next
}

// subscribe starts a mailbox's Subscribe call, in the first group with room.
func (s *session) subscribe(ctx context.Context, mb *mbox) {
	var g *group
	for _, x := range s.groups {
		if len(x.members) < s.cfg.GroupSize {
			g = x
			break
		}
	}
	if g == nil {
		g = &group{members: map[*mbox]struct{}{}, aff: &ewsclient.Affinity{Anchor: mb.email}}
		s.groups = append(s.groups, g)
	}
	g.members[mb] = struct{}{}
	g.pending++
	if g.anchor == nil {
		g.anchor = mb
	}
	mb.group, mb.subscribing = g, true
	s.inflight++
	c := s.client
	all := true
	actx := ewsclient.WithAffinity(ctx, g.aff)
	s.wg.Go(func() {
		resp, err := c.Subscribe(actx, mb.email, &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{
			SubscribeToAllFolders: &all, EventTypes: eventTypes}})
		var id string
		if err == nil {
			if id = resp.ResponseMessages[0].SubscriptionId; id == "" {
				err = errors.New("watch: Subscribe answered without a subscription id")
			}
		}
		s.send(ctx, report{kind: reportSubscribed, mb: mb, subID: id, err: err})
	})
}

// open (re)opens a group's connection for its subscribed members, on behalf of its
// anchor: the first of them by address.
func (s *session) open(ctx context.Context, g *group) {
	if g.cancel != nil {
		g.cancel()
		g.cancel = nil
	}
	g.gen++
	g.open, g.dirty = false, false
	var members []*mbox
	for mb := range g.members {
		if mb.subID != "" {
			members = append(members, mb)
		}
	}
	if len(members) == 0 {
		return
	}
	slices.SortFunc(members, func(a, b *mbox) int { return cmp.Compare(a.email, b.email) })
	if g.anchor == nil || g.anchor.subID == "" {
		g.anchor = members[0]
	}
	ids := make([]string, len(members))
	for i, mb := range members {
		ids[i] = mb.subID
	}
	gctx, cancel := context.WithCancel(ewsclient.WithAffinity(ctx, g.aff))
	g.cancel = cancel
	c, gen, anchor := s.client, g.gen, g.anchor.email
	s.wg.Go(func() { s.stream(ctx, gctx, c, g, gen, anchor, ids) })
}

// handle applies a report. It reports whether the organization's view may have
// changed.
func (s *session) handle(ctx context.Context, r report) bool {
	now := s.cfg.Now()
	switch r.kind {
	case reportSubscribed:
		s.subscribed(ctx, now, r)
	case reportOpened:
		if r.gen == r.g.gen {
			r.g.open = true
		}
	case reportNotified:
		for _, id := range r.ids {
			if mb := s.bySub[id]; mb != nil {
				s.w.notifications.Add(1)
				s.w.deb.touch(s.orgID, mb.userID)
			}
		}
	case reportSubFailed:
		s.subFailed(now, r)
	case reportEnded:
		s.ended(ctx, now, r)
	}
	return r.kind != reportNotified
}

func (s *session) subscribed(ctx context.Context, now time.Time, r report) {
	mb, g := r.mb, r.mb.group
	s.inflight--
	mb.subscribing = false
	if g != nil {
		g.pending--
	}
	if mb.removed || s.refused || ctx.Err() != nil || g == nil {
		// Removed, refused, or made with a configuration that changed since (dropAll).
		if g != nil {
			delete(g.members, mb)
			mb.group = nil
		}
		if mb.removed && r.subID != "" {
			s.unsubscribe(ctx, mb.email, r.subID)
		}
		return
	}
	if r.err == nil {
		s.verified = true
		mb.subID, mb.failures = r.subID, 0
		s.bySub[r.subID] = mb
		g.dirty = true
		if mb.missed {
			mb.missed = false
			s.w.deb.touch(s.orgID, mb.userID)
		}
		return
	}
	if g != nil {
		delete(g.members, mb)
		if g.anchor == mb {
			g.anchor = nil
		}
		mb.group = nil
	}
	if ews.Code(r.err) != "" {
		s.verified = true // Exchange answered: it accepted the credentials
	}
	switch f, wait := classify(r.err); f {
	case failAuth:
		s.refuse(ctx, r.err)
	case failThrottled:
		s.throttledUntil = now.Add(max(wait, s.cfg.RetryMin))
		mb.nextTry = s.throttledUntil
		s.log.Info("Exchange is throttling subscriptions: waiting", "wait", s.throttledUntil.Sub(now))
	case failUnavailable:
		mb.nextTry = now.Add(s.cfg.DeniedRetry)
		s.log.Info("the mailbox cannot be subscribed: it is synced by polling", "mailbox", mb.email, "code", ews.Code(r.err), "retry_in", s.cfg.DeniedRetry)
	default:
		mb.failures++
		mb.nextTry = now.Add(s.cfg.backoff(mb.failures))
		s.log.Warn("subscribe", "mailbox", mb.email, "err", r.err, "retry_in", mb.nextTry.Sub(now))
	}
}

func (s *session) subFailed(now time.Time, r report) {
	stale := r.gen != r.g.gen
	switch r.code {
	case ews.ErrorMissedNotificationEvents:
		// The subscription goes on, but some events are gone: sync.
		for _, id := range r.ids {
			if mb := s.bySub[id]; mb != nil {
				s.w.deb.touch(s.orgID, mb.userID)
			}
		}
		return
	case codeNewEventStreamConnectionOpened:
		// Another connection reads them now: a newer one of ours, or another node's
		// (which then holds the lease; see Run).
		return
	}
	if stale {
		return
	}
	for _, id := range r.ids {
		mb := s.bySub[id]
		if mb == nil {
			continue
		}
		// Expired, not found (another mailbox server without affinity), or the account's
		// no longer: subscribe again, then sync what may have been missed.
		s.drop(mb)
		mb.missed = true
		mb.failures++
		mb.nextTry = now
		if mb.failures > 1 {
			mb.nextTry = now.Add(s.cfg.backoff(mb.failures - 1))
		}
		s.log.Info("subscription ended: subscribing again", "mailbox", mb.email, "code", r.code)
	}
}

func (s *session) ended(ctx context.Context, now time.Time, r report) {
	g := r.g
	if r.gen != g.gen || ctx.Err() != nil {
		return
	}
	if g.cancel != nil {
		g.cancel()
		g.cancel = nil
	}
	g.open, g.dirty = false, true
	if r.progressed {
		g.failures = 0
	}
	if r.err == nil {
		return // reopen now, with the subscriptions left
	}
	switch f, wait := classify(r.err); f {
	case failAuth:
		s.refuse(ctx, r.err)
	case failThrottled:
		g.failures++
		g.nextTry = now.Add(max(wait, s.cfg.backoff(g.failures)))
		s.log.Info("Exchange is throttling a notification connection: waiting", "wait", g.nextTry.Sub(now), "err", r.err)
	case failUnavailable:
		// The anchor may no longer be impersonated: subscribe it again (which tells
		// whether it is left to polling) and open the connection on behalf of another.
		if a := g.anchor; a != nil {
			s.drop(a)
			a.missed, a.nextTry = true, now
		}
	case failSubscriptions:
		// Some subscriptions are gone, and the server did not say which: all again.
		for mb := range g.members {
			if mb.subID != "" {
				s.drop(mb)
				mb.missed, mb.nextTry = true, now
			}
		}
	default:
		g.failures++
		g.nextTry = now.Add(s.cfg.backoff(g.failures))
		s.log.Warn("notification connection", "err", r.err, "retry_in", g.nextTry.Sub(now))
	}
}

// refuse stops watching after Exchange refused the credentials: no request may repeat
// them.
func (s *session) refuse(ctx context.Context, err error) {
	if s.refused {
		return
	}
	s.refused = true
	s.dropAll(false)
	if c, gerr := s.cfg.Store.GetEmailConfig(ctx, s.orgID); gerr == nil && c.Version != s.version {
		// New credentials were saved meanwhile: the refused ones were stale. Try the new.
		s.needLoad, s.loadAt = true, time.Time{}
		return
	}
	s.log.Warn("Exchange refused the service account's credentials: the organization is not watched until its configuration changes or its mailboxes are activated again", "err", err)
	if s.cfg.OnRefused != nil {
		s.cfg.OnRefused(ctx, s.orgID)
	}
}

// publish tells the Watcher what changed.
func (s *session) publish() {
	v := orgView{subscribed: len(s.bySub), refused: s.refused}
	for _, g := range s.groups {
		if !g.open {
			continue
		}
		v.streams++
		for mb := range g.members {
			if mb.subID != "" {
				v.streaming = append(v.streaming, mb.userID)
			}
		}
	}
	slices.Sort(v.streaming)
	if v.subscribed == s.view.subscribed && v.streams == s.view.streams && v.refused == s.view.refused &&
		slices.Equal(v.streaming, s.view.streaming) {
		return
	}
	s.view = v
	s.w.publish(s.orgID, &v)
}

// failure is what a failed call means for the watch.
type failure int

const (
	failOther         failure = iota
	failAuth                  // HTTP 401: the credentials were refused
	failThrottled             // slow down (the duration Exchange asked for, or 0)
	failUnavailable           // the mailbox cannot be subscribed, or impersonated
	failSubscriptions         // subscriptions of the request are gone
)

// codeNewEventStreamConnectionOpened: another GetStreamingEvents connection took over
// some subscriptions of this one.
const codeNewEventStreamConnectionOpened = "ErrorNewEventStreamConnectionOpened"

func classify(err error) (failure, time.Duration) {
	var ae *ewsclient.AuthError
	var te *ewsclient.ThrottledError
	var he *ewsclient.HTTPError
	switch {
	case errors.As(err, &ae):
		return failAuth, 0
	case errors.As(err, &te):
		return failThrottled, te.BackOff
	case errors.As(err, &he) && he.Status == 403:
		return failUnavailable, 0 // EWS blocked for the user or the application
	}
	switch ews.Code(err) {
	case ews.ErrorImpersonateUserDenied, ews.ErrorImpersonationDenied, ews.ErrorNonExistentMailbox,
		ews.ErrorInvalidSmtpAddress, ews.ErrorSubscriptionDelegateAccessNotSupported, ews.ErrorAccessDenied,
		ews.ErrorExceededSubscriptionCount:
		return failUnavailable, 0
	case ews.ErrorSubscriptionNotFound, ews.ErrorExpiredSubscription, ews.ErrorSubscriptionAccessDenied,
		ews.ErrorInvalidSubscription:
		return failSubscriptions, 0
	}
	return failOther, 0
}
