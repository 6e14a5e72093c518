package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/app"
)

// Saving the Email Configuration activates sync for every user of the organization: the
// product's promise, through the API and the running job workers.
func TestSaveActivatesSync(t *testing.T) {
	t.Parallel()
	d, _, _ := startDemo(t, app.DemoOptions{})
	events, stop := d.App.Jobs().Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	tok := operatorToken(t, d)
	org := apiJSON(t, d, tok, "POST", "/api/v1/orgs", `{"name":"Contoso"}`, 201)
	orgID := int64(org["id"].(float64))
	for _, u := range []string{"alice@contoso.com", "bob@contoso.com"} {
		apiJSON(t, d, tok, "POST", apiPath("/api/v1/orgs/%d/users", orgID), `{"email":"`+u+`"}`, 201)
	}
	apiJSON(t, d, tok, "PUT", apiPath("/api/v1/orgs/%d/email-config", orgID),
		`{"access_type":"exchange_impersonation","account_logon":"svc-sync@contoso.com","password":"Svc-Pass-2026!","ews_url":"`+app.DemoEWSURL+`","auth_method":"ntlm","base_version":0}`, 200)
	st := d.App.Store()
	deadline := time.After(90 * time.Second)
	for {
		mbs, err := st.ListMailboxes(context.Background(), orgID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		var aliceItems int64
		for _, m := range mbs {
			got[m.Email] = m.Status + "/" + m.StatusCode
			if m.Email == "alice@contoso.com" {
				aliceItems = m.Items
			}
		}
		if got["alice@contoso.com"] == "ok/" && got["bob@contoso.com"] == "error/impersonation_denied" {
			if aliceItems == 0 {
				t.Fatal("alice is synced with no items")
			}
			return
		}
		select {
		case <-events:
		case <-deadline:
			t.Fatalf("sync after save: %v", got)
		}
	}
}
