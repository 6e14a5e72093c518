package control

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Microsoft 365 (app-only). Exchange Online no longer offers the ApplicationImpersonation
// role, and switches EWS off in 2026-2027: there an organization registers an app in
// Microsoft Entra with application permissions (Mail.Read, Calendars.Read,
// Contacts.Read, Place.Read.All, User.Read.All, GroupMember.Read.All), grants admin consent, and limits the
// app to the mailboxes it may read with RBAC for Applications. mailbridge then asks the
// tenant's token endpoint for tokens with the app's client ID and secret (OAuth client
// credentials) and reads the mailboxes through Microsoft Graph.

// The credentials of an app registration: a client secret, or a certificate with its
// private key (sealed like a secret; the app proves itself with a signed assertion).
const (
	AuthClientSecret checker.AuthMethod = "client_secret"
	AuthCertificate  checker.AuthMethod = "certificate"
)

// maxCertificatePEM bounds a pasted certificate with its key (and chain).
const maxCertificatePEM = 64 << 10

// isGUID reports whether s is a GUID (any case), as Entra writes tenant and client IDs.
func isGUID(s string) bool { return entra.IsTenantID(s) }

// validateApp checks the Microsoft 365 fields of a form. A tenant given as an ID is its
// own resolution; a domain is resolved when the configuration is saved or checked.
func validateApp(rc resolvedConfig, in EmailConfigInput, saved store.EmailConfig, hasSaved bool, now time.Time) (resolvedConfig, *InputError) {
	ie := inputErr()
	rc.logon, rc.ewsURL = "", ""
	rc.tenant = strings.ToLower(strings.TrimSpace(in.Tenant))
	switch {
	case rc.tenant == "":
		ie.Fields["tenant"] = "Enter the tenant: its ID (a GUID, on the app registration's Overview page in the Microsoft Entra admin center) or one of its domains (contoso.com)."
	case isGUID(rc.tenant):
		rc.tenantID = rc.tenant
	case !entra.ValidTenant(rc.tenant):
		ie.Fields["tenant"] = "Enter the tenant's ID (a GUID) or one of its domains, such as contoso.com or contoso.onmicrosoft.com."
	case rc.tenant == saved.Tenant && saved.TenantID != "":
		rc.tenantID = saved.TenantID // resolved when it was saved
	}
	rc.clientID = strings.ToLower(strings.TrimSpace(in.ClientID))
	switch {
	case rc.clientID == "":
		ie.Fields["client_id"] = "Enter the app registration's Application (client) ID: a GUID, on its Overview page."
	case !isGUID(rc.clientID):
		ie.Fields["client_id"] = "The Application (client) ID is a GUID, such as 00000000-0000-0000-0000-000000000000: copy it from the app registration's Overview page."
	}
	switch rc.auth {
	case "", AuthClientSecret, checker.AuthNTLM: // NTLM: the form's default for EWS
		rc.auth = AuthClientSecret
	case AuthCertificate:
	default:
		ie.Fields["auth_method"] = "Microsoft 365 app-only access authenticates with a client secret or a certificate."
	}
	// A saved credential is kept only for the same kind of credential.
	hasSaved = hasSaved && saved.AuthMethod == string(rc.auth)
	if rc.auth == AuthCertificate {
		switch {
		case in.Password == "" && !hasSaved:
			ie.Fields["client_certificate"] = "Paste the certificate and its private key (PEM: BEGIN CERTIFICATE and BEGIN PRIVATE KEY); its public part must be uploaded to the app registration (Certificates & secrets → Certificates)."
		case len(in.Password) > maxCertificatePEM:
			ie.Fields["client_certificate"] = "This is too long for a certificate and its key."
		case in.Password != "":
			c, err := entra.ParseCertificatePEM([]byte(in.Password))
			switch {
			case err != nil:
				ie.Fields["client_certificate"] = sentenceOf(strings.TrimPrefix(err.Error(), "entra: "))
			case !now.Before(c.Cert.NotAfter):
				ie.Fields["client_certificate"] = "This certificate expired on " + c.Cert.NotAfter.UTC().Format("2 January 2006") + ": create a new one and upload its public part to the app registration."
			}
		}
	} else {
		switch {
		case in.Password == "" && !hasSaved:
			ie.Fields["client_secret"] = "Enter a client secret of the app registration (Certificates & secrets → New client secret): its Value."
		case len(in.Password) > 1024:
			ie.Fields["client_secret"] = "This client secret is too long."
		case isGUID(strings.TrimSpace(in.Password)):
			ie.Fields["client_secret"] = "This is the secret's ID, not the secret: copy the Value column of Certificates & secrets (shown only when the secret is created)."
		}
	}
	if len(ie.Fields) > 0 {
		return rc, ie
	}
	return rc, nil
}

