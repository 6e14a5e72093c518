package webhook

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
)

// Defaults of a Sender.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxResponse = 64 << 10
)

// Options configure a Sender.
type Options struct {
	// Dial connects; it must be the endpoint guard's (netguard.Policy.DialContext), so
	// that every address connected to is checked. Required.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Timeout bounds a whole delivery, from connecting to the end of the response;
	// default DefaultTimeout.
	Timeout time.Duration
	// MaxResponse bounds how much of a response is read; default DefaultMaxResponse.
	MaxResponse int64
	// RootCAs, if not nil, replaces the system's certificate authorities.
	RootCAs *x509.CertPool
	// UserAgent is sent with every delivery; default "mailbridge-webhooks/1".
	UserAgent string
}

// Sender posts deliveries. Safe for concurrent use.
type Sender struct {
	client  *http.Client
	tr      *http.Transport
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	tlsConf *tls.Config
	timeout time.Duration
	maxResp int64
	ua      string
}

// NewSender returns a Sender.
func NewSender(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponse <= 0 {
		o.MaxResponse = DefaultMaxResponse
	}
	if o.UserAgent == "" {
		o.UserAgent = "mailbridge-webhooks/1"
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs}
	tr := &http.Transport{
		Proxy:                 nil, // the guard must see the endpoint, not a proxy
		DialContext:           o.Dial,
		TLSClientConfig:       tlsConf,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Sender{
		client: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			// Redirects are not followed: a receiver that moved is configured anew, and a
			// redirect cannot lead a delivery somewhere the URL check did not see.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		tr: tr, dial: o.Dial, tlsConf: tlsConf, timeout: o.Timeout, maxResp: o.MaxResponse, ua: o.UserAgent,
	}
}

// Close closes idle connections.
func (s *Sender) Close() { s.tr.CloseIdleConnections() }

// Request is one delivery attempt.
type Request struct {
	URL        string
	Event      string
	DeliveryID string
	Body       []byte
	// Secrets sign the body, one v1 signature each (the current secret, then the
	// previous one during a rotation's overlap).
	Secrets []string
	// At is the signature's timestamp (now).
	At time.Time
}

// Result is how an attempt went. OK means a 2xx answer; otherwise Err says why, in
// words for an admin, without the URL's query.
type Result struct {
	StatusCode int
	Duration   time.Duration
	OK         bool
	Err        error
}

// Send makes one delivery attempt.
func (s *Sender) Send(ctx context.Context, r Request) Result {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Err: errors.New("the URL cannot be used")}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", s.ua)
	h.Set(HeaderEvent, r.Event)
	h.Set(HeaderDelivery, r.DeliveryID)
	h.Set(HeaderSignature, SignatureHeader(r.At, r.Body, r.Secrets...))
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Duration: time.Since(start), Err: describe(err, s.timeout)}
	}
	// Read a bounded part of the answer, so that the connection can be reused; a
	// receiver that sends more is cut off.
	// The status counts even when the body is cut.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, s.maxResp))
	resp.Body.Close()
	res := Result{StatusCode: resp.StatusCode, Duration: time.Since(start)}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.OK = true
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = fmt.Errorf("the endpoint answered %s, a redirect%s; redirects are not followed: configure the final URL", resp.Status, locationHint(resp))
	default:
		res.Err = fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return res
}

// locationHint names the host a redirect points to.
func locationHint(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil || loc.Host == "" {
		return ""
	}
	return " to " + loc.Host
}

// describedError is an error in words for an admin that keeps its cause for errors.Is.
type describedError struct {
	msg string
	err error
}

func (e *describedError) Error() string { return e.msg }
func (e *describedError) Unwrap() error { return e.err }

// describe turns a client error into words for an admin, without the URL.
func describe(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return &describedError{fmt.Sprintf("no answer within %s", timeout), ue.Err}
		}
		err = ue.Err
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return &describedError{fmt.Sprintf("the host %s does not exist (DNS: no such host)", dnsErr.Name), err}
		}
		return &describedError{fmt.Sprintf("the host %s could not be looked up (%s)", dnsErr.Name, dnsErr.Err), err}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return &describedError{"cannot connect: " + strings.TrimPrefix(opErr.Err.Error(), "connect: "), err}
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return &describedError{fmt.Sprintf("the endpoint's TLS certificate is not trusted (%v)", certErr.Err), err}
	}
	return err
}

// Probe checks that an endpoint can be reached: it connects (through the guard) to the
// URL's host and port and, for https, completes a TLS handshake. It sends nothing.
// Errors say what failed, for an admin.
func (s *Sender) Probe(ctx context.Context, u *url.URL) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	conn, err := s.dial(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no connection to %s within %s", net.JoinHostPort(host, port), s.timeout)
		}
		return describe(err, s.timeout)
	}
	defer conn.Close()
	if u.Scheme != "https" {
		return nil
	}
	conf := s.tlsConf.Clone()
	conf.ServerName = host
	tc := tls.Client(conn, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("no TLS handshake with %s within %s", host, s.timeout)
		}
		return describe(err, s.timeout)
	}
	return nil
}
