package ewsclient_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// syncBuffer is a trace writer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretsOf lists what must never appear for user and password.
func secretsOf(user, password string) []string {
	return []string{password, base64.StdEncoding.EncodeToString([]byte(user + ":" + password)), user + ":" + password}
}

func assertNoSecrets(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q", what, s)
		}
	}
}

func TestTraceBasic(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	var trace syncBuffer
	c := tg.client(t, tg.basic(), ewsclient.Options{Trace: &trace, ServerVersion: "Exchange2013_SP1"})
	mustInbox(t, c, tg.Mailbox)
	out := trace.String()
	assertNoSecrets(t, "trace", out, secretsOf(tg.User, tg.Password))
	for _, want := range []string{
		"--> #1 POST " + tg.URL,
		"Authorization: Basic [redacted]",
		"X-Anchormailbox: " + tg.Mailbox,
		`Soapaction: "http://schemas.microsoft.com/exchange/services/2006/messages/GetFolder"`,
		`<t:RequestServerVersion Version="Exchange2013_SP1">`,
		"<t:PrimarySmtpAddress>" + tg.Mailbox + "</t:PrimarySmtpAddress>",
		" 200 OK (",
		"GetFolderResponse",
		"<-- #1 end of body",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

func TestTraceNTLM(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	var trace syncBuffer
	c := tg.client(t, tg.ntlm(), ewsclient.Options{Trace: &trace})
	mustInbox(t, c, tg.Mailbox)
	out := trace.String()
	assertNoSecrets(t, "trace", out, secretsOf(tg.NTLMUser, tg.Password))
	if strings.Contains(out, "TlRMTVNT") {
		t.Errorf("trace shows an NTLM token:\n%s", out)
	}
	for _, want := range []string{"Authorization: NTLM [redacted]", "Www-Authenticate: NTLM [redacted]", "<-- #2 HTTP/1.1 200 OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

func TestTraceWrongPassword(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	const pass = "Not-The-Pass-42"
	for _, auth := range []ewsclient.Authenticator{ewsclient.Basic(tg.User, pass), ewsclient.NTLM(tg.NTLMUser, pass)} {
		var trace syncBuffer
		c := tg.client(t, auth, ewsclient.Options{Trace: &trace})
		_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
		var ae *ewsclient.AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: %v", auth.Scheme(), err)
		}
		user := tg.User
		if auth.Scheme() == "NTLM" {
			user = tg.NTLMUser
		}
		assertNoSecrets(t, auth.Scheme()+" trace", trace.String(), secretsOf(user, pass))
		assertNoSecrets(t, auth.Scheme()+" error", err.Error(), secretsOf(user, pass))
		for _, s := range []string{fmt.Sprint(auth), fmt.Sprintf("%#v", auth), fmt.Sprintf("%+v", auth)} {
			assertNoSecrets(t, "formatted Authenticator", s, secretsOf(user, pass))
		}
		if !strings.Contains(trace.String(), "<-- #1 HTTP/1.1 401 Unauthorized") {
			t.Errorf("%s trace:\n%s", auth.Scheme(), trace.String())
		}
	}
}

// An error page that echoes the request's credentials does not leak them into the
// error.
func TestHTTPErrorRedacted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<html>Forbidden for %s / %s (%s)</html>", user, pass, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, ewsclient.Basic("svc@contoso.com", "Secret-Pass-1"), ewsclient.Options{})
	_, err := c.GetFolder(t.Context(), "", inboxReq())
	var he *ewsclient.HTTPError
	if !errors.As(err, &he) || he.Status != 403 || !strings.Contains(he.Body, "Forbidden for svc@contoso.com") {
		t.Fatalf("err %v", err)
	}
	assertNoSecrets(t, "error", err.Error(), secretsOf("svc@contoso.com", "Secret-Pass-1"))
}

// tokenSource is a bearer Authenticator whose token is refreshed, as an OAuth source's
// is; it implements SecretHolder with the token of the moment.
type tokenSource struct {
	mu    sync.Mutex
	token string
}

func (s *tokenSource) Scheme() string { return "Bearer" }

func (s *tokenSource) Secrets() []string { return []string{s.current()} }

func (s *tokenSource) current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

func (s *tokenSource) refresh(token string) {
	s.mu.Lock()
	s.token = token
	s.mu.Unlock()
}

func (s *tokenSource) Transport(newBase func(ewsclient.TransportOptions) http.RoundTripper) http.RoundTripper {
	base := newBase(ewsclient.TransportOptions{})
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+s.current())
		return base.RoundTrip(r)
	})
}

// A third-party Authenticator's secrets (SecretHolder) are redacted from errors and
// traces like the built-in ones' passwords, token refreshes included; without
// SecretHolder, an echoed token shows.
func TestSecretHolderRedaction(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<html>Access denied for the token %s</html>", strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(srv.Close)

	src := &tokenSource{token: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.first"}
	var trace syncBuffer
	c := newClient(t, srv.URL, src, ewsclient.Options{Trace: &trace})
	for _, token := range []string{src.current(), "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.refreshed"} {
		src.refresh(token)
		_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
		var he *ewsclient.HTTPError
		if !errors.As(err, &he) || he.Status != http.StatusForbidden || !strings.Contains(he.Body, "Access denied for the token [redacted]") {
			t.Fatalf("err %v", err)
		}
		assertNoSecrets(t, "error", err.Error(), []string{token})
		assertNoSecrets(t, "trace", trace.String(), []string{token})
	}
	if !strings.Contains(trace.String(), "Access denied for the token [redacted]") {
		t.Errorf("the trace lacks the redacted body:\n%s", trace.String())
	}

	// The same Authenticator without SecretHolder: nothing tells the client what to hide.
	plain := newClient(t, srv.URL, bearer{"plain-token-123"}, ewsclient.Options{})
	if _, err := plain.GetFolder(t.Context(), "alice@contoso.com", inboxReq()); err == nil || !strings.Contains(err.Error(), "plain-token-123") {
		t.Errorf("err %v: expected the echoed token, which nothing redacts", err)
	}
}
