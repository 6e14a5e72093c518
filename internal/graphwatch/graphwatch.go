// Package graphwatch turns Microsoft Graph change notifications into syncs, for the
// mailboxes of organizations that use Microsoft 365 (app-only) access: it keeps one
// Graph subscription per mailbox and watched resource (Inbox or all messages, events,
// contacts, after the organization's folder selection), and serves the endpoint Graph
// POSTs notifications to, which wakes the mailbox's sync job. Delta polling stays the
// fallback: a mailbox without a subscription is synced at the poll interval as before.
//
// # Subscriptions
//
// Subscriptions need a public URL Graph can reach (Config.PublicURL): without one,
// nothing is subscribed. Reconcile makes an organization's subscriptions match its
// active mailboxes: it creates the missing ones (Graph first runs its validation
// handshake against the endpoint), renews those that expire within Config.RenewBefore,
// and deletes those of mailboxes no longer active (leavers, paused, stopped), as well as
// the app's subscriptions at Graph towards this server that the store does not know
// (those of removed users, whose rows went with them). Run does it, in a goroutine of its
// own, for the organizations kicked: every organization on a schedule (a River periodic
// job calls KickAll), one when its mailboxes are activated or a lifecycle notification
// names it. Each runs under the named lease "graphwatch:org:<id>", so that nodes do not
// subscribe a mailbox twice.
//
// Each subscription has its own clientState, a random secret Graph echoes in every
// notification; the store keeps only its SHA-256, and a notification whose clientState
// does not match (compared in constant time) is refused.
//
// # Lifecycle notifications
//
//   - reauthorizationRequired: the subscription is renewed at once (which reauthorizes it).
//   - subscriptionRemoved: it is forgotten and created again, and the mailbox synced.
//   - missed: the mailbox is synced (its delta query catches up with what was missed).
package graphwatch

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// NotificationPath and LifecyclePath are where the endpoint is served, below the public
// URL.
const (
	NotificationPath = "/graph/notifications"
	LifecyclePath    = "/graph/lifecycle"
)

// Orgs tells what an organization's saved configuration says.
type Orgs interface {
	// GraphClient returns the Graph client of an organization that uses Microsoft 365
	// app-only access; ok is false for any other organization.
	GraphClient(ctx context.Context, orgID int64) (c *graph.Client, ok bool, err error)
	// Folders returns the folders the organization syncs.
	Folders(ctx context.Context, orgID int64) (syncer.Folders, error)
}

// Config is what a Watcher needs.
type Config struct {
	Store *store.Store
	Orgs  Orgs
	// PublicURL returns the URL Graph reaches mailbridge at ("" turns subscriptions
	// off).
	PublicURL func() string
	// Wake wakes a mailbox's sync job.
	Wake func(ctx context.Context, orgID, userID int64)
	// Lifetime is how long a subscription is asked for; default 3 days (Graph allows up
	// to 10080 minutes for Outlook resources).
	Lifetime time.Duration
	// RenewBefore renews a subscription that expires within it; default half Lifetime.
	RenewBefore time.Duration
	// NodeID names this node in the named leases.
	NodeID string
	// Rate and Burst bound the notification requests the endpoint accepts per second;
	// defaults 100 and 1000. Beyond them it answers 429 (Graph retries).
	Rate, Burst int
	Now         func() time.Time
	Logger      *slog.Logger
}

// Stats count what the endpoint did.
type Stats struct {
	Validations int64 // validation handshakes answered
	Accepted    int64 // authentic notifications
	Refused     int64 // notifications with an unknown subscription or a wrong clientState
	Lifecycle   int64 // authentic lifecycle notifications
	Limited     int64 // requests refused by the rate limit
}

// Watcher keeps the subscriptions and serves the endpoint.
type Watcher struct {
	cfg  Config
	log  *slog.Logger
	lim  *limiter
	kick chan struct{} // signals Run that kicked holds organizations

	mu     sync.Mutex
	stats  Stats
	kicked map[int64]bool // organizations waiting for Run
}

// New returns a Watcher (its Run loop not started).
func New(cfg Config) (*Watcher, error) {
	if cfg.Store == nil || cfg.Orgs == nil || cfg.PublicURL == nil || cfg.Wake == nil {
		return nil, errors.New("graphwatch: a store, orgs, a public URL and a wake function are required")
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = 72 * time.Hour
	}
	cfg.Lifetime = min(cfg.Lifetime, graph.MaxOutlookSubscription-time.Hour)
	if cfg.RenewBefore <= 0 {
		cfg.RenewBefore = cfg.Lifetime / 2
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 100
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1), kicked: map[int64]bool{},
		lim: newLimiter(cfg.Rate, cfg.Burst, cfg.Now)}, nil
}

