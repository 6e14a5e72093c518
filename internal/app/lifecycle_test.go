package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Joiners and leavers through the running product: sales@contoso.com kept in sync (API),
// its members synced by the workers; erin leaves the group and gina joins it in
// Exchange; the scheduled re-read (a River job) removes erin with her items and adds
// gina, whose mailbox the workers sync. Deleting the organization then leaves no job of
// it waiting in the queue.
func TestGroupSyncEndToEnd(t *testing.T) {
	t.Parallel()
	d, _, _ := startDemo(t, app.DemoOptions{Configure: func(c *app.Config) { c.GroupSyncInterval = 300 * time.Millisecond }})
	ctx := context.Background()
	st := d.App.Store()
	tok := operatorToken(t, d)
	org := apiJSON(t, d, tok, "POST", "/api/v1/orgs", `{"name":"Contoso"}`, 201)
	orgID := int64(org["id"].(float64))
	apiJSON(t, d, tok, "PUT", apiPath("/api/v1/orgs/%d/email-config", orgID),
		`{"access_type":"exchange_impersonation","account_logon":"svc-sync@contoso.com","password":"Svc-Pass-2026!","ews_url":"`+app.DemoEWSURL+`","auth_method":"ntlm","base_version":0}`, 200)
	apiJSON(t, d, tok, "POST", apiPath("/api/v1/orgs/%d/group-sources", orgID), `{"group":"sales@contoso.com"}`, 201)

	// wait polls cond until it holds.
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(90 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	status := func(email string) (string, int64, int64) {
		t.Helper()
		mbs, err := st.ListMailboxes(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mbs {
			if m.Email == email {
				return m.Status, m.Items, m.UserID
			}
		}
		return "", 0, 0
	}
	wait("erin's mailbox synced", func() bool { s, n, _ := status("erin@contoso.com"); return s == "ok" && n > 0 })
	_, erinItems, erin := status("erin@contoso.com")

	if err := d.World.RemoveGroupMembers("sales@contoso.com", "erin@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.World.AddUser(exchangesim.UserSpec{SMTP: "gina@contoso.com", Password: exchangesim.DefaultUserPassword, GivenName: "Gina", Surname: "Green",
		Content: &exchangesim.Content{Counts: map[string]int{"contacts": 3}}}); err != nil {
		t.Fatal(err)
	}
	if err := d.World.AddScopeMembers("Sales", "gina@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := d.World.AddGroupMembers("sales@contoso.com", "gina@contoso.com"); err != nil {
		t.Fatal(err)
	}
	wait("erin removed", func() bool { s, _, _ := status("erin@contoso.com"); return s == "" })
	if items, _ := st.ListItems(ctx, orgID, erin); len(items) != 0 {
		t.Fatalf("%d of erin's items survive", len(items))
	}
	deletes := 0
	for seq := int64(0); ; {
		entries, err := st.ChangeFeed(ctx, orgID, seq, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			if e.UserID == erin && e.Op == "delete" {
				deletes++
			}
		}
		seq = entries[len(entries)-1].Seq
	}
	if int64(deletes) != erinItems {
		t.Fatalf("%d feed deletes for erin's %d items", deletes, erinItems)
	}
	wait("gina synced", func() bool { s, n, _ := status("gina@contoso.com"); return s == "ok" && n == 3 })

	// The organization goes; none of its jobs waits in the queue.
	apiJSON(t, d, tok, "DELETE", apiPath("/api/v1/orgs/%d", orgID), "", 204)
	wait("the organization's jobs gone", func() bool {
		var n int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE args ->> '$.org_id' = ? AND state NOT IN ('completed', 'cancelled', 'discarded')`, orgID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}
