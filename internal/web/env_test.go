package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/web"
)

var ctx = context.Background()

const (
	opEmail       = "op@mailbridge.test"
	opPassword    = "operator password 1"
	adminPassword = "admin password 12" // of the admins e.admin creates
	svcPass       = controltest.ServicePassword
	contosoEWS    = controltest.EWSURL
)

// env is the admin panel over controltest's Service (a fresh SQLite store, the contoso
// simulator reachable as contoso.com), served by an httptest server, with an operator
// account that can log in (opEmail, opPassword).
type env struct {
	*controltest.Env
	h   *web.Handler
	srv *httptest.Server
	log *controltest.LogBuffer // the handler's log, to check that no password reaches it
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, controltest.Options{})
}

// newEnvWith is newEnv with controltest's options (DenyPrivate: the address guard on).
func newEnvWith(t *testing.T, opts controltest.Options) *env {
	t.Helper()
	e := &env{Env: controltest.New(t, opts), log: &controltest.LogBuffer{}}
	if _, err := e.Service.CreateOperator(ctx, e.Operator, control.NewAdmin{Email: opEmail, Name: "Olga Operator", Password: opPassword}); err != nil {
		t.Fatal(err)
	}
	var err error
	e.h, err = web.New(e.Service, web.Options{Logger: slog.New(slog.NewTextHandler(e.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

// admin creates an admin of the organization (password adminPassword) and returns
// their email address.
func (e *env) admin(t *testing.T, orgID int64, email string) string {
	t.Helper()
	e.OrgAdmin(t, orgID, email, adminPassword)
	return email
}

// contosoForm is the Email Configuration form filled in for svc-sync.
func contosoForm() url.Values {
	return url.Values{"access_type": {control.AccessExchangeImpersonation}, "account_logon": {controltest.ServiceLogon},
		"password": {svcPass}, "ews_url": {contosoEWS}, "auth_method": {"ntlm"}, "base_version": {"0"}}
}

// browser is a client with cookies that does not follow redirects, and remembers the
// CSRF token of the last page it read.
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
	// pages collects every HTML page read, for checks over all of them.
	pages []string
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// resp is an answer, read.
type resp struct {
	status int
	body   string
	loc    string
	header http.Header
}

var (
	metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	formCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func (b *browser) do(req *http.Request) resp {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	r := resp{status: res.StatusCode, body: string(body), loc: res.Header.Get("Location"), header: res.Header}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		b.pages = append(b.pages, r.body)
		if m := metaCSRF.FindStringSubmatch(r.body); m != nil {
			b.csrf = m[1]
		}
	}
	return r
}

func (b *browser) get(path string) resp {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form with the session's CSRF token (unless the form has a csrf value).
func (b *browser) post(path string, form url.Values) resp {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.postRaw(path, form, nil)
}

func (b *browser) postRaw(path string, form url.Values, header http.Header) resp {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

// postMultipart sends the import form: fields, and a file when fileName is not empty.
func (b *browser) postMultipart(path string, fields map[string]string, fileName string, file []byte) resp {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf"]; !ok {
		mw.WriteField("csrf", b.csrf)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// login logs in through the login form and returns the redirect's target.
func (b *browser) login(email, password string) resp {
	b.t.Helper()
	page := b.get("/login")
	m := formCSRF.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("login page has no csrf field:\n%s", page.body)
	}
	return b.postRaw("/login", url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}}, nil)
}

// mustLogin logs in and reads the page it lands on (to learn the CSRF token).
func (b *browser) mustLogin(email, password string) resp {
	b.t.Helper()
	r := b.login(email, password)
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("login as %s: %d\n%s", email, r.status, r.body)
	}
	return b.follow(r)
}

// follow follows redirects to a page.
func (b *browser) follow(r resp) resp {
	b.t.Helper()
	for i := 0; i < 5 && r.status >= 300 && r.status < 400; i++ {
		r = b.get(r.loc)
	}
	return r
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		body := r.body
		if len(body) > 3000 {
			body = body[:3000] + "…"
		}
		t.Fatalf("status %d, want %d (Location %q)\n%s", r.status, status, r.loc, body)
	}
}

func wantContains(t *testing.T, r resp, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Fatalf("page does not contain %q:\n%s", p, r.body)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
