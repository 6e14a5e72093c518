package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// covered records the routes a test answered with a 2xx.
type covered map[string]bool

// call sends a request to a route ("METHOD PATTERN") and records it when it succeeds.
func (c covered) call(t *testing.T, e *env, token, route string, v ids, body any, hdr ...string) resp {
	t.Helper()
	method, _, _ := strings.Cut(route, " ")
	r := e.do(t, token, method, path(route, v), body, hdr...)
	if r.status >= 200 && r.status < 300 {
		c[route] = true
	}
	return r
}

// callQuery is call with a query string.
func (c covered) callQuery(t *testing.T, e *env, token, route string, v ids, query string) resp {
	t.Helper()
	method, _, _ := strings.Cut(route, " ")
	r := e.do(t, token, method, path(route, v)+"?"+query, nil)
	if r.status >= 200 && r.status < 300 {
		c[route] = true
	}
	return r
}

// Every route's happy path, in the order an operator and an organization's script
// would use them.
func TestEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := covered{}
	op := e.opToken

	var doc map[string]any
	c.call(t, e, "", "GET /api/v1/openapi.json", ids{}, nil).want(t, 200).decode(t, &doc)

	// The operator creates Contoso, its admin and a token for its scripts.
	var org struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Users int    `json:"users"`
	}
	r := c.call(t, e, op, "POST /api/v1/orgs", ids{}, map[string]any{"name": "Contoso"}).want(t, 201)
	r.decode(t, &org)
	if org.ID == 0 || org.Name != "Contoso" || r.header.Get("Location") != fmt.Sprintf("/api/v1/orgs/%d", org.ID) {
		t.Fatalf("created %s (Location %q)", r.body, r.header.Get("Location"))
	}
	id := ids{org: org.ID}
	var orgs struct{ Organizations []struct{ ID int64 } }
	c.call(t, e, op, "GET /api/v1/orgs", ids{}, nil).want(t, 200).decode(t, &orgs)
	if len(orgs.Organizations) != 1 || orgs.Organizations[0].ID != org.ID {
		t.Fatalf("orgs: %+v", orgs)
	}
	c.call(t, e, op, "GET /api/v1/orgs/{org}", id, nil).want(t, 200).decode(t, &org)

	var adm struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	r = c.call(t, e, op, "POST /api/v1/orgs/{org}/admins", id, map[string]any{"email": "Admin@Contoso.com", "name": "Ada", "password": "correct horse battery"}).want(t, 201)
	r.decode(t, &adm)
	if adm.Email != "admin@contoso.com" || adm.Role != "org_admin" || strings.Contains(string(r.body), "correct horse") || strings.Contains(string(r.body), "argon2") {
		t.Fatalf("admin: %s", r.body)
	}
	var admins struct{ Admins []struct{ ID int64 } }
	c.call(t, e, op, "GET /api/v1/orgs/{org}/admins", id, nil).want(t, 200).decode(t, &admins)
	if len(admins.Admins) != 1 || admins.Admins[0].ID != adm.ID {
		t.Fatalf("admins: %+v", admins)
	}

	var tok struct {
		ID     int64  `json:"id"`
		Token  string `json:"token"`
		Prefix string `json:"prefix"`
		OrgID  *int64 `json:"org_id"`
	}
	c.call(t, e, op, "POST /api/v1/orgs/{org}/tokens", id, map[string]any{"name": "ci"}).want(t, 201).decode(t, &tok)
	if !strings.HasPrefix(tok.Token, "mbt_") || !strings.HasPrefix(tok.Token, tok.Prefix) || tok.OrgID == nil || *tok.OrgID != org.ID {
		t.Fatalf("token: %+v", tok)
	}
	ot := tok.Token
	r = c.call(t, e, ot, "GET /api/v1/orgs/{org}/tokens", id, nil).want(t, 200)
	if strings.Contains(string(r.body), ot) || !strings.Contains(string(r.body), `"name":"ci"`) {
		t.Fatalf("token list shows the token or lacks it: %s", r.body)
	}

	// The organization's script adds users one by one and from a list.
	var alice struct {
		ID          int64  `json:"id"`
		Email       string `json:"email"`
		DisplayName string `json:"display_name"`
		Source      string `json:"source"`
	}
	r = c.call(t, e, ot, "POST /api/v1/orgs/{org}/users", id, map[string]any{"email": "Alice@Contoso.com", "display_name": "Alice Smith"}).want(t, 201)
	r.decode(t, &alice)
	if alice.Email != "alice@contoso.com" || alice.DisplayName != "Alice Smith" || alice.Source != "api" {
		t.Fatalf("added %s", r.body)
	}
	for _, u := range []string{"bob@contoso.com", "carol@contoso.com", "frank@contoso.com"} {
		c.call(t, e, ot, "POST /api/v1/orgs/{org}/users", id, map[string]any{"email": u}).want(t, 201)
	}
	var got struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/users/{user}", ids{org: org.ID, user: alice.ID}, nil).want(t, 200).decode(t, &got)
	if got.ID != alice.ID || got.Email != "alice@contoso.com" {
		t.Fatalf("user: %+v", got)
	}
	var imp struct {
		Added      int      `json:"added"`
		Existing   []string `json:"existing"`
		Duplicates int      `json:"duplicates"`
		Skipped    []string `json:"skipped"`
	}
	list := "Email,DisplayName\ndave@contoso.com,Dave\nalice@contoso.com,Alice\nDave@Contoso.com,Dave\n"
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/users/import", id, raw{"text/csv", []byte(list)}).want(t, 200).decode(t, &imp)
	if imp.Added != 1 || !slices.Equal(imp.Existing, []string{"alice@contoso.com"}) || imp.Duplicates != 1 || imp.Skipped == nil {
		t.Fatalf("import: %+v", imp)
	}

	// The email configuration: empty, the wand, saved, the group import through it.
	var cfg struct {
		Exists            bool            `json:"exists"`
		HasPassword       bool            `json:"has_password"`
		AccessType        string          `json:"access_type"`
		AccessTypeLabel   string          `json:"access_type_label"`
		AccountLogon      string          `json:"account_logon"`
		EWSURL            string          `json:"ews_url"`
		AuthMethod        string          `json:"auth_method"`
		Version           int64           `json:"version"`
		AutodiscoverTrail json.RawMessage `json:"autodiscover_trail"`
		UpdatedBy         string          `json:"updated_by"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/email-config", id, nil).want(t, 200).decode(t, &cfg)
	if cfg.Exists || cfg.HasPassword || cfg.AccessType != "exchange_impersonation" || cfg.AccessTypeLabel != "Microsoft Exchange Impersonation" || cfg.AuthMethod != "ntlm" {
		t.Fatalf("empty config: %+v", cfg)
	}
	r = c.call(t, e, ot, "POST /api/v1/orgs/{org}/email-config/discover", id, map[string]any{"account_logon": svcLogon, "password": svcPassword}).want(t, 200)
	var wand struct {
		EWSURL   string            `json:"ews_url"`
		Verified bool              `json:"verified"`
		Attempts []json.RawMessage `json:"attempts"`
		Error    string            `json:"error"`
	}
	r.decode(t, &wand)
	if !wand.Verified || wand.EWSURL != ewsURL || len(wand.Attempts) == 0 || wand.Error != "" {
		t.Fatalf("wand: %s", r.body)
	}
	body := contosoConfig()
	body["base_version"] = 0
	body["autodiscover_trail"] = json.RawMessage(r.body[:len(r.body)-1])
	r = c.call(t, e, ot, "PUT /api/v1/orgs/{org}/email-config", id, body).want(t, 200)
	r.decode(t, &cfg)
	if !cfg.Exists || !cfg.HasPassword || cfg.Version != 1 || cfg.EWSURL != ewsURL || cfg.AccountLogon != svcLogon || len(cfg.AutodiscoverTrail) < 10 {
		t.Fatalf("saved: %s", r.body)
	}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/users/import-group", id, map[string]any{"group": "sales@contoso.com"}).want(t, 200).decode(t, &imp)
	if imp.Added != 1 || len(imp.Existing) != 5 {
		t.Fatalf("group import: %+v", imp)
	}
	var users struct {
		Users []struct {
			ID     int64  `json:"id"`
			Email  string `json:"email"`
			Source string `json:"source"`
		} `json:"users"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/users", id, nil).want(t, 200).decode(t, &users)
	if len(users.Users) != 6 || users.Users[4].Email != "erin@contoso.com" || users.Users[4].Source != "group:sales@contoso.com" {
		t.Fatalf("users: %+v", users)
	}
	c.call(t, e, ot, "DELETE /api/v1/orgs/{org}/users/{user}", ids{org: org.ID, user: users.Users[4].ID}, nil).want(t, 204)
	e.do(t, ot, "GET", path("/api/v1/orgs/{org}/users/{user}", ids{org: org.ID, user: users.Users[4].ID}), nil).wantErr(t, 404, "not_found")

	// The check of the saved configuration (empty body), then its history.
	var run struct {
		ID      int64  `json:"id"`
		State   string `json:"state"`
		Summary struct {
			Users, OK, Failure int
		} `json:"summary"`
		StartedAt string `json:"started_at"`
		Results   []struct {
			User, Check, Status, Code string
		} `json:"results"`
	}
	r = c.call(t, e, ot, "POST /api/v1/orgs/{org}/checks", id, nil).want(t, 201)
	r.decode(t, &run)
	if run.State != "done" || run.Summary.Users != 5 || run.Summary.OK != 3 || run.Summary.Failure != 2 || len(run.Results) == 0 ||
		r.header.Get("Location") != fmt.Sprintf("/api/v1/orgs/%d/checks/%d", org.ID, run.ID) || !strings.HasSuffix(run.StartedAt, "Z") {
		t.Fatalf("check: %s", r.body)
	}
	n := len(run.Results)
	var runs struct{ Runs []struct{ ID int64 } }
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/checks", id, nil).want(t, 200).decode(t, &runs)
	if len(runs.Runs) != 1 || runs.Runs[0].ID != run.ID {
		t.Fatalf("runs: %+v", runs)
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/checks/{run}", ids{org: org.ID, run: run.ID}, nil).want(t, 200).decode(t, &run)
	if len(run.Results) != n {
		t.Fatalf("history has %d results, the check returned %d", len(run.Results), n)
	}

	// Sync: the save activated every user's mailbox (Erin came later); one is paused and
	// resumed.
	var mbs struct {
		Mailboxes []struct {
			UserID int64  `json:"user_id"`
			Email  string `json:"email"`
			State  string `json:"state"`
			Status string `json:"status"`
		} `json:"mailboxes"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/mailboxes", id, nil).want(t, 200).decode(t, &mbs)
	if len(mbs.Mailboxes) != 5 || mbs.Mailboxes[0].Email != "alice@contoso.com" || mbs.Mailboxes[0].UserID != alice.ID ||
		mbs.Mailboxes[0].State != "active" || mbs.Mailboxes[0].Status != "pending" {
		t.Fatalf("mailboxes: %+v", mbs)
	}
	var mb struct {
		UserID int64  `json:"user_id"`
		State  string `json:"state"`
	}
	mbID := ids{org: org.ID, user: alice.ID}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/mailboxes/{user}/pause", mbID, nil).want(t, 200).decode(t, &mb)
	if mb.UserID != alice.ID || mb.State != "paused" {
		t.Fatalf("paused: %+v", mb)
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/mailboxes/{user}", mbID, nil).want(t, 200).decode(t, &mb)
	if mb.State != "paused" {
		t.Fatalf("mailbox: %+v", mb)
	}
	var sum struct {
		Total   int    `json:"total"`
		Pending int    `json:"pending"`
		Paused  int    `json:"paused"`
		Lag     *int64 `json:"lag_seconds"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/mailboxes/summary", id, nil).want(t, 200).decode(t, &sum)
	if sum.Total != 5 || sum.Pending != 4 || sum.Paused != 1 || sum.Lag != nil {
		t.Fatalf("summary: %+v", sum)
	}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/mailboxes/{user}/resume", mbID, map[string]any{}).want(t, 200).decode(t, &mb)
	if mb.State != "active" {
		t.Fatalf("resumed: %+v", mb)
	}
	var hist struct {
		History []struct{ State, Status string } `json:"history"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/mailboxes/{user}/history", mbID, nil).want(t, 200).decode(t, &hist)
	if len(hist.History) != 3 || hist.History[0].State != "active" || hist.History[1].State != "paused" || hist.History[2].Status != "pending" {
		t.Fatalf("history: %+v", hist)
	}

	// Synced data: alice's mailbox synced once; the change feed, her messages, events
	// and contacts one by one; the rooms and a room's free/busy.
	e.SyncMailbox(t, org.ID, alice.ID, 0)
	var feed struct {
		Changes []struct {
			ItemID string `json:"item_id"`
			Kind   string `json:"kind"`
		} `json:"changes"`
		NextCursor string `json:"next_cursor"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/changes", id, nil).want(t, 200).decode(t, &feed)
	if len(feed.Changes) == 0 || feed.NextCursor == "" {
		t.Fatalf("changes: %+v", feed)
	}
	c.callQuery(t, e, ot, "GET /api/v1/orgs/{org}/changes", id, "limit=5&cursor="+feed.NextCursor).want(t, 200)
	for _, kind := range []string{"message", "event", "contact"} {
		item := ""
		for _, ch := range feed.Changes {
			if ch.Kind == kind && item == "" {
				item = ch.ItemID
			}
		}
		v := ids{org: org.ID, user: alice.ID, item: item}
		var list map[string][]struct{ ID string }
		c.call(t, e, ot, "GET /api/v1/orgs/{org}/users/{user}/"+kind+"s", v, nil).want(t, 200).decode(t, &list)
		if item == "" || len(list[kind+"s"]) == 0 {
			t.Fatalf("no %s: %v", kind, list)
		}
		var got struct{ ID, Kind string }
		c.call(t, e, ot, "GET /api/v1/orgs/{org}/users/{user}/"+kind+"s/{item}", v, nil).want(t, 200).decode(t, &got)
		if got.ID != item || got.Kind != kind {
			t.Fatalf("%s %s: %+v", kind, item, got)
		}
	}
	var lists struct {
		RoomLists []struct{ Email string } `json:"room_lists"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/rooms/lists", id, nil).want(t, 200).decode(t, &lists)
	if len(lists.RoomLists) != 1 {
		t.Fatalf("room lists: %+v", lists)
	}
	var rooms struct {
		Rooms []struct{ Email string } `json:"rooms"`
	}
	c.callQuery(t, e, ot, "GET /api/v1/orgs/{org}/rooms", id, "list="+lists.RoomLists[0].Email).want(t, 200).decode(t, &rooms)
	if len(rooms.Rooms) != 3 {
		t.Fatalf("rooms: %+v", rooms)
	}
	var avail struct {
		Mailboxes []struct{ Email string } `json:"mailboxes"`
	}
	c.callQuery(t, e, ot, "GET /api/v1/orgs/{org}/availability", id, "emails="+rooms.Rooms[0].Email+"&start=2026-12-01&end=2026-12-02").want(t, 200).decode(t, &avail)
	if len(avail.Mailboxes) != 1 {
		t.Fatalf("availability: %+v", avail)
	}

	// Joiners and leavers: sales@contoso.com kept in sync; emptied by mistake, its
	// re-read is held until confirmed; then no longer kept. The retention.
	var kept struct {
		GroupSource struct {
			ID      int64  `json:"id"`
			Address string `json:"address"`
			Status  string `json:"status"`
		} `json:"group_source"`
		Import struct {
			Added int `json:"added"`
		} `json:"import"`
	}
	r = c.call(t, e, ot, "POST /api/v1/orgs/{org}/group-sources", id, map[string]any{"group": "Sales@Contoso.com"}).want(t, 201)
	r.decode(t, &kept)
	if kept.GroupSource.Address != "sales@contoso.com" || kept.GroupSource.Status != "ok" || kept.Import.Added == 0 ||
		r.header.Get("Location") != fmt.Sprintf("/api/v1/orgs/%d/group-sources/%d", org.ID, kept.GroupSource.ID) {
		t.Fatalf("kept: %s", r.body)
	}
	srcID := ids{org: org.ID, source: kept.GroupSource.ID}
	var srcs struct {
		GroupSources []struct {
			ID     int64    `json:"id"`
			Status string   `json:"status"`
			Held   []string `json:"held"`
		} `json:"group_sources"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/group-sources", id, nil).want(t, 200).decode(t, &srcs)
	if len(srcs.GroupSources) != 1 || srcs.GroupSources[0].ID != kept.GroupSource.ID || srcs.GroupSources[0].Held == nil {
		t.Fatalf("group sources: %+v", srcs)
	}
	if err := e.World.SetGroupMembers("sales@contoso.com"); err != nil {
		t.Fatal(err)
	}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/group-sources/sync", id, nil).want(t, 200).decode(t, &srcs)
	if srcs.GroupSources[0].Status != "held" || len(srcs.GroupSources[0].Held) != kept.Import.Added {
		t.Fatalf("after emptying the group: %+v", srcs)
	}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/group-sources/{source}/confirm", srcID, nil).want(t, 200).decode(t, &srcs)
	if srcs.GroupSources[0].Status != "ok" || len(srcs.GroupSources[0].Held) != 0 {
		t.Fatalf("confirmed: %+v", srcs)
	}
	c.call(t, e, ot, "DELETE /api/v1/orgs/{org}/group-sources/{source}", srcID, nil).want(t, 204)
	var ret struct {
		Days int `json:"days"`
	}
	c.call(t, e, ot, "PUT /api/v1/orgs/{org}/retention", id, map[string]any{"days": 30}).want(t, 200).decode(t, &ret)
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/retention", id, nil).want(t, 200).decode(t, &ret)
	if ret.Days != 30 {
		t.Fatalf("retention: %+v", ret)
	}

	// Webhooks: a subscription to changes and status events, tested (ping), its secret
	// rotated with an overlap (the next delivery is signed with both), its delivery log.
	rcv := newReceiver(t)
	var hook struct {
		ID     int64    `json:"id"`
		Secret string   `json:"secret"`
		URL    string   `json:"url"`
		Events []string `json:"events"`
		Active bool     `json:"active"`
	}
	r = c.call(t, e, ot, "POST /api/v1/orgs/{org}/webhooks", id, map[string]any{"url": rcv.URL, "events": []string{"changes", "status"}, "description": "CRM"}).want(t, 201)
	r.decode(t, &hook)
	if !strings.HasPrefix(hook.Secret, "whsec_") || hook.URL != rcv.URL || !hook.Active || len(hook.Events) != 2 ||
		r.header.Get("Location") != fmt.Sprintf("/api/v1/orgs/%d/webhooks/%d", org.ID, hook.ID) {
		t.Fatalf("webhook: %s", r.body)
	}
	hid := ids{org: org.ID, webhook: hook.ID}
	r = c.call(t, e, ot, "GET /api/v1/orgs/{org}/webhooks", id, nil).want(t, 200)
	if strings.Contains(string(r.body), hook.Secret) || !strings.Contains(string(r.body), rcv.URL) {
		t.Fatalf("webhook list shows the secret or lacks the webhook: %s", r.body)
	}
	r = c.call(t, e, ot, "PATCH /api/v1/orgs/{org}/webhooks/{webhook}", hid, map[string]any{"description": "CRM (production)"}).want(t, 200)
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/webhooks/{webhook}", hid, nil).want(t, 200)
	if !strings.Contains(string(r.body), "CRM (production)") || strings.Contains(string(r.body), hook.Secret) {
		t.Fatalf("updated webhook: %s", r.body)
	}
	var attempt struct {
		OK         bool   `json:"ok"`
		StatusCode int    `json:"status_code"`
		Event      string `json:"event"`
	}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/webhooks/{webhook}/test", hid, nil).want(t, 200).decode(t, &attempt)
	if !attempt.OK || attempt.StatusCode != 204 || attempt.Event != "ping" {
		t.Fatalf("test delivery: %+v", attempt)
	}
	if got := rcv.last(t); !got.verifies(hook.Secret) || got.event != "ping" {
		t.Fatalf("the ping is not signed with the secret: %+v", got)
	}
	old := hook.Secret
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/webhooks/{webhook}/rotate-secret", hid, map[string]any{"overlap_seconds": 3600}).want(t, 200).decode(t, &hook)
	if hook.Secret == old || !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("rotated secret: %q", hook.Secret)
	}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/webhooks/{webhook}/test", hid, nil).want(t, 200).decode(t, &attempt)
	if got := rcv.last(t); !got.verifies(hook.Secret) || !got.verifies(old) {
		t.Fatalf("during the overlap a delivery verifies with both secrets: %+v", got)
	}
	var log struct {
		Attempts []struct {
			Event string `json:"event"`
			OK    bool   `json:"ok"`
		} `json:"attempts"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/webhooks/{webhook}/deliveries", hid, nil).want(t, 200).decode(t, &log)
	if len(log.Attempts) != 2 || !log.Attempts[0].OK || log.Attempts[0].Event != "ping" {
		t.Fatalf("delivery log: %+v", log)
	}
	var incs struct {
		Incidents []struct{ ID int64 } `json:"incidents"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/incidents", id, nil).want(t, 200).decode(t, &incs)
	if incs.Incidents == nil {
		t.Fatal("incidents: not a list")
	}
	c.call(t, e, ot, "DELETE /api/v1/orgs/{org}/webhooks/{webhook}", hid, nil).want(t, 204)
	e.do(t, ot, "GET", path("/api/v1/orgs/{org}/webhooks/{webhook}", hid), nil).wantErr(t, 404, "not_found")

	// The audit log, a page at a time.
	var page struct {
		Entries []struct {
			ID     int64  `json:"id"`
			Actor  string `json:"actor"`
			Action string `json:"action"`
		} `json:"entries"`
		NextBefore *int64 `json:"next_before"`
	}
	c.call(t, e, ot, "GET /api/v1/orgs/{org}/audit", id, nil, "X-Ignored", "1").want(t, 200)
	e.do(t, ot, "GET", path("/api/v1/orgs/{org}/audit?limit=3", id), nil).want(t, 200).decode(t, &page)
	if len(page.Entries) != 3 || page.NextBefore == nil || *page.NextBefore != page.Entries[2].ID {
		t.Fatalf("audit page: %+v", page)
	}
	first := page.Entries[0]
	e.do(t, ot, "GET", path(fmt.Sprintf("/api/v1/orgs/{org}/audit?limit=3&before=%d", *page.NextBefore), id), nil).want(t, 200).decode(t, &page)
	if len(page.Entries) == 0 || page.Entries[0].ID >= first.ID {
		t.Fatalf("second page: %+v", page)
	}

	// Tokens: a second one revoked; operator tokens.
	var tok2 struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	c.call(t, e, ot, "POST /api/v1/orgs/{org}/tokens", id, map[string]any{"name": "temporary"}).want(t, 201).decode(t, &tok2)
	e.do(t, tok2.Token, "GET", path("/api/v1/orgs/{org}", id), nil).want(t, 200)
	c.call(t, e, ot, "DELETE /api/v1/orgs/{org}/tokens/{token}", ids{org: org.ID, token: tok2.ID}, nil).want(t, 204)
	e.do(t, tok2.Token, "GET", path("/api/v1/orgs/{org}", id), nil).wantErr(t, 401, "unauthenticated")

	var optok struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
		OrgID *int64 `json:"org_id"`
	}
	c.call(t, e, op, "POST /api/v1/tokens", ids{}, map[string]any{"name": "terraform"}).want(t, 201).decode(t, &optok)
	if optok.OrgID != nil || !strings.HasPrefix(optok.Token, "mbt_") {
		t.Fatalf("operator token: %+v", optok)
	}
	var toks struct{ Tokens []struct{ Name string } }
	c.call(t, e, optok.Token, "GET /api/v1/tokens", ids{}, nil).want(t, 200).decode(t, &toks)
	if len(toks.Tokens) != 2 {
		t.Fatalf("operator tokens: %+v", toks)
	}
	c.call(t, e, op, "DELETE /api/v1/tokens/{token}", ids{token: optok.ID}, nil).want(t, 204)
	e.do(t, optok.Token, "GET", "/api/v1/tokens", nil).wantErr(t, 401, "unauthenticated")

	// The operator removes the admin, then the organization.
	c.call(t, e, op, "DELETE /api/v1/orgs/{org}/admins/{admin}", ids{org: org.ID, admin: adm.ID}, nil).want(t, 204)
	c.call(t, e, op, "DELETE /api/v1/orgs/{org}", id, nil).want(t, 204)
	e.do(t, op, "GET", path("/api/v1/orgs/{org}", id), nil).wantErr(t, 404, "not_found")
	e.do(t, ot, "GET", path("/api/v1/orgs/{org}", id), nil).wantErr(t, 401, "unauthenticated") // its tokens went with it

	for _, rt := range e.api.Routes() {
		if !c[rt] {
			t.Errorf("route %s has no happy path in this test", rt)
		}
	}
}
