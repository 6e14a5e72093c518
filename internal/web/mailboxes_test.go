package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/store"
)

// syncedOrg creates an organization whose saved configuration activated sync, with its
// mailboxes in every state and status, and returns it with its user ids by address.
func (e *env) syncedOrg(t *testing.T, name string) (int64, map[string]int64) {
	t.Helper()
	org := e.Org(t, name, "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "frank@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	ids := e.userIDs(t, org)
	e.SyncItems(t, ids["alice@contoso.com"], 1234)
	e.SyncStatus(t, ids["alice@contoso.com"], store.MailboxStatus{Status: control.SyncOK})
	e.SyncStatus(t, ids["bob@contoso.com"], store.MailboxStatus{Status: control.SyncSyncing})
	e.SyncStatus(t, ids["carol@contoso.com"], store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeThrottled, Message: "ErrorServerBusy <back off 30 s>"})
	e.SyncStatus(t, ids["dave@contoso.com"], store.MailboxStatus{Status: control.SyncOK})
	if _, err := e.Service.PauseMailbox(ctx, e.Operator, org, ids["dave@contoso.com"]); err != nil {
		t.Fatal(err)
	}
	e.SyncStatus(t, ids["erin@contoso.com"], store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeAuthFailed, Message: "HTTP 401", Stop: true})
	return org, ids
}

// rowRE matches a row of the mailbox table.
var rowRE = regexp.MustCompile(`<tr data-user="(\d+)" data-state="(\w+)" data-status="(\w+)">`)

// rows returns the table's rows as "user-id state status".
func rows(r resp) []string {
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(r.body, -1) {
		out = append(out, m[1]+" "+m[2]+" "+m[3])
	}
	return out
}

func row(id int64, state, status string) string { return itoa(id) + " " + state + " " + status }

// The page shows every state and status with its explanation, and sums them up.
func TestMailboxesPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, ids := e.syncedOrg(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)

	page := b.get(base + "/mailboxes")
	wantStatus(t, page, http.StatusOK)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	wantContains(t, page, `aria-current="page">Mailboxes</a>`,
		// The strip: one of each, 1,234 items, a lag.
		`<span class="stat-value">1</span><span class="stat-label">Stopped</span>`, `<span class="stat-value">1,234</span><span class="stat-label">Items synced</span>`,
		`title="Oldest last success: `, "Sync lag · 4 not synced yet",
		// The filters, labelled.
		`<label for="mailbox-status" class="sr-only">Show</label>`, `<label for="mailbox-search" class="sr-only">Search mailboxes</label>`,
		// Every state and status, with codes, their meaning and fixes.
		`<span class="badge badge-failure">Stopped</span>`, `<span class="badge badge-none">Paused</span>`, `<span class="badge badge-ok">Active</span>`,
		`<span class="badge badge-info">Syncing</span>`, `<span class="badge badge-none">Pending</span>`, `<span class="badge badge-ok">OK</span>`,
		`<code class="code">auth_failed</code>`, "Every mailbox of the organization is stopped until new credentials are saved",
		"Enter the service account&#39;s current password on the Email Configuration tab", `<code class="code">throttled</code>`,
		"ErrorServerBusy &lt;back off 30 s&gt;", "just now", "Never",
		`aria-label="Pause alice@contoso.com">Pause</button>`, `aria-label="Resume dave@contoso.com">Resume</button>`,
		`aria-label="Resume erin@contoso.com">Resume</button>`)
	want := []string{row(ids["alice@contoso.com"], "active", "ok"), row(ids["bob@contoso.com"], "active", "syncing"),
		row(ids["carol@contoso.com"], "active", "error"), row(ids["dave@contoso.com"], "paused", "ok"),
		row(ids["erin@contoso.com"], "stopped", "error"), row(ids["frank@contoso.com"], "active", "pending")}
	if got := rows(page); !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}

	// The filters are plain GET queries.
	cases := []struct {
		query string
		want  []string
	}{
		{"status=ok", []string{row(ids["alice@contoso.com"], "active", "ok")}},
		{"status=error", []string{row(ids["carol@contoso.com"], "active", "error")}},
		{"status=stopped", []string{row(ids["erin@contoso.com"], "stopped", "error")}},
		{"status=paused", []string{row(ids["dave@contoso.com"], "paused", "ok")}},
		{"status=pending", []string{row(ids["frank@contoso.com"], "active", "pending")}},
		{"status=syncing&q=BOB", []string{row(ids["bob@contoso.com"], "active", "syncing")}},
		{"q=er", []string{row(ids["erin@contoso.com"], "stopped", "error")}},
		{"status=nonsense", want},
		{"q=nobody", nil},
	}
	for _, c := range cases {
		r := b.get(base + "/mailboxes?" + c.query)
		wantStatus(t, r, http.StatusOK)
		if got := rows(r); !slices.Equal(got, c.want) {
			t.Errorf("%s: rows %v, want %v", c.query, got, c.want)
		}
		if err := checkHTML(r.body); err != nil {
			t.Errorf("%s: %v", c.query, err)
		}
	}
	wantContains(t, b.get(base+"/mailboxes?status=paused"), `<option value="paused" selected>Paused</option>`, `<input type="hidden" name="status" value="paused">`)
	wantContains(t, b.get(base+"/mailboxes?q=nobody"), "No mailbox matches these filters.")
}

