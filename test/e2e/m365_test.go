package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/graph"
)

// TestMicrosoft365Flow is the Microsoft 365 (app-only) setup: the operator creates
// Contoso with alice, bob and carol; on the Email Configuration it chooses Microsoft
// 365 (app-only), finds the tenant ID of contoso.com with the magic wand, enters the
// app's client ID and secret and checks access (alice and carol OK; bob outside the
// app's scope, with the New-ManagementRoleAssignment fix); the run's history names the
// app and Graph; after Save, alice's and carol's mailboxes are synced through Graph.
// The demo's simulator answers as login.microsoftonline.com and graph.microsoft.com.
func TestMicrosoft365Flow(t *testing.T) {
	d := startDemo(t)
	f := &flow{t: t, ctx: browser(t), base: d.URL, shots: artifacts(t)}

	f.login(d.Operator, d.OperatorPassword)
	f.do("type the organization's name", chromedp.SendKeys(chromedp.CSS(`#org-name`), "Contoso"))
	f.submit("create Contoso", "/orgs")
	href := eval[string](f, `Array.from(document.querySelectorAll('main a')).filter(a => a.textContent.trim() === 'Contoso').map(a => a.getAttribute('href'))[0] ?? location.pathname`)
	m := orgPath.FindStringSubmatch(href)
	if m == nil {
		f.shot("m365-no-org")
		t.Fatalf("no link to Contoso after creating it (at %s)", href)
	}
	base := "/orgs/" + m[1]

	// The users, pasted into Import users at once.
	f.do("open Users", chromedp.Navigate(f.base+base+"/users"), chromedp.WaitVisible(chromedp.CSS(`#import-text`)))
	f.do("paste the users", chromedp.SendKeys(chromedp.CSS(`#import-text`), "alice@contoso.com\nbob@contoso.com\ncarol@contoso.com\n"))
	f.submit("import the users", base+"/users/import")
	f.do("back on Users", chromedp.WaitVisible(chromedp.CSS(`#import-text`)))
	listed := eval[[]string](f, `Array.from(document.querySelectorAll('main td')).map(td => td.textContent.trim()).filter(s => s.endsWith('@contoso.com'))`)
	if strings.Join(listed, ",") != "alice@contoso.com,bob@contoso.com,carol@contoso.com" {
		f.shot("m365-users-wrong")
		t.Fatalf("users listed: %v", listed)
	}

	// Microsoft 365 (app-only): its fields replace the EWS ones.
	f.do("open Email Configuration", chromedp.Navigate(f.base+base+"/email"), chromedp.WaitVisible(chromedp.CSS(`#account_logon`)))
	f.do("choose Microsoft 365 (app-only)", chromedp.SetValue(chromedp.CSS(`#access_type`), "microsoft365_app"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('access_type').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`#tenant`)), chromedp.WaitNotVisible(chromedp.CSS(`#account_logon`)))
	shown := eval[map[string]bool](f, `Object.fromEntries(['account_logon', 'password', 'ews_url', 'auth_method', 'tenant', 'client_id', 'client_secret']
		.map(id => [id, document.getElementById(id).offsetParent !== null]))`)
	for id, want := range map[string]bool{"account_logon": false, "password": false, "ews_url": false, "auth_method": false, "tenant": true, "client_id": true, "client_secret": true} {
		if shown[id] != want {
			f.shot("m365-fields-wrong")
			t.Fatalf("field %s shown %v, want %v (all: %v)", id, shown[id], want, shown)
		}
	}
	if label := f.text(`#check-button`); !strings.Contains(label, "Check Users Microsoft 365 Access") || strings.Contains(label, "Impersonated") {
		t.Fatalf("the check button reads %q", label)
	}

	// The tenant wand.
	f.do("type the domain", chromedp.SendKeys(chromedp.CSS(`#tenant`), "contoso.com"))
	f.do("press the tenant wand", chromedp.Click(chromedp.CSS(`button[aria-label="Find the tenant ID"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('tenant-result').textContent.includes('`+exchangesim.ContosoTenantID+`')`,
			chromedp.WithPollingTimeout(30*time.Second)))
	if res := f.text(`#tenant-result`); !strings.Contains(res, "contoso.com") {
		f.shot("m365-wand-wrong")
		t.Fatalf("the wand's result does not say whose tenant it found: %q", res)
	}
	f.shot("m365-tenant-wand")

	// The app's credentials, then the check.
	f.do("fill in the app",
		chromedp.SendKeys(chromedp.CSS(`#client_id`), exchangesim.ContosoAppClientID),
		chromedp.SendKeys(chromedp.CSS(`#client_secret`), exchangesim.ContosoAppSecret))
	f.do("press Check Users Microsoft 365 Access",
		chromedp.Click(chromedp.CSS(`#check-button`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('check-summary').textContent.includes('App')`, chromedp.WithPollingTimeout(60*time.Second)))
	codes := eval[map[string]string](f, `Object.fromEntries(Array.from(document.querySelectorAll('#check-results tr[data-user]')).filter(r => r.dataset.user).map(r => [r.dataset.user, r.dataset.code]))`)
	want := map[string]string{"alice@contoso.com": "ok", "carol@contoso.com": "ok", "bob@contoso.com": "out_of_scope"}
	for u, c := range want {
		if codes[u] != c {
			f.shot("m365-check-wrong")
			t.Fatalf("%s: code %q, want %q (all: %v)", u, codes[u], c, codes)
		}
	}
	bob := eval[map[string]string](f, `(() => { const r = document.querySelector('#check-results tr[data-user="bob@contoso.com"]');
		return {message: r.cells[3].textContent, fix: r.querySelector('pre')?.textContent ?? ''} })()`)
	if !strings.Contains(bob["message"], "outside the app's") ||
		!strings.Contains(bob["fix"], "New-ManagementRoleAssignment -App "+exchangesim.ContosoAppClientID) {
		f.shot("m365-check-no-fix")
		t.Fatalf("bob's result: %v", bob)
	}
	// The app's own checks are labelled as such, in words.
	appRows := eval[[]string](f, `Array.from(document.querySelectorAll('#check-results tr[data-user=""]')).map(r => r.cells[0].textContent.trim() + '|' + r.cells[1].textContent.trim() + '|' + r.dataset.code)`)
	if strings.Join(appRows, ",") != "App|Authentication|ok,App|Permissions|ok" {
		f.shot("m365-app-rows")
		t.Fatalf("the app's rows: %v", appRows)
	}
	f.shot("m365-check-results")

	// Save: the form comes back with the app, the secret not in the page.
	runURL := eval[string](f, `document.querySelector('#check-summary a').getAttribute('href')`)
	f.submit("save", base+"/email")
	f.do("saved", chromedp.WaitVisible(chromedp.CSS(`#tenant`)))
	saved := eval[map[string]string](f, `({type: document.getElementById('access_type').value, client: document.getElementById('client_id').value,
		secret: document.getElementById('client_secret').value, tenant: document.getElementById('tenant-result').textContent, html: document.documentElement.outerHTML})`)
	if saved["type"] != "microsoft365_app" || saved["client"] != exchangesim.ContosoAppClientID || saved["secret"] != "" ||
		!strings.Contains(saved["tenant"], exchangesim.ContosoTenantID) || strings.Contains(saved["html"], exchangesim.ContosoAppSecret) {
		f.shot("m365-after-save")
		t.Fatalf("after saving: type %q, client ID %q, secret field %q, tenant %q, secret in page: %v", saved["type"], saved["client"], saved["secret"],
			saved["tenant"], strings.Contains(saved["html"], exchangesim.ContosoAppSecret))
	}
	f.shot("m365-saved")

	// The run in the history names the app and Graph, not a service account and EWS.
	f.do("open Checks", chromedp.Navigate(f.base+base+"/checks"), chromedp.WaitVisible(chromedp.CSS(`#checks-title`)))
	if row := f.text(`main tbody tr`); !strings.Contains(row, exchangesim.ContosoAppClientID) || !strings.Contains(row, graph.DefaultBaseURL) {
		f.shot("m365-checks-wrong")
		t.Fatalf("the Checks tab's row: %q", row)
	}
	f.do("open the check run", chromedp.Navigate(f.base+runURL), chromedp.WaitVisible(chromedp.CSS(`#run-title`)))
	meta := eval[map[string]string](f, `Object.fromEntries(Array.from(document.querySelectorAll('.meta-grid > div')).map(d => [d.querySelector('dt').textContent.trim(), d.querySelector('dd').textContent.trim()]))`)
	if meta["Application (client) ID"] != exchangesim.ContosoAppClientID || meta["Microsoft Graph"] != graph.DefaultBaseURL || meta["EWS URL"] != "" || meta["Account Logon"] != "" {
		f.shot("m365-run-wrong")
		t.Fatalf("the check run's details: %v", meta)
	}
	f.shot("m365-check-run")
	// Mailboxes: alice's and carol's synced through Graph; bob's refused. The page is
	// read again until the workers are done.
	f.do("open Mailboxes", chromedp.Navigate(f.base+base+"/mailboxes"), chromedp.WaitVisible(chromedp.CSS(`#mailboxes-title`)))
	f.do("wait for the sync", chromedp.Poll[chromedp.Void](`fetch(location.href, {credentials: 'same-origin'}).then(r => r.text()).then(html => {
		const doc = new DOMParser().parseFromString(html, 'text/html');
		const row = u => Array.from(doc.querySelectorAll('#mailboxes tr[data-status]')).find(r => r.cells[0].textContent.trim() === u);
		const synced = u => row(u)?.dataset.status === 'ok' && Number(row(u).cells[4].textContent.replace(/\D/g, '')) > 0;
		return synced('alice@contoso.com') && synced('carol@contoso.com') && row('bob@contoso.com')?.dataset.status === 'error';
	})`, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
	f.do("reload Mailboxes", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#mailboxes`)))
	rows := eval[map[string]string](f, `Object.fromEntries(Array.from(document.querySelectorAll('#mailboxes tr[data-status]')).map(r => [r.cells[0].textContent.trim(), r.dataset.status + '|' + r.cells[2].textContent.replace(/\s+/g, ' ').trim()]))`)
	if bob := rows["bob@contoso.com"]; !strings.HasPrefix(bob, "error|") || !strings.Contains(bob, "outside the app's RBAC for Applications scope") ||
		!strings.Contains(bob, "New-ManagementRoleAssignment") || strings.Contains(bob, "service account") {
		f.shot("m365-bob-row")
		t.Fatalf("bob's mailbox: %q", rows["bob@contoso.com"])
	}
	if intro := f.text(`#mailboxes-title + p`); !strings.Contains(intro, "Microsoft Graph") {
		f.shot("m365-mailboxes-intro")
		t.Fatalf("the Mailboxes tab does not say the mailboxes are read through Graph: %q", intro)
	}
	f.shot("m365-mailboxes")
	if err := ctxErr(f.ctx); err != nil {
		t.Fatal(err)
	}
}
