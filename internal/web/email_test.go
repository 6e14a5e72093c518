package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestEmailConfigSave(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)

	page := b.get(base + "/email")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page,
		`<label for="access_type">Mailbox Access Type</label>`,
		`<option value="exchange_impersonation" selected>Microsoft Exchange Impersonation</option>`,
		`<label for="account_logon">Account Logon</label>`,
		`<label for="password">Password</label>`,
		`type="password" autocomplete="new-password" value=""`,
		`<label for="ews_url">Exchange Web Services (EWS) URL</label>`,
		`aria-label="Generate EWS URL" title="Generate EWS URL"`,
		`<label for="auth_method">Authentication</label>`,
		`<option value="ntlm" selected>NTLM</option>`,
		`name="base_version" value="0"`, `name="autodiscover_trail"`,
		"Check Users Exchange Impersonated Access", ">Save</button>")

	// Bad input: messages next to the fields, the values typed kept, the password not.
	bad := contosoForm()
	bad.Set("ews_url", "https//mail.contoso.com")
	bad.Set("account_logon", "svc sync")
	r := b.post(base+"/email", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, `id="ews_url-error"`, `id="account_logon-error"`, `value="https//mail.contoso.com"`, `value="svc sync"`,
		"The password you typed is not shown again")
	if strings.Contains(r.body, svcPass) {
		t.Fatal("the password typed was rendered back")
	}
	noPw := contosoForm()
	noPw.Set("password", "")
	r = b.post(base+"/email", noPw)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "Enter the service account&#39;s password.")
	if v, _ := e.Service.GetEmailConfig(ctx, e.Operator, org); v.Exists {
		t.Fatal("an invalid form saved something")
	}

	// Save (post/redirect/get) and a flash.
	r = b.post(base+"/email", contosoForm())
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != base+"/email" {
		t.Fatalf("saved, went to %q", r.loc)
	}
	page = b.follow(r)
	wantContains(t, page, "Saved", `value="svc-sync@contoso.com"`, `value="`+contosoEWS+`"`, `name="base_version" value="1"`,
		"A password is saved — leave empty to keep it")
	// The flash is shown once.
	if strings.Contains(b.get(base+"/email").body, "was saved.") {
		t.Fatal("the flash was shown twice")
	}

	// Submitted twice from the same page (same base version): the second is refused
	// with a clear message, and nothing is duplicated or overwritten.
	twice := contosoForm()
	twice.Set("base_version", "1")
	twice.Set("password", "")
	twice.Set("ews_url", "https://mail.contoso.com/ews/exchange.asmx")
	wantStatus(t, b.post(base+"/email", twice), http.StatusSeeOther)
	r = b.post(base+"/email", twice)
	wantStatus(t, r, http.StatusConflict)
	wantContains(t, r, "Not saved: this configuration changed meanwhile", "Someone else saved this configuration meanwhile.")
	if v, _ := e.Service.GetEmailConfig(ctx, e.Operator, org); v.Version != 2 || !v.HasPassword {
		t.Fatalf("after a double submit: %+v", v)
	}

	// The password is never rendered, in any page read, nor logged.
	for _, p := range []string{"/users", "/email", "/checks", "/audit", "/admins", "/tokens"} {
		b.get(base + p)
	}
	for i, p := range b.pages {
		if strings.Contains(p, svcPass) {
			t.Fatalf("page %d holds the password", i)
		}
	}
	if strings.Contains(e.log.String(), svcPass) {
		t.Fatal("the log holds the password")
	}
	wantContains(t, b.get(base+"/audit"), "Saved the Email Configuration", "password")
}

// wandResponse is the discover endpoint's answer.
type wandResponse struct {
	Type      string            `json:"type"`
	OK        bool              `json:"ok"`
	Verified  bool              `json:"verified"`
	EWSURL    string            `json:"ews_url"`
	Message   string            `json:"message"`
	Error     string            `json:"error"`
	Fields    map[string]string `json:"fields"`
	Trail     json.RawMessage   `json:"trail"`
	TrailHTML string            `json:"trail_html"`
}

func (b *browser) wand(path string, form url.Values) (resp, wandResponse) {
	b.t.Helper()
	r := b.postRaw(path, form, http.Header{"X-Csrf-Token": {b.csrf}})
	var w wandResponse
	if err := json.Unmarshal([]byte(r.body), &w); err != nil {
		b.t.Fatalf("discover answered %d %q: %v", r.status, r.body, err)
	}
	return r, w
}

