package exchangesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The Microsoft 365 side of a World: an Entra ID tenant with app registrations, as
// Exchange Online and Microsoft Graph see them. A World has at most one tenant; its
// verified domains are the scenario's accepted domains plus the tenant's initial
// "*.onmicrosoft.com" domain.
//
// Permissions are modelled as follows. An app lists application permissions (Graph's
// Mail.Read, Calendars.Read, Contacts.Read, Place.Read.All, User.Read.All, … and Exchange
// Online's full_access_as_app); once an administrator has granted admin consent, the
// permissions of the resource a token is asked for appear in its "roles" claim. An app
// may also be limited to some mailboxes, as RBAC for Applications does: its Scope names a
// management scope or a mail-enabled group, and mailbox data (mail, calendars, contacts,
// and EWS) outside it is refused. Directory reads (users, places) are not scoped, as in
// Exchange Online, where RBAC for Applications scopes only mailbox access.

// Application permissions the simulator knows. Graph's go into tokens for
// GraphResource, full_access_as_app into tokens for ExchangeResource.
const (
	PermMailRead         = "Mail.Read"
	PermMailReadWrite    = "Mail.ReadWrite"
	PermCalendarsRead    = "Calendars.Read"
	PermCalendarsRW      = "Calendars.ReadWrite"
	PermContactsRead     = "Contacts.Read"
	PermContactsRW       = "Contacts.ReadWrite"
	PermPlaceReadAll     = "Place.Read.All"
	PermUserReadAll      = "User.Read.All"
	PermDirectoryReadAll = "Directory.Read.All"
	// GroupMember.Read.All and Group.Read.All read groups and their members.
	PermGroupMemberReadAll = "GroupMember.Read.All"
	PermGroupReadAll       = "Group.Read.All"
	PermFullAccessAsApp    = "full_access_as_app"
)

// Resources (audiences) tokens can be issued for.
const (
	GraphResource    = "https://graph.microsoft.com"
	ExchangeResource = "https://outlook.office365.com"
)

var graphPermissions = []string{PermMailRead, PermMailReadWrite, PermCalendarsRead, PermCalendarsRW,
	PermContactsRead, PermContactsRW, PermPlaceReadAll, PermUserReadAll, PermDirectoryReadAll, PermGroupMemberReadAll, PermGroupReadAll}

// resourceOf returns the resource a permission belongs to, or "" for an unknown one.
func resourceOf(perm string) string {
	if perm == PermFullAccessAsApp {
		return ExchangeResource
	}
	if slices.Contains(graphPermissions, perm) {
		return GraphResource
	}
	return ""
}

// TenantSpec describes a scenario's Entra ID tenant.
type TenantSpec struct {
	// ID is the tenant ID, a GUID.
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
	// InitialDomain is the tenant's *.onmicrosoft.com domain; default: the first label
	// of the scenario's first domain, plus ".onmicrosoft.com".
	InitialDomain string `json:"initialDomain,omitempty"`
	// EWSDisabled turns EWS off for the whole tenant (Set-OrganizationConfig
	// -EWSEnabled $false); it matters in Exchange Online mode only.
	EWSDisabled bool      `json:"ewsDisabled,omitempty"`
	Apps        []AppSpec `json:"apps,omitempty"`
}

// AppSpec describes an app registration (and its service principal in the tenant).
type AppSpec struct {
	// ClientID is the application (client) ID, a GUID.
	ClientID    string `json:"clientId"`
	DisplayName string `json:"displayName,omitempty"`
	// Secrets are the app's client secrets.
	Secrets []SecretSpec `json:"secrets,omitempty"`
	// Certificates are the public parts (PEM) of the app's certificates.
	Certificates []string `json:"certificates,omitempty"`
	// Permissions are the application permissions the app requests (see Perm*).
	Permissions []string `json:"permissions,omitempty"`
	// AdminConsent says whether an administrator has granted them.
	AdminConsent bool `json:"adminConsent,omitempty"`
	// Scope limits mailbox access (RBAC for Applications): the name of a management
	// scope or the address of a group; empty means every mailbox.
	Scope string `json:"scope,omitempty"`
}

// SecretSpec is a client secret: its value and when it expires (RFC 3339 or an offset
// from the World's start such as "+730d" or "-1d"; empty: never).
type SecretSpec struct {
	Value   string `json:"value"`
	Expires string `json:"expires,omitempty"`
}

