package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// The folder selection: a new configuration gets every folder, a save with a selection
// stores it (and the audit log says so), a save without one keeps it.
func testEmailConfigSyncFolders(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	cfg := store.EmailConfig{OrgID: org.ID, AccessType: "exchange_impersonation", AccountLogon: "svc", PasswordSealed: []byte("p"),
		EWSURL: "https://x/EWS/Exchange.asmx", AuthMethod: "ntlm"}
	saved := must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, operator, 0, cfg, 0))
	const all = "inbox,inbox_subfolders,sentitems,calendar,contacts"
	if got := must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID)); got.SyncFolders != all || saved.SyncFolders != all {
		t.Fatalf("default selection %q (returned %q)", got.SyncFolders, saved.SyncFolders)
	}
	cfg.PasswordSealed, cfg.SyncFolders = nil, "inbox,calendar"
	saved = must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, operator, 0, cfg, 1))
	if got := must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID)); got.SyncFolders != "inbox,calendar" || saved.SyncFolders != "inbox,calendar" {
		t.Fatalf("saved selection %q", got.SyncFolders)
	}
	cfg.SyncFolders, cfg.EWSURL = "", "https://y/EWS/Exchange.asmx"
	saved = must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, operator, 0, cfg, 2))
	if got := must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID)); got.SyncFolders != "inbox,calendar" || saved.SyncFolders != "inbox,calendar" {
		t.Fatalf("a save without a selection changed it to %q", got.SyncFolders)
	}
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 3))
	if audit[0].Detail["sync_folders"] != "" || audit[1].Detail["sync_folders"] != "inbox,calendar" || audit[2].Detail["sync_folders"] != all {
		t.Fatalf("audit: %+v", audit)
	}
	// A first save may choose its selection.
	other := newOrg(t, s, "Fabrikam")
	cfg.OrgID, cfg.PasswordSealed, cfg.SyncFolders = other.ID, []byte("p"), "contacts"
	must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, operator, 0, cfg, 0))
	if got := must[store.EmailConfig](t)(s.GetEmailConfig(ctx, other.ID)); got.SyncFolders != "contacts" {
		t.Fatalf("first save's selection %q", got.SyncFolders)
	}
}

// syncOrg is an organization whose users have active mailboxes.
func syncOrg(t *testing.T, s *store.Store, name string, emails ...string) (store.Organization, []int64) {
	t.Helper()
	org := newOrg(t, s, name)
	var nu []store.NewUser
	for _, e := range emails {
		nu = append(nu, store.NewUser{Email: e})
	}
	res := must[store.AddUsersResult](t)(s.AddUsers(ctx, operator, org.ID, "manual", nu, false))
	var ids []int64
	for _, u := range res.Added {
		ids = append(ids, u.ID)
	}
	must[[]int64](t)(s.ActivateMailboxes(ctx, operator, org.ID))
	return org, ids
}

// setStatus records a status under a fresh lease, as the engine does.
func setStatus(t *testing.T, s *store.Store, userID int64, st store.MailboxStatus) {
	t.Helper()
	l := must[store.Lease](t)(s.AcquireLease(ctx, userID, "worker", time.Minute))
	ok(t, s.SetMailboxStatus(ctx, l, st))
	ok(t, s.ReleaseLease(ctx, l))
}

// history renders a mailbox's history, newest first, as "state/status/code".
func history(t *testing.T, s *store.Store, orgID, userID int64) []string {
	t.Helper()
	var out []string
	for _, c := range must[[]store.StatusChange](t)(s.MailboxHistory(ctx, orgID, userID)) {
		out = append(out, strings.TrimSuffix(c.State+"/"+c.Status+"/"+c.Code, "/"))
	}
	return out
}

