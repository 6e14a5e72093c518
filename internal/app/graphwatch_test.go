package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/store"
)

// simAdmin calls the simulator's admin API and decodes its JSON answer into out.
func simAdmin(t *testing.T, d *app.Demo, method, path, body string, out any) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(d.Sim.CAPEM())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 30 * time.Second}
	req, err := http.NewRequest(method, d.Sim.Info().AdminURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}

// postNotification POSTs a body to the product's Graph notification endpoint.
func postNotification(t *testing.T, d *app.Demo, pathQuery, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(d.URL+pathQuery, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A Microsoft 365 organization's mailbox is subscribed to Graph change notifications: a
// message delivered at the simulator is stored through the notification, not at the next
// poll (an hour away); a forged clientState is refused; subscriptions are renewed before
// they expire, created again when Graph removes them, and a "missed" notification syncs
// the mailbox.
func TestGraphChangeNotifications(t *testing.T) {
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
		`{"access_type":"microsoft365_app","tenant":"contoso.com","client_id":"`+exchangesim.ContosoAppClientID+
			`","client_secret":"`+exchangesim.ContosoAppSecret+`","base_version":0}`, 200)

	st := d.App.Store()
	gw := d.App.GraphWatcher()
	deadline := time.After(90 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	// waitFor waits, on job events and a short tick, until cond holds.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-events:
			case <-tick.C:
			case <-deadline:
				t.Fatalf("timed out waiting for %s (endpoint: %+v)", what, gw.Stats())
			}
		}
	}
	// asleep waits until alice's sync job sleeps until the next poll, as River stored it:
	// a wake is meant for a sleeping job (one that still runs is asked to run again, and
	// the tests below want a sync caused by the notification alone).
	asleep := func(what string) {
		t.Helper()
		waitFor(what, func() bool {
			mb, err := st.GetMailbox(ctx, orgID, alice)
			if err != nil || mb.Status != "ok" {
				return false
			}
			var state string
			err = st.DB().QueryRowContext(ctx, `SELECT state FROM river_job WHERE kind = 'sync_mailbox' ORDER BY id DESC LIMIT 1`).Scan(&state)
			return err == nil && state == "scheduled"
		})
	}
	asleep("alice's initial sync")
	subs := func() []store.GraphSubscription {
		t.Helper()
		list, err := st.ListGraphSubscriptions(ctx, orgID)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	// reconcile runs the upkeep now (when another run holds the lease, it is doing it).
	reconcile := func() {
		t.Helper()
		if err := gw.Reconcile(ctx, orgID); err != nil {
			t.Fatal(err)
		}
	}
	var simSubs []exchangesim.GraphSubscription
	waitFor("alice's subscriptions", func() bool {
		reconcile()
		simAdmin(t, d, "GET", "/graph/subscriptions", "", &simSubs)
		return len(subs()) > 0 && len(simSubs) == len(subs())
	})
	for _, s := range subs() {
		if s.UserID != alice || !strings.HasPrefix(s.Resource, "users/alice@contoso.com/") {
			t.Fatalf("subscription %+v", s)
		}
	}
	if gw.Stats().Validations == 0 {
		t.Fatal("subscribed without a validation handshake")
	}

	// A message delivered at the simulator is stored through its notification.
	deliver(t, d, `{"from":"bob@contoso.com","to":["alice@contoso.com"],"subject":"Notified by Graph"}`)
	waitFor("the delivered message stored", func() bool {
		items, err := st.ListItems(ctx, orgID, alice)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(items, func(it store.StoredItem) bool { return it.Subject == "Notified by Graph" })
	})
	if gw.Stats().Accepted == 0 {
		t.Fatalf("stored without a notification? %+v", gw.Stats())
	}

	// The validation handshake echoes the token as plain text.
	resp, err := http.Post(d.URL+"/graph/notifications?validationToken="+url.QueryEscape("Validation: <b>x</b> & y"), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Validation: <b>x</b> & y" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("handshake: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	// A forged clientState (or an unknown subscription) is refused and wakes nothing.
	sub := subs()[0]
	refused := gw.Stats().Refused
	for _, forged := range []string{
		`{"value":[{"subscriptionId":"` + sub.ID + `","clientState":"guessed","changeType":"created","resource":"x"}]}`,
		`{"value":[{"subscriptionId":"no-such-subscription","clientState":"guessed","changeType":"created"}]}`,
	} {
		if code, body := postNotification(t, d, "/graph/notifications", forged); code != http.StatusForbidden {
			t.Errorf("forged notification: %d %s", code, body)
		}
	}
	if code, _ := postNotification(t, d, "/graph/notifications", `not json`); code != http.StatusBadRequest {
		t.Errorf("garbage: %d", code)
	}
	if got := gw.Stats().Refused; got != refused+2 {
		t.Errorf("refused %d, want %d", got, refused+2)
	}

	// A subscription due for renewal is renewed, at Graph and in the store.
	due := time.Now().Add(time.Minute).UTC()
	if err := st.RenewGraphSubscription(ctx, orgID, sub.ID, due); err != nil {
		t.Fatal(err)
	}
	waitFor("the renewal", func() bool {
		reconcile()
		s, err := st.GetGraphSubscription(ctx, sub.ID)
		return err == nil && s.ExpiresAt.After(due.Add(time.Hour))
	})
	renewed, _ := st.GetGraphSubscription(ctx, sub.ID)
	simAdmin(t, d, "GET", "/graph/subscriptions", "", &simSubs)
	if i := slices.IndexFunc(simSubs, func(s exchangesim.GraphSubscription) bool { return s.ID == sub.ID }); i < 0 ||
		!simSubs[i].ExpirationDateTime.Equal(renewed.ExpiresAt) {
		t.Fatalf("renewed %v at Graph: %+v", renewed.ExpiresAt, simSubs)
	}

	// Graph removes a subscription: it is created again.
	simAdmin(t, d, "POST", "/graph/subscriptions/"+sub.ID+"/lifecycle", `{"event":"subscriptionRemoved"}`, nil)
	waitFor("the subscription created again", func() bool {
		for _, s := range subs() {
			if s.Resource == sub.Resource && s.ID != sub.ID {
				return true
			}
		}
		return false
	})

	// Missed notifications: the mailbox is synced at once.
	asleep("alice's job asleep")
	before, err := st.GetMailbox(ctx, orgID, alice)
	if err != nil {
		t.Fatal(err)
	}
	lifecycle := gw.Stats().Lifecycle
	simAdmin(t, d, "POST", "/graph/subscriptions/"+subs()[0].ID+"/lifecycle", `{"event":"missed"}`, nil)
	if gw.Stats().Lifecycle != lifecycle+1 {
		t.Fatalf("lifecycle notification not counted: %+v", gw.Stats())
	}
	waitFor("a sync after the missed notification", func() bool {
		mb, err := st.GetMailbox(ctx, orgID, alice)
		return err == nil && mb.LastAttemptAt != nil && before.LastAttemptAt != nil && mb.LastAttemptAt.After(*before.LastAttemptAt)
	})

	// A leaver's subscriptions are deleted at Graph.
	apiJSON(t, d, tok, "DELETE", apiPath("/api/v1/orgs/%d/users/", orgID)+itoa(alice), "", 204)
	waitFor("the leaver's subscriptions deleted", func() bool {
		reconcile()
		simAdmin(t, d, "GET", "/graph/subscriptions", "", &simSubs)
		return len(simSubs) == 0 && len(subs()) == 0
	})
}
