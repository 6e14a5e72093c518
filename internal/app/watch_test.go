package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/store"
)

// A message delivered to a synced mailbox is stored within moments, through the
// streaming notification that wakes the mailbox's job, not at the next poll (an hour
// away here).
func TestStreamingNotificationSyncs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _, _ := startDemo(t, app.DemoOptions{PollInterval: time.Hour})
	events, stop := d.App.Jobs().Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	tok := operatorToken(t, d)
	org := apiJSON(t, d, tok, "POST", "/api/v1/orgs", `{"name":"Contoso"}`, 201)
	orgID := int64(org["id"].(float64))
	u := apiJSON(t, d, tok, "POST", apiPath("/api/v1/orgs/%d/users", orgID), `{"email":"alice@contoso.com"}`, 201)
	alice := int64(u["id"].(float64))
	apiJSON(t, d, tok, "PUT", apiPath("/api/v1/orgs/%d/email-config", orgID),
		`{"access_type":"exchange_impersonation","account_logon":"svc-sync@contoso.com","password":"Svc-Pass-2026!","ews_url":"`+app.DemoEWSURL+`","auth_method":"ntlm","base_version":0}`, 200)

	st := d.App.Store()
	deadline := time.After(90 * time.Second)
	// waitJobs waits, one job event at a time, until cond holds.
	waitJobs := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-events:
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitJobs("alice's initial sync", func() bool {
		mb, err := st.GetMailbox(ctx, orgID, alice)
		return err == nil && mb.Status == "ok"
	})
	w := d.App.Watcher()
	if w == nil {
		t.Fatal("no watcher running")
	}
	for {
		updated := w.Updated()
		if slices.Contains(w.Streaming(orgID), alice) {
			break
		}
		select {
		case <-updated:
		case <-deadline:
			t.Fatalf("alice is not streaming: %+v", w.Stats())
		}
	}

	deliver(t, d, `{"from":"bob@contoso.com","to":["alice@contoso.com"],"subject":"Pushed, not polled"}`)
	waitJobs("the delivered message stored", func() bool {
		items, err := st.ListItems(ctx, orgID, alice)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(items, func(it store.StoredItem) bool { return it.Subject == "Pushed, not polled" })
	})
	if s := w.Stats(); s.Changes == 0 {
		t.Fatalf("stored without a notification? %+v", s)
	}
}

// deliver delivers a message through the simulator's admin API.
func deliver(t *testing.T, d *app.Demo, body string) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(d.Sim.CAPEM())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second}
	resp, err := c.Post(d.Sim.Info().AdminURL+"/deliver", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deliver: HTTP %d", resp.StatusCode)
	}
}
