package ewsclient_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// The suite runs against one target, chosen here and nowhere else: the Exchange
// simulator (contoso scenario) on a loopback listener, or a real Exchange when
// MAILBRIDGE_TEST_EWS_URL is set together with MAILBRIDGE_TEST_EWS_USER,
// MAILBRIDGE_TEST_EWS_PASSWORD and MAILBRIDGE_TEST_EWS_MAILBOX (and optionally
// MAILBRIDGE_TEST_EWS_CA_FILE). Tests that need the simulator's scenario, its admin side
// or its fault injection call requireSim and are skipped against a real server.

// target is the server a test talks to and the accounts it uses.
type target struct {
	URL      string
	User     string // the service account, as a UPN
	NTLMUser string // the service account for NTLM (DOMAIN\user on the simulator)
	Password string
	Mailbox  string // a mailbox the service account may impersonate
	RootCAs  *x509.CertPool
	CAFile   string

	// Simulator only.
	Sim *exchangesim.Simulator
	Srv *exchangesim.Server
}

// simClock is the simulator's fixed clock, so that generated content is stable.
func simClock() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

// realTarget returns the real Exchange named by the environment, or nil.
func realTarget(t *testing.T) *target {
	url := os.Getenv("MAILBRIDGE_TEST_EWS_URL")
	if url == "" {
		return nil
	}
	tg := &target{
		URL:      url,
		User:     os.Getenv("MAILBRIDGE_TEST_EWS_USER"),
		Password: os.Getenv("MAILBRIDGE_TEST_EWS_PASSWORD"),
		Mailbox:  os.Getenv("MAILBRIDGE_TEST_EWS_MAILBOX"),
		CAFile:   os.Getenv("MAILBRIDGE_TEST_EWS_CA_FILE"),
	}
	if tg.User == "" || tg.Password == "" || tg.Mailbox == "" {
		t.Fatal("MAILBRIDGE_TEST_EWS_URL is set: MAILBRIDGE_TEST_EWS_USER, _PASSWORD and _MAILBOX must be set too")
	}
	tg.NTLMUser = tg.User
	return tg
}

// newTarget returns the suite's target: the real server if configured, else a new
// simulator with default options.
func newTarget(t *testing.T) *target {
	t.Helper()
	if tg := realTarget(t); tg != nil {
		return tg
	}
	return startSim(t, exchangesim.Options{}, exchangesim.ListenConfig{})
}

// requireSim skips the test against a real server.
func requireSim(t *testing.T) {
	t.Helper()
	if os.Getenv("MAILBRIDGE_TEST_EWS_URL") != "" {
		t.Skip("needs the Exchange simulator")
	}
}

// simTarget starts a simulator with opts (skipping the test against a real server).
func simTarget(t *testing.T, opts exchangesim.Options, lc exchangesim.ListenConfig) *target {
	t.Helper()
	requireSim(t)
	return startSim(t, opts, lc)
}

func startSim(t *testing.T, opts exchangesim.Options, lc exchangesim.ListenConfig) *target {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = simClock
	}
	sim, err := exchangesim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if lc.Addr == "" {
		lc.Addr = "127.0.0.1:0"
	}
	if lc.TLS && lc.StateDir == "" {
		lc.StateDir = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := sim.Start(ctx, lc)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		sctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("simulator shutdown: %v", err)
		}
	})
	tg := &target{
		URL:      srv.Info().EWSURL,
		User:     "svc-sync@contoso.com",
		NTLMUser: `CONTOSO\svc-sync`,
		Password: "Svc-Pass-2026!",
		Mailbox:  "alice@contoso.com",
		Sim:      sim,
		Srv:      srv,
	}
	if pem := srv.CAPEM(); pem != nil {
		tg.RootCAs = x509.NewCertPool()
		tg.RootCAs.AppendCertsFromPEM(pem)
	}
	return tg
}

// client returns a client of the target with auth and opts; the target's CAs are
// trusted unless opts names its own TLS settings or transport.
func (tg *target) client(t *testing.T, auth ewsclient.Authenticator, opts ewsclient.Options) *ewsclient.Client {
	t.Helper()
	if opts.Transport == nil && opts.RootCAs == nil && opts.CAFile == "" && !opts.InsecureSkipVerify {
		opts.RootCAs, opts.CAFile = tg.RootCAs, tg.CAFile
	}
	c, err := ewsclient.New(tg.URL, auth, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// basic and ntlm return the service account's credentials.
func (tg *target) basic() ewsclient.Authenticator { return ewsclient.Basic(tg.User, tg.Password) }
func (tg *target) ntlm() ewsclient.Authenticator  { return ewsclient.NTLM(tg.NTLMUser, tg.Password) }

// wire counts what a client sends, through Options.DialContext: connections, HTTP
// requests and NTLM handshakes (NEGOTIATE messages). Requests and handshakes can only be
// seen on plain HTTP.
type wire struct {
	dials      atomic.Int32
	requests   atomic.Int32
	negotiates atomic.Int32
	// redirect, if set, is the address every connection really goes to (like curl's
	// --resolve).
	redirect string
}

func (w *wire) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if w.redirect != "" {
		addr = w.redirect
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	w.dials.Add(1)
	return &countingConn{Conn: c, w: w}, nil
}

// Byte patterns counted in what the client writes. "TlRMTVNTUAAB" is the base64 start
// of an NTLM NEGOTIATE message ("NTLMSSP\0" + type 1).
var (
	patRequest   = []byte("POST /")
	patNegotiate = []byte(" TlRMTVNTUAAB")
)

type countingConn struct {
	net.Conn
	w    *wire
	mu   sync.Mutex
	tail []byte // the end of what was written before, for patterns cut across writes
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	buf := append(append([]byte{}, c.tail...), p...)
	c.w.requests.Add(int32(countAfter(buf, patRequest, len(c.tail))))
	c.w.negotiates.Add(int32(countAfter(buf, patNegotiate, len(c.tail))))
	keep := min(len(buf), 32)
	c.tail = append(c.tail[:0], buf[len(buf)-keep:]...)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// countAfter counts the occurrences of pat in buf that end after offset from (those
// not already counted in an earlier write).
func countAfter(buf, pat []byte, from int) int {
	n := 0
	for i := 0; ; {
		j := bytes.Index(buf[i:], pat)
		if j < 0 {
			return n
		}
		if i+j+len(pat) > from {
			n++
		}
		i += j + 1
	}
}
