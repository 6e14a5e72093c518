package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/web"
)

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)

	// Unauthenticated pages send the browser to log in, and back.
	r := b.get("/orgs?x=1")
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != "/login?next="+url.QueryEscape("/orgs?x=1") {
		t.Fatalf("redirected to %q", r.loc)
	}
	r = b.get("/")
	wantStatus(t, r, http.StatusSeeOther)
	if !strings.HasPrefix(r.loc, "/login?next=") {
		t.Fatalf("/ redirected to %q", r.loc)
	}
	wantStatus(t, b.get("/login"), http.StatusOK)

	r = b.login(opEmail, "wrong password")
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r, "Wrong email address or password.", `value="op@mailbridge.test"`)
	if strings.Contains(r.body, "wrong password") {
		t.Fatal("the password typed was shown again")
	}

	r = b.login(opEmail, opPassword)
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != "/orgs" {
		t.Fatalf("login went to %q", r.loc)
	}
	var setCookie string
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "mailbridge_session=") {
			setCookie = c
		}
	}
	for _, want := range []string{"Path=/", "HttpOnly", "SameSite=Lax", "Expires=", "Max-Age="} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("session cookie %q lacks %s", setCookie, want)
		}
	}
	if strings.Contains(setCookie, "Secure") {
		t.Errorf("session cookie %q is Secure on plain HTTP", setCookie)
	}
	r = b.get("/")
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != "/orgs" {
		t.Fatalf("/ went to %q", r.loc)
	}
	r = b.get("/orgs")
	wantStatus(t, r, http.StatusOK)
	wantContains(t, r, opEmail, "Log out", "Organizations", "Create organization")
	// A logged-in browser is sent on from the login page.
	r = b.get("/login?next=/orgs")
	wantStatus(t, r, http.StatusSeeOther)

	// Logging out needs the CSRF token, then ends the session.
	wantStatus(t, b.post("/logout", url.Values{"csrf": {"forged"}}), http.StatusForbidden)
	wantStatus(t, b.get("/orgs"), http.StatusOK)
	r = b.post("/logout", nil)
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != "/login" {
		t.Fatalf("logout went to %q", r.loc)
	}
	wantStatus(t, b.get("/orgs"), http.StatusSeeOther)
	if c := b.cookie("mailbridge_session"); c != nil {
		t.Fatalf("session cookie still there: %v", c)
	}
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := web.New(e.Service, web.Options{Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := httpRecorder(h, "GET", "/login", nil)
	if c := strings.Join(rec.Header().Values("Set-Cookie"), "\n"); !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") {
		t.Fatalf("login cookie: %s", c)
	}
}

func TestLoginNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso")
	cases := []struct {
		next string
		want string
	}{
		{"/orgs/" + itoa(org) + "/users?q=alice", "/orgs/" + itoa(org) + "/users?q=alice"},
		{"/orgs", "/orgs"},
		{"//evil.example/x", "/orgs"},
		{"https://evil.example/", "/orgs"},
		{"/\\evil.example", "/orgs"},
		{"\\\\evil.example", "/orgs"},
		{"javascript:alert(1)", "/orgs"},
		{"/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"}, // stays a path on this site
		{"/\tevil", "/orgs"},
		{"evil.example", "/orgs"},
		{"/login", "/orgs"},
		{"", "/orgs"},
	}
	for _, c := range cases {
		t.Run(c.next, func(t *testing.T) {
			b := e.browser(t)
			page := b.get("/login?next=" + url.QueryEscape(c.next))
			m := formCSRF.FindStringSubmatch(page.body)
			r := b.postRaw("/login", url.Values{"email": {opEmail}, "password": {opPassword}, "csrf": {m[1]}, "next": {c.next}}, nil)
			wantStatus(t, r, http.StatusSeeOther)
			if r.loc != c.want {
				t.Fatalf("next %q: went to %q, want %q", c.next, r.loc, c.want)
			}
		})
	}
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)
	for range 5 {
		wantStatus(t, b.login(opEmail, "wrong"), http.StatusUnauthorized)
	}
	r := b.login(opEmail, opPassword)
	wantStatus(t, r, http.StatusTooManyRequests)
	wantContains(t, r, "Too many failed logins. Try again in 15 minutes.")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// Failed logins are counted per client address, whatever port each connection came
