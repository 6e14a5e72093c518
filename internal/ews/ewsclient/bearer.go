package ewsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// ErrEWSDisabled is what an *HTTPError unwraps to when Exchange Online refuses an
// authenticated bearer request with 403: EWS is switched off for the organization (its
// EWSEnabled setting), the mailbox or the app. Exchange Online turns EWS off by default
// from 1 October 2026 and for good on 1 April 2027: Microsoft Graph is the way on.
var ErrEWSDisabled = errors.New("EWS is disabled for this organization, mailbox or application (Exchange Online): use Microsoft Graph (Microsoft 365 app-only access)")

// TokenSource gives OAuth access tokens for EWS (scope
// https://outlook.office365.com/.default); *entra.TokenSource implements it. When it also
// has an Invalidate method, a 401 drops the cached token and the request is sent once more
// with a new one.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// Bearer returns an Authenticator for OAuth bearer tokens, as Exchange Online requires
// (app-only tokens with full_access_as_app; calls must impersonate the mailbox they act
// on). Tokens are asked of tokens for each request (it caches them).
func Bearer(tokens TokenSource) Authenticator {
	return &bearerAuth{tokens: tokens}
}

type bearerAuth struct {
	tokens TokenSource

	mu   sync.Mutex
	seen []string // the last tokens sent, to redact
}

func (a *bearerAuth) Scheme() string { return "Bearer" }

// String keeps tokens out of formatted output.
func (a *bearerAuth) String() string   { return "Bearer" }
func (a *bearerAuth) GoString() string { return a.String() }

// Secrets lists the tokens recently sent (SecretHolder).
func (a *bearerAuth) Secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

func (a *bearerAuth) token(ctx context.Context) (string, error) {
	tok, err := a.tokens.AccessToken(ctx)
	if err != nil {
		return "", fmt.Errorf("ewsclient: bearer token: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) == 0 || a.seen[len(a.seen)-1] != tok {
		a.seen = append(a.seen, tok)
		if len(a.seen) > 2 {
			a.seen = a.seen[len(a.seen)-2:]
		}
	}
	return tok, nil
}

func (a *bearerAuth) Transport(newBase func(TransportOptions) http.RoundTripper) http.RoundTripper {
	return &bearerTransport{base: newBase(TransportOptions{}), auth: a}
}

// bearerTransport sets the bearer token on every request, and on a 401 drops the cached
// token and sends the request once more (an expired or revoked token).
type bearerTransport struct {
	base http.RoundTripper
	auth *bearerAuth
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	send := func() (*http.Response, error) {
		tok, err := t.auth.token(req.Context())
		if err != nil {
			return nil, err
		}
		r := req.Clone(req.Context())
		if req.GetBody != nil {
			if r.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		return t.base.RoundTrip(r)
	}
	resp, err := send()
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	inv, ok := t.auth.tokens.(interface{ Invalidate() })
	if !ok || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	inv.Invalidate()
	return send()
}

func (t *bearerTransport) CloseIdleConnections() { closeIdle(t.base) }
