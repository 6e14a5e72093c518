package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// httpRecorder serves one request straight through a handler.
func httpRecorder(h http.Handler, method, path string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var orgLink = regexp.MustCompile(`/orgs/(\d+)/admins`)

func TestOperatorCreatesOrgAndAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.browser(t)
	op.mustLogin(opEmail, opPassword)
	wantContains(t, op.get("/orgs"), "No organizations yet.", `<label for="org-name">Organization name</label>`)

	// Invalid, then valid; a second "Contoso" is refused.
	r := op.post("/orgs", url.Values{"name": {"   "}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "Enter the organization&#39;s name.", `aria-invalid="true"`)
	r = op.post("/orgs", url.Values{"name": {"Contoso"}})
	wantStatus(t, r, http.StatusSeeOther)
	m := orgLink.FindStringSubmatch(r.loc)
	if m == nil {
		t.Fatalf("created organization went to %q", r.loc)
	}
	orgPath := "/orgs/" + m[1]
	r = op.follow(r)
	wantContains(t, r, "Organization “Contoso” created.", "Create an admin")
	r = op.post("/orgs", url.Values{"name": {"contoso"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "exists already", `value="contoso"`)
	wantContains(t, op.get("/orgs"), ">Contoso</a>")

	// The organization's admin.
	r = op.post(orgPath+"/admins", url.Values{"email": {"ada@contoso.com"}, "name": {"Ada"}, "password": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "Use at least 12 characters.", `value="ada@contoso.com"`)
	if strings.Contains(r.body, `value="short"`) {
		t.Fatal("the password typed was shown again")
	}
	r = op.post(orgPath+"/admins", url.Values{"email": {"ada@contoso.com"}, "name": {"Ada"}, "password": {"a long enough password"}})
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, op.follow(r), "Admin ada@contoso.com created.", "ada@contoso.com")
	// Submitted twice: no second account.
	r = op.post(orgPath+"/admins", url.Values{"email": {"ada@contoso.com"}, "name": {"Ada"}, "password": {"a long enough password"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "exists already")

	// The admin lands in their organization and may not do operators' things.
	ad := e.browser(t)
	r = ad.login("ada@contoso.com", "a long enough password")
	wantStatus(t, r, http.StatusSeeOther)
	r = ad.get("/orgs")
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != orgPath+"/users" {
		t.Fatalf("admin's /orgs went to %q", r.loc)
	}
	page := ad.get(orgPath + "/users")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "Contoso", "Organization admin", "Users", "Email Configuration")
	r = ad.post("/orgs", url.Values{"name": {"Mine"}})
	wantStatus(t, r, http.StatusForbidden)
	admins := ad.get(orgPath + "/admins")
	wantContains(t, admins, "ada@contoso.com")
	if strings.Contains(admins.body, "Create an admin") || strings.Contains(admins.body, "/remove") {
		t.Fatal("an admin is offered the operator's forms")
	}
	acc, _ := e.Service.ListOrgAdmins(ctx, e.Operator, mustID(t, m[1]))
	wantStatus(t, ad.post(orgPath+"/admins/"+itoa(acc[0].ID)+"/remove", nil), http.StatusForbidden)

	// The operator removes the admin; their session ends with the account.
	r = op.post(orgPath+"/admins/"+itoa(acc[0].ID)+"/remove", nil)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, op.follow(r), "Admin removed.", "No admins yet.")
	wantStatus(t, ad.get(orgPath+"/users"), http.StatusSeeOther)
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not an id: %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// Every route under /orgs/{org}, tried by organization A's admin with organization B's
// ids, answers 404 and changes nothing; tried with A's organization and B's object ids,
// 404 too (or 403 for operator-only actions). Routes added later are covered as they
// come, since the list comes from the handler.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.Org(t, "Alpha", "alice@contoso.com")
	b := e.Org(t, "Bravo Secret Name", "bob@contoso.com")
	e.admin(t, a, "admin@alpha.test")
	bAdmin := e.admin(t, b, "admin@bravo.test")
	bUsers, _ := e.Service.ListUsers(ctx, e.Operator, b)
	bAdmins, _ := e.Service.ListOrgAdmins(ctx, e.Operator, b)
	bToken, err := e.Service.CreateAPIToken(ctx, e.Operator, b, "CRM")
	if err != nil {
		t.Fatal(err)
	}
	in := control.EmailConfigInput{AccessType: control.AccessExchangeImpersonation, AccountLogon: "svc-sync@contoso.com", Password: svcPass, EWSURL: contosoEWS, AuthMethod: "ntlm"}
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, b, in); err != nil {
		t.Fatal(err)
	}
	bRun, err := e.Service.RunCheck(ctx, e.Operator, b, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	bSource, err := e.Store.AddGroupSource(ctx, store.System, b, "sales@contoso.com", store.GroupRead{Status: "held", Held: []string{"bob@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	hookSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hookSrv.Close)
	bHook, err := e.Service.CreateWebhook(ctx, e.Operator, b, control.WebhookInput{URL: hookSrv.URL, Events: []string{"changes"}})
	if err != nil {
		t.Fatal(err)
	}
	foreign := map[string]string{"{org}": itoa(b), "{user}": itoa(bUsers[0].ID), "{run}": itoa(bRun.Run.ID),
		"{admin}": itoa(bAdmins[0].ID), "{token}": itoa(bToken.ID), "{source}": itoa(bSource.ID), "{webhook}": itoa(bHook.ID)}

	br := e.browser(t)
	br.mustLogin("admin@alpha.test", adminPassword)
	routes := e.h.Routes()
	if !slices.Contains(routes, "GET /orgs/{org}/users") || !slices.Contains(routes, "POST /orgs/{org}/email/check") {
		t.Fatalf("routes: %v", routes)
	}
	wild := regexp.MustCompile(`\{[a-z]+\}`)
	tried := 0
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt, " ")
		if !strings.Contains(pattern, "{org}") {
			continue
		}
		for _, w := range wild.FindAllString(pattern, -1) {
			if _, ok := foreign[w]; !ok {
				t.Fatalf("route %s has an unknown wildcard %s", rt, w)
			}
		}
		fill := func(own bool) string {
			return wild.ReplaceAllStringFunc(pattern, func(w string) string {
				if own && w == "{org}" {
					return itoa(a)
				}
				return foreign[w]
			})
		}
		paths := []string{fill(false)}
		if len(wild.FindAllString(pattern, -1)) > 1 {
			paths = append(paths, fill(true))
		}
		for i, path := range paths {
			var r resp
			if method == "GET" {
				r = br.get(path)
			} else {
				r = br.postRaw(path, url.Values{"csrf": {br.csrf}, "name": {"x"}, "email": {"x@bravo.test"}, "group": {"sales@contoso.com"},
					"account_logon": {"svc-sync@contoso.com"}, "password": {svcPass}, "ews_url": {contosoEWS}, "list": {"x@bravo.test"}},
					http.Header{"X-Csrf-Token": {br.csrf}})
			}
			tried++
			want := []int{http.StatusNotFound}
			if i == 1 && strings.Contains(pattern, "{admin}") {
				want = append(want, http.StatusForbidden) // removing admins is the operators' alone
			}
			if !slices.Contains(want, r.status) {
				t.Errorf("%s %s: %d, want %v", method, path, r.status, want)
			}
			if strings.Contains(r.body, "Bravo Secret Name") || strings.Contains(r.body, "bob@contoso.com") {
				t.Errorf("%s %s: leaks organization B", method, path)
			}
		}
	}
	if tried < 20 {
		t.Fatalf("only %d requests tried", tried)
	}
	// Nothing of B changed.
	if users, _ := e.Service.ListUsers(ctx, e.Operator, b); len(users) != 1 {
		t.Errorf("B's users: %v", users)
	}
	if admins, _ := e.Service.ListOrgAdmins(ctx, e.Operator, b); len(admins) != 1 || admins[0].Email != bAdmin {
		t.Errorf("B's admins: %v", admins)
	}
	if toks, _ := e.Service.ListAPITokens(ctx, e.Operator, b); len(toks) != 1 {
		t.Errorf("B's tokens: %v", toks)
	}
	if runs, _ := e.Service.ListCheckRuns(ctx, e.Operator, b, 10); len(runs) != 1 {
		t.Errorf("B's check runs: %d", len(runs))
	}
	if v, _ := e.Service.GetEmailConfig(ctx, e.Operator, b); v.Version != 1 {
		t.Errorf("B's configuration: version %d", v.Version)
	}
	if srcs, _ := e.Service.ListGroupSources(ctx, e.Operator, b); len(srcs) != 1 || srcs[0].Status != "held" {
		t.Errorf("B's group sources: %+v", srcs)
	}
	if hooks, _ := e.Service.ListWebhooks(ctx, e.Operator, b); len(hooks) != 1 || hooks[0].URL != bHook.URL || !hooks[0].Active {
		t.Errorf("B's webhooks: %+v", hooks)
	}
	if days, _ := e.Service.Retention(ctx, e.Operator, b); days != 0 {
		t.Errorf("B's retention: %d", days)
	}
	// An unknown organization and a malformed id look alike.
	for _, p := range []string{"/orgs/999999/users", "/orgs/abc/users", "/orgs/0/email", "/orgs/" + itoa(a) + "/checks/abc", "/nope"} {
		wantStatus(t, br.get(p), http.StatusNotFound)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso")
	e.admin(t, org, "admin@contoso.com")
	b := e.browser(t)
	b.mustLogin("admin@contoso.com", adminPassword)
	base := "/orgs/" + itoa(org)
	r := b.post(base+"/tokens", url.Values{"name": {""}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	r = b.post(base+"/tokens", url.Values{"name": {"CRM sync"}})
	wantStatus(t, r, http.StatusSeeOther)
	page := b.follow(r)
	tok := regexp.MustCompile(`value="(mbt_[^"]+)"`).FindStringSubmatch(page.body)
	if tok == nil {
		t.Fatalf("the new token is not shown:\n%s", page.body)
	}
	wantContains(t, page, "CRM sync", "Copy", `<label for="new-token">`)
	if p, err := e.Service.TokenPrincipal(ctx, tok[1]); err != nil || p.OrgID != org {
		t.Fatalf("the token shown does not work: %v", err)
	}
	// Shown once.
	again := b.get(base + "/tokens")
	if strings.Contains(again.body, tok[1]) {
		t.Fatal("the token is shown twice")
	}
	toks, _ := e.Service.ListAPITokens(ctx, e.Operator, org)
	r = b.post(base+"/tokens/"+itoa(toks[0].ID)+"/revoke", nil)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "API token revoked.", "No API tokens.")
	if _, err := e.Service.TokenPrincipal(ctx, tok[1]); err == nil {
		t.Fatal("revoked token still works")
	}
	audit := b.get(base + "/audit")
	wantContains(t, audit, "Created an API token", "Revoked an API token", "admin@contoso.com")
}

// An unexpected error is a generic page with a reference, and is logged.
func TestUnexpectedError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	e.Store.Close()
	r := b.get("/orgs/" + itoa(org) + "/users")
	wantStatus(t, r, http.StatusInternalServerError)
	wantContains(t, r, "Something went wrong", "reference")
	if strings.Contains(r.body, "sql") || strings.Contains(r.body, "closed") {
		t.Fatalf("the error's text reached the page:\n%s", r.body)
	}
	if !strings.Contains(e.log.String(), "web: request failed") {
		t.Fatalf("not logged: %s", e.log.String())
	}
}
