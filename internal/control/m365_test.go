package control_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Microsoft 365 app-only access is saved like EWS impersonation: the tenant's domain is
// resolved to its tenant ID through the OpenID configuration document, the client
// secret is sealed, and nothing of it comes back.
func TestSaveAppConfig(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")

	v, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoAppConfig())
	if err != nil {
		t.Fatal(err)
	}
	if v.AccessType != control.AccessMicrosoft365App || v.Tenant != "contoso.com" || v.TenantID != exchangesim.ContosoTenantID ||
		v.ClientID != exchangesim.ContosoAppClientID || !v.HasPassword || v.AccountLogon != "" || v.EWSURL != "" {
		t.Fatalf("saved: %+v", v)
	}
	raw, err := e.Store.GetEmailConfig(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw.PasswordSealed), exchangesim.ContosoAppSecret) || raw.AuthMethod != string(control.AuthClientSecret) {
		t.Fatalf("stored: %+v", raw)
	}

	// Saved again without a secret, the saved one stays; the tenant by its ID.
	in := controltest.ContosoAppConfig()
	in.Password, in.Tenant, in.BaseVersion = "", strings.ToUpper(exchangesim.ContosoTenantID), v.Version
	if v, err = e.Service.SaveEmailConfig(ctx, e.Operator, org, in); err != nil {
		t.Fatal(err)
	}
	if v.TenantID != exchangesim.ContosoTenantID || v.Tenant != exchangesim.ContosoTenantID || !v.HasPassword {
		t.Fatalf("saved again: %+v", v)
	}

	// Switching back to EWS needs the service account's password: the app's secret is
	// not one.
	ews := controltest.ContosoConfig()
	ews.Password, ews.BaseVersion = "", v.Version
	_, err = e.Service.SaveEmailConfig(ctx, e.Operator, org, ews)
	wantField(t, err, "password")
}

// Bad input is refused field by field, saving nothing.
func TestAppConfigInput(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso")
	for _, tc := range []struct {
		name  string
		edit  func(*control.EmailConfigInput)
		field string
	}{
		{"no tenant", func(in *control.EmailConfigInput) { in.Tenant = "" }, "tenant"},
		{"tenant not a domain", func(in *control.EmailConfigInput) { in.Tenant = "contoso" }, "tenant"},
		{"tenant a URL", func(in *control.EmailConfigInput) { in.Tenant = "https://contoso.com/" }, "tenant"},
		{"unknown domain", func(in *control.EmailConfigInput) { in.Tenant = "fabrikam.example" }, "tenant"},
		{"no client ID", func(in *control.EmailConfigInput) { in.ClientID = "" }, "client_id"},
		{"client ID not a GUID", func(in *control.EmailConfigInput) { in.ClientID = "mailbridge sync" }, "client_id"},
		{"no secret", func(in *control.EmailConfigInput) { in.Password = "" }, "client_secret"},
		{"the secret's ID", func(in *control.EmailConfigInput) { in.Password = "0a1b2c3d-0000-4000-8000-123456789abc" }, "client_secret"},
		{"an unknown credential", func(in *control.EmailConfigInput) { in.AuthMethod = "kerberos" }, "auth_method"},
		{"a certificate that is a secret", func(in *control.EmailConfigInput) { in.AuthMethod = "certificate" }, "client_certificate"},
	} {
		in := controltest.ContosoAppConfig()
		tc.edit(&in)
		_, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, in)
		if !wantFieldOK(err, tc.field) {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
	if _, err := e.Store.GetEmailConfig(ctx, org); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("something was saved: %v", err)
	}
}