// A mailbox's history records each change of its state or status, once: not the same
// status recorded again, not the "syncing" every poll passes through; it is read newest
// first, only within its organization.
func testMailboxStatusHistory(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org, ids := syncOrg(t, s, "Contoso", "alice@contoso.com", "bob@contoso.com")
	alice, bob := ids[0], ids[1]
	step := func(st store.MailboxStatus) {
		t.Helper()
		c.Add(time.Minute)
		setStatus(t, s, alice, st)
	}
	step(store.MailboxStatus{Status: "syncing"}) // the first sync starts: history
	step(store.MailboxStatus{Status: "ok"})
	step(store.MailboxStatus{Status: "syncing"}) // a poll: not history
	step(store.MailboxStatus{Status: "ok"})      // the same as before: not history
	step(store.MailboxStatus{Status: "syncing"})
	step(store.MailboxStatus{Status: "error", Code: "throttled", Message: "busy"})
	step(store.MailboxStatus{Status: "syncing"})
	step(store.MailboxStatus{Status: "error", Code: "throttled", Message: "busy"}) // identical
	step(store.MailboxStatus{Status: "error", Code: "exchange_error", Message: "ErrorInternalServerError"})
	step(store.MailboxStatus{Status: "ok"})
	c.Add(time.Minute)
	ok(t, s.SetMailboxState(ctx, operator, org.ID, alice, "paused"))
	ok(t, s.SetMailboxState(ctx, operator, org.ID, alice, "paused")) // no change
	c.Add(time.Minute)
	ok(t, s.SetMailboxState(ctx, operator, org.ID, alice, "active"))
	c.Add(time.Minute)
	if n := must[int64](t)(s.StopMailboxes(ctx, org.ID, "auth_failed", "401")); n != 2 {
		t.Fatalf("stopped %d mailboxes", n)
	}
	must[int64](t)(s.StopMailboxes(ctx, org.ID, "auth_failed", "401")) // none active: nothing
	c.Add(time.Minute)
	must[[]int64](t)(s.ActivateMailboxes(ctx, operator, org.ID)) // renewed

	want := []string{"active/pending", "stopped/error/auth_failed", "active/pending", "paused/ok", "active/ok",
		"active/error/exchange_error", "active/error/throttled", "active/ok", "active/syncing", "active/pending"}
	if got := history(t, s, org.ID, alice); !slices.Equal(got, want) {
		t.Fatalf("alice's history:\n got %q\nwant %q", got, want)
	}
	if got := history(t, s, org.ID, bob); !slices.Equal(got, []string{"active/pending", "stopped/error/auth_failed", "active/pending"}) {
		t.Fatalf("bob's history %q", got)
	}
	hist := must[[]store.StatusChange](t)(s.MailboxHistory(ctx, org.ID, alice))
	for i := 1; i < len(hist); i++ {
		if hist[i].At.After(hist[i-1].At) || hist[i].ID >= hist[i-1].ID {
			t.Fatalf("not newest first: %+v", hist)
		}
	}
	if h := hist[5]; h.Message != "ErrorInternalServerError" || !h.At.Equal(newClock().Now().Add(9*time.Minute).Truncate(time.Microsecond)) {
		t.Fatalf("entry %+v", h)
	}
	// Another organization sees none of it.
	other := newOrg(t, s, "Fabrikam")
	if got := must[[]store.StatusChange](t)(s.MailboxHistory(ctx, other.ID, alice)); len(got) != 0 {
		t.Fatalf("another organization reads %d entries", len(got))
	}
	// A removed user's history goes with it.
	ok(t, s.RemoveUser(ctx, operator, org.ID, bob))
	if got := history(t, s, org.ID, bob); len(got) != 0 {
		t.Fatalf("a removed user's history: %q", got)
	}
}

// A history keeps its mailbox's last store.HistoryKeep changes; other mailboxes' are
// not pruned by it.
func testMailboxStatusHistoryBounded(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org, ids := syncOrg(t, s, "Contoso", "alice@contoso.com", "bob@contoso.com")
	setStatus(t, s, ids[1], store.MailboxStatus{Status: "ok"})
	l := must[store.Lease](t)(s.AcquireLease(ctx, ids[0], "worker", time.Minute))
	for i := range store.HistoryKeep + 20 {
		ok(t, s.SetMailboxStatus(ctx, l, store.MailboxStatus{Status: "error", Code: "exchange_error", Message: fmt.Sprint("error ", i)}))
	}
	hist := must[[]store.StatusChange](t)(s.MailboxHistory(ctx, org.ID, ids[0]))
	if len(hist) != store.HistoryKeep || hist[0].Message != fmt.Sprint("error ", store.HistoryKeep+19) ||
		hist[len(hist)-1].Message != "error 20" {
		t.Fatalf("%d entries, newest %+v, oldest %+v", len(hist), hist[0], hist[len(hist)-1])
	}
	if got := history(t, s, org.ID, ids[1]); !slices.Equal(got, []string{"active/ok", "active/pending"}) {
		t.Fatalf("bob's history %q", got)
	}
}

