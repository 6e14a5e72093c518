package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// appForm is the Email Configuration form for contoso's app registration.
func appForm() url.Values {
	return url.Values{"access_type": {"microsoft365_app"}, "tenant": {"contoso.com"}, "client_id": {exchangesim.ContosoAppClientID},
		"client_secret": {exchangesim.ContosoAppSecret}, "base_version": {"0"}}
}

// The Email Configuration tab offers Microsoft 365 (app-only): its own fields, a wand
// that finds the tenant ID, errors next to its fields, the secret never shown again.
func TestEmailConfigApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)

	page := b.get(base + "/email")
	wantContains(t, page, `<option value="microsoft365_app">Microsoft 365 (app-only)</option>`,
		`<div class="access-fields" data-access="microsoft365_app" hidden>`, `<label for="tenant">Tenant</label>`,
		`<label for="client_id">Application (client) ID</label>`, `<label for="client_secret">Client secret</label>`,
		`aria-label="Find the tenant ID"`, "Check Users Microsoft 365 Access")

	// The wand.
	r := b.postRaw(base+"/email/tenant", url.Values{"tenant": {"contoso.com"}}, http.Header{"X-Csrf-Token": {b.csrf}})
	wantStatus(t, r, http.StatusOK)
	var w struct {
		Type     string            `json:"type"`
		TenantID string            `json:"tenant_id"`
		Fields   map[string]string `json:"fields"`
	}
	if err := json.Unmarshal([]byte(r.body), &w); err != nil || w.TenantID != exchangesim.ContosoTenantID {
		t.Fatalf("wand: %s", r.body)
	}
	r = b.postRaw(base+"/email/tenant", url.Values{"tenant": {"fabrikam.example"}}, http.Header{"X-Csrf-Token": {b.csrf}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if json.Unmarshal([]byte(r.body), &w); w.Fields["tenant"] == "" {
		t.Fatalf("wand on an unknown domain: %s", r.body)
	}
	wantStatus(t, b.postRaw(base+"/email/tenant", url.Values{"tenant": {"contoso.com"}}, nil), http.StatusForbidden) // no CSRF token

	// Bad input: field messages, the values kept, the secret not.
	bad := appForm()
	bad.Set("client_id", "my app")
	r = b.post(base+"/email", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, `id="client_id-error"`, `value="my app"`, `value="contoso.com"`, `<div class="access-fields" data-access="microsoft365_app">`)
	if strings.Contains(r.body, exchangesim.ContosoAppSecret) {
		t.Fatal("the secret typed was rendered back")
	}

	// Saved: the tenant ID shown, the secret kept but never shown.
	r = b.post(base+"/email", appForm())
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	wantContains(t, page, "Saved", `<option value="microsoft365_app" selected>`, "Tenant ID: <code>"+exchangesim.ContosoTenantID+"</code>",
		`value="`+exchangesim.ContosoAppClientID+`"`, "A client secret is saved — leave empty to keep it")
	if strings.Contains(page.body, exchangesim.ContosoAppSecret) {
		t.Fatal("the secret is on the page")
	}
	v, err := e.Service.GetEmailConfig(ctx, e.Operator, org)
	if err != nil || v.TenantID != exchangesim.ContosoTenantID || !v.HasPassword {
		t.Fatalf("saved: %+v %v", v, err)
	}
}

// An app's check, in the history: the app's client ID and Graph where a service account
// and EWS would be, its results labelled as the app's; and the Mailboxes tab of an
// organization with app access says Graph.
func TestCheckRunOfApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/email")

	r, lines := b.check(base+"/email/check", appForm())
	wantStatus(t, r, http.StatusOK)
	sum := lines[len(lines)-1]
	if sum.Type != "summary" || sum.OK != 1 || sum.Failure != 1 || sum.State != "done" {
		t.Fatalf("stream: %+v", lines)
	}
	if strings.Contains(r.body, exchangesim.ContosoAppSecret) {
		t.Fatal("the stream holds the secret")
	}
	runs := b.get(base + "/checks")
	wantContains(t, runs, "Checked with", "App <span class=\"mono\">"+exchangesim.ContosoAppClientID+"</span>", "/v1.0</span>")
	run := b.get(sum.RunURL)
	wantContains(t, run, "<dt>Access type</dt><dd>Microsoft 365 (app-only)</dd>", "<dt>Application (client) ID</dt>",
		"<dt>Microsoft Graph</dt>", `<span class="strong">App</span>`, "Permissions", "out_of_scope", "New-ManagementRoleAssignment")
	if strings.Contains(run.body, "Account Logon") || strings.Contains(run.body, "EWS URL") || strings.Contains(run.body, "Service account") {
		t.Fatalf("the app's run speaks of a service account or EWS:\n%s", run.body)
	}

	wantStatus(t, b.post(base+"/email", appForm()), http.StatusSeeOther)
	wantContains(t, b.get(base+"/mailboxes"), "synced through Microsoft Graph with the app registration")
}

// With app access, the Rooms tab and a distribution group's import work through
// Microsoft Graph.
func TestRoomsAndGroupsOfApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/email")
	wantStatus(t, b.post(base+"/email", appForm()), http.StatusSeeOther)

	rooms := b.get(base + "/rooms")
	wantStatus(t, rooms, http.StatusOK)
	wantContains(t, rooms, "HQ Rooms", "room-atlas@contoso.com")
	group := b.post(base+"/users/group", url.Values{"group": {"sales@contoso.com"}})
	wantStatus(t, group, http.StatusSeeOther)
	if users, _ := e.Service.ListUsers(ctx, e.Operator, org); len(users) < 5 {
		t.Fatalf("after the group import: %d users", len(users))
	}
}

// The Credential select offers a certificate: pasted with its key, saved sealed, shown
// afterwards only by its thumbprint.
func TestEmailConfigAppCertificate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	page := b.get(base + "/email")
	wantContains(t, page, `<label for="app_auth">Credential</label>`, `<option value="certificate">Certificate</option>`,
		`<div data-app-auth="certificate" hidden>`, `<label for="client_certificate">Certificate and private key (PEM)</label>`)

	form := appForm()
	form.Del("client_secret")
	form.Set("app_auth", "certificate")
	form.Set("client_certificate", "not PEM")
	r := b.post(base+"/email", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, `id="client_certificate-error"`, `<div data-app-auth="certificate">`, `<option value="certificate" selected>`)

	form.Set("client_certificate", exchangesim.ContosoAppCertificatePEM)
	r = b.post(base+"/email", form)
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	v, _ := e.Service.GetEmailConfig(ctx, e.Operator, org)
	wantContains(t, page, "A certificate is saved", v.CertificateThumbprint, `<option value="certificate" selected>`)
	if strings.Contains(page.body, "PRIVATE KEY-----\n") || strings.Contains(page.body, "MII") {
		t.Fatal("the certificate or its key is on the page")
	}
}
