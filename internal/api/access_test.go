package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// sampleBody is a valid body for each route that takes one, so that a refusal is about
// who asks, not what they send.
func sampleBody(route string) any {
	switch route {
	case "POST /api/v1/orgs":
		return map[string]any{"name": "Fabrikam"}
	case "POST /api/v1/orgs/{org}/admins":
		return map[string]any{"email": "new-admin@fabrikam.test", "password": "a long enough password"}
	case "POST /api/v1/orgs/{org}/users":
		return map[string]any{"email": "intruder@fabrikam.test"}
	case "POST /api/v1/orgs/{org}/users/import":
		return raw{"text/plain", []byte("intruder@fabrikam.test\n")}
	case "POST /api/v1/orgs/{org}/users/import-group":
		return map[string]any{"group": "sales@contoso.com"}
	case "PUT /api/v1/orgs/{org}/email-config":
		b := contosoConfig()
		b["account_logon"] = "intruder@contoso.com"
		return b
	case "POST /api/v1/orgs/{org}/email-config/discover", "POST /api/v1/orgs/{org}/checks":
		return contosoConfig()
	case "POST /api/v1/orgs/{org}/tokens", "POST /api/v1/tokens":
		return map[string]any{"name": "intruder"}
	case "POST /api/v1/orgs/{org}/group-sources":
		return map[string]any{"group": "sales@contoso.com"}
	case "PUT /api/v1/orgs/{org}/retention":
		return map[string]any{"days": 1}
	}
	return nil
}

// Without a valid bearer token every route but the OpenAPI document answers 401 with
// WWW-Authenticate; sessions and other schemes are not looked at.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, _ := e.org(t, "Contoso", "alice@contoso.com")
	sess := control.Principal{Kind: control.Operator, Label: "op"}
	v := ids{org: org, user: 1, run: 1, admin: 1, token: 1}
	cases := []struct {
		name    string
		hdr     []string
		invalid bool
	}{
		{name: "no credentials"},
		{name: "session cookie", hdr: []string{"Cookie", "mb_session=" + e.opToken}},
		{name: "unknown token", hdr: []string{"Authorization", "Bearer mbt_notavalidtoken"}, invalid: true},
		{name: "not an API token", hdr: []string{"Authorization", "Bearer abc"}, invalid: true},
		{name: "basic auth", hdr: []string{"Authorization", "Basic b3A6cGFzc3dvcmQ="}, invalid: true},
		{name: "empty bearer", hdr: []string{"Authorization", "Bearer "}, invalid: true},
		{name: "token in the query", hdr: []string{"X-Nothing", "1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, rt := range e.api.Routes() {
				method, _, _ := strings.Cut(rt, " ")
				p := path(rt, v)
				if c.name == "token in the query" {
					p += "?access_token=" + e.opToken
				}
				r := e.do(t, "", method, p, sampleBody(rt), c.hdr...)
				if rt == "GET /api/v1/openapi.json" {
					r.want(t, 200)
					continue
				}
				r.wantErr(t, 401, "unauthenticated")
				www := r.header.Get("WWW-Authenticate")
				if !strings.HasPrefix(www, "Bearer") || c.invalid != strings.Contains(www, `error="invalid_token"`) {
					t.Errorf("%s: WWW-Authenticate %q", rt, www)
				}
			}
		})
	}
	// Nothing was done.
	if users, _ := e.Service.ListUsers(ctx, sess, org); len(users) != 1 {
		t.Fatalf("%d users", len(users))
	}
}

// Organization tokens cannot do what only operators do (403), and see only their own
// organization.
func TestOperatorOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	acc := e.OrgAdmin(t, org, "admin@contoso.com", "correct horse battery")
	opToks, _ := e.Service.ListAPITokens(ctx, e.Operator, 0)
	v := ids{org: org, admin: acc.ID, token: opToks[0].ID}
	forbidden := []string{
		"POST /api/v1/orgs", "DELETE /api/v1/orgs/{org}", "POST /api/v1/orgs/{org}/admins", "DELETE /api/v1/orgs/{org}/admins/{admin}",
		"GET /api/v1/tokens", "POST /api/v1/tokens", "DELETE /api/v1/tokens/{token}",
	}
	for _, rt := range forbidden {
		if !slices.Contains(e.api.Routes(), rt) {
			t.Fatalf("no route %s", rt)
		}
		method, _, _ := strings.Cut(rt, " ")
		e.do(t, tok, method, path(rt, v), sampleBody(rt)).wantErr(t, 403, "forbidden")
	}
	// Nothing happened.
	var orgs struct{ Organizations []struct{ ID int64 } }
	e.do(t, e.opToken, "GET", "/api/v1/orgs", nil).want(t, 200).decode(t, &orgs)
	if len(orgs.Organizations) != 1 {
		t.Fatalf("organizations: %+v", orgs)
	}
	if admins, _ := e.Service.ListOrgAdmins(ctx, e.Operator, org); len(admins) != 1 {
		t.Fatalf("%d admins", len(admins))
	}
	e.do(t, e.opToken, "GET", "/api/v1/tokens", nil).want(t, 200)

	// An organization token lists only its organization, and may read its admins.
	other, _ := e.org(t, "Fabrikam")
	e.do(t, tok, "GET", "/api/v1/orgs", nil).want(t, 200).decode(t, &orgs)
	if len(orgs.Organizations) != 1 || orgs.Organizations[0].ID != org {
		t.Fatalf("organization token lists %+v (other is %d)", orgs, other)
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/admins", v), nil).want(t, 200)
	e.do(t, e.opToken, "GET", "/api/v1/orgs", nil).want(t, 200).decode(t, &orgs)
	if len(orgs.Organizations) != 2 {
		t.Fatalf("operator lists %+v", orgs)
	}
}

