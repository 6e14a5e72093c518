package exchangesim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// receiver is a subscriber's notification endpoint: it answers validation requests (when
// validate is set) and passes every notification batch on.
type receiver struct {
	*httptest.Server
	validate    atomic.Bool
	validations atomic.Int64
	got         chan map[string]any
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{got: make(chan map[string]any, 64)}
	rc.validate.Store(true)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			rc.validations.Add(1)
			if !rc.validate.Load() {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, tok)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("notification body: %v", err)
		}
		body["path"] = r.URL.Path
		rc.got <- body
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// next returns the next notification batch received.
func (rc *receiver) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case b := <-rc.got:
		return b
	case <-time.After(20 * time.Second):
		t.Fatal("no notification")
	}
	return nil
}

func TestGraphSubscriptions(t *testing.T) {
	t.Parallel()
	s, clock := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	rc := newReceiver(t)
	exp := clock.Now().Add(3 * 24 * time.Hour).Format(time.RFC3339)
	sub := func(resource string) map[string]any {
		return map[string]any{"changeType": "created,updated,deleted", "notificationUrl": rc.URL + "/notify",
			"lifecycleNotificationUrl": rc.URL + "/lifecycle", "resource": resource, "expirationDateTime": exp,
			"clientState": "s3cret"}
	}

	t.Run("refused", func(t *testing.T) {
		cases := []struct {
			name   string
			edit   func(map[string]any)
			status int
		}{
			{"too long", func(b map[string]any) {
				b["expirationDateTime"] = clock.Now().Add(10081 * time.Minute).Format(time.RFC3339)
			}, http.StatusBadRequest},
			{"in the past", func(b map[string]any) { b["expirationDateTime"] = clock.Now().Add(-time.Minute).Format(time.RFC3339) }, http.StatusBadRequest},
			{"not https", func(b map[string]any) { b["notificationUrl"] = "http://example.com/notify" }, http.StatusBadRequest},
			{"unknown resource", func(b map[string]any) { b["resource"] = "users/carol@contoso.com/drive/root" }, http.StatusBadRequest},
			{"bad change type", func(b map[string]any) { b["changeType"] = "renamed" }, http.StatusBadRequest},
			{"outside the app's scope", func(b map[string]any) { b["resource"] = "users/bob@contoso.com/events" }, http.StatusForbidden},
		}
		for _, c := range cases {
			b := sub("users/carol@contoso.com/mailFolders('inbox')/messages")
			c.edit(b)
			if status, _, body := g.do("POST", "/subscriptions", b); status != c.status {
				t.Errorf("%s: %d %v", c.name, status, body)
			}
		}
		// An endpoint that fails the validation handshake gets no subscription.
		rc.validate.Store(false)
		defer rc.validate.Store(true)
		before := rc.validations.Load()
		status, _, body := g.do("POST", "/subscriptions", sub("users/carol@contoso.com/messages"))
		if status != http.StatusBadRequest || !strings.Contains(graphMessage(body), "validation request failed") {
			t.Errorf("failed handshake: %d %v", status, body)
		}
		if rc.validations.Load() == before {
			t.Error("no validation request was sent")
		}
		if n := len(s.Sim.GraphSubscriptions()); n != 0 {
			t.Errorf("%d subscriptions after refusals", n)
		}
	})

	status, _, created := g.do("POST", "/subscriptions", sub("users/carol@contoso.com/mailFolders('inbox')/messages"))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	id, _ := created["id"].(string)
	if id == "" || created["clientState"] != "s3cret" {
		t.Fatalf("created: %v", created)
	}
	if rc.validations.Load() < 2 {
		t.Errorf("validations: %d, want the notification and the lifecycle endpoints", rc.validations.Load())
	}

	// A message delivered to carol is notified, with the subscription's clientState.
	msg := ews.Item{Subject: "Hello", ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: "carol@contoso.com"}}}}
	if _, err := s.Sim.World().Deliver(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	batch := rc.next(t)
	vals := values(batch)
	if len(vals) != 1 || batch["path"] != "/notify" {
		t.Fatalf("notification: %v", batch)
	}
	n := vals[0]
	if n["subscriptionId"] != id || n["clientState"] != "s3cret" || n["changeType"] != "created" ||
		!strings.Contains(n["resource"].(string), "/Messages/") || n["tenantId"] != exchangesim.ContosoTenantID {
		t.Errorf("notification: %v", n)
	}

	// Changing and deleting the item are notified too; moving it out of the Inbox is a
	// deletion for a subscription to the Inbox.
	mb, err := s.Sim.World().Mailbox(context.Background(), "carol@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	itemID := strings.NewReplacer("-", "/", "_", "+").Replace(n["resourceData"].(map[string]any)["id"].(string))
	if _, err := mb.SetRead(itemID, true); err != nil {
		t.Fatal(err)
	}
	if v := values(rc.next(t)); len(v) != 1 || v[0]["changeType"] != "updated" {
		t.Errorf("read flag: %v", v)
	}
	if err := mb.DeleteItem(itemID, exchangesim.MoveToDeletedItems); err != nil {
		t.Fatal(err)
	}
	if v := values(rc.next(t)); len(v) != 1 || v[0]["changeType"] != "deleted" {
		t.Errorf("moved to Deleted Items: %v", v)
	}

	// Renewal moves the expiry; beyond Graph's maximum it is refused.
	later := clock.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339)
	if status, _, body := g.do("PATCH", "/subscriptions/"+id, map[string]any{"expirationDateTime": later}); status != http.StatusOK ||
		!strings.HasPrefix(body["expirationDateTime"].(string), later[:19]) {
		t.Errorf("renew: %d %v", status, body)
	}
	if status, _, _ := g.do("PATCH", "/subscriptions/"+id, map[string]any{"expirationDateTime": clock.Now().Add(8 * 24 * time.Hour).Format(time.RFC3339)}); status != http.StatusBadRequest {
		t.Errorf("renew too far: %d", status)
	}

	// Lifecycle notifications go to the lifecycle endpoint.
	for _, ev := range []string{exchangesim.LifecycleReauthorizationRequired, exchangesim.LifecycleMissed} {
		if code, err := s.Sim.SendLifecycleNotification(context.Background(), id, ev); err != nil || code != http.StatusAccepted {
			t.Fatalf("%s: %d %v", ev, code, err)
		}
		b := rc.next(t)
		if v := values(b); len(v) != 1 || b["path"] != "/lifecycle" || v[0]["lifecycleEvent"] != ev || v[0]["subscriptionId"] != id {
			t.Errorf("%s: %v", ev, b)
		}
	}

	// A subscription expires: it is deleted and notifies nothing.
	clock.Advance(8 * 24 * time.Hour)
	g = newGraph(t, s) // the old token expired too
	if status, _, body := g.get("/subscriptions/" + id); status != http.StatusNotFound {
		t.Errorf("expired subscription: %d %v", status, body)
	}

	// Removal by Graph is announced, then the subscription is gone.
	exp = clock.Now().Add(time.Hour).Format(time.RFC3339)
	status, _, created = g.do("POST", "/subscriptions", sub("users/carol@contoso.com/events"))
	if status != http.StatusCreated {
		t.Fatalf("create events: %d %v", status, created)
	}
	id = created["id"].(string)
	if code, err := s.Sim.SendLifecycleNotification(context.Background(), id, exchangesim.LifecycleSubscriptionRemoved); err != nil || code != http.StatusAccepted {
		t.Fatalf("subscriptionRemoved: %d %v", code, err)
	}
	if v := values(rc.next(t)); len(v) != 1 || v[0]["lifecycleEvent"] != exchangesim.LifecycleSubscriptionRemoved {
		t.Errorf("subscriptionRemoved: %v", v)
	}
	if status, _, _ := g.do("DELETE", "/subscriptions/"+id, nil); status != http.StatusNotFound {
		t.Errorf("delete a removed subscription: %d", status)
	}
	status, _, created = g.do("POST", "/subscriptions", sub("users/carol@contoso.com/contacts"))
	if status != http.StatusCreated {
		t.Fatalf("create contacts: %d %v", status, created)
	}
	if status, _, _ := g.do("DELETE", "/subscriptions/"+created["id"].(string), nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if n := len(s.Sim.GraphSubscriptions()); n != 0 {
		t.Errorf("%d subscriptions left", n)
	}
}

func graphMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}
