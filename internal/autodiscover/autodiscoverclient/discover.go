// Package autodiscoverclient is the "magic wand": from an email address and the
// service account's credentials it finds the mailbox's EWS URL the way Outlook and
// exchangelib do, and records every attempt (URL, outcome, HTTP status, duration) so
// that the admin panel and the CLI can show the trail when it fails.
//
// Discover tries, for the address's domain (EWS-NOTES §4.1):
//
//  1. POX at https://<domain>/autodiscover/autodiscover.xml;
//  2. POX at https://autodiscover.<domain>/autodiscover/autodiscover.xml;
//  3. the HTTP redirect method: an unauthenticated GET of
//     http://autodiscover.<domain>/autodiscover/autodiscover.xml, where only a 302 to an
//     https URL counts, then POX at that URL;
//  4. the DNS SRV record _autodiscover._tcp.<domain> (lowest priority, then highest
//     weight, port 443 only), then POX at https://<target>/autodiscover/autodiscover.xml;
//  5. SOAP (GetUserSettings for ExternalEwsUrl, then InternalEwsUrl) at autodiscover.svc
//     on each host of steps 1 to 4;
//  6. failing all of these, the standard URL https://<host>/EWS/Exchange.asmx for
//     mail.<domain>, outlook.<domain> and autodiscover.<domain>, as an unverified
//     suggestion.
//
// A redirectUrl (POX), RedirectUrl (SOAP) or HTTP redirect of a POST is followed to
// https URLs only; a redirectAddr (POX) or RedirectAddress (SOAP) restarts the whole
// search with the new address. At most Options.MaxRedirects redirects are followed, and
// no URL is asked twice about the same address. A 401 is recorded and the search goes
// on: one endpoint refusing the credentials does not prove them wrong.
//
// Redirects to other domains are followed (hybrid deployments redirect to Exchange
// Online), but the search never walks up to a parent domain (the autodiscover.<tld>
// credential leak). The package does not log; it never records or returns credentials.
package autodiscoverclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// Defaults of Options.
const (
	DefaultAttemptTimeout   = 20 * time.Second
	DefaultMaxRedirects     = 10
	DefaultMaxResponseBytes = 1 << 20
	DefaultUserAgent        = "mailbridge-autodiscover/1"
)

// Errors Discover returns, wrapped; callers branch on them with errors.Is.
var (
	// ErrInvalidEmail: the address is not local@domain.
	ErrInvalidEmail = errors.New("not an email address")
	// ErrNotFound: no Autodiscover answer named an EWS URL. The Result still holds the
	// trail and a suggestion.
	ErrNotFound = errors.New("no EWS URL found")
	// ErrUnauthorized is wrapped together with ErrNotFound when endpoints answered 401
	// to the credentials: the user name or password may be wrong.
	ErrUnauthorized = errors.New("the user name or password may be wrong (Exchange answers a wrong password and an unknown account alike)")
	// ErrAuthMethod is wrapped together with ErrNotFound when every 401 came from a
	// server that does not offer the authentication method used.
	ErrAuthMethod = errors.New("the servers do not offer the authentication method used")
	// ErrTooManyRedirects: the redirects went past Options.MaxRedirects; discovery
	// stopped there.
	ErrTooManyRedirects = errors.New("too many redirects")
)

// Resolver looks up DNS SRV records; *net.Resolver implements it.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
}