func TestWand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/email")

	form := url.Values{"account_logon": {"svc-sync@contoso.com"}, "password": {svcPass}, "auth_method": {"ntlm"}}
	r, w := b.wand(base+"/email/discover", form)
	wantStatus(t, r, http.StatusOK)
	if !w.OK || !w.Verified || w.EWSURL != contosoEWS || !strings.Contains(w.Message, "Verified by Autodiscover") || len(w.Trail) < 10 {
		t.Fatalf("wand: %+v", w)
	}
	for _, want := range []string{"Autodiscover attempts", "POX", "https://contoso.com/autodiscover/autodiscover.xml", "HTTP status", "Duration"} {
		if !strings.Contains(w.TrailHTML, want) {
			t.Errorf("trail HTML lacks %q:\n%s", want, w.TrailHTML)
		}
	}
	if strings.Contains(r.body, svcPass) {
		t.Fatal("the wand's answer holds the password")
	}

	// JSON in works too.
	req, _ := http.NewRequest("POST", e.srv.URL+base+"/email/discover", strings.NewReader(`{"account_logon":"svc-sync@contoso.com","password":"`+svcPass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	if jr := b.do(req); jr.status != http.StatusOK || !strings.Contains(jr.body, `"verified":true`) {
		t.Fatalf("JSON discover: %d %s", jr.status, jr.body)
	}

	// A wrong password: the trail and the error, nothing to fill in.
	bad := url.Values{"account_logon": {"svc-sync@contoso.com"}, "password": {"wrong"}, "auth_method": {"ntlm"}}
	r, w = b.wand(base+"/email/discover", bad)
	wantStatus(t, r, http.StatusOK)
	if w.OK || w.Verified || !strings.Contains(w.Error, "401") || !strings.Contains(w.TrailHTML, "unauthorized") {
		t.Fatalf("wrong password: %+v", w)
	}
	// No logon: an input error for the field.
	r, w = b.wand(base+"/email/discover", url.Values{"password": {svcPass}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if w.Type != "error" || w.Fields["account_logon"] == "" {
		t.Fatalf("no logon: %+v", w)
	}

	// The trail saved with the configuration is shown on the tab.
	_, w = b.wand(base+"/email/discover", form)
	save := contosoForm()
	save.Set("autodiscover_trail", string(w.Trail))
	wantStatus(t, b.post(base+"/email", save), http.StatusSeeOther)
	page := b.get(base + "/email")
	wantContains(t, page, "The last magic-wand run, saved with this configuration.", "Verified by Autodiscover")
	// A forged trail is refused.
	forged := contosoForm()
	forged.Set("base_version", "1")
	forged.Set("autodiscover_trail", `{"bogus":1}`)
	r = b.post(base+"/email", forged)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "press the wand again")
}

// checkLine is one line of the check stream.
type checkLine struct {
	Type    string            `json:"type"`
	Users   int               `json:"users"`
	User    string            `json:"user"`
	Check   string            `json:"check"`
	Status  string            `json:"status"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fix     string            `json:"fix"`
	Refined bool              `json:"refined"`
	OK      int               `json:"ok"`
	Failure int               `json:"failure"`
	RunID   int64             `json:"run_id"`
	RunURL  string            `json:"run_url"`
	State   string            `json:"state"`
	Fields  map[string]string `json:"fields"`
}

func (b *browser) check(path string, form url.Values) (resp, []checkLine) {
	b.t.Helper()
	r := b.postRaw(path, form, http.Header{"X-Csrf-Token": {b.csrf}})
	var lines []checkLine
	sc := bufio.NewScanner(strings.NewReader(r.body))
	for sc.Scan() {
		var l checkLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			b.t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return r, lines
}

func TestCheckStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "frank@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/email")

	// Unsaved values, checked as they stand.
	r, lines := b.check(base+"/email/check", contosoForm())
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	if len(lines) < 6 || lines[0].Type != "start" || lines[0].Users != 4 || lines[len(lines)-1].Type != "summary" {
		t.Fatalf("stream: %+v", lines)
	}
	final := map[string]checkLine{} // each user's last result
	for _, l := range lines[1 : len(lines)-1] {
		if l.Type != "result" {
			t.Fatalf("line %+v", l)
		}
		if l.User != "" {
			final[l.User] = l
		}
	}
	want := map[string]string{"alice@contoso.com": "ok/ok", "carol@contoso.com": "ok/ok", "bob@contoso.com": "failure/out_of_scope", "frank@contoso.com": "failure/no_mailbox"}
	for u, w := range want {
		if got := final[u].Status + "/" + final[u].Code; got != w {
			t.Errorf("%s: %s, want %s", u, got, w)
		}
	}
	if final["bob@contoso.com"].Fix == "" || !final["bob@contoso.com"].Refined {
		t.Errorf("bob: %+v", final["bob@contoso.com"])
	}
	sum := lines[len(lines)-1]
	if sum.OK != 2 || sum.Failure != 2 || sum.State != "done" || sum.RunURL != base+"/checks/"+itoa(sum.RunID) {
		t.Fatalf("summary %+v", sum)
	}
	if strings.Contains(r.body, svcPass) {
		t.Fatal("the stream holds the password")
	}
	if v, _ := e.Service.GetEmailConfig(ctx, e.Operator, org); v.Exists {
		t.Fatal("checking saved the configuration")
	}

	// The history and the users' statuses.
	runs := b.get(base + "/checks")
	wantContains(t, runs, "Done", "svc-sync@contoso.com", `href="`+sum.RunURL+`"`)
	run := b.get(sum.RunURL)
	wantContains(t, run, "Check run #"+itoa(sum.RunID), "out_of_scope", "no_mailbox", "Service account", "Copy")
	users := b.get(base + "/users")
	wantContains(t, users, "badge-ok", "badge-failure", "out_of_scope", "no_mailbox", "Checked <time")

	// Input errors come back for the fields, before anything runs.
	bad := contosoForm()
	bad.Set("account_logon", "")
	bad.Set("ews_url", "ftp://mail.contoso.com/EWS/Exchange.asmx")
	r, lines = b.check(base+"/email/check", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if len(lines) != 1 || lines[0].Type != "error" || lines[0].Fields["account_logon"] == "" || lines[0].Fields["ews_url"] == "" {
		t.Fatalf("input error: %+v", lines)
	}
	// An empty password means the saved one; with none saved, it is asked for.
	noPw := contosoForm()
	noPw.Set("password", "")
	_, lines = b.check(base+"/email/check", noPw)
	if len(lines) != 1 || lines[0].Fields["password"] == "" {
		t.Fatalf("no password: %+v", lines)
	}
	wantStatus(t, b.post(base+"/email", contosoForm()), http.StatusSeeOther)
	r, lines = b.check(base+"/email/check", noPw)
	wantStatus(t, r, http.StatusOK)
	if l := lines[len(lines)-1]; l.Type != "summary" || l.OK != 2 {
		t.Fatalf("with the saved password: %+v", l)
	}
}

// A saved password that cannot be decrypted (the master key changed) is an error on the
// password field for the check and the wand, and on the group import's field; the
// operator hears of it in the log.
func TestUnreadableSavedPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	e.SaveUnreadablePassword(t, org)
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/email")
	noPw := contosoForm()
	noPw.Set("password", "")
	r, lines := b.check(base+"/email/check", noPw)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if len(lines) != 1 || !strings.Contains(lines[0].Fields["password"], "cannot be decrypted") {
		t.Fatalf("check: %+v", lines)
	}
	r, w := b.wand(base+"/email/discover", noPw)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(w.Fields["password"], "cannot be decrypted") {
		t.Fatalf("wand: %+v", w)
	}
	r = b.post(base+"/users/group", url.Values{"group": {"sales@contoso.com"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "cannot be decrypted", `id="group-address-error"`)
	if n := strings.Count(e.log.String(), `msg="web: saved password cannot be decrypted"`); n != 3 {
		t.Fatalf("logged %d times: %s", n, e.log.String())
	}
}

// A client that goes away stops the check; the run is recorded as cancelled.
func TestCheckCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var users []string
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
		users = append(users, u+"@contoso.com")
	}
	org := e.Org(t, "Contoso", users...)
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/email")
	cctx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(cctx, "POST", e.srv.URL+base+"/email/check", strings.NewReader(contosoForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", b.csrf)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// Read the start line, then hang up.
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, `"start"`) {
		t.Fatalf("first line %q: %v", line, err)
	}
	cancel()
	res.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, _ := e.Service.ListCheckRuns(ctx, e.Operator, org, 1)
		if len(runs) == 1 && runs[0].State != "running" {
			if runs[0].State != "cancelled" && runs[0].State != "done" {
				t.Fatalf("run state %q", runs[0].State)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run is still running: %+v", runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
