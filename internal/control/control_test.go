package control_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/store"
)

func fieldErr(t *testing.T, err error, field, contains string) {
	t.Helper()
	var ie *control.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v, want an input error on %s", err, field)
	}
	if msg, ok := ie.Fields[field]; !ok || !strings.Contains(msg, contains) {
		t.Fatalf("field %s: got %q (all: %v), want it to contain %q", field, msg, ie.Fields, contains)
	}
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	a := e.Org(t, "A", "u@a.test")
	b := e.Org(t, "B", "u@b.test")
	adminA := controltest.Admin(a)
	if _, err := e.Service.CreateOrganization(ctx, adminA, "C"); !errors.Is(err, control.ErrForbidden) {
		t.Fatalf("admin created an organization: %v", err)
	}
	if _, err := e.Service.GetOrganization(ctx, adminA, b); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("admin of A read B: %v", err)
	}
	if _, err := e.Service.ListUsers(ctx, adminA, b); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("admin of A listed B's users: %v", err)
	}
	if _, err := e.Service.AddUser(ctx, adminA, b, "x@b.test", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("admin of A added to B: %v", err)
	}
	if _, err := e.Service.SaveEmailConfig(ctx, adminA, b, controltest.ContosoConfig()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("admin of A configured B: %v", err)
	}
	orgs, err := e.Service.ListOrganizations(ctx, adminA)
	if err != nil || len(orgs) != 1 || orgs[0].ID != a {
		t.Fatalf("admin of A lists %v, %v", orgs, err)
	}
	if all, _ := e.Service.ListOrganizations(ctx, e.Operator); len(all) != 2 {
		t.Fatalf("operator lists %d organizations", len(all))
	}
	if _, err := e.Service.CreateOrgAdmin(ctx, adminA, a, control.NewAdmin{Email: "x@a.test", Password: "long-enough-password"}); !errors.Is(err, control.ErrForbidden) {
		t.Fatalf("admin created an admin: %v", err)
	}
	if err := e.Service.DeleteOrganization(ctx, adminA, a); !errors.Is(err, control.ErrForbidden) {
		t.Fatalf("admin deleted an organization: %v", err)
	}
	// A principal without an organization sees none.
	if _, err := e.Service.GetOrganization(ctx, control.Principal{Kind: control.OrgAdmin}, a); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("org-less admin: %v", err)
	}
}

func TestAddUserValidation(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	for _, bad := range []string{"", "alice", "alice@", "@contoso.com", "alice@contoso", "Alice <alice@contoso.com>", "a b@contoso.com", "alice@contoso.com\n", strings.Repeat("a", 250) + "@x.com"} {
		_, err := e.Service.AddUser(ctx, e.Operator, org, bad, "")
		var ie *control.InputError
		if !errors.As(err, &ie) || ie.Fields["email"] == "" {
			t.Errorf("%q: %v", bad, err)
		}
	}
	_, err := e.Service.AddUser(ctx, e.Operator, org, " ALICE@contoso.com ", "")
	fieldErr(t, err, "email", "already a user")
	u, err := e.Service.AddUser(ctx, e.Operator, org, "Bob@Contoso.com", "Bob Jones")
	if err != nil || u.Email != "bob@contoso.com" || u.DisplayName != "Bob Jones" {
		t.Fatalf("add: %+v %v", u, err)
	}
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	if len(users) != 2 {
		t.Fatalf("%d users", len(users))
	}
}

