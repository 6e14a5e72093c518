package control_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/store"
)

// activations records what Config.OnActivate hears.
type activations struct {
	mu    sync.Mutex
	calls [][]int64
}

func (a *activations) hook(_ context.Context, _ int64, ids []int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, slices.Clone(ids))
}

// take returns the calls so far, sorted within each, and forgets them.
func (a *activations) take() [][]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.calls
	a.calls = nil
	for _, c := range out {
		slices.Sort(c)
	}
	return out
}

// withHook returns a Service over e's store that reports activations.
func withHook(t *testing.T, e *controltest.Env) (*control.Service, *activations) {
	t.Helper()
	a := &activations{}
	cfg := e.Config
	cfg.OnActivate = a.hook
	svc, err := control.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc, a
}

// userIDs returns the organization's user ids by address.
func userIDs(t *testing.T, e *controltest.Env, org int64) map[string]int64 {
	t.Helper()
	users, err := e.Service.ListUsers(ctx, e.Operator, org)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, u := range users {
		out[u.Email] = u.ID
	}
	return out
}

// states returns each mailbox's address and state, "address=state", by address.
func states(t *testing.T, svc *control.Service, p control.Principal, org int64) []string {
	t.Helper()
	mbs, err := svc.ListMailboxes(ctx, p, org, control.MailboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(mbs))
	for i, m := range mbs {
		out[i] = m.Email + "=" + m.State
	}
	return out
}

