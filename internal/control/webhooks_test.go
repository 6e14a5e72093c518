package control_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

// testClock is a settable clock for a Service: back-offs and secret overlaps pass when
// a test moves it, not by waiting.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

// newTestClock starts at now, to the microsecond the store keeps.
func newTestClock() *testClock { return &testClock{now: time.Now().UTC().Truncate(time.Microsecond)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// received is a request a receiver got, when by its clock, and what it answered.
type received struct {
	Event, Delivery, Signature string
	Body                       []byte
	At                         time.Time
	Status                     int
}

// envelope is a delivery's body as a receiver reads it.
type envelope struct {
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	OrgID     int64           `json:"org_id"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

func (r received) envelope(t *testing.T) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("delivery body %s: %v", r.Body, err)
	}
	return e
}

// receiver is a webhook endpoint on loopback that records what it gets, and when by
// the test's clock, and answers what answer says (by the request's number, from 0).
type receiver struct {
	URL    string
	clock  func() time.Time
	mu     sync.Mutex
	reqs   []received
	answer func(n int) int
}

func newReceiver(t *testing.T, clock func() time.Time, answer func(n int) int) *receiver {
	t.Helper()
	r := &receiver{answer: answer, clock: clock}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		status := r.answer(len(r.reqs))
		r.reqs = append(r.reqs, received{Event: req.Header.Get(webhook.HeaderEvent), Delivery: req.Header.Get(webhook.HeaderDelivery),
			Signature: req.Header.Get(webhook.HeaderSignature), Body: body, At: r.clock(), Status: status})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

func (r *receiver) setAnswer(answer func(n int) int) {
	r.mu.Lock()
	r.answer = answer
	r.mu.Unlock()
}

func always(status int) func(int) int { return func(int) int { return status } }

// drain makes delivery attempts until nothing is delivered, and returns how many were.
func drain(t *testing.T, n *control.Notifier, id int64) int {
	t.Helper()
	for i := 0; ; i++ {
		delivered, retry, err := n.DeliverWebhook(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if retry != 0 {
			t.Fatalf("a delivery failed: retry in %s", retry)
		}
		if !delivered {
			return i
		}
		if i > 1000 {
			t.Fatal("deliveries do not end")
		}
	}
}

// feedChange is a change feed entry in the JSON of the change feed API (api.changeJSON
// and api.itemJSON): deliveries must carry the same.
type feedChange struct {
	ID     string    `json:"id"`
	Seq    int64     `json:"seq"`
	Op     string    `json:"op"`
	Kind   string    `json:"kind"`
	UserID int64     `json:"user_id"`
	ItemID string    `json:"item_id"`
	At     time.Time `json:"at"`
	Item   *feedItem `json:"item"`
}

type feedItem struct {
	ID        string    `json:"id"`
	ChangeKey string    `json:"change_key"`
	UserID    int64     `json:"user_id"`
	FolderID  string    `json:"folder_id"`
	IsRead    bool      `json:"is_read"`
	UpdatedAt time.Time `json:"updated_at"`
	syncer.Record
}

// apiFeed reads the organization's whole change feed as the API serves it, each entry
// as generic JSON, by sequence number.
func apiFeed(t *testing.T, svc *control.Service, org int64) map[int64]map[string]any {
	t.Helper()
	out := map[int64]map[string]any{}
	cur := ""
	for {
		page, err := svc.Changes(ctx, controltest.Admin(org), org, cur, control.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Changes {
			fc := feedChange{ID: c.ID, Seq: c.Seq, Op: c.Op, Kind: c.Kind, UserID: c.UserID, ItemID: c.ItemID, At: c.At.UTC()}
			if v := c.Item; v != nil {
				fc.Item = &feedItem{ID: v.ItemID, ChangeKey: v.ChangeKey, UserID: v.UserID, FolderID: v.FolderID, IsRead: v.IsRead,
					UpdatedAt: v.UpdatedAt.UTC(), Record: v.Record}
			}
			b, err := json.Marshal(fc)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			out[c.Seq] = m
		}
		cur = page.Next
		if !page.HasMore {
			return out
		}
	}
}

// changesData is the data of a "changes" delivery.
type changesData struct {
	Changes    []map[string]any `json:"changes"`
	LastSeq    int64            `json:"last_seq"`
	NextCursor string           `json:"next_cursor"`
}

// replica is what a receiver builds from the "changes" deliveries it accepted, applied
// in order: the items by user and id, as their change keys.
type replica struct {
	items   map[string]string
	seqs    []int64
	batches []changesData
}

func newReplica() *replica { return &replica{items: map[string]string{}} }

func (r *replica) apply(t *testing.T, d changesData) {
	t.Helper()
	r.batches = append(r.batches, d)
	for _, c := range d.Changes {
		seq := int64(c["seq"].(float64))
		if n := len(r.seqs); n > 0 && seq <= r.seqs[n-1] {
			t.Fatalf("change %d after %d", seq, r.seqs[n-1])
		}
		r.seqs = append(r.seqs, seq)
		key := jsonKey(c["user_id"], c["item_id"])
		switch item, _ := c["item"].(map[string]any); {
		case c["op"] == "delete":
			delete(r.items, key)
		case item != nil:
			r.items[key] = item["change_key"].(string)
		}
	}
}

func jsonKey(user, item any) string {
	b, _ := json.Marshal([]any{user, item})
	return string(b)
}

// storeItems returns the organization's stored items as a replica holds them.
func storeItems(t *testing.T, e *controltest.Env, org int64) map[string]string {
	t.Helper()
	users, err := e.Store.ListUsers(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, u := range users {
		items, err := e.Store.ListItems(ctx, org, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			out[jsonKey(float64(u.ID), it.ItemID)] = it.ChangeKey
		}
	}
	return out
}

// acceptChanges verifies the "changes" deliveries a receiver accepted (2xx), from
// request from on, and applies them to rep. Every request must verify with secret when
// it came; with feed (the change feed API's entries read since), every entry must be
// the API's.
func acceptChanges(t *testing.T, rcv *receiver, from int, secret string, org int64, rep *replica, feed map[int64]map[string]any) {
	t.Helper()
	for _, r := range rcv.requests()[from:] {
		if err := webhook.Verify(r.Signature, r.Body, secret, r.At, 0); err != nil {
			t.Fatalf("delivery %s: %v", r.Delivery, err)
		}
		env := r.envelope(t)
		if r.Event != store.EventChanges || env.Event != r.Event || env.ID != r.Delivery || !strings.HasPrefix(r.Delivery, "dlv_") || env.OrgID != org {
			t.Fatalf("delivery headers %q %q, envelope %+v", r.Event, r.Delivery, env)
		}
		if r.Status/100 != 2 {
			continue
		}
		var d changesData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Changes {
			if want := feed[int64(c["seq"].(float64))]; feed != nil && !reflect.DeepEqual(c, want) {
				t.Fatalf("delivered:\n %v\nthe change feed API:\n %v", c, want)
			}
		}
		rep.apply(t, d)
	}
}

// A subscription to changes, created before the first sync: after syncs with changes
// in Exchange (new, edited, flagged and deleted items), its deliveries, verified and
// applied in order, give exactly the store's content; every entry is the change feed
// API's JSON, each once; each batch's next_cursor reads the feed on where the next
// batch starts. On SQLite and PostgreSQL.
func TestWebhookDeliversChanges(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, dsn string) {
		e := controltest.New(t, controltest.Options{DSN: dsn})
		clk := newTestClock()
		svc := e.WithClock(t, clk.Now)
		org := e.Org(t, "Contoso", "alice@contoso.com", "carol@contoso.com")
		if _, err := svc.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
			t.Fatal(err)
		}
		rcv := newReceiver(t, clk.Now, always(http.StatusNoContent))
		hook, err := svc.CreateWebhook(ctx, controltest.Admin(org), org, control.WebhookInput{URL: rcv.URL + "/hook?token=crm", Description: "CRM",
			Events: []string{"changes"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hook.Secret, webhook.SecretPrefix) || strings.Contains(string(hook.SecretSealed), hook.Secret) {
			t.Fatalf("secret %q, sealed %q", hook.Secret, hook.SecretSealed)
		}
		n := svc.NewNotifier(control.NotifierConfig{BatchSize: 17})
		defer n.Close()

		alice, carol := userID(t, e, org, "alice@contoso.com"), userID(t, e, org, "carol@contoso.com")
		e.SyncMailbox(t, org, alice, 0)
		e.SyncMailbox(t, org, carol, 0)
		if due, err := n.DueWebhooks(ctx); err != nil || !slices.Contains(due, hook.ID) {
			t.Fatalf("due %v %v", due, err)
		}
		rep := newReplica()
		entries := len(apiFeed(t, svc, org))
		if got := drain(t, n, hook.ID); got != (entries+16)/17 {
			t.Fatalf("%d deliveries of %d changes in batches of 17", got, entries)
		}
		acceptChanges(t, rcv, 0, hook.Secret, org, rep, apiFeed(t, svc, org))
		if want := storeItems(t, e, org); len(want) < 100 || !reflect.DeepEqual(rep.items, want) {
			t.Fatalf("the replica has %d items, the store %d", len(rep.items), len(want))
		}

		// Changes in Exchange, then syncs.
		mb, err := e.World.Mailbox(ctx, "alice@contoso.com")
		if err != nil {
			t.Fatal(err)
		}
		items, err := e.Store.ListItems(ctx, org, alice)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []store.StoredItem
		for _, it := range items {
			if it.Kind == "message" {
				msgs = append(msgs, it)
			}
		}
		if _, err := mb.CreateItem(exchangesim.FolderByName("inbox"), ews.Item{Subject: "New deal",
			From: &ews.SingleRecipient{Mailbox: ews.EmailAddress{Name: "Bob Brown", EmailAddress: "bob@contoso.com"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := mb.UpdateItem(ews.ItemId{Id: msgs[0].ItemID}, func(it *ews.Item) error { it.Subject = "Edited subject"; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := mb.SetRead(msgs[1].ItemID, !msgs[1].IsRead); err != nil {
			t.Fatal(err)
		}
		if err := mb.DeleteItem(msgs[2].ItemID, exchangesim.HardDelete); err != nil {
			t.Fatal(err)
		}
		if _, err := e.World.Deliver(ctx, ews.Item{Subject: "To both", ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{
			{EmailAddress: "alice@contoso.com"}, {EmailAddress: "carol@contoso.com"}}}}); err != nil {
			t.Fatal(err)
		}
		before := len(rcv.requests())
		if st := e.SyncMailbox(t, org, alice, 0); st.Created != 2 || st.Updated != 2 || st.Deleted != 1 {
			t.Fatalf("second sync of alice: %+v", st)
		}
		if st := e.SyncMailbox(t, org, carol, 0); st.Created != 1 {
			t.Fatalf("second sync of carol: %+v", st)
		}
		if got := drain(t, n, hook.ID); got != 1 {
			t.Fatalf("%d deliveries of 6 changes", got)
		}
		acceptChanges(t, rcv, before, hook.Secret, org, rep, apiFeed(t, svc, org))
		if want := storeItems(t, e, org); !reflect.DeepEqual(rep.items, want) {
			t.Fatalf("after the changes, the replica has %d items, the store %d", len(rep.items), len(want))
		}

		// Each entry once.
		if feed := apiFeed(t, svc, org); len(rep.seqs) != len(feed) {
			t.Fatalf("%d entries delivered, %d in the feed", len(rep.seqs), len(feed))
		}
		// Each batch's cursor reads the feed on at the next batch's first entry.
		for i, b := range rep.batches {
			if last := b.Changes[len(b.Changes)-1]["seq"].(float64); b.LastSeq != int64(last) {
				t.Fatalf("batch %d: last_seq %d, last entry %v", i, b.LastSeq, last)
			}
			page, err := svc.Changes(ctx, controltest.Admin(org), org, b.NextCursor, 1)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case i+1 < len(rep.batches) && (len(page.Changes) != 1 || float64(page.Changes[0].Seq) != rep.batches[i+1].Changes[0]["seq"]):
				t.Fatalf("batch %d's cursor reads on at %+v", i, page.Changes)
			case i+1 == len(rep.batches) && len(page.Changes) != 0:
				t.Fatalf("the last batch's cursor reads on at %+v", page.Changes)
			}
		}
		if due, err := n.DueWebhooks(ctx); err != nil || slices.Contains(due, hook.ID) {
			t.Fatalf("due after delivering everything: %v %v", due, err)
		}
	})
}

// notifyOrg is an organization whose alice and carol sync through svc-sync, with the
// store and the Service on a test clock.
func notifyOrg(t *testing.T, dsn string) (*controltest.Env, *control.Service, *testClock, int64) {
	t.Helper()
	clk := newTestClock()
	e := controltest.New(t, controltest.Options{DSN: dsn, Now: clk.Now})
	org := e.Org(t, "Contoso", "alice@contoso.com", "carol@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	return e, e.Service, clk, org
}

// A receiver that answers 500 twice, then 204: each attempt carries the same delivery
// id and body, waits out its back-off on the Service's clock, and is in the delivery log
// with its status and next retry; the receiver ends with every change, once.
func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, dsn string) {
		e, svc, clk, org := notifyOrg(t, dsn)
		rcv := newReceiver(t, clk.Now, func(n int) int {
			if n < 2 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		})
		hook, err := svc.CreateWebhook(ctx, controltest.Admin(org), org, control.WebhookInput{URL: rcv.URL, Events: []string{"changes"}})
		if err != nil {
			t.Fatal(err)
		}
		n := svc.NewNotifier(control.NotifierConfig{Backoff: func(a int) time.Duration { return time.Duration(a) * time.Minute }})
		defer n.Close()
		e.SyncItems(t, userID(t, e, org, "alice@contoso.com"), 5)

		deliver := func(wantDelivered bool, wantRetry time.Duration, wantRequests int) {
			t.Helper()
			delivered, retry, err := n.DeliverWebhook(ctx, hook.ID)
			if err != nil || delivered != wantDelivered || retry != wantRetry || len(rcv.requests()) != wantRequests {
				t.Fatalf("delivered %v, retry in %s, %d requests, %v; want %v, %s, %d", delivered, retry, len(rcv.requests()), err,
					wantDelivered, wantRetry, wantRequests)
			}
		}
		start := clk.Now()
		deliver(false, time.Minute, 1)
		deliver(false, time.Minute, 1) // its back-off is not over: no attempt
		clk.Add(40 * time.Second)
		deliver(false, 20*time.Second, 1)
		clk.Add(20 * time.Second)
		deliver(false, 2*time.Minute, 2)
		clk.Add(2 * time.Minute)
		deliver(true, 0, 3)
		deliver(false, 0, 3) // nothing more

		reqs := rcv.requests()
		for i, r := range reqs {
			if r.Delivery != reqs[0].Delivery || string(r.Body) != string(reqs[0].Body) {
				t.Fatalf("attempt %d: delivery %s, body %s; first %s, %s", i+1, r.Delivery, r.Body, reqs[0].Delivery, reqs[0].Body)
			}
		}
		log, err := svc.WebhookAttempts(ctx, controltest.Admin(org), org, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		type entry struct {
			attempt, status int
			at, next        time.Duration // after start; next -1: none
		}
		var got []entry
		for _, a := range log {
			if a.DeliveryUID != reqs[0].Delivery || a.Event != "changes" || (a.StatusCode == 500) != strings.Contains(a.Error, "500") {
				t.Fatalf("log entry %+v", a)
			}
			en := entry{a.Attempt, a.StatusCode, a.At.Sub(start).Round(time.Second), -1}
			if a.NextRetryAt != nil {
				en.next = a.NextRetryAt.Sub(start).Round(time.Second)
			}
			got = append(got, en)
		}
		want := []entry{{3, 204, 3 * time.Minute, -1}, {2, 500, time.Minute, 3 * time.Minute}, {1, 500, 0, time.Minute}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("delivery log %+v, want %+v", got, want)
		}
		rep := newReplica()
		acceptChanges(t, rcv, 0, hook.Secret, org, rep, nil)
		if want := storeItems(t, e, org); len(want) != 5 || len(rep.seqs) != 5 || !reflect.DeepEqual(rep.items, want) {
			t.Fatalf("the receiver has %d items from %d changes, the store %d", len(rep.items), len(rep.seqs), len(want))
		}
	})
}

// After MaxAttempts failed attempts the subscription is disabled, with the reason; it
// delivers nothing more until enabled again, and then resumes with the delivery it
// stopped at: the receiver ends with every change, once.
func TestWebhookDisabledThenResumed(t *testing.T) {
	t.Parallel()
	e, svc, clk, org := notifyOrg(t, "")
	rcv := newReceiver(t, clk.Now, always(http.StatusServiceUnavailable))
	hook, err := svc.CreateWebhook(ctx, controltest.Admin(org), org, control.WebhookInput{URL: rcv.URL, Events: []string{"changes"}})
	if err != nil {
		t.Fatal(err)
	}
	n := svc.NewNotifier(control.NotifierConfig{MaxAttempts: 3, Backoff: func(int) time.Duration { return time.Minute }})
	defer n.Close()
	alice := userID(t, e, org, "alice@contoso.com")
	e.SyncItems(t, alice, 3)
	for i := range 3 {
		delivered, retry, err := n.DeliverWebhook(ctx, hook.ID)
		if err != nil || delivered || (i < 2) != (retry == time.Minute) {
			t.Fatalf("attempt %d: %v %s %v", i+1, delivered, retry, err)
		}
		clk.Add(time.Minute)
	}
	w, err := svc.GetWebhook(ctx, controltest.Admin(org), org, hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w.Active || !strings.Contains(w.DisabledReason, "Disabled after 3 failed attempts") || !strings.Contains(w.DisabledReason, "503") ||
		!strings.Contains(w.DisabledReason, "enable the webhook again") {
		t.Fatalf("after 3 failures: active %v, reason %q", w.Active, w.DisabledReason)
	}
	if due, _ := n.DueWebhooks(ctx); slices.Contains(due, hook.ID) {
		t.Fatal("a disabled webhook is due")
	}
	e.SyncItems(t, alice, 2)
	clk.Add(time.Hour)
	if delivered, retry, err := n.DeliverWebhook(ctx, hook.ID); delivered || retry != 0 || err != nil || len(rcv.requests()) != 3 {
		t.Fatalf("a disabled webhook delivered: %v %s %v, %d requests", delivered, retry, err, len(rcv.requests()))
	}

	rcv.setAnswer(always(http.StatusOK))
	on := true
	if w, err = svc.UpdateWebhook(ctx, controltest.Admin(org), org, hook.ID, control.WebhookUpdate{Active: &on}); err != nil || !w.Active || w.DisabledReason != "" {
		t.Fatalf("enabled %+v %v", w, err)
	}
	if got := drain(t, n, hook.ID); got != 2 {
		t.Fatalf("%d deliveries after enabling", got)
	}
	reqs := rcv.requests()
	if len(reqs) != 5 || reqs[3].Delivery != reqs[0].Delivery || reqs[4].Delivery == reqs[0].Delivery {
		t.Fatalf("deliveries %q", []string{reqs[0].Delivery, reqs[3].Delivery, reqs[4].Delivery})
	}
	rep := newReplica()
	acceptChanges(t, rcv, 0, hook.Secret, org, rep, nil)
	if want := storeItems(t, e, org); len(want) != 5 || len(rep.seqs) != 5 || !reflect.DeepEqual(rep.items, want) {
		t.Fatalf("the receiver has %d items from %d changes, the store %d", len(rep.items), len(rep.seqs), len(want))
	}
}

// signatures returns the v1 signatures of a request.
func signatures(t *testing.T, r received) []string {
	t.Helper()
	_, sigs, err := webhook.ParseSignature(r.Signature)
	if err != nil {
		t.Fatal(err)
	}
	return sigs
}

// Rotating a secret: during the overlap deliveries carry two v1 signatures, one with
// each secret; after it, only the new one's; a rotation without overlap ends the old
// secret at once.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	e, svc, clk, org := notifyOrg(t, "")
	rcv := newReceiver(t, clk.Now, always(http.StatusNoContent))
	admin := controltest.Admin(org)
	hook, err := svc.CreateWebhook(ctx, admin, org, control.WebhookInput{URL: rcv.URL, Events: []string{"status"}})
	if err != nil {
		t.Fatal(err)
	}
	n := svc.NewNotifier(control.NotifierConfig{})
	defer n.Close()
	send := func() received {
		t.Helper()
		if _, err := e.Store.EnqueueStatusEvent(ctx, org, []byte(`{"type":"test"}`)); err != nil {
			t.Fatal(err)
		}
		if got := drain(t, n, hook.ID); got != 1 {
			t.Fatalf("%d deliveries", got)
		}
		reqs := rcv.requests()
		return reqs[len(reqs)-1]
	}
	verifies := func(r received, secret string) bool {
		err := webhook.Verify(r.Signature, r.Body, secret, clk.Now(), 0)
		if err != nil && !errors.Is(err, webhook.ErrMismatch) {
			t.Fatal(err)
		}
		return err == nil
	}
	first := hook.Secret
	if r := send(); len(signatures(t, r)) != 1 || !verifies(r, first) {
		t.Fatalf("before rotation: %s", r.Signature)
	}

	rot, err := svc.RotateWebhookSecret(ctx, admin, org, hook.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	second := rot.Secret
	if second == first || !strings.HasPrefix(second, webhook.SecretPrefix) || rot.PreviousExpiresAt == nil ||
		!rot.PreviousExpiresAt.Equal(clk.Now().Add(control.DefaultSecretOverlap).Truncate(time.Microsecond)) {
		t.Fatalf("rotated %+v", rot.Webhook)
	}
	if r := send(); len(signatures(t, r)) != 2 || !verifies(r, first) || !verifies(r, second) {
		t.Fatalf("during the overlap: %s", r.Signature)
	}
	clk.Add(control.DefaultSecretOverlap + time.Second)
	if r := send(); len(signatures(t, r)) != 1 || verifies(r, first) || !verifies(r, second) {
		t.Fatalf("after the overlap: %s", r.Signature)
	}
	// The test event is signed alike.
	if a, err := svc.SendTestWebhook(ctx, admin, org, hook.ID); err != nil || a.StatusCode != 204 {
		t.Fatalf("test event %+v %v", a, err)
	}
	if reqs := rcv.requests(); reqs[len(reqs)-1].Event != "ping" || !verifies(reqs[len(reqs)-1], second) {
		t.Fatalf("test event %+v", reqs[len(reqs)-1])
	}

	zero := time.Duration(0)
	rot, err = svc.RotateWebhookSecret(ctx, admin, org, hook.ID, &zero)
	if err != nil {
		t.Fatal(err)
	}
	third := rot.Secret
	if r := send(); len(signatures(t, r)) != 1 || verifies(r, second) || !verifies(r, third) {
		t.Fatalf("after a rotation without overlap: %s", r.Signature)
	}
	for _, bad := range []time.Duration{-time.Second, control.MaxSecretOverlap + time.Hour} {
		_, err := svc.RotateWebhookSecret(ctx, admin, org, hook.ID, &bad)
		wantInput(t, err, "overlap", "at most 7 days")
	}
	if r := send(); !verifies(r, third) {
		t.Fatal("a refused rotation changed the secret")
	}
	// The secret is never in what the Service returns after creation or rotation.
	list, err := svc.ListWebhooks(ctx, admin, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{first, second, third} {
		if b, _ := jsonMarshal(list); strings.Contains(string(b), s) || strings.Contains(string(b), strings.TrimPrefix(s, webhook.SecretPrefix)) {
			t.Fatal("a listing shows a secret")
		}
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Bad webhook input gets a plain message on its field and creates or changes nothing:
// URLs with credentials, unreachable, or (with the guard on) private; unknown events;
// too long a description; too many webhooks. Another organization's webhook is not
// found, whatever is asked of it.
func TestWebhookBadInput(t *testing.T) {
	t.Parallel()
	e, svc, _, org := notifyOrg(t, "")
	admin := controltest.Admin(org)
	rcv := newReceiver(t, time.Now, always(http.StatusNoContent))
	for _, tc := range []struct {
		name, field, msg string
		in               control.WebhookInput
	}{
		{"no URL", "url", "Enter the URL", control.WebhookInput{URL: " ", Events: []string{"changes"}}},
		{"credentials", "url", "Remove the user name and password", control.WebhookInput{URL: "https://crm:s3cret-pw@crm.example/hook", Events: []string{"changes"}}},
		{"unreachable", "url", "mailbridge cannot reach this URL: cannot connect: connection refused.", control.WebhookInput{URL: "http://" + closedPort(t) + "/hook", Events: []string{"changes"}}},
		{"bad scheme", "url", "not supported", control.WebhookInput{URL: "ftp://crm.example/hook", Events: []string{"changes"}}},
		{"unknown event", "events", "Choose among", control.WebhookInput{URL: rcv.URL, Events: []string{"changes", "everything"}}},
		{"no event", "events", "at least one", control.WebhookInput{URL: rcv.URL}},
		{"long description", "description", "too long", control.WebhookInput{URL: rcv.URL, Events: []string{"status"}, Description: strings.Repeat("x", 201)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateWebhook(ctx, admin, org, tc.in)
			wantInput(t, err, tc.field, tc.msg)
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "dial tcp") {
				t.Fatalf("the message %q", err)
			}
		})
	}
	if list, _ := svc.ListWebhooks(ctx, admin, org); len(list) != 0 {
		t.Fatalf("bad input created %+v", list)
	}

	// Up to MaxWebhooks, then no more.
	var first control.NewWebhook
	for i := range control.MaxWebhooks {
		w, err := svc.CreateWebhook(ctx, admin, org, control.WebhookInput{URL: rcv.URL + "/" + strconv.Itoa(i), Events: []string{"status"}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = w
		}
	}
	_, err := svc.CreateWebhook(ctx, admin, org, control.WebhookInput{URL: rcv.URL, Events: []string{"status"}})
	wantInput(t, err, "url", "may have 20 webhooks")

	// A bad update changes nothing.
	bad := "http://" + closedPort(t) + "/"
	_, err = svc.UpdateWebhook(ctx, admin, org, first.ID, control.WebhookUpdate{URL: &bad, Events: []string{"changes"}})
	wantInput(t, err, "url", "cannot reach")
	if w, _ := svc.GetWebhook(ctx, admin, org, first.ID); w.URL != first.URL || !slices.Equal(w.Events, []string{"status"}) {
		t.Fatalf("a refused update changed %+v", w)
	}

	// Another organization's admin, through its own organization or this one.
	other := e.Org(t, "Fabrikam")
	for _, p := range []struct {
		name string
		p    control.Principal
		org  int64
	}{{"own organization", controltest.Admin(other), other}, {"foreign organization", controltest.Admin(other), org}} {
		t.Run(p.name, func(t *testing.T) {
			on, u := false, "https://evil.example/"
			_, err := svc.GetWebhook(ctx, p.p, p.org, first.ID)
			notFound(t, "get", err)
			_, err = svc.UpdateWebhook(ctx, p.p, p.org, first.ID, control.WebhookUpdate{Active: &on, URL: &u})
			notFound(t, "update", err)
			_, err = svc.RotateWebhookSecret(ctx, p.p, p.org, first.ID, nil)
			notFound(t, "rotate", err)
			_, err = svc.SendTestWebhook(ctx, p.p, p.org, first.ID)
			notFound(t, "test", err)
			_, err = svc.WebhookAttempts(ctx, p.p, p.org, first.ID)
			notFound(t, "log", err)
			notFound(t, "delete", svc.DeleteWebhook(ctx, p.p, p.org, first.ID))
		})
	}
	if w, err := svc.GetWebhook(ctx, admin, org, first.ID); err != nil || !w.Active || w.URL != first.URL || string(w.SecretSealed) != string(first.SecretSealed) {
		t.Fatalf("foreign calls changed %+v %v", w, err)
	}
	if len(rcv.requests()) != 0 {
		t.Fatal("a foreign test event was sent")
	}
}

func notFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: %v, want not found", what, err)
	}
}

// With the endpoint guard on, webhook URLs to private addresses are refused at save:
// named by address, or by a host name that resolves to one.
func TestWebhookURLGuarded(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{DenyPrivate: true})
	org := e.Org(t, "Contoso")
	rcv := newReceiver(t, time.Now, always(http.StatusNoContent))
	port := strings.TrimPrefix(rcv.URL, "http://127.0.0.1:")
	for _, tc := range []struct{ name, url, msg string }{
		{"loopback", "https://127.0.0.1:" + port + "/hook", "private"},
		{"link-local metadata", "https://169.254.169.254/latest/meta-data", "private"},
		{"private network", "https://10.1.2.3/hook", "private"},
		{"localhost", "https://localhost:" + port + "/hook", "private"},
		{"plain http", rcv.URL, "plain http is refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Service.CreateWebhook(ctx, controltest.Admin(org), org, control.WebhookInput{URL: tc.url, Events: []string{"changes"}})
			wantInput(t, err, "url", tc.msg)
		})
	}
	if len(rcv.requests()) != 0 {
		t.Fatal("the private receiver was reached")
	}
}

// A mailbox going to error is a "mailbox.status" event for status subscribers (once),
// with what it was before.
func TestWebhookStatusEvents(t *testing.T) {
	t.Parallel()
	e, svc, clk, org := notifyOrg(t, "")
	rcv := newReceiver(t, clk.Now, always(http.StatusNoContent))
	hook, err := svc.CreateWebhook(ctx, controltest.Admin(org), org, control.WebhookInput{URL: rcv.URL, Events: []string{"status"}})
	if err != nil {
		t.Fatal(err)
	}
	n := svc.NewNotifier(control.NotifierConfig{})
	defer n.Close()
	evaluate := func() control.AlertOutcome {
		t.Helper()
		out, err := n.EvaluateAlerts(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The first evaluation reports every mailbox (nobody was told of them yet).
	if out := evaluate(); !slices.Equal(out.Webhooks, []int64{hook.ID}) || len(out.Emails) != 0 {
		t.Fatalf("first evaluation %+v", out)
	}
	drain(t, n, hook.ID)
	if out := evaluate(); len(out.Webhooks) != 0 {
		t.Fatalf("nothing changed, yet %+v", out)
	}
	from := len(rcv.requests())

	alice := userID(t, e, org, "alice@contoso.com")
	e.SyncStatus(t, alice, store.MailboxStatus{Status: "error", Code: "exchange_error", Message: "Exchange answered ErrorInternalServerError."})
	if out := evaluate(); !slices.Equal(out.Webhooks, []int64{hook.ID}) {
		t.Fatalf("evaluation after the error %+v", out)
	}
	if out := evaluate(); len(out.Webhooks) != 0 {
		t.Fatalf("told twice: %+v", out)
	}
	if got := drain(t, n, hook.ID); got != 1 {
		t.Fatalf("%d deliveries", got)
	}
	r := rcv.requests()[from]
	if r.Event != "status" || webhook.Verify(r.Signature, r.Body, hook.Secret, clk.Now(), 0) != nil {
		t.Fatalf("status delivery %+v", r)
	}
	var data struct {
		Type      string `json:"type"`
		Mailboxes []struct {
			UserID   int64  `json:"user_id"`
			Email    string `json:"email"`
			State    string `json:"state"`
			Status   string `json:"status"`
			Code     string `json:"code"`
			Message  string `json:"message"`
			Previous *struct {
				State, Status, Code string
			} `json:"previous"`
		} `json:"mailboxes"`
	}
	if err := json.Unmarshal(r.envelope(t).Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Type != "mailbox.status" || len(data.Mailboxes) != 1 {
		t.Fatalf("status event %s", r.Body)
	}
	m := data.Mailboxes[0]
	if m.UserID != alice || m.Email != "alice@contoso.com" || m.State != "active" || m.Status != "error" || m.Code != "exchange_error" ||
		!strings.Contains(m.Message, "ErrorInternalServerError") || m.Previous == nil || m.Previous.Status != "pending" {
		t.Fatalf("mailbox %+v (previous %+v)", m, m.Previous)
	}
}
