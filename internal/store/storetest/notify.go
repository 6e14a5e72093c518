package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// sealAs is a stand-in for the secrets sealer: it "seals" a secret bound to the new
// row's id, so that a test can tell which id it was given.
func sealAs(secret string) func(id int64) ([]byte, error) {
	return func(id int64) ([]byte, error) { return fmt.Appendf(nil, "%s@%d", secret, id), nil }
}

// newHook creates a subscription to events.
func newHook(t *testing.T, s *store.Store, orgID int64, url string, events ...string) store.Webhook {
	t.Helper()
	return must[store.Webhook](t)(s.CreateWebhook(ctx, operator, store.Webhook{OrgID: orgID, URL: url, Events: events}, sealAs("whsec_test")))
}

// feedEnd is the organization's last change's sequence number (0 when none).
func feedEnd(t *testing.T, s *store.Store, orgID int64) int64 {
	t.Helper()
	var end int64
	for {
		entries := must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, orgID, end, store.MaxPage))
		if len(entries) == 0 {
			return end
		}
		end = entries[len(entries)-1].Seq
	}
}

// feedSeqs returns the sequence numbers of the organization's changes after seq.
func feedSeqs(t *testing.T, s *store.Store, orgID, after int64) []int64 {
	t.Helper()
	var out []int64
	for _, e := range must[[]store.FeedEntry](t)(s.ChangeFeed(ctx, orgID, after, store.MaxPage)) {
		out = append(out, e.Seq)
	}
	return out
}

// messages returns n message records with ids prefix0, prefix1, ….
func messages(prefix string, n int) []store.ItemRecord {
	out := make([]store.ItemRecord, n)
	for i := range out {
		out[i] = record(fmt.Sprint(prefix, i), "message", fmt.Sprint("Message ", prefix, i), "carol@contoso.com", at(float64(i)), nil, nil)
	}
	return out
}