// Options configure Discover. Only Auth is required.
type Options struct {
	// Auth authenticates the POX and SOAP requests (ewsclient.Basic or ewsclient.NTLM
	// with the service account). The HTTP redirect method's GET is sent without it.
	Auth ewsclient.Authenticator
	// Resolver looks up the SRV record; nil means net.DefaultResolver.
	Resolver Resolver
	// DialContext, if not nil, opens every connection: host overrides
	// (hostoverride.Overrides.DialContext), address policies.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs replaces the system's certificate authorities when not nil.
	RootCAs *x509.CertPool
	// InsecureSkipVerify accepts any server certificate. Only on explicit request: it
	// hands the credentials to anyone on the path.
	InsecureSkipVerify bool
	// Transport, if not nil, replaces Discover's own transports (tests); DialContext,
	// RootCAs and InsecureSkipVerify do not apply to it.
	Transport http.RoundTripper
	// AttemptTimeout bounds each attempt (one request and its answer, or one DNS
	// lookup); default DefaultAttemptTimeout. The whole search is bounded by the
	// context.
	AttemptTimeout time.Duration
	// MaxRedirects bounds the redirects followed in one search; default
	// DefaultMaxRedirects, negative for none.
	MaxRedirects int
	// MaxResponseBytes bounds each answer; default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// UserAgent is sent with every request; default DefaultUserAgent.
	UserAgent string
	// Now is the clock that times attempts; default time.Now.
	Now func() time.Time
}

