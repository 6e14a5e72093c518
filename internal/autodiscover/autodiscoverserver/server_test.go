package autodiscoverserver

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	internalEWS = "https://mail.example.local/EWS/Exchange.asmx"
	externalEWS = "https://mail.example.com/EWS/Exchange.asmx"
)

// testBackend is a small directory: an address is found case-insensitively; busy@ and
// broken@ fail the way a real backend can.
type testBackend map[string]User

func (b testBackend) LookupUser(_ context.Context, email string) (User, error) {
	switch key := strings.ToLower(email); key {
	case "busy@example.com":
		return User{}, fmt.Errorf("lookup: %w", ErrServerBusy)
	case "broken@example.com":
		return User{}, errors.New("lookup: database unreachable")
	default:
		if u, ok := b[key]; ok {
			return u, nil
		}
	}
	return User{}, fmt.Errorf("lookup %s: %w", email, ErrUserNotFound)
}

func newBackend() testBackend {
	return testBackend{
		"alice@example.com": {SMTPAddress: "alice@example.com", DisplayName: "Alice Example"},
		"alias@example.com": {SMTPAddress: "alice@example.com", DisplayName: "Alice Example"},
		"carol@example.com": {RedirectAddress: "carol@cloud.example.net"},
		"dave@example.com":  {InternalEWSURL: "https://mbx2.example.local/EWS/Exchange.asmx", ExternalEWSURL: "https://site2.example.com/EWS/Exchange.asmx"},
	}
}

var fixedNow = time.Date(2024, 1, 2, 10, 15, 4, 123456700, time.UTC)

func testOptions() Options {
	return Options{
		InternalEWSURL: internalEWS,
		ExternalEWSURL: externalEWS,
		AuthPackage:    "Negotiate",
		Redirects: []Redirect{
			{Match: "bob@example.com", Address: "bob@other.example.com"},
			{Match: "partner.example", URL: "https://autodiscover.partner.example/autodiscover/autodiscover.xml"},
		},
		AcceptedDomains: []string{"example.com"},
		Now:             func() time.Time { return fixedNow },
	}
}

func newServer(t *testing.T, opts Options) (*httptest.Server, *Handler) {
	t.Helper()
	h, err := New(newBackend(), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h
}

// do sends one request and returns the response with its body read. Redirects are not
// followed.
func do(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*Options){
		"no EWS URL":              func(o *Options) { o.InternalEWSURL, o.ExternalEWSURL = "", "" },
		"relative EWS URL":        func(o *Options) { o.ExternalEWSURL = "/EWS/Exchange.asmx" },
		"ftp EWS URL":             func(o *Options) { o.InternalEWSURL = "ftp://mail.example.com/x" },
		"redirect without target": func(o *Options) { o.Redirects = []Redirect{{Match: "x@example.com"}} },
		"redirect with both targets": func(o *Options) {
			o.Redirects = []Redirect{{Match: "x", Address: "y@example.com", URL: "https://a.example/"}}
		},
		"redirect without match":     func(o *Options) { o.Redirects = []Redirect{{Address: "y@example.com"}} },
		"redirect to a relative URL": func(o *Options) { o.Redirects = []Redirect{{Match: "x", URL: "autodiscover.xml"}} },
		"negative MaxRequestBytes":   func(o *Options) { o.MaxRequestBytes = -1 },
		"relative HTTPRedirectURL":   func(o *Options) { o.HTTPRedirectURL = "/autodiscover/autodiscover.xml" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			mutate(&opts)
			if _, err := New(newBackend(), opts); err == nil {
				t.Error("New accepted bad options")
			}
		})
	}
	if _, err := New(nil, testOptions()); err == nil {
		t.Error("New accepted a nil backend")
	}
	if _, err := New(newBackend(), Options{ExternalEWSURL: externalEWS}); err != nil {
		t.Errorf("minimal options: %v", err)
	}
}

// TestOptionsAreCopied checks that changing the caller's slices later does not change a
// running handler.
func TestOptionsAreCopied(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	srv, _ := newServer(t, opts)
	opts.Redirects[0].Address = "mallory@evil.example"
	_, body := do(t, http.MethodPost, srv.URL+autodiscover.POXPath, poxRequest("bob@example.com"))
	if !bytes.Contains(body, []byte("bob@other.example.com")) {
		t.Errorf("redirect changed under the handler:\n%s", body)
	}
}