// Enabled reports whether subscriptions are on (a public URL is configured).
func (w *Watcher) Enabled() bool { return w.cfg.PublicURL() != "" }

// Stats returns the endpoint's counters.
func (w *Watcher) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

func (w *Watcher) count(f func(*Stats)) {
	w.mu.Lock()
	f(&w.stats)
	w.mu.Unlock()
}

// Kick asks the Run loop to reconcile an organization's subscriptions soon. It never
// blocks; an organization kicked again before its turn is reconciled once.
func (w *Watcher) Kick(orgID int64) {
	if !w.Enabled() {
		return
	}
	w.mu.Lock()
	w.kicked[orgID] = true
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// KickAll kicks every organization with active mailboxes or subscriptions: the periodic
// upkeep. The work is done by Run, outside the job that calls it, because subscribing
// thousands of mailboxes (each with Graph's validation handshake) outlasts a job's
// timeout.
func (w *Watcher) KickAll(ctx context.Context) error {
	ids, err := w.orgs(ctx)
	for _, id := range ids {
		w.Kick(id)
	}
	return err
}

// Run reconciles the organizations Kick names, one at a time, until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		}
		w.mu.Lock()
		batch := w.kicked
		w.kicked = map[int64]bool{}
		w.mu.Unlock()
		for orgID := range batch {
			if ctx.Err() != nil {
				return
			}
			if err := w.Reconcile(ctx, orgID); err != nil && ctx.Err() == nil {
				w.log.Warn("graph subscriptions", "org_id", orgID, "err", err)
			}
		}
	}
}

// orgs lists the organizations with active mailboxes or subscriptions.
func (w *Watcher) orgs(ctx context.Context) ([]int64, error) {
	if !w.Enabled() {
		return nil, nil
	}
	refs, err := w.cfg.Store.ActiveMailboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("graphwatch: %w", err)
	}
	withSubs, err := w.cfg.Store.GraphSubscriptionOrgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("graphwatch: %w", err)
	}
	seen := map[int64]bool{}
	var out []int64
	for _, id := range append(withSubs, orgsOf(refs)...) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// ReconcileAll reconciles every organization with active mailboxes or subscriptions, in
