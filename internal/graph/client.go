package graph

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultBaseURL                 = "https://graph.microsoft.com/v1.0"
	DefaultMaxRetries              = 3
	DefaultRetryBaseDelay          = time.Second
	DefaultMaxRetryWait            = 2 * time.Minute
	DefaultMaxResponseBytes        = 32 << 20
	DefaultMaxConcurrentPerMailbox = 4
	DefaultUserAgent               = "mailbridge-graph/1"
)

// TokenSource gives the bearer token of each request. *entra.TokenSource implements it;
// when it also has an Invalidate method, a 401 drops the cached token and the request
// is sent once more with a new one.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// Observer hears of a client's requests, for metrics. Its methods must be quick and safe
// for concurrent use.
type Observer interface {
	// Request reports one HTTP request of an operation: its status (0 when no answer
	// came: refused, reset, timeout, TLS) and how long it took.
	Request(op string, status int, d time.Duration)
	// ThrottleWait reports a wait before a request: the Retry-After of a throttled
	// answer, or the client's own budget.
	ThrottleWait(op string, d time.Duration)
}

// Options configure a Client. The zero value talks to DefaultBaseURL with the system's
// CAs, 4 concurrent requests per mailbox, 3 retries, no budget.
type Options struct {
	// BaseURL is the service root including the version: DefaultBaseURL, a national
	// cloud's, or a simulator's.
	BaseURL string
	// UserAgent is sent with every request; default DefaultUserAgent.
	UserAgent string

	// MaxRetries bounds the retries of a throttled request (429, 503, 504): 0 means
	// DefaultMaxRetries, a negative value none.
	MaxRetries int
	// RetryBaseDelay is the first wait of the exponential back-off used when the server
	// names no Retry-After; default DefaultRetryBaseDelay.
	RetryBaseDelay time.Duration
	// MaxRetryWait is the longest wait before one retry; when the server asks for more,
	// the *Error is returned at once. Default DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// MaxConcurrentPerMailbox bounds the requests in flight per mailbox; default (and
	// Graph's limit) DefaultMaxConcurrentPerMailbox.
	MaxConcurrentPerMailbox int
	// Budget, if not nil, bounds the app's request rate per mailbox, as Graph counts it
	// (for example DefaultBudget).
	Budget *Budget
	// PageSize, if positive, is sent as Prefer: odata.maxpagesize on delta and list
	// requests.
	PageSize int
	// ImmutableIDs asks for ids that do not change when an item moves between folders
	// (Prefer: IdType="ImmutableId").
	ImmutableIDs bool

	// MaxResponseBytes bounds an answer; default DefaultMaxResponseBytes.
	MaxResponseBytes int64

	// RootCAs replaces the system's certificate authorities when not nil.
	RootCAs *x509.CertPool
	// DialContext, if not nil, opens every connection (netguard's address policy, host
	// overrides).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Transport, if not nil, replaces the client's own (RootCAs and DialContext then do
	// not apply).
	Transport http.RoundTripper

	// Observer, if not nil, hears of every request and wait.
	Observer Observer
	// Now is the clock (Retry-After dates, the budget); default time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for the jitter of the exponential back-off;
	// default math/rand/v2.
	Rand func() float64
}

// Client is a Microsoft Graph client for one app in one tenant. It is safe for
// concurrent use.
type Client struct {
	base   *url.URL
	tokens TokenSource
	opts   Options
	http   *http.Client
	mboxes *mailboxLimiter
	budget *mailboxBudgets
}

