package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// mailboxJSON is a mailbox as the API answers it.
type mailboxJSON struct {
	UserID        int64   `json:"user_id"`
	OrgID         int64   `json:"org_id"`
	Email         string  `json:"email"`
	State         string  `json:"state"`
	Status        string  `json:"status"`
	StatusCode    string  `json:"status_code"`
	StatusMessage string  `json:"status_message"`
	Meaning       string  `json:"meaning"`
	Fix           string  `json:"fix"`
	LastSuccessAt *string `json:"last_success_at"`
	Items         int64   `json:"items"`
}

// syncedOrg is an organization whose saved configuration activated sync, with its
// mailboxes in every state; it returns the organization, its token and its user ids.
func (e *env) syncedOrg(t *testing.T, name string) (int64, string, map[string]int64) {
	t.Helper()
	org, tok := e.org(t, name, "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com")
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", ids{org: org}), contosoConfig()).want(t, 200)
	users, err := e.Service.ListUsers(ctx, e.Operator, org)
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]int64{}
	for _, u := range users {
		id[strings.TrimSuffix(u.Email, "@contoso.com")] = u.ID
	}
	e.SyncItems(t, id["alice"], 7)
	e.SyncStatus(t, id["alice"], store.MailboxStatus{Status: control.SyncOK})
	e.SyncStatus(t, id["bob"], store.MailboxStatus{Status: control.SyncSyncing})
	e.SyncStatus(t, id["carol"], store.MailboxStatus{Status: control.SyncError, Code: "out_of_scope", Message: "ErrorImpersonateUserDenied"})
	e.SyncStatus(t, id["erin"], store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeAuthFailed, Message: "HTTP 401", Stop: true})
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/mailboxes/{user}/pause", ids{org: org, user: id["dave"]}), nil).want(t, 200)
	return org, tok, id
}