// The magic wand of Microsoft 365 access finds the tenant ID of a domain.
func TestDiscoverTenant(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso")
	for _, domain := range []string{"contoso.com", " Contoso.OnMicrosoft.com ", exchangesim.ContosoTenantID} {
		info, err := e.Service.DiscoverTenant(ctx, e.Operator, org, domain)
		if err != nil || info.TenantID != exchangesim.ContosoTenantID {
			t.Fatalf("%q: %+v, %v", domain, info, err)
		}
	}
	for _, bad := range []string{"", "fabrikam.example", "not a domain", "../../etc"} {
		if _, err := e.Service.DiscoverTenant(ctx, e.Operator, org, bad); !wantFieldOK(err, "tenant") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	other := e.Org(t, "Other")
	if _, err := e.Service.DiscoverTenant(ctx, controltest.Admin(other), org, "contoso.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another organization's admin: %v", err)
	}
}

// The check of Microsoft 365 access: the app's token and permissions, then per user:
// in the app's RBAC scope (alice), outside it (bob, with the PowerShell fix), unknown.
func TestCheckApp(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "nobody@contoso.com")
	var got []checker.Result
	out, err := e.Service.RunCheck(ctx, e.Operator, org, controltest.ContosoAppConfig(), func(r checker.Result) { got = append(got, r) })
	if err != nil {
		t.Fatal(err)
	}
	byUser := map[string]checker.Result{}
	var account []checker.Result
	for _, r := range got {
		if r.User == "" {
			account = append(account, r)
		} else {
			byUser[r.User] = r
		}
	}
	if len(account) != 2 || account[0].Check != checker.CheckAuthentication || account[0].Status != checker.StatusOK ||
		account[1].Check != checker.CheckPermissions || account[1].Status != checker.StatusOK {
		t.Fatalf("app results: %+v", account)
	}
	if r := byUser["alice@contoso.com"]; r.Status != checker.StatusOK {
		t.Errorf("alice: %+v", r)
	}
	bob := byUser["bob@contoso.com"]
	if bob.Code != checker.CodeOutOfScope || !strings.Contains(bob.Fix, "New-ManagementRoleAssignment -App "+exchangesim.ContosoAppClientID) ||
		!strings.Contains(bob.Fix, "Test-ServicePrincipalAuthorization") {
		t.Errorf("bob: %+v", bob)
	}
	if r := byUser["nobody@contoso.com"]; r.Code != checker.CodeUnknownUser {
		t.Errorf("nobody: %+v", r)
	}
	if out.Summary.OK != 1 || out.Summary.Failure != 2 || out.Run.AccountLogon != exchangesim.ContosoAppClientID {
		t.Errorf("summary %+v, run %+v", out.Summary, out.Run)
	}
	// The users' statuses are recorded as for EWS.
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	for _, u := range users {
		if u.Status == "" {
			t.Errorf("%s has no status", u.Email)
		}
	}
}

// Each way the app's credentials can be wrong has its code, a plain message and the fix.
func TestCheckAppCredentials(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	for _, tc := range []struct {
		name     string
		edit     func(*control.EmailConfigInput)
		code     checker.Code
		fixWords string
	}{
		{"wrong secret", func(in *control.EmailConfigInput) { in.Password = "not-the-secret" }, checker.CodeSecretWrong, "Certificates & secrets"},
		{"expired secret", func(in *control.EmailConfigInput) {
			in.ClientID, in.Password = exchangesim.ContosoExpiredAppClientID, exchangesim.ContosoExpiredAppSecret
		}, checker.CodeSecretExpired, "new client secret"},
		{"no consent", func(in *control.EmailConfigInput) {
			in.ClientID, in.Password = exchangesim.ContosoNoConsentAppClientID, exchangesim.ContosoNoConsentAppSecret
		}, checker.CodeConsentMissing, "/adminconsent?client_id=" + exchangesim.ContosoNoConsentAppClientID},
		{"unknown app", func(in *control.EmailConfigInput) { in.ClientID = "0a1b2c3d-0000-4000-8000-123456789abc" }, checker.CodeAppUnknown, "Application (client) ID"},
		{"unknown tenant", func(in *control.EmailConfigInput) { in.Tenant = "0a1b2c3d-1111-4000-8000-123456789abc" }, checker.CodeTenantUnknown, "tenant ID"},
	} {
		in := controltest.ContosoAppConfig()
		tc.edit(&in)
		var got []checker.Result
		if _, err := e.Service.RunCheck(ctx, e.Operator, org, in, func(r checker.Result) { got = append(got, r) }); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != 1 || got[0].Code != tc.code || got[0].Status != checker.StatusFailure || !strings.Contains(got[0].Fix, tc.fixWords) ||
			got[0].Message == "" {
			t.Errorf("%s: %+v", tc.name, got)
		}
		for _, r := range got {
			if strings.Contains(r.Message+r.Fix+r.Evidence.Error, in.Password) {
				t.Errorf("%s: the secret is in a result", tc.name)
			}
		}
	}
}

