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
