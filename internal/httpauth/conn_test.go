package httpauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// waitClosed waits until the server has seen a connection close.
func waitClosed(t *testing.T, s *testServer) {
	t.Helper()
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not see the connection close")
	}
}

func TestConnStateForgotten(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)

	rc := dialRaw(t, s)
	if got := rc.do("NTLM "+b64(handshake(t, rc, "NTLM", `CONTOSO\alice`, alicePassword)), ""); got.status != http.StatusOK {
		t.Fatalf("handshake: %d", got.status)
	}
	half := dialRaw(t, s)
	handshake(t, half, "NTLM", `CONTOSO\alice`, alicePassword) // left pending
	if n := s.auth.connCount(); n != 2 {
		t.Fatalf("tracked connections = %d, want 2", n)
	}

	rc.c.Close()
	waitClosed(t, s)
	if n := s.auth.connCount(); n != 1 {
		t.Fatalf("after one close: tracked connections = %d, want 1", n)
	}
	half.c.Close()
	waitClosed(t, s)
	if n := s.auth.connCount(); n != 0 {
		t.Fatalf("after both closed: tracked connections = %d, want 0", n)
	}
}

func TestConnStateHijacked(t *testing.T) {
	t.Parallel()
	tracked := make(chan int, 1)
	var s *testServer
	s = newTestServer(t, defaultConfig(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer c.Close()
		tracked <- s.auth.connCount()
	}))
	rc := dialRaw(t, s)
	auth := handshake(t, rc, "NTLM", `CONTOSO\alice`, alicePassword)
	req, err := http.NewRequest(http.MethodPost, rc.url, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "NTLM "+b64(auth))
	if err := req.Write(rc.c); err != nil {
		t.Fatal(err)
	}
	if n := <-tracked; n != 0 {
		t.Errorf("tracked connections after hijack = %d, want 0", n)
	}
}

// TestWithoutConnContext shows a server wired without the hooks: Basic still
// works, NTLM fails loudly instead of looping on challenges.
func TestWithoutConnContext(t *testing.T) {
	t.Parallel()
	cfg := defaultConfig()
	cfg.Accounts = newAccounts()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Wrap(http.HandlerFunc(echo)))
	t.Cleanup(ts.Close)

	req, _ := http.NewRequest(http.MethodGet, ts.URL, nil)
	req.SetBasicAuth("alice@contoso.com", alicePassword)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readResult(t, resp); got.status != http.StatusOK {
		t.Errorf("basic: status %d, want 200", got.status)
	}

	req, _ = http.NewRequest(http.MethodGet, ts.URL, nil)
	req.Header.Set("Authorization", "NTLM "+b64(negotiateMessage(t)))
	resp, err = ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readResult(t, resp); got.status != http.StatusInternalServerError || !strings.Contains(got.body, "ConnContext") {
		t.Errorf("ntlm: %d %q, want 500 naming ConnContext", got.status, got.body)
	}
}
