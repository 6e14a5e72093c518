package control_test

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/mailer"
	"github.com/mailbridge/mailbridge/internal/mailer/mailertest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

const (
	alertsFrom  = "alerts@mailbridge.test"
	publicURL   = "https://mailbridge.example"
	newPassword = "Rotated-Pass-2027!"
)

// alertEnv is an organization synced through svc-sync with two admins, a status
// webhook and a Notifier that emails through an SMTP listener.
type alertEnv struct {
	e    *controltest.Env
	svc  *control.Service
	clk  *testClock
	org  int64
	smtp *mailertest.Server
	rcv  *receiver
	hook control.NewWebhook
	n    *control.Notifier
}

func newAlertEnv(t *testing.T, dsn string, th control.AlertThresholds, users ...string) *alertEnv {
	t.Helper()
	a := &alertEnv{clk: newTestClock()}
	a.e = controltest.New(t, controltest.Options{DSN: dsn, Now: a.clk.Now})
	a.svc = a.e.Service
	a.org = a.e.Org(t, "Contoso", users...)
	if _, err := a.svc.SaveEmailConfig(ctx, a.e.Operator, a.org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	a.e.OrgAdmin(t, a.org, "ann@crm.example", "Admin-Pass-2026!")
	a.e.OrgAdmin(t, a.org, "ben@crm.example", "Admin-Pass-2026!")
	a.smtp = mailertest.Start(t, mailertest.Options{})
	a.rcv = newReceiver(t, a.clk.Now, always(http.StatusNoContent))
	var err error
	if a.hook, err = a.svc.CreateWebhook(ctx, controltest.Admin(a.org), a.org, control.WebhookInput{URL: a.rcv.URL, Events: []string{"status"}}); err != nil {
		t.Fatal(err)
	}
	a.n = a.svc.NewNotifier(control.NotifierConfig{Mailer: mailer.Config{Addr: a.smtp.Addr, From: alertsFrom, HelloName: "mailbridge.test"},
		Alerts: th, PublicURL: publicURL})
	t.Cleanup(a.n.Close)
	return a
}

// evaluate evaluates the organization's alerts, sends the emails and delivers the
// status events it asks for, as the jobs do, and returns what it asked for.
func (a *alertEnv) evaluate(t *testing.T) control.AlertOutcome {
	t.Helper()
	out, err := a.n.EvaluateAlerts(ctx, a.org)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out.Emails {
		if err := a.n.EmailIncident(ctx, m); err != nil {
			t.Fatal(err)
		}
		// A job run again (its first run's outcome lost) sends nothing more.
		if err := a.n.EmailIncident(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range out.Webhooks {
		drain(t, a.n, id)
	}
	return out
}

// statusEvents returns the status events delivered from request from on, as their
// data, after verifying them.
func (a *alertEnv) statusEvents(t *testing.T, from int) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range a.rcv.requests()[from:] {
		if r.Event != "status" || webhook.Verify(r.Signature, r.Body, a.hook.Secret, r.At, 0) != nil {
			t.Fatalf("status delivery %+v", r)
		}
		var d map[string]any
		if err := json.Unmarshal(r.envelope(t).Data, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// incidentEvents returns the types and kinds of the incident events among events.
func incidentEvents(events []map[string]any) []string {
	var out []string
	for _, d := range events {
		if inc, ok := d["incident"].(map[string]any); ok {
			out = append(out, d["type"].(string)+" "+inc["kind"].(string))
		}
	}
	return out
}

// email is a message the SMTP listener received, decoded.
type email struct {
	To            []string
	Subject, Body string
}

func (a *alertEnv) emails(t *testing.T) []email {
	t.Helper()
	var out []email
	for _, m := range a.smtp.Messages() {
		msg := m.Parsed(t)
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		if m.From != alertsFrom || msg.Header.Get("From") != alertsFrom {
			t.Fatalf("from %q, %q", m.From, msg.Header.Get("From"))
		}
		to := slices.Sorted(slices.Values(m.To))
		out = append(out, email{To: to, Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n")})
	}
	return out
}

// trySync syncs a mailbox to the end through the organization's saved service account
// as the sync engine's jobs do, and returns the error that stopped it. It starts on new
// connections: NTLM authenticates a connection, not a request, so one kept open would
// not notice a password changed since.
func trySync(t *testing.T, svc *control.Service, e *controltest.Env, org, user int64) error {
	t.Helper()
	client, err := svc.EWSClient(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	client.CloseIdleConnections()
	u, err := e.Store.GetUser(ctx, org, user)
	if err != nil {
		t.Fatal(err)
	}
	src, err := svc.SyncSource(ctx, org, 0)
	if err != nil {
		t.Fatal(err)
	}
	folders, err := svc.SyncFolders(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	l, err := e.Store.AcquireLease(ctx, user, "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Store.ReleaseLease(ctx, l)
	for {
		_, err := syncer.New(e.Store, syncer.Options{}).SyncMailbox(ctx, l, u.Email, src, folders)
		if !errors.Is(err, syncer.ErrMore) {
			return err
		}
	}
}

// syncOK syncs the mailboxes and records their success, as the jobs do.
func (a *alertEnv) syncOK(t *testing.T, emails ...string) {
	t.Helper()
	for _, addr := range emails {
		id := userID(t, a.e, a.org, addr)
		if err := trySync(t, a.svc, a.e, a.org, id); err != nil {
			t.Fatalf("sync %s: %v", addr, err)
		}
		a.e.SyncStatus(t, id, store.MailboxStatus{Status: "ok"})
	}
}

func noSecrets(t *testing.T, what string) {
	t.Helper()
	for _, s := range []string{controltest.ServicePassword, newPassword} {
		if strings.Contains(what, s) {
			t.Fatalf("a password in %q", what)
		}
	}
}

// The service account's password changed in Exchange: the sync fails with auth, the
// mailboxes stop, an incident opens, each admin gets exactly one alert that says what
// broke and how to fix it (and no password), status subscribers get the incident;
// evaluating again sends nothing more. Saving the new password renews the mailboxes,
// they sync again, and exactly one recovery notice follows. On SQLite and PostgreSQL.
func TestAlertAuthFailed(t *testing.T) {
	t.Parallel()
	onBoth(t, func(t *testing.T, dsn string) {
		a := newAlertEnv(t, dsn, control.AlertThresholds{}, "alice@contoso.com", "carol@contoso.com")
		a.syncOK(t, "alice@contoso.com", "carol@contoso.com")
		if out := a.evaluate(t); len(out.Emails) != 0 {
			t.Fatalf("an alert while all is well: %+v", out)
		}
		from := len(a.rcv.requests())

		if err := a.e.World.SetPassword("svc-sync@contoso.com", newPassword); err != nil {
			t.Fatal(err)
		}
		alice := userID(t, a.e, a.org, "alice@contoso.com")
		err := trySync(t, a.svc, a.e, a.org, alice)
		if !errors.Is(err, syncer.ErrAuth) {
			t.Fatalf("sync with the old password: %v", err)
		}
		// What the sync job does on ErrAuth.
		if n, err := a.e.Store.StopMailboxes(ctx, a.org, control.SyncCodeAuthFailed, "Exchange refused the service account's credentials."); err != nil || n != 2 {
			t.Fatalf("stopped %d: %v", n, err)
		}
		out := a.evaluate(t)
		if len(out.Emails) != 1 || out.Emails[0].Recovery || !slices.Equal(out.Webhooks, []int64{a.hook.ID}) {
			t.Fatalf("evaluation after the failure %+v", out)
		}
		mails := a.emails(t)
		if len(mails) != 1 {
			t.Fatalf("%d emails", len(mails))
		}
		m := mails[0]
		if !slices.Equal(m.To, []string{"ann@crm.example", "ben@crm.example"}) ||
			m.Subject != "[mailbridge] Contoso: Exchange refused the service account's credentials" {
			t.Fatalf("alert to %v: %q", m.To, m.Subject)
		}
		for _, want := range []string{"the sync of 2 mailboxes is stopped", "alice@contoso.com, carol@contoso.com",
			"Enter the service account's current password on the Email Configuration tab", "one more email when this is resolved",
			publicURL + "/orgs/" + strconv.FormatInt(a.org, 10) + "/mailboxes"} {
			if !strings.Contains(m.Body, want) {
				t.Fatalf("the alert does not say %q:\n%s", want, m.Body)
			}
		}
		noSecrets(t, m.Subject+m.Body)
		events := a.statusEvents(t, from)
		if got := incidentEvents(events); !slices.Equal(got, []string{"incident.opened auth_failed"}) {
			t.Fatalf("incident events %q", got)
		}
		b, _ := json.Marshal(events)
		noSecrets(t, string(b))

		// Evaluated again, and again: nothing more.
		from = len(a.rcv.requests())
		for range 2 {
			if out := a.evaluate(t); len(out.Emails) != 0 || len(out.Webhooks) != 0 {
				t.Fatalf("told twice: %+v", out)
			}
		}
		if len(a.smtp.Messages()) != 1 || len(a.rcv.requests()) != from {
			t.Fatalf("%d emails, %d more status events", len(a.smtp.Messages()), len(a.rcv.requests())-from)
		}

		// The new password saved: the mailboxes are renewed and sync again.
		cfg := controltest.ContosoConfig()
		cfg.Password = newPassword
		if cur, err := a.e.Store.GetEmailConfig(ctx, a.org); err != nil {
			t.Fatal(err)
		} else {
			cfg.BaseVersion = cur.Version
		}
		if _, err := a.svc.SaveEmailConfig(ctx, controltest.Admin(a.org), a.org, cfg); err != nil {
			t.Fatal(err)
		}
		a.clk.Add(time.Minute)
		a.syncOK(t, "alice@contoso.com", "carol@contoso.com")
		if out := a.evaluate(t); len(out.Emails) != 1 || !out.Emails[0].Recovery {
			t.Fatalf("evaluation after the recovery %+v", out)
		}
		mails = a.emails(t)
		if len(mails) != 2 {
			t.Fatalf("%d emails", len(mails))
		}
		m = mails[1]
		if !slices.Equal(m.To, []string{"ann@crm.example", "ben@crm.example"}) ||
			m.Subject != "[mailbridge] Resolved: Contoso: Exchange refused the service account's credentials" ||
			!strings.Contains(m.Body, "Syncing works again") {
			t.Fatalf("recovery notice to %v: %q\n%s", m.To, m.Subject, m.Body)
		}
		noSecrets(t, m.Subject+m.Body)
		if got := incidentEvents(a.statusEvents(t, from)); !slices.Equal(got, []string{"incident.resolved auth_failed"}) {
			t.Fatalf("incident events %q", got)
		}
		if out := a.evaluate(t); len(out.Emails) != 0 || len(a.smtp.Messages()) != 2 {
			t.Fatalf("after the recovery notice: %+v, %d emails", out, len(a.smtp.Messages()))
		}
		incs, err := a.svc.ListIncidents(ctx, controltest.Admin(a.org), a.org, 10)
		if err != nil || len(incs) != 1 || incs[0].Kind != control.AlertAuthFailed || incs[0].ResolvedAt == nil || incs[0].Mailboxes != 2 {
			t.Fatalf("incidents %+v %v", incs, err)
		}
	})
}

// The service account's ApplicationImpersonation role is removed in Exchange: the
// mailboxes that synced before are refused, an incident of its own opens and is
// emailed once; the role back, they sync and one recovery notice follows.
func TestAlertImpersonationLost(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "", control.AlertThresholds{}, "alice@contoso.com", "carol@contoso.com")
	a.syncOK(t, "alice@contoso.com", "carol@contoso.com")
	a.evaluate(t)
	from := len(a.rcv.requests())

	if err := a.e.World.RevokeRole("svc-sync-impersonation"); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"alice@contoso.com", "carol@contoso.com"} {
		id := userID(t, a.e, a.org, addr)
		err := trySync(t, a.svc, a.e, a.org, id)
		if !errors.Is(err, syncer.ErrMailboxUnavailable) || ews.Code(err) != ews.ErrorImpersonateUserDenied {
			t.Fatalf("sync without the role: %v", err)
		}
		// What the sync job records for it.
		a.e.SyncStatus(t, id, store.MailboxStatus{Status: "error", Code: control.SyncCodeImpersonationDenied, Message: err.Error()})
	}
	if out := a.evaluate(t); len(out.Emails) != 1 {
		t.Fatalf("evaluation %+v", out)
	}
	a.evaluate(t)
	mails := a.emails(t)
	if len(mails) != 1 || mails[0].Subject != "[mailbridge] Contoso: Impersonation refused for mailboxes that were syncing" ||
		!strings.Contains(mails[0].Body, "impersonate 2 mailboxes that synced before") || !strings.Contains(mails[0].Body, "ApplicationImpersonation role assignment") {
		t.Fatalf("emails %+v", mails)
	}
	if got := incidentEvents(a.statusEvents(t, from)); !slices.Equal(got, []string{"incident.opened impersonation_lost"}) {
		t.Fatalf("incident events %q", got)
	}
	if u, _ := a.e.Store.UnresolvedIncidents(ctx, a.org); len(u) != 1 || u[0].Kind != control.AlertImpersonationLost {
		t.Fatalf("unresolved %+v", u)
	}

	if err := a.e.World.GrantRole(exchangesim.RoleAssignment{Name: "svc-sync-impersonation", Role: exchangesim.RoleApplicationImpersonation,
		User: "svc-sync@contoso.com", Scope: "Sales"}); err != nil {
		t.Fatal(err)
	}
	a.syncOK(t, "alice@contoso.com", "carol@contoso.com")
	a.evaluate(t)
	a.evaluate(t)
	if mails := a.emails(t); len(mails) != 2 || !strings.HasPrefix(mails[1].Subject, "[mailbridge] Resolved: Contoso: Impersonation refused") {
		t.Fatalf("emails %+v", mails)
	}
}

// Sync errors: below the threshold no incident; at it, an incident detected that opens
// only once it has lasted ErrorFor (on the Service's clock), and is forgotten without a
// word when it ends sooner; opened, it is emailed once, and its end once.
func TestAlertSyncErrors(t *testing.T) {
	t.Parallel()
	users := []string{"alice@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com"}
	a := newAlertEnv(t, "", control.AlertThresholds{ErrorMailboxes: 2, ErrorPercent: 100, ErrorFor: 10 * time.Minute}, users...)
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = userID(t, a.e, a.org, u)
		a.e.SyncStatus(t, ids[i], store.MailboxStatus{Status: "ok"})
	}
	a.evaluate(t)
	fail := func(i int) {
		a.e.SyncStatus(t, ids[i], store.MailboxStatus{Status: "error", Code: "exchange_error", Message: "Exchange answered ErrorInternalServerError."})
	}
	heal := func(i int) { a.e.SyncStatus(t, ids[i], store.MailboxStatus{Status: "ok"}) }
	unresolved := func() []store.Incident {
		u, err := a.e.Store.UnresolvedIncidents(ctx, a.org)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	from := len(a.rcv.requests())

	// One of four: below both thresholds.
	fail(0)
	a.evaluate(t)
	a.clk.Add(time.Hour)
	a.evaluate(t)
	if u := unresolved(); len(u) != 0 {
		t.Fatalf("an incident below the threshold: %+v", u)
	}
	// Two, but not for long: detected, then forgotten.
	fail(1)
	a.evaluate(t)
	if u := unresolved(); len(u) != 1 || u[0].OpenedAt != nil {
		t.Fatalf("at the threshold: %+v", u)
	}
	a.clk.Add(5 * time.Minute)
	a.evaluate(t)
	heal(1)
	a.evaluate(t)
	if u := unresolved(); len(u) != 0 {
		t.Fatalf("over before it lasted: %+v", u)
	}
	// Two, for long enough: opened, emailed once.
	fail(1)
	a.evaluate(t)
	a.clk.Add(9 * time.Minute)
	a.evaluate(t)
	if len(a.smtp.Messages()) != 0 {
		t.Fatal("emailed before it lasted ErrorFor")
	}
	a.clk.Add(time.Minute)
	if out := a.evaluate(t); len(out.Emails) != 1 {
		t.Fatalf("evaluation after ErrorFor %+v", out)
	}
	fail(2) // worse: the incident says so, without another email
	a.evaluate(t)
	mails := a.emails(t)
	if len(mails) != 1 || mails[0].Subject != "[mailbridge] Contoso: Mailboxes fail to sync" || !strings.Contains(mails[0].Body, "2 mailboxes of 4 fail to sync") ||
		!strings.Contains(mails[0].Body, "The Mailboxes tab shows each mailbox's error") {
		t.Fatalf("emails %+v", mails)
	}
	if u := unresolved(); len(u) != 1 || u[0].Mailboxes != 3 {
		t.Fatalf("the incident now %+v", u)
	}
	for i := range 3 {
		heal(i)
	}
	a.evaluate(t)
	a.evaluate(t)
	if mails := a.emails(t); len(mails) != 2 || mails[1].Subject != "[mailbridge] Resolved: Contoso: Mailboxes fail to sync" {
		t.Fatalf("emails %+v", mails)
	}
	if got := incidentEvents(a.statusEvents(t, from)); !slices.Equal(got, []string{"incident.opened sync_errors", "incident.resolved sync_errors"}) {
		t.Fatalf("incident events %q", got)
	}
}

// A Microsoft 365 organization's alerts speak of the app, not of a service account: a
// refused app credential is titled and explained in its words, by email and by webhook.
func TestAlertAuthFailedApp(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "", control.AlertThresholds{}, "alice@contoso.com")
	v, err := a.svc.GetEmailConfig(ctx, a.e.Operator, a.org)
	if err != nil {
		t.Fatal(err)
	}
	app := controltest.ContosoAppConfig()
	app.BaseVersion = v.Version
	if _, err := a.svc.SaveEmailConfig(ctx, a.e.Operator, a.org, app); err != nil {
		t.Fatal(err)
	}
	from := len(a.rcv.requests())
	if n, err := a.e.Store.StopMailboxes(ctx, a.org, control.SyncCodeAuthFailed, "Microsoft 365 refused the app's credentials."); err != nil || n != 1 {
		t.Fatalf("stopped %d: %v", n, err)
	}
	if out := a.evaluate(t); len(out.Emails) != 1 {
		t.Fatalf("evaluation %+v", out)
	}
	mails := a.emails(t)
	if len(mails) != 1 || mails[0].Subject != "[mailbridge] Contoso: Microsoft 365 refused the app's credentials" {
		t.Fatalf("emails %+v", mails)
	}
	for _, want := range []string{"Microsoft 365 refused the app's credentials; the sync of 1 mailbox is stopped", "valid client secret (or certificate)"} {
		if !strings.Contains(mails[0].Body, want) {
			t.Fatalf("the alert does not say %q:\n%s", want, mails[0].Body)
		}
	}
	if strings.Contains(mails[0].Body, "service account") {
		t.Fatalf("the alert speaks of a service account:\n%s", mails[0].Body)
	}
	b, _ := json.Marshal(a.statusEvents(t, from))
	if !strings.Contains(string(b), "Microsoft 365 refused the app's credentials") {
		t.Fatalf("status events %s", b)
	}
}
