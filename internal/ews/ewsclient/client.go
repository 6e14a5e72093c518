package ewsclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Defaults of Options.
const (
	DefaultServerVersion    = "Exchange2016"
	DefaultMaxRetries       = 3
	DefaultRetryBaseDelay   = time.Second
	DefaultMaxRetryWait     = 2 * time.Minute
	DefaultMaxResponseBytes = 64 << 20
	DefaultUserAgent        = "mailbridge-ewsclient/1"
)

// Options configure a Client. The zero value is usable: Exchange2016, 3 retries, 64 MiB
// responses, the system's CAs.
type Options struct {
	// ServerVersion is the RequestServerVersion of every request: DefaultServerVersion
	// ("Exchange2016"), or for example "Exchange2013_SP1" for older servers.
	ServerVersion string
	// UserAgent is sent with every request (Exchange logs it); default DefaultUserAgent.
	UserAgent string

	// MaxRetries bounds the retries of a throttled request (ErrorServerBusy,
	// ErrorExceededConnectionCount, HTTP 503): 0 means DefaultMaxRetries, a negative
	// value none. A 401 is never retried.
	MaxRetries int
	// RetryBaseDelay is the first wait of the exponential back-off (doubled at each
	// retry); the client waits the longer of it and what the server asked for, plus up
	// to 20 % jitter. Default DefaultRetryBaseDelay.
	RetryBaseDelay time.Duration
	// MaxRetryWait is the longest the client waits before one retry; when the server asks
	// for more, the *ThrottledError is returned at once, for the caller to reschedule.
	// Default DefaultMaxRetryWait.
	MaxRetryWait time.Duration

	// MaxResponseBytes bounds a response (for GetStreamingEvents: each envelope);
	// beyond it the call fails with ErrResponseTooLarge. Default DefaultMaxResponseBytes.
	MaxResponseBytes int64

	// Trace, if not nil, receives a wire trace of every HTTP exchange (NTLM handshake
	// legs included) with Authorization headers, NTLM tokens, cookies and the
	// Authenticator's password redacted. For debugging only: it shows mailbox content.
	Trace io.Writer

	// RootCAs replaces the system's certificate authorities when not nil.
	RootCAs *x509.CertPool
	// CAFile names a PEM file of extra certificate authorities, added to RootCAs (or to
	// the system's).
	CAFile string
	// InsecureSkipVerify accepts any server certificate. Never set it by default: it
	// exposes the service account's credentials to anyone on the path.
	InsecureSkipVerify bool
	// DialContext, if not nil, opens every connection (host overrides such as curl's
	// --resolve, address policies that keep admins' URLs off the internal network).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Proxy chooses an HTTP proxy per request; nil means none. NTLM through a proxy
	// works for https URLs only (the proxy tunnels the connection).
	Proxy func(*http.Request) (*url.URL, error)
	// Transport, if not nil, replaces the client's own transports (for tests). TLS and
	// dial options do not apply to it, and NTLM cannot tell its connections apart: a
	// handshake may then be repeated when a request lands on another connection.
	Transport http.RoundTripper

	// Now is the clock (Retry-After dates, deadlines); default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends, returning ctx.Err() then; default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observer, if not nil, hears of every request and every throttling wait (metrics).
	Observer Observer
	// Rand returns a random number in [0, 1) for the jitter; default math/rand/v2.
	Rand func() float64
}

// Client is an EWS client for one endpoint and one set of credentials. It is safe for
// concurrent use. Every operation takes the mailbox it acts on: the impersonated
// mailbox's primary SMTP address (sent in the ExchangeImpersonation header and in
// X-AnchorMailbox), or "" to act as the authenticated account itself.
type Client struct {
	endpoint string
	auth     Authenticator
	opts     Options
	tls      *tls.Config
	tracer   *tracer
	rt       http.RoundTripper
	version  atomic.Pointer[ews.ServerVersionInfo]
}

