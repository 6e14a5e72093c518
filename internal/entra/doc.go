// Package entra obtains app-only access tokens from Microsoft Entra ID (the OAuth 2.0
// client-credentials flow) for Microsoft Graph and for Exchange Online's EWS, and finds
// a tenant's ID from one of its domains.
//
// # Tokens
//
// A TokenSource holds one app registration's credentials (tenant, client ID, client
// secret) and one scope (GraphScope or EWSScope). It asks the token endpoint
// ({authority}/{tenant}/oauth2/v2.0/token) through golang.org/x/oauth2/clientcredentials,
// keeps the token, and asks again only when the token is within Options.RefreshBefore
// of its expiry, so that a sync never starts a request with a token about to lapse.
// Concurrent callers share one request.
//
// # Errors
//
// A refused token request becomes a *TokenError carrying the AADSTS code, Entra's own
// description, and a plain message with the fix for the cases an admin meets when
// setting up an app registration: unknown tenant, unknown application, wrong secret,
// expired secret, missing admin consent (whose fix is the admin-consent URL). Match the
// cases with errors.Is and ErrUnknownTenant, ErrUnknownApp, ErrWrongSecret,
// ErrSecretExpired, ErrConsentMissing. The client secret never appears in an error: it
// is removed from every text the package builds.
//
// # Tenant discovery
//
// DiscoverTenant reads the OpenID configuration document of a domain
// ({authority}/{domain}/v2.0/.well-known/openid-configuration) and returns the tenant
// ID named in its issuer: the "magic wand" of the app-only access type.
//
// # Endpoints
//
// Options.Authority defaults to https://login.microsoftonline.com; tests and the
// simulator point it at a loopback server. The authority is the operator's choice, not
// an organization admin's; Options.DialContext still lets the caller apply an address
// policy (internal/netguard) to every connection.
package entra
