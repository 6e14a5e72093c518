package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrNoTenant is returned (wrapped) when a domain's OpenID configuration names no
// tenant ID.
var ErrNoTenant = errors.New("no tenant ID in the OpenID configuration")

// Tenant is what DiscoverTenant learns of a domain.
type Tenant struct {
	// ID is the tenant ID (a GUID).
	ID string
	// Issuer and TokenEndpoint are from the OpenID configuration document.
	Issuer, TokenEndpoint string
	// RegionScope is the document's tenant_region_scope (NA, EU, …), when present.
	RegionScope string
}

// openIDConfiguration is the part of the OpenID configuration document read.
type openIDConfiguration struct {
	Issuer            string `json:"issuer"`
	TokenEndpoint     string `json:"token_endpoint"`
	TenantRegionScope string `json:"tenant_region_scope"`
}

// DiscoverTenant finds the tenant of a domain (contoso.com, contoso.onmicrosoft.com)
// from its OpenID configuration document. An unknown domain is a *TokenError matching
// ErrUnknownTenant. A tenant ID is looked up as well, which confirms it exists.
func DiscoverTenant(ctx context.Context, domain string, opts Options) (*Tenant, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	domain = strings.TrimSpace(domain)
	if !ValidTenant(domain) {
		return nil, fmt.Errorf("entra: discover: %q is neither a domain name nor a tenant ID", domain)
	}
	u := opts.Authority + "/" + url.PathEscape(strings.ToLower(domain)) + "/v2.0/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("entra: discover: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	client := opts.httpClient()
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("entra: discover %s: %w", domain, err)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, opts.MaxResponseBytes)
	if err != nil {
		return nil, fmt.Errorf("entra: discover %s: %w", domain, err)
	}
	if resp.StatusCode != http.StatusOK {
		if te := parseError(resp.StatusCode, body, domain, "", opts.Authority); te != nil {
			if te.kind == ErrUnknownTenant {
				te.Message = fmt.Sprintf("No Microsoft 365 tenant has the domain %q.", domain)
				te.Fix = "Enter a domain the organization uses for its mailboxes (the part after @), " +
					"its contoso.onmicrosoft.com domain, or the tenant ID itself."
			}
			return nil, te
		}
		return nil, fmt.Errorf("entra: discover %s: HTTP %d: %s", domain, resp.StatusCode, snippet(body))
	}
	var doc openIDConfiguration
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("entra: discover %s: the OpenID configuration is not JSON: %w", domain, err)
	}
	t := &Tenant{Issuer: doc.Issuer, TokenEndpoint: doc.TokenEndpoint, RegionScope: doc.TenantRegionScope}
	for _, s := range []string{doc.Issuer, doc.TokenEndpoint} {
		if id := tenantInURL(s); id != "" {
			t.ID = id
			return t, nil
		}
	}
	return nil, fmt.Errorf("entra: discover %s: %w (issuer %q)", domain, ErrNoTenant, doc.Issuer)
}

// tenantInURL returns the first path segment of u when it is a tenant ID:
// https://login.microsoftonline.com/{tenant}/v2.0 and
// https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token both name it there.
func tenantInURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if IsTenantID(first) {
		return strings.ToLower(first)
	}
	return ""
}
