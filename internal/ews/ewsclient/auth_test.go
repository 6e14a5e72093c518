package ewsclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// inboxReq asks for the Inbox, ids only: the cheapest "may I enter this mailbox" probe.
func inboxReq() *ews.GetFolderRequest {
	return &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}
}

// mustInbox reads the Inbox of mailbox and returns its id.
func mustInbox(t *testing.T, c *ewsclient.Client, mailbox string) string {
	t.Helper()
	resp, err := c.GetFolder(t.Context(), mailbox, inboxReq())
	if err != nil {
		t.Fatalf("GetFolder: %v", err)
	}
	if len(resp.ResponseMessages) != 1 {
		t.Fatalf("%d messages", len(resp.ResponseMessages))
	}
	m := resp.ResponseMessages[0]
	if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
		t.Fatalf("GetFolder message: %v", err)
	}
	if m.Folders == nil || len(m.Folders.Folders) != 1 || m.Folders.Folders[0].FolderId == nil {
		t.Fatalf("no folder in %+v", m)
	}
	return m.Folders.Folders[0].FolderId.Id
}

func TestAuthMethods(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	for _, tc := range []struct {
		name string
		auth ewsclient.Authenticator
	}{
		{"Basic UPN", tg.basic()},
		{"NTLM", tg.ntlm()},
		{"NTLM UPN", ewsclient.NTLM(tg.User, tg.Password)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := tg.client(t, tc.auth, ewsclient.Options{})
			var ae *ewsclient.AuthError
			resp, err := c.GetFolder(t.Context(), tg.Mailbox, inboxReq())
			if errors.As(err, &ae) && !ae.SchemeOffered() {
				t.Skipf("the server does not offer it: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := ewsclient.MessageErr(&resp.ResponseMessages[0].ResponseMessage); err != nil {
				t.Fatal(err)
			}
			if v := c.ServerVersion(); v == nil || v.MajorVersion < 15 {
				t.Errorf("ServerVersion %+v", v)
			}
		})
	}
}

func TestBasicDomainUser(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, ewsclient.Basic(`CONTOSO\svc-sync`, tg.Password), ewsclient.Options{})
	mustInbox(t, c, "alice@contoso.com")
}

// Impersonation acts on the named mailbox; "" acts as the service account itself.
func TestImpersonationSelectsMailbox(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	target := mustInbox(t, c, tg.Mailbox)
	own := mustInbox(t, c, "")
	if target == own {
		t.Errorf("the impersonated and the own Inbox have the same id %q", own)
	}
	if again := mustInbox(t, c, tg.Mailbox); again != target {
		t.Errorf("Inbox id changed: %q then %q", target, again)
	}
}

