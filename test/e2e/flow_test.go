package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/secrets"
)

const (
	adminPassword    = "contoso admin 2026"
	fabrikamPassword = "fabrikam admin 2026"
)

// browser starts a headless Chromium for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := "/usr/bin/chromium"
	if p := os.Getenv("MAILBRIDGE_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("Chromium not found at %s: `make test` installs Debian's chromium (or set MAILBRIDGE_CHROMIUM)", path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// artifacts returns the directory screenshots go to.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MAILBRIDGE_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type flow struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	n     int
}

// do runs browser actions, failing the test with the step's name.
func (f *flow) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	f.t.Helper()
	if err := chromedp.Do(f.ctx, actions...); err != nil {
		f.shot("failed-" + step)
		f.t.Fatalf("%s: %v", step, err)
	}
}

// shot saves a full-page screenshot.
func (f *flow) shot(name string) {
	f.t.Helper()
	buf, err := chromedp.Run(f.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		f.t.Logf("screenshot %s: %v", name, err)
		return
	}
	f.n++
	p := filepath.Join(f.shots, fmt.Sprintf("%02d-%s.png", f.n, name))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](f *flow, js string) T {
	f.t.Helper()
	v, err := chromedp.Run(f.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		f.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (f *flow) text(sel string) string {
	f.t.Helper()
	s, err := chromedp.Run(f.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		f.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// submit clicks the submit button of the form whose action ends with action, and waits
// for the page it leads to.
func (f *flow) submit(step, action string) {
	f.t.Helper()
	f.navigate(step, chromedp.Click(chromedp.CSS(`form[action$="`+action+`"] button[type=submit]`)))
}

// navigate runs actions that lead to another page and waits for it to load.
func (f *flow) navigate(step string, actions ...chromedp.Action[chromedp.Void]) {
	f.t.Helper()
	resp, err := chromedp.RunResponse(f.ctx, actions...)
	if err != nil {
		f.shot("failed-" + step)
		f.t.Fatalf("%s: %v", step, err)
	}
	if resp.Status >= 500 {
		f.shot("failed-" + step)
		f.t.Fatalf("%s: HTTP %d", step, resp.Status)
	}
}

func (f *flow) login(email, password string) {
	f.t.Helper()
	f.do("open the login page", chromedp.Navigate(f.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)))
	f.do("type "+email+"'s login",
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password))
	f.submit("log in as "+email, "/login")
	f.do("logged in as "+email, chromedp.WaitVisible(chromedp.CSS(`form.logout`)))
}

func (f *flow) logout() {
	f.t.Helper()
	f.submit("log out", "/logout")
	f.do("logged out", chromedp.WaitVisible(chromedp.CSS(`#email`)))
}

// startDemo starts `mailbridge demo` in-process, serving on a loopback port until the
// test ends.
func startDemo(t *testing.T) *app.Demo {
	t.Helper()
	d, err := app.StartDemo(context.Background(), app.DemoOptions{Addr: "127.0.0.1:0",
		PasswordParams: secrets.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Serve(sctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		d.Close()
	})
	return d
}

var orgPath = regexp.MustCompile(`/orgs/(\d+)`)

// TestSetupFlow is the seed's flow: the operator creates Contoso and its admin; the
// admin adds users, configures Microsoft Exchange Impersonation with the magic wand,
// checks access (alice ok, bob outside the scope with the fix, frank without a mailbox)
// and saves; the password is never shown again; another organization's admin cannot
// reach Contoso.
func TestSetupFlow(t *testing.T) {
	d := startDemo(t)
	f := &flow{t: t, ctx: browser(t), base: d.URL, shots: artifacts(t)}

	// The operator creates the organization and its admin, and a second organization.
	f.login(d.Operator, d.OperatorPassword)
	f.shot("operator-organizations")
	f.do("type the organization's name", chromedp.SendKeys(chromedp.CSS(`#org-name`), "Contoso"))
	f.submit("create Contoso", "/orgs")
	// orgID finds an organization's id from its link on the page.
	orgID := func(name string) string {
		href := eval[string](f, `Array.from(document.querySelectorAll('main a')).filter(a => a.textContent.trim() === '`+name+`').map(a => a.getAttribute('href'))[0] ?? location.pathname`)
		m := orgPath.FindStringSubmatch(href)
		if m == nil {
			f.shot("no-org")
			t.Fatalf("no link to %s on the page after creating it (at %s)", name, href)
		}
		return m[1]
	}
	contoso := orgID("Contoso")
	createAdmin := func(org, email, password string) {
		f.do("open Admins", chromedp.Navigate(f.base+"/orgs/"+org+"/admins"), chromedp.WaitVisible(chromedp.CSS(`#admin-email`)))
		f.do("fill in the admin",
			chromedp.SendKeys(chromedp.CSS(`#admin-email`), email),
			chromedp.SendKeys(chromedp.CSS(`#admin-name`), "IT admin"),
			chromedp.SendKeys(chromedp.CSS(`#admin-password`), password))
		f.submit("create the admin", "/orgs/"+org+"/admins")
		if body := f.text(`main`); !strings.Contains(body, email) {
			f.shot("admin-missing")
			t.Fatalf("the admin %s is not listed: %s", email, body)
		}
	}
	createAdmin(contoso, "admin@contoso.com", adminPassword)
	f.shot("operator-created-admin")
	f.do("back to Organizations", chromedp.Navigate(f.base+"/orgs"), chromedp.WaitVisible(chromedp.CSS(`#org-name`)))
	f.do("type the second organization's name", chromedp.SendKeys(chromedp.CSS(`#org-name`), "Fabrikam"))
	f.submit("create Fabrikam", "/orgs")
	fabrikam := orgID("Fabrikam")
	createAdmin(fabrikam, "admin@fabrikam.com", fabrikamPassword)
	f.logout()

	// Contoso's admin adds its users.
	f.login("admin@contoso.com", adminPassword)
	f.do("open Users", chromedp.Navigate(f.base+"/orgs/"+contoso+"/users"), chromedp.WaitVisible(chromedp.CSS(`#add-email`)))
	for _, u := range []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "frank@contoso.com"} {
		f.do("type "+u, chromedp.SendKeys(chromedp.CSS(`#add-email`), u))
		f.submit("add "+u, "/orgs/"+contoso+"/users")
		f.do("back on Users", chromedp.WaitVisible(chromedp.CSS(`#add-email`)))
	}
	listed := eval[[]string](f, `Array.from(document.querySelectorAll('main td')).map(td => td.textContent.trim()).filter(s => s.endsWith('@contoso.com'))`)
	if strings.Join(listed, ",") != "alice@contoso.com,bob@contoso.com,carol@contoso.com,frank@contoso.com" {
		f.shot("users-wrong")
		t.Fatalf("users listed: %v", listed)
	}
	f.shot("admin-users")

	// Email Configuration: access type, service account, the magic wand.
	f.do("open Email Configuration", chromedp.Navigate(f.base+"/orgs/"+contoso+"/email"), chromedp.WaitVisible(chromedp.CSS(`#account_logon`)))
	accessLabel := eval[string](f, `(() => { const s = document.getElementById('access_type'); return document.querySelector('label[for=access_type]').textContent.trim() + '|' + s.options[s.selectedIndex].text })()`)
	if accessLabel != "Mailbox Access Type|Microsoft Exchange Impersonation" {
		t.Fatalf("access type select: %q", accessLabel)
	}
	f.do("fill in the service account",
		chromedp.SendKeys(chromedp.CSS(`#account_logon`), "svc-sync@contoso.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), exchangesim.DefaultServicePassword))
	f.do("press the magic wand", chromedp.Click(chromedp.CSS(`button[aria-label="Generate EWS URL"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('ews_url').value === '`+app.DemoEWSURL+`'`, chromedp.WithPollingTimeout(60*time.Second)))
	if trail := f.text(`#wand-result`); !strings.Contains(trail, "Verified by Autodiscover") || !strings.Contains(trail, "Autodiscover attempts") {
		f.shot("no-trail")
		t.Fatalf("the wand's trail is not shown: %q", trail)
	}
	f.shot("magic-wand")

	// Check Users Exchange Impersonated Access: results stream into the page.
	f.do("press Check Users Exchange Impersonated Access",
		chromedp.Click(chromedp.CSS(`#check-button`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('check-summary').textContent.includes('Service account')`, chromedp.WithPollingTimeout(90*time.Second)))
	codes := eval[map[string]string](f, `Object.fromEntries(Array.from(document.querySelectorAll('#check-results tr[data-user]')).filter(r => r.dataset.user).map(r => [r.dataset.user, r.dataset.code]))`)
	want := map[string]string{"alice@contoso.com": "ok", "carol@contoso.com": "ok", "bob@contoso.com": "out_of_scope", "frank@contoso.com": "no_mailbox"}
	for u, c := range want {
		if codes[u] != c {
			f.shot("check-wrong")
			t.Fatalf("%s: code %q, want %q (all: %v)", u, codes[u], c, codes)
		}
	}
	bobFix := eval[string](f, `document.querySelector('#check-results tr[data-user="bob@contoso.com"] pre')?.textContent ?? ''`)
	if !strings.Contains(bobFix, "contoso") || bobFix == "" {
		f.shot("check-no-fix")
		t.Fatalf("bob's fix: %q", bobFix)
	}
	f.shot("check-results")

	// Save, reload: saved, and the password is not in the page.
	f.submit("save", "/orgs/"+contoso+"/email")
	f.do("reload", chromedp.Navigate(f.base+"/orgs/"+contoso+"/email"), chromedp.WaitVisible(chromedp.CSS(`#account_logon`)))
	logon := eval[string](f, `document.getElementById('account_logon').value`)
	pw := eval[string](f, `document.getElementById('password').value`)
	html := eval[string](f, `document.documentElement.outerHTML`)
	if logon != "svc-sync@contoso.com" || pw != "" || strings.Contains(html, exchangesim.DefaultServicePassword) {
		f.shot("after-save")
		t.Fatalf("after saving: logon %q, password field %q, password in page: %v", logon, pw, strings.Contains(html, exchangesim.DefaultServicePassword))
	}
	f.shot("saved")
	f.logout()

	// Fabrikam's admin cannot reach Contoso, by any of its pages.
	f.login("admin@fabrikam.com", fabrikamPassword)
	for _, p := range []string{"", "/users", "/email", "/checks", "/admins", "/tokens", "/audit"} {
		f.do("open Contoso"+p+" as Fabrikam", chromedp.Navigate(f.base+"/orgs/"+contoso+p), chromedp.WaitReady(chromedp.CSS(`body`)))
		body := f.text(`body`)
		if strings.Contains(body, "alice@contoso.com") || strings.Contains(body, "svc-sync") || !strings.Contains(strings.ToLower(body), "not found") {
			f.shot("isolation-broken")
			t.Fatalf("Fabrikam's admin at /orgs/%s%s sees: %.300s", contoso, p, body)
		}
	}
	f.shot("fabrikam-refused")
	f.do("Fabrikam's Organizations", chromedp.Navigate(f.base+"/orgs"), chromedp.WaitReady(chromedp.CSS(`body`)))
	orgs := eval[[]string](f, `Array.from(document.querySelectorAll('main a')).map(a => a.textContent.trim())`)
	for _, o := range orgs {
		if o == "Contoso" {
			t.Fatal("Fabrikam's admin sees Contoso in the organization list")
		}
	}
	if err := ctxErr(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