func auditOf(t *testing.T, s *store.Store, orgID int64, action string) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for _, a := range must[[]store.AuditEntry](t)(s.ListAudit(ctx, orgID, 0, 1000)) {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// Subscriptions: created with their secret sealed for their own id, their events sorted
// and their cursor at the end of the feed; changed, rotated and deleted only through
// their organization; audited without their URL's query.
func testWebhooks(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org, users := syncOrg(t, s, "Contoso", "alice@contoso.com")
	other := newOrg(t, s, "Fabrikam")
	l, fs := mailboxWith(t, s, users[0], store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: messages("m", 3)})
	end := feedEnd(t, s, org.ID)
	if end == 0 {
		t.Fatal("no changes in the feed")
	}

	w := must[store.Webhook](t)(s.CreateWebhook(ctx, operator, store.Webhook{OrgID: org.ID, URL: "https://crm.example/hook?token=abc",
		Description: "CRM", Events: []string{store.EventStatus, store.EventChanges, store.EventStatus}}, sealAs("whsec_one")))
	if w.ID == 0 || !w.Active || w.CreatedBy != operator.Label || !slices.Equal(w.Events, []string{"changes", "status"}) ||
		string(w.SecretSealed) != fmt.Sprintf("whsec_one@%d", w.ID) || w.ChangeCursor != end || !w.CreatedAt.Equal(c.Now().Truncate(time.Microsecond)) {
		t.Fatalf("created %+v (feed end %d)", w, end)
	}
	got := must[store.Webhook](t)(s.GetWebhook(ctx, org.ID, w.ID))
	if got.URL != w.URL || got.Description != "CRM" || string(got.SecretSealed) != string(w.SecretSealed) || got.ChangeCursor != end ||
		!slices.Equal(got.Events, w.Events) || got.PreviousSecretSealed != nil || got.PreviousExpiresAt != nil || got.Pending != 0 {
		t.Fatalf("got %+v", got)
	}
	if byID := must[store.Webhook](t)(s.WebhookByID(ctx, w.ID)); byID.OrgID != org.ID {
		t.Fatalf("by id %+v", byID)
	}
	if a := auditOf(t, s, org.ID, "webhook.create"); len(a) != 1 || a[0].Target != "https://crm.example/hook?…" || a[0].Detail["events"] != "changes,status" {
		t.Fatalf("creation audit %+v", a)
	}
	_, err := s.CreateWebhook(ctx, operator, store.Webhook{OrgID: 999999, URL: "https://x.example/", Events: []string{"status"}}, sealAs("s"))
	wantErr(t, err, store.ErrNotFound)

	// Another organization sees none of it and changes none of it.
	_, err = s.GetWebhook(ctx, other.ID, w.ID)
	wantErr(t, err, store.ErrNotFound)
	if list := must[[]store.Webhook](t)(s.ListWebhooks(ctx, other.ID)); len(list) != 0 {
		t.Fatalf("the other organization lists %+v", list)
	}
	foreign := got
	foreign.OrgID, foreign.URL = other.ID, "https://evil.example/"
	_, err = s.UpdateWebhook(ctx, operator, foreign)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RotateWebhookSecret(ctx, operator, other.ID, w.ID, []byte("x"), nil, time.Time{})
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteWebhook(ctx, operator, other.ID, w.ID), store.ErrNotFound)
	_, err = s.ListAttempts(ctx, other.ID, w.ID)
	wantErr(t, err, store.ErrNotFound)
	if d := must[[]store.Delivery](t)(s.ListDeliveries(ctx, other.ID, w.ID, 10)); len(d) != 0 {
		t.Fatalf("the other organization lists deliveries %+v", d)
	}
	if after := must[store.Webhook](t)(s.GetWebhook(ctx, org.ID, w.ID)); after.URL != w.URL || string(after.SecretSealed) != string(w.SecretSealed) {
		t.Fatalf("a foreign call changed it: %+v", after)
	}

	// An update changes what it names and audits it.
	c.Add(time.Minute)
	up := got
	up.URL, up.Description, up.Events = "https://crm.example/v2", "CRM v2", []string{"status"}
	updated := must[store.Webhook](t)(s.UpdateWebhook(ctx, operator, up))
	if updated.URL != up.URL || updated.Description != "CRM v2" || !slices.Equal(updated.Events, []string{"status"}) || !updated.Active ||
		!updated.UpdatedAt.Equal(c.Now().Truncate(time.Microsecond)) || !updated.CreatedAt.Equal(w.CreatedAt) {
		t.Fatalf("updated %+v", updated)
	}
	if a := auditOf(t, s, org.ID, "webhook.update"); len(a) != 1 || a[0].Detail["url"] != up.URL || a[0].Detail["events"] != "status" {
		t.Fatalf("update audit %+v", a)
	}

	// Rotation keeps the previous secret until it expires (to the microsecond, as every
	// database keeps it); without one, none is kept.
	expires := c.Now().Add(24*time.Hour + 789*time.Nanosecond)
	rot := must[store.Webhook](t)(s.RotateWebhookSecret(ctx, operator, org.ID, w.ID, []byte("new"), []byte("old"), expires))
	if string(rot.SecretSealed) != "new" || string(rot.PreviousSecretSealed) != "old" || rot.PreviousExpiresAt == nil ||
		!rot.PreviousExpiresAt.Equal(expires.Truncate(time.Microsecond)) {
		t.Fatalf("rotated %+v", rot)
	}
	if got := must[store.Webhook](t)(s.GetWebhook(ctx, org.ID, w.ID)); string(got.PreviousSecretSealed) != "old" || got.PreviousExpiresAt == nil {
		t.Fatalf("after rotation %+v", got)
	}
	if a := auditOf(t, s, org.ID, "webhook.rotate"); len(a) != 1 || a[0].Detail["previous_valid_until"] == "" ||
		strings.Contains(fmt.Sprint(a[0].Detail), "new") || strings.Contains(fmt.Sprint(a[0].Detail), "old") {
		t.Fatalf("rotation audit %+v", a)
	}
	rot = must[store.Webhook](t)(s.RotateWebhookSecret(ctx, operator, org.ID, w.ID, []byte("newer"), nil, expires))
	if string(rot.SecretSealed) != "newer" || rot.PreviousSecretSealed != nil || rot.PreviousExpiresAt != nil {
		t.Fatalf("rotated without overlap %+v", rot)
	}

	second := newHook(t, s, org.ID, "https://second.example/", store.EventChanges)
	if list := must[[]store.Webhook](t)(s.ListWebhooks(ctx, org.ID)); len(list) != 2 || list[0].ID != w.ID || list[1].ID != second.ID {
		t.Fatalf("list %+v", list)
	}
	// Deleting one takes its deliveries along.
	must[[]int64](t)(s.EnqueueStatusEvent(ctx, org.ID, []byte(`{"type":"test"}`)))
	if d := must[[]store.Delivery](t)(s.ListDeliveries(ctx, org.ID, w.ID, 10)); len(d) != 1 {
		t.Fatalf("deliveries %+v", d)
	}
	ok(t, s.DeleteWebhook(ctx, operator, org.ID, w.ID))
	_, err = s.GetWebhook(ctx, org.ID, w.ID)
	wantErr(t, err, store.ErrNotFound)
	if d := must[[]store.Delivery](t)(s.ListDeliveries(ctx, org.ID, w.ID, 10)); len(d) != 0 {
		t.Fatalf("deliveries survive their webhook: %+v", d)
	}
	wantErr(t, s.DeleteWebhook(ctx, operator, org.ID, w.ID), store.ErrNotFound)
	if list := must[[]store.Webhook](t)(s.ListWebhooks(ctx, org.ID)); len(list) != 1 || list[0].ID != second.ID {
		t.Fatalf("list after delete %+v", list)
	}
	if a := auditOf(t, s, org.ID, "webhook.delete"); len(a) != 1 || a[0].Target != "https://crm.example/v2" {
		t.Fatalf("deletion audit %+v", a)
	}
}

