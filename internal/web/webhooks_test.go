package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

// receiver is a webhook endpoint on loopback: it answers with status (200 unless set)
// and hands every delivery to got.
type receiver struct {
	srv    *httptest.Server
	status atomic.Int32
	got    chan delivery
}

// delivery is a request the receiver got.
type delivery struct {
	path   string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan delivery, 32)}
	rc.status.Store(http.StatusOK)
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.got <- delivery{path: r.URL.Path, header: r.Header.Clone(), body: body}
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next returns the next delivery, failing the test when none comes within a deadline.
func (rc *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-rc.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the receiver got no delivery")
		return delivery{}
	}
}

// none fails the test when the receiver got a delivery. Every way a delivery is made in
// these tests (a test event, a Notifier attempt) returns only after the receiver
// answered, so anything sent is in the channel by now.
func (rc *receiver) none(t *testing.T) {
	t.Helper()
	select {
	case d := <-rc.got:
		t.Fatalf("the receiver got an unexpected delivery: %s %s", d.header.Get(webhook.HeaderEvent), d.body)
	default:
	}
}

var (
	shownSecret = regexp.MustCompile(`id="new-token" type="text" class="mono" readonly value="(whsec_[^"]+)"`)
	webhookLoc  = regexp.MustCompile(`^/orgs/\d+/webhooks/(\d+)$`)
)

// secretOf returns the secret a page shows once, failing the test when there is none.
func secretOf(t *testing.T, r resp) string {
	t.Helper()
	m := shownSecret.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret shown:\n%s", r.body)
	}
	return m[1]
}

// verifySignatures checks a delivery's signature: it verifies with each of the valid
// secrets (webhook.Verify, as a receiver does), not with any of the invalid ones, and
// carries one v1 value per valid secret.
func verifySignatures(t *testing.T, d delivery, valid, invalid []string) {
	t.Helper()
	h := d.header.Get(webhook.HeaderSignature)
	for _, s := range valid {
		if err := webhook.Verify(h, d.body, s, time.Now(), 0); err != nil {
			t.Fatalf("the delivery does not verify with a valid secret: %v (header %q)", err, h)
		}
	}
	for _, s := range invalid {
		if err := webhook.Verify(h, d.body, s, time.Now(), 0); !errors.Is(err, webhook.ErrMismatch) {
			t.Fatalf("the delivery verifies with a secret no longer valid (err %v)", err)
		}
	}
	if _, sigs, err := webhook.ParseSignature(h); err != nil || len(sigs) != len(valid) {
		t.Fatalf("signature header %q: %d signatures, want %d (err %v)", h, len(sigs), len(valid), err)
	}
}

// logRow finds the delivery log's row of a delivery id on a webhook page.
func logRow(t *testing.T, page resp, uid string) string {
	t.Helper()
	i := strings.Index(page.body, `data-delivery="`+uid+`"`)
	if i < 0 {
		t.Fatalf("the delivery log lacks %s:\n%s", uid, page.body)
	}
	j := strings.Index(page.body[i:], "</tr>")
	return page.body[i : i+j]
}

func wantInRow(t *testing.T, row string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(row, p) {
			t.Fatalf("log row lacks %q:\n%s", p, row)
		}
	}
}

