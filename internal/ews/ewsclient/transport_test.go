package ewsclient_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

func TestTLS(t *testing.T) {
	t.Parallel()
	// The simulator's certificates are valid from an hour before its clock: give it the
	// real one.
	tg := simTarget(t, exchangesim.Options{Clock: time.Now}, exchangesim.ListenConfig{TLS: true})
	_, port, err := net.SplitHostPort(tg.Srv.Info().BaseURL[len("https://"):])
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		url  string
		opts ewsclient.Options
		// redirect sends every connection to the simulator, as curl's --resolve does.
		redirect bool
		fail     bool
	}{
		{name: "RootCAs", opts: ewsclient.Options{RootCAs: tg.RootCAs}},
		{name: "CAFile", opts: ewsclient.Options{CAFile: tg.Srv.Info().CACert}},
		{name: "system CAs only", opts: ewsclient.Options{}, fail: true},
		{name: "InsecureSkipVerify", opts: ewsclient.Options{InsecureSkipVerify: true}},
		{name: "host override", url: "https://mail.contoso.com:" + port + "/EWS/Exchange.asmx", opts: ewsclient.Options{RootCAs: tg.RootCAs}, redirect: true},
		{name: "host not in the certificate", url: "https://ews.fabrikam.test:" + port + "/EWS/Exchange.asmx", opts: ewsclient.Options{RootCAs: tg.RootCAs}, redirect: true, fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := tg.URL
			if tc.url != "" {
				u = tc.url
			}
			for _, auth := range []ewsclient.Authenticator{tg.basic(), tg.ntlm()} {
				w := &wire{}
				if tc.redirect {
					w.redirect = "127.0.0.1:" + port
				}
				opts := tc.opts
				opts.DialContext = w.DialContext
				c := newClient(t, u, auth, opts)
				var err error
				for range 3 {
					if _, err = c.GetFolder(t.Context(), "alice@contoso.com", inboxReq()); err != nil {
						break
					}
				}
				var cve *tls.CertificateVerificationError
				switch {
				case tc.fail && !errors.As(err, &cve):
					t.Errorf("%s: err %v, want a certificate verification error", auth.Scheme(), err)
				case !tc.fail && err != nil:
					t.Errorf("%s: %v", auth.Scheme(), err)
				case !tc.fail && w.dials.Load() != 1:
					t.Errorf("%s: %d connections for 3 calls", auth.Scheme(), w.dials.Load())
				}
			}
		})
	}
}

func TestBadCAFile(t *testing.T) {
	t.Parallel()
	if _, err := ewsclient.New("https://mail.contoso.com/EWS/Exchange.asmx", ewsclient.Basic("a", "b"),
		ewsclient.Options{CAFile: "/nonexistent/ca.pem"}); err == nil {
		t.Error("a missing CA file was accepted")
	}
}