// A subscription to changes: the changes after its cursor become a delivery; a failed
// attempt keeps the delivery (the same uid) and schedules the next; a delivered batch
// moves the cursor; a subscription disabled after failures delivers nothing until it is
// enabled again, and then resumes with the same delivery.
func testWebhookDeliveries(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org, users := syncOrg(t, s, "Contoso", "alice@contoso.com")
	_, otherUsers := syncOrg(t, s, "Fabrikam", "x@fabrikam.com")
	l, fs := mailboxWith(t, s, users[0], store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	lo, ofs := mailboxWith(t, s, otherUsers[0], store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: messages("a", 2)})

	w := newHook(t, s, org.ID, "https://crm.example/hook", store.EventChanges)
	start := w.ChangeCursor
	_, err := s.NextDelivery(ctx, w.ID, 10)
	wantErr(t, err, store.ErrNotFound) // nothing after its cursor yet
	if due := must[[]int64](t)(s.DueWebhooks(ctx)); len(due) != 0 {
		t.Fatalf("due with nothing to deliver: %v", due)
	}
	// The other organization's changes are not its.
	commitItems(t, s, lo, ofs["in"], store.PageCommit{Upserts: messages("x", 3)})
	_, err = s.NextDelivery(ctx, w.ID, 10)
	wantErr(t, err, store.ErrNotFound)

	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: messages("b", 5)})
	seqs := feedSeqs(t, s, org.ID, start)
	if len(seqs) != 5 {
		t.Fatalf("%d changes after the cursor", len(seqs))
	}
	if due := must[[]int64](t)(s.DueWebhooks(ctx)); !slices.Equal(due, []int64{w.ID}) {
		t.Fatalf("due %v", due)
	}
	d := must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 3))
	if d.ID == 0 || !strings.HasPrefix(d.UID, "dlv_") || d.Event != store.EventChanges || d.OrgID != org.ID || d.FromSeq != start ||
		d.ToSeq != seqs[2] || d.State != "pending" || d.Attempts != 0 || d.NextAttemptAt != nil {
		t.Fatalf("first batch %+v (changes %v after %d)", d, seqs, start)
	}
	// Asked again, the same delivery: it waits until attempted.
	if again := must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 3)); again.ID != d.ID || again.UID != d.UID {
		t.Fatalf("asked again: %+v, then %+v", d, again)
	}
	if hooks := must[[]store.Webhook](t)(s.ListWebhooks(ctx, org.ID)); hooks[0].Pending != 1 {
		t.Fatalf("pending %d", hooks[0].Pending)
	}

	// A batch not attempted yet may be cut (its body would be too large).
	ok(t, s.ShrinkDelivery(ctx, d.ID, seqs[1]))
	d = must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 3))
	if d.ToSeq != seqs[1] {
		t.Fatalf("shrunk to %d, want %d", d.ToSeq, seqs[1])
	}

	// A failed attempt keeps it, with its next attempt.
	next := c.Now().Add(time.Minute)
	ok(t, s.RecordAttempt(ctx, d, store.Attempt{WebhookID: w.ID, DeliveryUID: d.UID, Event: d.Event, Attempt: 1, At: c.Now(), StatusCode: 500,
		Duration: 12 * time.Millisecond, Error: "the endpoint answered 500 Internal Server Error", NextRetryAt: &next}, store.AttemptOutcome{NextAttemptAt: &next}))
	retry := must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 3))
	if retry.UID != d.UID || retry.Attempts != 1 || retry.NextAttemptAt == nil || !retry.NextAttemptAt.Equal(next.Truncate(time.Microsecond)) ||
		retry.FromSeq != d.FromSeq || retry.ToSeq != d.ToSeq {
		t.Fatalf("after a failure %+v, before %+v", retry, d)
	}
	// Tried once, it is not cut any more: a retry carries the same changes.
	ok(t, s.ShrinkDelivery(ctx, d.ID, seqs[0]))
	if r := must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 3)); r.ToSeq != d.ToSeq {
		t.Fatalf("a tried delivery was cut to %d", r.ToSeq)
	}
	if due := must[[]int64](t)(s.DueWebhooks(ctx)); len(due) != 0 {
		t.Fatalf("due during its back-off: %v", due)
	}
	c.Add(time.Minute)
	if due := must[[]int64](t)(s.DueWebhooks(ctx)); !slices.Equal(due, []int64{w.ID}) {
		t.Fatalf("due after its back-off: %v", due)
	}
	log := must[[]store.Attempt](t)(s.ListAttempts(ctx, org.ID, w.ID))
	if len(log) != 1 || log[0].DeliveryUID != d.UID || log[0].StatusCode != 500 || log[0].Attempt != 1 || log[0].NextRetryAt == nil ||
		!log[0].NextRetryAt.Equal(next.Truncate(time.Microsecond)) || log[0].Duration != 12*time.Millisecond || !strings.Contains(log[0].Error, "500") {
		t.Fatalf("log %+v", log)
	}

	// Delivered: the cursor moves to its end and the next batch starts there.
	ok(t, s.RecordAttempt(ctx, retry, store.Attempt{WebhookID: w.ID, DeliveryUID: d.UID, Event: d.Event, Attempt: 2, At: c.Now(), StatusCode: 204},
		store.AttemptOutcome{Delivered: true}))
	if got := must[store.Webhook](t)(s.GetWebhook(ctx, org.ID, w.ID)); got.ChangeCursor != seqs[1] || got.Pending != 0 {
		t.Fatalf("after delivery: cursor %d, pending %d; want cursor %d", got.ChangeCursor, got.Pending, seqs[1])
	}
	d2 := must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 2))
	if d2.UID == d.UID || d2.FromSeq != seqs[1] || d2.ToSeq != seqs[3] {
		t.Fatalf("second batch %+v", d2)
	}
	list := must[[]store.Delivery](t)(s.ListDeliveries(ctx, org.ID, w.ID, 10))
	if len(list) != 2 || list[0].UID != d2.UID || list[1].UID != d.UID || list[1].State != "delivered" || list[1].Attempts != 2 || list[1].CompletedAt == nil {
		t.Fatalf("deliveries %+v", list)
	}

	// Failed for good: disabled with its reason, the delivery kept.
	ok(t, s.RecordAttempt(ctx, d2, store.Attempt{WebhookID: w.ID, DeliveryUID: d2.UID, Event: d2.Event, Attempt: 1, At: c.Now(), Error: "cannot connect"},
		store.AttemptOutcome{Disable: "Disabled after 1 failed attempt."}))
	dis := must[store.Webhook](t)(s.GetWebhook(ctx, org.ID, w.ID))
	if dis.Active || dis.DisabledReason != "Disabled after 1 failed attempt." || dis.ChangeCursor != seqs[1] || dis.Pending != 1 {
		t.Fatalf("disabled %+v", dis)
	}
	if a := auditOf(t, s, org.ID, "webhook.disable"); len(a) != 1 || a[0].Actor != store.System.Label || a[0].Detail["reason"] != dis.DisabledReason {
		t.Fatalf("disable audit %+v", a)
	}
	_, err = s.NextDelivery(ctx, w.ID, 2)
	wantErr(t, err, store.ErrNotFound)
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: messages("c", 2)})
	_, err = s.EnqueueStatusEvent(ctx, org.ID, []byte(`{}`))
	ok(t, err)
	if due := must[[]int64](t)(s.DueWebhooks(ctx)); len(due) != 0 {
		t.Fatalf("a disabled webhook is due: %v", due)
	}

	// Enabled again: the same delivery, with a fresh set of attempts, then on from it.
	c.Add(time.Hour)
	dis.Active = true
	en := must[store.Webhook](t)(s.UpdateWebhook(ctx, operator, dis))
	if !en.Active || en.DisabledReason != "" || en.ChangeCursor != seqs[1] {
		t.Fatalf("enabled %+v", en)
	}
	if due := must[[]int64](t)(s.DueWebhooks(ctx)); !slices.Equal(due, []int64{w.ID}) {
		t.Fatalf("due after enabling: %v", due)
	}
	resumed := must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 2))
	if resumed.UID != d2.UID || resumed.Attempts != 0 || resumed.NextAttemptAt != nil || resumed.FromSeq != seqs[1] || resumed.ToSeq != seqs[3] {
		t.Fatalf("resumed %+v, stopped at %+v", resumed, d2)
	}
	ok(t, s.RecordAttempt(ctx, resumed, store.Attempt{WebhookID: w.ID, DeliveryUID: resumed.UID, Event: resumed.Event, Attempt: 1, At: c.Now(), StatusCode: 200},
		store.AttemptOutcome{Delivered: true}))
	d3 := must[store.Delivery](t)(s.NextDelivery(ctx, w.ID, 100))
	if d3.FromSeq != seqs[3] || d3.ToSeq != feedEnd(t, s, org.ID) {
		t.Fatalf("third batch %+v, feed end %d", d3, feedEnd(t, s, org.ID))
	}

	// Unsubscribed from changes, its waiting batch is dropped; subscribed again, it
	// starts at the end of the feed.
	en = must[store.Webhook](t)(s.GetWebhook(ctx, org.ID, w.ID))
	en.Events = []string{store.EventStatus}
	must[store.Webhook](t)(s.UpdateWebhook(ctx, operator, en))
	if list := must[[]store.Delivery](t)(s.ListDeliveries(ctx, org.ID, w.ID, 1)); list[0].UID != d3.UID || list[0].State != "failed" {
		t.Fatalf("the dropped batch %+v", list[0])
	}
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: messages("d", 1)})
	en.Events = []string{store.EventChanges}
	if back := must[store.Webhook](t)(s.UpdateWebhook(ctx, operator, en)); back.ChangeCursor != feedEnd(t, s, org.ID) {
		t.Fatalf("subscribed again at %d, feed end %d", back.ChangeCursor, feedEnd(t, s, org.ID))
	}
	_, err = s.NextDelivery(ctx, w.ID, 100)
	wantErr(t, err, store.ErrNotFound)

	// A test event (no queued delivery) is only logged.
	ping := store.Delivery{WebhookID: w.ID, OrgID: org.ID, UID: store.NewDeliveryID(), Event: store.EventPing}
	ok(t, s.RecordAttempt(ctx, ping, store.Attempt{WebhookID: w.ID, DeliveryUID: ping.UID, Event: ping.Event, Attempt: 1, At: c.Now(), StatusCode: 204},
		store.AttemptOutcome{Delivered: true}))
	if log := must[[]store.Attempt](t)(s.ListAttempts(ctx, org.ID, w.ID)); log[0].DeliveryUID != ping.UID || log[0].Event != "ping" {
		t.Fatalf("newest attempt %+v", log[0])
	}
	// An attempt of a deleted subscription is not found.
	ok(t, s.DeleteWebhook(ctx, operator, org.ID, w.ID))
	wantErr(t, s.RecordAttempt(ctx, ping, store.Attempt{WebhookID: w.ID, DeliveryUID: ping.UID, Event: ping.Event, Attempt: 1, At: c.Now()},
		store.AttemptOutcome{}), store.ErrNotFound)
	_, err = s.NextDelivery(ctx, w.ID, 1)
	wantErr(t, err, store.ErrNotFound)
}

