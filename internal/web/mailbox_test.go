package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// checkedRE matches a checked box of the "Folders to sync" group.
var checkedRE = regexp.MustCompile(`id="sync_folders-(\w+)" name="sync_folders" value="\w+" checked`)

func checkedFolders(r resp) []string {
	var out []string
	for _, m := range checkedRE.FindAllStringSubmatch(r.body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The Email Configuration chooses the folders to sync: a labelled group of checkboxes,
// every folder checked at first; what is saved is shown again; none checked is refused
// with the boxes as submitted; a form without the group keeps the selection; the audit
// log says what changed.
func TestEmailFoldersToSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	all := []string{"inbox", "inbox_subfolders", "sentitems", "calendar", "contacts"}

	page := b.get(base + "/email")
	wantStatus(t, page, http.StatusOK)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	wantContains(t, page, `<legend>Folders to sync</legend>`, `<input type="hidden" name="sync_folders_shown" value="1">`,
		`<label for="sync_folders-inbox">Inbox</label>`, `<label for="sync_folders-inbox_subfolders">Inbox subfolders</label>`,
		`<label for="sync_folders-sentitems">Sent Items</label>`, `<label for="sync_folders-calendar">Calendar</label>`,
		`<label for="sync_folders-contacts">Contacts</label>`)
	if got := checkedFolders(page); !slices.Equal(got, all) {
		t.Fatalf("checked at first: %v", got)
	}

	form := contosoForm()
	form.Set("sync_folders_shown", "1")
	form["sync_folders"] = []string{"inbox", "calendar"}
	r := b.post(base+"/email", form)
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	if got := checkedFolders(page); !slices.Equal(got, []string{"inbox", "calendar"}) {
		t.Fatalf("checked after the save: %v", got)
	}
	if v, _ := e.Service.GetEmailConfig(ctx, e.Operator, org); !slices.Equal(v.SyncFolders, []string{"inbox", "calendar"}) {
		t.Fatalf("saved %v", v.SyncFolders)
	}

	// None checked: refused, shown as submitted, next to the group.
	none := contosoForm()
	none.Set("password", "")
	none.Set("base_version", "1")
	none.Set("sync_folders_shown", "1")
	r = b.post(base+"/email", none)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, `id="sync_folders-error"`, "Choose at least one folder to sync.", `aria-describedby="sync_folders-hint sync_folders-error"`)
	if got := checkedFolders(r); len(got) != 0 {
		t.Fatalf("checked after a refused save: %v", got)
	}
	if err := checkHTML(r.body); err != nil {
		t.Fatal(err)
	}
	// An unknown folder is refused too.
	none["sync_folders"] = []string{"inbox", "junkemail"}
	wantContains(t, b.post(base+"/email", none), "Choose folders among inbox (Inbox)")

	// A form without the group keeps the selection.
	keep := contosoForm()
	keep.Set("password", "")
	keep.Set("base_version", "1")
	wantStatus(t, b.post(base+"/email", keep), http.StatusSeeOther)
	if v, _ := e.Service.GetEmailConfig(ctx, e.Operator, org); !slices.Equal(v.SyncFolders, []string{"inbox", "calendar"}) || v.Version != 2 {
		t.Fatalf("kept %v (version %d)", v.SyncFolders, v.Version)
	}
	wantContains(t, b.get(base+"/audit"), "sync_folders", "inbox,calendar")
}

// historyRE matches a row of a mailbox's history.
var historyRE = regexp.MustCompile(`<tr data-state="(\w+)" data-status="(\w+)" data-code="(\w*)">`)

func historyRows(r resp) []string {
	var out []string
	for _, m := range historyRE.FindAllStringSubmatch(r.body, -1) {
		out = append(out, strings.TrimSuffix(m[1]+"/"+m[2]+"/"+m[3], "/"))
	}
	return out
}

// A mailbox's page, linked from the Mailboxes tab, shows its status with its meaning and
// fix, its items by kind and its history, newest first; pausing there comes back there.
func TestMailboxPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, ids := e.syncedOrg(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	alice, carol, erin := ids["alice@contoso.com"], ids["carol@contoso.com"], ids["erin@contoso.com"]
	wantContains(t, b.get(base+"/mailboxes"), `<a href="`+base+`/mailboxes/`+itoa(alice)+`">alice@contoso.com</a>`)

	page := b.get(base + "/mailboxes/" + itoa(alice))
	wantStatus(t, page, http.StatusOK)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	wantContains(t, page, `aria-current="page">Mailboxes</a>`, `<h2 id="mailbox-title" class="break">alice@contoso.com</h2>`,
		`<span class="stat-value">1,234</span><span class="stat-label">Items stored</span>`,
		`<span class="stat-value">1,234</span><span class="stat-label">Messages</span>`, `<span class="stat-value">0</span><span class="stat-label">Events</span>`,
		"just now", `aria-label="Pause alice@contoso.com">Pause</button>`, `<input type="hidden" name="return" value="mailbox">`)
	if got := historyRows(page); !slices.Equal(got, []string{"active/ok", "active/pending"}) {
		t.Fatalf("alice's history %v", got)
	}

	page = b.get(base + "/mailboxes/" + itoa(carol))
	wantContains(t, page, `<code class="code">throttled</code>`, "Exchange asked mailbridge to slow down", "ErrorServerBusy &lt;back off 30 s&gt;",
		"New-ThrottlingPolicy")
	if got := historyRows(page); !slices.Equal(got, []string{"active/error/throttled", "active/pending"}) {
		t.Fatalf("carol's history %v", got)
	}
	page = b.get(base + "/mailboxes/" + itoa(erin))
	wantContains(t, page, `aria-label="Resume erin@contoso.com">Resume</button>`, "Enter the service account&#39;s current password")
	if got := historyRows(page); !slices.Equal(got, []string{"stopped/error/auth_failed", "active/pending"}) {
		t.Fatalf("erin's history %v", got)
	}
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}

	// Paused from its page, back to its page, one more line of history.
	r := b.post(base+"/mailboxes/"+itoa(alice)+"/pause", url.Values{"return": {"mailbox"}})
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != base+"/mailboxes/"+itoa(alice) {
		t.Fatalf("back to %q", r.loc)
	}
	page = b.follow(r)
	wantContains(t, page, "Paused alice@contoso.com.")
	if got := historyRows(page); !slices.Equal(got, []string{"paused/ok", "active/ok", "active/pending"}) {
		t.Fatalf("history after a pause %v", got)
	}

	// Another organization's mailbox, a bad id: not found.
	other, otherIDs := e.syncedOrg(t, "Other")
	for _, p := range []string{
		base + "/mailboxes/" + itoa(otherIDs["alice@contoso.com"]),
		"/orgs/" + itoa(other) + "/mailboxes/" + itoa(otherIDs["alice@contoso.com"]),
		base + "/mailboxes/0", base + "/mailboxes/x",
	} {
		wantStatus(t, b.get(p), http.StatusNotFound)
	}
}