// A mailbox synced through Microsoft Graph holds the same messages, events and contacts
// as the same mailbox synced through EWS.
func TestSyncThroughGraph(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	viaGraph := e.Org(t, "Graph", "alice@contoso.com")
	viaEWS := e.Org(t, "EWS", "alice@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaGraph, controltest.ContosoAppConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaEWS, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	gUser, _ := e.Service.ListUsers(ctx, e.Operator, viaGraph)
	eUser, _ := e.Service.ListUsers(ctx, e.Operator, viaEWS)
	if st := syncThrough(t, e, viaGraph, gUser[0].ID); st.Created == 0 {
		t.Fatalf("nothing synced through Graph: %+v", st)
	}
	syncThrough(t, e, viaEWS, eUser[0].ID)
	summarize := func(org, user int64) []string {
		items, err := e.Store.ListItems(ctx, org, user)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.Kind+"|"+it.Subject)
		}
		slices.Sort(out)
		return out
	}
	g, w := summarize(viaGraph, gUser[0].ID), summarize(viaEWS, eUser[0].ID)
	if !slices.Equal(g, w) {
		t.Fatalf("through Graph %d items, through EWS %d:\ngraph %q\news   %q", len(g), len(w), g, w)
	}
	// bob is outside the app's scope: his sync fails as an access error, not silently.
	bob, err := e.Service.AddUser(ctx, e.Operator, viaGraph, "bob@contoso.com", "")
	if err != nil {
		t.Fatal(err)
	}
	src, err := e.Service.SyncSource(ctx, viaGraph, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.SyncHierarchy(ctx, "bob@contoso.com", ""); err == nil {
		t.Fatalf("bob's hierarchy synced though he is outside the app's scope (user %d)", bob.ID)
	}
}

// wantFieldOK reports whether err is an *InputError on field.
func wantFieldOK(err error, field string) bool {
	var ie *control.InputError
	return errors.As(err, &ie) && ie.Fields[field] != ""
}

// wantField fails unless err is an *InputError on field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if !wantFieldOK(err, field) {
		t.Fatalf("%v, want an error on %s", err, field)
	}
}