// New returns a client authenticating with tokens (an app-only token source for the
// Graph scope).
func New(tokens TokenSource, opts Options) (*Client, error) {
	if tokens == nil {
		return nil, errors.New("graph: no TokenSource")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	switch {
	case err != nil:
		return nil, fmt.Errorf("graph: base URL: %w", err)
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return nil, fmt.Errorf("graph: base URL %q: not an http(s) URL", u.Redacted())
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("graph: base URL %q: only a scheme, host and path are allowed", u.Redacted())
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.RetryBaseDelay <= 0 {
		opts.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = DefaultMaxRetryWait
	}
	if opts.MaxConcurrentPerMailbox <= 0 {
		opts.MaxConcurrentPerMailbox = DefaultMaxConcurrentPerMailbox
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Transport != nil && (opts.RootCAs != nil || opts.DialContext != nil) {
		return nil, errors.New("graph: Options.Transport excludes RootCAs and DialContext")
	}
	c := &Client{base: u, tokens: tokens, opts: opts, mboxes: newMailboxLimiter(opts.MaxConcurrentPerMailbox)}
	if opts.Budget != nil {
		if c.budget, err = newMailboxBudgets(*opts.Budget, opts.Now); err != nil {
			return nil, err
		}
	}
	rt := opts.Transport
	if rt == nil {
		dial := opts.DialContext
		if dial == nil {
			dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if opts.RootCAs != nil {
			cfg.RootCAs = opts.RootCAs.Clone()
		}
		rt = &http.Transport{
			DialContext:           dial,
			TLSClientConfig:       cfg,
			TLSHandshakeTimeout:   10 * time.Second,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	// Graph does not redirect API calls; a redirect must not carry the token elsewhere.
	c.http = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c, nil
}

// WithPageSize returns a client like c whose delta and list requests ask for pages of
// n entries (Prefer: odata.maxpagesize; n ≤ 0: Options.PageSize). It shares c's
// connections, token, concurrency limits and budget, so a caller can size each call's
// pages (the sync engine's page size) without a client of its own.
func (c *Client) WithPageSize(n int) *Client {
	if n <= 0 || n == c.opts.PageSize {
		return c
	}
	cp := *c
	cp.opts.PageSize = n
	return &cp
}

// CloseIdleConnections closes the connections not in use.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// call is one operation's request.
type call struct {
	op      string // for the Observer: "users.list", "messages.delta", …
	mailbox string // the mailbox whose concurrency slot it takes; "" for none
	method  string
	url     string // absolute
	body    []byte // JSON, or nil
	prefer  []string
	cost    int // budget units (requests inside a $batch count each); default 1
}

// path returns the absolute URL of p, an escaped path below the base URL, with a
// query.
func (c *Client) path(p string, q url.Values) string {
	s := c.base.Scheme + "://" + c.base.Host + c.base.EscapedPath() + p
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// seg escapes one path segment (a user, a folder id).
func seg(s string) string { return "/" + url.PathEscape(s) }

// checkLink accepts a nextLink or deltaLink only on the base URL's scheme and host.
func (c *Client) checkLink(link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("graph: link: %w", err)
	}
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) || u.User != nil {
		return fmt.Errorf("%w: %s://%s is not %s://%s", ErrForeignLink, u.Scheme, u.Host, c.base.Scheme, c.base.Host)
	}
	return nil
}

// prefer returns the Prefer values of list and delta requests.
func (c *Client) prefer() []string {
	var p []string
	if c.opts.PageSize > 0 {
		p = append(p, fmt.Sprintf("odata.maxpagesize=%d", c.opts.PageSize))
	}
	if c.opts.ImmutableIDs {
		p = append(p, `IdType="ImmutableId"`)
	}
	return p
}

// do sends a call, retrying throttled answers, and decodes a 2xx answer's JSON into
// out (when not nil).
func (c *Client) do(ctx context.Context, cl call, out any) error {
	if cl.cost <= 0 {
		cl.cost = 1
	}
	reauthed := false
	for n := 1; ; n++ {
		status, h, body, tok, err := c.attempt(ctx, cl)
		if err != nil {
			return fmt.Errorf("graph: %s: %w", cl.op, err)
		}
		if status >= 200 && status < 300 {
			if out == nil || len(bytes.TrimSpace(body)) == 0 {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("graph: %s: decode: %w", cl.op, err)
			}
			return nil
		}
		e := newError(status, h, body, c.opts.Now())
		e.Attempts = n
		// An error page may echo the request's headers: never let the token out.
		e.Message, e.Body = redact(e.Message, tok), redact(e.Body, tok)
		if status == http.StatusUnauthorized && !reauthed {
			// An expired or revoked token: drop it and try once more with a new one.
			if inv, ok := c.tokens.(interface{ Invalidate() }); ok {
				inv.Invalidate()
				reauthed = true
				n--
				continue
			}
		}
		if !retryable(status) || n > c.opts.MaxRetries {
			return e
		}
		wait, named := retryAfter(h, c.opts.Now())
		if !named {
			wait = c.backOff(n)
		}
		if wait > c.opts.MaxRetryWait {
			return e
		}
		if err := c.wait(ctx, cl.op, wait); err != nil {
			return fmt.Errorf("%w while waiting %v to retry: %w", err, wait, e)
		}
	}
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// backOff is RetryBaseDelay·2^(n-1) plus up to 20 % jitter, at most MaxRetryWait.
func (c *Client) backOff(n int) time.Duration {
	d := c.opts.RetryBaseDelay
	for i := 1; i < n && d < c.opts.MaxRetryWait; i++ {
		d *= 2
	}
	d += time.Duration(c.opts.Rand() * float64(d) / 5)
	return min(d, c.opts.MaxRetryWait)
}

// wait sleeps d unless ctx ends first, or would end before d: then it returns at once.
func (c *Client) wait(ctx context.Context, op string, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok && c.opts.Now().Add(d).After(dl) {
		return context.DeadlineExceeded
	}
	if obs := c.opts.Observer; obs != nil {
		obs.ThrottleWait(op, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt sends one request and reads its answer in full (bounded), holding the
// mailbox's concurrency slot and a unit of the budget.
func (c *Client) attempt(ctx context.Context, cl call) (status int, h http.Header, body []byte, tok string, err error) {
	if c.budget != nil {
		if err := c.budget.take(ctx, cl.mailbox, cl.cost, func(d time.Duration) {
			if obs := c.opts.Observer; obs != nil {
				obs.ThrottleWait(cl.op, d)
			}
		}); err != nil {
			return 0, nil, nil, "", err
		}
	}
	release, err := c.mboxes.acquire(ctx, cl.mailbox)
	if err != nil {
		return 0, nil, nil, "", err
	}
	defer release()
	tok, err = c.tokens.AccessToken(ctx)
	if err != nil {
		return 0, nil, nil, "", fmt.Errorf("token: %w", err)
	}
	var rd io.Reader
	if cl.body != nil {
		rd = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, rd)
	if err != nil {
		return 0, nil, nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, p := range cl.prefer {
		req.Header.Add("Prefer", p)
	}
	start := c.opts.Now()
	defer func() {
		if obs := c.opts.Observer; obs != nil {
			obs.Request(cl.op, status, c.opts.Now().Sub(start))
		}
	}()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, "", redactToken(err, tok)
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.opts.MaxResponseBytes {
		return resp.StatusCode, nil, nil, "", fmt.Errorf("%w: %d bytes announced (Options.MaxResponseBytes is %d)",
			ErrResponseTooLarge, resp.ContentLength, c.opts.MaxResponseBytes)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, nil, nil, "", err
	}
	if int64(len(body)) > c.opts.MaxResponseBytes {
		return resp.StatusCode, nil, nil, "", fmt.Errorf("%w: more than %d bytes (Options.MaxResponseBytes)", ErrResponseTooLarge, c.opts.MaxResponseBytes)
	}
	return resp.StatusCode, resp.Header, body, tok, nil
}

// redactToken removes the bearer token from a transport error's text (net/http never
// puts it there, but a proxy's or a custom transport's error might).
func redactToken(err error, tok string) error {
	if tok == "" || !strings.Contains(err.Error(), tok) {
		return err
	}
	return errors.New(redact(err.Error(), tok))
}

// redact removes the token from s.
func redact(s, tok string) string {
	if tok == "" {
		return s
	}
	return strings.ReplaceAll(s, tok, "[redacted]")
}