func TestImportUsers(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	cases := []struct {
		name  string
		list  string
		want  []string // emails, sorted
		names map[string]string
	}{
		{name: "one a line", list: "alice@contoso.com\n\nBOB@contoso.com\r\n# a comment\n", want: []string{"alice@contoso.com", "bob@contoso.com"}},
		{name: "csv with header", list: "DisplayName,PrimarySmtpAddress\nAlice Smith,alice@contoso.com\n\"Jones, Bob\",bob@contoso.com\n",
			want: []string{"alice@contoso.com", "bob@contoso.com"}, names: map[string]string{"bob@contoso.com": "Jones, Bob"}},
		{name: "Export-Csv", list: "#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\n\"Name\",\"PrimarySmtpAddress\"\n\"Alice\",\"alice@contoso.com\"\n",
			want: []string{"alice@contoso.com"}, names: map[string]string{"alice@contoso.com": "Alice"}},
		{name: "semicolons", list: "Email;Name\ncarol@contoso.com;Carol\n", want: []string{"carol@contoso.com"}, names: map[string]string{"carol@contoso.com": "Carol"}},
		{name: "pasted from a mail program", list: "Alice Smith <alice@contoso.com>; Bob <bob@contoso.com>", want: []string{"alice@contoso.com", "bob@contoso.com"},
			names: map[string]string{"alice@contoso.com": "Alice Smith"}},
		{name: "no header, name column", list: "alice@contoso.com,Alice\nbob@contoso.com,Bob\n", want: []string{"alice@contoso.com", "bob@contoso.com"},
			names: map[string]string{"bob@contoso.com": "Bob"}},
		{name: "duplicates dropped", list: "alice@contoso.com\nAlice@Contoso.com\n", want: []string{"alice@contoso.com"}},
		{name: "BOM and tabs", list: "\ufeffEmail\tDisplay Name\nerin@contoso.com\tErin\n", want: []string{"erin@contoso.com"}, names: map[string]string{"erin@contoso.com": "Erin"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			org := e.Org(t, "Org "+c.name)
			res, err := e.Service.ImportUsers(ctx, e.Operator, org, strings.NewReader(c.list))
			if err != nil {
				t.Fatal(err)
			}
			users, _ := e.Service.ListUsers(ctx, e.Operator, org)
			var got []string
			for _, u := range users {
				got = append(got, u.Email)
				if want, ok := c.names[u.Email]; ok && u.DisplayName != want {
					t.Errorf("%s: name %q, want %q", u.Email, u.DisplayName, want)
				}
				if u.Source != "csv" {
					t.Errorf("source %q", u.Source)
				}
			}
			if !slices.Equal(got, c.want) || res.Added != len(c.want) {
				t.Fatalf("imported %v (%+v), want %v", got, res, c.want)
			}
		})
	}
}

// A list with a bad line imports nothing and says which lines to fix.
func TestImportUsersBadLines(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	list := "alice@contoso.com\nbob@contoso.com\nnot-an-address@\ncarol@contoso.com\njust some words\n"
	_, err := e.Service.ImportUsers(ctx, e.Operator, org, strings.NewReader(list))
	var ie *control.ImportError
	if !errors.As(err, &ie) || ie.Total != 2 || ie.Lines[0].Line != 3 || ie.Lines[1].Line != 5 || !strings.Contains(ie.Lines[1].Message, "no email address") {
		t.Fatalf("got %v (%+v)", err, ie)
	}
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	if len(users) != 1 {
		t.Fatalf("half-imported: %d users", len(users))
	}
	for _, bad := range []string{"", "\n\n# only comments\n", "Name,Title\nAlice,CEO\n"} {
		if _, err := e.Service.ImportUsers(ctx, e.Operator, org, strings.NewReader(bad)); !errors.As(err, &ie) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// Too large.
	big := bytes.Repeat([]byte("a"), control.MaxImportBytes+10)
	if _, err := e.Service.ImportUsers(ctx, e.Operator, org, bytes.NewReader(big)); !errors.As(err, &ie) {
		t.Fatalf("oversized list: %v", err)
	}
}

// A 10,000-line CSV imports in one go; importing it again adds nothing and keeps everyone.
func TestImportLargeCSV(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Big", "user00007@big.test")
	var b strings.Builder
	b.WriteString("Email,DisplayName\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "user%05d@big.test,User %d\n", i, i)
	}
	res, err := e.Service.ImportUsers(ctx, e.Operator, org, strings.NewReader(b.String()))
	if err != nil || res.Added != 9999 || len(res.Existing) != 1 || res.Existing[0] != "user00007@big.test" {
		t.Fatalf("import: %+v %v", res.Added, err)
	}
	res, err = e.Service.ImportUsers(ctx, e.Operator, org, strings.NewReader(b.String()))
	if err != nil || res.Added != 0 || len(res.Existing) != 10000 {
		t.Fatalf("second import: %d added, %d existing, %v", res.Added, len(res.Existing), err)
	}
}

func TestImportGroup(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	_, err := e.Service.ImportGroup(ctx, e.Operator, org, "sales@contoso.com")
	fieldErr(t, err, "email_config", "Save the Email Configuration first")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	res, err := e.Service.ImportGroup(ctx, e.Operator, org, "sales@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	got := e.Emails(t, org)
	want := []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "frank@contoso.com"}
	if !slices.Equal(got, want) || res.Added != 5 || len(res.Existing) != 1 {
		t.Fatalf("imported %v (%+v)", got, res)
	}
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	if users[1].Source != "group:sales@contoso.com" || users[1].DisplayName == "" {
		t.Fatalf("bob: %+v", users[1])
	}
	_, err = e.Service.ImportGroup(ctx, e.Operator, org, "nosuchgroup@contoso.com")
	fieldErr(t, err, "group", "knows no distribution group")
	_, err = e.Service.ImportGroup(ctx, e.Operator, org, "not an address")
	fieldErr(t, err, "group", "not an email address")

	// Exchange refusing the saved account is an *ExchangeError in words for an admin,
	// with the client's error beneath and no password in sight.
	wrong := e.Org(t, "Wrong password")
	in := controltest.ContosoConfig()
	in.Password = "Not-The-Pass-42"
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, wrong, in); err != nil {
		t.Fatal(err)
	}
	_, err = e.Service.ImportGroup(ctx, e.Operator, wrong, "sales@contoso.com")
	var ee *control.ExchangeError
	var ae *ewsclient.AuthError
	if !errors.As(err, &ee) || ee.Op != "expand sales@contoso.com" || !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want an ExchangeError over an AuthError", err, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "expand sales@contoso.com: Exchange refused the service account's credentials") ||
		strings.Contains(msg, in.Password) {
		t.Fatalf("message %q", msg)
	}
	// A saved password that cannot be decrypted says so, and is no Exchange error.
	unreadable := e.Org(t, "Unreadable")
	e.SaveUnreadablePassword(t, unreadable)
	_, err = e.Service.ImportGroup(ctx, e.Operator, unreadable, "sales@contoso.com")
	if !errors.Is(err, control.ErrSealedPasswordUnreadable) || errors.As(err, &ee) {
		t.Fatalf("got %v, want ErrSealedPasswordUnreadable", err)
	}
}

