package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// statusChangeJSON is an entry of a mailbox's history as the API answers it.
type statusChangeJSON struct {
	At            string `json:"at"`
	State         string `json:"state"`
	Status        string `json:"status"`
	StatusCode    string `json:"status_code"`
	StatusMessage string `json:"status_message"`
	Meaning       string `json:"meaning"`
}

// A mailbox's history: each change of its state or status, newest first, codes
// explained.
func TestMailboxHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok, id := e.syncedOrg(t, "Contoso")
	history := func(user string) []statusChangeJSON {
		t.Helper()
		var out struct {
			History []statusChangeJSON `json:"history"`
		}
		e.do(t, tok, "GET", path("/api/v1/orgs/{org}/mailboxes/{user}/history", ids{org: org, user: id[user]}), nil).want(t, 200).decode(t, &out)
		if out.History == nil {
			t.Fatalf("%s: no history array", user)
		}
		return out.History
	}
	brief := func(h []statusChangeJSON) []string {
		var out []string
		for _, c := range h {
			out = append(out, strings.TrimSuffix(c.State+"/"+c.Status+"/"+c.StatusCode, "/"))
		}
		return out
	}
	// Carol syncs again after her error: a new line; the same error again: none.
	e.SyncStatus(t, id["carol"], store.MailboxStatus{Status: control.SyncSyncing})
	e.SyncStatus(t, id["carol"], store.MailboxStatus{Status: control.SyncOK})
	e.SyncStatus(t, id["carol"], store.MailboxStatus{Status: control.SyncOK})
	cases := []struct {
		user string
		want []string
	}{
		{"alice", []string{"active/ok", "active/pending"}},
		{"bob", []string{"active/syncing", "active/pending"}},
		{"carol", []string{"active/ok", "active/error/out_of_scope", "active/pending"}},
		{"dave", []string{"paused/pending", "active/pending"}},
		{"erin", []string{"stopped/error/auth_failed", "active/pending"}},
	}
	for _, c := range cases {
		if got := brief(history(c.user)); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.user, got, c.want)
		}
	}
	h := history("carol")[1]
	if h.StatusMessage != "ErrorImpersonateUserDenied" || !strings.Contains(h.Meaning, "management scope") || !strings.HasSuffix(h.At, "Z") {
		t.Fatalf("carol's error %+v", h)
	}
}

// sync_folders: every folder until chosen, saved and read back in order, kept when the
// field is missing or null, refused when empty or unknown, audited.
func TestEmailConfigSyncFolders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	p := path("/api/v1/orgs/{org}/email-config", ids{org: org})
	type cfg struct {
		SyncFolders []string `json:"sync_folders"`
		Version     int64    `json:"version"`
	}
	get := func() cfg {
		t.Helper()
		var c cfg
		e.do(t, tok, "GET", p, nil).want(t, 200).decode(t, &c)
		return c
	}
	all := []string{"inbox", "inbox_subfolders", "sentitems", "calendar", "contacts"}
	if c := get(); !slices.Equal(c.SyncFolders, all) {
		t.Fatalf("before a save: %v", c.SyncFolders)
	}
	var c cfg
	e.do(t, tok, "PUT", p, contosoConfig()).want(t, 200).decode(t, &c)
	if !slices.Equal(c.SyncFolders, all) {
		t.Fatalf("first save without the field: %v", c.SyncFolders)
	}
	body := contosoConfig()
	body["base_version"], body["sync_folders"] = c.Version, []string{"contacts", "inbox"}
	e.do(t, tok, "PUT", p, body).want(t, 200).decode(t, &c)
	if want := []string{"inbox", "contacts"}; !slices.Equal(c.SyncFolders, want) || !slices.Equal(get().SyncFolders, want) {
		t.Fatalf("saved %v, read %v", c.SyncFolders, get().SyncFolders)
	}
	for name, v := range map[string]any{"missing": nil, "null": "null"} {
		b := contosoConfig()
		b["base_version"] = c.Version
		if v != nil {
			b["sync_folders"] = nil
		}
		e.do(t, tok, "PUT", p, b).want(t, 200).decode(t, &c)
		if !slices.Equal(c.SyncFolders, []string{"inbox", "contacts"}) {
			t.Fatalf("%s: %v", name, c.SyncFolders)
		}
	}
	for name, v := range map[string][]string{"empty": {}, "unknown": {"inbox", "deleteditems"}} {
		b := contosoConfig()
		b["base_version"], b["sync_folders"] = c.Version, v
		er := e.do(t, tok, "PUT", p, b).wantErr(t, 422, "invalid_input")
		if er.Error.Fields["sync_folders"] == "" {
			t.Fatalf("%s: %+v", name, er)
		}
	}
	if got := get(); !slices.Equal(got.SyncFolders, []string{"inbox", "contacts"}) || got.Version != c.Version {
		t.Fatalf("after refused saves: %+v", got)
	}
	var page struct {
		Entries []struct {
			Action string            `json:"action"`
			Detail map[string]string `json:"detail"`
		} `json:"entries"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/audit?limit=10", ids{org: org}), nil).want(t, 200).decode(t, &page)
	found := false
	for _, a := range page.Entries {
		found = found || a.Action == "email_config.save" && a.Detail["sync_folders"] == "inbox,contacts"
	}
	if !found {
		t.Fatalf("no audit entry of the new selection: %+v", page.Entries)
	}
}