// New returns a client of the EWS endpoint (such as
// https://mail.contoso.com/EWS/Exchange.asmx) authenticating with auth.
func New(endpoint string, auth Authenticator, opts Options) (*Client, error) {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return nil, fmt.Errorf("ewsclient: endpoint: %w", err)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("ewsclient: endpoint %q: the scheme must be https (or http)", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("ewsclient: endpoint %q: no host", u.Redacted())
	case u.User != nil:
		return nil, errors.New("ewsclient: endpoint: credentials in the URL are not allowed; pass an Authenticator")
	case auth == nil:
		return nil, errors.New("ewsclient: no Authenticator")
	}
	if opts.ServerVersion == "" {
		opts.ServerVersion = DefaultServerVersion
	}
	if !ews.ValidRequestVersion(opts.ServerVersion) {
		return nil, fmt.Errorf("ewsclient: %q is not a RequestServerVersion", opts.ServerVersion)
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
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.Transport != nil && (opts.RootCAs != nil || opts.CAFile != "" || opts.InsecureSkipVerify || opts.DialContext != nil || opts.Proxy != nil) {
		return nil, errors.New("ewsclient: Options.Transport excludes the TLS, dial and proxy options")
	}
	c := &Client{endpoint: u.String(), auth: auth, opts: opts}
	if c.tls, err = tlsConfig(&opts); err != nil {
		return nil, fmt.Errorf("ewsclient: %w", err)
	}
	if opts.Trace != nil {
		c.tracer = newTracer(opts.Trace, c.redact)
	}
	c.rt = auth.Transport(c.newBase)
	return c, nil
}

// ServerVersion returns the ServerVersionInfo of the latest response that carried one,
// or nil before any.
func (c *Client) ServerVersion() *ews.ServerVersionInfo { return c.version.Load() }

// CloseIdleConnections closes the connections not in use.
func (c *Client) CloseIdleConnections() { closeIdle(c.rt) }

// Observer hears of a client's requests, for metrics. Its methods must be quick and safe
// for concurrent use.
type Observer interface {
	// Request reports one attempt of an operation: how it ended (ResultCode) and how long
	// it took.
	Request(op, result string, d time.Duration)
	// ThrottleWait reports a wait before retrying a throttled attempt.
	ThrottleWait(op string, d time.Duration)
}

// ResultCode names how an attempt ended, for metrics: "NoError", the EWS response code
// of a fault or single response message (e.g. "ErrorServerBusy"), "HTTP401" and other
// "HTTP<status>" answers, or "transport" (no answer: refused, reset, timeout, TLS).
func ResultCode(err error) string {
	if err == nil {
		return "NoError"
	}
	var ae *AuthError
	var he *HTTPError
	var te *ThrottledError
	switch {
	case errors.As(err, &ae):
		return "HTTP401"
	case errors.As(err, &te) && te.Code == "":
		return fmt.Sprintf("HTTP%d", te.HTTPStatus)
	case ews.Code(err) != "":
		return ews.Code(err)
	case errors.As(err, &he):
		return fmt.Sprintf("HTTP%d", he.Status)
	}
	return "transport"
}

// op describes one operation for call.
type op[Resp any] struct {
	name string // ews.Op…
	// idempotent operations may be resent by net/http when a kept-alive connection
	// turns out to be closed.
	idempotent bool
	// single, for operations answered by one response message, returns it; its error
	// is then the call's error. nil for batch operations, whose messages the caller
	// inspects.
	single func(*Resp) (*ews.ResponseMessage, bool)
}

// call sends one operation, retrying throttled attempts, and decodes its response.
func call[Req, Resp any](ctx context.Context, c *Client, mailbox string, o op[Resp], req *Req) (*Resp, error) {
	if req == nil {
		req = new(Req)
	}
	body, err := c.encode(mailbox, o.name, req)
	if err != nil {
		return nil, fmt.Errorf("ewsclient: %s: %w", o.name, err)
	}
	var out *Resp
	err = c.retry(ctx, o.name, func() (err error) {
		if obs := c.opts.Observer; obs != nil {
			start := c.opts.Now()
			defer func() { obs.Request(o.name, ResultCode(err), c.opts.Now().Sub(start)) }()
		}
		resp, err := c.send(ctx, mailbox, o.name, body, o.idempotent)
		if err != nil {
			return err
		}
		defer closeBody(resp)
		r := new(Resp)
		if err := c.decode(resp, o.name, r, newLimitReader(resp.Body, c.opts.MaxResponseBytes)); err != nil {
			return err
		}
		if o.single != nil {
			m, ok := o.single(r)
			if !ok {
				return errors.New("the response has no response message")
			}
			if err := m.Err(); err != nil {
				if t := throttled(err, resp.StatusCode); t != nil {
					return t
				}
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ewsclient: %s: %w", o.name, err)
	}
	return out, nil
}

// first returns the first of a response's messages, for op.single.
func first[M any](msgs []M, rm func(*M) *ews.ResponseMessage) (*ews.ResponseMessage, bool) {
	if len(msgs) == 0 {
		return nil, false
	}
	return rm(&msgs[0]), true
}

// encode writes the request envelope.
func (c *Client) encode(mailbox, op string, req any) ([]byte, error) {
	h := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: c.opts.ServerVersion}}
	if mailbox != "" {
		h.ExchangeImpersonation = ews.Impersonate(mailbox)
	}
	var buf bytes.Buffer
	if err := ews.EncodeRequest(&buf, h, op, req); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// send posts one request. It returns the response for HTTP 200 and 500 (a SOAP answer
// to decode) and an error for anything else: *AuthError, *ThrottledError (503),
// *HTTPError, or the transport's error.
func (c *Client) send(ctx context.Context, mailbox, op string, body []byte, idempotent bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("Accept", "text/xml")
	h.Set("SOAPAction", `"`+ews.NSMessages+"/"+strings.TrimSuffix(op, "Request")+`"`)
	h.Set("User-Agent", c.opts.UserAgent)
	if mailbox != "" {
		h.Set("X-AnchorMailbox", mailbox)
	}
	if idempotent {
		// Lets net/http resend the request on a fresh connection when a kept-alive one
		// turns out to be closed; a nil value is not sent.
		h["Idempotency-Key"] = nil
	}
	aff := applyAffinity(req)
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	learnAffinity(aff, resp)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusInternalServerError:
		return resp, nil
	case http.StatusUnauthorized:
		defer closeBody(resp)
		return nil, c.authError(resp)
	case http.StatusServiceUnavailable:
		he := c.httpError(resp)
		return nil, &ThrottledError{HTTPStatus: resp.StatusCode, BackOff: c.retryAfter(resp.Header), Err: he}
	}
	return nil, c.httpError(resp)
}

// authError describes a final 401.
func (c *Client) authError(resp *http.Response) *AuthError {
	e := &AuthError{Scheme: c.auth.Scheme(), Offered: offeredSchemes(resp.Header)}
	if u, ok := c.auth.(interface{ Username() string }); ok {
		e.User = u.Username()
	}
	return e
}

// httpError reads the start of an unexpected answer and closes it.
func (c *Client) httpError(resp *http.Response) *HTTPError {
	defer closeBody(resp)
	e := &HTTPError{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		EWSDisabled: resp.StatusCode == http.StatusForbidden && c.auth.Scheme() == "Bearer"}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Location = resp.Header.Get("Location")
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	e.Body = c.redact(strings.TrimSpace(strings.ToValidUTF8(string(snippet), "?")))
	return e
}

// redact removes the Authenticator's secrets (SecretHolder) from s. The secrets are
// asked for each time, so that a token source's current token is the one removed.
func (c *Client) redact(s string) string {
	if r := newRedactor(c.auth); r != nil {
		return r.Replace(s)
	}
	return s
}

// retryAfter parses Retry-After: seconds or an HTTP date.
func (c *Client) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(c.opts.Now()))
	}
	return 0
}