func TestGetUser(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	a := e.Org(t, "A", "alice@a.test")
	b := e.Org(t, "B", "bob@b.test")
	aUsers, _ := e.Service.ListUsers(ctx, e.Operator, a)
	bUsers, _ := e.Service.ListUsers(ctx, e.Operator, b)
	alice, bob := aUsers[0], bUsers[0]
	u, err := e.Service.GetUser(ctx, controltest.Admin(a), a, alice.ID)
	if err != nil || u.ID != alice.ID || u.OrgID != a || u.Email != "alice@a.test" {
		t.Fatalf("get: %+v %v", u, err)
	}
	cases := []struct {
		name   string
		p      control.Principal
		org    int64
		userID int64
	}{
		{"another organization's admin", controltest.Admin(b), a, alice.ID},
		{"another organization's user", controltest.Admin(a), a, bob.ID},
		{"even for an operator", e.Operator, a, bob.ID},
		{"no such user", e.Operator, a, bob.ID + 1000},
	}
	for _, c := range cases {
		if _, err := e.Service.GetUser(ctx, c.p, c.org, c.userID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want store.ErrNotFound", c.name, err)
		}
	}
}

func TestEmailConfigValidation(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{DenyPrivate: true})
	org := e.Org(t, "Contoso")
	good := controltest.ContosoConfig()
	cases := []struct {
		name   string
		mutate func(*control.EmailConfigInput)
		field  string
		msg    string
	}{
		{"no logon", func(c *control.EmailConfigInput) { c.AccountLogon = " " }, "account_logon", "Enter the service account"},
		{"bad logon", func(c *control.EmailConfigInput) { c.AccountLogon = "svc sync" }, "account_logon", `DOMAIN\user`},
		{"no password on a first save", func(c *control.EmailConfigInput) { c.Password = "" }, "password", "Enter the service account's password"},
		{"no URL", func(c *control.EmailConfigInput) { c.EWSURL = "" }, "ews_url", "magic wand"},
		{"malformed URL", func(c *control.EmailConfigInput) { c.EWSURL = "https//mail.contoso.com" }, "ews_url", ""},
		{"http", func(c *control.EmailConfigInput) { c.EWSURL = "http://mail.contoso.com/EWS/Exchange.asmx" }, "ews_url", "https"},
		{"credentials in the URL", func(c *control.EmailConfigInput) { c.EWSURL = "https://svc:pw@mail.contoso.com/EWS/Exchange.asmx" }, "ews_url", ""},
		{"loopback", func(c *control.EmailConfigInput) { c.EWSURL = "https://127.0.0.1/EWS/Exchange.asmx" }, "ews_url", ""},
		{"metadata", func(c *control.EmailConfigInput) { c.EWSURL = "https://169.254.169.254/EWS/Exchange.asmx" }, "ews_url", "metadata"},
		{"auth", func(c *control.EmailConfigInput) { c.AuthMethod = "kerberos" }, "auth_method", "NTLM or Basic"},
		{"access type", func(c *control.EmailConfigInput) { c.AccessType = "imap" }, "access_type", "Choose"},
	}
	for _, c := range cases {
		in := good
		c.mutate(&in)
		_, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, in)
		fieldErr(t, err, c.field, c.msg)
	}
	if _, err := e.Store.GetEmailConfig(ctx, org); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an invalid form saved something: %v", err)
	}
}

