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
