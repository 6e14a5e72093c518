package httpauth

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	ntlmssp "github.com/Azure/go-ntlmssp"
)

// ntlmClient is the real go-ntlmssp client over an HTTP/1.1 transport that
// counts the connections it dials and the NTLM challenges it receives.
type ntlmClient struct {
	t          *testing.T
	url        string
	transport  *http.Transport
	client     *http.Client
	dials      atomic.Int32
	challenges atomic.Int32
}

func newNTLMClient(t *testing.T, s *testServer) *ntlmClient {
	c := &ntlmClient{t: t, url: s.URL + "/EWS/Exchange.asmx"}
	c.transport = &http.Transport{
		ForceAttemptHTTP2: false,
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c.dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(c.transport.CloseIdleConnections)
	c.client = &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: challengeCounter{c}}}
	return c
}

type challengeCounter struct{ c *ntlmClient }

func (cc challengeCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := cc.c.transport.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		for _, v := range resp.Header.Values("WWW-Authenticate") {
			if strings.HasPrefix(v, "NTLM ") || strings.HasPrefix(v, "Negotiate ") {
				cc.c.challenges.Add(1)
			}
		}
	}
	return resp, err
}

func (c *ntlmClient) post(user, password string) result {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.url, strings.NewReader(soapBody))
	if err != nil {
		c.t.Fatal(err)
	}
	req.SetBasicAuth(user, password) // Negotiator turns these into NTLM
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	return readResult(c.t, resp)
}

func (c *ntlmClient) wantChallenges(challenges int32) {
	c.t.Helper()
	if got := c.challenges.Load(); got != challenges {
		c.t.Errorf("NTLM challenges received = %d, want %d", got, challenges)
	}
}

// wantCounts checks connections and challenges. net/http's Transport reuses
// a connection only if it learns within 50 ms that the request was fully
// written, so tests that count connections do not run in parallel.
func (c *ntlmClient) wantCounts(dials, challenges int32) {
	c.t.Helper()
	if got := c.dials.Load(); got != dials {
		c.t.Errorf("connections dialled = %d, want %d", got, dials)
	}
	c.wantChallenges(challenges)
}

func TestNTLM(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	tests := []struct {
		name, user, password, wantBody string
	}{
		{"upn", "alice@contoso.com", alicePassword, "user=alice@contoso.com login=alice@contoso.com method=NTLM scheme=NTLM body=16000"},
		{"domain user", `CONTOSO\alice`, alicePassword, `user=alice@contoso.com login=CONTOSO\alice method=NTLM scheme=NTLM body=16000`},
		{"lower-case domain", `contoso\alice`, alicePassword, `login=CONTOSO\alice method=NTLM`},
		{"dns domain", `contoso.com\alice`, alicePassword, `login=CONTOSO\alice method=NTLM`},
		{"bare user", "alice", alicePassword, `login=CONTOSO\alice method=NTLM`},
		{"user name case", `CONTOSO\ALICE`, alicePassword, `user=alice@contoso.com`},
		{"non-ascii password", "bob@contoso.com", bobPassword, `user=bob@contoso.com`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newNTLMClient(t, s)
			got := c.post(tt.user, tt.password)
			if got.status != http.StatusOK {
				t.Fatalf("status = %d, want 200 (WWW-Authenticate %q)", got.status, got.challenges())
			}
			if !strings.Contains(got.body, tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", got.body, tt.wantBody)
			}
			c.wantChallenges(1)
		})
	}
}

func TestNTLMDenied(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	tests := []struct {
		name, user, password string
	}{
		{"wrong password", `CONTOSO\alice`, "passw0rd!"},
		{"unknown user", `CONTOSO\mallory`, alicePassword},
		{"unknown upn", "mallory@contoso.com", alicePassword},
		{"foreign domain", `FABRIKAM\alice`, alicePassword},
		{"other user's password", "bob@contoso.com", alicePassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newNTLMClient(t, s)
			wantFinal401(t, c.post(tt.user, tt.password), allOffers)
			c.wantChallenges(1)
		})
	}
}

// TestNTLMConnectionBound is not parallel: it counts connections.
func TestNTLMConnectionBound(t *testing.T) {
	s := newTestServer(t, defaultConfig(), nil)
	c := newNTLMClient(t, s)

	for i := range 3 {
		if got := c.post(`CONTOSO\alice`, alicePassword); got.status != http.StatusOK {
			t.Fatalf("request %d: status = %d, want 200", i, got.status)
		}
	}
	// One connection, one handshake: the later requests went through
	// anonymously on the authenticated connection.
	c.wantCounts(1, 1)

	// A new connection must authenticate again.
	c.transport.CloseIdleConnections()
	if got := c.post(`CONTOSO\alice`, alicePassword); got.status != http.StatusOK {
		t.Fatalf("new connection: status = %d, want 200", got.status)
	}
	c.wantCounts(2, 2)

	// Another client on its own connection is not authenticated by ours.
	other := &http.Client{Transport: &http.Transport{}}
	defer other.CloseIdleConnections()
	resp, err := other.Post(c.url, "text/xml", strings.NewReader(soapBody))
	if err != nil {
		t.Fatal(err)
	}
	wantFinal401(t, readResult(t, resp), allOffers)
}

