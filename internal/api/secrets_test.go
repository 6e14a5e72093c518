package api_test

import (
	"strings"
	"testing"
)

// The service account's password goes in and never comes out: not from GET
// email-config, nor from any other read, nor into the logs (checked by newEnv).
func TestPasswordNeverReturned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com", "bob@contoso.com")
	v := ids{org: org}
	r := e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", v), contosoConfig()).want(t, 200)
	bodies := []resp{r}
	var run struct{ ID int64 }
	r = e.do(t, tok, "POST", path("/api/v1/orgs/{org}/checks", v), contosoConfig()).want(t, 201)
	r.decode(t, &run)
	bodies = append(bodies, r,
		e.do(t, tok, "POST", path("/api/v1/orgs/{org}/email-config/discover", v), nil).want(t, 200))
	v.run = run.ID
	for _, rt := range e.api.Routes() {
		if strings.HasPrefix(rt, "GET ") {
			bodies = append(bodies, e.do(t, e.opToken, "GET", path(rt, v), nil))
		}
	}
	// A bad save echoes nothing either.
	bad := contosoConfig()
	bad["ews_url"] = "not a url"
	r = e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", v), bad)
	r.wantErr(t, 422, "invalid_input")
	bodies = append(bodies, r)
	var cfg struct {
		HasPassword bool `json:"has_password"`
	}
	r = e.do(t, tok, "GET", path("/api/v1/orgs/{org}/email-config", v), nil).want(t, 200)
	r.decode(t, &cfg)
	if !cfg.HasPassword || strings.Contains(string(r.body), `"password"`) {
		t.Fatalf("GET email-config: %s", r.body)
	}
	for _, b := range bodies {
		if strings.Contains(string(b.body), svcPassword) || strings.Contains(string(b.body), "Svc-Pass") {
			t.Fatalf("a response holds the password: %s", b.body)
		}
	}
}

// A failure of the server is a 500 with a generic message; the error goes to the log.
func TestInternalError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Store.Close()
	r := e.do(t, e.opToken, "GET", "/api/v1/orgs", nil)
	er := r.wantErr(t, 500, "internal")
	if strings.Contains(er.Error.Message, "store") || strings.Contains(er.Error.Message, "sql") {
		t.Fatalf("the message tells internals: %q", er.Error.Message)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "api request failed") || !strings.Contains(logs, "store:") {
		t.Fatalf("not logged: %s", logs)
	}
}
