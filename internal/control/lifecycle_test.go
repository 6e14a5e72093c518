package control_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

const sales = "sales@contoso.com"

// onBoth runs a test on SQLite and on PostgreSQL (skipped without a server).
func onBoth(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, "")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, pgtest.NewDatabase(t))
	})
}

// keptSales is an organization synced through svc-sync that keeps sales@contoso.com.
func keptSales(t *testing.T, e *controltest.Env) int64 {
	t.Helper()
	org := e.Org(t, "Contoso")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	src, res, err := e.Service.KeepGroup(ctx, controltest.Admin(org), org, "Sales@Contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if src.Address != sales || src.Status != "ok" || src.Members != 6 || res.Added != 6 {
		t.Fatalf("kept %+v after importing %+v", src, res)
	}
	return org
}

// userID returns the id of an organization's user.
func userID(t *testing.T, e *controltest.Env, org int64, email string) int64 {
	t.Helper()
	users, err := e.Store.ListUsers(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == email {
			return u.ID
		}
	}
	t.Fatalf("%s is not a user", email)
	return 0
}

// feedAfter returns the organization's feed entries after seq.
func feedAfter(t *testing.T, e *controltest.Env, org, seq int64) []store.FeedEntry {
	t.Helper()
	entries, err := e.Store.ChangeFeed(ctx, org, seq, store.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// lastSeq is the organization's feed position now.
func lastSeq(t *testing.T, e *controltest.Env, org int64) int64 {
	t.Helper()
	var seq int64
	for {
		entries := feedAfter(t, e, org, seq)
		if len(entries) == 0 {
			return seq
		}
		seq = entries[len(entries)-1].Seq
	}
}

// source returns the organization's group source of an address.
func source(t *testing.T, e *controltest.Env, org int64, addr string) store.GroupSource {
	t.Helper()
	list, err := e.Service.ListGroupSources(ctx, e.Operator, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range list {
		if g.Address == addr {
			return g
		}
	}
	t.Fatalf("no group source %s in %+v", addr, list)
	return store.GroupSource{}
}

// lastAudit returns the organization's newest audit entry with the action.
func lastAudit(t *testing.T, e *controltest.Env, org int64, action string) store.AuditEntry {
	t.Helper()
	entries, err := e.Store.ListAudit(ctx, org, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range entries {
		if a.Action == action {
			return a
		}
	}
	t.Fatalf("no %s in the audit log", action)
	return store.AuditEntry{}
}

// sales@contoso.com kept in sync: erin leaves the group in Exchange, and the re-read
// removes her with her items, each in the feed as a delete; gina joins the group, and
// the re-read adds her and starts her sync.
func TestGroupSyncJoinersAndLeavers(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, dsn string) {
		var act activations
		e := controltest.New(t, controltest.Options{DSN: dsn, OnActivate: act.hook})
		org := keptSales(t, e)
		if got := e.Emails(t, org); !slices.Equal(got, []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "frank@contoso.com"}) {
			t.Fatalf("users %v", got)
		}
		erin := userID(t, e, org, "erin@contoso.com")
		if st := e.SyncMailbox(t, org, erin, 0); st.Created == 0 {
			t.Fatal("erin's mailbox synced nothing")
		}
		items, err := e.Store.ListItems(ctx, org, erin)
		if err != nil || len(items) == 0 {
			t.Fatalf("erin's items: %d %v", len(items), err)
		}
		cursor := lastSeq(t, e, org)

		// Nothing changed: a re-read removes nobody, and is not audited.
		if err := e.Service.SyncGroupSources(ctx, org); err != nil {
			t.Fatal(err)
		}
		if n := len(e.Emails(t, org)); n != 6 {
			t.Fatalf("%d users after an idle re-read", n)
		}

		// Erin leaves.
		if err := e.World.RemoveGroupMembers(sales, "erin@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if err := e.Service.SyncGroupSources(ctx, org); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(e.Emails(t, org), "erin@contoso.com") {
			t.Fatal("erin is still a user")
		}
		if left, _ := e.Store.ListItems(ctx, org, erin); len(left) != 0 {
			t.Fatalf("%d of erin's items survive", len(left))
		}
		deleted := map[string]bool{}
		for _, c := range feedAfter(t, e, org, cursor) {
			if c.Op != "delete" || c.UserID != erin {
				t.Fatalf("feed entry %+v", c.Change)
			}
			deleted[c.ItemID] = true
		}
		for _, it := range items {
			if !deleted[it.ItemID] {
				t.Fatalf("no feed delete for erin's %s", it.ItemID)
			}
		}
		if len(deleted) != len(items) {
			t.Fatalf("%d deletes for %d items", len(deleted), len(items))
		}
		src := source(t, e, org, sales)
		if src.Status != "ok" || src.Members != 5 || src.Removed != 1 || src.Added != 0 || src.LastReadAt == nil {
			t.Fatalf("after erin left: %+v", src)
		}
		if a := lastAudit(t, e, org, "user.remove"); a.Target != "erin@contoso.com" || a.Actor != "system" ||
			!strings.Contains(a.Detail["reason"], sales) || a.Detail["items"] != fmt.Sprint(len(items)) {
			t.Fatalf("removal audit %+v", a)
		}
		if a := lastAudit(t, e, org, "group.reread"); a.Target != sales || a.Detail["removed"] != "1" || a.Detail["members"] != "5" {
			t.Fatalf("re-read audit %+v", a)
		}

		// Gina joins the company and the group.
		if _, err := e.World.AddUser(exchangesim.UserSpec{SMTP: "gina@contoso.com", Password: exchangesim.DefaultUserPassword, GivenName: "Gina", Surname: "Green",
			Content: &exchangesim.Content{Counts: map[string]int{"inbox": 5, "contacts": 2}}}); err != nil {
			t.Fatal(err)
		}
		if err := e.World.AddScopeMembers("Sales", "gina@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if err := e.World.AddGroupMembers(sales, "gina@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if err := e.Service.SyncGroupSources(ctx, org); err != nil {
			t.Fatal(err)
		}
		gina := userID(t, e, org, "gina@contoso.com")
		u, _ := e.Store.GetUser(ctx, org, gina)
		if u.Source != "group:"+sales || u.DisplayName == "" {
			t.Fatalf("gina %+v", u)
		}
		mb, err := e.Store.GetMailbox(ctx, org, gina)
		if calls := act.take(); err != nil || mb.State != "active" || len(calls) == 0 || !slices.Equal(calls[len(calls)-1], []int64{gina}) {
			t.Fatalf("gina's mailbox %+v %v, activated %v", mb, err, calls)
		}
		if st := e.SyncMailbox(t, org, gina, 0); st.Created < 2 { // her contacts, and her messages within the look-back
			t.Fatalf("gina's sync created %d items", st.Created)
		}
		if src := source(t, e, org, sales); src.Added != 1 || src.Removed != 0 || src.Members != 6 {
			t.Fatalf("after gina joined: %+v", src)
		}
	})
}

// putFaults changes the simulator's injected faults through its admin API.
func putFaults(t *testing.T, e *controltest.Env, body string) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.Sim.CAPEM())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("PUT", e.Sim.Info().AdminURL+"/faults", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("PUT faults: %s", res.Status)
	}
}