// TestNTLMPasswordChange is not parallel: it counts connections.
func TestNTLMPasswordChange(t *testing.T) {
	s := newTestServer(t, defaultConfig(), nil)
	c := newNTLMClient(t, s)
	if got := c.post(`CONTOSO\alice`, alicePassword); got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", got.status)
	}
	s.accounts.setPassword(`CONTOSO\alice`, "N3w-password")

	// As with IIS, a connection that already authenticated stays so.
	if got := c.post(`CONTOSO\alice`, alicePassword); got.status != http.StatusOK {
		t.Fatalf("authenticated connection after password change: status = %d, want 200", got.status)
	}
	c.wantCounts(1, 1)

	// The next handshake sees the new password.
	c.transport.CloseIdleConnections()
	wantFinal401(t, c.post(`CONTOSO\alice`, alicePassword), allOffers)
	c.wantCounts(2, 2)
	if got := c.post(`CONTOSO\alice`, "N3w-password"); got.status != http.StatusOK {
		t.Fatalf("new password: status = %d, want 200", got.status)
	}
}

func negotiateMessage(t *testing.T) []byte {
	t.Helper()
	msg, err := ntlmssp.NewNegotiateMessage("", "")
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// handshake runs NEGOTIATE and CHALLENGE on rc with the given scheme and
// returns the AUTHENTICATE message go-ntlmssp makes for user and password.
func handshake(t *testing.T, rc *rawConn, scheme, user, password string) []byte {
	t.Helper()
	challenge := challengeFrom(t, rc.do(scheme+" "+b64(negotiateMessage(t)), soapBody), scheme)
	auth, err := ntlmssp.NewAuthenticateMessage(challenge, user, password, nil)
	if err != nil {
		t.Fatalf("client rejected the challenge: %v", err)
	}
	return auth
}

func TestNegotiateCarryingNTLM(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	rc := dialRaw(t, s)

	auth := handshake(t, rc, "Negotiate", `CONTOSO\alice`, alicePassword)
	got := rc.do("Negotiate "+b64(auth), soapBody)
	if got.status != http.StatusOK || !strings.Contains(got.body, "user=alice@contoso.com login=CONTOSO\\alice method=NTLM scheme=Negotiate body=16000") {
		t.Fatalf("AUTHENTICATE: %d %q", got.status, got.body)
	}
	// Bound to the connection.
	if got := rc.do("", "x"); got.status != http.StatusOK || !strings.Contains(got.body, "scheme=Negotiate body=1") {
		t.Fatalf("anonymous request on the authenticated connection: %d %q", got.status, got.body)
	}
	// Not to another one.
	wantFinal401(t, dialRaw(t, s).do("", ""), allOffers)
}

func TestNTLMRequestsEvaluatedAfresh(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	rc := dialRaw(t, s)
	if got := rc.do("NTLM "+b64(handshake(t, rc, "NTLM", `CONTOSO\alice`, alicePassword)), ""); got.status != http.StatusOK {
		t.Fatalf("handshake: status %d", got.status)
	}

	// An Authorization header is judged on its own, even on an
	// authenticated connection.
	wantFinal401(t, rc.do("Basic "+b64([]byte("alice@contoso.com:wrong")), ""), allOffers)
	wantFinal401(t, rc.do("Bearer eyJ0eXAiOiJKV1QifQ", ""), allOffers)
	got := rc.do("Basic "+b64([]byte("bob@contoso.com:"+bobPassword)), "")
	if got.status != http.StatusOK || !strings.Contains(got.body, "user=bob@contoso.com login=bob@contoso.com method=Basic") {
		t.Fatalf("basic on an NTLM connection: %d %q", got.status, got.body)
	}
	// Failed or foreign headers did not unbind the NTLM identity.
	if got := rc.do("", ""); got.status != http.StatusOK || !strings.Contains(got.body, "user=alice@contoso.com") {
		t.Fatalf("anonymous after: %d %q", got.status, got.body)
	}

	// A new handshake drops the old identity; failing it leaves the
	// connection unauthenticated.
	auth := handshake(t, rc, "NTLM", `CONTOSO\alice`, "wrong")
	wantFinal401(t, rc.do("", ""), allOffers)
	wantFinal401(t, rc.do("NTLM "+b64(auth), ""), allOffers)
	wantFinal401(t, rc.do("", ""), allOffers)
}

// TestNTLMLargeBody sends a body larger than net/http discards on its own
// (256 KiB) with every handshake leg: the connection must survive the
// NEGOTIATE leg for the handshake to complete. Not parallel: it counts
// connections.
func TestNTLMLargeBody(t *testing.T) {
	s := newTestServer(t, defaultConfig(), nil)
	c := newNTLMClient(t, s)
	large := strings.Repeat("x", 2<<20)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, c.url, strings.NewReader(large))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(`CONTOSO\alice`, alicePassword)
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got := readResult(t, resp)
	if got.status != http.StatusOK || !strings.Contains(got.body, "body=2097152") {
		t.Fatalf("%d %q", got.status, got.body)
	}
	c.wantCounts(1, 1)
}
