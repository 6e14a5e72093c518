package api_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
)

// Bad requests get clear errors in the one error shape, and nothing is half-saved.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	v := ids{org: org}
	users := path("/api/v1/orgs/{org}/users", v)
	cfgPath := path("/api/v1/orgs/{org}/email-config", v)
	js := func(s string) raw { return raw{"application/json", []byte(s)} }
	huge := append(append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}`...)
	cases := []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
		field        string // a field the error names
		msg          string // in the message
	}{
		{"unknown field", "POST", users, js(`{"email":"x@contoso.com","admin":true}`), 400, "invalid_input", "admin", "Unknown field"},
		{"malformed JSON", "POST", users, js(`{"email":"x@contoso.com",`), 400, "invalid_input", "", "not valid JSON"},
		{"syntax error", "POST", users, js(`{"email" "x"}`), 400, "invalid_input", "", "syntax error at byte"},
		{"wrong type", "POST", users, js(`{"email":42}`), 400, "invalid_input", "email", "must be a string"},
		{"not an object", "POST", users, js(`["x@contoso.com"]`), 400, "invalid_input", "", "JSON object"},
		{"two objects", "POST", users, js(`{"email":"x@contoso.com"}{"email":"y@contoso.com"}`), 400, "invalid_input", "", "nothing after it"},
		{"empty body", "POST", users, js(``), 400, "invalid_input", "", "JSON body"},
		{"huge body", "POST", "/api/v1/orgs", raw{"application/json", huge}, 413, "too_large", "", "1 MiB"},
		{"form instead of JSON", "POST", users, raw{"application/x-www-form-urlencoded", []byte("email=x%40contoso.com")}, 415, "unsupported_media_type", "", "application/json"},
		{"no content type", "POST", users, raw{"", []byte(`{"email":"x@contoso.com"}`)}, 415, "unsupported_media_type", "", "application/json"},
		{"JSON to import", "POST", path("/api/v1/orgs/{org}/users/import", v), js(`{"users":["x@contoso.com"]}`), 415, "unsupported_media_type", "", "text/csv"},
		{"invalid email", "POST", users, map[string]any{"email": "alice@"}, 422, "invalid_input", "email", "not an email address"},
		{"address with a name", "POST", users, map[string]any{"email": "Alice <alice@contoso.com>"}, 422, "invalid_input", "email", ""},
		{"duplicate user", "POST", users, map[string]any{"email": "ALICE@contoso.com"}, 422, "invalid_input", "email", "already a user"},
		{"no organization name", "POST", "/api/v1/orgs", map[string]any{"name": "  "}, 422, "invalid_input", "name", "Enter"},
		{"duplicate organization", "POST", "/api/v1/orgs", map[string]any{"name": "Contoso"}, 422, "invalid_input", "name", "exists already"},
		{"short admin password", "POST", path("/api/v1/orgs/{org}/admins", v), map[string]any{"email": "a@contoso.com", "password": "short"}, 422, "invalid_input", "password", "12 characters"},
		{"no token name", "POST", path("/api/v1/orgs/{org}/tokens", v), map[string]any{"name": ""}, 422, "invalid_input", "name", ""},
		{"empty password on a first save", "PUT", cfgPath, map[string]any{"account_logon": svcLogon, "ews_url": ewsURL}, 422, "invalid_input", "password", "password"},
		{"malformed URL", "PUT", cfgPath, map[string]any{"account_logon": svcLogon, "password": "x", "ews_url": "https//mail.contoso.com"}, 422, "invalid_input", "ews_url", ""},
		{"credentials in the URL", "PUT", cfgPath, map[string]any{"account_logon": svcLogon, "password": "x", "ews_url": "https://svc:pw@mail.contoso.com/EWS/Exchange.asmx"}, 422, "invalid_input", "ews_url", ""},
		{"bad auth method", "PUT", cfgPath, map[string]any{"account_logon": svcLogon, "password": "x", "ews_url": ewsURL, "auth_method": "kerberos"}, 422, "invalid_input", "auth_method", "NTLM or Basic"},
		{"forged trail", "PUT", cfgPath, map[string]any{"account_logon": svcLogon, "password": "x", "ews_url": ewsURL, "autodiscover_trail": map[string]any{"bogus": 1}}, 422, "invalid_input", "autodiscover_trail", ""},
		{"bad base_version type", "PUT", cfgPath, js(`{"account_logon":"a@b.test","base_version":"1"}`), 400, "invalid_input", "base_version", "must be a number"},
		{"group not an address", "POST", path("/api/v1/orgs/{org}/users/import-group", v), map[string]any{"group": "sales"}, 422, "invalid_input", "group", ""},
		{"group without a configuration", "POST", path("/api/v1/orgs/{org}/users/import-group", v), map[string]any{"group": "sales@contoso.com"}, 422, "invalid_input", "email_config", "Save the Email Configuration first"},
		{"discover without logon", "POST", path("/api/v1/orgs/{org}/email-config/discover", v), nil, 422, "invalid_input", "account_logon", ""},
		{"bad limit", "GET", path("/api/v1/orgs/{org}/audit?limit=ten", v), nil, 400, "invalid_input", "limit", "integer"},
		{"negative before", "GET", path("/api/v1/orgs/{org}/audit?before=-1", v), nil, 400, "invalid_input", "before", ""},
		{"limit too large", "GET", path("/api/v1/orgs/{org}/checks?limit=100000", v), nil, 400, "invalid_input", "limit", "at most"},
		{"id not a number", "GET", "/api/v1/orgs/contoso", nil, 404, "not_found", "", ""},
		{"id zero", "GET", "/api/v1/orgs/0/users", nil, 404, "not_found", "", ""},
		{"id too large", "GET", "/api/v1/orgs/99999999999999999999", nil, 404, "not_found", "", ""},
		{"no such user", "GET", path("/api/v1/orgs/{org}/users/424242", v), nil, 404, "not_found", "", ""},
		{"no such route", "GET", "/api/v1/nothing", nil, 404, "not_found", "", ""},
		{"not API v1", "GET", "/api/v2/orgs", nil, 404, "not_found", "", ""},
		{"wrong method", "PATCH", path("/api/v1/orgs/{org}", v), js(`{}`), 405, "method_not_allowed", "", "GET, DELETE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			token := tok
			if c.path == "/api/v1/orgs" || strings.HasSuffix(c.path, "/admins") {
				token = e.opToken // operator actions
			}
			er := e.do(t, token, c.method, c.path, c.body).wantErr(t, c.status, c.code)
			if c.field != "" && er.Error.Fields[c.field] == "" {
				t.Errorf("fields %v lack %s", er.Error.Fields, c.field)
			}
			if !strings.Contains(er.Error.Message+strings.Join(mapValues(er.Error.Fields), " "), c.msg) {
				t.Errorf("message %q (fields %v) lacks %q", er.Error.Message, er.Error.Fields, c.msg)
			}
		})
	}
	r := e.do(t, tok, "PATCH", path("/api/v1/orgs/{org}", v), nil)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "DELETE") {
		t.Errorf("Allow: %q", allow)
	}
	// Nothing was half-saved.
	list, _ := e.Service.ListUsers(ctx, e.Operator, org)
	if len(list) != 1 {
		t.Fatalf("%d users after bad requests", len(list))
	}
	var cfg struct{ Exists bool }
	e.do(t, tok, "GET", cfgPath, nil).want(t, 200).decode(t, &cfg)
	if cfg.Exists {
		t.Fatal("an invalid configuration was saved")
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// A save based on an old version is refused with 409; an empty password keeps the
// saved one.
func TestEmailConfigVersions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	p := path("/api/v1/orgs/{org}/email-config", ids{org: org})
	e.do(t, tok, "PUT", p, contosoConfig()).want(t, 200)
	// A first save again (base_version 0) over version 1.
	e.do(t, tok, "PUT", p, contosoConfig()).wantErr(t, 409, "conflict")
	edit := map[string]any{"account_logon": svcLogon, "ews_url": "https://mail.contoso.com/ews/exchange.asmx", "base_version": 1}
	var cfg struct {
		Version     int64
		HasPassword bool `json:"has_password"`
	}
	e.do(t, tok, "PUT", p, edit).want(t, 200).decode(t, &cfg)
	if cfg.Version != 2 || !cfg.HasPassword {
		t.Fatalf("save without a password: %+v", cfg)
	}
	// A double submit of the same form: the second is stale.
	er := e.do(t, tok, "PUT", p, edit).wantErr(t, 409, "conflict")
	if !strings.Contains(er.Error.Message, "Someone else saved") {
		t.Fatalf("conflict message %q", er.Error.Message)
	}
	// The saved password still works: a check of the saved configuration passes.
	var run struct {
		Summary struct {
			ServiceAccount string `json:"service_account"`
		}
	}
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/checks", ids{org: org}), raw{"application/json", []byte("{}")}).want(t, 201).decode(t, &run)
	if run.Summary.ServiceAccount != "ok" {
		t.Fatalf("check with the kept password: %+v", run)
	}
}

// A 10,000-line CSV imports in one request; a list with bad lines imports nothing and
// names the lines.
func TestImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Big", "user00007@big.test")
	p := path("/api/v1/orgs/{org}/users/import", ids{org: org})
	var b strings.Builder
	b.WriteString("Email,DisplayName\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "user%05d@big.test,User %d\n", i, i)
	}
	var res struct {
		Added      int      `json:"added"`
		Existing   []string `json:"existing"`
		Duplicates int      `json:"duplicates"`
	}
	e.do(t, tok, "POST", p, raw{"text/csv; charset=utf-8", []byte(b.String())}).want(t, 200).decode(t, &res)
	if res.Added != 9999 || len(res.Existing) != 1 || res.Existing[0] != "user00007@big.test" {
		t.Fatalf("import: added %d, existing %v", res.Added, res.Existing)
	}
	var o struct{ Users int }
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}", ids{org: org}), nil).want(t, 200).decode(t, &o)
	if o.Users != 10000 {
		t.Fatalf("%d users", o.Users)
	}

	org2, tok2 := e.org(t, "Careful", "alice@contoso.com")
	p2 := path("/api/v1/orgs/{org}/users/import", ids{org: org2})
	list := "alice@contoso.com\nbob@contoso.com\nnot-an-address@\ncarol@contoso.com\njust some words\n"
	er := e.do(t, tok2, "POST", p2, raw{"text/plain", []byte(list)}).wantErr(t, 422, "invalid_input")
	if len(er.Error.Lines) != 2 || er.Error.Lines[0].Line != 3 || er.Error.Lines[1].Line != 5 || er.Error.Lines[1].Text != "just some words" ||
		!strings.Contains(er.Error.Lines[1].Message, "no email address") || !strings.Contains(er.Error.Message, "nothing was imported") {
		t.Fatalf("line errors: %+v", er)
	}
	if users, _ := e.Service.ListUsers(ctx, e.Operator, org2); len(users) != 1 {
		t.Fatalf("half-imported: %d users", len(users))
	}
	e.do(t, tok2, "POST", p2, raw{"text/plain", nil}).wantErr(t, 422, "invalid_input")
	big := bytes.Repeat([]byte("a@b.test\n"), control.MaxImportBytes/9+10)
	e.do(t, tok2, "POST", p2, raw{"text/csv", big}).wantErr(t, 413, "too_large")
}
