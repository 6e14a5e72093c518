package app_test

import (
	"context"
	"strings"
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
			// The step's outcome reaches the metrics when its job returns, just after the
			// status is stored.
			for wait := time.Now().Add(10 * time.Second); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
				if _, body := get(t, d.URL+"/metrics"); strings.Contains(body, `mailbridge_sync_steps_total{outcome="ok"}`) {
					break
				}
			}
			checkMetrics(t, d)
			return
		}
		select {
		case <-events:
		case <-deadline:
			t.Fatalf("sync after save: %v", got)
		}
	}
}

// checkMetrics reads /metrics after a sync: the EWS requests, the items stored and the
// mailboxes by status are there, and nothing names an organization or a person.
func checkMetrics(t *testing.T, d *app.Demo) {
	t.Helper()
	code, body := get(t, d.URL+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{
		`mailbridge_ews_requests_total{operation="SyncFolderItems",result="NoError"}`,
		`mailbridge_ews_requests_total{operation="GetFolder",result="ErrorImpersonateUserDenied"}`,
		`mailbridge_sync_items_total{change="created"}`,
		`mailbridge_sync_steps_total{outcome="ok"}`,
		`mailbridge_mailboxes{state="active",status="ok"} 1`,
		`mailbridge_mailboxes{state="active",status="error"} 1`,
		`mailbridge_ews_request_duration_seconds_bucket{operation="GetItem"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, secret := range []string{"contoso", "alice", "Contoso"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics names %q", secret)
		}
	}
}
