package autodiscoverclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// setup builds the TLS configuration and the two HTTP clients.
func (r *run) setup() {
	r.tls = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: r.opts.InsecureSkipVerify}
	if r.opts.RootCAs != nil {
		r.tls.RootCAs = r.opts.RootCAs.Clone()
	}
	noRedirects := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r.authed = &http.Client{Transport: r.opts.Auth.Transport(r.newBase), CheckRedirect: noRedirects}
	r.anon = &http.Client{Transport: r.newBase(ewsclient.TransportOptions{}), CheckRedirect: noRedirects}
}

// close closes the connections the clients keep.
func (r *run) close() {
	r.authed.CloseIdleConnections()
	r.anon.CloseIdleConnections()
}

// newBase returns a new base transport (or Options.Transport) for an Authenticator.
func (r *run) newBase(o ewsclient.TransportOptions) http.RoundTripper {
	if r.opts.Transport != nil {
		return r.opts.Transport
	}
	dial := r.opts.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	if o.OnDial != nil {
		inner, onDial := dial, o.OnDial
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := inner(ctx, network, addr)
			if err == nil {
				onDial()
			}
			return conn, err
		}
	}
	t := &http.Transport{
		DialContext:           dial,
		TLSClientConfig:       r.tls.Clone(),
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     !o.HTTP1,
	}
	if o.HTTP1 {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if o.SingleConn {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 1, 1
	}
	return t
}

// exchange is one HTTP request's answer, read in full (up to the limit).
type exchange struct {
	status int
	header http.Header
	body   []byte
	tooBig bool
}

// send sends one request with the attempt timeout and reads the answer. A non-nil
// error is classified into the attempt by fail.
func (r *run) send(ctx context.Context, client *http.Client, method, rawURL, contentType string, hdr http.Header, body []byte) (*exchange, error) {
	actx, cancel := context.WithTimeout(ctx, r.opts.AttemptTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, rawURL, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", r.opts.UserAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	x := &exchange{status: resp.StatusCode, header: resp.Header}
	x.body, err = io.ReadAll(io.LimitReader(resp.Body, r.opts.MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(x.body)) > r.opts.MaxResponseBytes {
		x.tooBig = true
		x.body = nil
	}
	return x, nil
}

// fail fills in a's outcome and error text for a request that got no HTTP answer.
func (r *run) fail(ctx context.Context, a *Attempt, err error) {
	a.Outcome = classify(ctx, err)
	a.Err = errorText(err)
}

// classify maps a transport error to an outcome.
func classify(ctx context.Context, err error) Outcome {
	var (
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		alert     tls.AlertError
		record    tls.RecordHeaderError
		dnsErr    *net.DNSError
		opErr     *net.OpError
	)
	switch {
	case ctx.Err() != nil:
		return OutcomeCanceled
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalid), errors.As(err, &alert), errors.As(err, &record):
		return OutcomeTLSError
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return OutcomeTimeout
	case errors.As(err, &dnsErr):
		return OutcomeUnreachable
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return OutcomeUnreachable
	}
	return OutcomeError
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errorText is err's message without the "Post \"url\": " prefix net/http adds: the
// attempt names the URL already.
func errorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within the attempt timeout"
	}
	return redactText(err.Error())
}

// redactText removes user information from any URL in s: error text may quote URLs a
// server sent.
func redactText(s string) string {
	if !strings.Contains(s, "@") || !strings.Contains(s, "://") {
		return s
	}
	fields := strings.Fields(s)
	for i, f := range fields {
		trimmed := strings.Trim(f, `"'()<>,;`)
		if strings.Contains(trimmed, "://") {
			fields[i] = strings.Replace(f, trimmed, redactURL(trimmed), 1)
		}
	}
	return strings.Join(fields, " ")
}

// redactURL hides the password of a URL's user information, if any.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	u.User = url.User("redacted")
	return u.String()
}

// statusOutcome classifies an HTTP status other than 200, and explains it.
func (r *run) statusOutcome(a *Attempt, x *exchange) {
	a.HTTPStatus = x.status
	switch {
	case x.status == http.StatusUnauthorized:
		a.Outcome = OutcomeUnauthorized
		offered := offeredSchemes(x.header)
		if !offers(offered, r.scheme) {
			r.wrongScheme++
			list := "none"
			if len(offered) > 0 {
				list = strings.Join(offered, ", ")
			}
			a.Err = fmt.Sprintf("HTTP 401: the server does not offer %s authentication (it offers: %s)", r.scheme, list)
		} else {
			a.Err = fmt.Sprintf("HTTP 401: the credentials were refused with %s authentication", r.scheme)
		}
	case x.status == http.StatusNotFound || x.status == http.StatusMethodNotAllowed:
		a.Outcome = OutcomeNotFound
		a.Err = fmt.Sprintf("HTTP %d: no Autodiscover endpoint here", x.status)
	default:
		a.Outcome = OutcomeHTTPError
		a.Err = fmt.Sprintf("HTTP %d %s", x.status, http.StatusText(x.status))
		if x.status == http.StatusServiceUnavailable {
			a.Err += ": the server is busy"
		}
	}
}

// isRedirect reports a 3xx answer with a Location, resolved against base.
func isRedirect(x *exchange, base string) (string, bool) {
	switch x.status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return "", false
	}
	loc := x.header.Get("Location")
	if loc == "" {
		return "", false
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", false
	}
	l, err := b.Parse(loc)
	if err != nil {
		return "", false
	}
	return l.String(), true
}

// offeredSchemes lists the schemes of the WWW-Authenticate challenges in h.
func offeredSchemes(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Www-Authenticate") {
		for _, part := range strings.Split(v, ",") {
			scheme, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			if scheme != "" && !strings.ContainsAny(scheme, `="`) {
				out = append(out, scheme)
			}
		}
	}
	return out
}

// offers reports whether scheme is among offered; NTLM counts as offered with
// Negotiate (IIS accepts NTLM tokens inside Negotiate).
func offers(offered []string, scheme string) bool {
	for _, s := range offered {
		if strings.EqualFold(s, scheme) || strings.EqualFold(scheme, "NTLM") && strings.EqualFold(s, "Negotiate") {
			return true
		}
	}
	return false
}

// contentType is the media type of an answer, for messages.
func contentType(x *exchange) string {
	ct := x.header.Get("Content-Type")
	if ct == "" {
		return "no Content-Type"
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(mt)
}
