// Package autodiscoverserver serves Exchange 2016/2019 Autodiscover over HTTP: POX
// (autodiscover.xml), SOAP (autodiscover.svc, GetUserSettings and GetDomainSettings),
// JSON v2 (autodiscover.json) and, optionally, the plain-HTTP redirect GET. It answers
// from a Backend the caller implements, and shapes every answer, error and redirect as
// Exchange does, so that EWS clients (exchangelib, ews-javascript-api, our own) work
// against it unchanged.
//
// The handler does not authenticate. Exchange requires an authenticated caller for POX
// and SOAP; Protect puts an authentication middleware (such as httpauth's
// Authenticator.Wrap) in front of the handler, letting through the requests Anonymous
// reports and advertising the SOAP endpoint on the middleware's 401s too.
package autodiscoverserver

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// Backend resolves addresses for the handler.
type Backend interface {
	// LookupUser resolves an address (compare it case-insensitively) to what
	// Autodiscover returns for it. An unknown address is an error wrapping
	// ErrUserNotFound; ErrServerBusy makes the handler answer "busy"; any other
	// error is answered as an internal server error.
	LookupUser(ctx context.Context, email string) (User, error)
}

// Errors a Backend returns (wrapped or not) to choose the answer.
var (
	ErrUserNotFound = errors.New("autodiscoverserver: user not found")
	ErrServerBusy   = errors.New("autodiscoverserver: server busy")
)

// User is what Autodiscover returns for one address. Only SMTPAddress matters; every
// other empty field is derived the way Exchange forms it (from the address, the
// Options and a stable hash), so that clients asking for UserDN or MailboxDN get a
// value.
type User struct {
	// SMTPAddress is the primary address (AutoDiscoverSMTPAddress). Empty: the address
	// asked about.
	SMTPAddress string
	// DisplayName (UserDisplayName). Empty: the address's local part.
	DisplayName string
	// LegacyDN is the user's legacy Exchange DN (UserDN).
	LegacyDN string
	// DeploymentID is the organization's GUID (UserDeploymentId). Empty:
	// Options.DeploymentID.
	DeploymentID string
	// MailboxServer is "<mailbox GUID>@<domain>" as Exchange 2013+ gives it
	// (InternalMailboxServer, POX EXCH Server).
	MailboxServer string
	// MailboxDN is the mailbox database DN (MailboxDN, POX MdbDN).
	MailboxDN string
	// GroupingInformation is the site name EWS clients group subscriptions by.
	// Empty: Options.GroupingInformation.
	GroupingInformation string
	// InternalEWSURL and ExternalEWSURL override the Options for this user, e.g. to
	// model a mailbox in another site.
	InternalEWSURL string
	ExternalEWSURL string
	// RedirectAddress makes the handler redirect this user to another address (POX
	// redirectAddr, SOAP RedirectAddress), as Exchange does for a mail user whose
	// mailbox lives elsewhere.
	RedirectAddress string
	// RedirectURL makes the handler redirect this user to another Autodiscover server
	// (POX redirectUrl, SOAP RedirectUrl); see Redirect.URL.
	RedirectURL string
}

// Redirect answers chosen addresses or domains with a redirect instead of settings. It
// is consulted before the Backend, so it also works for addresses the Backend does not
// know.
type Redirect struct {
	// Match is an address ("alice@example.com") or a domain ("example.com", every
	// address in it), compared case-insensitively. An address match wins over a
	// domain match.
	Match string
	// Address is the address to restart with (POX redirectAddr, SOAP RedirectAddress,
	// JSON v2 a 302 to the same endpoint for that address).
	Address string
	// URL is the other Autodiscover server, e.g.
	// https://autodiscover.other.example/autodiscover/autodiscover.xml. POX answers it
	// as given (redirectUrl); SOAP answers it with the file name swapped to
	// autodiscover.svc (RedirectUrl); JSON v2 answers a 302 to autodiscover.json on
	// its host. Clients follow https URLs only; an http URL is accepted here so that
	// tests can check that a client refuses it.
	URL string
}