// A group that cannot be read removes nobody: Exchange down, the service account's
// credentials refused, another kept group gone from Exchange. The error is recorded;
// once Exchange answers again, the leaver goes.
func TestGroupSyncErrorRemovesNobody(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := keptSales(t, e)
	if err := e.World.RemoveGroupMembers(sales, "erin@contoso.com", "dave@contoso.com"); err != nil {
		t.Fatal(err)
	}
	check := func(what, msg string) {
		t.Helper()
		if err := e.Service.SyncGroupSources(ctx, org); err != nil {
			t.Fatal(err)
		}
		if n := len(e.Emails(t, org)); n != 6 {
			t.Fatalf("%s: %d users left", what, n)
		}
		src := source(t, e, org, sales)
		if src.Status != "error" || !strings.Contains(src.Message, msg) || !strings.Contains(src.Message, "Nobody was removed") {
			t.Fatalf("%s: %+v", what, src)
		}
		if a := lastAudit(t, e, org, "group.reread"); a.Detail["status"] != "error" || a.Detail["removed"] != "0" {
			t.Fatalf("%s: audit %+v", what, a)
		}
	}
	// Exchange down.
	putFaults(t, e, `{"error_rate": {"ExpandDL": 1}, "error_code": "ErrorInternalServerError"}`)
	check("Exchange down", "ErrorInternalServerError")
	putFaults(t, e, `{"error_rate": {}}`)
	// The password changed in Active Directory.
	if err := e.World.SetPassword(controltest.ServiceLogon, "Changed-Pass-2027!"); err != nil {
		t.Fatal(err)
	}
	check("credentials refused", "refused the service account's credentials")
	if err := e.World.SetPassword(controltest.ServiceLogon, controltest.ServicePassword); err != nil {
		t.Fatal(err)
	}
	// A second kept group that Exchange no longer knows: the leavers of sales might be
	// its members, so nobody is removed.
	if err := e.World.AddGroup(exchangesim.GroupSpec{SMTP: "eng@contoso.com", Members: []string{"bob@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Service.KeepGroup(ctx, e.Operator, org, "eng@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.World.RemoveGroup("eng@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.Service.SyncGroupSources(ctx, org); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Emails(t, org)); n != 6 {
		t.Fatalf("a gone group: %d users left", n)
	}
	if src := source(t, e, org, "eng@contoso.com"); src.Status != "error" || !strings.Contains(src.Message, "Exchange knows no distribution group eng@contoso.com.") {
		t.Fatalf("eng %+v", src)
	}
	if src := source(t, e, org, sales); src.Status != "ok" || src.Removed != 0 || !strings.Contains(src.Message, "eng@contoso.com could not be read") {
		t.Fatalf("sales %+v", src)
	}
	// The gone group is no longer kept: the leavers go now.
	if err := e.Service.RemoveGroupSource(ctx, e.Operator, org, source(t, e, org, "eng@contoso.com").ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.RereadGroups(ctx, e.Operator, org); err != nil {
		t.Fatal(err)
	}
	if got := e.Emails(t, org); !slices.Equal(got, []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "frank@contoso.com"}) {
		t.Fatalf("users %v", got)
	}
	if a := lastAudit(t, e, org, "group.remove"); a.Target != "eng@contoso.com" {
		t.Fatalf("audit %+v", a)
	}
}

// A re-read that would remove more than 10 users and more than half of the group's, or
// anyone from a group left without members, is held: nobody is removed until an admin
// confirms; a member of another kept group is not a leaver but changes group.
func TestGroupSyncGuard(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	var temps []string
	for i := range 12 {
		addr := fmt.Sprintf("temp%02d@contoso.com", i)
		if _, err := e.World.AddUser(exchangesim.UserSpec{SMTP: addr, Password: exchangesim.DefaultUserPassword, DisplayName: fmt.Sprint("Temp ", i)}); err != nil {
			t.Fatal(err)
		}
		temps = append(temps, addr)
	}
	if err := e.World.AddGroupMembers(sales, temps...); err != nil {
		t.Fatal(err)
	}
	org := e.Org(t, "Contoso")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Service.KeepGroup(ctx, e.Operator, org, sales); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Emails(t, org)); n != 18 {
		t.Fatalf("%d users", n)
	}
	// The twelve temps leave: 12 of 18 users, held.
	if err := e.World.RemoveGroupMembers(sales, temps...); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the next scheduled re-read holds them still
		if err := e.Service.SyncGroupSources(ctx, org); err != nil {
			t.Fatal(err)
		}
		if n := len(e.Emails(t, org)); n != 18 {
			t.Fatalf("%d users after a held re-read", n)
		}
		src := source(t, e, org, sales)
		if src.Status != "held" || !slices.Equal(src.Held, temps) || src.Removed != 0 || !strings.Contains(src.Message, "12 of the group's 18 users") {
			t.Fatalf("held %+v", src)
		}
	}
	if a := lastAudit(t, e, org, "group.reread"); a.Detail["status"] != "held" || a.Detail["held"] != "12" {
		t.Fatalf("audit %+v", a)
	}
	// Another organization's admin cannot confirm; nor can anything be confirmed
	// elsewhere.
	other := e.Org(t, "Fabrikam")
	if _, err := e.Service.ConfirmGroupRemovals(ctx, controltest.Admin(other), org, source(t, e, org, sales).ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("foreign confirmation: %v", err)
	}
	// One temp comes back before the admin confirms: the confirmation removes the 11
	// others only.
	if err := e.World.AddGroupMembers(sales, temps[0]); err != nil {
		t.Fatal(err)
	}
	list, err := e.Service.ConfirmGroupRemovals(ctx, controltest.Admin(org), org, source(t, e, org, sales).ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status != "ok" || list[0].Removed != 11 || list[0].Held != nil {
		t.Fatalf("confirmed %+v", list)
	}
	if n := len(e.Emails(t, org)); n != 7 {
		t.Fatalf("%d users after the confirmation", n)
	}
	if a := lastAudit(t, e, org, "user.remove"); a.Actor != "admin@org.test" {
		t.Fatalf("confirmed removal audited as %+v", a)
	}
	_, err = e.Service.ConfirmGroupRemovals(ctx, e.Operator, org, source(t, e, org, sales).ID)
	wantInput(t, err, "source", "No removal of the group sales@contoso.com waits")

	// Alice is also in another kept group: she changes group instead of leaving.
	if err := e.World.AddGroup(exchangesim.GroupSpec{SMTP: "leads@contoso.com", Members: []string{"alice@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Service.KeepGroup(ctx, e.Operator, org, "leads@contoso.com"); err != nil {
		t.Fatal(err)
	}
	// The group is emptied by mistake: even 6 users are held.
	if err := e.World.SetGroupMembers(sales); err != nil {
		t.Fatal(err)
	}
	if err := e.Service.SyncGroupSources(ctx, org); err != nil {
		t.Fatal(err)
	}
	src := source(t, e, org, sales)
	if src.Status != "held" || len(src.Held) != 6 || slices.Contains(src.Held, "alice@contoso.com") || !strings.Contains(src.Message, "no members that are people") {
		t.Fatalf("emptied group %+v", src)
	}
	if u, _ := e.Store.GetUser(ctx, org, userID(t, e, org, "alice@contoso.com")); u.Source != "group:leads@contoso.com" {
		t.Fatalf("alice's source %q", u.Source)
	}
	if n := len(e.Emails(t, org)); n != 7 {
		t.Fatalf("%d users after an emptied group", n)
	}
}

// Keeping a group: its address once; a group Exchange does not know is refused and not
// kept; another organization's admin sees none of it.
func TestKeepGroupInput(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := keptSales(t, e)
	_, _, err := e.Service.KeepGroup(ctx, e.Operator, org, "SALES@contoso.com")
	wantInput(t, err, "group", "kept in sync already")
	_, _, err = e.Service.KeepGroup(ctx, e.Operator, org, "nosuch@contoso.com")
	wantInput(t, err, "group", "Exchange knows no distribution group")
	_, _, err = e.Service.KeepGroup(ctx, e.Operator, org, "not an address")
	wantInput(t, err, "group", "")
	if list, _ := e.Service.ListGroupSources(ctx, e.Operator, org); len(list) != 1 {
		t.Fatalf("sources %+v", list)
	}
	other := e.Org(t, "Fabrikam")
	if _, err := e.Service.ListGroupSources(ctx, controltest.Admin(other), org); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("foreign list: %v", err)
	}
	if err := e.Service.RemoveGroupSource(ctx, controltest.Admin(other), org, source(t, e, org, sales).ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("foreign removal: %v", err)
	}
	if err := e.Service.RemoveGroupSource(ctx, e.Operator, other, source(t, e, org, sales).ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removal through another organization: %v", err)
	}
	if _, err := e.Service.RereadGroups(ctx, controltest.Admin(other), org); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("foreign re-read: %v", err)
	}
}

// syncThrough syncs a mailbox to the end as the job runner does: through SyncSource,
// which leaves out what the organization's retention excludes.
func syncThrough(t *testing.T, e *controltest.Env, org, user int64) syncer.Stats {
	t.Helper()
	u, err := e.Store.GetUser(ctx, org, user)
	if err != nil {
		t.Fatal(err)
	}
	src, err := e.Service.SyncSource(ctx, org, 0)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := e.Service.SyncFolders(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	l, err := e.Store.AcquireLease(ctx, user, "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Store.ReleaseLease(ctx, l)
	var total syncer.Stats
	for {
		st, err := syncer.New(e.Store, syncer.Options{}).SyncMailbox(ctx, l, u.Email, src, folders)
		total.Created += st.Created
		total.Deleted += st.Deleted
		total.Resyncs += st.Resyncs
		if errors.Is(err, syncer.ErrMore) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
}

// expired returns the ids of a mailbox's items dated before cutoff (messages received,
// events ended).
func expired(t *testing.T, e *controltest.Env, org, user int64, cutoff time.Time) []string {
	t.Helper()
	items, err := e.Store.ListItems(ctx, org, user)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		when := it.ItemTime
		if it.Kind == "event" && it.EndTime != nil {
			when = it.EndTime
		}
		if it.Kind != "contact" && when != nil && when.Before(cutoff) {
			out = append(out, it.ItemID)
		}
	}
	return out
}

// Retention: items older than 30 days are purged, each in the feed as a delete, and the
// audit log has the setting and the purge's counts; a sync afterwards, even a full
// resync after Exchange forgot the sync states, does not bring them back (the plain EWS
// source, without the retention, would).
func TestRetentionPurge(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, dsn string) {
		e := controltest.New(t, controltest.Options{DSN: dsn})
		org := e.Org(t, "Contoso", "alice@contoso.com")
		if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
			t.Fatal(err)
		}
		alice := userID(t, e, org, "alice@contoso.com")
		e.SyncMailbox(t, org, alice, 0)
		cutoff := time.Now().Add(-30 * 24 * time.Hour)
		old := expired(t, e, org, alice, cutoff)
		if len(old) < 5 {
			t.Fatalf("only %d items older than 30 days to purge", len(old))
		}
		before, _ := e.Store.ListItems(ctx, org, alice)
		cursor := lastSeq(t, e, org)

		// Nothing is purged while the organization keeps items forever.
		if res, err := e.Service.PurgeExpired(ctx, org); err != nil || res != (store.PurgeResult{}) {
			t.Fatalf("purge without a retention: %+v %v", res, err)
		}
		wantInput(t, e.Service.SetRetention(ctx, controltest.Admin(org), org, -3), "days", "0 to keep items forever")
		if err := e.Service.SetRetention(ctx, controltest.Admin(e.Org(t, "Fabrikam")), org, 30); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("foreign setting: %v", err)
		}
		if err := e.Service.SetRetention(ctx, controltest.Admin(org), org, 30); err != nil {
			t.Fatal(err)
		}
		if d, _ := e.Service.Retention(ctx, e.Operator, org); d != 30 {
			t.Fatalf("retention %d", d)
		}
		res, err := e.Service.PurgeExpired(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		if res.Messages+res.Events != len(old) || res.Messages == 0 || res.Events == 0 {
			t.Fatalf("purged %+v, want %d items", res, len(old))
		}
		if left := expired(t, e, org, alice, cutoff); len(left) != 0 {
			t.Fatalf("%d old items survive", len(left))
		}
		after, _ := e.Store.ListItems(ctx, org, alice)
		if len(after) != len(before)-len(old) {
			t.Fatalf("%d items left of %d, %d purged", len(after), len(before), len(old))
		}
		var deletes []string
		for _, c := range feedAfter(t, e, org, cursor) {
			if c.Op != "delete" {
				t.Fatalf("feed entry %+v", c.Change)
			}
			deletes = append(deletes, c.ItemID)
		}
		slices.Sort(deletes)
		slices.Sort(old)
		if !slices.Equal(deletes, old) {
			t.Fatalf("feed deletes %d, purged %d", len(deletes), len(old))
		}
		if a := lastAudit(t, e, org, "retention.purge"); a.Detail["messages"] != fmt.Sprint(res.Messages) || a.Detail["events"] != fmt.Sprint(res.Events) {
			t.Fatalf("purge audit %+v", a)
		}
		if a := lastAudit(t, e, org, "retention.set"); a.Detail["days"] != "30" || a.Actor != "admin@org.test" {
			t.Fatalf("setting audit %+v", a)
		}

		// A sync afterwards, then a full resync: the purged items stay purged.
		if st := syncThrough(t, e, org, alice); st.Created != 0 {
			t.Fatalf("a sync after the purge created %d items", st.Created)
		}
		if err := e.World.ExpireSyncStates(ctx, "alice@contoso.com"); err != nil {
			t.Fatal(err)
		}
		if st := syncThrough(t, e, org, alice); st.Resyncs == 0 || st.Created != 0 {
			t.Fatalf("the full resync: %+v", st)
		}
		if left := expired(t, e, org, alice, cutoff); len(left) != 0 {
			t.Fatalf("the resync brought back %d purged items", len(left))
		}
		now, _ := e.Store.ListItems(ctx, org, alice)
		if len(now) != len(after) {
			t.Fatalf("%d items after the resync, %d before", len(now), len(after))
		}
		// Without the retention's filter, the engine's look-back (90 days) would fetch
		// them again: the filter is what keeps them out.
		if err := e.World.ExpireSyncStates(ctx, "alice@contoso.com"); err != nil {
			t.Fatal(err)
		}
		e.SyncMailbox(t, org, alice, 0)
		if back := expired(t, e, org, alice, cutoff); len(back) == 0 {
			t.Fatal("the plain source brought nothing back: the test proves nothing")
		}
	})
}

// Deleting an organization tells the wiring (which drops its queued jobs).
func TestDeleteOrganizationHook(t *testing.T) {
	t.Parallel()
	var deleted []int64
	e := controltest.New(t, controltest.Options{})
	cfg := e.Config
	cfg.OnOrganizationDeleted = func(_ context.Context, id int64) { deleted = append(deleted, id) }
	svc, err := control.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	org := e.Org(t, "Gone")
	if err := svc.DeleteOrganization(ctx, controltest.Admin(org), org); !errors.Is(err, control.ErrForbidden) {
		t.Fatalf("an admin deleted the organization: %v", err)
	}
	if err := svc.DeleteOrganization(ctx, e.Operator, org); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deleted, []int64{org}) {
		t.Fatalf("hook heard %v", deleted)
	}
}