// Tenant is the World's tenant, as the admin API shows it.
type Tenant struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Domains     []string `json:"domains"` // verified domains, the initial one last
	EWSEnabled  bool     `json:"ews_enabled"`
}

// App is an app registration as the admin API shows it: secrets appear by their hint
// (the first three characters, as the Entra admin center shows them) and expiry only.
type App struct {
	ClientID     string            `json:"client_id"`
	DisplayName  string            `json:"display_name"`
	Permissions  []string          `json:"permissions"`
	AdminConsent bool              `json:"admin_consent"`
	Scope        string            `json:"scope,omitempty"`
	Secrets      []SecretInfo      `json:"secrets"`
	Certificates []CertificateInfo `json:"certificates"`
}

// SecretInfo describes a client secret without revealing it.
type SecretInfo struct {
	Hint    string    `json:"hint"`
	Expires time.Time `json:"expires,omitzero"`
}

// entra is a World's tenant and app registrations. Secrets are kept as SHA-256 hashes.
type entra struct {
	mu         sync.RWMutex
	id         string
	name       string
	initial    string
	ewsEnabled bool
	apps       map[string]*app // by lower-case client ID
}

type app struct {
	clientID, name string
	secrets        []secret
	certs          []appCert
	perms          []string
	consent        bool
	scope          string
}

type secret struct {
	hash    [32]byte
	hint    string
	expires time.Time // zero: never
}

func normGUID(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validGUID reports whether s has the 8-4-4-4-12 hexadecimal form.
func validGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}

func hashSecret(v string) [32]byte { return sha256.Sum256([]byte("exchangesim client secret\x00" + v)) }

func secretHint(v string) string {
	if len(v) > 3 {
		return v[:3]
	}
	return v
}

// loadTenant builds the World's tenant from a scenario's spec.
func (w *World) loadTenant(sc *Scenario) error {
	ts := sc.Tenant
	if ts == nil {
		return nil
	}
	if !validGUID(ts.ID) {
		return fmt.Errorf("exchangesim: tenant id %q is not a GUID: %w", ts.ID, ErrInvalid)
	}
	e := &entra{id: normGUID(ts.ID), name: ts.DisplayName, initial: strings.ToLower(ts.InitialDomain),
		ewsEnabled: !ts.EWSDisabled, apps: map[string]*app{}}
	if e.initial == "" && len(sc.Domains) > 0 {
		label, _, _ := strings.Cut(strings.ToLower(sc.Domains[0].Name), ".")
		e.initial = label + ".onmicrosoft.com"
	}
	if e.name == "" {
		e.name = sc.Name
	}
	for _, as := range ts.Apps {
		a, err := w.newApp(as)
		if err != nil {
			return err
		}
		if e.apps[normGUID(a.clientID)] != nil {
			return fmt.Errorf("exchangesim: app %s registered twice: %w", a.clientID, ErrInvalid)
		}
		e.apps[normGUID(a.clientID)] = a
	}
	w.entra = e
	return nil
}

func (w *World) newApp(as AppSpec) (*app, error) {
	if !validGUID(as.ClientID) {
		return nil, fmt.Errorf("exchangesim: app client id %q is not a GUID: %w", as.ClientID, ErrInvalid)
	}
	a := &app{clientID: normGUID(as.ClientID), name: as.DisplayName, consent: as.AdminConsent, scope: strings.TrimSpace(as.Scope)}
	if a.name == "" {
		a.name = "App " + a.clientID[:8]
	}
	for _, p := range as.Permissions {
		if resourceOf(p) == "" {
			return nil, fmt.Errorf("exchangesim: app %s: unknown permission %q: %w", a.clientID, p, ErrInvalid)
		}
		if !slices.Contains(a.perms, p) {
			a.perms = append(a.perms, p)
		}
	}
	for _, ss := range as.Secrets {
		s, err := w.newSecret(ss)
		if err != nil {
			return nil, fmt.Errorf("exchangesim: app %s: %w", a.clientID, err)
		}
		a.secrets = append(a.secrets, s)
	}
	for _, cp := range as.Certificates {
		c, err := parseAppCert([]byte(cp))
		if err != nil {
			return nil, fmt.Errorf("exchangesim: app %s: %w", a.clientID, err)
		}
		a.certs = append(a.certs, c)
	}
	return a, nil
}