// Options configure a Handler. The zero value of every field but the EWS URLs is
// usable.
type Options struct {
	// DisablePOX, DisableSOAP and DisableJSON make that endpoint answer 404, as a
	// server without it does.
	DisablePOX  bool
	DisableSOAP bool
	DisableJSON bool

	// HTTPRedirect serves the "HTTP redirect method": an unauthenticated GET of
	// autodiscover.xml over plain HTTP (r.TLS == nil) answers 302 to HTTPRedirectURL
	// (default https://<request host without port>/autodiscover/autodiscover.xml).
	HTTPRedirect    bool
	HTTPRedirectURL string

	// InternalEWSURL is the EWS virtual directory's InternalUrl: POX EXCH EwsUrl,
	// SOAP InternalEwsUrl. ExternalEWSURL is its ExternalUrl: POX EXPR EwsUrl, SOAP
	// ExternalEwsUrl. At least one is required; a missing one is left out of POX and
	// reported SettingIsNotAvailable by SOAP.
	InternalEWSURL string
	ExternalEWSURL string

	// ServerVersion is sent in the SOAP ServerVersionInfo header and gives CasVersion,
	// ExternalEwsVersion and the POX ServerVersion. Default: 15.1.2507.6,
	// Exchange2013_SP1 (Exchange 2016 CU23).
	ServerVersion autodiscover.ServerVersionInfo
	// EWSSupportedSchemas is the EwsSupportedSchemas setting. Default: Exchange2007
	// through Exchange2016. exchangelib takes the greatest value (sorted as strings)
	// and needs it to be a version it knows.
	EWSSupportedSchemas []string

	// Organization names the Exchange organization in derived DNs. Default: "First
	// Organization".
	Organization string
	// DeploymentID is the default User.DeploymentID. Default: a GUID derived from
	// Organization.
	DeploymentID string
	// GroupingInformation is the default User.GroupingInformation. Default:
	// "Default-First-Site-Name".
	GroupingInformation string
	// AuthPackage is the POX EXPR AuthPackage (e.g. "Ntlm", "Negotiate", "Basic")
	// and the SOAP ExternalMailboxServerAuthenticationMethods. Empty: left out.
	// exchangelib's POX discovery takes its EWS auth type from it and maps
	// "Negotiate" to SSPI, which exists on Windows only.
	AuthPackage string

	// Redirects answer chosen addresses or domains with a redirect.
	Redirects []Redirect
	// AcceptedDomains are the domains GetDomainSettings answers for; others get
	// InvalidDomain. Empty: every domain.
	AcceptedDomains []string

	// MaxRequestBytes bounds a POX or SOAP request body. A larger body is answered
	// 413 Request Entity Too Large (IIS itself would answer 404.13). Default: 1 MiB.
	MaxRequestBytes int64

	// Now is the clock (for the POX error Time). Default: time.Now.
	Now func() time.Time
}

// defaultSchemas is EwsSupportedSchemas of an Exchange 2016/2019 server.
func defaultSchemas() []string {
	return []string{
		"Exchange2007", "Exchange2007_SP1", "Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2",
		"Exchange2013", "Exchange2013_SP1", "Exchange2016",
	}
}

// Handler is the Autodiscover http.Handler. It is safe for concurrent use.
type Handler struct {
	backend Backend
	opts    Options
	// errorID is the Id attribute of POX errors: Exchange sends the same value from a
	// given server.
	errorID string
}

// New returns a Handler answering from backend. It checks the options and fills in
// their defaults.
func New(backend Backend, opts Options) (*Handler, error) {
	if backend == nil {
		return nil, errors.New("autodiscoverserver: nil backend")
	}
	if opts.InternalEWSURL == "" && opts.ExternalEWSURL == "" {
		return nil, errors.New("autodiscoverserver: neither InternalEWSURL nor ExternalEWSURL is set")
	}
	for _, u := range []string{opts.InternalEWSURL, opts.ExternalEWSURL, opts.HTTPRedirectURL} {
		if u != "" {
			if err := checkURL(u); err != nil {
				return nil, err
			}
		}
	}
	for i, r := range opts.Redirects {
		if r.Match == "" || (r.Address == "") == (r.URL == "") {
			return nil, fmt.Errorf("autodiscoverserver: redirect %d: need Match and exactly one of Address and URL", i)
		}
		if r.URL != "" {
			if err := checkURL(r.URL); err != nil {
				return nil, fmt.Errorf("autodiscoverserver: redirect %d: %w", i, err)
			}
		}
	}
	if opts.MaxRequestBytes < 0 {
		return nil, errors.New("autodiscoverserver: negative MaxRequestBytes")
	}
	if opts.MaxRequestBytes == 0 {
		opts.MaxRequestBytes = 1 << 20
	}
	if opts.ServerVersion == (autodiscover.ServerVersionInfo{}) {
		opts.ServerVersion = autodiscover.ServerVersionInfo{
			MajorVersion: 15, MinorVersion: 1, MajorBuildNumber: 2507, MinorBuildNumber: 6, Version: "Exchange2013_SP1",
		}
	}
	if len(opts.EWSSupportedSchemas) == 0 {
		opts.EWSSupportedSchemas = defaultSchemas()
	}
	if opts.Organization == "" {
		opts.Organization = "First Organization"
	}
	if opts.DeploymentID == "" {
		opts.DeploymentID = stableGUID("deployment:" + opts.Organization)
	}
	if opts.GroupingInformation == "" {
		opts.GroupingInformation = "Default-First-Site-Name"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// Copy the slices so that the caller cannot change a running handler.
	opts.Redirects = append([]Redirect(nil), opts.Redirects...)
	opts.AcceptedDomains = append([]string(nil), opts.AcceptedDomains...)
	opts.EWSSupportedSchemas = append([]string(nil), opts.EWSSupportedSchemas...)

	sum := fnv.New32a()
	sum.Write([]byte(opts.InternalEWSURL + opts.ExternalEWSURL))
	return &Handler{backend: backend, opts: opts, errorID: fmt.Sprint(sum.Sum32() & 0x7fffffff)}, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("autodiscoverserver: %q is not an absolute http(s) URL", s)
	}
	return nil
}

