package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// replay reads an organization's whole feed after cursor into copy and returns the last
// seq read.
func replay(t *testing.T, s *store.Store, orgID, after int64, copy map[string]store.StoredItem) int64 {
	t.Helper()
	for {
		entries := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, orgID, after, store.MaxPage))
		applyFeed(copy, entries)
		if len(entries) == 0 {
			return after
		}
		after = entries[len(entries)-1].Seq
	}
}

// Removing a user revokes its mailbox's lease (a job in flight can no longer write),
// records a delete in the change feed for each of its items, in the same transaction, and
// deletes its data: a consumer replaying the feed ends with the store's content. The
// audit entry counts the items; RemoveUsers records a reason and skips users gone
// already.
func testRemoveUserFeed(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org, users := syncOrg(t, s, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com")
	inbox := store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"}
	cal := store.Folder{FolderID: "cal", Name: "Calendar", Class: "IPF.Appointment", Distinguished: "calendar"}
	leases := map[int64]store.Lease{}
	for _, u := range users {
		l, fs := mailboxWith(t, s, u, inbox, cal)
		leases[u] = l
		var page []store.ItemRecord
		for i := range 5 {
			page = append(page, record(fmt.Sprint("m", i), "message", fmt.Sprint("Message ", i), "x@contoso.com", at(float64(i)), nil, nil))
		}
		commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: page})
		commitItems(t, s, l, fs["cal"], store.PageCommit{Upserts: []store.ItemRecord{record("e0", "event", "Standup", "x@contoso.com", at(1), at(2), nil)}})
	}
	copy := map[string]store.StoredItem{}
	cursor := replay(t, s, org.ID, 0, copy)
	sameAsStore(t, s, org.ID, users, copy)

	// Alice is removed while her job holds the lease.
	alice := users[0]
	ok(t, s.RemoveUser(ctx, operator, org.ID, alice))
	_, err := s.CommitPage(ctx, leases[alice], store.PageCommit{Upserts: []store.ItemRecord{record("late", "message", "Late", "", at(9), nil, nil)}})
	wantErr(t, err, store.ErrLeaseLost)
	wantErr(t, s.SetMailboxStatus(ctx, leases[alice], store.MailboxStatus{Status: "ok"}), store.ErrLeaseLost)
	_, err = s.AcquireLease(ctx, alice, "worker", time.Minute)
	wantErr(t, err, store.ErrNotFound)
	if items := must[[]store.StoredItem](t)(s.ListItems(ctx, org.ID, alice)); len(items) != 0 {
		t.Fatalf("alice's items survived: %d", len(items))
	}
	entries := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, org.ID, cursor, 0))
	var ops []string
	for _, e := range entries {
		if e.UserID != alice {
			t.Fatalf("feed entry of another user: %+v", e.Change)
		}
		ops = append(ops, e.Op+" "+e.Kind+" "+e.ItemID)
	}
	slices.Sort(ops)
	want := []string{"delete event e0", "delete message m0", "delete message m1", "delete message m2", "delete message m3", "delete message m4"}
	if !slices.Equal(ops, want) {
		t.Fatalf("feed after the removal %q, want %q", ops, want)
	}
	cursor = replay(t, s, org.ID, cursor, copy)
	sameAsStore(t, s, org.ID, users, copy)
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 1))
	if a := audit[0]; a.Action != "user.remove" || a.Target != "alice@contoso.com" || a.Detail["items"] != "6" {
		t.Fatalf("audit %+v", a)
	}

	// Several at once, with a reason; a user gone already is skipped.
	n := must[int](t)(s.RemoveUsers(ctx, store.System, org.ID, []int64{alice, users[1]}, "left group:sales@contoso.com"))
	if n != 1 {
		t.Fatalf("removed %d", n)
	}
	replay(t, s, org.ID, cursor, copy)
	sameAsStore(t, s, org.ID, users, copy)
	if len(copy) != 6 {
		t.Fatalf("the consumer's copy has %d items, want carol's 6", len(copy))
	}
	audit = must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 1))
	if a := audit[0]; a.Action != "user.remove" || a.Target != "bob@contoso.com" || a.Actor != "system" || a.Detail["reason"] != "left group:sales@contoso.com" {
		t.Fatalf("audit %+v", a)
	}
	// Another organization cannot remove carol.
	other := newOrg(t, s, "Fabrikam")
	wantErr(t, s.RemoveUser(ctx, operator, other.ID, users[2]), store.ErrNotFound)
	if n := must[int](t)(s.RemoveUsers(ctx, operator, other.ID, []int64{users[2]}, "")); n != 0 {
		t.Fatalf("removed carol through another organization")
	}
	if len(must[[]store.StoredItem](t)(s.ListItems(ctx, org.ID, users[2]))) != 6 {
		t.Fatal("carol's items lost")
	}
}