func (w *World) newSecret(ss SecretSpec) (secret, error) {
	if len(ss.Value) < 8 {
		return secret{}, fmt.Errorf("a client secret needs at least 8 characters: %w", ErrInvalid)
	}
	exp, err := parseWhen(ss.Expires, w.anchor)
	if err != nil {
		return secret{}, fmt.Errorf("secret expiry: %v: %w", err, ErrInvalid)
	}
	return secret{hash: hashSecret(ss.Value), hint: secretHint(ss.Value), expires: exp}, nil
}

func (a *app) info() App {
	out := App{ClientID: a.clientID, DisplayName: a.name, Permissions: slices.Clone(a.perms),
		AdminConsent: a.consent, Scope: a.scope, Secrets: []SecretInfo{}}
	for _, s := range a.secrets {
		out.Secrets = append(out.Secrets, SecretInfo{Hint: s.hint, Expires: s.expires})
	}
	out.Certificates = []CertificateInfo{}
	for _, c := range a.certs {
		out.Certificates = append(out.Certificates, CertificateInfo{Thumbprint: fmt.Sprintf("%X", c.thumbprint[:]), Expires: c.notAfter})
	}
	return out
}

// errNoTenant is returned by the tenant's admin methods when the scenario has none.
var errNoTenant = fmt.Errorf("exchangesim: the scenario has no tenant: %w", ErrNotFound)

// Tenant returns the World's Entra ID tenant; ok is false when the scenario has none.
func (w *World) Tenant() (t Tenant, ok bool) {
	e := w.entra
	if e == nil {
		return Tenant{}, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	t = Tenant{ID: e.id, DisplayName: e.name, EWSEnabled: e.ewsEnabled}
	for _, d := range w.dir.Domains() {
		t.Domains = append(t.Domains, d.Name)
	}
	t.Domains = append(t.Domains, e.initial)
	return t, true
}

// resolveTenant finds the tenant by ID or verified domain (case-insensitively).
func (w *World) resolveTenant(idOrDomain string) (Tenant, bool) {
	t, ok := w.Tenant()
	if !ok {
		return Tenant{}, false
	}
	s := strings.ToLower(strings.TrimSpace(idOrDomain))
	if s == t.ID || slices.Contains(t.Domains, s) {
		return t, true
	}
	return Tenant{}, false
}

// Apps returns the tenant's app registrations, sorted by client ID.
func (w *World) Apps() []App {
	e := w.entra
	if e == nil {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]App, 0, len(e.apps))
	for _, a := range e.apps {
		out = append(out, a.info())
	}
	slices.SortFunc(out, func(a, b App) int { return strings.Compare(a.ClientID, b.ClientID) })
	return out
}

