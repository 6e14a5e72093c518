package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/store"
)

// tenant is one organization with one of everything an id can name.
type tenant struct {
	org, user, run, admin, token int64
	source                       int64 // a kept distribution group
	webhook                      int64
	adminEmail                   string
	apiToken                     string // an organization token
	item                         string // an item of the user's synced mailbox (see waitForItem)
}

// waitForItem waits for the demo's workers to sync the tenant's user and keeps one of
// their items' ids.
func waitForItem(t *testing.T, d *app.Demo, tn *tenant) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		items, err := d.App.Store().ListItems(context.Background(), tn.org, tn.user)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 0 {
			tn.item = items[0].ItemID
			return
		}
	}
	t.Fatal("the tenant's mailbox was not synced in time")
}

func makeTenant(t *testing.T, d *app.Demo, op control.Principal, name string) tenant {
	t.Helper()
	ctx := context.Background()
	svc := d.App.Service()
	var tn tenant
	o, err := svc.CreateOrganization(ctx, op, name)
	if err != nil {
		t.Fatal(err)
	}
	tn.org = o.ID
	u, err := svc.AddUser(ctx, op, o.ID, "alice@contoso.com", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	tn.user = u.ID
	tn.adminEmail = "admin@" + strings.ToLower(name) + ".test"
	acc, err := svc.CreateOrgAdmin(ctx, op, o.ID, control.NewAdmin{Email: tn.adminEmail, Password: "admin password 1234"})
	if err != nil {
		t.Fatal(err)
	}
	tn.admin = acc.ID
	cfg := control.EmailConfigInput{AccessType: control.AccessExchangeImpersonation, AccountLogon: "svc-sync@contoso.com",
		Password: exchangesim.DefaultServicePassword, EWSURL: app.DemoEWSURL, AuthMethod: "ntlm"}
	if _, err := svc.SaveEmailConfig(ctx, op, o.ID, cfg); err != nil {
		t.Fatal(err)
	}
	out, err := svc.RunCheck(ctx, op, o.ID, control.EmailConfigInput{AccessType: cfg.AccessType, AccountLogon: cfg.AccountLogon,
		EWSURL: cfg.EWSURL, AuthMethod: "ntlm"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tn.run = out.Run.ID
	tok, err := svc.CreateAPIToken(ctx, op, o.ID, "crm")
	if err != nil {
		t.Fatal(err)
	}
	tn.token, tn.apiToken = tok.ID, tok.Token
	src, err := d.App.Store().AddGroupSource(ctx, store.System, o.ID, "sales@contoso.com", store.GroupRead{Status: "held", Held: []string{"alice@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	tn.source = src.ID
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	wh, err := svc.CreateWebhook(ctx, op, o.ID, control.WebhookInput{URL: hook.URL, Events: []string{"changes", "status"}})
	if err != nil {
		t.Fatal(err)
	}
	tn.webhook = wh.ID
	return tn
}

// snapshot is everything of an organization a foreign request could change.
type snapshot struct {
	Org    store.Organization
	Users  []store.User
	Config control.EmailConfigView
	Runs   []store.CheckRun
	Admins []store.Account
	Tokens []store.APIToken
	// Sources are its kept groups, Retention its retention in days.
	Sources   []store.GroupSource
	Webhooks  []string // URL and state
	Retention int
	AuditN    int
	// MailboxStates are the mailboxes' states (their statuses move as the demo's
	// workers sync them).
	MailboxStates map[int64]string
}

func takeSnapshot(t *testing.T, d *app.Demo, op control.Principal, org int64) snapshot {
	t.Helper()
	ctx := context.Background()
	svc := d.App.Service()
	var s snapshot
	var err error
	if s.Org, err = svc.GetOrganization(ctx, op, org); err != nil {
		t.Fatal(err)
	}
	s.Users, _ = svc.ListUsers(ctx, op, org)
	s.Config, _ = svc.GetEmailConfig(ctx, op, org)
	s.Runs, _ = svc.ListCheckRuns(ctx, op, org, 100)
	s.Admins, _ = svc.ListOrgAdmins(ctx, op, org)
	s.Tokens, _ = svc.ListAPITokens(ctx, op, org)
	s.Sources, _ = svc.ListGroupSources(ctx, op, org)
	s.Retention, _ = svc.Retention(ctx, op, org)
	hooks, _ := svc.ListWebhooks(ctx, op, org)
	for _, h := range hooks {
		s.Webhooks = append(s.Webhooks, fmt.Sprintf("%d %s %s %v %v", h.ID, h.URL, h.Description, h.Events, h.Active))
	}
	audit, _ := svc.Audit(ctx, op, org, 0, 1000)
	s.AuditN = len(audit)
	mbs, _ := svc.ListMailboxes(ctx, op, org, control.MailboxFilter{})
	s.MailboxStates = map[int64]string{}
	for _, m := range mbs {
		s.MailboxStates[m.UserID] = m.State
	}
	for i := range s.Tokens {
		s.Tokens[i].LastUsedAt = nil // using one's own token is not a change
	}
	return s
}

var wildcard = regexp.MustCompile(`\{(\w+)\}`)

// TestTenantIsolation tries every registered route of the admin panel and the API that
// names an organization, signed in as organization A's admin (panel) or with A's token
// (API), with organization B's ids — and with A's organization but B's object ids. Every
// one must answer 404, and B must be unchanged. The list comes from the running server's
// routes, so a route added later is covered without anyone remembering to.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	d, _, _ := startDemo(t, app.DemoOptions{})
	op := demoOperator(t, d)
	a := makeTenant(t, d, op, "Alpha")
	b := makeTenant(t, d, op, "Beta")
	waitForItem(t, d, &b)
	sess, err := d.App.Service().Login(context.Background(), a.adminEmail, "admin password 1234", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, d, op, b.org)

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tried := 0
	covered := map[string]bool{}
	for _, route := range d.App.Routes() {
		method, pattern, _ := strings.Cut(route, " ")
		if !strings.Contains(pattern, "{org}") {
			continue
		}
		covered[route] = true
		ids := func(org tenant, objects tenant) string {
			return wildcard.ReplaceAllStringFunc(pattern, func(w string) string {
				switch w {
				case "{org}":
					return strconv.FormatInt(org.org, 10)
				case "{user}":
					return strconv.FormatInt(objects.user, 10)
				case "{run}":
					return strconv.FormatInt(objects.run, 10)
				case "{admin}":
					return strconv.FormatInt(objects.admin, 10)
				case "{token}":
					return strconv.FormatInt(objects.token, 10)
				case "{source}":
					return strconv.FormatInt(objects.source, 10)
				case "{webhook}":
					return strconv.FormatInt(objects.webhook, 10)
				case "{item}":
					return url.PathEscape(objects.item)
				}
				t.Fatalf("route %s: unknown wildcard %s: teach this test its ids", route, w)
				return ""
			})
		}
		paths := []string{ids(b, b)}
		if strings.Count(pattern, "{") > 1 {
			paths = append(paths, ids(a, b)) // A's organization, B's object
		}
		for i, path := range paths {
			tried++
			req := foreignRequest(t, d, method, path, sess, a.apiToken)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// In A's own organization an operator-only action may be refused as such
			// (403): that says nothing about B.
			ownOrgForbidden := i == 1 && resp.StatusCode == http.StatusForbidden
			if resp.StatusCode != http.StatusNotFound && !ownOrgForbidden {
				t.Errorf("%s %s (route %s) as organization A: HTTP %d, want 404: %.200s", method, path, route, resp.StatusCode, body)
			}
			if strings.Contains(string(body), "Beta") || strings.Contains(string(body), "admin@beta.test") {
				t.Errorf("%s %s: the answer names organization B", method, path)
			}
		}
	}
	if tried < 20 {
		t.Fatalf("only %d foreign requests tried: are the routes registered?", tried)
	}
	for _, route := range []string{"GET /orgs/{org}/mailboxes/{user}", "POST /orgs/{org}/mailboxes/{user}/pause",
		"GET /api/v1/orgs/{org}/mailboxes/{user}", "GET /api/v1/orgs/{org}/mailboxes/{user}/history",
		"GET /api/v1/orgs/{org}/changes", "GET /api/v1/orgs/{org}/users/{user}/messages/{item}", "GET /api/v1/orgs/{org}/rooms/lists",
		"GET /api/v1/orgs/{org}/availability", "GET /orgs/{org}/rooms"} {
		if !covered[route] {
			t.Errorf("route %s was not tried: is it registered under another pattern?", route)
		}
	}
	if len(before.MailboxStates) == 0 {
		t.Fatal("organization B has no mailbox: its mailbox routes were not really tried")
	}
	if after := takeSnapshot(t, d, op, b.org); !reflect.DeepEqual(before, after) {
		t.Fatalf("organization B changed:\nbefore %+v\nafter  %+v", before, after)
	}
}

// foreignRequest builds a request as organization A: its token for the API, its
// admin's session (cookie and CSRF token) for the panel, with a body each route accepts.
func foreignRequest(t *testing.T, d *app.Demo, method, path string, sess control.Session, apiToken string) *http.Request {
	t.Helper()
	var body io.Reader
	ctype := ""
	switch {
	case method == "GET" || method == "DELETE":
	case strings.HasPrefix(path, "/api/"):
		body, ctype = strings.NewReader(`{}`), "application/json"
		if strings.HasSuffix(path, "/users/import") {
			body, ctype = strings.NewReader("mallory@contoso.com\n"), "text/csv"
		}
	case strings.HasSuffix(path, "/discover") || strings.HasSuffix(path, "/check"):
		body, ctype = strings.NewReader(`{"account_logon":"svc-sync@contoso.com"}`), "application/json"
	default:
		form := url.Values{"csrf": {sess.CSRFToken}, "email": {"mallory@contoso.com"}, "name": {"Mallory"},
			"list": {"mallory@contoso.com"}, "group": {"sales@contoso.com"}, "account_logon": {"mallory@contoso.com"},
			"password": {"mallory password 123"}, "ews_url": {"https://evil.example/EWS/Exchange.asmx"}}
		body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, d.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+apiToken)
	} else {
		req.AddCookie(&http.Cookie{Name: "mailbridge_session", Value: sess.Token})
		req.Header.Set("X-CSRF-Token", sess.CSRFToken)
		req.Header.Set("Origin", d.URL)
	}
	return req
}

// TestOperatorRoutesRefused tries every installation-wide route (no organization in
// it) that changes something, as organization A's admin and token: each must be refused,
// and no organization or operator token may appear.
func TestOperatorRoutesRefused(t *testing.T) {
	t.Parallel()
	d, _, _ := startDemo(t, app.DemoOptions{})
	op := demoOperator(t, d)
	a := makeTenant(t, d, op, "Alpha")
	sess, err := d.App.Service().Login(context.Background(), a.adminEmail, "admin password 1234", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	orgsBefore, _ := d.App.Service().ListOrganizations(context.Background(), op)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tried := 0
	for _, route := range d.App.Routes() {
		method, pattern, _ := strings.Cut(route, " ")
		if strings.Contains(pattern, "{org}") || method == "GET" || pattern == "/login" || pattern == "/logout" {
			continue
		}
		path := wildcard.ReplaceAllString(pattern, "1")
		req := foreignRequest(t, d, method, path, sess, a.apiToken)
		if strings.HasPrefix(path, "/api/") && method == "POST" {
			req = foreignRequest(t, d, method, path, sess, a.apiToken)
			req.Body = io.NopCloser(strings.NewReader(`{"name":"Mallory Inc"}`))
			req.ContentLength = -1
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		tried++
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s as an organization: HTTP %d, want 403 or 404", route, resp.StatusCode)
		}
	}
	if tried < 3 {
		t.Fatalf("only %d installation-wide routes tried", tried)
	}
	orgsAfter, _ := d.App.Service().ListOrganizations(context.Background(), op)
	opTokens, _ := d.App.Service().ListAPITokens(context.Background(), op, 0)
	if len(orgsAfter) != len(orgsBefore) || len(opTokens) != 0 {
		t.Fatalf("an organization's admin created %d organizations, %d operator tokens", len(orgsAfter)-len(orgsBefore), len(opTokens))
	}
}