func auditActions(t *testing.T, e *controltest.Env, org int64) []string {
	t.Helper()
	entries, err := e.Service.Audit(ctx, e.Operator, org, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range entries {
		out = append(out, a.Action+" "+a.Target)
	}
	return out
}

// Saving the Email Configuration activates sync for every user; a later save renews the
// mailboxes the engine stopped and leaves the paused ones paused.
func TestSaveActivatesSync(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	svc, hook := withHook(t, e)
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com")
	ids := userIDs(t, e, org)
	admin := controltest.Admin(org)

	if got := states(t, svc, admin, org); len(got) != 0 {
		t.Fatalf("mailboxes before any save: %v", got)
	}
	if _, err := svc.SaveEmailConfig(ctx, admin, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	want := []string{"alice@contoso.com=active", "bob@contoso.com=active", "carol@contoso.com=active"}
	if got := states(t, svc, admin, org); !slices.Equal(got, want) {
		t.Fatalf("after the first save: %v", got)
	}
	all := []int64{ids["alice@contoso.com"], ids["bob@contoso.com"], ids["carol@contoso.com"]}
	slices.Sort(all)
	if got := hook.take(); len(got) != 1 || !slices.Equal(got[0], all) {
		t.Fatalf("OnActivate heard %v, want [%v]", got, all)
	}
	mbs, _ := svc.ListMailboxes(ctx, admin, org, control.MailboxFilter{})
	for _, m := range mbs {
		if m.Status != control.SyncPending || m.OrgID != org || m.LastSuccessAt != nil {
			t.Fatalf("new mailbox %+v", m)
		}
	}

	// Alice is paused by an admin; then the password is refused and the engine stops the
	// others.
	if _, err := svc.PauseMailbox(ctx, admin, org, ids["alice@contoso.com"]); err != nil {
		t.Fatal(err)
	}
	e.SyncStatus(t, ids["bob@contoso.com"], store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeAuthFailed, Message: "401", Stop: true})
	if _, err := e.Store.StopMailboxes(ctx, org, control.SyncCodeAuthFailed, "401"); err != nil {
		t.Fatal(err)
	}
	want = []string{"alice@contoso.com=paused", "bob@contoso.com=stopped", "carol@contoso.com=stopped"}
	if got := states(t, svc, admin, org); !slices.Equal(got, want) {
		t.Fatalf("after the 401: %v", got)
	}
	hook.take()

	// The admin saves the new password: Bob and Carol sync again, Alice stays paused.
	cur, _ := svc.GetEmailConfig(ctx, admin, org)
	in := controltest.ContosoConfig()
	in.BaseVersion = cur.Version
	if _, err := svc.SaveEmailConfig(ctx, admin, org, in); err != nil {
		t.Fatal(err)
	}
	want = []string{"alice@contoso.com=paused", "bob@contoso.com=active", "carol@contoso.com=active"}
	if got := states(t, svc, admin, org); !slices.Equal(got, want) {
		t.Fatalf("after the new password: %v", got)
	}
	renewed := []int64{ids["bob@contoso.com"], ids["carol@contoso.com"]}
	slices.Sort(renewed)
	if got := hook.take(); len(got) != 1 || !slices.Equal(got[0], renewed) {
		t.Fatalf("OnActivate heard %v, want [%v]", got, renewed)
	}
	bob, err := svc.GetMailbox(ctx, admin, org, ids["bob@contoso.com"])
	if err != nil || bob.Status != control.SyncPending || bob.StatusCode != "" || bob.Meaning != "" {
		t.Fatalf("renewed mailbox %+v, %v", bob, err)
	}
	if !slices.Contains(auditActions(t, e, org), "sync.activate 2 mailboxes") {
		t.Fatalf("audit: %v", auditActions(t, e, org))
	}

	// Saving again with nothing to renew tells nobody.
	cur, _ = svc.GetEmailConfig(ctx, admin, org)
	in.BaseVersion = cur.Version
	if _, err := svc.SaveEmailConfig(ctx, admin, org, in); err != nil {
		t.Fatal(err)
	}
	if got := hook.take(); len(got) != 0 {
		t.Fatalf("OnActivate heard %v", got)
	}

	// A user added later is synced at once; ActivateSync then has nothing left to do.
	dave, err := svc.AddUser(ctx, admin, org, "dave@contoso.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if calls := hook.take(); len(calls) != 1 || !slices.Equal(calls[0], []int64{dave.ID}) {
		t.Fatalf("OnActivate heard %v", calls)
	}
	got, err := svc.ActivateSync(ctx, admin, org)
	if err != nil || len(got) != 0 {
		t.Fatalf("ActivateSync: %v, %v", got, err)
	}
}

func TestActivateSyncNeedsConfig(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	_, err := e.Service.ActivateSync(ctx, e.Operator, org)
	fieldErr(t, err, "email_config", "Save the Email Configuration first")
	if got := states(t, e.Service, e.Operator, org); len(got) != 0 {
		t.Fatalf("mailboxes: %v", got)
	}
}

// Pause and resume change the mailbox's state, once, audited; resume takes stopped
// mailboxes too and tells OnActivate.
func TestPauseResume(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	svc, hook := withHook(t, e)
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com")
	ids := userIDs(t, e, org)
	admin := controltest.Admin(org)
	if _, err := svc.SaveEmailConfig(ctx, admin, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	hook.take()
	alice := ids["alice@contoso.com"]

	m, err := svc.PauseMailbox(ctx, admin, org, alice)
	if err != nil || m.State != control.MailboxPaused || m.Email != "alice@contoso.com" {
		t.Fatalf("pause: %+v, %v", m, err)
	}
	if sm, _ := e.Store.GetMailbox(ctx, org, alice); sm.State != "paused" {
		t.Fatalf("stored state %q", sm.State)
	}
	// A paused mailbox is not leased by the engine.
	if _, err := e.Store.AcquireLease(ctx, alice, "worker", time.Minute); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lease of a paused mailbox: %v", err)
	}
	if _, err := svc.PauseMailbox(ctx, admin, org, alice); err != nil {
		t.Fatal(err)
	}
	if got := hook.take(); len(got) != 0 {
		t.Fatalf("pausing told OnActivate %v", got)
	}
	m, err = svc.ResumeMailbox(ctx, admin, org, alice)
	if err != nil || m.State != control.MailboxActive {
		t.Fatalf("resume: %+v, %v", m, err)
	}
	if got := hook.take(); len(got) != 1 || !slices.Equal(got[0], []int64{alice}) {
		t.Fatalf("OnActivate heard %v", got)
	}
	if _, err := svc.ResumeMailbox(ctx, admin, org, alice); err != nil {
		t.Fatal(err)
	}
	if got := hook.take(); len(got) != 0 {
		t.Fatalf("resuming an active mailbox told OnActivate %v", got)
	}

	// A mailbox the engine stopped can be resumed by hand.
	bob := ids["bob@contoso.com"]
	e.SyncStatus(t, bob, store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeImpersonationDenied, Stop: true})
	if m, _ := svc.GetMailbox(ctx, admin, org, bob); m.State != control.MailboxStopped {
		t.Fatalf("bob %+v", m)
	}
	if m, err := svc.ResumeMailbox(ctx, admin, org, bob); err != nil || m.State != control.MailboxActive {
		t.Fatalf("resume stopped: %+v, %v", m, err)
	}

	// Each change is audited once, naming the mailbox and who acted.
	entries, _ := e.Service.Audit(ctx, e.Operator, org, 0, 1000)
	var got []string
	for _, a := range entries {
		if strings.HasPrefix(a.Action, "sync.") && a.Action != "sync.activate" {
			if a.Actor != admin.Label {
				t.Errorf("%s by %q", a.Action, a.Actor)
			}
			got = append(got, a.Action+" "+a.Target)
		}
	}
	want := []string{"sync.active bob@contoso.com", "sync.active alice@contoso.com", "sync.paused alice@contoso.com"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
}

// Another organization's mailboxes cannot be seen or changed, by its id or by a user id
// of it under one's own organization: store.ErrNotFound, as for ids that do not exist.
func TestMailboxesOrgScoped(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	a := e.Org(t, "A", "alice@a.test")
	b := e.Org(t, "B", "bob@b.test")
	for _, org := range []int64{a, b} {
		if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
			t.Fatal(err)
		}
	}
	bob := userIDs(t, e, b)["bob@b.test"]
	adminA := controltest.Admin(a)
	calls := map[string]func() error{
		"list B":            func() error { _, err := e.Service.ListMailboxes(ctx, adminA, b, control.MailboxFilter{}); return err },
		"summary B":         func() error { _, err := e.Service.MailboxSummary(ctx, adminA, b); return err },
		"get B's":           func() error { _, err := e.Service.GetMailbox(ctx, adminA, b, bob); return err },
		"pause B's":         func() error { _, err := e.Service.PauseMailbox(ctx, adminA, b, bob); return err },
		"resume B's":        func() error { _, err := e.Service.ResumeMailbox(ctx, adminA, b, bob); return err },
		"activate B":        func() error { _, err := e.Service.ActivateSync(ctx, adminA, b); return err },
		"get B's under A":   func() error { _, err := e.Service.GetMailbox(ctx, adminA, a, bob); return err },
		"pause B's under A": func() error { _, err := e.Service.PauseMailbox(ctx, adminA, a, bob); return err },
		"operator, B's under A": func() error {
			_, err := e.Service.PauseMailbox(ctx, e.Operator, a, bob)
			return err
		},
		"missing organization": func() error {
			_, err := e.Service.ListMailboxes(ctx, e.Operator, 99999, control.MailboxFilter{})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want store.ErrNotFound", name, err)
		}
	}
	if m, _ := e.Store.GetMailbox(ctx, b, bob); m.State != "active" {
		t.Fatalf("B's mailbox is %s", m.State)
	}
	if got := states(t, e.Service, adminA, a); !slices.Equal(got, []string{"alice@a.test=active"}) {
		t.Fatalf("A lists %v", got)
	}
}