// App returns one app registration.
func (w *World) App(clientID string) (App, bool) {
	e := w.entra
	if e == nil {
		return App{}, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := e.apps[normGUID(clientID)]
	if a == nil {
		return App{}, false
	}
	return a.info(), true
}

// AddApp registers an app in the tenant.
func (w *World) AddApp(spec AppSpec) (App, error) {
	e := w.entra
	if e == nil {
		return App{}, errNoTenant
	}
	a, err := w.newApp(spec)
	if err != nil {
		return App{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.apps[a.clientID] != nil {
		return App{}, fmt.Errorf("exchangesim: app %s already exists: %w", a.clientID, ErrInvalid)
	}
	e.apps[a.clientID] = a
	return a.info(), nil
}

// RemoveApp deletes an app registration; tokens issued to it stop working.
func (w *World) RemoveApp(clientID string) error {
	return w.changeApp(clientID, func(e *entra, a *app) error {
		delete(e.apps, a.clientID)
		return nil
	})
}

// SetAdminConsent grants or revokes admin consent for an app's permissions. Tokens
// already issued keep their roles until they expire, as in Entra ID.
func (w *World) SetAdminConsent(clientID string, granted bool) error {
	return w.changeApp(clientID, func(_ *entra, a *app) error { a.consent = granted; return nil })
}

// SetAppPermissions replaces the application permissions an app requests.
func (w *World) SetAppPermissions(clientID string, perms []string) error {
	for _, p := range perms {
		if resourceOf(p) == "" {
			return fmt.Errorf("exchangesim: unknown permission %q: %w", p, ErrInvalid)
		}
	}
	return w.changeApp(clientID, func(_ *entra, a *app) error { a.perms = slices.Compact(slices.Clone(perms)); return nil })
}

// SetAppScope limits an app's mailbox access to a management scope or a group (RBAC for
// Applications); "" lifts the limit. It takes effect at once, for tokens already issued
// too, as Exchange Online evaluates RBAC at each request.
func (w *World) SetAppScope(clientID, scope string) error {
	return w.changeApp(clientID, func(_ *entra, a *app) error { a.scope = strings.TrimSpace(scope); return nil })
}

// AddAppSecret adds a client secret to an app.
func (w *World) AddAppSecret(clientID string, spec SecretSpec) error {
	s, err := w.newSecret(spec)
	if err != nil {
		return fmt.Errorf("exchangesim: app %s: %w", clientID, err)
	}
	return w.changeApp(clientID, func(_ *entra, a *app) error { a.secrets = append(a.secrets, s); return nil })
}

// SetEWSEnabled turns EWS on or off for the tenant (Set-OrganizationConfig -EWSEnabled).
func (w *World) SetEWSEnabled(enabled bool) error {
	e := w.entra
	if e == nil {
		return errNoTenant
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ewsEnabled = enabled
	return nil
}

func (w *World) ewsEnabled() bool {
	e := w.entra
	if e == nil {
		return false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.ewsEnabled
}

func (w *World) changeApp(clientID string, fn func(*entra, *app) error) error {
	e := w.entra
	if e == nil {
		return errNoTenant
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.apps[normGUID(clientID)]
	if a == nil {
		return fmt.Errorf("exchangesim: app %s: %w", clientID, ErrNotFound)
	}
	return fn(e, a)
}

// credentialError says why the token endpoint refuses a client.
type credentialError int

const (
	credOK credentialError = iota
	credUnknownApp
	credBadSecret
	credExpiredSecret
	credNoConsent
	credBadAssertion       // a client assertion that cannot be read or is not for here
	credAssertionExpired   // outside its nbf/exp
	credBadCertificate     // signed by no certificate of the app
	credExpiredCertificate // signed by an expired certificate of the app
)

// checkClient verifies an app's client secret at now and returns the app as it is.
func (w *World) checkClient(clientID, value string, now time.Time) (App, credentialError) {
	e := w.entra
	if e == nil {
		return App{}, credUnknownApp
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := e.apps[normGUID(clientID)]
	if a == nil {
		return App{}, credUnknownApp
	}
	h := hashSecret(value)
	for _, s := range a.secrets {
		if subtle.ConstantTimeCompare(h[:], s.hash[:]) == 1 {
			if !s.expires.IsZero() && !now.Before(s.expires) {
				return a.info(), credExpiredSecret
			}
			if !a.consent {
				return a.info(), credNoConsent
			}
			return a.info(), credOK
		}
	}
	return a.info(), credBadSecret
}

// appMayAccess reports whether an app may read a mailbox under its RBAC for
// Applications scope. The app is looked up again, so that a changed scope applies at once.
func (w *World) appMayAccess(clientID, mailbox string) bool {
	e := w.entra
	if e == nil {
		return false
	}
	e.mu.RLock()
	a := e.apps[normGUID(clientID)]
	scope := ""
	if a != nil {
		scope = a.scope
	}
	e.mu.RUnlock()
	if a == nil {
		return false
	}
	if scope == "" {
		return true
	}
	if found, member := w.dir.scopeHas(scope, normAddr(mailbox)); found {
		return member
	}
	members, ok := w.dir.ExpandGroup(scope)
	return ok && slices.ContainsFunc(members, func(u User) bool { return u.PrimarySMTP == normAddr(mailbox) })
}

// objectGUID derives a stable GUID for a directory object (a user's Entra object ID, a
// service principal's ID) from the World's secret, so that ids survive restarts with the
// same seed.
func (w *World) objectGUID(kind, key string) string {
	mac := hmac.New(sha256.New, w.secret[:])
	mac.Write([]byte("entra object\x00" + kind + "\x00" + key))
	g := mac.Sum(nil)[:16]
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// UserObjectID returns the Entra object ID (Graph's user id) of a directory user.
func (w *World) UserObjectID(u User) string { return w.objectGUID("user", u.SID) }

// scopeHas reports whether a management scope named name exists and, if so, whether
// smtp (a primary address) is a member.
func (d *Directory) scopeHas(name, smtp string) (found, member bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	s := d.scopes[strings.ToLower(strings.TrimSpace(name))]
	if s == nil {
		return false, false
	}
	return true, slices.Contains(s.Members, smtp)
}