func TestNTLMOneHandshakePerConnection(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	w := &wire{}
	c := tg.client(t, tg.ntlm(), ewsclient.Options{DialContext: w.DialContext})
	for range 10 {
		mustInbox(t, c, "alice@contoso.com")
	}
	if d, n, r := w.dials.Load(), w.negotiates.Load(), w.requests.Load(); d != 1 || n != 1 || r != 11 {
		t.Errorf("10 calls: %d connections, %d handshakes, %d requests; want 1, 1 and 11 (an empty NEGOTIATE leg, then 10 calls, the first one with AUTHENTICATE)", d, n, r)
	}

	// Concurrent calls: every connection is authenticated exactly once, and no
	// handshake's legs get split across connections (which would end in a 401).
	var wg sync.WaitGroup
	errs := make(chan error, 16*5)
	for range 16 {
		wg.Go(func() {
			for range 5 {
				if _, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	if d, n := w.dials.Load(), w.negotiates.Load(); d != n || d > 17 {
		t.Errorf("after concurrent calls: %d connections, %d handshakes; want equal, at most 17", d, n)
	}
}

// A connection the server closed is replaced by a new one, which gets its own handshake.
func TestNTLMNewConnectionAfterClose(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	w := &wire{}
	c := tg.client(t, tg.ntlm(), ewsclient.Options{DialContext: w.DialContext})
	mustInbox(t, c, "alice@contoso.com")
	c.CloseIdleConnections()
	mustInbox(t, c, "alice@contoso.com")
	if d, n := w.dials.Load(), w.negotiates.Load(); d != 2 || n != 2 {
		t.Errorf("%d connections, %d handshakes; want 2 and 2", d, n)
	}
}

func TestWrongCredentials(t *testing.T) {
	t.Parallel()
	// Only against the simulator: a real server would count the failures toward the
	// account's lockout.
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	for _, tc := range []struct {
		name     string
		auth     ewsclient.Authenticator
		requests int32
	}{
		{"Basic wrong password", ewsclient.Basic("svc-sync@contoso.com", "Wrong-Pass-1!"), 1},
		{"Basic unknown account", ewsclient.Basic("nobody@contoso.com", "Wrong-Pass-1!"), 1},
		{"NTLM wrong password", ewsclient.NTLM(`CONTOSO\svc-sync`, "Wrong-Pass-1!"), 2},
		{"NTLM unknown account", ewsclient.NTLM(`CONTOSO\nobody`, "Wrong-Pass-1!"), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &wire{}
			c := tg.client(t, tc.auth, ewsclient.Options{DialContext: w.DialContext,
				Sleep: func(context.Context, time.Duration) error { t.Error("slept: a 401 was retried"); return nil }})
			_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
			var ae *ewsclient.AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("err %v, want *AuthError", err)
			}
			if !ae.SchemeOffered() || !slices.Equal(ae.Offered, []string{"Negotiate", "NTLM", "Basic"}) {
				t.Errorf("offered %v (SchemeOffered %v)", ae.Offered, ae.SchemeOffered())
			}
			if msg := err.Error(); !strings.Contains(msg, "alike") || strings.Contains(msg, "Wrong-Pass-1!") {
				t.Errorf("message %q: should say Exchange answers both alike, and hide the password", msg)
			}
			if n := w.requests.Load(); n != tc.requests {
				t.Errorf("%d requests, want %d: a 401 must not be retried", n, tc.requests)
			}
		})
	}
}

// The server does not offer the scheme: the credentials were never checked, and the
// error says so.
func TestSchemeNotOffered(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		sim     exchangesim.AuthOptions
		ntlm    bool
		offered []string
	}{
		{"Basic against NTLM only", exchangesim.AuthOptions{NTLM: true}, false, []string{"Negotiate", "NTLM"}},
		{"NTLM against Basic only", exchangesim.AuthOptions{Basic: true}, true, []string{"Basic"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := simTarget(t, exchangesim.Options{Auth: tc.sim}, exchangesim.ListenConfig{})
			auth := tg.basic()
			if tc.ntlm {
				auth = tg.ntlm()
			}
			w := &wire{}
			c := tg.client(t, auth, ewsclient.Options{DialContext: w.DialContext})
			_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
			var ae *ewsclient.AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("err %v, want *AuthError", err)
			}
			if ae.SchemeOffered() || !slices.Equal(ae.Offered, tc.offered) {
				t.Errorf("offered %v, SchemeOffered %v", ae.Offered, ae.SchemeOffered())
			}
			if !strings.Contains(err.Error(), "does not offer") {
				t.Errorf("message %q", err)
			}
			if n := w.requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestImpersonationFaults(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	for _, tc := range []struct {
		name       string
		user, pass string
		mailbox    string
		code       string
	}{
		{"bob outside the scope", "svc-sync@contoso.com", "Svc-Pass-2026!", "bob@contoso.com", ews.ErrorImpersonateUserDenied},
		{"frank has no mailbox", "svc-sync@contoso.com", "Svc-Pass-2026!", "frank@contoso.com", ews.ErrorNonExistentMailbox},
		{"unknown user", "svc-sync@contoso.com", "Svc-Pass-2026!", "nobody@contoso.com", ews.ErrorNonExistentMailbox},
		{"svc-norole", "svc-norole@contoso.com", "Svc-Pass-2026!", "alice@contoso.com", ews.ErrorImpersonateUserDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, auth := range []ewsclient.Authenticator{ewsclient.Basic(tc.user, tc.pass), ewsclient.NTLM(tc.user, tc.pass)} {
				w := &wire{}
				c := tg.client(t, auth, ewsclient.Options{DialContext: w.DialContext})
				_, err := c.GetFolder(t.Context(), tc.mailbox, inboxReq())
				var re *ews.ResponseError
				if !errors.As(err, &re) || !re.Fault || re.Code != tc.code {
					t.Fatalf("%s: err %v, want fault %s", auth.Scheme(), err, tc.code)
				}
				if ews.Code(err) != tc.code || !strings.Contains(err.Error(), "GetFolder") {
					t.Errorf("%s: err %q", auth.Scheme(), err)
				}
				var te *ewsclient.ThrottledError
				if errors.As(err, &te) {
					t.Errorf("%s: a denial reported as throttling", auth.Scheme())
				}
				// Not retried: one request (plus two handshake legs for NTLM).
				want := int32(1)
				if auth.Scheme() == "NTLM" {
					want = 2
				}
				if n := w.requests.Load(); n != want {
					t.Errorf("%s: %d requests, want %d", auth.Scheme(), n, want)
				}
			}
		})
	}
}

// An Authenticator from outside the package (here: a bearer token, as an OAuth source
// will do) plugs in, and its 401 is an AuthError naming its scheme.
type bearer struct{ token string }

func (b bearer) Scheme() string { return "Bearer" }
func (b bearer) Transport(newBase func(ewsclient.TransportOptions) http.RoundTripper) http.RoundTripper {
	base := newBase(ewsclient.TransportOptions{})
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
		return base.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCustomAuthenticator(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.Header().Set("WWW-Authenticate", `Bearer client_id="00000002-0000-0ff1-ce00-000000000000", error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("X-AnchorMailbox") != "alice@contoso.com" {
			t.Errorf("X-AnchorMailbox %q", r.Header.Get("X-AnchorMailbox"))
		}
		writeResponse(t, w, ews.OpGetFolder, &ews.GetFolderResponse{ResponseMessages: []ews.GetFolderResponseMessage{{
			ResponseMessage: ews.Success(),
			Folders:         &ews.Folders{Folders: []ews.Folder{{XMLName: xmlName(ews.KindFolder), FolderId: &ews.FolderId{Id: "AAMk"}}}},
		}}})
	}))
	t.Cleanup(srv.Close)
	good := newClient(t, srv.URL, bearer{"good"}, ewsclient.Options{})
	if id := mustInbox(t, good, "alice@contoso.com"); id != "AAMk" {
		t.Errorf("id %q", id)
	}
	bad := newClient(t, srv.URL, bearer{"expired"}, ewsclient.Options{})
	_, err := bad.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
	var ae *ewsclient.AuthError
	if !errors.As(err, &ae) || ae.Scheme != "Bearer" || !ae.SchemeOffered() || !slices.Equal(ae.Offered, []string{"Bearer"}) {
		t.Fatalf("err %v (%+v)", err, ae)
	}
}

// An unknown service account gets the very 401 a wrong password gets: same status, same
// challenges, same error but for the name, so nothing can tell them apart, and the
// error says so.
func TestUnknownAccountLikeWrongPassword(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	for _, tc := range []struct {
		scheme         string
		known, unknown ewsclient.Authenticator
		knownUser      string
		unknownUser    string
	}{
		{"Basic", ewsclient.Basic("svc-sync@contoso.com", "Wrong-Pass-1!"), ewsclient.Basic("ghost@contoso.com", "Wrong-Pass-1!"),
			"svc-sync@contoso.com", "ghost@contoso.com"},
		{"NTLM", ewsclient.NTLM(`CONTOSO\svc-sync`, "Wrong-Pass-1!"), ewsclient.NTLM(`CONTOSO\ghost`, "Wrong-Pass-1!"),
			`CONTOSO\svc-sync`, `CONTOSO\ghost`},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			t.Parallel()
			answer := func(auth ewsclient.Authenticator) (*ewsclient.AuthError, string, int32) {
				w := &wire{}
				c := tg.client(t, auth, ewsclient.Options{DialContext: w.DialContext})
				_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
				var ae *ewsclient.AuthError
				if !errors.As(err, &ae) {
					t.Fatalf("err %v, want *AuthError", err)
				}
				return ae, err.Error(), w.requests.Load()
			}
			wrong, wrongMsg, wrongReqs := answer(tc.known)
			ghost, ghostMsg, ghostReqs := answer(tc.unknown)
			if !slices.Equal(wrong.Offered, ghost.Offered) || wrong.SchemeOffered() != ghost.SchemeOffered() || !ghost.SchemeOffered() {
				t.Errorf("challenges differ: wrong password %v, unknown account %v", wrong.Offered, ghost.Offered)
			}
			if ghost.User != tc.unknownUser || strings.ReplaceAll(ghostMsg, tc.unknownUser, tc.knownUser) != wrongMsg {
				t.Errorf("errors differ:\n wrong password:  %s\n unknown account: %s", wrongMsg, ghostMsg)
			}
			if !strings.Contains(ghostMsg, "does not exist") || !strings.Contains(ghostMsg, "alike") {
				t.Errorf("the error does not say both are answered alike: %s", ghostMsg)
			}
			if wrongReqs != ghostReqs {
				t.Errorf("%d requests for a wrong password, %d for an unknown account", wrongReqs, ghostReqs)
			}
		})
	}
}

// Handshake verifies NTLM credentials on an empty request and leaves the connection
// signed in for the next call; a refusal costs one failed logon and no operation. Basic
// has no handshake: nothing is sent.
func TestHandshake(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})

	t.Run("NTLM accepted", func(t *testing.T) {
		t.Parallel()
		w := &wire{}
		c := tg.client(t, tg.ntlm(), ewsclient.Options{DialContext: w.DialContext})
		if err := c.Handshake(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := w.requests.Load(); n != 2 {
			t.Errorf("%d requests for a handshake, want 2 (NEGOTIATE, AUTHENTICATE)", n)
		}
		mustInbox(t, c, "alice@contoso.com")
		if d, n, r := w.dials.Load(), w.negotiates.Load(), w.requests.Load(); d != 1 || n != 1 || r != 3 {
			t.Errorf("%d connections, %d handshakes, %d requests; want 1, 1, 3: the call reuses the signed-in connection", d, n, r)
		}
	})

	for _, tc := range []struct {
		name string
		auth ewsclient.Authenticator
	}{
		{"NTLM wrong password", ewsclient.NTLM(`CONTOSO\svc-sync`, "Wrong-Pass-1!")},
		{"NTLM unknown account", ewsclient.NTLM(`CONTOSO\ghost`, "Wrong-Pass-1!")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &wire{}
			c := tg.client(t, tc.auth, ewsclient.Options{DialContext: w.DialContext})
			err := c.Handshake(t.Context())
			var ae *ewsclient.AuthError
			if !errors.As(err, &ae) || !ae.SchemeOffered() || strings.Contains(err.Error(), "Wrong-Pass-1!") {
				t.Fatalf("err %v, want *AuthError", err)
			}
			if n := w.requests.Load(); n != 2 {
				t.Errorf("%d requests, want 2: one handshake, not retried", n)
			}
		})
	}

	t.Run("NTLM not offered", func(t *testing.T) {
		t.Parallel()
		basicOnly := simTarget(t, exchangesim.Options{Auth: exchangesim.AuthOptions{Basic: true}}, exchangesim.ListenConfig{})
		c := basicOnly.client(t, basicOnly.ntlm(), ewsclient.Options{})
		var ae *ewsclient.AuthError
		if err := c.Handshake(t.Context()); !errors.As(err, &ae) || ae.SchemeOffered() {
			t.Fatalf("err %v, want an *AuthError saying NTLM is not offered", err)
		}
	})

	t.Run("Basic has none", func(t *testing.T) {
		t.Parallel()
		w := &wire{}
		c := tg.client(t, tg.basic(), ewsclient.Options{DialContext: w.DialContext})
		if err := c.Handshake(t.Context()); !errors.Is(err, ewsclient.ErrNoHandshake) {
			t.Fatalf("err %v, want ErrNoHandshake", err)
		}
		if n := w.dials.Load(); n != 0 {
			t.Errorf("%d connections: nothing should be sent", n)
		}
	})
}