// Before the Email Configuration is saved there is nothing to show but the way to start.
func TestMailboxesPageBeforeSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	page := b.get("/orgs/" + itoa(org) + "/mailboxes")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "No mailbox is synced yet.", "Save the Email Configuration to start syncing", `href="/orgs/`+itoa(org)+`/email"`)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	if len(rows(page)) != 0 {
		t.Fatal("rows without mailboxes")
	}

	// Saving the configuration starts it.
	b.get("/orgs/" + itoa(org) + "/email")
	r := b.post("/orgs/"+itoa(org)+"/email", contosoForm())
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "follow them on the Mailboxes tab")
	page = b.get("/orgs/" + itoa(org) + "/mailboxes")
	if got := rows(page); len(got) != 1 || got[0] != row(e.userIDs(t, org)["alice@contoso.com"], "active", "pending") {
		t.Fatalf("rows %v", got)
	}
}

// userIDs returns the organization's user ids by address.
func (e *env) userIDs(t *testing.T, org int64) map[string]int64 {
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

// Pause and resume change the stored state, are audited, need the CSRF token, and go
// back to the list as it was filtered.
func TestPauseResumeMailbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, ids := e.syncedOrg(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	alice, erin := ids["alice@contoso.com"], ids["erin@contoso.com"]
	b.get(base + "/mailboxes")

	stateOf := func(id int64) string {
		t.Helper()
		m, err := e.Store.GetMailbox(ctx, org, id)
		if err != nil {
			t.Fatal(err)
		}
		return m.State
	}

	// Without the CSRF token nothing happens.
	wantStatus(t, b.post(base+"/mailboxes/"+itoa(alice)+"/pause", url.Values{"csrf": {"forged"}}), http.StatusForbidden)
	if s := stateOf(alice); s != "active" {
		t.Fatalf("paused without CSRF token: %s", s)
	}

	r := b.post(base+"/mailboxes/"+itoa(alice)+"/pause", url.Values{"status": {"ok"}, "q": {"ali"}, "page": {"1"}})
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != base+"/mailboxes?q=ali&status=ok" {
		t.Fatalf("back to %q", r.loc)
	}
	wantContains(t, b.follow(r), "Paused alice@contoso.com.")
	if s := stateOf(alice); s != "paused" {
		t.Fatalf("alice is %s", s)
	}
	page := b.get(base + "/mailboxes?status=paused")
	if got := rows(page); !slices.Contains(got, row(alice, "paused", "ok")) {
		t.Fatalf("paused rows %v", got)
	}

	r = b.post(base+"/mailboxes/"+itoa(alice)+"/resume", url.Values{"status": {"<script>"}})
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != base+"/mailboxes" {
		t.Fatalf("back to %q", r.loc)
	}
	wantContains(t, b.follow(r), "Resumed alice@contoso.com.")
	// A stopped mailbox resumes too.
	wantStatus(t, b.post(base+"/mailboxes/"+itoa(erin)+"/resume", nil), http.StatusSeeOther)
	if a, e := stateOf(alice), stateOf(erin); a != "active" || e != "active" {
		t.Fatalf("alice %s, erin %s", a, e)
	}

	audit := b.get(base + "/audit")
	wantContains(t, audit, "Paused a mailbox&#39;s sync", "Resumed a mailbox&#39;s sync", "Started syncing mailboxes")
	entries, _ := e.Service.Audit(ctx, e.Operator, org, 0, 100)
	var got []string
	for _, a := range entries[:3] {
		got = append(got, a.Action+" "+a.Target+" "+a.Actor)
	}
	who := "admin" + itoa(org) + "@org.test"
	if want := []string{"sync.active erin@contoso.com " + who, "sync.active alice@contoso.com " + who, "sync.paused alice@contoso.com " + who}; !slices.Equal(got, want) {
		t.Fatalf("audit %v, want %v", got, want)
	}
}

// Another organization's mailboxes are not found, whether named by its organization or
// by a user id under one's own.
func TestMailboxesOrgScoped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, aIDs := e.syncedOrg(t, "A")
	b, bIDs := e.syncedOrg(t, "B")
	br := e.signedIn(t, a)
	br.get("/orgs/" + itoa(a) + "/mailboxes")
	bob := bIDs["bob@contoso.com"]
	for _, r := range []resp{
		br.get("/orgs/" + itoa(b) + "/mailboxes"),
		br.post("/orgs/"+itoa(b)+"/mailboxes/"+itoa(bob)+"/pause", nil),
		br.post("/orgs/"+itoa(b)+"/mailboxes/"+itoa(bob)+"/resume", nil),
		br.post("/orgs/"+itoa(a)+"/mailboxes/"+itoa(bob)+"/pause", nil),
		br.post("/orgs/"+itoa(a)+"/mailboxes/"+itoa(bIDs["erin@contoso.com"])+"/resume", nil),
		br.post("/orgs/"+itoa(a)+"/mailboxes/0/pause", nil),
		br.post("/orgs/"+itoa(a)+"/mailboxes/x/pause", nil),
	} {
		wantStatus(t, r, http.StatusNotFound)
	}
	if m, _ := e.Store.GetMailbox(ctx, b, bob); m.State != "active" {
		t.Fatalf("B's mailbox is %s", m.State)
	}
	if m, _ := e.Store.GetMailbox(ctx, b, bIDs["erin@contoso.com"]); m.State != "stopped" {
		t.Fatalf("B's stopped mailbox is %s", m.State)
	}
	// A's own page lists A's mailboxes only.
	for _, r := range rows(br.get("/orgs/" + itoa(a) + "/mailboxes")) {
		found := false
		for _, id := range aIDs {
			found = found || r[:len(itoa(id))+1] == itoa(id)+" "
		}
		if !found {
			t.Fatalf("row %s is not A's", r)
		}
	}
}