func TestDisabledEndpoints(t *testing.T) {
	t.Parallel()
	requests := map[string]struct{ method, path, body string }{
		"pox":  {http.MethodPost, autodiscover.POXPath, poxRequest("alice@example.com")},
		"soap": {http.MethodPost, autodiscover.SOAPPath, soapRequest(t, []string{"alice@example.com"}, "ExternalEwsUrl")},
		"json": {http.MethodGet, autodiscover.JSONRequestPath("alice@example.com", "EWS"), ""},
	}
	for disabled, disable := range map[string]func(*Options){
		"pox":  func(o *Options) { o.DisablePOX = true },
		"soap": func(o *Options) { o.DisableSOAP = true },
		"json": func(o *Options) { o.DisableJSON = true },
	} {
		t.Run(disabled, func(t *testing.T) {
			t.Parallel()
			opts := testOptions()
			disable(&opts)
			srv, h := newServer(t, opts)
			for name, rq := range requests {
				resp, body := do(t, rq.method, srv.URL+rq.path, rq.body)
				if name == disabled {
					if resp.StatusCode != http.StatusNotFound {
						t.Errorf("%s: status %d, want 404", name, resp.StatusCode)
					}
					if resp.Header.Get("X-SOAP-Enabled") != "" || bytes.Contains(body, []byte("Autodiscover")) {
						t.Errorf("%s: a disabled endpoint gives itself away: %v %s", name, resp.Header, body)
					}
					r := httptest.NewRequest(rq.method, rq.path, nil)
					if !h.Anonymous(r) {
						t.Errorf("%s: a disabled endpoint needs no caller", name)
					}
					continue
				}
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: status %d with %s disabled", name, resp.StatusCode, disabled)
				}
				// X-SOAP-Enabled advertises SOAP on the POX endpoint only while SOAP is on.
				if name == "pox" && (resp.Header.Get("X-SOAP-Enabled") != "") == (disabled == "soap") {
					t.Errorf("X-SOAP-Enabled = %q with %s disabled", resp.Header.Get("X-SOAP-Enabled"), disabled)
				}
			}
		})
	}
}

func TestPathsMatchCaseInsensitively(t *testing.T) {
	t.Parallel()
	srv, h := newServer(t, testOptions())
	cases := []struct {
		method, path, body string
		status             int
	}{
		{http.MethodPost, "/AutoDiscover/AutoDiscover.xml", poxRequest("alice@example.com"), http.StatusOK},
		{http.MethodPost, "/AUTODISCOVER/AUTODISCOVER.XML", poxRequest("alice@example.com"), http.StatusOK},
		{http.MethodPost, "/Autodiscover/Autodiscover.svc", soapRequest(t, []string{"alice@example.com"}, "ExternalEwsUrl"), http.StatusOK},
		{http.MethodGet, "/AutoDiscover/AutoDiscover.json/V1.0/alice@example.com?Protocol=EWS", "", http.StatusOK},
		{http.MethodGet, "/autodiscover/autodiscover.json?email=alice@example.com&protocol=ews", "", http.StatusOK},
		{http.MethodPost, "/autodiscover/autodiscover.xml/", poxRequest("alice@example.com"), http.StatusNotFound},
		{http.MethodPost, "/EWS/Exchange.asmx", poxRequest("alice@example.com"), http.StatusNotFound},
		{http.MethodGet, "/", "", http.StatusNotFound},
	}
	for _, tc := range cases {
		resp, body := do(t, tc.method, srv.URL+tc.path, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d\n%s", tc.method, tc.path, resp.StatusCode, tc.status, body)
		}
		if got := h.Handles(httptest.NewRequest(tc.method, tc.path, nil)); got != (tc.status == http.StatusOK) {
			t.Errorf("Handles(%s) = %v", tc.path, got)
		}
	}
}

