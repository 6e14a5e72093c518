package exchangesim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// admin sends one admin API request and decodes a JSON answer into out (if not nil).
func admin(t *testing.T, s *simServer, method, path, body string, wantStatus int, out any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, s.Info().AdminURL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func inboxCount(t *testing.T, c *ewsCaller) int {
	t.Helper()
	var resp ews.GetFolderResponse
	c.mustCall(ews.OpGetFolder, &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}, &resp)
	if err := resp.ResponseMessages[0].Err(); err != nil {
		t.Fatal(err)
	}
	return *resp.ResponseMessages[0].Folders.Folders[0].TotalCount
}

// An operator changes the world while a client runs; each change is visible to the
// client at once, as on a real server (whose RBAC cache we do not model).
func TestAdminChangesTheWorld(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	ctx := context.Background()

	// Bob is outside the scope; adding him lets svc-sync impersonate him, removing him denies again.
	bob := s.svcAs(t, "bob@contoso.com")
	if err := bob.call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); ews.Code(err) != ews.ErrorImpersonateUserDenied {
		t.Fatalf("bob before: %v", err)
	}
	admin(t, s, "POST", "/scopes/Sales/members", `{"members":["bob@contoso.com"]}`, 204, nil)
	if err := bob.call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); err != nil {
		t.Fatalf("bob in scope: %v", err)
	}
	admin(t, s, "DELETE", "/scopes/Sales/members", `{"members":["bob@contoso.com"]}`, 204, nil)
	if err := bob.call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); ews.Code(err) != ews.ErrorImpersonateUserDenied {
		t.Fatalf("bob after: %v", err)
	}

	// An organization-wide role for svc-norole.
	admin(t, s, "POST", "/roles", `{"name":"norole-imp","role":"ApplicationImpersonation","user":"svc-norole@contoso.com"}`, 204, nil)
	if err := s.as(t, "svc-norole@contoso.com", "Svc-Pass-2026!", "bob@contoso.com").call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); err != nil {
		t.Fatalf("granted role: %v", err)
	}
	admin(t, s, "DELETE", "/roles/norole-imp", "", 204, nil)
	if err := s.as(t, "svc-norole@contoso.com", "Svc-Pass-2026!", "bob@contoso.com").call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); ews.Code(err) != ews.ErrorImpersonateUserDenied {
		t.Fatalf("revoked role: %v", err)
	}

	// A password change: the old password gets 401, the new one works.
	admin(t, s, "PUT", "/users/svc-sync@contoso.com/password", `{"password":"New-Pass-2027!"}`, 204, nil)
	var he *httpStatusError
	if err := s.svcAs(t, "alice@contoso.com").call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); !errors.As(err, &he) || he.status != 401 {
		t.Fatalf("old password: %v", err)
	}
	alice := s.as(t, "svc-sync@contoso.com", "New-Pass-2027!", "alice@contoso.com")
	before := inboxCount(t, alice)

	// Delivery and item changes.
	var delivered struct {
		To []string `json:"delivered_to"`
	}
	admin(t, s, "POST", "/deliver", `{"from":"bob@contoso.com","to":["alice@contoso.com","frank@contoso.com"],"subject":"Quarterly numbers"}`, 200, &delivered)
	if len(delivered.To) != 1 || delivered.To[0] != "alice@contoso.com" {
		t.Errorf("delivered to %v (frank has no mailbox)", delivered.To)
	}
	var created struct{ ID string }
	admin(t, s, "POST", "/mailboxes/alice@contoso.com/items", `{"folder":"inbox","subject":"From the admin API","from":"carol@contoso.com"}`, 201, &created)
	if got := inboxCount(t, alice); got != before+2 {
		t.Fatalf("inbox %d, want %d", got, before+2)
	}
	admin(t, s, "PATCH", "/mailboxes/alice@contoso.com/items/"+created.ID, `{"subject":"Renamed","is_read":true}`, 200, nil)
	mb, err := s.Sim.World().Mailbox(ctx, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if it, err := mb.Item(created.ID); err != nil || it.Subject != "Renamed" || it.IsRead == nil || !*it.IsRead {
		t.Fatalf("patched item %+v, %v", it.Subject, err)
	}
	admin(t, s, "DELETE", "/mailboxes/alice@contoso.com/items/"+created.ID+"?mode=hard", "", 204, nil)
	if got := inboxCount(t, alice); got != before+1 {
		t.Fatalf("inbox after delete %d, want %d", got, before+1)
	}
	admin(t, s, "DELETE", "/mailboxes/alice@contoso.com/items/"+created.ID, "", 404, nil)
	admin(t, s, "DELETE", "/mailboxes/alice@contoso.com/items/x?mode=sideways", "", 400, nil)

	// New users, removed users.
	admin(t, s, "POST", "/users", `{"smtp":"gina@contoso.com","password":"User-Pass-2026!","givenName":"Gina"}`, 201, nil)
	admin(t, s, "POST", "/scopes/Sales/members", `{"members":["gina@contoso.com"]}`, 204, nil)
	if err := s.as(t, "svc-sync@contoso.com", "New-Pass-2027!", "gina@contoso.com").call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); err != nil {
		t.Fatalf("new user: %v", err)
	}
	admin(t, s, "POST", "/users", `{"smtp":"gina@contoso.com","password":"x"}`, 400, nil)
	admin(t, s, "DELETE", "/users/gina@contoso.com", "", 204, nil)
	if err := s.as(t, "svc-sync@contoso.com", "New-Pass-2027!", "gina@contoso.com").call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); ews.Code(err) != ews.ErrorNonExistentMailbox {
		t.Fatalf("removed user: %v", err)
	}
	admin(t, s, "DELETE", "/users/gina@contoso.com", "", 404, nil)
	admin(t, s, "POST", "/mailboxes/frank@contoso.com/items", `{"folder":"inbox","subject":"x"}`, 404, nil)

	var state struct {
		Scenario string `json:"scenario"`
		Users    int    `json:"users"`
	}
	admin(t, s, "GET", "/state", "", 200, &state)
	if state.Scenario != "contoso" || state.Users < 10 {
		t.Errorf("state %+v", state)
	}
	admin(t, s, "PUT", "/throttle", `{"max_concurrency":5,"charge_to":"caller"}`, 200, nil)
	admin(t, s, "PUT", "/throttle", `{"charge_to":"nobody"}`, 400, nil)
	admin(t, s, "POST", "/mailboxes/alice@contoso.com/expire-sync-states", "", 204, nil)
}
