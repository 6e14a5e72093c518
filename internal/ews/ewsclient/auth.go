package ewsclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
)

// Authenticator puts credentials on EWS requests. Basic and NTLM are provided. Another
// scheme, such as an OAuth bearer token source for Exchange Online, implements it by
// returning from Transport a RoundTripper that sets "Authorization: Bearer <token>" on
// a clone of each request and sends it through newBase(TransportOptions{}).
type Authenticator interface {
	// Scheme names the HTTP authentication scheme as WWW-Authenticate spells it
	// ("Basic", "NTLM", "Bearer"); AuthError uses it to tell whether the server offers it.
	Scheme() string
	// Transport returns the RoundTripper that sends authenticated requests. newBase
	// returns a new base transport (TLS, dialing, tracing, proxy) each time it is called:
	// schemes that authenticate each request call it once and wrap the result;
	// connection-bound schemes (NTLM) call it once per connection they keep.
	//
	// The RoundTripper receives requests with replayable bodies (GetBody set) and without
	// an Authorization header. It returns a final 401 to the client as is: the client
	// turns it into an *AuthError and never retries it.
	Transport(newBase func(TransportOptions) http.RoundTripper) http.RoundTripper
}

// SecretHolder is implemented by Authenticators that hold secrets: a password, a token.
// The client removes every one of them from wire traces and from the error text it
// builds from the server's answers (an error page may echo the request's credentials),
// replacing each with "[redacted]". Basic and NTLM implement it; a custom Authenticator,
// such as an OAuth bearer token source, should too, or its token may show in traces and
// errors.
type SecretHolder interface {
	// Secrets returns the secrets to hide, in every form they travel in (for Basic: the
	// password and the base64 token). It is called again for each text redacted, so a
	// token source returns its current token(s). Empty strings are ignored.
	Secrets() []string
}

// TransportOptions say what an Authenticator needs from a base transport.
type TransportOptions struct {
	// HTTP1 disables HTTP/2. Connection-bound schemes need it: IIS refuses Windows
	// authentication over HTTP/2, and one HTTP/2 connection carries many requests.
	HTTP1 bool
	// SingleConn asks for a transport that keeps at most one idle connection, so that
	// requests sent one after another travel on the same connection while it stays open.
	SingleConn bool
	// OnDial, if not nil, is called each time the transport opens a new connection. It is
	// not called when Options.Transport replaces the client's own transports.
	OnDial func()
}

// ErrNoHandshake is returned by Client.Handshake when the credentials cannot be verified
// without sending an operation: the scheme has no handshake of its own (Basic, bearer
// tokens: the first operation verifies them), or the server answered without running
// one.
var ErrNoHandshake = errors.New("ewsclient: handshake: the credentials were not verified")

// Handshake verifies the credentials without sending an operation, for a scheme bound
// to connections (NTLM): it runs the handshake on an empty request, which Exchange
// answers (with an error) once it has signed the connection in, and keeps that
// connection for the next call. Callers use it to learn that the credentials work
// before sending many requests at once: each request with a wrong password counts
// towards locking the account out.
//
// It returns nil when the server accepted the credentials; an *AuthError when it
// refused them (one failed logon, as a call would have cost; never retry it); the
// transport's error (network, TLS); or ErrNoHandshake, having sent nothing for Basic and
// other per-request schemes, or when the server answered without signing the connection
// in.
func (c *Client) Handshake(ctx context.Context) error {
	if _, ok := c.auth.(interface{ connectionBound() }); !ok {
		return ErrNoHandshake
	}
	var ok atomic.Bool
	req, err := http.NewRequestWithContext(context.WithValue(ctx, signedInKey{}, &ok), http.MethodPost, c.endpoint, http.NoBody)
	if err != nil {
		return fmt.Errorf("ewsclient: handshake: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("ewsclient: handshake: %w", err)
	}
	defer closeBody(resp)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("ewsclient: handshake: %w", c.authError(resp))
	case ok.Load():
		return nil
	}
	return ErrNoHandshake
}

// Basic returns an Authenticator for HTTP Basic authentication, sent with every
// request. user may be a UPN (svc@contoso.com) or DOMAIN\user. Use it over TLS only:
// Basic sends the password in every request.
func Basic(user, password string) Authenticator {
	return &basicAuth{user: user, password: password}
}

type basicAuth struct {
	user, password string
}

func (a *basicAuth) Scheme() string { return "Basic" }

// Username returns the account name, for error messages.
func (a *basicAuth) Username() string { return a.user }

// String keeps the password out of formatted output.
func (a *basicAuth) String() string   { return "Basic(" + a.user + ")" }
func (a *basicAuth) GoString() string { return a.String() }

func (a *basicAuth) token() string {
	return base64.StdEncoding.EncodeToString([]byte(a.user + ":" + a.password))
}

// Secrets lists what must never appear in traces and error text (SecretHolder).
func (a *basicAuth) Secrets() []string {
	return []string{a.password, a.token(), a.user + ":" + a.password}
}

func (a *basicAuth) Transport(newBase func(TransportOptions) http.RoundTripper) http.RoundTripper {
	return &headerTransport{base: newBase(TransportOptions{}), value: "Basic " + a.token()}
}

// headerTransport sets the Authorization header on every request.
type headerTransport struct {
	base  http.RoundTripper
	value string
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", t.value)
	return t.base.RoundTrip(r)
}

func (t *headerTransport) CloseIdleConnections() { closeIdle(t.base) }

// closeIdle closes the idle connections of rt, if it keeps any.
func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// offeredSchemes returns the schemes of the WWW-Authenticate challenges in h, in order,
// without their parameters or tokens. A header may hold several challenges separated by
// commas; auth-params (name=value) and quoted strings are skipped.
func offeredSchemes(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Www-Authenticate") {
		for _, part := range splitOutsideQuotes(v) {
			part = strings.TrimSpace(part)
			scheme, _, _ := strings.Cut(part, " ")
			if scheme == "" || strings.ContainsAny(scheme, `="`) {
				continue // an auth-param of the previous challenge
			}
			out = append(out, scheme)
		}
	}
	return out
}

// splitOutsideQuotes splits s at commas that are not inside a quoted string.
func splitOutsideQuotes(s string) []string {
	var parts []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
