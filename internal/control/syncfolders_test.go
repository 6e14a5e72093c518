package control_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// The folders to sync are saved with the configuration: every folder until chosen
// otherwise, kept by a save that does not name them, audited when they change, and
// what the engine is given; a change wakes the active mailboxes so that it applies at
// once.
func TestSyncFoldersSaved(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	svc, hook := withHook(t, e)
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com")
	ids := userIDs(t, e, org)
	admin := controltest.Admin(org)
	all := []string{"inbox", "inbox_subfolders", "sentitems", "calendar", "contacts"}

	if v, err := svc.GetEmailConfig(ctx, admin, org); err != nil || !slices.Equal(v.SyncFolders, all) {
		t.Fatalf("before any save: %v %v", v.SyncFolders, err)
	}
	if _, err := svc.SyncFolders(ctx, org); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("folders without a configuration: %v", err)
	}
	v, err := svc.SaveEmailConfig(ctx, admin, org, controltest.ContosoConfig())
	if err != nil || !slices.Equal(v.SyncFolders, all) {
		t.Fatalf("first save: %v %v", v.SyncFolders, err)
	}
	hook.take() // the activation

	in := controltest.ContosoConfig()
	in.Password, in.BaseVersion, in.SyncFolders = "", v.Version, []string{"calendar", "inbox", "calendar"}
	if v, err = svc.SaveEmailConfig(ctx, admin, org, in); err != nil || !slices.Equal(v.SyncFolders, []string{"inbox", "calendar"}) {
		t.Fatalf("saved selection %v %v", v.SyncFolders, err)
	}
	if f, err := svc.SyncFolders(ctx, org); err != nil || f != syncer.FolderInbox|syncer.FolderCalendar {
		t.Fatalf("the engine's selection %v %v", f, err)
	}
	want := []int64{ids["alice@contoso.com"], ids["bob@contoso.com"]}
	slices.Sort(want)
	if got := hook.take(); len(got) != 1 || !slices.Equal(got[0], want) {
		t.Fatalf("a new selection woke %v, want [%v]", got, want)
	}
	entries, err := svc.Audit(ctx, admin, org, 0, 1)
	if err != nil || entries[0].Action != "email_config.save" || entries[0].Detail["sync_folders"] != "inbox,calendar" {
		t.Fatalf("audit %+v %v", entries, err)
	}

	// A save without a selection keeps it, and wakes nobody.
	in.SyncFolders, in.BaseVersion = nil, v.Version
	if v, err = svc.SaveEmailConfig(ctx, admin, org, in); err != nil || !slices.Equal(v.SyncFolders, []string{"inbox", "calendar"}) {
		t.Fatalf("kept selection %v %v", v.SyncFolders, err)
	}
	// The same selection again: nothing to wake either; a paused mailbox is not woken.
	in.SyncFolders, in.BaseVersion = []string{"inbox", "calendar"}, v.Version
	if v, err = svc.SaveEmailConfig(ctx, admin, org, in); err != nil {
		t.Fatal(err)
	}
	if got := hook.take(); len(got) != 0 {
		t.Fatalf("an unchanged selection woke %v", got)
	}
	if _, err := svc.PauseMailbox(ctx, admin, org, ids["bob@contoso.com"]); err != nil {
		t.Fatal(err)
	}
	in.SyncFolders, in.BaseVersion = []string{"contacts"}, v.Version
	if _, err = svc.SaveEmailConfig(ctx, admin, org, in); err != nil {
		t.Fatal(err)
	}
	if got := hook.take(); len(got) != 1 || !slices.Equal(got[0], []int64{ids["alice@contoso.com"]}) {
		t.Fatalf("woke %v, want alice only", got)
	}
}

func TestSyncFoldersValidation(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso")
	tests := []struct {
		name    string
		folders []string
		msg     string
	}{
		{"none", []string{}, "at least one folder"},
		{"unknown", []string{"inbox", "deleteditems"}, "inbox_subfolders (Inbox subfolders)"},
		{"blank", []string{""}, "Choose folders among"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := controltest.ContosoConfig()
			in.SyncFolders = tc.folders
			_, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, in)
			fieldErr(t, err, "sync_folders", tc.msg)
		})
	}
	if _, err := e.Store.GetEmailConfig(ctx, org); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an invalid selection saved something: %v", err)
	}
}

// A mailbox's history tells each change of its state and status, newest first, with
// the codes explained; its detail adds the items by kind. Another organization sees
// neither.
func TestMailboxHistoryAndDetail(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	other := e.Org(t, "Other", "zed@other.test")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	alice := userIDs(t, e, org)["alice@contoso.com"]
	admin := controltest.Admin(org)
	e.SyncStatus(t, alice, store.MailboxStatus{Status: control.SyncSyncing})
	e.SyncItems(t, alice, 3)
	e.SyncStatus(t, alice, store.MailboxStatus{Status: control.SyncOK})
	e.SyncStatus(t, alice, store.MailboxStatus{Status: control.SyncSyncing})
	e.SyncStatus(t, alice, store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeThrottled, Message: "ErrorServerBusy"})
	if _, err := e.Service.PauseMailbox(ctx, admin, org, alice); err != nil {
		t.Fatal(err)
	}
	hist, err := e.Service.MailboxHistory(ctx, admin, org, alice)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, h.State+"/"+h.Status+"/"+h.Code)
	}
	want := []string{"paused/error/throttled", "active/error/throttled", "active/ok/", "active/syncing/", "active/pending/"}
	if !slices.Equal(got, want) {
		t.Fatalf("history %q, want %q", got, want)
	}
	if h := hist[1]; h.Message != "ErrorServerBusy" || !strings.Contains(h.Meaning, "slow down") || h.At.IsZero() {
		t.Fatalf("entry %+v", h)
	}
	d, err := e.Service.GetMailboxDetail(ctx, admin, org, alice)
	if err != nil {
		t.Fatal(err)
	}
	if d.Mailbox.Email != "alice@contoso.com" || d.Mailbox.State != control.MailboxPaused || len(d.History) != len(hist) ||
		!slices.Equal(d.Items, []control.KindCount{{Kind: "message", N: 3}, {Kind: "event"}, {Kind: "contact"}}) {
		t.Fatalf("detail %+v", d)
	}
	// Tenant isolation: another organization's admin, or alice through another
	// organization, finds nothing.
	for _, c := range []struct {
		p   control.Principal
		org int64
	}{{controltest.Admin(other), org}, {controltest.Admin(other), other}, {e.Operator, other}} {
		if _, err := e.Service.MailboxHistory(ctx, c.p, c.org, alice); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("history as %+v in %d: %v", c.p, c.org, err)
		}
		if _, err := e.Service.GetMailboxDetail(ctx, c.p, c.org, alice); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("detail as %+v in %d: %v", c.p, c.org, err)
		}
	}
	// A user whose sync was never activated has no mailbox, hence no history.
	if _, err := e.Service.MailboxHistory(ctx, e.Operator, other, userIDs(t, e, other)["zed@other.test"]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("history of a user without a mailbox: %v", err)
	}
}