// syncedOrg is an organization whose mailboxes are in every state and status.
func syncedOrg(t *testing.T, e *controltest.Env) (int64, map[string]int64) {
	t.Helper()
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "frank@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	ids := userIDs(t, e, org)
	e.SyncItems(t, ids["alice@contoso.com"], 3)
	e.SyncStatus(t, ids["alice@contoso.com"], store.MailboxStatus{Status: control.SyncOK})
	e.SyncStatus(t, ids["bob@contoso.com"], store.MailboxStatus{Status: control.SyncSyncing})
	e.SyncStatus(t, ids["carol@contoso.com"], store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeThrottled, Message: "ErrorServerBusy"})
	e.SyncItems(t, ids["dave@contoso.com"], 2)
	e.SyncStatus(t, ids["dave@contoso.com"], store.MailboxStatus{Status: control.SyncOK})
	if _, err := e.Service.PauseMailbox(ctx, e.Operator, org, ids["dave@contoso.com"]); err != nil {
		t.Fatal(err)
	}
	e.SyncStatus(t, ids["erin@contoso.com"], store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeAuthFailed, Message: "HTTP 401", Stop: true})
	// frank stays pending.
	return org, ids
}

func TestListMailboxesFilters(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org, _ := syncedOrg(t, e)
	cases := []struct {
		name   string
		filter control.MailboxFilter
		want   []string // addresses, before the @
		field  string   // an input error on this field
	}{
		{name: "all", want: []string{"alice", "bob", "carol", "dave", "erin", "frank"}},
		{name: "ok", filter: control.MailboxFilter{Status: "ok"}, want: []string{"alice", "dave"}},
		{name: "ok and active", filter: control.MailboxFilter{Status: "ok", State: "active"}, want: []string{"alice"}},
		{name: "error", filter: control.MailboxFilter{Status: "error"}, want: []string{"carol", "erin"}},
		{name: "pending", filter: control.MailboxFilter{Status: "pending"}, want: []string{"frank"}},
		{name: "syncing", filter: control.MailboxFilter{Status: "syncing"}, want: []string{"bob"}},
		{name: "paused", filter: control.MailboxFilter{State: "paused"}, want: []string{"dave"}},
		{name: "stopped", filter: control.MailboxFilter{State: "stopped"}, want: []string{"erin"}},
		{name: "search", filter: control.MailboxFilter{Query: "  CAR "}, want: []string{"carol"}},
		{name: "search the domain", filter: control.MailboxFilter{Query: "@contoso.com", State: "active"}, want: []string{"alice", "bob", "carol", "frank"}},
		{name: "no match", filter: control.MailboxFilter{Query: "zed"}, want: []string{}},
		{name: "bad status", filter: control.MailboxFilter{Status: "warning"}, field: "status"},
		{name: "bad state", filter: control.MailboxFilter{State: "deleted"}, field: "state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			mbs, err := e.Service.ListMailboxes(ctx, controltest.Admin(org), org, c.filter)
			if c.field != "" {
				fieldErr(t, err, c.field, "Choose")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, m := range mbs {
				got = append(got, strings.TrimSuffix(m.Email, "@contoso.com"))
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

// The view explains each code; the summary counts each mailbox once and measures the lag
// from the oldest success.
func TestMailboxViewAndSummary(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org, ids := syncedOrg(t, e)
	at := time.Now().Add(time.Hour)
	svc := e.WithClock(t, func() time.Time { return at })

	erin, err := svc.GetMailbox(ctx, e.Operator, org, ids["erin@contoso.com"])
	if err != nil {
		t.Fatal(err)
	}
	if erin.State != control.MailboxStopped || erin.StatusCode != "auth_failed" || erin.StatusMessage != "HTTP 401" ||
		!strings.Contains(erin.Meaning, "Every mailbox of the organization is stopped") || !strings.Contains(erin.Fix, "Email Configuration") {
		t.Fatalf("erin %+v", erin)
	}
	alice, _ := svc.GetMailbox(ctx, e.Operator, org, ids["alice@contoso.com"])
	if alice.Items != 3 || alice.LastSuccessAt == nil || alice.LastAttemptAt == nil || alice.Meaning != "" || alice.Fix != "" {
		t.Fatalf("alice %+v", alice)
	}

	sum, err := svc.MailboxSummary(ctx, controltest.Admin(org), org)
	if err != nil {
		t.Fatal(err)
	}
	// Dave is paused: his success does not count towards the lag.
	want := control.SyncSummary{Total: 6, Pending: 1, Syncing: 1, OK: 1, Error: 1, Paused: 1, Stopped: 1, Items: 5,
		OldestSuccess: alice.LastSuccessAt, Lag: at.Sub(*alice.LastSuccessAt), NeverSynced: 4}
	if sum.OldestSuccess == nil || !sum.OldestSuccess.Equal(*want.OldestSuccess) {
		t.Fatalf("oldest success %v, want %v", sum.OldestSuccess, want.OldestSuccess)
	}
	sum.OldestSuccess = want.OldestSuccess
	if sum != want {
		t.Fatalf("summary\n%+v, want\n%+v", sum, want)
	}

	empty := e.Org(t, "Empty", "x@contoso.com")
	if sum, err := svc.MailboxSummary(ctx, e.Operator, empty); err != nil || sum != (control.SyncSummary{}) {
		t.Fatalf("never activated: %+v, %v", sum, err)
	}
}

// Every engine code is explained; those named like the checker's are the checker's codes
// (same name, same meaning); the checker's other codes borrow its meaning.
func TestExplainSyncCode(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, c := range checker.CodeInfos() {
		known[string(c.Code)] = true
	}
	seen := map[string]bool{}
	for _, c := range control.SyncCodeInfos() {
		if seen[c.Code] || c.Message == "" || c.Fix == "" || !strings.HasSuffix(c.Message, ".") || !strings.HasSuffix(c.Fix, ".") {
			t.Errorf("%+v: repeated, or without a message and a fix", c)
		}
		seen[c.Code] = true
		msg, fix := control.ExplainSyncCode(c.Code)
		if msg != c.Message || fix != c.Fix {
			t.Errorf("%s explained as %q, %q", c.Code, msg, fix)
		}
	}
	for _, code := range []string{"auth_failed", "impersonation_denied", "no_mailbox", "mailbox_moving", "throttled", "unreachable"} {
		if !seen[code] || !known[code] {
			t.Errorf("%s: engine code %v, checker code %v", code, seen[code], known[code])
		}
	}
	for _, code := range []string{"sync_state_reset", "exchange_error"} {
		if !seen[code] {
			t.Errorf("%s is not documented", code)
		}
	}
	msg, fix := control.ExplainSyncCode("out_of_scope")
	if !strings.HasPrefix(msg, "Others allowed, this user refused") || !strings.Contains(fix, "management scope") {
		t.Errorf("out_of_scope: %q, %q", msg, fix)
	}
	if msg, fix := control.ExplainSyncCode("folder_unreadable"); msg == "" || !strings.Contains(fix, "Run the check") {
		t.Errorf("folder_unreadable: %q, %q", msg, fix)
	}
	for _, code := range []string{"", "ok", "no_such_code"} {
		if msg, fix := control.ExplainSyncCode(code); msg != "" || fix != "" {
			t.Errorf("%q explained as %q, %q", code, msg, fix)
		}
	}
}
