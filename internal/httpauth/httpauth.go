// Package httpauth is server-side HTTP authentication for the Exchange
// simulator: Basic and NTLM (also inside Negotiate), answering the way IIS in
// front of Exchange 2016/2019 does.
//
// An anonymous request gets 401 with one WWW-Authenticate header per enabled
// scheme, in IIS order: "Negotiate", "NTLM", `Basic realm="<host>"`. Basic is
// checked on every request. NTLM is a three-leg handshake bound to the TCP
// connection: once it succeeds, later requests on the same keep-alive
// connection that carry no Authorization header run as the authenticated user,
// and a new connection needs a new handshake.
//
// Connection binding needs two hooks on the http.Server besides the handler:
//
//	srv := &http.Server{
//		Handler:     a.Wrap(mux),
//		ConnContext: a.ConnContext,
//		ConnState:   a.ConnState,
//		// NTLM needs HTTP/1.1 (IIS refuses Windows auth over HTTP/2):
//		// do not offer h2 on TLS.
//		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
//	}
//
// Not implemented: Kerberos and SPNEGO-wrapped tokens (Negotiate accepts raw
// NTLMSSP only), Extended Protection (channel binding tokens are neither
// required nor checked), and MIC verification.
package httpauth

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Authentication methods, as reported in [Identity.Method].
const (
	MethodBasic = "Basic"
	MethodNTLM  = "NTLM"
)

// Accounts is the credential store the Authenticator consults. The simulator
// implements it over its directory.
type Accounts interface {
	// LookupPassword returns the canonical identity (for example the primary
	// SMTP address) and the current password of the account that login names.
	// login is either a UPN such as "alice@contoso.com", as the client sent
	// it, or "DOMAIN\alice" where DOMAIN is always [Config.NetBIOSDomain]:
	// bare names and names qualified by [Config.DNSDomain] are mapped to it.
	// Matching should be case-insensitive, as in Active Directory.
	//
	// It is called on every authentication, so a password changed in the
	// store applies to the next Basic request or NTLM handshake.
	LookupPassword(ctx context.Context, login string) (canonical, password string, ok bool)
}

// Config configures an Authenticator.
type Config struct {
	// Basic enables HTTP Basic authentication.
	Basic bool
	// NTLM enables NTLM, offered both as "NTLM" and as "Negotiate" (which
	// accepts raw NTLMSSP tokens).
	NTLM bool

	// Realm is the Basic realm. Empty means the host name of each request,
	// as IIS does.
	Realm string

	// NetBIOSDomain is the NetBIOS domain name (e.g. "CONTOSO"), required.
	// It is the NTLM target name and the domain bare user names belong to.
	NetBIOSDomain string
	// ServerName is the NetBIOS computer name (e.g. "EXCH01"), required
	// with NTLM.
	ServerName string
	// DNSDomain is the DNS domain name (e.g. "contoso.com"), optional. When
	// set, the NTLM target info also carries the DNS names, and
	// "contoso.com\alice" is accepted as "CONTOSO\alice".
	DNSDomain string

	// Accounts looks up passwords, required.
	Accounts Accounts

	// MaxDrainBytes bounds how much of an unauthenticated request body is
	// read and discarded so that the connection can be kept alive for the
	// next handshake leg (clients may send the whole SOAP body with every
	// leg). A larger body closes the connection. Zero means 64 MiB.
	MaxDrainBytes int64

	// Now is the clock for the NTLM challenge timestamp; nil means time.Now.
	Now func() time.Time
	// Rand is the source of NTLM server challenges; nil means crypto/rand.
	Rand io.Reader
}

// Identity is an authenticated caller.
type Identity struct {
	// User is the canonical identity returned by [Accounts.LookupPassword].
	User string
	// Login is the name looked up: a UPN or "DOMAIN\user".
	Login string
	// Method is [MethodBasic] or [MethodNTLM].
	Method string
	// Scheme is the HTTP authentication scheme the client used: "Basic",
	// "NTLM" or "Negotiate".
	Scheme string
}

// Authenticator authenticates HTTP requests. Create it with [New]; it is safe
// for concurrent use.
type Authenticator struct {
	cfg Config

	mu    sync.Mutex
	conns map[net.Conn]*connState
}