// Group sources: added once per address (a *DuplicateError again), listed by address,
// their reads recorded (a held read with the addresses it would remove), removed; all in
// the audit log; scoped to their organization.
func testGroupSources(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org := newOrg(t, s, "Contoso")
	other := newOrg(t, s, "Fabrikam")
	sales := must[store.GroupSource](t)(s.AddGroupSource(ctx, operator, org.ID, "Sales@Contoso.com", store.GroupRead{Status: "ok", Members: 6, Added: 5}))
	if sales.ID == 0 || sales.Address != "sales@contoso.com" || sales.CreatedBy != operator.Label || sales.LastReadAt == nil || sales.Members != 6 {
		t.Fatalf("added %+v", sales)
	}
	var dup *store.DuplicateError
	_, err := s.AddGroupSource(ctx, operator, org.ID, "sales@contoso.com", store.GroupRead{Status: "ok"})
	if !errors.As(err, &dup) {
		t.Fatalf("second add: %v", err)
	}
	_, err = s.AddGroupSource(ctx, operator, 999999, "sales@contoso.com", store.GroupRead{Status: "ok"})
	wantErr(t, err, store.ErrNotFound)
	must[store.GroupSource](t)(s.AddGroupSource(ctx, operator, other.ID, "sales@contoso.com", store.GroupRead{Status: "ok"}))
	eng := must[store.GroupSource](t)(s.AddGroupSource(ctx, operator, org.ID, "eng@contoso.com", store.GroupRead{Status: "ok"}))

	c.Add(time.Hour)
	held := store.GroupRead{Status: "held", Message: "12 of 14 users would be removed", Members: 2, Held: []string{"u1@contoso.com", "u2@contoso.com"}}
	ok(t, s.RecordGroupRead(ctx, store.System, org.ID, sales.ID, held, true))
	got := must[store.GroupSource](t)(s.GetGroupSource(ctx, org.ID, sales.ID))
	if got.Status != "held" || !slices.Equal(got.Held, held.Held) || got.Message != held.Message || !got.LastReadAt.Equal(c.Now().Truncate(time.Microsecond)) {
		t.Fatalf("after a held read %+v", got)
	}
	ok(t, s.RecordGroupRead(ctx, store.System, org.ID, sales.ID, store.GroupRead{Status: "ok", Members: 2, Removed: 12}, false))
	got = must[store.GroupSource](t)(s.GetGroupSource(ctx, org.ID, sales.ID))
	if got.Status != "ok" || got.Held != nil || got.Removed != 12 {
		t.Fatalf("after a confirmed read %+v", got)
	}
	list := must[[]store.GroupSource](t)(s.ListGroupSources(ctx, org.ID))
	if len(list) != 2 || list[0].Address != "eng@contoso.com" || list[1].Address != "sales@contoso.com" {
		t.Fatalf("list %+v", list)
	}
	if orgs := must[[]int64](t)(s.GroupSourceOrgs(ctx)); !slices.Equal(orgs, []int64{org.ID, other.ID}) {
		t.Fatalf("organizations with group sources %v", orgs)
	}

	// Scoped to the organization.
	_, err = s.GetGroupSource(ctx, other.ID, sales.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RemoveGroupSource(ctx, operator, other.ID, eng.ID), store.ErrNotFound)
	wantErr(t, s.RecordGroupRead(ctx, store.System, other.ID, eng.ID, store.GroupRead{Status: "error"}, true), store.ErrNotFound)

	ok(t, s.RemoveGroupSource(ctx, operator, org.ID, eng.ID))
	wantErr(t, s.RemoveGroupSource(ctx, operator, org.ID, eng.ID), store.ErrNotFound)
	var actions []string
	for _, a := range must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 10)) {
		actions = append(actions, a.Action+" "+a.Target)
	}
	if got := strings.Join(actions, "; "); got != "group.remove eng@contoso.com; group.reread sales@contoso.com; group.add eng@contoso.com; group.add sales@contoso.com" {
		t.Fatalf("audit %s", got)
	}

	// A user's source changes within its organization only.
	u := must[store.AddUsersResult](t)(s.AddUsers(ctx, operator, org.ID, "group:sales@contoso.com", []store.NewUser{{Email: "u@contoso.com"}}, false)).Added[0]
	ok(t, s.SetUserSource(ctx, org.ID, u.ID, "group:eng@contoso.com"))
	wantErr(t, s.SetUserSource(ctx, other.ID, u.ID, "manual"), store.ErrNotFound)
	if got := must[store.User](t)(s.GetUser(ctx, org.ID, u.ID)); got.Source != "group:eng@contoso.com" {
		t.Fatalf("source %q", got.Source)
	}
}