func TestAnonymous(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.HTTPRedirect = true
	h, err := New(newBackend(), opts)
	if err != nil {
		t.Fatal(err)
	}
	tlsReq := func(method, path string) *http.Request {
		r := httptest.NewRequest(method, "https://mail.example.com"+path, nil)
		return r
	}
	cases := []struct {
		name string
		r    *http.Request
		want bool
	}{
		{"json", httptest.NewRequest(http.MethodGet, autodiscover.JSONRequestPath("a@example.com", "EWS"), nil), true},
		{"http redirect GET", httptest.NewRequest(http.MethodGet, "http://autodiscover.example.com/autodiscover/autodiscover.xml", nil), true},
		{"pox POST", httptest.NewRequest(http.MethodPost, autodiscover.POXPath, nil), false},
		{"pox GET over https", tlsReq(http.MethodGet, autodiscover.POXPath), false},
		{"soap", httptest.NewRequest(http.MethodPost, autodiscover.SOAPPath, nil), false},
	}
	for _, tc := range cases {
		if got := h.Anonymous(tc.r); got != tc.want {
			t.Errorf("%s: Anonymous = %v, want %v", tc.name, got, tc.want)
		}
	}

	hdr := http.Header{}
	h.SetEndpointHeaders(hdr)
	if hdr.Get("X-SOAP-Enabled") != "True" {
		t.Errorf("SetEndpointHeaders: %v", hdr)
	}
}

func TestHTTPRedirect(t *testing.T) {
	t.Parallel()
	t.Run("default target", func(t *testing.T) {
		t.Parallel()
		opts := testOptions()
		opts.HTTPRedirect = true
		srv, _ := newServer(t, opts)
		resp, _ := do(t, http.MethodGet, srv.URL+"/Autodiscover/Autodiscover.xml", "")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://127.0.0.1/autodiscover/autodiscover.xml" {
			t.Errorf("got %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// POST on the same listener is still the POX endpoint.
		resp, body := do(t, http.MethodPost, srv.URL+autodiscover.POXPath, poxRequest("alice@example.com"))
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<Action>settings</Action>")) {
			t.Errorf("POST: %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("configured target, POX disabled", func(t *testing.T) {
		t.Parallel()
		opts := testOptions()
		opts.HTTPRedirect, opts.DisablePOX = true, true
		opts.HTTPRedirectURL = "https://mail.example.com/autodiscover/autodiscover.xml"
		srv, _ := newServer(t, opts)
		resp, _ := do(t, http.MethodGet, srv.URL+autodiscover.POXPath, "")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != opts.HTTPRedirectURL {
			t.Errorf("got %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		srv, _ := newServer(t, testOptions())
		resp, body := do(t, http.MethodGet, srv.URL+autodiscover.POXPath, "")
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<ErrorCode>600</ErrorCode>")) {
			t.Errorf("GET without the redirect method: %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("not over TLS", func(t *testing.T) {
		t.Parallel()
		opts := testOptions()
		opts.HTTPRedirect = true
		h, err := New(newBackend(), opts)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewTLSServer(h)
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL + autodiscover.POXPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != srv.URL+autodiscover.POXPath {
			t.Errorf("GET over https was redirected: %d %s", resp.StatusCode, resp.Request.URL)
		}
	})
}

func TestProtect(t *testing.T) {
	t.Parallel()
	h, err := New(newBackend(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var challenges atomic.Int32
	srv := httptest.NewServer(h.Protect(basicAuth(&challenges)))
	defer srv.Close()

	// Anonymous: JSON v2 and a 404 for a disabled or unknown path, without a challenge.
	if resp, body := do(t, http.MethodGet, srv.URL+autodiscover.JSONRequestPath("alice@example.com", "EWS"), ""); resp.StatusCode != http.StatusOK {
		t.Errorf("json: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodGet, srv.URL+"/nothing/here", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
	if n := challenges.Load(); n != 0 {
		t.Errorf("%d challenges for anonymous requests", n)
	}

	// POX without credentials: the middleware's 401 advertises SOAP, as Exchange's does.
	resp, _ := do(t, http.MethodGet, srv.URL+autodiscover.POXPath, "")
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-SOAP-Enabled") != "True" {
		t.Errorf("anonymous POX: %d %v", resp.StatusCode, resp.Header)
	}
	// With credentials the handler answers.
	req, err := http.NewRequest(http.MethodPost, srv.URL+autodiscover.POXPath, strings.NewReader(poxRequest("alice@example.com")))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice@example.com", "secret")
	authed, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	authed.Body.Close()
	if authed.StatusCode != http.StatusOK || challenges.Load() != 1 {
		t.Errorf("authenticated POX: %d, %d challenges", authed.StatusCode, challenges.Load())
	}
}