func TestEmailConfigPasswordSealed(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso")
	v, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig())
	if err != nil || !v.HasPassword || v.Version != 1 || v.AccountLogon != "svc-sync@contoso.com" {
		t.Fatalf("save: %+v %v", v, err)
	}
	raw, err := e.Store.GetEmailConfig(ctx, org)
	if err != nil || bytes.Contains(raw.PasswordSealed, []byte(exchangesim.DefaultServicePassword)) || len(raw.PasswordSealed) < 40 {
		t.Fatalf("stored password not sealed: %v", err)
	}
	// The sealed password is bound to its organization: copied to another, it does not open.
	other := e.Org(t, "Other", "alice@contoso.com")
	if _, err := e.Store.SaveEmailConfig(ctx, store.System, 0, store.EmailConfig{OrgID: other, AccessType: raw.AccessType, AccountLogon: raw.AccountLogon,
		PasswordSealed: raw.PasswordSealed, EWSURL: raw.EWSURL, AuthMethod: raw.AuthMethod}, 0); err != nil {
		t.Fatal(err)
	}
	in := controltest.ContosoConfig()
	in.Password = ""
	if _, err := e.Service.RunCheck(ctx, e.Operator, other, in, nil); !errors.Is(err, control.ErrSealedPasswordUnreadable) || !strings.Contains(err.Error(), "cannot be decrypted") {
		t.Fatalf("a password copied to another organization opened: %v", err)
	}
	// Saving with an empty password keeps the saved one; a stale version is refused.
	in.BaseVersion = 1
	in.EWSURL = "https://mail.contoso.com/ews/exchange.asmx"
	v, err = e.Service.SaveEmailConfig(ctx, e.Operator, org, in)
	if err != nil || v.Version != 2 || !v.HasPassword {
		t.Fatalf("save without password: %+v %v", v, err)
	}
	again, _ := e.Store.GetEmailConfig(ctx, org)
	if !bytes.Equal(again.PasswordSealed, raw.PasswordSealed) {
		t.Fatal("the saved password changed on a save without one")
	}
	_, err = e.Service.SaveEmailConfig(ctx, e.Operator, org, in) // still based on version 1
	fieldErr(t, err, "version", "Someone else saved")
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	res, err := e.Service.Discover(ctx, controltest.Admin(org), org, control.DiscoverInput{AccountLogon: "svc-sync@contoso.com", Password: exchangesim.DefaultServicePassword})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.EWSURL != e.EWSURL || len(res.Attempts) == 0 {
		t.Fatalf("discovered %+v", res)
	}
	// DOMAIN\user logon: the organization's first user is asked about.
	res, err = e.Service.Discover(ctx, controltest.Admin(org), org, control.DiscoverInput{AccountLogon: `CONTOSO\svc-sync`, Password: exchangesim.DefaultServicePassword})
	if err != nil || res.Email != "alice@contoso.com" || res.EWSURL != e.EWSURL {
		t.Fatalf("discover with DOMAIN\\user: %+v %v", res, err)
	}
	// Wrong password: the trail says 401, nothing is verified.
	res, err = e.Service.Discover(ctx, controltest.Admin(org), org, control.DiscoverInput{AccountLogon: "svc-sync@contoso.com", Password: "wrong"})
	if err == nil || res == nil || res.Verified || res.Unauthorized == 0 || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong password: %+v %v", res, err)
	}
	// A trail survives the round trip through the form.
	b, _ := jsonMarshal(res)
	back, err := control.ParseTrail(string(b))
	if err != nil || len(back.Attempts) != len(res.Attempts) {
		t.Fatalf("trail round trip: %v", err)
	}
	if _, err := control.ParseTrail(`{"bogus":1}`); err == nil {
		t.Fatal("a forged trail was accepted")
	}
}

// With the address guard on, the wand cannot reach the simulator on loopback, and says so.
func TestDiscoverGuarded(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{DenyPrivate: true})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	res, err := e.Service.Discover(ctx, e.Operator, org, control.DiscoverInput{AccountLogon: "svc-sync@contoso.com", Password: exchangesim.DefaultServicePassword})
	if err == nil || res == nil || res.Verified {
		t.Fatalf("reached a loopback address through the guard: %+v", res)
	}
	blocked := false
	for _, a := range res.Attempts {
		blocked = blocked || strings.Contains(a.Err, "loopback")
	}
	if !blocked {
		t.Fatalf("no attempt says the address was refused: %+v", res.Attempts)
	}
}