// entraOptions are the options of token requests and tenant discovery: through the
// address guard and the host overrides, like every connection to an admin-supplied
// place.
func (s *Service) entraOptions() entra.Options {
	return entra.Options{Authority: s.cfg.EntraAuthority, RootCAs: s.cfg.RootCAs, DialContext: s.dial, Now: s.now}
}

// resolveTenant returns the tenant ID of a domain, from its OpenID configuration
// document; failures are *InputError on the tenant field, in words for an admin.
func (s *Service) resolveTenant(ctx context.Context, tenant string) (string, error) {
	t, err := entra.DiscoverTenant(ctx, tenant, s.entraOptions())
	if err == nil {
		return t.ID, nil
	}
	if ctx.Err() != nil {
		return "", err
	}
	if errors.Is(err, entra.ErrUnknownTenant) {
		return "", inputErr("tenant", "Microsoft 365 knows no tenant with the domain "+tenant+": check the spelling, or enter the tenant ID (Microsoft Entra admin center → Overview).")
	}
	return "", inputErr("tenant", "The tenant of "+tenant+" could not be looked up: "+sentenceOf(err.Error())+" Enter the tenant ID instead, or try again.")
}

// TenantInfo is what the magic wand of Microsoft 365 access finds: the tenant ID of a
// domain.
type TenantInfo struct {
	Tenant   string // as entered
	TenantID string
}

