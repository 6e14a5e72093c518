package httpauth

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	alicePassword = "Passw0rd!"
	bobPassword   = "Hunter2-é"
)

// accounts is an in-memory [Accounts] whose passwords tests can change.
type accounts struct {
	mu      sync.Mutex
	byLogin map[string]*account // lower-cased login
}

type account struct {
	canonical, password string
}

func newAccounts() *accounts {
	s := &accounts{byLogin: map[string]*account{}}
	s.add("CONTOSO", "alice", "alice@contoso.com", alicePassword)
	s.add("CONTOSO", "bob", "bob@contoso.com", bobPassword)
	return s
}

func (s *accounts) add(domain, sam, upn, password string) {
	acct := &account{canonical: upn, password: password}
	s.byLogin[strings.ToLower(domain+`\`+sam)] = acct
	s.byLogin[strings.ToLower(upn)] = acct
}

func (s *accounts) LookupPassword(_ context.Context, login string) (string, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, ok := s.byLogin[strings.ToLower(login)]
	if !ok {
		return "", "", false
	}
	return acct.canonical, acct.password, true
}

func (s *accounts) setPassword(login, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byLogin[strings.ToLower(login)].password = password
}

// testServer is a real loopback HTTP/1.1 server behind an Authenticator. Its
// handler echoes the identity and the length of the body it received.
type testServer struct {
	*httptest.Server
	auth     *Authenticator
	accounts *accounts
	closed   chan net.Conn // connections the server has closed

	// negotiations counts NTLM NEGOTIATE messages received, that is
	// handshakes started.
	negotiations atomic.Int32
}

func defaultConfig() Config {
	return Config{
		Basic:         true,
		NTLM:          true,
		NetBIOSDomain: "CONTOSO",
		ServerName:    "EXCH01",
		DNSDomain:     "contoso.com",
	}
}

// newTestServer starts a server; cfg.Accounts defaults to newAccounts().
// next, when not nil, replaces the echo handler.
func newTestServer(t *testing.T, cfg Config, next http.Handler) *testServer {
	t.Helper()
	accts := newAccounts()
	if cfg.Accounts == nil {
		cfg.Accounts = accts
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if next == nil {
		next = http.HandlerFunc(echo)
	}
	s := &testServer{auth: a, accounts: accts, closed: make(chan net.Conn, 64)}
	wrapped := a.Wrap(next)
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if msg, err := base64.StdEncoding.DecodeString(token); err == nil && scheme != "Basic" {
			if typ, err := ntlmMessageType(msg); err == nil && typ == ntlmNegotiate {
				s.negotiations.Add(1)
			}
		}
		wrapped.ServeHTTP(w, r)
	}))
	s.Config.ConnContext = a.ConnContext
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		a.ConnState(c, st)
		if st == http.StateClosed {
			select {
			case s.closed <- c:
			default:
			}
		}
	}
	s.Start()
	t.Cleanup(func() {
		s.Close() // waits for every connection's ConnState hook
		if n := a.connCount(); n != 0 {
			t.Errorf("after server close: %d connections still tracked", n)
		}
	})
	return s
}

func echo(w http.ResponseWriter, r *http.Request) {
	id, ok := IdentityFrom(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "user=%s login=%s method=%s scheme=%s body=%d\n", id.User, id.Login, id.Method, id.Scheme, n)
}

// result is a response with its body read.
type result struct {
	status int
	header http.Header
	body   string
}

func (r result) challenges() []string { return r.header.Values("WWW-Authenticate") }

func readResult(t *testing.T, resp *http.Response) result {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// allOffers is the 401 header set of a server with both methods enabled.
var allOffers = []string{"Negotiate", "NTLM", `Basic realm="127.0.0.1"`}

func wantFinal401(t *testing.T, got result, offers []string) {
	t.Helper()
	if got.status != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401 (body %q)", got.status, got.body)
	}
	if !slices.Equal(got.challenges(), offers) {
		t.Errorf("WWW-Authenticate = %q, want %q", got.challenges(), offers)
	}
}

// rawConn sends requests on one TCP connection, so that tests control
// exactly which connection each handshake leg uses.
type rawConn struct {
	t   *testing.T
	c   net.Conn
	br  *bufio.Reader
	url string
}

func dialRaw(t *testing.T, s *testServer) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c), url: s.URL + "/EWS/Exchange.asmx"}
}

// do sends a POST with the given Authorization header (none if empty).
func (rc *rawConn) do(authorization, body string) result {
	rc.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rc.url, strings.NewReader(body))
	if err != nil {
		rc.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if err := rc.c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		rc.t.Fatal(err)
	}
	if err := req.Write(rc.c); err != nil {
		rc.t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(rc.br, req)
	if err != nil {
		rc.t.Fatalf("read response (did the server drop the connection?): %v", err)
	}
	return readResult(rc.t, resp)
}

// challengeFrom returns the decoded NTLM token of a handshake 401.
func challengeFrom(t *testing.T, res result, scheme string) []byte {
	t.Helper()
	if res.status != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401 with a challenge", res.status)
	}
	offers := res.challenges()
	if len(offers) != 1 || !strings.HasPrefix(offers[0], scheme+" ") {
		t.Fatalf("WWW-Authenticate = %q, want one %q challenge", offers, scheme)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(offers[0], scheme+" "))
	if err != nil {
		t.Fatalf("challenge is not base64: %v", err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

var soapBody = strings.Repeat("<soap:Envelope>FindItems</soap:Envelope>", 400)