// An admin adds a webhook: bad input shows the form again with the field's message and
// what was typed; a good one shows its secret once, never again, and stores it sealed.
func TestWebhookCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)

	page := b.get(base + "/webhooks")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "<title>Webhooks &amp; alerts · Contoso · mailbridge</title>", "No webhooks.", "No incident so far.", `<label for="webhook-url">URL</label>`,
		`<label for="webhook-events-changes">`, `<label for="webhook-events-status">`)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}

	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/hook"
	l.Close()

	for _, tc := range []struct {
		name    string
		form    url.Values
		field   string // the id of the field with the message
		message string
		kept    []string // in the form again
	}{
		{"empty URL", url.Values{"url": {""}, "description": {"CRM"}, "events": {"changes"}}, "webhook-url",
			"Enter the URL mailbridge posts the events to", []string{`value="CRM"`, `value="changes" checked`}},
		{"not a URL", url.Values{"url": {"crm.example.com/hooks"}, "events": {"status"}}, "webhook-url",
			"Invalid endpoint URL: the URL has no scheme; it should start with https://.", []string{`value="crm.example.com/hooks"`, `value="status" checked`}},
		{"other scheme", url.Values{"url": {"ftp://crm.example.com/"}, "events": {"status"}}, "webhook-url",
			"Invalid endpoint URL: the scheme &#34;ftp&#34; is not supported; use https.", []string{`value="ftp://crm.example.com/"`}},
		{"password in URL", url.Values{"url": {"https://user:pw@crm.example.com/"}, "events": {"status"}}, "webhook-url",
			"Remove the user name and password from the URL", nil},
		{"unreachable", url.Values{"url": {closed}, "events": {"status"}}, "webhook-url",
			"mailbridge cannot reach this URL: cannot connect: connection refused.", []string{`value="` + closed + `"`}},
		{"unknown event", url.Values{"url": {rcv.srv.URL}, "description": {"CRM"}, "events": {"sms"}}, "webhook-events",
			"Choose among “changes”", []string{`value="` + rcv.srv.URL + `"`, `value="CRM"`}},
		{"no event", url.Values{"url": {rcv.srv.URL}}, "webhook-events",
			"Choose at least one kind of event", []string{`value="` + rcv.srv.URL + `"`}},
		{"long description", url.Values{"url": {rcv.srv.URL}, "description": {strings.Repeat("x", 201)}, "events": {"status"}}, "webhook-description",
			"This is too long (at most 200 characters).", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.post(base+"/webhooks", tc.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantContains(t, r, `id="`+tc.field+`-error">`+tc.message, `aria-describedby=`)
			wantContains(t, r, tc.kept...)
			if err := checkHTML(r.body); err != nil {
				t.Fatal(err)
			}
		})
	}
	if hooks, _ := e.Service.ListWebhooks(ctx, e.Operator, org); len(hooks) != 0 {
		t.Fatalf("refused webhooks were saved: %+v", hooks)
	}

	r := b.post(base+"/webhooks", url.Values{"url": {rcv.srv.URL + "/crm"}, "description": {"CRM"}, "events": {"changes", "status"}})
	wantStatus(t, r, http.StatusSeeOther)
	if !webhookLoc.MatchString(r.loc) {
		t.Fatalf("created webhook went to %q", r.loc)
	}
	seen := len(b.pages)
	page = b.follow(r)
	wantContains(t, page, "Webhook created.", "it is shown only this once", "The webhook's signing secret",
		`aria-label="Copy the signing secret"`, "Changes and status", "CRM")
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	secret := secretOf(t, page)
	if !strings.HasPrefix(secret, webhook.SecretPrefix) || len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}
	rcv.none(t) // saving checks the URL without posting to it

	// Never again: not on the webhook's page, the list, or the audit log; not in the
	// log; stored sealed.
	b.get(r.loc)
	b.get(base + "/webhooks")
	b.get(base + "/audit")
	for i, p := range b.pages {
		if i != seen && strings.Contains(p, secret) {
			t.Fatalf("the secret is shown again on a later page:\n%s", p)
		}
	}
	hooks, err := e.Store.ListWebhooks(ctx, org)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks %+v, %v", hooks, err)
	}
	if bytes.Contains(hooks[0].SecretSealed, []byte(secret)) || len(hooks[0].SecretSealed) == 0 {
		t.Fatal("the secret is stored in clear")
	}
	if strings.Contains(e.log.String(), secret) {
		t.Fatal("the secret reached the log")
	}
	list := b.get(base + "/webhooks")
	wantContains(t, list, rcv.srv.URL+"/crm", `data-active="true"`, ">Active<")
}

