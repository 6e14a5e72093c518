package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The check streams its results as NDJSON while it runs: for Contoso's users and
// svc-sync, alice has access, bob is outside the impersonation scope and frank has no
// mailbox.
func TestCheckStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "frank@contoso.com")
	b, _ := json.Marshal(contosoConfig())
	req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+path("/api/v1/orgs/{org}/checks", ids{org: org}), bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/x-ndjson")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	type result struct {
		User, Check, Status, Code, Message, Fix string
	}
	var (
		final = map[string]result{} // each user's last result
		lines []string
		last  struct {
			Type string `json:"type"`
			Run  struct {
				ID      int64  `json:"id"`
				State   string `json:"state"`
				Summary struct{ Users, OK, Failure int }
			} `json:"run"`
		}
	)
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if strings.Contains(line, svcPassword) {
			t.Fatalf("a streamed line holds the password: %s", line)
		}
		var l struct {
			Type   string  `json:"type"`
			Result *result `json:"result"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		switch l.Type {
		case "result":
			if l.Result.User != "" {
				final[l.Result.User] = *l.Result
			}
		case "run":
			json.Unmarshal([]byte(line), &last)
		default:
			t.Fatalf("unexpected line %s", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if last.Type != "run" || last.Run.State != "done" || last.Run.Summary.Users != 4 || last.Run.Summary.OK != 2 || last.Run.Summary.Failure != 2 {
		t.Fatalf("last line %+v of %d", last, len(lines))
	}
	want := map[string]string{"alice@contoso.com": "ok/ok", "carol@contoso.com": "ok/ok", "bob@contoso.com": "failure/out_of_scope", "frank@contoso.com": "failure/no_mailbox"}
	for u, w := range want {
		if got := final[u].Status + "/" + final[u].Code; got != w {
			t.Errorf("%s: %s, want %s", u, got, w)
		}
	}
	if final["bob@contoso.com"].Fix == "" {
		t.Error("bob's failure comes without a fix")
	}
	// The users' statuses and the run's history are recorded.
	var users struct {
		Users []struct {
			Email      string `json:"email"`
			Status     string `json:"status"`
			StatusCode string `json:"status_code"`
		} `json:"users"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/users", ids{org: org}), nil).want(t, 200).decode(t, &users)
	for _, u := range users.Users {
		if got := u.Status + "/" + u.StatusCode; got != want[u.Email] {
			t.Errorf("%s recorded as %s", u.Email, got)
		}
	}
	var run struct{ Results []json.RawMessage }
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/checks/{run}", ids{org: org, run: last.Run.ID}), nil).want(t, 200).decode(t, &run)
	if len(run.Results) != len(lines)-1 {
		t.Fatalf("history holds %d results, %d were streamed", len(run.Results), len(lines)-1)
	}
	// Nothing was saved by checking.
	var cfg struct{ Exists bool }
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/email-config", ids{org: org}), nil).want(t, 200).decode(t, &cfg)
	if cfg.Exists {
		t.Fatal("checking saved the configuration")
	}
}

// A check that cannot start is an ordinary error response, streamed or not.
func TestCheckErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	p := path("/api/v1/orgs/{org}/checks", ids{org: org})
	for _, accept := range []string{"application/json", "application/x-ndjson"} {
		// Nothing saved, nothing sent.
		er := e.do(t, tok, "POST", p, nil, "Accept", accept).wantErr(t, 422, "invalid_input")
		if er.Error.Fields["email_config"] == "" {
			t.Errorf("%s: %+v", accept, er)
		}
		// Values missing.
		er = e.do(t, tok, "POST", p, map[string]any{"account_logon": svcLogon}, "Accept", accept).wantErr(t, 422, "invalid_input")
		if er.Error.Fields["password"] == "" || er.Error.Fields["ews_url"] == "" {
			t.Errorf("%s: %+v", accept, er)
		}
	}
	// A wrong password is a finished run whose service-account results fail.
	body := contosoConfig()
	body["password"] = "wrong"
	var run struct {
		State   string
		Summary struct {
			ServiceAccount string `json:"service_account"`
		}
	}
	e.do(t, tok, "POST", p, body).want(t, 201).decode(t, &run)
	if run.State != "done" || run.Summary.ServiceAccount != "failure" {
		t.Fatalf("wrong password: %+v", run)
	}
}

// Exchange refusing the saved service account during a group import is a 502 in words
// for an admin; a saved password that cannot be decrypted is the server's failure (500,
// logged) for a group import and for a check of the saved configuration.
func TestExchangeAndPasswordFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	body := contosoConfig()
	body["password"] = "Not-The-Pass-42"
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", ids{org: org}), body).want(t, 200)
	group := map[string]any{"group": "sales@contoso.com"}
	er := e.do(t, tok, "POST", path("/api/v1/orgs/{org}/users/import-group", ids{org: org}), group).wantErr(t, 502, "exchange_error")
	if msg := er.Error.Message; !strings.HasPrefix(msg, "Expand sales@contoso.com: Exchange refused the service account's credentials") ||
		strings.Contains(msg, "Not-The-Pass-42") {
		t.Fatalf("message %q", msg)
	}

	other, otherTok := e.org(t, "Fabrikam", "alice@contoso.com")
	e.SaveUnreadablePassword(t, other)
	e.do(t, otherTok, "POST", path("/api/v1/orgs/{org}/users/import-group", ids{org: other}), group).wantErr(t, 500, "internal")
	for _, accept := range []string{"application/json", "application/x-ndjson"} {
		e.do(t, otherTok, "POST", path("/api/v1/orgs/{org}/checks", ids{org: other}), nil, "Accept", accept).wantErr(t, 500, "internal")
	}
	if logs := e.logs.String(); strings.Count(logs, "cannot be decrypted") < 3 {
		t.Fatalf("not logged: %s", logs)
	}
}

// The wand answers with its trail also when nothing is found, then with an error; an
// empty body starts from the saved configuration.
func TestDiscover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	p := path("/api/v1/orgs/{org}/email-config/discover", ids{org: org})
	var res struct {
		EWSURL       string `json:"ews_url"`
		Verified     bool   `json:"verified"`
		Unauthorized int    `json:"unauthorized"`
		Attempts     []struct {
			Method  string `json:"method"`
			Outcome string `json:"outcome"`
		} `json:"attempts"`
		Error string `json:"error"`
	}
	e.do(t, tok, "POST", p, map[string]any{"account_logon": svcLogon, "password": "wrong"}).want(t, 200).decode(t, &res)
	if res.Verified || res.Unauthorized == 0 || len(res.Attempts) == 0 || !strings.Contains(res.Error, "401") || strings.HasPrefix(res.Error, "autodiscoverclient") {
		t.Fatalf("wrong password: %+v", res)
	}
	// DOMAIN\user: the organization's first user is asked about.
	res.Error = ""
	e.do(t, tok, "POST", p, map[string]any{"account_logon": `CONTOSO\svc-sync`, "password": svcPassword}).want(t, 200).decode(t, &res)
	if !res.Verified || res.EWSURL != ewsURL || res.Error != "" {
		t.Fatalf("DOMAIN\\user: %+v", res)
	}
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", ids{org: org}), contosoConfig()).want(t, 200)
	res.Verified, res.EWSURL = false, ""
	e.do(t, tok, "POST", p, nil).want(t, 200).decode(t, &res)
	if !res.Verified || res.EWSURL != ewsURL {
		t.Fatalf("from the saved configuration: %+v", res)
	}
}