// endpoint is what a request path names.
type endpoint int

const (
	epNone endpoint = iota
	epPOX
	epSOAP
	epJSON
)

func endpointOf(r *http.Request) endpoint {
	switch p := strings.ToLower(r.URL.Path); {
	case p == autodiscover.POXPath:
		return epPOX
	case p == autodiscover.SOAPPath:
		return epSOAP
	case autodiscover.IsJSONPath(p):
		return epJSON
	}
	return epNone
}

func (h *Handler) disabled(ep endpoint) bool {
	switch ep {
	case epPOX:
		return h.opts.DisablePOX
	case epSOAP:
		return h.opts.DisableSOAP
	case epJSON:
		return h.opts.DisableJSON
	}
	return true
}

func (h *Handler) isHTTPRedirect(r *http.Request, ep endpoint) bool {
	return ep == epPOX && h.opts.HTTPRedirect && r.TLS == nil && r.Method == http.MethodGet
}

// Handles reports whether r's path is an Autodiscover path (matched case-insensitively,
// as IIS does), enabled or not. A router sends these requests to the handler.
func (h *Handler) Handles(r *http.Request) bool {
	return endpointOf(r) != epNone
}

// Anonymous reports whether the handler answers r without an authenticated caller: JSON
// v2, the plain-HTTP redirect GET, disabled endpoints and paths it does not serve (all
// 404). An authentication middleware lets these through and challenges the rest.
func (h *Handler) Anonymous(r *http.Request) bool {
	ep := endpointOf(r)
	return ep == epJSON || h.disabled(ep) || h.isHTTPRedirect(r, ep)
}

// SetEndpointHeaders adds the headers by which Exchange advertises its SOAP endpoint
// (X-SOAP-Enabled and friends) to hdr, when SOAP is enabled. The handler sets them on
// its POX and SOAP answers, and Protect on the 401s of its middleware:
// ews-javascript-api probes autodiscover.xml with an anonymous GET and uses SOAP only
// if the answer carries X-SOAP-Enabled.
func (h *Handler) SetEndpointHeaders(hdr http.Header) {
	if h.opts.DisableSOAP {
		return
	}
	hdr.Set("X-SOAP-Enabled", "True")
	hdr.Set("X-WSSecurity-Enabled", "True")
	hdr.Set("X-OAuth-Enabled", "True")
}

// Protect returns the handler behind an authentication middleware: wrap(h) serves
// every request but the Anonymous ones, which h serves directly. The X-SOAP-Enabled
// headers are set before wrap runs, so its 401 challenges carry them as Exchange's do.
func (h *Handler) Protect(wrap func(http.Handler) http.Handler) http.Handler {
	authenticated := wrap(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.Anonymous(r) {
			h.ServeHTTP(w, r)
			return
		}
		if ep := endpointOf(r); ep == epPOX || ep == epSOAP {
			h.SetEndpointHeaders(w.Header())
		}
		authenticated.ServeHTTP(w, r)
	})
}

// ServeHTTP answers an Autodiscover request, and 404 for any other path.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep := endpointOf(r)
	if h.isHTTPRedirect(r, ep) {
		h.serveHTTPRedirect(w, r)
		return
	}
	if ep == epNone || h.disabled(ep) {
		notFound(w)
		return
	}
	switch ep {
	case epPOX:
		h.SetEndpointHeaders(w.Header())
		h.servePOX(w, r)
	case epSOAP:
		h.SetEndpointHeaders(w.Header())
		h.serveSOAP(w, r)
	case epJSON:
		h.serveJSON(w, r)
	}
}

