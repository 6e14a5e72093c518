package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

// ping is a delivery the test's receiver got.
type ping struct {
	header http.Header
	body   []byte
}

// TestWebhookFlow: an organization's admin adds a webhook to a receiver on loopback,
// copies the signing secret the page shows once, presses "Send a test event", and the
// receiver gets a ping that verifies with that secret; the delivery log shows it, and
// the secret is not shown again.
func TestWebhookFlow(t *testing.T) {
	d := startDemo(t)
	got := make(chan ping, 16)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Only the test event: the demo's workers may deliver other events too.
		if r.Header.Get(webhook.HeaderEvent) == "ping" {
			got <- ping{header: r.Header.Clone(), body: body}
		}
	}))
	t.Cleanup(rcv.Close)

	// The organization and its admin, made the way the operator's pages do (the setup
	// flow test drives those pages).
	ctx := context.Background()
	op := control.Principal{Kind: control.Operator, Label: d.Operator}
	svc := d.App.Service()
	org, err := svc.CreateOrganization(ctx, op, "Contoso")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrgAdmin(ctx, op, org.ID, control.NewAdmin{Email: "admin@contoso.com", Password: adminPassword}); err != nil {
		t.Fatal(err)
	}
	base := "/orgs/" + strconv.FormatInt(org.ID, 10)

	f := &flow{t: t, ctx: browser(t), base: d.URL, shots: artifacts(t)}
	// The Copy button writes to the clipboard, which the test reads back.
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(f.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: perm}, Setting: cdpbrowser.PermissionSettingGranted, Origin: d.URL}); err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	f.login("admin@contoso.com", adminPassword)
	f.do("open Webhooks", chromedp.Navigate(f.base+base+"/webhooks"), chromedp.WaitVisible(chromedp.CSS(`#webhook-url`)))
	f.shot("webhooks-empty")
	f.do("fill in the webhook",
		chromedp.SendKeys(chromedp.CSS(`#webhook-url`), rcv.URL+"/mailbridge"),
		chromedp.SendKeys(chromedp.CSS(`#webhook-description`), "CRM"))
	f.submit("add the webhook", base+"/webhooks")
	f.do("the secret is shown", chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
	f.shot("webhook-created")

	// Copy the secret with the page's button, as an admin does.
	f.do("press Copy", chromedp.Click(chromedp.CSS(`button[data-copy="#new-token"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('button[data-copy="#new-token"]').textContent.includes('Copied')`, chromedp.WithPollingTimeout(10*time.Second)))
	secret, err := chromedp.Run(f.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read the clipboard: %v", err)
	}
	if shown := eval[string](f, `document.getElementById('new-token').value`); secret != shown || !strings.HasPrefix(secret, webhook.SecretPrefix) {
		t.Fatalf("copied %q, shown %q", secret, shown)
	}

	// Send a test event: the receiver gets a ping signed with the copied secret.
	f.navigate("send a test event", chromedp.Click(chromedp.CSS(`#webhook-test`)))
	f.do("the test's outcome", chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if msg := f.text(`.flash`); !strings.Contains(msg, "Test event delivered: the endpoint answered HTTP 200") {
		f.shot("test-failed")
		t.Fatalf("after Send a test event: %q", msg)
	}
	var p ping
	select {
	case p = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the receiver got no ping")
	}
	if err := webhook.Verify(p.header.Get(webhook.HeaderSignature), p.body, secret, time.Now(), 0); err != nil {
		t.Fatalf("the ping does not verify with the copied secret: %v", err)
	}
	uid := p.header.Get(webhook.HeaderDelivery)
	if !strings.HasPrefix(uid, "dlv_") || !strings.Contains(string(p.body), `"event":"ping"`) {
		t.Fatalf("ping %s: %s", uid, p.body)
	}

	// The delivery log, read again from the server: the ping, delivered; no secret.
	f.do("reload the webhook's page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#webhook-log`)))
	row := eval[map[string]string](f, `(() => { const r = document.querySelector('#webhook-log tr[data-delivery="`+uid+`"]');
		return r ? {event: r.dataset.event, status: r.dataset.status, attempt: r.dataset.attempt, text: r.innerText} : {} })()`)
	if row["event"] != "ping" || row["status"] != "200" || row["attempt"] != "1" || !strings.Contains(row["text"], "Delivered") || !strings.Contains(row["text"], "Test event") {
		f.shot("log-wrong")
		t.Fatalf("delivery log row of %s: %v", uid, row)
	}
	if html := eval[string](f, `document.documentElement.outerHTML`); strings.Contains(html, secret) {
		f.shot("secret-again")
		t.Fatal("the secret is shown again")
	}
	f.shot("webhook-delivery-log")
	if err := ctxErr(f.ctx); err != nil {
		t.Fatal(err)
	}
}