// decode reads a SOAP answer (HTTP 200 or 500) into into. A fault becomes a
// *ews.ResponseError, or a *ThrottledError for the throttling codes.
func (c *Client) decode(resp *http.Response, op string, into any, body *limitReader) error {
	if resp.ContentLength > c.opts.MaxResponseBytes {
		return fmt.Errorf("%w: %d bytes announced (Options.MaxResponseBytes is %d)", ErrResponseTooLarge, resp.ContentLength, c.opts.MaxResponseBytes)
	}
	if !isXML(resp.Header.Get("Content-Type")) {
		return c.httpError(resp)
	}
	head := &headRecorder{r: body}
	v, err := ews.DecodeResponse(head, ews.ResponseName(op), into)
	if v != nil {
		c.version.Store(v)
	}
	if err != nil {
		if t := throttled(err, resp.StatusCode); t != nil {
			return t
		}
		var se *ews.SchemaError
		if resp.StatusCode != http.StatusOK && errors.As(err, &se) {
			// Not a SOAP fault: some other server's error page.
			return &HTTPError{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
				Body: c.redact(strings.TrimSpace(strings.ToValidUTF8(head.String(), "?")))}
		}
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &HTTPError{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
			Body: "a SOAP response without a fault"}
	}
	return nil
}

// isXML accepts the content types a SOAP answer comes with, and none at all.
func isXML(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/xml" || mt == "application/xml" || strings.HasSuffix(mt, "+xml"))
}