// Status events are queued in order for the active subscriptions to status events, and
// delivered before a subscription's next batch of changes; the oldest beyond
// PendingKeep are dropped.
func testWebhookStatusEvents(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org, users := syncOrg(t, s, "Contoso", "alice@contoso.com")
	other := newOrg(t, s, "Fabrikam")
	both := newHook(t, s, org.ID, "https://both.example/", store.EventChanges, store.EventStatus)
	changesOnly := newHook(t, s, org.ID, "https://changes.example/", store.EventChanges)
	off := newHook(t, s, org.ID, "https://off.example/", store.EventStatus)
	off.Active = false
	must[store.Webhook](t)(s.UpdateWebhook(ctx, operator, off))
	foreign := newHook(t, s, other.ID, "https://foreign.example/", store.EventStatus)

	l, fs := mailboxWith(t, s, users[0], store.Folder{FolderID: "in", Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox"})
	commitItems(t, s, l, fs["in"], store.PageCommit{Upserts: messages("m", 2)})
	for i := range 3 {
		hooks := must[[]int64](t)(s.EnqueueStatusEvent(ctx, org.ID, fmt.Appendf(nil, `{"n":%d}`, i)))
		if !slices.Equal(hooks, []int64{both.ID}) {
			t.Fatalf("queued for %v, want [%d]", hooks, both.ID)
		}
	}
	for i := range 3 {
		d := must[store.Delivery](t)(s.NextDelivery(ctx, both.ID, 10))
		if d.Event != store.EventStatus || string(d.Payload) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("delivery %d: %+v (%s)", i, d, d.Payload)
		}
		ok(t, s.RecordAttempt(ctx, d, store.Attempt{WebhookID: both.ID, DeliveryUID: d.UID, Event: d.Event, Attempt: 1, At: c.Now(), StatusCode: 204},
			store.AttemptOutcome{Delivered: true}))
	}
	if d := must[store.Delivery](t)(s.NextDelivery(ctx, both.ID, 10)); d.Event != store.EventChanges {
		t.Fatalf("after the status events %+v", d)
	}
	if d := must[store.Delivery](t)(s.NextDelivery(ctx, changesOnly.ID, 10)); d.Event != store.EventChanges {
		t.Fatalf("a changes subscription got %+v", d)
	}
	for _, h := range []store.Webhook{off, foreign} {
		if d := must[[]store.Delivery](t)(s.ListDeliveries(ctx, h.OrgID, h.ID, 10)); len(d) != 0 {
			t.Fatalf("webhook %s got %+v", h.URL, d)
		}
	}

	// A dead endpoint's queue is bounded: the oldest status events are dropped.
	// (Queued in one transaction, as an evaluation of many mailboxes' statuses does.)
	var many [][]byte
	for i := range store.PendingKeep + 2 {
		many = append(many, fmt.Appendf(nil, `{"n":%d}`, i))
	}
	if hooks := must[[]int64](t)(s.MarkMailboxStatusesSeen(ctx, other.ID, nil, many)); !slices.Equal(hooks, []int64{foreign.ID}) {
		t.Fatalf("queued for %v", hooks)
	}
	if got := must[store.Webhook](t)(s.GetWebhook(ctx, other.ID, foreign.ID)); got.Pending != store.PendingKeep {
		t.Fatalf("%d pending, want %d", got.Pending, store.PendingKeep)
	}
	if d := must[store.Delivery](t)(s.NextDelivery(ctx, foreign.ID, 10)); string(d.Payload) != `{"n":2}` {
		t.Fatalf("oldest kept %s", d.Payload)
	}
}

// Incidents: detected once per organization and kind, opened once (queuing a status
// event), resolved once (queuing another); each email claimed by one caller only, even
// when callers race; one resolved before its alert went out needs no email; one only
// detected is forgotten when its condition ends.
func testIncidents(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org := newOrg(t, s, "Contoso")
	other := newOrg(t, s, "Fabrikam")
	hook := newHook(t, s, org.ID, "https://crm.example/", store.EventStatus)
	payload := func(typ string) func(store.Incident) ([]byte, error) {
		return func(i store.Incident) ([]byte, error) { return fmt.Appendf(nil, `{"type":%q,"id":%d}`, typ, i.ID), nil }
	}

	i := must[store.Incident](t)(s.DetectIncident(ctx, org.ID, "auth_failed", "refused", 3))
	if i.ID == 0 || i.OpenedAt != nil || i.ResolvedAt != nil || i.Mailboxes != 3 || !i.DetectedAt.Equal(c.Now().Truncate(time.Microsecond)) {
		t.Fatalf("detected %+v", i)
	}
	if again := must[store.Incident](t)(s.DetectIncident(ctx, org.ID, "auth_failed", "refused again", 4)); again.ID != i.ID {
		t.Fatalf("detected twice: %d, %d", i.ID, again.ID)
	}
	if o := must[store.Incident](t)(s.DetectIncident(ctx, other.ID, "auth_failed", "refused", 1)); o.ID == i.ID || o.OrgID != other.ID {
		t.Fatalf("the other organization's %+v", o)
	}
	_, err := s.DetectIncident(ctx, 999999, "auth_failed", "x", 1)
	wantErr(t, err, store.ErrNotFound)
	if l := must[[]store.Incident](t)(s.ListIncidents(ctx, org.ID, 10)); len(l) != 0 {
		t.Fatalf("listed before it opened: %+v", l)
	}
	if e := must[[]store.Incident](t)(s.IncidentsToEmail(ctx, org.ID)); len(e) != 0 {
		t.Fatalf("to email before it opened: %+v", e)
	}
	if claimed := must[bool](t)(s.ClaimIncidentEmail(ctx, i.ID, false)); claimed {
		t.Fatal("an alert claimed before its incident opened")
	}

	c.Add(time.Minute)
	opened, hooks, err := s.OpenIncident(ctx, i.ID, "refused for 3", 3, payload("incident.opened"))
	ok(t, err)
	if opened.OpenedAt == nil || !opened.OpenedAt.Equal(c.Now().Truncate(time.Microsecond)) || opened.Summary != "refused for 3" || !slices.Equal(hooks, []int64{hook.ID}) {
		t.Fatalf("opened %+v for %v", opened, hooks)
	}
	d := must[store.Delivery](t)(s.NextDelivery(ctx, hook.ID, 10))
	if string(d.Payload) != fmt.Sprintf(`{"type":"incident.opened","id":%d}`, i.ID) {
		t.Fatalf("status event %s", d.Payload)
	}
	// Opening it again does nothing more.
	c.Add(time.Minute)
	reopened, hooks, err := s.OpenIncident(ctx, i.ID, "other", 9, payload("incident.opened"))
	ok(t, err)
	if len(hooks) != 0 || !reopened.OpenedAt.Equal(*opened.OpenedAt) || reopened.Summary != "refused for 3" {
		t.Fatalf("opened twice: %+v, %v", reopened, hooks)
	}
	if got := must[store.Webhook](t)(s.GetWebhook(ctx, org.ID, hook.ID)); got.Pending != 1 {
		t.Fatalf("%d status events queued", got.Pending)
	}
	ok(t, s.UpdateIncident(ctx, i.ID, "refused for 5", 5))
	if l := must[[]store.Incident](t)(s.ListIncidents(ctx, org.ID, 10)); len(l) != 1 || l[0].Summary != "refused for 5" || l[0].Mailboxes != 5 {
		t.Fatalf("listed %+v", l)
	}

	// Many callers race to send the alert: one gets it.
	if e := must[[]store.Incident](t)(s.IncidentsToEmail(ctx, org.ID)); len(e) != 1 || e[0].ID != i.ID {
		t.Fatalf("to email %+v", e)
	}
	race := func(recovery bool) int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Go(func() {
				claimed, err := s.ClaimIncidentEmail(ctx, i.ID, recovery)
				if err != nil {
					t.Error(err)
				}
				if claimed {
					mu.Lock()
					won++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return won
	}
	if n := race(false); n != 1 {
		t.Fatalf("%d callers claimed the alert", n)
	}
	if e := must[[]store.Incident](t)(s.IncidentsToEmail(ctx, org.ID)); len(e) != 0 {
		t.Fatalf("to email after the claim %+v", e)
	}
	// A failed send gives the claim back.
	ok(t, s.UnclaimIncidentEmail(ctx, i.ID, false))
	if e := must[[]store.Incident](t)(s.IncidentsToEmail(ctx, org.ID)); len(e) != 1 {
		t.Fatalf("to email after giving the claim back %+v", e)
	}
	if claimed := must[bool](t)(s.ClaimIncidentEmail(ctx, i.ID, false)); !claimed {
		t.Fatal("the claim given back cannot be claimed again")
	}
	if claimed := must[bool](t)(s.ClaimIncidentEmail(ctx, i.ID, true)); claimed {
		t.Fatal("a recovery notice claimed before the incident was resolved")
	}

	// Resolved: a status event, and one recovery notice.
	c.Add(time.Hour)
	resolved, hooks, err := s.ResolveIncident(ctx, i.ID, payload("incident.resolved"))
	ok(t, err)
	if resolved.ID != i.ID || resolved.ResolvedAt == nil || !slices.Equal(hooks, []int64{hook.ID}) {
		t.Fatalf("resolved %+v for %v", resolved, hooks)
	}
	if again, hooks, err := s.ResolveIncident(ctx, i.ID, payload("incident.resolved")); err != nil || again.ID != 0 || len(hooks) != 0 {
		t.Fatalf("resolved twice: %+v %v %v", again, hooks, err)
	}
	if e := must[[]store.Incident](t)(s.IncidentsToEmail(ctx, org.ID)); len(e) != 1 || e[0].ResolvedAt == nil {
		t.Fatalf("to email after resolution %+v", e)
	}
	if n := race(true); n != 1 {
		t.Fatalf("%d callers claimed the recovery notice", n)
	}
	if e := must[[]store.Incident](t)(s.IncidentsToEmail(ctx, org.ID)); len(e) != 0 {
		t.Fatalf("to email after the recovery notice %+v", e)
	}
	if u := must[[]store.Incident](t)(s.UnresolvedIncidents(ctx, org.ID)); len(u) != 0 {
		t.Fatalf("unresolved %+v", u)
	}

	// The condition again: a new incident.
	next := must[store.Incident](t)(s.DetectIncident(ctx, org.ID, "auth_failed", "refused", 1))
	if next.ID == i.ID {
		t.Fatal("a resolved incident was detected again")
	}
	// Resolved before it opened: forgotten, nobody told.
	forgotten, hooks, err := s.ResolveIncident(ctx, next.ID, payload("incident.resolved"))
	ok(t, err)
	if forgotten.ID != 0 || len(hooks) != 0 {
		t.Fatalf("a detected incident resolved: %+v %v", forgotten, hooks)
	}
	_, err = s.GetIncident(ctx, next.ID)
	wantErr(t, err, store.ErrNotFound)

	// Opened and resolved before its alert went out: neither email is sent.
	third := must[store.Incident](t)(s.DetectIncident(ctx, org.ID, "sync_errors", "errors", 5))
	_, _, err = s.OpenIncident(ctx, third.ID, "errors", 5, payload("incident.opened"))
	ok(t, err)
	_, _, err = s.ResolveIncident(ctx, third.ID, payload("incident.resolved"))
	ok(t, err)
	if claimed := must[bool](t)(s.ClaimIncidentEmail(ctx, third.ID, false)); claimed {
		t.Fatal("an alert claimed after its incident was resolved")
	}
	if claimed := must[bool](t)(s.ClaimIncidentEmail(ctx, third.ID, true)); claimed {
		t.Fatal("a recovery notice claimed for an alert never sent")
	}
	if e := must[[]store.Incident](t)(s.IncidentsToEmail(ctx, org.ID)); len(e) != 0 {
		t.Fatalf("to email %+v", e)
	}
	if l := must[[]store.Incident](t)(s.ListIncidents(ctx, org.ID, 10)); len(l) != 2 || l[0].ID != third.ID || l[1].ID != i.ID {
		t.Fatalf("listed %+v", l)
	}
	// Status events in the order raised.
	var types []string
	for _, d := range must[[]store.Delivery](t)(s.ListDeliveries(ctx, org.ID, hook.ID, 10)) {
		types = append(types, string(d.Payload[:strings.Index(string(d.Payload), ",")]))
	}
	slices.Reverse(types)
	want := []string{`{"type":"incident.opened"`, `{"type":"incident.resolved"`, `{"type":"incident.opened"`, `{"type":"incident.resolved"`}
	if !slices.Equal(types, want) {
		t.Fatalf("status events %q", types)
	}
}

// Two callers detecting the same incident at once: one incident.
func testIncidentDetectRace(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[int64]bool{}
	for range 8 {
		wg.Go(func() {
			i, err := s.DetectIncident(ctx, org.ID, "sync_errors", "errors", 5)
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Error(err)
				return
			}
			if err == nil {
				mu.Lock()
				ids[i.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if u := must[[]store.Incident](t)(s.UnresolvedIncidents(ctx, org.ID)); len(u) != 1 || len(ids) != 1 || !ids[u[0].ID] {
		t.Fatalf("unresolved %+v, returned %v", u, ids)
	}
}
