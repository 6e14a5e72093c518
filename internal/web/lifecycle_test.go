package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The Users tab keeps a distribution group in sync: imported with "Keep in sync with
// this group", listed with its last read; "Re-read now" removes a leaver; a group
// emptied by mistake needs a confirmation (shown with a Confirm button) before anyone
// is removed; "Stop keeping" removes the group, not its users.
func TestKeptGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	page := b.get(base + "/users")
	wantContains(t, page, `<label for="group-keep">Keep in sync with this group</label>`, "No group is kept in sync.",
		`<label for="retention-days">Keep items for N days</label>`, "Settings · Data retention")
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.post(base+"/email", contosoForm()), http.StatusSeeOther)

	// An error keeps the box ticked.
	r := b.post(base+"/users/group", url.Values{"group": {"nosuch@contoso.com"}, "keep": {"1"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, `name="keep" value="1" checked`)

	r = b.post(base+"/users/group", url.Values{"group": {"sales@contoso.com"}, "keep": {"1"}})
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	wantContains(t, page, "Imported 6 users from the group sales@contoso.com.", "Kept in sync: the group is re-read every hour",
		`<h2 id="kept-title">Kept groups <span class="count">1</span></h2>`, `data-status="ok"`, "6 members · 6 added · 0 removed")
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	// Again: kept already.
	r = b.post(base+"/users/group", url.Values{"group": {"sales@contoso.com"}, "keep": {"1"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "The group sales@contoso.com is kept in sync already.")

	// Erin leaves the group.
	if err := e.World.RemoveGroupMembers("sales@contoso.com", "erin@contoso.com"); err != nil {
		t.Fatal(err)
	}
	r = b.post(base+"/users/groups/reread", nil)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "Re-read the kept groups.", "sales@contoso.com: 5 members, 0 added, 1 removed.")
	if slices.Contains(e.Emails(t, org), "erin@contoso.com") {
		t.Fatal("erin is still a user")
	}

	// The group is emptied by mistake: held, with a Confirm button.
	if err := e.World.SetGroupMembers("sales@contoso.com"); err != nil {
		t.Fatal(err)
	}
	r = b.post(base+"/users/groups/reread", nil)
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	wantContains(t, page, "5 removals wait for a confirmation.", "Needs confirmation", "The group has no members that are people: confirm to remove its 5 users.",
		"Would remove: alice@contoso.com, bob@contoso.com", `aria-label="Confirm the removals of sales@contoso.com"`)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Emails(t, org)); n != 5 {
		t.Fatalf("%d users after a held re-read", n)
	}
	list, _ := e.Service.ListGroupSources(ctx, e.Operator, org)
	r = b.post(base+"/users/groups/"+itoa(list[0].ID)+"/confirm", nil)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "Confirmed: the group&#39;s leavers are removed.", "0 members, 0 added, 5 removed.")
	if n := len(e.Emails(t, org)); n != 0 {
		t.Fatalf("%d users after the confirmation", n)
	}
	// Nothing waits any more.
	r = b.post(base+"/users/groups/"+itoa(list[0].ID)+"/confirm", nil)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "Nothing was done.", "No removal of the group sales@contoso.com waits for a confirmation.")

	r = b.post(base+"/users/groups/"+itoa(list[0].ID)+"/remove", nil)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "No longer keeping sales@contoso.com in sync.", "No group is kept in sync.")
	wantStatus(t, b.post(base+"/users/groups/"+itoa(list[0].ID)+"/remove", nil), http.StatusNotFound)

	audit := b.get(base + "/audit")
	wantContains(t, audit, "Kept a distribution group in sync", "Re-read a distribution group", "Stopped keeping a distribution group in sync")
}

// The retention setting: a number of days (0: forever), refused otherwise with the
// field's error, saved and shown, in the audit log.
func TestRetentionSetting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	for _, bad := range []string{"abc", "-1", "99999999"} {
		r := b.post(base+"/users/retention", url.Values{"days": {bad}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, `id="retention-days-error"`, `value="`+bad+`"`)
		if err := checkHTML(r.body); err != nil {
			t.Fatal(err)
		}
	}
	r := b.post(base+"/users/retention", url.Values{"days": {"30"}})
	wantStatus(t, r, http.StatusSeeOther)
	page := b.follow(r)
	wantContains(t, page, "Items are kept for 30 days.", `name="days" type="number" value="30"`)
	if days, _ := e.Service.Retention(ctx, e.Operator, org); days != 30 {
		t.Fatalf("retention %d", days)
	}
	r = b.post(base+"/users/retention", url.Values{"days": {"0"}})
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "Items are kept forever.")
	if audit := b.get(base + "/audit"); !strings.Contains(audit.body, "Changed the data retention") {
		t.Fatal("the retention's change is not in the audit log")
	}
}