// Retention: the setting is audited; a purge deletes the messages received and the
// events ended before the cutoff (never contacts, nor items without a date), in bounded
// batches, each recorded as deleted in the change feed; mailbox counts follow; the purge
// is audited with its counts, and a second purge finds nothing.
func testRetentionPurge(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org, users := syncOrg(t, s, "Contoso", "alice@contoso.com", "bob@contoso.com")
	other, otherUsers := syncOrg(t, s, "Fabrikam", "x@fabrikam.com")
	if d := must[int](t)(s.Retention(ctx, other.ID)); d != 0 {
		t.Fatalf("default retention %d", d)
	}
	ok(t, s.SetRetention(ctx, operator, org.ID, 30))
	ok(t, s.SetRetention(ctx, operator, org.ID, 30)) // unchanged: no second entry
	if d := must[int](t)(s.Retention(ctx, org.ID)); d != 30 {
		t.Fatalf("retention %d", d)
	}
	if err := s.SetRetention(ctx, operator, org.ID, -1); err == nil {
		t.Fatal("negative retention accepted")
	}
	_, err := s.Retention(ctx, 999999)
	wantErr(t, err, store.ErrNotFound)
	if orgs := must[[]int64](t)(s.RetentionOrgs(ctx)); !slices.Equal(orgs, []int64{org.ID}) {
		t.Fatalf("organizations with a retention %v", orgs)
	}
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 2))
	if a := audit[0]; a.Action != "retention.set" || a.Detail["days"] != "30" || a.Detail["was"] != "0" || audit[1].Action == "retention.set" {
		t.Fatalf("audit %+v", audit)
	}

	folders := []store.Folder{{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"},
		{FolderID: "cal", Name: "Calendar", Class: "IPF.Appointment", Distinguished: "calendar"},
		{FolderID: "con", Name: "Contacts", Class: "IPF.Contact", Distinguished: "contacts"}}
	fill := func(l store.Lease, fs map[string]store.Folder) {
		var msgs []store.ItemRecord
		for i := range 7 { // received at hours 0…60 of the test day
			msgs = append(msgs, record(fmt.Sprint("m", i), "message", fmt.Sprint("Message ", i), "x@contoso.com", at(float64(i*10)), nil, nil))
		}
		msgs = append(msgs, record("undated", "message", "No date", "", nil, nil, nil))
		commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: msgs})
		commitItems(t, s, l, fs["cal"], store.PageCommit{Upserts: []store.ItemRecord{
			record("e-ended", "event", "Ended", "", at(0), at(1), nil),
			record("e-long", "event", "Started before, ends after", "", at(0), at(50), nil),
			record("e-noend", "event", "No end", "", at(2), nil, nil),
		}})
		commitItems(t, s, l, fs["con"], store.PageCommit{Upserts: []store.ItemRecord{record("c0", "contact", "Old contact", "", nil, nil, nil)}})
	}
	for _, u := range append(slices.Clone(users), otherUsers...) {
		l, fs := mailboxWith(t, s, u, folders...)
		fill(l, fs)
		ok(t, s.ReleaseLease(ctx, l))
	}
	copy := map[string]store.StoredItem{}
	cursor := replay(t, s, org.ID, 0, copy)

	// The cutoff is hour 25: m0, m1, m2 (hours 0–20), e-ended and e-noend go.
	cutoff := *at(25)
	res := must[store.PurgeResult](t)(s.PurgeItems(ctx, store.System, org.ID, cutoff, 2))
	if res.Messages != 6 || res.Events != 4 {
		t.Fatalf("purged %+v, want 6 messages and 4 events", res)
	}
	for _, u := range users {
		var left []string
		for _, it := range must[[]store.StoredItem](t)(s.ListItems(ctx, org.ID, u)) {
			left = append(left, it.ItemID)
		}
		want := []string{"c0", "e-long", "m3", "m4", "m5", "m6", "undated"}
		if !slices.Equal(left, want) {
			t.Fatalf("left %v, want %v", left, want)
		}
		if mb := must[store.Mailbox](t)(s.GetMailbox(ctx, org.ID, u)); mb.Items != int64(len(want)) {
			t.Fatalf("mailbox count %d", mb.Items)
		}
	}
	entries := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, org.ID, cursor, store.MaxPage))
	if len(entries) != 10 {
		t.Fatalf("%d feed entries after the purge", len(entries))
	}
	for _, e := range entries {
		if e.Op != "delete" {
			t.Fatalf("entry %+v", e.Change)
		}
	}
	cursor = replay(t, s, org.ID, cursor, copy)
	sameAsStore(t, s, org.ID, users, copy)
	audit = must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 1))
	if a := audit[0]; a.Action != "retention.purge" || a.Detail["messages"] != "6" || a.Detail["events"] != "4" || a.Actor != "system" {
		t.Fatalf("audit %+v", a)
	}
	// The other organization is untouched; a second purge finds nothing, audits nothing.
	if n := len(must[[]store.StoredItem](t)(s.ListItems(ctx, other.ID, otherUsers[0]))); n != 12 {
		t.Fatalf("the other organization has %d items", n)
	}
	if res := must[store.PurgeResult](t)(s.PurgeItems(ctx, store.System, org.ID, cutoff, 0)); res != (store.PurgeResult{}) {
		t.Fatalf("second purge %+v", res)
	}
	if got := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, org.ID, cursor, 0)); len(got) != 0 {
		t.Fatalf("second purge wrote %d feed entries", len(got))
	}
	if a := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 1))[0]; a.Action != "retention.purge" || a.ID != audit[0].ID {
		t.Fatalf("second purge audited: %+v", a)
	}
}

