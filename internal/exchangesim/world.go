package exchangesim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// WorldConfig configures a World.
type WorldConfig struct {
	// Clock is the World's time: item dates, events, tombstone ages. Required.
	Clock func() time.Time
	// Seed derives the World's secret, which keys mailbox GUIDs (and so every id) and sync
	// state MACs: two Worlds with the same seed and scenario accept each other's ids and
	// states. Generated content follows Scenario.Seed.
	Seed int64
	// LegacyImpersonationDenied answers a caller without any ApplicationImpersonation
	// assignment with ErrorImpersonationDenied (the Exchange 2007 answer) instead of
	// ErrorImpersonateUserDenied.
	LegacyImpersonationDenied bool
	// TombstoneRetention is how long deleted items' tombstones are kept for sync states;
	// a state that needs a purged one becomes invalid. 0 means 30 days; negative, forever.
	TombstoneRetention time.Duration
	// SyncStateTTL makes sync states expire: one issued longer ago than this (by Clock)
	// is refused with ErrorInvalidSyncStateData, as when Exchange has lost a state. 0
	// keeps states forever. SetSyncStateTTL changes it at run time.
	SyncStateTTL time.Duration
}

// World is a whole simulated Exchange organization: a Directory and the mailboxes of its
// users. Mailboxes are created, and their content generated, on first use, so a World of
// a million items starts at once. The World is safe for concurrent use: the directory has
// a read-write lock, and each mailbox its own lock, so that different mailboxes never
// contend.
type World struct {
	cfg         WorldConfig
	secret      [32]byte
	anchor      time.Time // the clock at construction: generated dates are relative to it
	contentSeed uint64
	dir         *Directory
	people      []ews.EmailAddress // correspondents of generated content (immutable)
	rooms       []ews.EmailAddress

	mbMu      sync.RWMutex // guards mailboxes and content; taken before dir.mu
	mailboxes map[string]*Mailbox
	content   map[string]*Content // per primary SMTP

	lisMu     sync.RWMutex
	listeners []listener
	nextLis   int

	stateTTL atomic.Int64 // SyncStateTTL in nanoseconds

	entra *entra // the Entra ID tenant; nil when the scenario has none
}

type listener struct {
	id int
	fn func(Event)
}

// NewWorld builds a World from a scenario (nil: an empty organization).
func NewWorld(sc *Scenario, cfg WorldConfig) (*World, error) {
	if cfg.Clock == nil {
		return nil, fmt.Errorf("exchangesim: new world: %w: no clock", ErrInvalid)
	}
	if sc == nil {
		sc = &Scenario{}
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(cfg.Seed))
	w := &World{
		cfg:         cfg,
		secret:      sha256.Sum256(append([]byte("exchangesim world secret\x00"), seed[:]...)),
		anchor:      cfg.Clock().UTC().Truncate(time.Second),
		contentSeed: uint64(sc.Seed),
		dir:         newDirectory(),
		mailboxes:   map[string]*Mailbox{},
		content:     map[string]*Content{},
	}
	w.stateTTL.Store(int64(max(cfg.SyncStateTTL, 0)))
	if err := w.load(sc); err != nil {
		return nil, err
	}
	if err := w.loadTenant(sc); err != nil {
		return nil, err
	}
	for _, u := range w.dir.Users() {
		switch {
		case u.Kind == RecipientRoomMailbox:
			w.rooms = append(w.rooms, u.Address())
		case u.HasMailbox && u.GivenName != "":
			w.people = append(w.people, u.Address())
		}
	}
	return w, nil
}

func (w *World) now() time.Time { return w.cfg.Clock().UTC() }

func (w *World) retention() time.Duration {
	if w.cfg.TombstoneRetention == 0 {
		return defaultTombstoneRetention
	}
	return w.cfg.TombstoneRetention
}

// SetSyncStateTTL changes WorldConfig.SyncStateTTL: from now on, sync states issued
// longer ago than ttl are refused (0: never). It applies to states already issued.
func (w *World) SetSyncStateTTL(ttl time.Duration) { w.stateTTL.Store(int64(max(ttl, 0))) }

