package api_test

import (
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Microsoft 365 app-only access through the API: saved with the tenant's domain
// resolved, never returning the secret; the wand finds a tenant ID; bad input is 422.
func TestEmailConfigApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	id := ids{org: org}
	in := map[string]any{"access_type": "microsoft365_app", "tenant": "contoso.com", "client_id": exchangesim.ContosoAppClientID,
		"client_secret": exchangesim.ContosoAppSecret}
	var cfg struct {
		AccessType  string `json:"access_type"`
		Tenant      string `json:"tenant"`
		TenantID    string `json:"tenant_id"`
		ClientID    string `json:"client_id"`
		HasPassword bool   `json:"has_password"`
		Version     int64  `json:"version"`
	}
	r := e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", id), in).want(t, 200)
	r.decode(t, &cfg)
	if cfg.AccessType != "microsoft365_app" || cfg.TenantID != exchangesim.ContosoTenantID || cfg.ClientID != exchangesim.ContosoAppClientID ||
		!cfg.HasPassword || strings.Contains(string(r.body), exchangesim.ContosoAppSecret) {
		t.Fatalf("saved: %s", r.body)
	}
	r = e.do(t, tok, "GET", path("/api/v1/orgs/{org}/email-config", id), nil).want(t, 200)
	if strings.Contains(string(r.body), exchangesim.ContosoAppSecret) || !strings.Contains(string(r.body), exchangesim.ContosoTenantID) {
		t.Fatalf("got: %s", r.body)
	}
	if strings.Contains(e.logs.String(), exchangesim.ContosoAppSecret) {
		t.Fatal("the client secret reached the logs")
	}

	var found struct {
		Tenant   string `json:"tenant"`
		TenantID string `json:"tenant_id"`
	}
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/email-config/discover", id), map[string]any{"access_type": "microsoft365_app", "tenant": "contoso.onmicrosoft.com"}).
		want(t, 200).decode(t, &found)
	if found.TenantID != exchangesim.ContosoTenantID {
		t.Fatalf("discover: %+v", found)
	}
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/email-config/discover", id), map[string]any{"access_type": "microsoft365_app", "tenant": "fabrikam.example"}).
		wantErr(t, 422, "invalid_input")

	bad := map[string]any{"access_type": "microsoft365_app", "tenant": "contoso.com", "client_id": "not-a-guid", "client_secret": "x", "base_version": cfg.Version}
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", id), bad).wantErr(t, 422, "invalid_input")
}

// A certificate instead of a secret: saved, then described by its thumbprint only.
func TestEmailConfigAppCertificate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	id := ids{org: org}
	in := map[string]any{"access_type": "microsoft365_app", "tenant": "contoso.com", "client_id": exchangesim.ContosoAppClientID,
		"auth_method": "certificate", "client_certificate": exchangesim.ContosoAppCertificatePEM}
	var cfg struct {
		AuthMethod string `json:"auth_method"`
		Thumbprint string `json:"certificate_thumbprint"`
		Expires    string `json:"certificate_expires"`
	}
	r := e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", id), in).want(t, 200)
	r.decode(t, &cfg)
	if cfg.AuthMethod != "certificate" || len(cfg.Thumbprint) != 40 || !strings.HasPrefix(cfg.Expires, "2036-") || strings.Contains(string(r.body), "PRIVATE") {
		t.Fatalf("saved: %s", r.body)
	}
	in["client_certificate"] = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"
	in["base_version"] = 1
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", id), in).wantErr(t, 422, "invalid_input")
}
