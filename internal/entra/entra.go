package entra

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Scopes of the tokens an app asks for: every application permission granted to the
// app on the resource.
const (
	GraphScope = "https://graph.microsoft.com/.default"
	EWSScope   = "https://outlook.office365.com/.default"
)

// Defaults of Options.
const (
	DefaultAuthority        = "https://login.microsoftonline.com"
	DefaultRefreshBefore    = 5 * time.Minute
	DefaultMaxResponseBytes = 1 << 20
	DefaultTimeout          = 30 * time.Second
)

// Options configure a TokenSource and DiscoverTenant. The zero value talks to
// DefaultAuthority with the system's CAs.
type Options struct {
	// Authority is the base URL of the identity platform: DefaultAuthority, a national
	// cloud's (https://login.microsoftonline.us), or a loopback simulator's.
	Authority string
	// RefreshBefore is how long before its expiry a token is replaced; default
	// DefaultRefreshBefore.
	RefreshBefore time.Duration
	// MaxResponseBytes bounds an answer; default DefaultMaxResponseBytes (the oauth2
	// package bounds token answers to 1 MiB on its own).
	MaxResponseBytes int64
	// Timeout bounds one request, inside the caller's context; default DefaultTimeout.
	Timeout time.Duration

	// RootCAs replaces the system's certificate authorities when not nil.
	RootCAs *x509.CertPool
	// DialContext, if not nil, opens every connection (an address policy such as
	// netguard's, host overrides).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Transport, if not nil, replaces the package's own transport (RootCAs and
	// DialContext then do not apply).
	Transport http.RoundTripper

	// Now is the clock that decides when a token is due for refresh; default time.Now.
	Now func() time.Time
}

// withDefaults returns o with its zero fields set.
func (o Options) withDefaults() (Options, error) {
	if o.Authority == "" {
		o.Authority = DefaultAuthority
	}
	u, err := url.Parse(o.Authority)
	switch {
	case err != nil:
		return o, fmt.Errorf("entra: authority: %w", err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return o, fmt.Errorf("entra: authority %q: not an http(s) URL", o.Authority)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return o, fmt.Errorf("entra: authority %q: only a scheme, host and path are allowed", u.Redacted())
	}
	o.Authority = strings.TrimRight(u.String(), "/")
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = DefaultRefreshBefore
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Transport != nil && (o.RootCAs != nil || o.DialContext != nil) {
		return o, errors.New("entra: Options.Transport excludes RootCAs and DialContext")
	}
	return o, nil
}

// httpClient returns the HTTP client of the options: no redirects (the token endpoint
// and the OpenID document are never redirected, and a redirect must not carry the
// secret elsewhere), bounded in time.
func (o Options) httpClient() *http.Client {
	rt := o.Transport
	if rt == nil {
		dial := o.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.RootCAs != nil {
			cfg.RootCAs = o.RootCAs.Clone()
		}
		rt = &http.Transport{
			DialContext:         dial,
			TLSClientConfig:     cfg,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		}
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// tenantPattern accepts a tenant ID (GUID) or a DNS domain name: what may stand in the
// path of an authority URL. Anything else (slashes, dots alone, query characters) is
// refused before a request is made.
var tenantPattern = regexp.MustCompile(`^(?i:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9])$`)

// guidPattern matches a tenant ID.
var guidPattern = regexp.MustCompile(`^(?i:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

// ValidTenant reports whether s is a tenant ID (a GUID) or a domain name.
func ValidTenant(s string) bool { return len(s) <= 253 && tenantPattern.MatchString(s) }

// IsTenantID reports whether s is a tenant ID (a GUID) rather than a domain.
func IsTenantID(s string) bool { return guidPattern.MatchString(s) }

// readLimited reads at most limit bytes of r, failing with ErrResponseTooLarge beyond.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes (Options.MaxResponseBytes)", ErrResponseTooLarge, limit)
	}
	return b, nil
}