func (w *World) syncStateTTL() time.Duration { return time.Duration(w.stateTTL.Load()) }

// Now returns the World's current time.
func (w *World) Now() time.Time { return w.now() }

// Directory returns the organization's directory.
func (w *World) Directory() *Directory { return w.dir }

// LookupAccount resolves a sign-in name to its primary SMTP address and current password;
// see Directory.LookupAccount. A changed password takes effect at the next call.
func (w *World) LookupAccount(name string) (smtp, password string, ok bool) {
	return w.dir.LookupAccount(name)
}

// Mailbox returns the mailbox of the user with the given address (any of its SMTP
// addresses, or any other name Directory.Lookup accepts). A user without a mailbox, or no
// such user, gives ErrorNonExistentMailbox (not a fault: the caller decides how to send
// it). The mailbox's content is created when it is first used.
func (w *World) Mailbox(ctx context.Context, owner string) (*Mailbox, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, ok := w.dir.Lookup(owner)
	if !ok || !u.HasMailbox {
		return nil, errNoMailbox()
	}
	w.mbMu.RLock()
	m := w.mailboxes[u.PrimarySMTP]
	w.mbMu.RUnlock()
	if m != nil {
		return m, nil
	}
	w.mbMu.Lock()
	defer w.mbMu.Unlock()
	if m := w.mailboxes[u.PrimarySMTP]; m != nil {
		return m, nil
	}
	// Look again under mbMu: RemoveUser holds it while it removes the user.
	u, ok = w.dir.Lookup(u.PrimarySMTP)
	if !ok || !u.HasMailbox {
		return nil, errNoMailbox()
	}
	m = newMailbox(w, u, w.content[u.PrimarySMTP])
	w.mailboxes[u.PrimarySMTP] = m
	return m, nil
}

// MaterializedMailboxes returns how many mailboxes have had their content created.
func (w *World) MaterializedMailboxes() int {
	w.mbMu.RLock()
	ms := make([]*Mailbox, 0, len(w.mailboxes))
	for _, m := range w.mailboxes {
		ms = append(ms, m)
	}
	w.mbMu.RUnlock()
	n := 0
	for _, m := range ms {
		if m.Materialized() {
			n++
		}
	}
	return n
}

// addressOf returns the EWS address of a directory user or group, or a one-off address.
func (w *World) addressOf(addr string) ews.EmailAddress {
	if u, ok := w.dir.Lookup(addr); ok {
		return u.Address()
	}
	if g, ok := w.dir.Group(addr); ok {
		return g.Address()
	}
	return ews.EmailAddress{Name: normAddr(addr), EmailAddress: normAddr(addr), RoutingType: "SMTP", MailboxType: "OneOff"}
}

// ---- admin mutations ----

// AddUser adds a user (with an empty mailbox unless spec.Content says otherwise).
func (w *World) AddUser(spec UserSpec) (User, error) {
	if spec.Content != nil {
		if err := spec.Content.validate(); err != nil {
			return User{}, fmt.Errorf("exchangesim: add user %q: %w", spec.SMTP, err)
		}
	}
	w.mbMu.Lock()
	defer w.mbMu.Unlock()
	w.dir.mu.Lock()
	u, err := w.dir.addUser(spec)
	w.dir.mu.Unlock()
	if err != nil {
		return User{}, err
	}
	if spec.Content != nil {
		w.content[u.PrimarySMTP] = spec.Content
	}
	return cloneUser(u), nil
}

// RemoveUser deletes a user, its mailbox and its group, scope and role memberships. Its
// mailbox's ids and sync states stop working, even if a user with the same address is
// added again.
func (w *World) RemoveUser(name string) error {
	w.mbMu.Lock()
	w.dir.mu.Lock()
	u, err := w.dir.removeUser(name)
	w.dir.mu.Unlock()
	var m *Mailbox
	if err == nil {
		m = w.mailboxes[u.PrimarySMTP]
		delete(w.mailboxes, u.PrimarySMTP)
		delete(w.content, u.PrimarySMTP)
	}
	w.mbMu.Unlock()
	if m != nil {
		m.mu.Lock()
		m.removed, m.folders, m.hjournal = true, nil, nil
		m.mu.Unlock()
	}
	return err
}

