package ewsclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Azure/go-ntlmssp"
)

// NTLM returns an Authenticator for NTLM (NTLMv2), as Exchange on-premises offers it
// through IIS Windows authentication. user may be DOMAIN\user or a UPN
// (svc@contoso.com).
//
// NTLM authenticates a TCP connection, not a request: after one three-leg handshake,
// later requests on the same keep-alive connection carry no credentials. The client
// therefore keeps each connection in its own HTTP/1.1 transport and hands it to one
// request at a time, so that the legs of a handshake never land on different
// connections, even under concurrency, and each connection is authenticated once.
//
// Not supported: Extended Protection (channel binding tokens), which Exchange 2019 CU14
// and later turn on by default for TLS connections; such a server answers 401.
func NTLM(user, password string) Authenticator {
	return &ntlmAuth{user: user, password: password}
}

type ntlmAuth struct {
	user, password string
}

func (a *ntlmAuth) Scheme() string { return "NTLM" }

// Username returns the account name, for error messages.
func (a *ntlmAuth) Username() string { return a.user }

// String keeps the password out of formatted output.
func (a *ntlmAuth) String() string   { return "NTLM(" + a.user + ")" }
func (a *ntlmAuth) GoString() string { return a.String() }

// Secrets lists what must never appear in traces and error text (SecretHolder).
func (a *ntlmAuth) Secrets() []string {
	return []string{a.password, base64.StdEncoding.EncodeToString([]byte(a.user + ":" + a.password)), a.user + ":" + a.password}
}

func (a *ntlmAuth) Transport(newBase func(TransportOptions) http.RoundTripper) http.RoundTripper {
	t := &ntlmTransport{auth: a, newBase: newBase, maxIdle: 64}
	t.scheme.Store("NTLM")
	return t
}

// ntlmTransport hands each request a connection of its own (an ntlmConn) for the whole
// exchange, handshake included.
type ntlmTransport struct {
	auth    *ntlmAuth
	newBase func(TransportOptions) http.RoundTripper
	maxIdle int
	// scheme is "NTLM", or "Negotiate" once a server turned out to offer only that
	// (IIS accepts raw NTLMSSP tokens inside Negotiate).
	scheme atomic.Value

	mu   sync.Mutex
	idle []*ntlmConn
}

// ntlmConn is one single-connection transport and its authentication state.
type ntlmConn struct {
	rt    http.RoundTripper
	dials atomic.Int64 // connections the transport has opened; only grows
	// ok says a handshake succeeded, when dials was authedAt: the connection is known
	// to be authenticated while no new one has been dialed. (With Options.Transport,
	// dials are not seen and stay 0: a 401 then reveals a new connection.) Only the
	// request holding the ntlmConn touches these.
	ok       bool
	authedAt int64
}

func (l *ntlmConn) isAuthed() bool { return l.ok && l.authedAt == l.dials.Load() }

func (t *ntlmTransport) get() *ntlmConn {
	t.mu.Lock()
	if n := len(t.idle); n > 0 {
		l := t.idle[n-1]
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		return l
	}
	t.mu.Unlock()
	l := &ntlmConn{}
	l.rt = t.newBase(TransportOptions{HTTP1: true, SingleConn: true, OnDial: func() { l.dials.Add(1) }})
	return l
}

func (t *ntlmTransport) put(l *ntlmConn) {
	t.mu.Lock()
	if len(t.idle) < t.maxIdle {
		t.idle = append(t.idle, l)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	closeIdle(l.rt)
}

// CloseIdleConnections closes every connection not in use.
func (t *ntlmTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, l := range idle {
		closeIdle(l.rt)
	}
}

func (t *ntlmTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	l := t.get()
	resp, err := t.roundTrip(l, req)
	if err != nil {
		t.put(l)
		return nil, err
	}
	// The connection is this request's until its body is closed.
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: func() { t.put(l) }}
	return resp, nil
}

func (t *ntlmTransport) roundTrip(l *ntlmConn, req *http.Request) (*http.Response, error) {
	first := true // req.Body has not been sent yet
	if l.isAuthed() {
		resp, err := l.rt.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			if err == nil {
				signedIn(req.Context())
			}
			return resp, err
		}
		// The server no longer knows this connection (it was replaced without a new
		// dial being seen, or the server forgot it): authenticate again.
		l.ok = false
		if !offersNTLM(resp.Header) {
			return resp, nil
		}
		drain(resp)
		first = false
	}
	// At most two handshakes: the second one only when the first could not complete
	// on one connection, or when the server wants Negotiate instead of NTLM. Neither
	// case has had credentials checked, so no failed logon is counted against the
	// account; a 401 after a completed handshake is final.
	for attempt := 0; ; attempt++ {
		resp, retry, err := t.handshake(l, req, first)
		first = false
		if !retry || attempt == 1 {
			return resp, err
		}
	}
}

