package app_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/mailer"
	"github.com/mailbridge/mailbridge/internal/mailer/mailertest"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

// hookRequest is a delivery a receiver got, and what it answered.
type hookRequest struct {
	event, delivery string
	body            []byte
	verified        error
	status          int
}

// hookReceiver is a webhook endpoint on loopback: it verifies each delivery with the
// secret when it arrives, answers what answer says (by the request's number, from 0),
// and signals every request on arrived.
type hookReceiver struct {
	URL     string
	secret  string
	arrived chan struct{}
	mu      sync.Mutex
	reqs    []hookRequest
	answer  func(n int) int
}

func newHookReceiver(t *testing.T, answer func(n int) int) *hookReceiver {
	t.Helper()
	h := &hookReceiver{answer: answer, arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := h.answer(len(h.reqs))
		h.reqs = append(h.reqs, hookRequest{event: r.Header.Get(webhook.HeaderEvent), delivery: r.Header.Get(webhook.HeaderDelivery), body: body,
			verified: webhook.Verify(r.Header.Get(webhook.HeaderSignature), body, h.secret, time.Now(), 0), status: status})
		h.mu.Unlock()
		w.WriteHeader(status)
		select {
		case h.arrived <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *hookReceiver) setSecret(s string) {
	h.mu.Lock()
	h.secret = s
	h.mu.Unlock()
}

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

// data returns the accepted deliveries of an event type, in order, as their data.
func (h *hookReceiver) data(t *testing.T, event string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range h.requests() {
		if r.verified != nil {
			t.Fatalf("delivery %s does not verify: %v", r.delivery, r.verified)
		}
		if r.event != event || r.status/100 != 2 {
			continue
		}
		var env struct {
			ID   string         `json:"id"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil || env.ID != r.delivery {
			t.Fatalf("delivery %s: %s %v", r.delivery, r.body, err)
		}
		out = append(out, env.Data)
	}
	return out
}

// waiter waits for conditions, woken by River's job events and by the signals given,
// until a deadline.
type waiter struct {
	events  <-chan *river.Event
	signals []<-chan struct{}
}

func newWaiter(t *testing.T, d *app.Demo, signals ...<-chan struct{}) *waiter {
	t.Helper()
	events, stop := d.App.Jobs().Subscribe(river.EventKindJobCompleted, river.EventKindJobSnoozed, river.EventKindJobFailed)
	t.Cleanup(stop)
	return &waiter{events: events, signals: signals}
}

func (w *waiter) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	// Some conditions change without a job event or a signal (a periodic job inserted);
	// the ticker looks again now and then.
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var sig1, sig2 <-chan struct{}
	if len(w.signals) > 0 {
		sig1 = w.signals[0]
	}
	if len(w.signals) > 1 {
		sig2 = w.signals[1]
	}
	for !cond() {
		select {
		case <-w.events:
		case <-sig1:
		case <-sig2:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// jobRuns counts the completed runs of a kind of job, from River's events.
type jobRuns struct {
	mu sync.Mutex
	n  map[string]int
}

func countRuns(t *testing.T, d *app.Demo) *jobRuns {
	t.Helper()
	events, stop := d.App.Jobs().Subscribe(river.EventKindJobCompleted)
	r := &jobRuns{n: map[string]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			r.mu.Lock()
			r.n[ev.Job.Kind]++
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})
	return r
}

func (r *jobRuns) get(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[kind]
}

// notifyDemo starts the product (on the database dsn names; default SQLite) with short
// notification intervals and back-off, and creates an organization with the given
// users.
func notifyDemo(t *testing.T, dsn string, smtp *mailertest.Server, users ...string) (*app.Demo, control.Principal, int64) {
	t.Helper()
	d, _, _ := startDemo(t, app.DemoOptions{Configure: func(c *app.Config) {
		if dsn != "" {
			c.Database = dsn
		}
		c.Notify.WebhookInterval = 100 * time.Millisecond
		c.Notify.AlertInterval = 200 * time.Millisecond
		c.Notify.WebhookBackoff = func(int) time.Duration { return 50 * time.Millisecond }
		if smtp != nil {
			c.Notify.SMTP = mailer.Config{Addr: smtp.Addr, From: "alerts@mailbridge.test", HelloName: "mailbridge.test"}
		}
	}})
	op := demoOperator(t, d)
	svc := d.App.Service()
	o, err := svc.CreateOrganization(context.Background(), op, "Contoso")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := svc.AddUser(context.Background(), op, o.ID, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	return d, op, o.ID
}

func contosoConfig(password string, base int64) control.EmailConfigInput {
	return control.EmailConfigInput{AccessType: control.AccessExchangeImpersonation, AccountLogon: "svc-sync@contoso.com",
		Password: password, EWSURL: app.DemoEWSURL, AuthMethod: "ntlm", BaseVersion: base}
}

// Through the running product, with no direct call: a webhook subscribed before the
// first sync receives the synced items as batches of changes from the periodic dispatch
// and its delivery job; its receiver answers 500 twice first, and the job retries (it
// snoozes through the back-off) with the same delivery id, as its delivery log shows;
// the receiver ends with exactly the store's content.
func TestWebhooksThroughJobs(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{{"sqlite", func(*testing.T) string { return "" }}, {"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			testWebhooksThroughJobs(t, db.dsn(t))
		})
	}
}

func testWebhooksThroughJobs(t *testing.T, dsn string) {
	ctx := context.Background()
	d, op, org := notifyDemo(t, dsn, nil, "alice@contoso.com")
	svc, st := d.App.Service(), d.App.Store()
	rcv := newHookReceiver(t, func(n int) int {
		if n < 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	hook, err := svc.CreateWebhook(ctx, op, org, control.WebhookInput{URL: rcv.URL, Events: []string{"changes"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.setSecret(hook.Secret)
	w := newWaiter(t, d, rcv.arrived)
	if _, err := svc.SaveEmailConfig(ctx, op, org, contosoConfig(exchangesim.DefaultServicePassword, 0)); err != nil {
		t.Fatal(err)
	}
	users, err := st.ListUsers(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	alice := users[0].ID
	// replica applies the accepted batches in order.
	replica := func() (map[string]string, int) {
		items, n := map[string]string{}, 0
		for _, d := range rcv.data(t, "changes") {
			for _, c := range d["changes"].([]any) {
				c := c.(map[string]any)
				n++
				switch item, _ := c["item"].(map[string]any); {
				case c["op"] == "delete":
					delete(items, c["item_id"].(string))
				case item != nil:
					items[c["item_id"].(string)] = item["change_key"].(string)
				}
			}
		}
		return items, n
	}
	stored := func() map[string]string {
		list, err := st.ListItems(ctx, org, alice)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, it := range list {
			out[it.ItemID] = it.ChangeKey
		}
		return out
	}
	synced := func() bool {
		mb, err := st.GetMailbox(ctx, org, alice)
		return err == nil && mb.Status == "ok"
	}
	// done tells whether every change was delivered (and the delivery recorded, which
	// follows the receiver's answer).
	done := func() bool {
		w, err := st.GetWebhook(ctx, org, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		return w.Pending == 0 && w.ChangeCursor > 0
	}
	w.until(t, "alice synced and her items delivered", func() bool {
		got, _ := replica()
		return synced() && done() && len(got) > 0 && maps.Equal(got, stored())
	})
	if got, n := replica(); n != len(got) {
		t.Fatalf("%d changes delivered for %d items: some twice", n, len(got))
	}

	log, err := svc.WebhookAttempts(ctx, op, org, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(log) // oldest first
	if len(log) < 3 {
		t.Fatalf("%d attempts", len(log))
	}
	first := log[0].DeliveryUID
	for i, want := range []int{500, 500, 204} {
		a := log[i]
		if a.DeliveryUID != first || a.Attempt != i+1 || a.StatusCode != want || (want == 500) != (a.NextRetryAt != nil) {
			t.Fatalf("attempt %d: %+v", i+1, a)
		}
	}
	if reqs := rcv.requests(); reqs[0].delivery != first || reqs[1].delivery != first || reqs[2].delivery != first {
		t.Fatalf("requests %q %q %q", reqs[0].delivery, reqs[1].delivery, reqs[2].delivery)
	}
}

// Through the running product: the service account's password was changed in
// Exchange, so the first sync is refused; the alert job emails both admins once and a
// status subscriber hears of the incident; later evaluations send nothing more. Saving
// the new password lets the mailboxes sync, and one recovery notice follows.
func TestAlertsThroughJobs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	smtp := mailertest.Start(t, mailertest.Options{})
	d, op, org := notifyDemo(t, "", smtp, "alice@contoso.com", "carol@contoso.com")
	svc, st := d.App.Service(), d.App.Store()
	for _, a := range []string{"ann@crm.example", "ben@crm.example"} {
		if _, err := svc.CreateOrgAdmin(ctx, op, org, control.NewAdmin{Email: a, Password: "Admin-Pass-2026!"}); err != nil {
			t.Fatal(err)
		}
	}
	rcv := newHookReceiver(t, func(int) int { return http.StatusNoContent })
	hook, err := svc.CreateWebhook(ctx, op, org, control.WebhookInput{URL: rcv.URL, Events: []string{"status"}})
	if err != nil {
		t.Fatal(err)
	}
	rcv.setSecret(hook.Secret)
	runs := countRuns(t, d)
	w := newWaiter(t, d, rcv.arrived, smtp.Arrived())
	const changed = "Changed-on-Exchange-1!"
	if err := d.World.SetPassword("svc-sync@contoso.com", changed); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SaveEmailConfig(ctx, op, org, contosoConfig(exchangesim.DefaultServicePassword, 0)); err != nil {
		t.Fatal(err)
	}
	incidentEvents := func() []string {
		var out []string
		for _, d := range rcv.data(t, "status") {
			if inc, ok := d["incident"].(map[string]any); ok {
				out = append(out, d["type"].(string)+" "+inc["kind"].(string))
			}
		}
		return out
	}
	w.until(t, "the alert and its status event", func() bool {
		return len(smtp.Messages()) == 1 && slices.Contains(incidentEvents(), "incident.opened auth_failed")
	})
	m := smtp.Messages()[0]
	msg := m.Parsed(t)
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if to := slices.Sorted(slices.Values(m.To)); !slices.Equal(to, []string{"ann@crm.example", "ben@crm.example"}) ||
		subject != "[mailbridge] Contoso: Exchange refused the service account's credentials" {
		t.Fatalf("alert to %v: %q", m.To, subject)
	}
	if strings.Contains(m.Data, changed) || strings.Contains(m.Data, exchangesim.DefaultServicePassword) {
		t.Fatal("a password in the alert")
	}
	// Three more evaluations: nothing more sent.
	seen := runs.get("alerts_evaluate_org")
	w.until(t, "three more evaluations", func() bool { return runs.get("alerts_evaluate_org") >= seen+3 })
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d emails", n)
	}

	cur, err := st.GetEmailConfig(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SaveEmailConfig(ctx, op, org, contosoConfig(changed, cur.Version)); err != nil {
		t.Fatal(err)
	}
	w.until(t, "the recovery notice", func() bool { return len(smtp.Messages()) == 2 })
	subject, _ = new(mime.WordDecoder).DecodeHeader(smtp.Messages()[1].Parsed(t).Header.Get("Subject"))
	if subject != "[mailbridge] Resolved: Contoso: Exchange refused the service account's credentials" {
		t.Fatalf("recovery notice %q", subject)
	}
	mbs, err := st.ListMailboxes(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, mb := range mbs {
		if mb.State != "active" || mb.LastSuccessAt == nil {
			t.Fatalf("mailbox %s: %s/%s, last success %v", mb.Email, mb.State, mb.Status, mb.LastSuccessAt)
		}
	}
	w.until(t, "the incident's resolution delivered", func() bool {
		return slices.Equal(incidentEvents(), []string{"incident.opened auth_failed", "incident.resolved auth_failed"})
	})
	seen = runs.get("alerts_evaluate_org")
	w.until(t, "three more evaluations", func() bool { return runs.get("alerts_evaluate_org") >= seen+3 })
	if n := len(smtp.Messages()); n != 2 {
		t.Fatalf("%d emails", n)
	}
	var incs []store.Incident
	if incs, err = st.ListIncidents(ctx, org, 10); err != nil || len(incs) != 1 || incs[0].ResolvedAt == nil {
		t.Fatalf("incidents %+v %v", incs, err)
	}
}