// DiscoverTenant is the magic wand of Microsoft 365 access: it finds the tenant ID of
// a domain (or confirms a tenant ID exists) from the OpenID configuration document.
// It saves nothing.
func (s *Service) DiscoverTenant(ctx context.Context, p Principal, orgID int64, tenant string) (TenantInfo, error) {
	if err := orgAccess(p, orgID); err != nil {
		return TenantInfo{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return TenantInfo{}, err
	}
	tenant = strings.ToLower(strings.TrimSpace(tenant))
	if !entra.ValidTenant(tenant) {
		return TenantInfo{}, inputErr("tenant", "Enter one of the tenant's domains (contoso.com) for the magic wand to find its tenant ID.")
	}
	id, err := s.resolveTenant(ctx, tenant)
	if err != nil {
		return TenantInfo{}, err
	}
	return TenantInfo{Tenant: tenant, TenantID: id}, nil
}

// graphURL is Microsoft Graph's base URL.
func (s *Service) graphURL() string { return cmp.Or(s.cfg.GraphURL, graph.DefaultBaseURL) }

// tenantOf is the tenant a configuration asks tokens of: its ID once resolved, else
// what was entered (Entra ID takes a domain too).
func (rc resolvedConfig) tenantOf() string { return cmp.Or(rc.tenantID, rc.tenant) }

// appCheckerConfig is the checker's view of a Microsoft 365 configuration.
func (s *Service) appCheckerConfig(rc resolvedConfig) checker.AppConfig {
	creds, _ := rc.appCredentials() // validated when saved or checked
	return checker.AppConfig{TenantID: rc.tenantOf(), ClientID: rc.clientID, ClientSecret: creds.ClientSecret, Certificate: creds.Certificate,
		Authority: s.cfg.EntraAuthority, GraphURL: s.cfg.GraphURL, RootCAs: s.cfg.RootCAs, DialContext: s.dial}
}

// isApp reports whether the organization's saved configuration is Microsoft 365
// app-only access (false when none is saved, or it cannot be read: the EWS path then
// says why).
func (s *Service) isApp(ctx context.Context, orgID int64) bool {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	return err == nil && c.AccessType == AccessMicrosoft365App
}

// GraphClient returns a Microsoft Graph client for an organization's saved Microsoft 365
// configuration, through the address guard: what the sync engine reads its mailboxes
// with. Like EWSClient it is kept while the configuration's version stays the same, and
// with it the app's token, which is asked for again only shortly before it expires.
func (s *Service) GraphClient(ctx context.Context, orgID int64) (*graph.Client, error) {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return s.graphClientFor(ctx, c)
}

// graphClientFor is GraphClient for the organization's configuration as just read.
func (s *Service) graphClientFor(ctx context.Context, c store.EmailConfig) (*graph.Client, error) {
	orgID := c.OrgID
	if c.AccessType != AccessMicrosoft365App {
		return nil, fmt.Errorf("control: organization %d does not use Microsoft 365 app-only access", orgID)
	}
	s.graphClients.mu.Lock()
	cached, ok := s.graphClients.m[orgID]
	s.graphClients.mu.Unlock()
	if ok && cached.version == c.Version {
		return cached.client, nil
	}
	rc, err := s.savedConfig(ctx, orgID)
	if err != nil {
		return nil, err
	}
	client, err := s.newGraphClient(rc)
	if err != nil {
		return nil, err
	}
	s.graphClients.mu.Lock()
	defer s.graphClients.mu.Unlock()
	if s.graphClients.m == nil {
		s.graphClients.m = map[int64]cachedGraphClient{}
	}
	if cur, ok := s.graphClients.m[orgID]; ok {
		if cur.version >= c.Version {
			client.CloseIdleConnections()
			return cur.client, nil // another caller built it meanwhile
		}
		cur.client.CloseIdleConnections()
	}
	s.graphClients.m[orgID] = cachedGraphClient{version: c.Version, client: client}
	return client, nil
}

// appCredentials are a configuration's credentials for Entra ID: its client secret, or
// its certificate (parsed from the sealed PEM).
func (rc resolvedConfig) appCredentials() (entra.Credentials, error) {
	creds := entra.Credentials{Tenant: rc.tenantOf(), ClientID: rc.clientID}
	if rc.auth == AuthCertificate {
		c, err := entra.ParseCertificatePEM([]byte(rc.password))
		if err != nil {
			return creds, fmt.Errorf("control: the saved certificate: %w", err)
		}
		creds.Certificate = c
		return creds, nil
	}
	creds.ClientSecret = rc.password
	return creds, nil
}

// newGraphClient returns a Graph client with its own token source for a configuration.
func (s *Service) newGraphClient(rc resolvedConfig) (*graph.Client, error) {
	creds, err := rc.appCredentials()
	if err != nil {
		return nil, err
	}
	tokens, err := entra.NewTokenSource(creds, entra.GraphScope, s.entraOptions())
	if err != nil {
		return nil, err
	}
	// Graph's own limit (10,000 requests per 10 minutes per app and mailbox) is kept on
	// this side too, so that a busy mailbox waits rather than meets 429s.
	return graph.New(tokens, graph.Options{BaseURL: s.cfg.GraphURL, RootCAs: s.cfg.RootCAs, DialContext: s.dial, Now: s.now,
		Budget: &graph.DefaultBudget})
}

// graphClientCache holds one Graph client per organization, for its configuration's
// version.
type graphClientCache struct {
	mu sync.Mutex
	m  map[int64]cachedGraphClient
}

type cachedGraphClient struct {
	version int64
	client  *graph.Client
}

// appSyncCodes explain the engine's status codes of a mailbox read through Microsoft
// Graph with an app registration, where the EWS words (a service account, its password,
// impersonation) would mislead. The engine records Graph's 403 ErrorAccessDenied as
// impersonation_denied: for an app it means the mailbox is outside the app's scope.
var appSyncCodes = map[string]SyncCodeInfo{
	SyncCodeAuthFailed: {SyncCodeAuthFailed,
		"Microsoft Entra ID refused the app's credentials (the tenant, the client ID or the client secret, which may have expired). " +
			"Every mailbox of the organization is stopped until new credentials are saved.",
		"Create a new client secret for the app (Certificates & secrets), paste its Value on the Email Configuration tab and save: " +
			"every stopped mailbox then syncs again. Run the check first to see what Entra ID refuses."},
	SyncCodeImpersonationDenied: {SyncCodeImpersonationDenied,
		"Microsoft 365 refused the app access to this mailbox (ErrorAccessDenied): it is outside the app's RBAC for Applications scope, " +
			"or an application access policy excludes it.",
		"Run the check on the Email Configuration tab: it gives the New-ManagementRoleAssignment line that brings the mailbox into the " +
			"app's scope. Then resume this mailbox."},
	SyncCodeNoMailbox: {SyncCodeNoMailbox,
		"This user has no Exchange Online mailbox (no license with Exchange Online, or the mailbox is on premises).",
		"Assign the user a license that includes Exchange Online, or remove the user from the organization if they have left."},
	SyncCodeThrottled: {SyncCodeThrottled,
		"Microsoft Graph asked mailbridge to slow down (429 Too Many Requests). Syncing waits as long as Graph asks, then goes on.",
		"Nothing to do if it passes: Graph's limits are per app and per mailbox."},
	SyncCodeExchangeError: {SyncCodeExchangeError,
		"Microsoft Graph answered with an error that has no code of its own here; the detail names it. Syncing tries again later.",
		"If it persists, run the check on the Email Configuration tab."},
	SyncCodeUnreachable: {SyncCodeUnreachable,
		"Microsoft Graph or Entra ID could not be reached (DNS name unknown, connection refused or timed out). Syncing tries again later.",
		"Check that mailbridge reaches graph.microsoft.com and login.microsoftonline.com over HTTPS (firewall, DNS, proxy)."},
}

// explainSyncCode is ExplainSyncCode, in the words of the app's access when app is true.
func explainSyncCode(code string, app bool) (message, fix string) {
	if c, ok := appSyncCodes[code]; ok && app {
		return c.Message, c.Fix
	}
	return ExplainSyncCode(code)
}