func TestRunCheck(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "frank@contoso.com")
	var streamed []checker.Result
	out, err := e.Service.RunCheck(ctx, controltest.Admin(org), org, controltest.ContosoConfig(), func(r checker.Result) { streamed = append(streamed, r) })
	if err != nil {
		t.Fatal(err)
	}
	if out.Run.State != "done" || out.Summary.Users != 4 || out.Summary.OK != 2 || out.Summary.Failure != 2 {
		t.Fatalf("outcome %+v", out)
	}
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	codes := map[string]string{}
	for _, u := range users {
		codes[u.Email] = u.Status + "/" + u.StatusCode
		if u.CheckedAt == nil || u.StatusMessage == "" {
			t.Errorf("%s: no status recorded: %+v", u.Email, u)
		}
	}
	want := map[string]string{"alice@contoso.com": "ok/ok", "carol@contoso.com": "ok/ok", "bob@contoso.com": "failure/out_of_scope", "frank@contoso.com": "failure/no_mailbox"}
	for u, c := range want {
		if codes[u] != c {
			t.Errorf("%s: %s, want %s", u, codes[u], c)
		}
	}
	run, results, err := e.Service.GetCheckRun(ctx, controltest.Admin(org), org, out.Run.ID)
	if err != nil || run.State != "done" || len(results) != len(streamed) || run.AccountLogon != "svc-sync@contoso.com" {
		t.Fatalf("history: %+v, %d results (%d streamed), %v", run, len(results), len(streamed), err)
	}
	for _, r := range results {
		if strings.Contains(r.Detail+r.Message+r.Fix, exchangesim.DefaultServicePassword) {
			t.Fatal("a result holds the password")
		}
	}
	// Nothing was saved by checking: the button checks the form as it stands.
	if _, err := e.Store.GetEmailConfig(ctx, org); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("checking saved the configuration: %v", err)
	}
	// Unsaved values are what is checked: a wrong password in the form fails.
	in := controltest.ContosoConfig()
	in.Password = "wrong"
	out, err = e.Service.RunCheck(ctx, controltest.Admin(org), org, in, nil)
	if err != nil || out.Summary.ServiceAccount != checker.StatusFailure {
		t.Fatalf("wrong password: %+v %v", out.Summary, err)
	}
	// An empty password field means the saved one.
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	in.Password = ""
	out, err = e.Service.RunCheck(ctx, controltest.Admin(org), org, in, nil)
	if err != nil || out.Summary.OK != 2 {
		t.Fatalf("saved password: %+v %v", out.Summary, err)
	}
	runs, _ := e.Service.ListCheckRuns(ctx, controltest.Admin(org), org, 10)
	if len(runs) != 3 {
		t.Fatalf("%d runs in the history", len(runs))
	}
	if _, _, err := e.Service.GetCheckRun(ctx, controltest.Admin(org+1), org, out.Run.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another organization's admin read the run: %v", err)
	}
}

func TestRunCheckCancelled(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com")
	cctx, cancel := contextWithCancel()
	out, err := e.Service.RunCheck(cctx, e.Operator, org, controltest.ContosoConfig(), func(r checker.Result) { cancel() })
	if err == nil {
		t.Fatal("a cancelled check returned no error")
	}
	run, _, gerr := e.Service.GetCheckRun(ctx, e.Operator, org, out.Run.ID)
	if gerr != nil || run.State != "cancelled" || run.FinishedAt == nil {
		t.Fatalf("run %+v %v", run, gerr)
	}
}

// With the guard on, a check whose EWS host resolves to loopback is refused when
// connecting (the URL itself is a public-looking name), and says why.
func TestRunCheckGuardedAtConnect(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{DenyPrivate: true})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	out, err := e.Service.RunCheck(ctx, e.Operator, org, controltest.ContosoConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, results, err := e.Service.GetCheckRun(ctx, e.Operator, org, out.Run.ID)
	if err != nil || len(results) == 0 {
		t.Fatalf("results: %v %v", results, err)
	}
	first := results[0]
	if first.Status != "failure" || !strings.Contains(first.Message+first.Detail, "loopback") {
		t.Fatalf("first result %+v: want a failure naming the refused loopback address", first)
	}
	if out.Summary.OK != 0 {
		t.Fatalf("users checked through the guard: %+v", out.Summary)
	}
}
