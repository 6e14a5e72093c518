package netguard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestControl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		allowPriv   bool
		network     string
		address     string
		wantBlocked bool
		wantTyped   bool // a *BlockedError, not only ErrBlocked
	}{
		{name: "public v4", network: "tcp4", address: "52.96.0.1:443"},
		{name: "public v6", network: "tcp6", address: "[2603:1026::1]:443"},
		{name: "loopback v4", network: "tcp4", address: "127.0.0.1:443", wantBlocked: true, wantTyped: true},
		{name: "loopback v6", network: "tcp6", address: "[::1]:443", wantBlocked: true, wantTyped: true},
		{name: "mapped loopback", network: "tcp", address: "[::ffff:127.0.0.1]:80", wantBlocked: true, wantTyped: true},
		{name: "link-local with zone", network: "tcp6", address: "[fe80::1%eth0]:443", wantBlocked: true, wantTyped: true},
		{name: "private udp", network: "udp4", address: "10.0.0.1:53", wantBlocked: true, wantTyped: true},
		{name: "metadata", network: "tcp4", address: "169.254.169.254:80", wantBlocked: true, wantTyped: true},
		{name: "unix socket", network: "unix", address: "/run/docker.sock", wantBlocked: true},
		{name: "not an address", network: "tcp", address: "localhost:80", wantBlocked: true},
		{name: "no port", network: "tcp", address: "8.8.8.8", wantBlocked: true},
		{name: "allowed loopback", allowPriv: true, network: "tcp4", address: "127.0.0.1:443"},
		{name: "allowed private", allowPriv: true, network: "tcp4", address: "192.168.1.10:443"},
		{name: "allowed unix socket", allowPriv: true, network: "unix", address: "/run/sim.sock"},
		{name: "metadata though private allowed", allowPriv: true, network: "tcp4", address: "169.254.169.254:80", wantBlocked: true, wantTyped: true},
		{name: "v6 metadata though private allowed", allowPriv: true, network: "tcp6", address: "[fd00:ec2::254]:80", wantBlocked: true, wantTyped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Policy{AllowPrivate: tt.allowPriv}.Control(tt.network, tt.address, nil)
			if !tt.wantBlocked {
				if err != nil {
					t.Fatalf("Control(%q, %q) = %v; want nil", tt.network, tt.address, err)
				}
				return
			}
			if !errors.Is(err, ErrBlocked) {
				t.Fatalf("Control(%q, %q) = %v; want an error matching ErrBlocked", tt.network, tt.address, err)
			}
			var be *BlockedError
			if errors.As(err, &be) != tt.wantTyped {
				t.Errorf("Control(%q, %q) = %T; want *BlockedError: %v", tt.network, tt.address, err, tt.wantTyped)
			}
		})
	}
}

// listen starts a TCP listener on the IPv4 loopback, closed when the test ends.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// TestDialRefusesLoopback dials a real listener on the loopback, by address and by the
// name "localhost", through a guarded dialer, and checks that the dials are refused
// before connecting: the first connection the listener accepts is the one made
// afterwards with private endpoints allowed. (A refused dial never calls connect, so
// nothing else can be queued ahead of it.)
func TestDialRefusesLoopback(t *testing.T) {
	t.Parallel()
	ln := listen(t)
	addr := ln.Addr().String()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var baseCalls atomic.Int32
	base := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(string, string, syscall.RawConn) error {
			baseCalls.Add(1)
			return nil
		},
	}
	dial := Policy{}.DialContext(base)
	for _, target := range []string{addr, net.JoinHostPort("localhost", port)} {
		conn, err := dial(t.Context(), "tcp", target)
		if err == nil {
			conn.Close()
			t.Fatalf("dial %s through the guard succeeded", target)
		}
		var be *BlockedError
		if !errors.As(err, &be) {
			t.Fatalf("dial %s = %v (%T); want a *BlockedError", target, err, err)
		}
		if !be.Addr.IsLoopback() {
			t.Errorf("dial %s refused %s; want a loopback address", target, be.Addr)
		}
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("errors.Is(%v, ErrBlocked) = false", err)
		}
	}
	if n := baseCalls.Load(); n != 0 {
		t.Errorf("base Control ran %d times for refused addresses; want the guard to run first", n)
	}

	allowed, err := Policy{AllowPrivate: true}.DialContext(base)(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s with private endpoints allowed: %v", addr, err)
	}
	defer allowed.Close()
	if baseCalls.Load() != 1 {
		t.Errorf("base Control ran %d times for the allowed dial; want 1", baseCalls.Load())
	}
	accepted, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer accepted.Close()
	if got, want := accepted.RemoteAddr().String(), allowed.LocalAddr().String(); got != want {
		t.Errorf("listener first accepted a connection from %s, not the allowed one from %s: a refused dial connected", got, want)
	}
}