// the caller's goroutine.
func (w *Watcher) ReconcileAll(ctx context.Context) error {
	ids, err := w.orgs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if err := w.Reconcile(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func orgsOf(refs []store.MailboxRef) []int64 {
	out := make([]int64, len(refs))
	for i, r := range refs {
		out[i] = r.OrgID
	}
	return out
}

// Reconcile makes an organization's subscriptions match its active mailboxes, holding
// the organization's named lease (it returns nil at once when another node holds it).
func (w *Watcher) Reconcile(ctx context.Context, orgID int64) error {
	if !w.Enabled() {
		return nil
	}
	err := w.cfg.Store.HoldNamedLease(ctx, "graphwatch:org:"+strconv.FormatInt(orgID, 10), w.cfg.NodeID, time.Minute,
		func(ctx context.Context) error { return w.reconcile(ctx, orgID) })
	if errors.Is(err, store.ErrLeaseHeld) {
		return nil
	}
	return err
}

// wanted is a subscription a mailbox should have.
type wanted struct {
	userID   int64
	resource string
}

// resources are the resources watched for a mailbox, after the folder selection.
func resources(email string, f syncer.Folders) []string {
	u := "users/" + email
	var out []string
	switch {
	case f&(syncer.FolderInboxSubfolders|syncer.FolderSentItems) != 0:
		out = append(out, u+"/messages")
	case f&syncer.FolderInbox != 0:
		out = append(out, u+"/mailFolders('inbox')/messages")
	}
	if f&syncer.FolderCalendar != 0 {
		out = append(out, u+"/events")
	}
	if f&syncer.FolderContacts != 0 {
		out = append(out, u+"/contacts")
	}
	return out
}

func (w *Watcher) reconcile(ctx context.Context, orgID int64) error {
	have, err := w.cfg.Store.ListGraphSubscriptions(ctx, orgID)
	if err != nil {
		return fmt.Errorf("graphwatch: %w", err)
	}
	client, isApp, err := w.cfg.Orgs.GraphClient(ctx, orgID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("graphwatch: organization %d: %w", orgID, err)
	}
	want := map[wanted]bool{}
	if isApp {
		folders, err := w.cfg.Orgs.Folders(ctx, orgID)
		if err != nil {
			return fmt.Errorf("graphwatch: organization %d: %w", orgID, err)
		}
		mbs, err := w.cfg.Store.ActiveMailboxAddresses(ctx, orgID)
		if err != nil {
			return fmt.Errorf("graphwatch: %w", err)
		}
		for _, m := range mbs {
			for _, r := range resources(m.Email, folders) {
				want[wanted{m.UserID, r}] = true
			}
		}
	}
	var errs []error
	now := w.cfg.Now()
	for _, s := range have {
		k := wanted{s.UserID, s.Resource}
		if !want[k] {
			if client != nil {
				if err := client.DeleteSubscription(ctx, s.ID); err != nil && !graph.IsNotFound(err) {
					w.log.Warn("delete a graph subscription", "org_id", orgID, "user_id", s.UserID, "err", err)
				}
			}
			if err := w.cfg.Store.DeleteGraphSubscription(ctx, orgID, s.ID); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		delete(want, k)
		if s.ExpiresAt.After(now.Add(w.cfg.RenewBefore)) {
			continue
		}
		exp := now.Add(w.cfg.Lifetime)
		_, err := client.RenewSubscription(ctx, s.ID, exp)
		switch {
		case err == nil:
			if err := w.cfg.Store.RenewGraphSubscription(ctx, orgID, s.ID, exp); err != nil {
				errs = append(errs, err)
			}
		case graph.IsNotFound(err):
			// Graph no longer has it (expired, removed): subscribe again.
			want[k] = true
		default:
			errs = append(errs, fmt.Errorf("graphwatch: renew %s: %w", s.Resource, err))
		}
	}
	for k := range want {
		if err := w.subscribe(ctx, client, orgID, k); err != nil {
			errs = append(errs, err)
		}
	}
	if isApp {
		if err := w.deleteOrphans(ctx, client, orgID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteOrphans deletes the app's subscriptions at Graph that notify this server but
// that the store no longer knows: those of removed users (their rows went with them),
// and any left by an interrupted creation. Two organizations sharing one app
// registration could, reconciling at the same instant, delete a subscription the other
// has just created but not yet stored: that mailbox is then polled until the next run,
// whose renewal finds the subscription gone and creates it again.
func (w *Watcher) deleteOrphans(ctx context.Context, client *graph.Client, orgID int64) error {
	at, err := client.ListSubscriptions(ctx)
	if err != nil {
		return fmt.Errorf("graphwatch: list subscriptions: %w", err)
	}
	ours := strings.TrimRight(w.cfg.PublicURL(), "/") + NotificationPath
	var errs []error
	for _, s := range at {
		if s.NotificationURL != ours {
			continue
		}
		if _, err := w.cfg.Store.GetGraphSubscription(ctx, s.ID); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		if err := client.DeleteSubscription(ctx, s.ID); err != nil && !graph.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("graphwatch: delete subscription: %w", err))
			continue
		}
		w.log.Info("graph subscription of no synced mailbox deleted", "org_id", orgID, "resource", s.Resource)
	}
	return errors.Join(errs...)
}

// subscribe creates a subscription and records it. A mailbox Graph refuses (outside the
// app's scope, no mailbox) stays with delta polling.
func (w *Watcher) subscribe(ctx context.Context, client *graph.Client, orgID int64, k wanted) error {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("graphwatch: %w", err)
	}
	state := base64.RawURLEncoding.EncodeToString(raw[:])
	base := strings.TrimRight(w.cfg.PublicURL(), "/")
	exp := w.cfg.Now().Add(w.cfg.Lifetime)
	sub, err := client.CreateSubscription(ctx, graph.SubscriptionRequest{
		ChangeType: "created,updated,deleted", NotificationURL: base + NotificationPath, LifecycleNotificationURL: base + LifecyclePath,
		Resource: k.resource, ExpirationDateTime: exp, ClientState: state})
	if err != nil {
		return fmt.Errorf("graphwatch: subscribe %s: %w", k.resource, err)
	}
	if !sub.ExpirationDateTime.IsZero() {
		exp = sub.ExpirationDateTime
	}
	err = w.cfg.Store.PutGraphSubscription(ctx, store.GraphSubscription{ID: sub.ID, OrgID: orgID, UserID: k.userID, Resource: k.resource, ExpiresAt: exp}, state)
	if err != nil {
		// The user went away meanwhile: do not leave the subscription behind.
		if derr := client.DeleteSubscription(ctx, sub.ID); derr != nil {
			w.log.Warn("delete a graph subscription", "org_id", orgID, "err", derr)
		}
		return fmt.Errorf("graphwatch: %w", err)
	}
	w.log.Info("graph subscription created", "org_id", orgID, "user_id", k.userID, "resource", k.resource, "expires", exp)
	return nil
}