// A folder no longer synced loses its items, each recorded as deleted in the change
// feed, and its SyncState: synced again, it starts from scratch.
func testFolderNoLongerSynced(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org, ids := syncOrg(t, s, "Contoso", "alice@contoso.com")
	l := must[store.Lease](t)(s.AcquireLease(ctx, ids[0], "worker", time.Minute))
	cal := store.Folder{FolderID: "cal", Name: "Calendar", Class: "IPF.Appointment", Distinguished: "calendar", Synced: true}
	inbox := store.Folder{FolderID: "inbox", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox", Synced: true}
	ok(t, s.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: []store.Folder{cal, inbox}, NewState: "h1"}))
	byID := func() map[string]store.Folder {
		out := map[string]store.Folder{}
		for _, f := range must[[]store.Folder](t)(s.ListFolders(ctx, ids[0])) {
			out[f.FolderID] = f
		}
		return out
	}
	commit := func(f store.Folder, kind string, n int) {
		t.Helper()
		p := store.PageCommit{Folder: f.ID, Generation: f.Generation, NewState: f.FolderID + "-s1", Last: true}
		for i := range n {
			id := fmt.Sprintf("%s-%d", f.FolderID, i)
			p.Upserts = append(p.Upserts, store.ItemRecord{ItemID: id, ChangeKey: "ck", Kind: kind, Data: []byte("{}")})
		}
		must[store.PageResult](t)(s.CommitPage(ctx, l, p))
	}
	fs := byID()
	commit(fs["cal"], "event", 3)
	commit(fs["inbox"], "message", 2)
	if kinds := must[map[string]int64](t)(s.CountItemsByKind(ctx, org.ID, ids[0])); kinds["event"] != 3 || kinds["message"] != 2 || len(kinds) != 2 {
		t.Fatalf("kinds %v", kinds)
	}
	changes := must[[]store.Change](t)(s.ListChanges(ctx, org.ID, 0, 0))
	cursor := changes[len(changes)-1].Seq

	cal.Synced = false
	ok(t, s.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: []store.Folder{cal, inbox}, NewState: "h2"}))
	fs = byID()
	if f := fs["cal"]; f.Synced || f.SyncState != "" || f.Complete {
		t.Fatalf("unsynced folder %+v", f)
	}
	if f := fs["inbox"]; !f.Synced || f.SyncState != "inbox-s1" || !f.Complete {
		t.Fatalf("the synced folder changed: %+v", f)
	}
	items := must[[]store.StoredItem](t)(s.ListItems(ctx, org.ID, ids[0]))
	if len(items) != 2 || items[0].Kind != "message" {
		t.Fatalf("items left %+v", items)
	}
	deletes := map[string]bool{}
	for _, c := range must[[]store.Change](t)(s.ListChanges(ctx, org.ID, cursor, 0)) {
		if c.Op != "delete" || c.Kind != "event" {
			t.Fatalf("change %+v", c)
		}
		deletes[c.ItemID] = true
	}
	if len(deletes) != 3 {
		t.Fatalf("feed deletes %v", deletes)
	}
	if mb := must[store.Mailbox](t)(s.GetMailbox(ctx, org.ID, ids[0])); mb.Items != 2 {
		t.Fatalf("item count %d", mb.Items)
	}
	if kinds := must[map[string]int64](t)(s.CountItemsByKind(ctx, org.ID, ids[0])); kinds["event"] != 0 {
		t.Fatalf("kinds %v", kinds)
	}
	// Still unsynced: nothing more to delete, nothing in the feed.
	ok(t, s.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: []store.Folder{cal, inbox}, NewState: "h3"}))
	if n := len(must[[]store.Change](t)(s.ListChanges(ctx, org.ID, cursor, 0))); n != 3 {
		t.Fatalf("%d changes", n)
	}
	// Synced again: from scratch, the items come back.
	cal.Synced = true
	ok(t, s.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: []store.Folder{cal, inbox}, NewState: "h4"}))
	fs = byID()
	if f := fs["cal"]; !f.Synced || f.SyncState != "" {
		t.Fatalf("resynced folder %+v", f)
	}
	commit(fs["cal"], "event", 3)
	if mb := must[store.Mailbox](t)(s.GetMailbox(ctx, org.ID, ids[0])); mb.Items != 5 {
		t.Fatalf("item count %d", mb.Items)
	}
	if other := must[map[string]int64](t)(s.CountItemsByKind(ctx, org.ID+1000, ids[0])); len(other) != 0 {
		t.Fatalf("another organization counts %v", other)
	}
}