// notFound answers as IIS does for a path with nothing behind it.
func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head>"+
		"<body><h2>404 - File or directory not found.</h2></body></html>\n")
}

func tooLarge(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	fmt.Fprint(w, "<!DOCTYPE html><html><head><title>413 - Request Entity Too Large</title></head>"+
		"<body><h2>413 - The request entity is too large.</h2></body></html>\n")
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusMethodNotAllowed)
	fmt.Fprint(w, "<!DOCTYPE html><html><head><title>405 - Method Not Allowed</title></head>"+
		"<body><h2>405 - HTTP verb used to access this page is not allowed.</h2></body></html>\n")
}

// outcome is what the handler answers for one address.
type outcome struct {
	user            *resolvedUser // settings
	redirectAddress string
	redirectURL     string
	err             error // wraps ErrUserNotFound, ErrServerBusy, or anything else
}

// resolvedUser is a User with every derived field filled in.
type resolvedUser struct {
	User
	local, domain string
	internal      string // EWS URLs after per-user overrides
	external      string
	serverDN      string
}

// resolve decides the answer for email: a configured redirect, the Backend's user (or
// its redirect), or an error.
func (h *Handler) resolve(ctx context.Context, email string) outcome {
	if rd, ok := h.redirectFor(email); ok {
		return outcome{redirectAddress: rd.Address, redirectURL: rd.URL}
	}
	u, err := h.backend.LookupUser(ctx, email)
	if err != nil {
		return outcome{err: err}
	}
	if u.RedirectAddress != "" || u.RedirectURL != "" {
		return outcome{redirectAddress: u.RedirectAddress, redirectURL: u.RedirectURL}
	}
	return outcome{user: h.complete(u, email)}
}

func (h *Handler) redirectFor(email string) (Redirect, bool) {
	_, domain, _ := strings.Cut(email, "@")
	var byDomain *Redirect
	for i := range h.opts.Redirects {
		rd := &h.opts.Redirects[i]
		if strings.EqualFold(rd.Match, email) {
			return *rd, true
		}
		if byDomain == nil && domain != "" && strings.EqualFold(rd.Match, domain) {
			byDomain = rd
		}
	}
	if byDomain != nil {
		return *byDomain, true
	}
	return Redirect{}, false
}

// complete fills in what the Backend left empty.
func (h *Handler) complete(u User, email string) *resolvedUser {
	if u.SMTPAddress == "" {
		u.SMTPAddress = email
	}
	local, domain, _ := strings.Cut(u.SMTPAddress, "@")
	adminGroup := "/o=" + h.opts.Organization + "/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)"
	if u.DisplayName == "" {
		u.DisplayName = local
	}
	if u.LegacyDN == "" {
		u.LegacyDN = adminGroup + "/cn=Recipients/cn=" + local
	}
	if u.DeploymentID == "" {
		u.DeploymentID = h.opts.DeploymentID
	}
	if u.MailboxServer == "" {
		u.MailboxServer = stableGUID("mailbox:"+strings.ToLower(u.SMTPAddress)) + "@" + domain
	}
	serverDN := adminGroup + "/cn=Configuration/cn=Servers/cn=" + u.MailboxServer
	if u.MailboxDN == "" {
		u.MailboxDN = serverDN + "/cn=Microsoft Private MDB"
	}
	if u.GroupingInformation == "" {
		u.GroupingInformation = h.opts.GroupingInformation
	}
	ru := &resolvedUser{User: u, local: local, domain: domain, serverDN: serverDN,
		internal: h.opts.InternalEWSURL, external: h.opts.ExternalEWSURL}
	if u.InternalEWSURL != "" {
		ru.internal = u.InternalEWSURL
	}
	if u.ExternalEWSURL != "" {
		ru.external = u.ExternalEWSURL
	}
	return ru
}

// stableGUID derives a GUID-shaped string from s, the same on every run.
func stableGUID(s string) string {
	sum := sha1.Sum([]byte(s))
	sum[6] = sum[6]&0x0f | 0x50 // version 5 (name-based)
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// siblingURL replaces the path of a URL on the same host as base: siblingURL(
// "https://mail.example.com/EWS/Exchange.asmx", "/owa/") is https://mail.example.com/owa/.
func siblingURL(base, path string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host + path
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// hostWithoutPort is r.Host without its port.
func hostWithoutPort(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		return host
	}
	return r.Host
}