// handshake runs NEGOTIATE (with an empty body) and AUTHENTICATE (with the request's
// body) on l, and returns the response to the AUTHENTICATE leg. retry reports a
// handshake that could not complete and may be repeated.
func (t *ntlmTransport) handshake(l *ntlmConn, req *http.Request, first bool) (resp *http.Response, retry bool, err error) {
	scheme := t.scheme.Load().(string)
	negotiate, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		return nil, false, fmt.Errorf("ntlm: negotiate message: %w", err)
	}
	nreq := req.Clone(req.Context())
	nreq.Body, nreq.ContentLength = http.NoBody, 0
	nreq.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	nreq.Header.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(negotiate))
	resp, err = l.rt.RoundTrip(nreq)
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		// The server served the empty NEGOTIATE leg itself: it needs no authentication.
		// Send the real request on the same connection.
		drain(resp)
		body, err := bodyOf(req, first)
		if err != nil {
			return nil, false, err
		}
		r := req.Clone(req.Context())
		r.Body = body
		resp, err = l.rt.RoundTrip(r)
		return resp, false, err
	}
	challenge, ok := ntlmChallenge(resp.Header, scheme)
	if !ok {
		if scheme == "NTLM" && offers(resp.Header, "Negotiate") && !offers(resp.Header, "NTLM") {
			t.scheme.Store("Negotiate")
			drain(resp)
			return nil, true, nil
		}
		return resp, false, nil // NTLM is not offered: the final 401
	}
	drain(resp)
	dials := l.dials.Load()
	authenticate, err := ntlmssp.NewAuthenticateMessage(challenge, t.auth.user, t.auth.password, nil)
	if err != nil {
		return nil, false, fmt.Errorf("ntlm: authenticate message: %w", err)
	}
	body, err := bodyOf(req, first)
	if err != nil {
		return nil, false, err
	}
	areq := req.Clone(req.Context())
	areq.Body = body
	areq.Header.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(authenticate))
	resp, err = l.rt.RoundTrip(areq)
	if err != nil {
		return nil, false, err
	}
	now := l.dials.Load()
	if resp.StatusCode == http.StatusUnauthorized {
		if now != dials {
			// AUTHENTICATE went out on a new connection, which had no challenge pending:
			// the server could not check the credentials.
			drain(resp)
			return nil, true, nil
		}
		return resp, false, nil
	}
	l.ok, l.authedAt = true, now
	signedIn(req.Context())
	return resp, false, nil
}

// connectionBound marks NTLM as a scheme with a handshake of its own (Client.Handshake).
func (a *ntlmAuth) connectionBound() {}

// signedInKey carries, in a request's context, the flag that Client.Handshake reads: set
// when the request went out on a connection the server had signed in.
type signedInKey struct{}

func signedIn(ctx context.Context) {
	if f, ok := ctx.Value(signedInKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}

// bodyOf returns a fresh copy of the request body for one more send.
func bodyOf(req *http.Request, first bool) (io.ReadCloser, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return http.NoBody, nil
	}
	if first {
		return req.Body, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("ntlm: the request body cannot be sent again (no GetBody)")
	}
	return req.GetBody()
}

// ntlmChallenge returns the CHALLENGE token of a WWW-Authenticate header for scheme.
func ntlmChallenge(h http.Header, scheme string) ([]byte, bool) {
	for _, v := range h.Values("Www-Authenticate") {
		s, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok || !strings.EqualFold(s, scheme) {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tok))
		if err == nil && len(b) > 0 {
			return b, true
		}
	}
	return nil, false
}

func offers(h http.Header, scheme string) bool {
	for _, s := range offeredSchemes(h) {
		if strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}

func offersNTLM(h http.Header) bool { return offers(h, "NTLM") || offers(h, "Negotiate") }

// drain reads a little of what is left of a response body and closes it, so that the
// connection can carry the next leg.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// releaseBody calls release once, when the body is closed.
type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}