// Rooms, room lists and free/busy times of a Microsoft 365 organization come through
// Graph (places, getSchedule) and match what EWS says of the same world.
func TestAppRooms(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	viaGraph := e.Org(t, "Graph", "alice@contoso.com")
	viaEWS := e.Org(t, "EWS", "alice@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaGraph, controltest.ContosoAppConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaEWS, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	gl, err := e.Service.RoomLists(ctx, e.Operator, viaGraph)
	if err != nil {
		t.Fatal(err)
	}
	el, err := e.Service.RoomLists(ctx, e.Operator, viaEWS)
	if err != nil {
		t.Fatal(err)
	}
	if len(gl) == 0 || !slices.Equal(gl, el) {
		t.Fatalf("room lists: graph %v, ews %v", gl, el)
	}
	gr, err := e.Service.Rooms(ctx, e.Operator, viaGraph, gl[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	er, _ := e.Service.Rooms(ctx, e.Operator, viaEWS, el[0].Email)
	if len(gr) == 0 || !slices.Equal(gr, er) {
		t.Fatalf("rooms: graph %v, ews %v", gr, er)
	}
	if _, err := e.Service.Rooms(ctx, e.Operator, viaGraph, "nolist@contoso.com"); !wantFieldOK(err, "list") {
		t.Fatalf("an unknown room list: %v", err)
	}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	q := control.AvailabilityQuery{Emails: []string{gr[0].Email, "alice@contoso.com"}, Start: start, End: start.Add(7 * 24 * time.Hour), Interval: 60}
	ga, err := e.Service.Availability(ctx, e.Operator, viaGraph, q)
	if err != nil {
		t.Fatal(err)
	}
	ea, err := e.Service.Availability(ctx, e.Operator, viaEWS, q)
	if err != nil {
		t.Fatal(err)
	}
	busy := 0
	for _, m := range ea.Mailboxes {
		busy += len(m.Busy)
	}
	if busy == 0 || len(ga.Mailboxes) != 2 {
		t.Fatalf("nothing busy in the window to compare (EWS %+v)", ea)
	}
	for i := range ga.Mailboxes {
		g, w := ga.Mailboxes[i], ea.Mailboxes[i]
		if g.Email != w.Email || g.Code != "" || len(g.Busy) != len(w.Busy) || len(g.Merged) != len(w.Merged) {
			t.Errorf("%s: graph %+v\news %+v", g.Email, g, w)
			continue
		}
		for j := range g.Busy {
			if !g.Busy[j].Start.Equal(w.Busy[j].Start) || !g.Busy[j].End.Equal(w.Busy[j].End) || g.Busy[j].Status != w.Busy[j].Status {
				t.Errorf("%s busy %d: graph %+v, ews %+v", g.Email, j, g.Busy[j], w.Busy[j])
			}
		}
	}
}

// A Microsoft 365 organization imports and keeps distribution groups through Graph
// (transitiveMembers): the same members as ExpandDL finds through EWS.
func TestAppGroups(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	viaGraph := e.Org(t, "Graph")
	viaEWS := e.Org(t, "EWS")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaGraph, controltest.ContosoAppConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaEWS, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	g, err := e.Service.ImportGroup(ctx, e.Operator, viaGraph, "Sales@Contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.Service.ImportGroup(ctx, e.Operator, viaEWS, "sales@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if g.Added == 0 || g.Added != w.Added || !slices.Equal(e.Emails(t, viaGraph), e.Emails(t, viaEWS)) {
		t.Fatalf("through Graph %+v %v, through EWS %+v %v", g, e.Emails(t, viaGraph), w, e.Emails(t, viaEWS))
	}
	if _, err := e.Service.ImportGroup(ctx, e.Operator, viaGraph, "nogroup@contoso.com"); !wantFieldOK(err, "group") {
		t.Fatalf("an unknown group: %v", err)
	}
}

// A mailbox the engine could not read is explained in the words of its access type:
// for an app, Graph's 403 is the app's scope, with the PowerShell that widens it.
func TestMailboxCodesOfApp(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	viaGraph := e.Org(t, "Graph", "bob@contoso.com")
	viaEWS := e.Org(t, "EWS", "bob@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaGraph, controltest.ContosoAppConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, viaEWS, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	for org, want := range map[int64][2]string{
		viaGraph: {"outside the app's RBAC for Applications scope", "New-ManagementRoleAssignment"},
		viaEWS:   {"impersonate this user", "Run the check"},
	} {
		users, err := e.Service.ListUsers(ctx, e.Operator, org)
		if err != nil {
			t.Fatal(err)
		}
		lease, err := e.Store.AcquireLease(ctx, users[0].ID, "test", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Store.SetMailboxStatus(ctx, lease, store.MailboxStatus{Status: control.SyncError, Code: control.SyncCodeImpersonationDenied,
			Message: "graph: HTTP 403 ErrorAccessDenied", Release: true}); err != nil {
			t.Fatal(err)
		}
		list, err := e.Service.ListMailboxes(ctx, e.Operator, org, control.MailboxFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("mailboxes: %+v %v", list, err)
		}
		if m := list[0]; !strings.Contains(m.Meaning, want[0]) || !strings.Contains(m.Fix, want[1]) {
			t.Errorf("organization %d: meaning %q, fix %q; want %q and %q", org, m.Meaning, m.Fix, want[0], want[1])
		}
		hist, err := e.Service.MailboxHistory(ctx, e.Operator, org, users[0].ID)
		if err != nil || len(hist) == 0 || !strings.Contains(hist[0].Meaning, want[0]) {
			t.Errorf("organization %d: history %+v %v", org, hist, err)
		}
	}
}

// Certificate credentials: the app's certificate and key are saved sealed (the view
// shows only the thumbprint), the check and the sync work with them; an expired or
// unregistered certificate is refused with its own code, and bad PEM at save.
func TestAppCertificate(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	in := controltest.ContosoAppConfig()
	in.AuthMethod, in.Password = string(control.AuthCertificate), exchangesim.ContosoAppCertificatePEM
	v, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, in)
	if err != nil {
		t.Fatal(err)
	}
	if v.AuthMethod != "certificate" || len(v.CertificateThumbprint) != 40 || v.CertificateExpires.Year() != 2036 {
		t.Fatalf("saved: %+v", v)
	}
	raw, _ := e.Store.GetEmailConfig(ctx, org)
	if strings.Contains(string(raw.PasswordSealed), "PRIVATE KEY") {
		t.Fatal("the key is stored in clear")
	}
	// The check with the saved certificate (the form's field left empty).
	check := controltest.ContosoAppConfig()
	check.AuthMethod, check.Password = string(control.AuthCertificate), ""
	var got []checker.Result
	if _, err := e.Service.RunCheck(ctx, e.Operator, org, check, func(r checker.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 || got[0].Status != checker.StatusOK || got[len(got)-1].User != "alice@contoso.com" || got[len(got)-1].Status != checker.StatusOK {
		t.Fatalf("check: %+v", got)
	}
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	if st := syncThrough(t, e, org, users[0].ID); st.Created == 0 {
		t.Fatalf("nothing synced with the certificate: %+v", st)
	}

	// The expired certificate (registered on the app) is refused at save, by its date.
	bad := in
	bad.Password, bad.BaseVersion = exchangesim.ContosoExpiredCertificatePEM, v.Version
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, bad); !wantFieldOK(err, "client_certificate") {
		t.Fatalf("an expired certificate: %v", err)
	}
	for name, pemText := range map[string]string{
		"no key":  exchangesim.ContosoAppCertificatePEM[:strings.Index(exchangesim.ContosoAppCertificatePEM, "-----BEGIN PRIVATE KEY")],
		"garbage": "not a certificate",
	} {
		bad.Password = pemText
		if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, bad); !wantFieldOK(err, "client_certificate") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Switching to a secret needs the secret: the certificate is not one.
	sec := controltest.ContosoAppConfig()
	sec.Password, sec.BaseVersion = "", v.Version
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, sec); !wantFieldOK(err, "client_secret") {
		t.Fatalf("switching to a secret without one: %v", err)
	}
}

// A certificate the app does not hold: the check says certificate_refused, with the fix.
func TestCheckAppUnregisteredCertificate(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "not registered"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	in := controltest.ContosoAppConfig()
	in.AuthMethod = string(control.AuthCertificate)
	in.Password = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	var got []checker.Result
	if _, err := e.Service.RunCheck(ctx, e.Operator, org, in, func(r checker.Result) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Code != checker.CodeCertificateRefused || !strings.Contains(got[0].Fix, "Certificates & secrets") {
		t.Fatalf("check: %+v", got)
	}
}
