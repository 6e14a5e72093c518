package checker

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// DefaultConcurrency is the default number of users checked at once: just under
// Exchange's default EWSMaxConcurrency of 27, which is charged to the service account
// on servers that count impersonated requests against the caller.
const DefaultConcurrency = 24

// DefaultThrottleRounds is how many more times the checker tries a call that the EWS
// client gave up on because Exchange kept throttling it.
const DefaultThrottleRounds = 2

// AuthMethod is how the service account authenticates.
type AuthMethod string

// Authentication methods.
const (
	AuthNTLM  AuthMethod = "ntlm"  // Windows authentication, as Exchange on-premises offers it
	AuthBasic AuthMethod = "basic" // HTTP Basic, over TLS only
)

// Config is an organization's email configuration: where EWS is and how the service
// account signs in. Its String method leaves the password out.
type Config struct {
	// EWSURL is the EWS endpoint, such as https://mail.contoso.com/EWS/Exchange.asmx.
	EWSURL string
	// ServiceAccount is the account's logon: a UPN (svc@contoso.com) or DOMAIN\user.
	ServiceAccount string
	// Password is the account's password. It never appears in results.
	Password string
	// Auth is the authentication method; default AuthNTLM.
	Auth AuthMethod
	// ServerVersion is the RequestServerVersion sent; default ewsclient's (Exchange2016).
	ServerVersion string

	// RootCAs replaces the system's CAs when not nil; CAFile adds a PEM file of CAs.
	RootCAs *x509.CertPool
	CAFile  string
	// InsecureSkipVerify accepts any certificate (tests and trials only).
	InsecureSkipVerify bool
	// DialContext, if not nil, opens every connection (host overrides, address policies).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// String describes the configuration without its password.
func (c Config) String() string {
	return fmt.Sprintf("checker.Config{EWSURL: %q, ServiceAccount: %q, Auth: %q}", c.EWSURL, c.ServiceAccount, c.Auth)
}

// GoString is String, so that %#v leaves the password out too.
func (c Config) GoString() string { return c.String() }

// Options tune a Checker. The zero value is usable.
type Options struct {
	// Concurrency bounds the users checked, and so the EWS requests in flight, at once;
	// default DefaultConcurrency. The bound shrinks while Exchange throttles and grows
	// back afterwards.
	Concurrency int
	// ThrottleRounds is how many more times a call is tried after the EWS client's own
	// retries ended throttled; default DefaultThrottleRounds, negative for none.
	ThrottleRounds int

	// MaxRetries, RetryBaseDelay and MaxRetryWait are passed to the EWS client (see
	// ewsclient.Options).
	MaxRetries     int
	RetryBaseDelay time.Duration
	MaxRetryWait   time.Duration

	// Now is the clock (durations, Retry-After); default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends, returning ctx.Err() then (back-off between
	// retries); default a timer. Tests pass one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Trace, if not nil, receives the EWS client's redacted wire trace.
	Trace io.Writer
}

// Checker checks an organization's email configuration: the service account, then each
// user. It is safe for concurrent use; each call to Check or CheckMailbox is independent.
type Checker struct {
	cfg  Config
	opts Options
	// online says the endpoint is Exchange Online's, where the fixes differ.
	online bool
}

// New validates cfg and returns a Checker for it.
func New(cfg Config, opts Options) (*Checker, error) {
	cfg.EWSURL = strings.TrimSpace(cfg.EWSURL)
	switch cfg.Auth {
	case "":
		cfg.Auth = AuthNTLM
	case AuthNTLM, AuthBasic:
	default:
		return nil, fmt.Errorf("checker: unknown authentication method %q (want ntlm or basic)", cfg.Auth)
	}
	if cfg.ServiceAccount == "" {
		return nil, errors.New("checker: no service account")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	switch {
	case opts.ThrottleRounds == 0:
		opts.ThrottleRounds = DefaultThrottleRounds
	case opts.ThrottleRounds < 0:
		opts.ThrottleRounds = 0
	}
	if opts.RetryBaseDelay <= 0 {
		opts.RetryBaseDelay = ewsclient.DefaultRetryBaseDelay
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = ewsclient.DefaultMaxRetryWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	c := &Checker{cfg: cfg, opts: opts}
	// Build a client once to validate the URL, the TLS options and the CA file.
	client, err := c.newClient(nil)
	if err != nil {
		return nil, err
	}
	client.CloseIdleConnections()
	if u, err := url.Parse(cfg.EWSURL); err == nil && exchangeOnlineHost(u.Hostname()) {
		c.online = true
	}
	return c, nil
}

func (c *Checker) newClient(sleep func(context.Context, time.Duration) error) (*ewsclient.Client, error) {
	var auth ewsclient.Authenticator
	if c.cfg.Auth == AuthBasic {
		auth = ewsclient.Basic(c.cfg.ServiceAccount, c.cfg.Password)
	} else {
		auth = ewsclient.NTLM(c.cfg.ServiceAccount, c.cfg.Password)
	}
	client, err := ewsclient.New(c.cfg.EWSURL, auth, ewsclient.Options{
		ServerVersion:      c.cfg.ServerVersion,
		MaxRetries:         c.opts.MaxRetries,
		RetryBaseDelay:     c.opts.RetryBaseDelay,
		MaxRetryWait:       c.opts.MaxRetryWait,
		RootCAs:            c.cfg.RootCAs,
		CAFile:             c.cfg.CAFile,
		InsecureSkipVerify: c.cfg.InsecureSkipVerify,
		DialContext:        c.cfg.DialContext,
		Now:                c.opts.Now,
		Sleep:              sleep,
		Trace:              c.opts.Trace,
	})
	if err != nil {
		return nil, fmt.Errorf("checker: %w", err)
	}
	return client, nil
}

// run is the state of one Check or CheckMailbox call.
type run struct {
	c      *Checker
	client *ewsclient.Client
	lim    *limiter
	// calls counts the EWS calls the checker made; retries the EWS client's retries.
	calls, retries atomic.Int64
	redactor       *strings.Replacer
}

func (c *Checker) newRun() (*run, error) {
	r := &run{c: c, lim: newLimiter(c.opts.Concurrency)}
	client, err := c.newClient(r.clientSleep)
	if err != nil {
		return nil, err
	}
	r.client = client
	if p := c.cfg.Password; p != "" {
		basic := base64.StdEncoding.EncodeToString([]byte(c.cfg.ServiceAccount + ":" + p))
		r.redactor = strings.NewReplacer(basic, "[redacted]", p, "[redacted]")
	}
	return r, nil
}

// clientSleep is the EWS client's wait before a retry of a throttled request: the
// request's slot is given back meanwhile, and the concurrency bound is cut.
func (r *run) clientSleep(ctx context.Context, d time.Duration) error {
	r.retries.Add(1)
	s := slotFrom(ctx)
	if s != nil {
		s.throttled()
		s.release(false)
	}
	if err := r.c.opts.Sleep(ctx, d); err != nil {
		return err
	}
	if s != nil {
		return s.reacquire(ctx)
	}
	return nil
}

// call runs one EWS call under the limiter. When the client gives up because Exchange
// kept throttling, it waits and tries again, up to Options.ThrottleRounds more times.
// n counts the calls made.
func (r *run) call(ctx context.Context, n *int, fn func(context.Context) error) error {
	for round := 0; ; round++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := r.lim.acquire(ctx)
		if err != nil {
			return err
		}
		r.calls.Add(1)
		*n++
		err = fn(withSlot(ctx, s))
		var te *ewsclient.ThrottledError
		throttled := errors.As(err, &te)
		if throttled {
			s.throttled()
		}
		s.release(!throttled)
		if !throttled || round >= r.c.opts.ThrottleRounds || ctx.Err() != nil || te.BackOff > r.c.opts.MaxRetryWait {
			return err
		}
		wait := max(te.BackOff, r.c.opts.RetryBaseDelay*time.Duration(2<<round))
		if err := r.c.opts.Sleep(ctx, min(wait, r.c.opts.MaxRetryWait)); err != nil {
			return err
		}
	}
}

// requests returns the EWS requests sent so far, retries included.
func (r *run) requests() int64 { return r.calls.Load() + r.retries.Load() }

// redact removes the password (and the Basic token derived from it) from s.
func (r *run) redact(s string) string {
	if r.redactor == nil {
		return s
	}
	return r.redactor.Replace(s)
}

// clean redacts every free-text field of a result.
func (r *run) clean(res Result) Result {
	res.Message = r.redact(res.Message)
	res.Fix = r.redact(res.Fix)
	res.ConfidenceReason = r.redact(res.ConfidenceReason)
	res.Evidence.Error = r.redact(res.Evidence.Error)
	return res
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
