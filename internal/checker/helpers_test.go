package checker_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/exchangesim/simtest"
)

const (
	svcPass  = exchangesim.DefaultServicePassword
	userPass = exchangesim.DefaultUserPassword
)

// testClock is the simulator's fixed clock.
func testClock() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

// startSim starts a simulator (contoso unless opts.Scenario is set) on a loopback
// listener, stopped at the end of the test.
func startSim(t testing.TB, opts exchangesim.Options, tls bool) *exchangesim.Server {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = testClock
	}
	_, srv := simtest.Start(t, opts, exchangesim.ListenConfig{TLS: tls})
	return srv
}

// noSleep makes back-off waits instant; calls counts them.
type noSleep struct{ calls atomic.Int64 }

func (s *noSleep) Sleep(ctx context.Context, d time.Duration) error {
	s.calls.Add(1)
	return ctx.Err()
}

// config is svc's configuration for a simulator.
func config(srv *exchangesim.Server, svc, pass string, auth checker.AuthMethod) checker.Config {
	cfg := checker.Config{EWSURL: srv.Info().EWSURL, ServiceAccount: svc, Password: pass, Auth: auth}
	if pem := srv.CAPEM(); pem != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		cfg.RootCAs = pool
	}
	return cfg
}

// collector gathers the results a check reports.
type collector struct {
	mu      sync.Mutex
	results []checker.Result
}

func (c *collector) emit(r checker.Result) {
	c.mu.Lock()
	c.results = append(c.results, r)
	c.mu.Unlock()
}

func (c *collector) all() []checker.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]checker.Result(nil), c.results...)
}

// final returns each user's last result, by address.
func (c *collector) final() map[string]checker.Result {
	m := map[string]checker.Result{}
	for _, r := range c.all() {
		if r.User != "" {
			m[r.User] = r
		}
	}
	return m
}

// account returns the service-account results by check (the last one of each).
func (c *collector) account() map[string]checker.Result {
	m := map[string]checker.Result{}
	for _, r := range c.all() {
		if r.User == "" {
			m[r.Check] = r
		}
	}
	return m
}

// dump formats results for failure messages.
func dump(rs []checker.Result) string {
	var b bytes.Buffer
	for _, r := range rs {
		j, _ := json.Marshal(r)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// run checks users with a fresh checker and returns what it reported.
func run(t *testing.T, cfg checker.Config, opts checker.Options, users ...string) (*collector, checker.Summary) {
	t.Helper()
	if opts.Sleep == nil {
		opts.Sleep = (&noSleep{}).Sleep
	}
	c, err := checker.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	sum, err := c.Check(context.Background(), users, col.emit)
	if err != nil {
		t.Fatalf("Check: %v\n%s", err, dump(col.all()))
	}
	return col, sum
}

// wantCodes asserts each user's final code.
func wantCodes(t *testing.T, col *collector, want map[string]checker.Code) {
	t.Helper()
	got := col.final()
	for u, code := range want {
		if got[u].Code != code {
			t.Errorf("%s: code %q (%s), want %q", u, got[u].Code, got[u].Message, code)
		}
	}
	if t.Failed() {
		t.Log(dump(col.all()))
	}
}

// countingDialer counts HTTP requests written on the connections it opens.
type countingDialer struct {
	posts atomic.Int64
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, d: d}, nil
}

type countingConn struct {
	net.Conn
	d *countingDialer
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.d.posts.Add(int64(bytes.Count(p, []byte("POST /"))))
	return c.Conn.Write(p)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// noLeaks waits until no goroutine of the checker or of an HTTP client connection is
// left.
func noLeaks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var leaked []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "/internal/checker.") || strings.Contains(g, "net/http.(*persistConn)") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fakeEWS is an http.Handler answering EWS operations by SOAPAction.
type fakeEWS map[string]http.HandlerFunc

func (f fakeEWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := strings.Trim(r.Header.Get("SOAPAction"), `"`)
	op := a[strings.LastIndex(a, "/")+1:]
	if h, ok := f[op]; ok {
		h(w, r)
		return
	}
	http.Error(w, "no handler for "+op, http.StatusNotImplemented)
}

func xmlName(local string) xml.Name { return xml.Name{Local: local} }