func (o *Options) fill() error {
	if o.Auth == nil {
		return errors.New("no Authenticator")
	}
	if o.Transport != nil && (o.DialContext != nil || o.RootCAs != nil || o.InsecureSkipVerify) {
		return errors.New("Options.Transport excludes DialContext, RootCAs and InsecureSkipVerify")
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	switch {
	case o.MaxRedirects == 0:
		o.MaxRedirects = DefaultMaxRedirects
	case o.MaxRedirects < 0:
		o.MaxRedirects = 0
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Discover looks for the EWS URL of email's mailbox (see the package documentation for
// the order). It returns a nil error only when an authenticated Autodiscover answer
// named the URL (Result.Verified). Otherwise the error wraps ErrNotFound (and
// ErrUnauthorized or ErrAuthMethod when 401s may explain it), ErrTooManyRedirects or
// the context's error, and the Result still holds the trail and, unless canceled, the
// standard URL as an unverified suggestion. Only a bad address or bad options give a
// nil Result.
func Discover(ctx context.Context, email string, opts Options) (*Result, error) {
	domain, err := domainOf(email)
	if err != nil {
		return nil, fmt.Errorf("autodiscoverclient: %q: %w", email, err)
	}
	if err := opts.fill(); err != nil {
		return nil, fmt.Errorf("autodiscoverclient: %w", err)
	}
	r := &run{
		opts:    opts,
		res:     &Result{Email: email, FoundBy: -1},
		tried:   map[string]bool{},
		httpLoc: map[string]string{},
		srvURL:  map[string]string{},
		scheme:  opts.Auth.Scheme(),
	}
	r.setup()
	defer r.close()

	for addr := email; addr != ""; {
		var v verdict
		v, addr = r.searchAddress(ctx, addr)
		if v != vRestart {
			break
		}
	}
	res := r.res
	switch {
	case res.Verified:
		return res, nil
	case ctx.Err() != nil:
		return res, fmt.Errorf("autodiscoverclient: %s: %w", email, ctx.Err())
	}
	r.suggest(domain)
	switch {
	case errors.Is(r.stop, ErrTooManyRedirects):
		return res, fmt.Errorf("autodiscoverclient: %s: %w (more than %d)", email, ErrTooManyRedirects, opts.MaxRedirects)
	case res.Unauthorized > 0 && r.wrongScheme == res.Unauthorized:
		return res, fmt.Errorf("autodiscoverclient: %w for %s: %d endpoint(s) answered HTTP 401 without offering %s: %w",
			ErrNotFound, email, res.Unauthorized, r.scheme, ErrAuthMethod)
	case res.Unauthorized > 0:
		return res, fmt.Errorf("autodiscoverclient: %w for %s: %d endpoint(s) answered HTTP 401: %w",
			ErrNotFound, email, res.Unauthorized, ErrUnauthorized)
	}
	return res, fmt.Errorf("autodiscoverclient: %w for %s", ErrNotFound, email)
}

// domainOf checks that email is local@domain and returns the domain, lower-cased.
func domainOf(email string) (string, error) {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || strings.ContainsAny(email, " \t\r\n/\\?#") || strings.Contains(domain, "@") {
		return "", ErrInvalidEmail
	}
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if !validHost(domain) || !strings.Contains(domain, ".") {
		return "", ErrInvalidEmail
	}
	return domain, nil
}

// validHost reports whether s is a DNS name: letters, digits, '-' and '_' in non-empty
// labels.
func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// verdict says how the search goes on after a step.
type verdict int

const (
	vNext    verdict = iota // try the next candidate
	vFound                  // the EWS URL is found
	vRestart                // start again with another address
	vStop                   // stop searching (context ended, redirect limit)
)

// run is the state of one Discover call.
type run struct {
	opts   Options
	res    *Result
	scheme string // the Authenticator's scheme, for 401 diagnoses
	tls    *tls.Config
	authed *http.Client // POX and SOAP
	anon   *http.Client // the HTTP redirect method's GET
	// tried holds "method url email" of every request sent: none is sent twice.
	tried map[string]bool
	// httpLoc and srvURL remember, per domain, the POX URL the HTTP redirect method and
	// the SRV record gave ("" for none), so that a restart does not repeat them.
	httpLoc map[string]string
	srvURL  map[string]string
	// redirects counts the redirects followed; wrongScheme the 401s from servers that
	// do not offer the scheme used.
	redirects   int
	wrongScheme int
	// stop is why the search ended early, if it did.
	stop error
}

// searchAddress runs the candidate list for one address. It returns vRestart and the
// new address when a redirectAddr (or RedirectAddress) says so.
func (r *run) searchAddress(ctx context.Context, email string) (verdict, string) {
	domain, err := domainOf(email)
	if err != nil {
		return vNext, ""
	}
	poxURLs := []string{
		"https://" + domain + autodiscover.POXPath,
		"https://autodiscover." + domain + autodiscover.POXPath,
	}
	for _, u := range poxURLs {
		if v, next := r.ask(ctx, MethodPOX, u, email); v != vNext {
			return v, next
		}
	}
	if loc := r.httpRedirect(ctx, domain); loc != "" {
		poxURLs = append(poxURLs, loc)
		if v, next := r.ask(ctx, MethodPOX, loc, email); v != vNext {
			return v, next
		}
	}
	if r.stop != nil {
		return vStop, ""
	}
	if u := r.srv(ctx, domain); u != "" {
		poxURLs = append(poxURLs, u)
		if v, next := r.ask(ctx, MethodPOX, u, email); v != vNext {
			return v, next
		}
	}
	if r.stop != nil {
		return vStop, ""
	}
	for _, u := range poxURLs {
		svc, ok := swapFile(u, "autodiscover.svc")
		if !ok {
			continue
		}
		if v, next := r.ask(ctx, MethodSOAP, svc, email); v != vNext {
			return v, next
		}
	}
	return vNext, ""
}

// swapFile makes an Autodiscover URL name file (autodiscover.xml or autodiscover.svc)
// instead of the other one; ok is false for a URL that names neither.
func swapFile(rawURL, file string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false
	}
	lower := strings.ToLower(u.Path)
	for _, f := range []string{"/autodiscover.xml", "/autodiscover.svc"} {
		if strings.HasSuffix(lower, f) {
			u.Path = u.Path[:len(u.Path)-len(f)+1] + file
			u.RawPath = ""
			return u.String(), true
		}
	}
	return "", false
}

// answer is what a POX or SOAP exchange found: an EWS URL, a redirect, or nothing (the
// attempt says why).
type answer struct {
	ewsURL       string
	redirectURL  string
	redirectAddr string
}

// ask sends a POX or SOAP request for email to rawURL, following redirectUrl answers,
// and records each attempt.
func (r *run) ask(ctx context.Context, m Method, rawURL, email string) (verdict, string) {
	for {
		if ctx.Err() != nil {
			r.stop = ctx.Err()
			return vStop, ""
		}
		key := string(m) + " " + strings.ToLower(rawURL) + " " + strings.ToLower(email)
		if r.tried[key] {
			r.record(Attempt{Method: m, URL: redactURL(rawURL), Email: email, Outcome: OutcomeSkipped,
				Err: "already asked about this address: not asked again"})
			return vNext, ""
		}
		r.tried[key] = true

		var (
			a   Attempt
			ans answer
		)
		if m == MethodSOAP {
			a, ans = r.soap(ctx, rawURL, email)
		} else {
			a, ans = r.pox(ctx, rawURL, email)
		}
		switch {
		case a.Outcome == OutcomeCanceled:
			r.record(a)
			r.stop = ctx.Err()
			return vStop, ""
		case ans.ewsURL != "":
			a.Outcome, a.EWSURL = OutcomeOK, ans.ewsURL
			i := r.record(a)
			r.res.EWSURL, r.res.Verified, r.res.Method, r.res.FoundBy, r.res.Mailbox = ans.ewsURL, true, m, i, email
			return vFound, ""
		case ans.redirectURL != "":
			a.RedirectTo = redactURL(ans.redirectURL)
			if err := httpsOnly(ans.redirectURL); err != nil {
				a.Outcome, a.Err = OutcomeRefused, err.Error()
				r.record(a)
				return vNext, ""
			}
			if !r.countRedirect(&a) {
				r.record(a)
				return vStop, ""
			}
			a.Outcome = OutcomeRedirect
			r.record(a)
			rawURL = ans.redirectURL
		case ans.redirectAddr != "":
			a.RedirectTo = ans.redirectAddr
			if _, err := domainOf(ans.redirectAddr); err != nil {
				a.Outcome, a.Err = OutcomeRefused, "the redirect address is not an email address"
				r.record(a)
				return vNext, ""
			}
			if strings.EqualFold(ans.redirectAddr, email) {
				a.Outcome, a.Err = OutcomeRefused, "redirected to the address asked about: the endpoint is misconfigured"
				r.record(a)
				return vNext, ""
			}
			if !r.countRedirect(&a) {
				r.record(a)
				return vStop, ""
			}
			a.Outcome = OutcomeRedirect
			r.record(a)
			return vRestart, ans.redirectAddr
		default:
			r.record(a)
			return vNext, ""
		}
	}
}

// countRedirect counts one more redirect; past the limit it marks a as refused, stops
// the search and returns false.
func (r *run) countRedirect(a *Attempt) bool {
	if r.redirects >= r.opts.MaxRedirects {
		a.Outcome = OutcomeRefused
		a.Err = fmt.Sprintf("redirect not followed: the limit of %d redirects is reached", r.opts.MaxRedirects)
		r.stop = ErrTooManyRedirects
		return false
	}
	r.redirects++
	return true
}

// httpsOnly refuses a redirect to anything but an absolute https URL.
func httpsOnly(rawURL string) error {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil || u.Host == "":
		return errors.New("redirect to an invalid URL refused")
	case !strings.EqualFold(u.Scheme, "https"):
		return fmt.Errorf("redirect to a %s URL refused: Autodiscover is followed over https only", u.Scheme)
	}
	return nil
}

// record appends a to the trail and returns its index.
func (r *run) record(a Attempt) int {
	if a.Outcome == OutcomeUnauthorized {
		r.res.Unauthorized++
	}
	r.res.Attempts = append(r.res.Attempts, a)
	return len(r.res.Attempts) - 1
}

// suggest records the standard URLs as suggestions, the first as Result.EWSURL.
func (r *run) suggest(domain string) {
	for _, host := range []string{"mail.", "outlook.", "autodiscover."} {
		u := "https://" + host + domain + "/EWS/Exchange.asmx"
		i := r.record(Attempt{Method: MethodStandardURL, URL: u, Outcome: OutcomeSuggestion, EWSURL: u,
			Err: "not contacted: the usual EWS URL, to be checked before use"})
		if r.res.EWSURL == "" {
			r.res.EWSURL, r.res.Method, r.res.FoundBy = u, MethodStandardURL, i
		}
		r.res.Suggestions = append(r.res.Suggestions, u)
	}
}