// from: twenty failures for twenty accounts lock the address (not its neighbours) out.
func TestLoginLimitPerClientAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// login posts the login form straight to the handler, as a connection from remoteAddr.
	login := func(t *testing.T, remoteAddr, email, password string) *httptest.ResponseRecorder {
		t.Helper()
		get := httptest.NewRequest("GET", "/login", nil)
		get.RemoteAddr = remoteAddr
		page := httptest.NewRecorder()
		e.h.ServeHTTP(page, get)
		m := formCSRF.FindStringSubmatch(page.Body.String())
		if m == nil {
			t.Fatalf("login page has no csrf field:\n%s", page.Body)
		}
		form := url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}}
		post := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		post.RemoteAddr = remoteAddr
		for _, c := range page.Result().Cookies() {
			post.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, post)
		return rec
	}
	cases := []struct{ name, client, neighbour string }{
		{"IPv4", "203.0.113.9:%d", "203.0.113.10:%d"},
		{"IPv6", "[2001:db8::9]:%d", "[2001:db8::a]:%d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for i := range 20 {
				r := login(t, fmt.Sprintf(c.client, 40000+i), fmt.Sprintf("nobody%d.%s@contoso.com", i, c.name), "wrong")
				if r.Code != http.StatusUnauthorized {
					t.Fatalf("attempt %d: status %d", i, r.Code)
				}
			}
			if r := login(t, fmt.Sprintf(c.client, 50000), opEmail, opPassword); r.Code != http.StatusTooManyRequests {
				t.Fatalf("the address over its limit, from another port: status %d, want 429", r.Code)
			}
			if r := login(t, fmt.Sprintf(c.neighbour, 40000), opEmail, opPassword); r.Code != http.StatusSeeOther {
				t.Fatalf("another address: status %d, want 303", r.Code)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso")
	b := e.browser(t)
	b.mustLogin(opEmail, opPassword)
	good := b.csrf
	cases := []struct {
		name   string
		form   url.Values
		header http.Header
	}{
		{"no token", url.Values{"name": {"Evil"}}, nil},
		{"wrong token", url.Values{"name": {"Evil"}, "csrf": {good + "x"}}, nil},
		{"empty token", url.Values{"name": {"Evil"}, "csrf": {""}}, nil},
		{"another session's token", url.Values{"name": {"Evil"}, "csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}, nil},
		{"cross-site fetch", url.Values{"name": {"Evil"}, "csrf": {good}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"foreign origin", url.Values{"name": {"Evil"}, "csrf": {good}}, http.Header{"Origin": {"https://evil.example"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := b.postRaw("/orgs", c.form, c.header)
			wantStatus(t, r, http.StatusForbidden)
		})
	}
	// The script's endpoints take the token in a header.
	r := b.postRaw("/orgs/"+itoa(org)+"/email/discover", contosoForm(), nil)
	wantStatus(t, r, http.StatusForbidden)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("JSON endpoint answered %s", r.header.Get("Content-Type"))
	}
	r = b.postRaw("/orgs/"+itoa(org)+"/email/check", contosoForm(), http.Header{"X-Csrf-Token": {"forged"}})
	wantStatus(t, r, http.StatusForbidden)
	if orgs, _ := e.Service.ListOrganizations(ctx, e.Operator); len(orgs) != 1 {
		t.Fatalf("a refused request created an organization: %v", orgs)
	}
	// With the right token, same-origin, it works.
	wantStatus(t, b.postRaw("/orgs", url.Values{"name": {"Fabrikam"}, "csrf": {good}}, http.Header{"Sec-Fetch-Site": {"same-origin"}}), http.StatusSeeOther)

	// The login form is protected before any session exists.
	anon := e.browser(t)
	r = anon.postRaw("/login", url.Values{"email": {opEmail}, "password": {opPassword}}, nil)
	wantStatus(t, r, http.StatusForbidden)
	anon.get("/login")
	r = anon.postRaw("/login", url.Values{"email": {opEmail}, "password": {opPassword}, "csrf": {"forged"}}, nil)
	wantStatus(t, r, http.StatusForbidden)
	wantContains(t, r, "expired")
	// A token from another browser's login page does not fit this browser's cookie.
	other := e.browser(t)
	m := formCSRF.FindStringSubmatch(other.get("/login").body)
	r = anon.postRaw("/login", url.Values{"email": {opEmail}, "password": {opPassword}, "csrf": {m[1]}}, nil)
	wantStatus(t, r, http.StatusForbidden)
	r = anon.postRaw("/login", url.Values{"email": {opEmail}, "password": {opPassword}, "csrf": {m[1]}},
		http.Header{"Origin": {"https://evil.example"}})
	wantStatus(t, r, http.StatusForbidden)
}

// An expired or forged session is no session.
func TestSessionCookieForged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/orgs", nil)
	req.AddCookie(&http.Cookie{Name: "mailbridge_session", Value: "forged"})
	r := b.do(req)
	wantStatus(t, r, http.StatusSeeOther)
	if !strings.HasPrefix(r.loc, "/login") {
		t.Fatalf("went to %q", r.loc)
	}
	// The script's endpoints answer 401 in JSON.
	org := e.Org(t, "Contoso")
	r = b.postRaw("/orgs/"+itoa(org)+"/email/check", contosoForm(), http.Header{"X-Csrf-Token": {"x"}})
	wantStatus(t, r, http.StatusUnauthorized)
	wantContains(t, r, `"type":"error"`)
}