// headRecorder keeps the first bytes read through it, for error messages.
type headRecorder struct {
	r    io.Reader
	head []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if rest := 512 - len(h.head); rest > 0 && n > 0 {
		h.head = append(h.head, p[:min(n, rest)]...)
	}
	return n, err
}

func (h *headRecorder) String() string { return string(h.head) }

// closeBody drains a little of what is left, so that the connection can be reused,
// and closes the body.
func closeBody(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// retry runs attempt until it succeeds, fails with something other than a
// *ThrottledError, or the retries are used up. Between attempts it waits the longer of
// the server's back-off and the exponential delay, plus jitter, and never past ctx.
func (c *Client) retry(ctx context.Context, opName string, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		var te *ThrottledError
		if err == nil || !errors.As(err, &te) {
			return err
		}
		te.Attempts = n
		if n > c.opts.MaxRetries {
			return te
		}
		wait, ok := c.backOff(n, te.BackOff)
		if !ok {
			return te
		}
		if dl, has := ctx.Deadline(); has && c.opts.Now().Add(wait).After(dl) {
			return te // the context would end first: let the caller reschedule
		}
		if obs := c.opts.Observer; obs != nil {
			obs.ThrottleWait(opName, wait)
		}
		if err := c.opts.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w while waiting %v to retry: %w", err, wait, te)
		}
	}
}

// backOff returns the wait before retry n (1-based): the longer of the server's
// back-off and RetryBaseDelay·2^(n-1), plus up to 20 % jitter, at most MaxRetryWait.
// ok is false when the server asks for more than MaxRetryWait.
func (c *Client) backOff(n int, server time.Duration) (time.Duration, bool) {
	if server > c.opts.MaxRetryWait {
		return 0, false
	}
	exp := c.opts.RetryBaseDelay
	for i := 1; i < n && exp < c.opts.MaxRetryWait; i++ {
		exp *= 2
	}
	exp = min(exp, c.opts.MaxRetryWait)
	wait := max(server, exp)
	wait += time.Duration(c.opts.Rand() * float64(wait) / 5)
	return min(wait, max(server, c.opts.MaxRetryWait)), true
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