// tableColumns lists the store's tables with their columns, from the database's catalog.
func tableColumns(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	query := `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid`
	if s.Dialect() == store.Postgres {
		query = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	}
	rows, err := s.DB().QueryContext(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ownedIDs returns, for each table with an org_id and an id column, the ids of the
// organization's rows, by the name of the columns that refer to them elsewhere
// ("users" -> "user_id"; check runs are "run_id").
func ownedIDs(t *testing.T, s *store.Store, orgID int64) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	for table, cols := range tableColumns(t, s) {
		// Items are referred to by their EWS ids (changes.item_id), not by their rows.
		if !slices.Contains(cols, "org_id") || !slices.Contains(cols, "id") || table == "items" {
			continue
		}
		key := strings.TrimSuffix(table, "s") + "_id"
		if table == "check_runs" {
			key = "run_id"
		}
		q := `SELECT id FROM ` + table + ` WHERE org_id = ?`
		if s.Dialect() == store.Postgres {
			q = strings.Replace(q, "?", "$1", 1)
		}
		rows, err := s.DB().QueryContext(ctx, q, orgID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out[key] = append(out[key], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if out[key] == nil {
			out[key] = []int64{}
		}
	}
	return out
}

// orgRows counts, table by table, the rows that belong to an organization: by its id,
// by the ids of its rows in other tables (owned, read before it was deleted), and, in
// leases, by name. A table tied to none of these fails the test: it must be taught here.
func orgRows(t *testing.T, s *store.Store, orgID int64, owned map[string][]int64) map[string]int {
	t.Helper()
	out := map[string]int{}
	for table, cols := range tableColumns(t, s) {
		if table == "schema_migrations" || strings.HasPrefix(table, "river_") {
			continue // not the organization's: the schema's version, the job queue's own
		}
		var where []string
		var args []any
		switch table {
		case "organizations":
			where, args = []string{"id = ?"}, []any{orgID}
		case "leases":
			id := strconv.FormatInt(orgID, 10)
			where, args = []string{"name LIKE ?", "name LIKE ?", "name LIKE ?"}, []any{"%:org:" + id, "%:org:" + id + ":%", "slot:account:" + id + ":%"}
		default:
			tied := false
			for _, col := range cols {
				if col == "org_id" {
					where, args, tied = append(where, "org_id = ?"), append(args, orgID), true
					continue
				}
				ids, ok := owned[col]
				if !ok {
					continue
				}
				tied = true
				for _, id := range ids {
					where, args = append(where, col+" = ?"), append(args, id)
				}
			}
			if !tied {
				t.Errorf("table %s has no org_id nor a column naming another table's rows of the organization: teach orgRows how its rows belong to one", table)
				continue
			}
		}
		if len(where) == 0 {
			continue
		}
		q := `SELECT COUNT(*) FROM ` + table + ` WHERE ` + strings.Join(where, " OR ")
		if s.Dialect() == store.Postgres {
			for i := range args {
				q = strings.Replace(q, "?", "$"+strconv.Itoa(i+1), 1)
			}
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[table] = n
	}
	return out
}

// Deleting an organization leaves no row of it in any table (found from the database's
// catalog, so a table added later is covered too), while another organization keeps
// all of its rows; a sync job in flight cannot write again (its lease is fenced, its
// mailbox gone), and the named lease a late job takes again is swept as an orphan.
func testDeleteOrganizationLeavesNothing(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	fill := func(name string) (store.Organization, store.Lease) {
		org, users := syncOrg(t, s, name, "alice@"+name+".test", "bob@"+name+".test")
		acc := must[store.Account](t)(s.CreateAccount(ctx, operator, store.Account{OrgID: org.ID, Role: store.RoleOrgAdmin, Email: "admin@" + name + ".test", PasswordHash: "h"}))
		ok(t, s.CreateSession(ctx, store.Session{TokenHash: []byte("session-" + name), AccountID: acc.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}))
		must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, operator, acc.ID, store.EmailConfig{OrgID: org.ID, AccessType: "exchange_impersonation", AccountLogon: "svc",
			PasswordSealed: []byte{1}, EWSURL: "https://x/EWS/Exchange.asmx", AuthMethod: "ntlm"}, 0))
		run := must[store.CheckRun](t)(s.StartCheckRun(ctx, operator, store.CheckRun{OrgID: org.ID}))
		ok(t, s.AddCheckResults(ctx, org.ID, run.ID, []store.CheckResult{{User: "alice@" + name + ".test", Check: "access", Status: "ok", Code: "ok", Message: "fine"}}))
		must[store.APIToken](t)(s.CreateAPIToken(ctx, operator, store.APIToken{OrgID: org.ID, Name: "crm", TokenHash: []byte("tok-" + name), Prefix: "p"}))
		must[store.GroupSource](t)(s.AddGroupSource(ctx, operator, org.ID, "sales@"+name+".test", store.GroupRead{Status: "ok"}))
		ok(t, s.SetRetention(ctx, operator, org.ID, 30))
		id := strconv.FormatInt(org.ID, 10)
		for _, name := range []string{"watch:org:" + id, "recheck:org:" + id, "slot:account:" + id + ":0"} {
			must[store.NamedLease](t)(s.AcquireNamedLease(ctx, name, "node", time.Minute))
		}
		var held store.Lease
		for i, u := range users {
			l, fs := mailboxWith(t, s, u, store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
			commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: []store.ItemRecord{record("m", "message", "Hello", "", at(1), nil, nil)}})
			ok(t, s.SetMailboxStatus(ctx, l, store.MailboxStatus{Status: "ok"}))
			if i == 0 {
				held = l // a job in flight
			} else {
				ok(t, s.ReleaseLease(ctx, l))
			}
		}
		return org, held
	}
	gone, inFlight := fill("gone")
	kept, keptLease := fill("kept")
	goneOwned, keptOwned := ownedIDs(t, s, gone.ID), ownedIDs(t, s, kept.ID)
	before := orgRows(t, s, gone.ID, goneOwned)
	keptBefore := orgRows(t, s, kept.ID, keptOwned)
	for _, table := range []string{"organizations", "users", "mailboxes", "mailbox_folders", "items", "changes", "mailbox_status_history",
		"email_configs", "check_runs", "check_results", "sessions", "accounts", "api_tokens", "audit_log", "group_sources", "leases"} {
		if before[table] == 0 {
			t.Fatalf("the test's organization has no row in %s: %v", table, before)
		}
	}

	ok(t, s.DeleteOrganization(ctx, operator, gone.ID))
	for table, n := range orgRows(t, s, gone.ID, goneOwned) {
		if n != 0 {
			t.Errorf("%d rows of the deleted organization survive in %s", n, table)
		}
	}
	// The job in flight cannot write again, nor can anyone add to the organization.
	_, err := s.CommitPage(ctx, inFlight, store.PageCommit{Upserts: []store.ItemRecord{record("late", "message", "Late", "", at(2), nil, nil)}})
	wantErr(t, err, store.ErrLeaseLost)
	wantErr(t, s.SetMailboxStatus(ctx, inFlight, store.MailboxStatus{Status: "error", Code: "x"}), store.ErrLeaseLost)
	_, err = s.AcquireLease(ctx, inFlight.UserID, "worker", time.Minute)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AddUsers(ctx, operator, gone.ID, "manual", []store.NewUser{{Email: "late@gone.test"}}, false)
	wantErr(t, err, store.ErrNotFound)
	// A late job takes a slot of the deleted organization's account again: the sweep
	// deletes it, and only it.
	must[store.NamedLease](t)(s.AcquireNamedLease(ctx, "slot:account:"+strconv.FormatInt(gone.ID, 10)+":1", "late", time.Minute))
	if n := must[int](t)(s.DeleteOrphanLeases(ctx)); n != 1 {
		t.Fatalf("swept %d leases", n)
	}
	for table, n := range orgRows(t, s, gone.ID, goneOwned) {
		if n != 0 {
			t.Errorf("%d rows of the deleted organization survive in %s", n, table)
		}
	}
	// The other organization keeps everything.
	for table, n := range orgRows(t, s, kept.ID, keptOwned) {
		if n != keptBefore[table] {
			t.Errorf("the kept organization has %d rows in %s, %d before", n, table, keptBefore[table])
		}
	}
	if len(must[[]store.StoredItem](t)(s.ListItems(ctx, kept.ID, keptLease.UserID))) != 1 {
		t.Fatal("the kept organization lost items")
	}
	ok(t, s.ReleaseLease(ctx, keptLease))
}