// NTLM never runs over HTTP/2 (IIS refuses Windows authentication there); Basic may.
func TestNTLMUsesHTTP1(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	protos := map[string]bool{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		mu.Lock()
		protos[scheme+" "+r.Proto] = true
		mu.Unlock()
		if scheme == "NTLM" && r.ContentLength == 0 {
			// Answer the NEGOTIATE leg with a challenge (contents irrelevant: the
			// AUTHENTICATE leg is then accepted without checking).
			w.Header().Set("WWW-Authenticate", "NTLM "+testChallenge)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		writeResponse(t, w, ews.OpGetFolder, &ews.GetFolderResponse{ResponseMessages: []ews.GetFolderResponseMessage{{
			ResponseMessage: ews.Success(),
			Folders:         &ews.Folders{Folders: []ews.Folder{{XMLName: xmlName(ews.KindFolder), FolderId: &ews.FolderId{Id: "AAMk"}}}},
		}}})
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	for _, auth := range []ewsclient.Authenticator{ewsclient.Basic("u", "p"), ewsclient.NTLM(`D\u`, "p")} {
		c := newClient(t, srv.URL, auth, ewsclient.Options{RootCAs: pool})
		mustInbox(t, c, "")
	}
	mu.Lock()
	defer mu.Unlock()
	if !protos["Basic HTTP/2.0"] || !protos["NTLM HTTP/1.1"] || protos["NTLM HTTP/2.0"] || protos[" HTTP/2.0"] {
		t.Errorf("protocols seen: %v", protos)
	}
}

// testChallenge is a minimal NTLM CHALLENGE message, base64: type 2, flags UNICODE |
// NTLM | ALWAYS_SIGN | EXTENDED_SESSIONSECURITY, a fixed server challenge, no target
// name or info.
var testChallenge = func() string {
	b := append([]byte("NTLMSSP\x00"), 2, 0, 0, 0) // signature, type
	b = append(b, 0, 0, 0, 0, 48, 0, 0, 0)         // TargetName: empty, at 48
	b = binary.LittleEndian.AppendUint32(b, 0x00088201)
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8)  // server challenge
	b = append(b, make([]byte, 8)...)      // reserved
	b = append(b, 0, 0, 0, 0, 48, 0, 0, 0) // TargetInfo: empty, at 48
	return base64.StdEncoding.EncodeToString(b)
}()

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	followed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/forbidden":
			http.Error(w, "EWS is disabled for this tenant.", http.StatusForbidden)
		case "/redirect":
			w.Header().Set("Location", "https://elsewhere.test/EWS/Exchange.asmx")
			w.WriteHeader(http.StatusFound)
		case "/loginpage":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><form>Sign in</form></html>")
		case "/errorpage":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "<html>Server Error in '/EWS' Application.</html>")
		case "/notsoap":
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "<error>backend down</error>")
		case "/EWS/Exchange.asmx":
			mu.Lock()
			followed = true
			mu.Unlock()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		path     string
		status   int
		inBody   string
		location string
	}{
		{"/forbidden", 403, "EWS is disabled", ""},
		{"/redirect", 302, "", "https://elsewhere.test/EWS/Exchange.asmx"},
		{"/loginpage", 200, "Sign in", ""},
		{"/errorpage", 500, "Server Error", ""},
		{"/notsoap", 500, "backend down", ""},
		{"/missing", 404, "404 page not found", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			c := newClient(t, srv.URL+tc.path, ewsclient.Basic("svc@contoso.com", "Svc-Pass-2026!"), ewsclient.Options{})
			_, err := c.GetFolder(t.Context(), "", inboxReq())
			var he *ewsclient.HTTPError
			if !errors.As(err, &he) || he.Status != tc.status || !strings.Contains(he.Body, tc.inBody) || he.Location != tc.location {
				t.Fatalf("err %v (%+v)", err, he)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if followed {
		t.Error("the redirect was followed")
	}
}

func TestNewRejectsBadEndpoints(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ftp://mail.contoso.com/EWS/Exchange.asmx", "https:///EWS/Exchange.asmx",
		"https://svc:pass@mail.contoso.com/EWS/Exchange.asmx", "://bad"} {
		if _, err := ewsclient.New(u, ewsclient.Basic("a", "b"), ewsclient.Options{}); err == nil {
			t.Errorf("%q accepted", u)
		} else if strings.Contains(err.Error(), "pass@") {
			t.Errorf("%q: the error shows the credentials: %v", u, err)
		}
	}
	if _, err := ewsclient.New("https://mail.contoso.com/EWS/Exchange.asmx", ewsclient.Basic("a", "b"), ewsclient.Options{ServerVersion: "Exchange2099"}); err == nil {
		t.Error("an unknown ServerVersion was accepted")
	}
	if _, err := ewsclient.New("https://mail.contoso.com/EWS/Exchange.asmx", ewsclient.Basic("a", "b"),
		ewsclient.Options{Transport: http.DefaultTransport, InsecureSkipVerify: true}); err == nil {
		t.Error("Transport with TLS options was accepted")
	}
}

func TestMaxResponseBytes(t *testing.T) {
	t.Parallel()
	t.Run("simulator, announced length", func(t *testing.T) {
		t.Parallel()
		tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
		c := tg.client(t, tg.basic(), ewsclient.Options{MaxResponseBytes: 4096})
		_, err := c.FindItem(t.Context(), "alice@contoso.com", &ews.FindItemRequest{
			Traversal: ews.TraversalShallow, ItemShape: ews.ItemShape{BaseShape: ews.ShapeAllProperties},
			ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}})
		if !errors.Is(err, ewsclient.ErrResponseTooLarge) {
			t.Fatalf("err %v", err)
		}
		mustInbox(t, c, "alice@contoso.com") // small answers still pass
	})
	t.Run("chunked, endless", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s=%q><s:Body><m:GetFolderResponse xmlns:m=%q><!--`, ews.NSSoap, ews.NSMessages)
			pad := strings.Repeat("x", 32<<10)
			for r.Context().Err() == nil {
				if _, err := fmt.Fprint(w, pad); err != nil {
					return
				}
			}
		}))
		t.Cleanup(srv.Close)
		c := newClient(t, srv.URL, ewsclient.Basic("u", "p"), ewsclient.Options{MaxResponseBytes: 1 << 20})
		_, err := c.GetFolder(t.Context(), "", inboxReq())
		if !errors.Is(err, ewsclient.ErrResponseTooLarge) {
			t.Fatalf("err %v", err)
		}
	})
}

// With Options.Transport the client cannot see connections: an NTLM connection that was
// replaced shows as a 401, and the client authenticates the new one.
func TestNTLMCustomTransport(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	w := &wire{}
	tr := &http.Transport{DialContext: w.DialContext}
	c := tg.client(t, tg.ntlm(), ewsclient.Options{Transport: tr})
	for range 3 {
		mustInbox(t, c, "alice@contoso.com")
		tr.CloseIdleConnections() // behind the client's back
	}
	// The first call handshakes (2 requests); the next ones go out without credentials
	// on a new connection, get a 401 and handshake on it (3 requests each).
	if d, n, r := w.dials.Load(), w.negotiates.Load(), w.requests.Load(); d != 3 || n != 3 || r != 8 {
		t.Errorf("%d connections, %d handshakes, %d requests; want 3, 3 and 8", d, n, r)
	}
	if u, _ := url.Parse(tg.URL); u.Scheme != "http" {
		t.Fatal("the count needs plain HTTP")
	}
}

// A server that needs no authentication answers the empty NEGOTIATE leg itself; the
// client then sends the real request on the same connection.
func TestNTLMWithoutAuthentication(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		bodies = append(bodies, r.ContentLength)
		mu.Unlock()
		writeResponse(t, w, ews.OpGetFolder, &ews.GetFolderResponse{ResponseMessages: []ews.GetFolderResponseMessage{{
			ResponseMessage: ews.Success(),
			Folders:         &ews.Folders{Folders: []ews.Folder{{XMLName: xmlName(ews.KindFolder), FolderId: &ews.FolderId{Id: "AAMk"}}}},
		}}})
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, ewsclient.NTLM(`D\u`, "p"), ewsclient.Options{})
	mustInbox(t, c, "")
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0] != 0 || bodies[1] == 0 {
		t.Errorf("request body lengths %v, want the empty NEGOTIATE leg then the request", bodies)
	}
}