// Tenant isolation, generated from the routes so that a route added later is covered
// without anyone remembering to: every route naming an organization, asked by another
// organization's token with the victim's ids, answers 404 — the same as for ids that do
// not exist — and changes nothing. Routes naming an object of an organization, asked
// with the object's id under another organization, answer 404 too.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.Operator
	victim, victimTok := e.org(t, "Victim", "alice@contoso.com", "bob@contoso.com")
	attacker, attackerTok := e.org(t, "Attacker", "mallory@attacker.test")

	// The victim has one of everything.
	e.do(t, victimTok, "PUT", path("/api/v1/orgs/{org}/email-config", ids{org: victim}), contosoConfig()).want(t, 200)
	var run struct{ ID int64 }
	e.do(t, victimTok, "POST", path("/api/v1/orgs/{org}/checks", ids{org: victim}), nil).want(t, 201).decode(t, &run)
	acc := e.OrgAdmin(t, victim, "admin@victim.test", "correct horse battery")
	users, _ := e.Service.ListUsers(ctx, op, victim)
	toks, _ := e.Service.ListAPITokens(ctx, op, victim)
	e.SyncMailbox(t, victim, users[0].ID, 0)
	items, err := e.Store.ListItems(ctx, victim, users[0].ID)
	if err != nil || len(items) == 0 {
		t.Fatalf("the victim's items: %d, %v", len(items), err)
	}
	src, err := e.Store.AddGroupSource(ctx, store.System, victim, "sales@contoso.com", store.GroupRead{Status: "held", Held: []string{"alice@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	v := ids{org: victim, user: users[0].ID, run: run.ID, admin: acc.ID, token: toks[0].ID, item: items[0].ItemID, source: src.ID}
	snapshot := func() string {
		var b strings.Builder
		for _, p := range []string{"", "/users", "/admins", "/tokens", "/email-config", "/checks", "/mailboxes", "/changes", "/group-sources", "/retention"} {
			r := e.do(t, e.opToken, "GET", path("/api/v1/orgs/{org}", v)+p, nil).want(t, 200)
			b.Write(r.body)
		}
		return b.String()
	}
	before := snapshot()

	var orgRoutes, objectRoutes int
	for _, rt := range e.api.Routes() {
		if !strings.Contains(rt, "{org}") {
			continue
		}
		orgRoutes++
		method, _, _ := strings.Cut(rt, " ")
		t.Run(rt, func(t *testing.T) {
			// Another organization's token, the victim's ids.
			e.do(t, attackerTok, method, path(rt, v), sampleBody(rt)).wantErr(t, 404, "not_found")
			// The same for an organization that does not exist: nothing tells them apart.
			missing := v
			missing.org = 999999
			e.do(t, attackerTok, method, path(rt, missing), sampleBody(rt)).wantErr(t, 404, "not_found")
			// The victim's object ids under the attacker's organization.
			if strings.Count(rt, "{") > 1 {
				objectRoutes++
				mixed := v
				mixed.org = attacker
				e.do(t, e.opToken, method, path(rt, mixed), sampleBody(rt)).wantErr(t, 404, "not_found")
				if !operatorRoute(rt) {
					e.do(t, attackerTok, method, path(rt, mixed), sampleBody(rt)).wantErr(t, 404, "not_found")
				}
			}
		})
	}
	if orgRoutes < 20 || objectRoutes < 5 {
		t.Fatalf("only %d organization routes and %d object routes", orgRoutes, objectRoutes)
	}
	if after := snapshot(); after != before {
		t.Fatalf("the victim's data changed:\n%s\n%s", before, after)
	}
	// The victim's token still works, and the attacker's own data is theirs.
	e.do(t, victimTok, "GET", path("/api/v1/orgs/{org}", v), nil).want(t, 200)
	r := e.do(t, attackerTok, "GET", path("/api/v1/orgs/{org}/users", ids{org: attacker}), nil).want(t, 200)
	if strings.Contains(string(r.body), "alice@") {
		t.Fatal("the attacker sees the victim's users")
	}
}

// operatorRoute tells whether an organization token is refused the route (403) on its
// own organization.
func operatorRoute(rt string) bool {
	return rt == "DELETE /api/v1/orgs/{org}" || strings.HasPrefix(rt, "POST /api/v1/orgs/{org}/admins") || strings.HasPrefix(rt, "DELETE /api/v1/orgs/{org}/admins")
}