// With the address guard on, a loopback (private) URL is refused with a message that
// says why and what an operator can do.
func TestWebhookPrivateURLRefused(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, controltest.Options{DenyPrivate: true})
	rcv := newReceiver(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/webhooks")
	for _, u := range []string{rcv.srv.URL, "https://" + strings.TrimPrefix(rcv.srv.URL, "http://") + "/x", "https://169.254.169.254/latest"} {
		r := b.post(base+"/webhooks", url.Values{"url": {u}, "events": {"status"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, `id="webhook-url-error"`, `value="`+u+`"`, `value="status" checked`)
		if !strings.Contains(r.body, "private") && !strings.Contains(r.body, "plain http is refused") {
			t.Fatalf("%s: the message does not say why:\n%s", u, r.body)
		}
		if err := checkHTML(r.body); err != nil {
			t.Fatal(err)
		}
	}
	rcv.none(t)
	if hooks, _ := e.Service.ListWebhooks(ctx, e.Operator, org); len(hooks) != 0 {
		t.Fatalf("a private webhook was saved: %+v", hooks)
	}
}

// createHook adds a webhook through the form and returns its page's path and secret.
func createHook(t *testing.T, b *browser, base, u string, events ...string) (string, string) {
	t.Helper()
	r := b.post(base+"/webhooks", url.Values{"url": {u}, "events": events})
	wantStatus(t, r, http.StatusSeeOther)
	return r.loc, secretOf(t, b.follow(r))
}

// A webhook's page: test events (delivered, failed) in the delivery log, the settings
// form, disable and enable, rotation with an overlap during which deliveries verify
// with both secrets, and delete.
func TestWebhookActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/webhooks")
	path, secret := createHook(t, b, base, rcv.srv.URL+"/crm", "changes")
	page := b.get(path)
	wantContains(t, page, "Nothing delivered yet.", "One secret signs every delivery.", `id="edit-url"`, `value="`+rcv.srv.URL+`/crm"`,
		`id="edit-events-changes" name="events" value="changes" checked`)
	if strings.Contains(page.body, `id="edit-events-status" name="events" value="status" checked`) {
		t.Fatal("status is ticked on a changes-only webhook")
	}

	// A test event, delivered: signed with the secret, in the log.
	r := b.post(path+"/test", nil)
	wantStatus(t, r, http.StatusSeeOther)
	d := rcv.next(t)
	verifySignatures(t, d, []string{secret}, nil)
	var ping struct {
		ID    string `json:"id"`
		Event string `json:"event"`
		OrgID int64  `json:"org_id"`
		Data  struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	if err := json.Unmarshal(d.body, &ping); err != nil || ping.Event != "ping" || ping.Data.Type != "ping" || ping.OrgID != org ||
		d.header.Get(webhook.HeaderEvent) != "ping" || d.header.Get(webhook.HeaderDelivery) != ping.ID || d.path != "/crm" {
		t.Fatalf("ping %s %+v (err %v), headers %v", d.path, ping, err, d.header)
	}
	page = b.follow(r)
	wantContains(t, page, "Test event delivered: the endpoint answered HTTP 200 in", "It is in the delivery log below.",
		`<h2 id="webhook-log-title">Delivery log <span class="count">1</span></h2>`)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	wantInRow(t, logRow(t, page, ping.ID), `data-event="ping"`, `data-status="200"`, `data-attempt="1"`, `data-ok="true"`,
		"Test event", `<span class="badge badge-ok">Delivered</span>`, "HTTP 200", `<td class="num">1</td>`)

	// A test event the endpoint refuses: said in words, in the log, not retried.
	rcv.status.Store(http.StatusInternalServerError)
	r = b.post(path+"/test", nil)
	wantStatus(t, r, http.StatusSeeOther)
	failed := rcv.next(t)
	page = b.follow(r)
	wantContains(t, page, "The test event was not delivered.", "The endpoint answered 500 Internal Server Error.",
		"Test events are not retried: fix the endpoint, then send another.")
	wantInRow(t, logRow(t, page, failed.header.Get(webhook.HeaderDelivery)), `data-status="500"`, `data-ok="false"`,
		`<span class="badge badge-failure">Failed</span>`, "HTTP 500", "The endpoint answered 500 Internal Server Error.",
		"None: test events are not retried")
	rcv.status.Store(http.StatusOK)

	// Settings: refused values are shown again with the message; good ones are saved.
	r = b.post(path+"/edit", url.Values{"url": {"ftp://crm.example.com/"}, "description": {"CRM (prod)"}, "events": {"changes", "status"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, `id="edit-url-error">Invalid endpoint URL: the scheme &#34;ftp&#34; is not supported`, `value="ftp://crm.example.com/"`, `value="CRM (prod)"`,
		`id="edit-events-status" name="events" value="status" checked`, "Delivery log")
	if err := checkHTML(r.body); err != nil {
		t.Fatal(err)
	}
	r = b.post(path+"/edit", url.Values{"url": {rcv.srv.URL + "/crm"}, "description": {"CRM (prod)"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, `id="edit-events-error">Choose at least one kind of event`, `value="CRM (prod)"`)
	if w, _ := e.Service.GetWebhook(ctx, e.Operator, org, hookID(t, path)); w.Description != "" || len(w.Events) != 1 {
		t.Fatalf("a refused edit was saved: %+v", w)
	}
	r = b.post(path+"/edit", url.Values{"url": {rcv.srv.URL + "/crm2"}, "description": {"CRM (prod)"}, "events": {"status"}})
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	wantContains(t, page, "Webhook saved.", "CRM (prod)", `<dd>Status</dd>`, rcv.srv.URL+"/crm2")
	if w, _ := e.Service.GetWebhook(ctx, e.Operator, org, hookID(t, path)); w.URL != rcv.srv.URL+"/crm2" || strings.Join(w.Events, ",") != "status" {
		t.Fatalf("edit not saved: %+v", w)
	}

	// Disable and enable.
	r = b.post(path+"/disable", nil)
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	wantContains(t, page, "Webhook disabled: nothing is delivered to it until it is enabled again.", `data-active="false"`,
		`id="webhook-disabled-reason">Disabled by admin`, `<button type="submit" id="webhook-toggle" class="btn btn-primary">Enable</button>`)
	wantContains(t, b.get(base+"/webhooks"), ">Disabled<")
	r = b.post(path+"/enable", nil)
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	wantContains(t, page, "Webhook enabled", `data-active="true"`, `id="webhook-toggle" class="btn btn-secondary">Disable</button>`)
	if strings.Contains(page.body, "webhook-disabled-reason") {
		t.Fatal("an enabled webhook still says why it is disabled")
	}

	// Rotation with a day's overlap: the new secret shown once; deliveries carry a
	// signature with each.
	r = b.post(path+"/rotate", url.Values{"overlap_hours": {"24"}})
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	rotated := secretOf(t, page)
	if rotated == secret {
		t.Fatal("the rotated secret is the old one")
	}
	wantContains(t, page, "Secret rotated.", "Copy the new signing secret now", "deliveries carry a signature with the old secret too",
		"Rotated: deliveries carry a signature with the previous secret too until")
	wantStatus(t, b.post(path+"/test", nil), http.StatusSeeOther)
	verifySignatures(t, rcv.next(t), []string{rotated, secret}, nil)

	// A bad overlap is refused and changes nothing.
	r = b.post(path+"/rotate", url.Values{"overlap_hours": {"999"}})
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "The secret was not rotated.", "The overlap is at most 7 days")
	wantStatus(t, b.post(path+"/test", nil), http.StatusSeeOther)
	verifySignatures(t, rcv.next(t), []string{rotated, secret}, nil)

	// Without overlap, the old secret (of the previous rotation too) no longer signs.
	r = b.post(path+"/rotate", url.Values{"overlap_hours": {"0"}})
	wantStatus(t, r, http.StatusSeeOther)
	page = b.follow(r)
	third := secretOf(t, page)
	wantContains(t, page, "The old secret is no longer used.", "One secret signs every delivery.")
	wantStatus(t, b.post(path+"/test", nil), http.StatusSeeOther)
	verifySignatures(t, rcv.next(t), []string{third}, []string{rotated, secret})
	page = b.get(path)
	for _, s := range []string{secret, rotated, third} {
		if strings.Contains(page.body, s) {
			t.Fatal("a secret is on the webhook's page again")
		}
	}
	if n := strings.Count(page.body, `data-event="ping"`); n != 5 {
		t.Fatalf("%d test events in the log, want 5", n)
	}

	// Delete.
	r = b.post(path+"/delete", nil)
	wantStatus(t, r, http.StatusSeeOther)
	if r.loc != base+"/webhooks" {
		t.Fatalf("delete went to %q", r.loc)
	}
	wantContains(t, b.follow(r), "Webhook deleted.", "No webhooks.")
	wantStatus(t, b.get(path), http.StatusNotFound)
	wantStatus(t, b.post(path+"/test", nil), http.StatusNotFound)
	rcv.none(t)
	audit := b.get(base + "/audit")
	for _, s := range []string{secret, rotated, third} {
		if strings.Contains(audit.body, s) || strings.Contains(e.log.String(), s) {
			t.Fatal("a secret is in the audit log or the server's log")
		}
	}
}

// hookID reads a webhook page's id.
func hookID(t *testing.T, path string) int64 {
	t.Helper()
	m := regexp.MustCompile(`/webhooks/(\d+)$`).FindStringSubmatch(path)
	if m == nil {
		t.Fatalf("no webhook id in %q", path)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// Every webhook POST needs the session's CSRF token: without it the request is refused
// and nothing changes (nothing is sent, the secret stays, the webhook stays).
func TestWebhookCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/webhooks")
	path, _ := createHook(t, b, base, rcv.srv.URL, "status")
	before, err := e.Store.GetWebhook(ctx, org, hookID(t, path))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{base + "/webhooks", path + "/edit", path + "/test", path + "/rotate", path + "/disable", path + "/enable", path + "/delete"} {
		for name, token := range map[string][]string{"none": nil, "empty": {""}, "wrong": {"x" + b.csrf}} {
			form := url.Values{"url": {rcv.srv.URL + "/other"}, "events": {"changes"}, "overlap_hours": {"0"}}
			if token != nil {
				form["csrf"] = token
			}
			r := b.postRaw(p, form, nil)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "This form has expired or did not come from this site.") {
				t.Fatalf("POST %s with %s token: %d\n%s", p, name, r.status, r.body)
			}
		}
	}
	rcv.none(t)
	after, err := e.Store.GetWebhook(ctx, org, before.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.SecretSealed, before.SecretSealed) || after.URL != before.URL || !after.Active || strings.Join(after.Events, ",") != "status" {
		t.Fatalf("a refused POST changed the webhook: %+v", after)
	}
	if hooks, _ := e.Store.ListWebhooks(ctx, org); len(hooks) != 1 {
		t.Fatalf("%d webhooks after refused POSTs", len(hooks))
	}
}

// An organization's admin sees only its own webhooks in the list.
func TestWebhookListIsTheOrganizations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t)
	a, bOrg := e.Org(t, "Contoso"), e.Org(t, "Fabrikam")
	for org, p := range map[int64]string{a: "/contoso-secret-path", bOrg: "/fabrikam"} {
		if _, err := e.Service.CreateWebhook(ctx, e.Operator, org, control.WebhookInput{URL: rcv.srv.URL + p, Events: []string{"status"}}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.signedIn(t, bOrg)
	page := b.get("/orgs/" + itoa(bOrg) + "/webhooks")
	wantContains(t, page, rcv.srv.URL+"/fabrikam", `<h2 id="webhooks-title">Webhooks <span class="count">1</span></h2>`)
	if strings.Contains(page.body, "contoso-secret-path") {
		t.Fatal("Fabrikam's admin sees Contoso's webhook")
	}
}

// An incident opened for the organization is listed under Alerts, ongoing and then
// resolved; its status event reaches a status webhook through the Notifier, and a
// failed delivery shows in the log with its next retry.
func TestIncidentsAndStatusDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	b.get(base + "/webhooks")
	path, secret := createHook(t, b, base, rcv.srv.URL, "status")

	const summary = "Exchange refused the service account's credentials; the sync of 3 mailboxes is stopped."
	inc, err := e.Store.DetectIncident(ctx, org, control.AlertAuthFailed, summary, 3)
	if err != nil {
		t.Fatal(err)
	}
	payload := func(typ string) func(store.Incident) ([]byte, error) {
		return func(i store.Incident) ([]byte, error) {
			return json.Marshal(map[string]any{"type": typ, "incident": map[string]any{"id": i.ID, "kind": i.Kind}})
		}
	}
	if _, hooks, err := e.Store.OpenIncident(ctx, inc.ID, summary, 3, payload("incident.opened")); err != nil || len(hooks) != 1 {
		t.Fatalf("open incident: hooks %v, %v", hooks, err)
	}
	page := b.get(base + "/webhooks")
	wantContains(t, page, `<h2 id="incidents-title">Alerts <span class="count">1</span></h2>`, `data-kind="auth_failed"`,
		`<span class="strong">Exchange refused the service account&#39;s credentials</span><span class="sub">`, "the sync of 3 mailboxes is stopped", `<span class="badge badge-failure">Ongoing</span>`,
		`data-ongoing="true"`, "What to do: Enter the service account&#39;s current password on the Email Configuration tab",
		`<td class="num">3</td>`, // mailboxes
		`<td class="num">1</td>`) // one delivery waits
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page.body, `id="ongoing-alerts"`) {
		t.Fatal("the tab that lists the alerts shows the banner too")
	}
	// Every other tab of the organization says so, and leads to the list.
	for _, p := range []string{"/users", "/mailboxes", "/audit"} {
		page := b.get(base + p)
		wantContains(t, page, `id="ongoing-alerts"`, "An alert is ongoing: Exchange refused the service account&#39;s credentials.",
			`<a href="`+base+`/webhooks#incidents-title">What it means and what to do</a>`)
		if err := checkHTML(page.body); err != nil {
			t.Fatal(err)
		}
	}

	// The endpoint fails: the attempt is logged with its next retry.
	n := e.Service.NewNotifier(control.NotifierConfig{Backoff: func(int) time.Duration { return time.Hour }})
	t.Cleanup(n.Close)
	rcv.status.Store(http.StatusServiceUnavailable)
	delivered, retryIn, err := n.DeliverWebhook(ctx, hookID(t, path))
	if err != nil || delivered || retryIn != time.Hour {
		t.Fatalf("deliver: %v, %v, %v", delivered, retryIn, err)
	}
	d := rcv.next(t)
	verifySignatures(t, d, []string{secret}, nil)
	if d.header.Get(webhook.HeaderEvent) != "status" || !strings.Contains(string(d.body), `"incident.opened"`) {
		t.Fatalf("status delivery %v %s", d.header, d.body)
	}
	page = b.get(path)
	row := logRow(t, page, d.header.Get(webhook.HeaderDelivery))
	wantInRow(t, row, `data-event="status"`, `data-status="503"`, `data-attempt="1"`, "Status",
		`<span class="badge badge-warning">Failed, will retry</span>`, "The endpoint answered 503 Service Unavailable.", `<time datetime="`)
	if strings.Contains(row, "None:") {
		t.Fatalf("a retried delivery says it is not retried:\n%s", row)
	}
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}

	// Resolved: listed with its time.
	if _, _, err := e.Store.ResolveIncident(ctx, inc.ID, payload("incident.resolved")); err != nil {
		t.Fatal(err)
	}
	page = b.get(base + "/webhooks")
	wantContains(t, page, `data-kind="auth_failed"`)
	if strings.Contains(page.body, "Ongoing") || strings.Contains(page.body, "What to do:") || !strings.Contains(page.body, `data-ongoing="false"`) {
		t.Fatalf("a resolved incident is shown as ongoing:\n%s", page.body)
	}
	if users := b.get(base + "/users"); strings.Contains(users.body, `id="ongoing-alerts"`) {
		t.Fatal("the banner stays after the incident is resolved")
	}
}