// SetPassword changes a user's password; the next sign-in must use it.
func (w *World) SetPassword(name, password string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.setPassword(name, password)
}

// AddGroup adds a distribution group or room list.
func (w *World) AddGroup(spec GroupSpec) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.addGroup(spec)
}

// AddScope adds a management scope with its members.
func (w *World) AddScope(spec ScopeSpec) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	if err := w.dir.addScope(spec.Name); err != nil {
		return err
	}
	if err := w.dir.changeScope(spec.Name, true, spec.Members); err != nil {
		delete(w.dir.scopes, strings.ToLower(strings.TrimSpace(spec.Name)))
		return err
	}
	return nil
}

// AddScopeMembers adds recipients to a management scope (widening every assignment over
// it, at once).
func (w *World) AddScopeMembers(scope string, members ...string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.changeScope(scope, true, members)
}

// RemoveScopeMembers removes recipients from a management scope.
func (w *World) RemoveScopeMembers(scope string, members ...string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.changeScope(scope, false, members)
}

// GrantRole adds a role assignment (New-ManagementRoleAssignment). An empty Role means
// ApplicationImpersonation, an empty Scope the whole organization, an empty Name a
// generated one.
func (w *World) GrantRole(a RoleAssignment) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.addAssignment(a)
}

// RevokeRole removes the role assignment with the given name.
func (w *World) RevokeRole(name string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.removeAssignment(name)
}

// Deliver delivers a message to its recipients (To, Cc and Bcc; groups are expanded) that
// have mailboxes: each gets an unread copy in its Inbox, received now, with Created and
// NewMail events. Other recipients are ignored (no NDRs). It returns the primary SMTP
// addresses delivered to, in recipient order.
func (w *World) Deliver(ctx context.Context, msg ews.Item) ([]string, error) {
	var addrs []string
	for _, rs := range []*ews.Recipients{msg.ToRecipients, msg.CcRecipients, msg.BccRecipients} {
		if rs != nil {
			for _, a := range rs.Mailboxes {
				addrs = append(addrs, a.EmailAddress)
			}
		}
	}
	var targets []string
	for _, a := range addrs {
		if members, ok := w.dir.ExpandGroup(a); ok {
			for _, u := range members {
				if u.HasMailbox {
					targets = append(targets, u.PrimarySMTP)
				}
			}
		} else if u, ok := w.dir.Lookup(a); ok && u.HasMailbox && strings.Contains(a, "@") {
			targets = append(targets, u.PrimarySMTP)
		}
	}
	var delivered []string
	now := w.now()
	for _, t := range targets {
		if slices.Contains(delivered, t) {
			continue
		}
		m, err := w.Mailbox(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return delivered, err
			}
			continue // removed meanwhile
		}
		if _, err := m.deliver(msg, now); err != nil {
			continue
		}
		delivered = append(delivered, t)
	}
	return delivered, nil
}

// ExpireSyncStates invalidates every sync state of a mailbox; see Mailbox.ExpireSyncStates.
func (w *World) ExpireSyncStates(ctx context.Context, owner string) error {
	m, err := w.Mailbox(ctx, owner)
	if err != nil {
		return err
	}
	return m.ExpireSyncStates()
}

// AddListener registers fn to receive every mailbox event (for subscriptions) and returns
// a function that unregisters it. fn is called synchronously, with the mailbox's lock
// held, in watermark order for each mailbox: it must return quickly and must not call
// back into the World (queue the event and return).
func (w *World) AddListener(fn func(Event)) (remove func()) {
	w.lisMu.Lock()
	defer w.lisMu.Unlock()
	w.nextLis++
	id := w.nextLis
	w.listeners = append(slices.Clone(w.listeners), listener{id, fn})
	return func() {
		w.lisMu.Lock()
		defer w.lisMu.Unlock()
		w.listeners = slices.DeleteFunc(slices.Clone(w.listeners), func(l listener) bool { return l.id == id })
	}
}

func (w *World) notify(e Event) {
	w.lisMu.RLock()
	ls := w.listeners
	w.lisMu.RUnlock()
	for _, l := range ls {
		l.fn(e)
	}
}