// New validates cfg and returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	switch {
	case !cfg.Basic && !cfg.NTLM:
		return nil, errors.New("httpauth: no authentication method enabled")
	case cfg.Accounts == nil:
		return nil, errors.New("httpauth: no accounts")
	case cfg.NetBIOSDomain == "":
		return nil, errors.New("httpauth: no NetBIOS domain")
	case cfg.NTLM && cfg.ServerName == "":
		return nil, errors.New("httpauth: NTLM needs a server name")
	case cfg.MaxDrainBytes < 0:
		return nil, errors.New("httpauth: negative MaxDrainBytes")
	}
	if cfg.MaxDrainBytes == 0 {
		cfg.MaxDrainBytes = 64 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Authenticator{cfg: cfg, conns: make(map[net.Conn]*connState)}, nil
}

type identityKey struct{}

// IdentityFrom returns the identity [Authenticator.Wrap] put in the request
// context.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// Wrap returns a handler that passes authenticated requests to next, with the
// [Identity] in their context, and answers the others with 401.
//
// A request with an Authorization header is judged on that header alone. A
// request without one is authenticated only if it arrives on a connection
// that completed an NTLM handshake.
func (a *Authenticator) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}

// authenticate returns the caller's identity, or answers the request itself
// and returns false.
func (a *Authenticator) authenticate(w http.ResponseWriter, r *http.Request) (Identity, bool) {
	cs := a.connFrom(r.Context())
	header := r.Header.Get("Authorization")
	if header == "" {
		if cs != nil && r.ProtoMajor == 1 {
			if id, ok := cs.boundIdentity(); ok {
				return id, true
			}
		}
		a.unauthorized(w, r)
		return Identity{}, false
	}

	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	switch {
	case strings.EqualFold(scheme, "Basic") && a.cfg.Basic:
		if id, ok := a.basic(r.Context(), token); ok {
			return id, true
		}
	case (strings.EqualFold(scheme, "NTLM") || strings.EqualFold(scheme, "Negotiate")) && a.cfg.NTLM:
		return a.ntlm(w, r, cs, canonicalScheme(scheme), token)
	}
	a.unauthorized(w, r)
	return Identity{}, false
}

func canonicalScheme(s string) string {
	if strings.EqualFold(s, "Negotiate") {
		return "Negotiate"
	}
	return "NTLM"
}

// unauthorized sends the final 401 that offers every enabled scheme. A wrong
// password, an unknown user and a missing header all look the same.
func (a *Authenticator) unauthorized(w http.ResponseWriter, r *http.Request) {
	a.drain(r)
	h := w.Header()
	if a.cfg.NTLM {
		h.Add("WWW-Authenticate", "Negotiate")
		h.Add("WWW-Authenticate", "NTLM")
	}
	if a.cfg.Basic {
		h.Add("WWW-Authenticate", `Basic realm="`+quote(a.realm(r))+`"`)
	}
	writeEmpty(w, http.StatusUnauthorized)
}

// drain reads and discards what is left of the request body, up to
// MaxDrainBytes, so that the server can keep the connection alive. It must
// run before the response header is written.
func (a *Authenticator) drain(r *http.Request) {
	if r.Body != nil {
		_, _ = io.CopyN(io.Discard, r.Body, a.cfg.MaxDrainBytes)
	}
}

func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

func (a *Authenticator) realm(r *http.Request) string {
	if a.cfg.Realm != "" {
		return a.cfg.Realm
	}
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		return host
	}
	return r.Host
}

// quote escapes s for a quoted-string (RFC 9110 5.6.4).
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// loginName maps a user name, with the domain the client gave separately
// (NTLM) or none (Basic, where it may be inside user), to the name passed to
// [Accounts.LookupPassword]. It fails for a foreign domain or an empty name.
func (a *Authenticator) loginName(domain, user string) (string, bool) {
	if domain == "" {
		if d, u, ok := strings.Cut(user, `\`); ok {
			domain, user = d, u
		}
	}
	switch {
	case user == "":
		return "", false
	case strings.Contains(user, "@"):
		// A UPN names its domain itself; clients send it with an empty
		// domain field, and a stray domain changes nothing.
		return user, true
	case domain == "",
		strings.EqualFold(domain, a.cfg.NetBIOSDomain),
		a.cfg.DNSDomain != "" && strings.EqualFold(domain, a.cfg.DNSDomain):
		return a.cfg.NetBIOSDomain + `\` + user, true
	}
	return "", false
}