func TestListMailboxes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok, id := e.syncedOrg(t, "Contoso")
	list := func(query string) []mailboxJSON {
		t.Helper()
		var out struct{ Mailboxes []mailboxJSON }
		e.do(t, tok, "GET", path("/api/v1/orgs/{org}/mailboxes", ids{org: org})+query, nil).want(t, 200).decode(t, &out)
		return out.Mailboxes
	}
	all := list("")
	if len(all) != 5 {
		t.Fatalf("%d mailboxes", len(all))
	}
	alice, carol, erin := all[0], all[2], all[4]
	if alice.UserID != id["alice"] || alice.OrgID != org || alice.Items != 7 || alice.LastSuccessAt == nil || !strings.HasSuffix(*alice.LastSuccessAt, "Z") ||
		alice.Status != "ok" || alice.StatusCode != "" || alice.Meaning != "" || alice.Fix != "" {
		t.Fatalf("alice %+v", alice)
	}
	if carol.StatusCode != "out_of_scope" || carol.StatusMessage != "ErrorImpersonateUserDenied" || !strings.Contains(carol.Meaning, "outside the role's management scope") ||
		!strings.Contains(carol.Fix, "management scope") {
		t.Fatalf("carol %+v", carol)
	}
	if erin.State != "stopped" || erin.StatusCode != "auth_failed" || !strings.Contains(erin.Meaning, "lock the account out") || !strings.Contains(erin.Fix, "Email Configuration") {
		t.Fatalf("erin %+v", erin)
	}

	cases := []struct {
		query string
		want  []string
	}{
		{"?status=error", []string{"carol", "erin"}},
		{"?status=error&state=active", []string{"carol"}},
		{"?state=paused", []string{"dave"}},
		{"?state=stopped", []string{"erin"}},
		{"?status=syncing", []string{"bob"}},
		{"?status=ok&q=ALI", []string{"alice"}},
		{"?q=nobody", []string{}},
	}
	for _, c := range cases {
		got := []string{}
		for _, m := range list(c.query) {
			got = append(got, strings.TrimSuffix(m.Email, "@contoso.com"))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.query, got, c.want)
		}
	}
	for q, field := range map[string]string{"?status=warning": "status", "?state=gone": "state"} {
		er := e.do(t, tok, "GET", path("/api/v1/orgs/{org}/mailboxes", ids{org: org})+q, nil).wantErr(t, 400, "invalid_input")
		if er.Error.Fields[field] == "" || !strings.Contains(er.Error.Message, "Query parameter “"+field+"”") {
			t.Errorf("%s: %+v", q, er)
		}
	}

	var sum struct {
		Total, Pending, Syncing, OK, Error, Paused, Stopped int
		Items                                               int64
		NeverSynced                                         int     `json:"never_synced"`
		OldestSuccessAt                                     *string `json:"oldest_success_at"`
		LagSeconds                                          *int64  `json:"lag_seconds"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/mailboxes/summary", ids{org: org}), nil).want(t, 200).decode(t, &sum)
	if sum.Total != 5 || sum.Pending != 0 || sum.Syncing != 1 || sum.OK != 1 || sum.Error != 1 || sum.Paused != 1 || sum.Stopped != 1 ||
		sum.Items != 7 || sum.NeverSynced != 3 || sum.OldestSuccessAt == nil || *sum.OldestSuccessAt != *alice.LastSuccessAt ||
		sum.LagSeconds == nil || *sum.LagSeconds < 0 {
		t.Fatalf("summary %+v", sum)
	}
}

// Pause and resume change the stored state and are audited; the body may be empty or
// {}, nothing else.
func TestPauseResumeMailbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok, id := e.syncedOrg(t, "Contoso")
	mb := func(user string) store.Mailbox {
		t.Helper()
		m, err := e.Store.GetMailbox(ctx, org, id[user])
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	at := func(user, action string) string {
		return path("/api/v1/orgs/{org}/mailboxes/{user}/"+action, ids{org: org, user: id[user]})
	}
	var m mailboxJSON
	e.do(t, tok, "POST", at("alice", "pause"), map[string]any{}).want(t, 200).decode(t, &m)
	if m.State != "paused" || m.Email != "alice@contoso.com" || mb("alice").State != "paused" {
		t.Fatalf("paused %+v, stored %s", m, mb("alice").State)
	}
	e.do(t, tok, "POST", at("alice", "resume"), nil).want(t, 200).decode(t, &m)
	if m.State != "active" || mb("alice").State != "active" {
		t.Fatalf("resumed %+v", m)
	}
	// A stopped mailbox resumes too.
	e.do(t, tok, "POST", at("erin", "resume"), nil).want(t, 200).decode(t, &m)
	if m.State != "active" || mb("erin").State != "active" {
		t.Fatalf("resumed stopped %+v", m)
	}
	// Bodies with values are refused, and change nothing.
	e.do(t, tok, "POST", at("bob", "pause"), map[string]any{"state": "paused"}).wantErr(t, 400, "invalid_input")
	e.do(t, tok, "POST", at("bob", "pause"), raw{"text/plain", []byte("pause")}).wantErr(t, 415, "unsupported_media_type")
	if mb("bob").State != "active" {
		t.Fatal("bob was paused by a refused request")
	}

	var page struct {
		Entries []struct{ Actor, Action, Target string } `json:"entries"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/audit?limit=4", ids{org: org}), nil).want(t, 200).decode(t, &page)
	var got []string
	for _, a := range page.Entries {
		got = append(got, a.Action+" "+a.Target+" "+a.Actor)
	}
	want := []string{"sync.active erin@contoso.com token:token of Contoso", "sync.active alice@contoso.com token:token of Contoso",
		"sync.paused alice@contoso.com token:token of Contoso", "sync.paused dave@contoso.com token:token of Contoso"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
}

// Another organization's mailboxes answer 404, named by their organization or by a user
// id under one's own; users without a mailbox, and ids that are not ids, too.
func TestMailboxesOrgScoped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, aTok, _ := e.syncedOrg(t, "A")
	b, _, bID := e.syncedOrg(t, "B")
	c, cTok := e.org(t, "C", "zoe@contoso.com") // never configured
	zoe, _ := e.Service.ListUsers(ctx, e.Operator, c)
	for _, tc := range []struct{ token, method, path string }{
		{aTok, "GET", path("/api/v1/orgs/{org}/mailboxes", ids{org: b})},
		{aTok, "GET", path("/api/v1/orgs/{org}/mailboxes/summary", ids{org: b})},
		{aTok, "GET", path("/api/v1/orgs/{org}/mailboxes/{user}", ids{org: b, user: bID["bob"]})},
		{aTok, "POST", path("/api/v1/orgs/{org}/mailboxes/{user}/pause", ids{org: b, user: bID["bob"]})},
		{aTok, "POST", path("/api/v1/orgs/{org}/mailboxes/{user}/resume", ids{org: b, user: bID["erin"]})},
		{aTok, "GET", path("/api/v1/orgs/{org}/mailboxes/{user}", ids{org: a, user: bID["bob"]})},
		{aTok, "GET", path("/api/v1/orgs/{org}/mailboxes/{user}/history", ids{org: b, user: bID["bob"]})},
		{aTok, "GET", path("/api/v1/orgs/{org}/mailboxes/{user}/history", ids{org: a, user: bID["bob"]})},
		{cTok, "GET", path("/api/v1/orgs/{org}/mailboxes/{user}/history", ids{org: c, user: zoe[0].ID})},
		{aTok, "POST", path("/api/v1/orgs/{org}/mailboxes/{user}/pause", ids{org: a, user: bID["bob"]})},
		{e.opToken, "POST", path("/api/v1/orgs/{org}/mailboxes/{user}/resume", ids{org: a, user: bID["erin"]})},
		{cTok, "POST", path("/api/v1/orgs/{org}/mailboxes/{user}/pause", ids{org: c, user: zoe[0].ID})},
		{aTok, "POST", path("/api/v1/orgs/{org}/mailboxes/x/pause", ids{org: a})},
	} {
		e.do(t, tc.token, tc.method, tc.path, nil).wantErr(t, 404, "not_found")
	}
	if m, _ := e.Store.GetMailbox(ctx, b, bID["bob"]); m.State != "active" {
		t.Fatalf("B's bob is %s", m.State)
	}
	if m, _ := e.Store.GetMailbox(ctx, b, bID["erin"]); m.State != "stopped" {
		t.Fatalf("B's erin is %s", m.State)
	}
	var out struct{ Mailboxes []mailboxJSON }
	e.do(t, cTok, "GET", path("/api/v1/orgs/{org}/mailboxes", ids{org: c}), nil).want(t, 200).decode(t, &out)
	if out.Mailboxes == nil || len(out.Mailboxes) != 0 {
		t.Fatalf("never configured: %+v", out)
	}
}