// TestHTTPClientRefusesLoopback uses the guard as an HTTP client would.
func TestHTTPClientRefusesLoopback(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name      string
		policy    Policy
		wantError bool
	}{
		{name: "public only", policy: Policy{}, wantError: true},
		{name: "private allowed", policy: Policy{AllowPrivate: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := &http.Transport{DialContext: tt.policy.DialContext(nil)}
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: tr}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if !tt.wantError {
				if err != nil {
					t.Fatalf("GET %s: %v", srv.URL, err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status = %d; want 200", resp.StatusCode)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s through the guard succeeded", srv.URL)
			}
			var be *BlockedError
			if !errors.As(err, &be) || be.Addr != netip.MustParseAddr("127.0.0.1") {
				t.Errorf("GET error = %v; want a *BlockedError for 127.0.0.1", err)
			}
		})
	}
	// Only the allowed request may have reached the server. Parallel subtests run
	// after this function returns; a cleanup runs once they all have.
	t.Cleanup(func() {
		if n := hits.Load(); n != 1 {
			t.Errorf("server handled %d requests; want 1", n)
		}
	})
}

func TestDialerChainsControl(t *testing.T) {
	t.Parallel()
	errBase := errors.New("base refused")
	tests := []struct {
		name        string
		address     string
		baseErr     error
		wantErr     error
		wantBaseRan bool
	}{
		{name: "public, base allows", address: "52.96.0.1:443", wantBaseRan: true},
		{name: "public, base refuses", address: "52.96.0.1:443", baseErr: errBase, wantErr: errBase, wantBaseRan: true},
		{name: "private", address: "10.0.0.1:443", wantErr: ErrBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			t.Run("Control", func(t *testing.T) {
				t.Parallel()
				var ran bool
				base := &net.Dialer{Timeout: 7 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
					ran = true
					if network != "tcp4" || address != tt.address {
						t.Errorf("base Control got %q, %q; want tcp4, %q", network, address, tt.address)
					}
					return tt.baseErr
				}}
				d := Policy{}.Dialer(base)
				if d == base {
					t.Fatal("Dialer returned base itself")
				}
				if d.Timeout != base.Timeout {
					t.Errorf("Timeout = %v; want base's %v", d.Timeout, base.Timeout)
				}
				if err := d.Control("tcp4", tt.address, nil); !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Errorf("Control = %v; want %v", err, tt.wantErr)
				}
				if ran != tt.wantBaseRan {
					t.Errorf("base Control ran = %v; want %v", ran, tt.wantBaseRan)
				}
				// base itself is not guarded.
				ran = false
				if err := base.Control("tcp4", tt.address, nil); err != tt.baseErr || !ran {
					t.Errorf("base.Control changed: = %v, ran %v", err, ran)
				}
			})
			t.Run("ControlContext", func(t *testing.T) {
				t.Parallel()
				var ran bool
				type key struct{}
				ctx := context.WithValue(t.Context(), key{}, "v")
				base := &net.Dialer{ControlContext: func(c context.Context, network, address string, _ syscall.RawConn) error {
					ran = true
					if c.Value(key{}) != "v" {
						t.Errorf("base ControlContext did not get the dial's context")
					}
					return tt.baseErr
				}}
				d := Policy{}.Dialer(base)
				if d.ControlContext == nil {
					t.Fatal("ControlContext dropped")
				}
				if err := d.ControlContext(ctx, "tcp4", tt.address, nil); !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Errorf("ControlContext = %v; want %v", err, tt.wantErr)
				}
				if ran != tt.wantBaseRan {
					t.Errorf("base ControlContext ran = %v; want %v", ran, tt.wantBaseRan)
				}
			})
		})
	}
}

func TestDialerNilBase(t *testing.T) {
	t.Parallel()
	d := Policy{}.Dialer(nil)
	if d == nil || d.Control == nil {
		t.Fatalf("Dialer(nil) = %+v; want a dialer with Control set", d)
	}
	if err := d.Control("tcp4", "127.0.0.1:1", nil); !errors.Is(err, ErrBlocked) {
		t.Errorf("Control(127.0.0.1:1) = %v; want ErrBlocked", err)
	}
	if err := d.Control("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("Control(8.8.8.8:443) = %v; want nil", err)
	}
}
