// Package storetest is the conformance suite of internal/store: the same tests, run
// against every database the Store supports (store_test.go runs them on SQLite and
// PostgreSQL). A behaviour one database shows and the other does not is a bug.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// Opener opens a new, empty, migrated Store with these options, closed when the test
// ends. Each call gives a database of its own.
type Opener func(t *testing.T, opts store.Options) *store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Organizations", testOrganizations},
		{"DeleteOrganizationCascades", testDeleteOrganizationCascades},
		{"Accounts", testAccounts},
		{"Users", testUsers},
		{"UsersAtomic", testUsersAtomic},
		{"UsersLargeImport", testUsersLargeImport},
		{"UserStatuses", testUserStatuses},
		{"EmailConfig", testEmailConfig},
		{"EmailConfigConcurrentSaves", testEmailConfigConcurrentSaves},
		{"EmailConfigSyncFolders", testEmailConfigSyncFolders},
		{"MailboxStatusHistory", testMailboxStatusHistory},
		{"MailboxStatusHistoryBounded", testMailboxStatusHistoryBounded},
		{"FolderNoLongerSynced", testFolderNoLongerSynced},
		{"ItemListings", testItemListings},
		{"ChangeFeed", testChangeFeed},
		{"CheckRuns", testCheckRuns},
		{"Sessions", testSessions},
		{"APITokens", testAPITokens},
		{"AuditPaging", testAuditPaging},
		{"TenantScoping", testTenantScoping},
		{"RemoveUserFeed", testRemoveUserFeed},
		{"GroupSources", testGroupSources},
		{"RetentionPurge", testRetentionPurge},
		{"DeleteOrganizationLeavesNothing", testDeleteOrganizationLeavesNothing},
		{"Webhooks", testWebhooks},
		{"WebhookDeliveries", testWebhookDeliveries},
		{"WebhookStatusEvents", testWebhookStatusEvents},
		{"Incidents", testIncidents},
		{"IncidentDetectRace", testIncidentDetectRace},
		{"GraphSubscriptions", testGraphSubscriptions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 7, 9, 0, 0, 123456000, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var (
	ctx      = context.Background()
	operator = store.Actor{Label: "op@example.net"}
)

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func newOrg(t *testing.T, s *store.Store, name string) store.Organization {
	t.Helper()
	return must[store.Organization](t)(s.CreateOrganization(ctx, operator, name))
}

func testOrganizations(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	contoso := newOrg(t, s, "Contoso")
	if contoso.ID == 0 || !contoso.CreatedAt.Equal(c.Now().Truncate(time.Microsecond)) {
		t.Fatalf("created %+v", contoso)
	}
	var dup *store.DuplicateError
	_, err := s.CreateOrganization(ctx, operator, "CONTOSO")
	if !errors.As(err, &dup) || dup.What != "organization" || !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate name (other case): %v", err)
	}
	fabrikam := newOrg(t, s, "Fabrikam")
	_, err = s.AddUsers(ctx, operator, fabrikam.ID, "manual", []store.NewUser{{Email: "a@fabrikam.com"}}, false)
	ok(t, err)
	got := must[store.Organization](t)(s.GetOrganization(ctx, fabrikam.ID))
	if got.Name != "Fabrikam" || got.Users != 1 || !got.CreatedAt.Equal(fabrikam.CreatedAt) {
		t.Fatalf("get: %+v", got)
	}
	list := must[[]store.Organization](t)(s.ListOrganizations(ctx))
	if len(list) != 2 || list[0].Name != "Contoso" || list[1].Name != "Fabrikam" || list[0].Users != 0 {
		t.Fatalf("list: %+v", list)
	}
	_, err = s.GetOrganization(ctx, 999999)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteOrganization(ctx, operator, 999999), store.ErrNotFound)
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, 0, 0, 10))
	if len(audit) != 2 || audit[0].Action != "organization.create" || audit[0].Target != "Fabrikam" || audit[0].Actor != operator.Label {
		t.Fatalf("installation audit: %+v", audit)
	}
}

func testDeleteOrganizationCascades(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Gone")
	keep := newOrg(t, s, "Kept")
	for _, o := range []store.Organization{org, keep} {
		acc := must[store.Account](t)(s.CreateAccount(ctx, operator, store.Account{OrgID: o.ID, Role: store.RoleOrgAdmin, Email: fmt.Sprintf("admin%d@x.test", o.ID), PasswordHash: "h"}))
		ok(t, s.CreateSession(ctx, store.Session{TokenHash: []byte(fmt.Sprintf("session-%d", o.ID)), AccountID: acc.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}))
		_, err := s.AddUsers(ctx, operator, o.ID, "manual", []store.NewUser{{Email: "u@x.test"}}, false)
		ok(t, err)
		_, err = s.SaveEmailConfig(ctx, operator, acc.ID, store.EmailConfig{OrgID: o.ID, AccessType: "exchange_impersonation", AccountLogon: "svc", PasswordSealed: []byte{1}, EWSURL: "https://x/EWS/Exchange.asmx", AuthMethod: "ntlm"}, 0)
		ok(t, err)
		run := must[store.CheckRun](t)(s.StartCheckRun(ctx, operator, store.CheckRun{OrgID: o.ID}))
		ok(t, s.AddCheckResults(ctx, o.ID, run.ID, []store.CheckResult{{User: "u@x.test", Check: "access", Status: "ok", Code: "ok", Message: "fine"}}))
		_, err = s.CreateAPIToken(ctx, operator, store.APIToken{OrgID: o.ID, Name: "crm", TokenHash: []byte(fmt.Sprintf("tok-%d", o.ID)), Prefix: "p"})
		ok(t, err)
	}
	ok(t, s.DeleteOrganization(ctx, operator, org.ID))
	_, err := s.GetOrganization(ctx, org.ID)
	wantErr(t, err, store.ErrNotFound)
	if u := must[[]store.User](t)(s.ListUsers(ctx, org.ID)); len(u) != 0 {
		t.Fatalf("users survived: %v", u)
	}
	_, err = s.GetEmailConfig(ctx, org.ID)
	wantErr(t, err, store.ErrNotFound)
	if a := must[[]store.Account](t)(s.ListAccounts(ctx, org.ID)); len(a) != 0 {
		t.Fatalf("admins survived: %v", a)
	}
	_, _, err = s.GetSession(ctx, []byte(fmt.Sprintf("session-%d", org.ID)))
	wantErr(t, err, store.ErrNotFound)
	_, err = s.UseAPIToken(ctx, []byte(fmt.Sprintf("tok-%d", org.ID)))
	wantErr(t, err, store.ErrNotFound)
	if r := must[[]store.CheckRun](t)(s.ListCheckRuns(ctx, org.ID, 10)); len(r) != 0 {
		t.Fatalf("runs survived: %v", r)
	}
	if a := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 10)); len(a) != 0 {
		t.Fatalf("audit survived: %v", a)
	}
	// The other organization is untouched.
	if u := must[[]store.User](t)(s.ListUsers(ctx, keep.ID)); len(u) != 1 {
		t.Fatalf("kept org lost users: %v", u)
	}
	_, _, err = s.GetSession(ctx, []byte(fmt.Sprintf("session-%d", keep.ID)))
	ok(t, err)
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, 0, 0, 1))
	if audit[0].Action != "organization.delete" || audit[0].Target != "Gone" {
		t.Fatalf("deletion not audited: %+v", audit)
	}
}

func testAccounts(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	op := must[store.Account](t)(s.CreateAccount(ctx, store.System, store.Account{Role: store.RoleOperator, Email: " Op@Example.NET ", Name: "Op", PasswordHash: "hash1"}))
	if op.Email != "op@example.net" {
		t.Fatalf("email not normalized: %q", op.Email)
	}
	admin := must[store.Account](t)(s.CreateAccount(ctx, operator, store.Account{OrgID: org.ID, Role: store.RoleOrgAdmin, Email: "admin@contoso.com", PasswordHash: "hash2"}))
	var dup *store.DuplicateError
	if _, err := s.CreateAccount(ctx, operator, store.Account{OrgID: org.ID, Role: store.RoleOrgAdmin, Email: "ADMIN@contoso.com", PasswordHash: "x"}); !errors.As(err, &dup) {
		t.Fatalf("duplicate email: %v", err)
	}
	// An admin belongs to an organization that exists; an operator to none.
	_, err := s.CreateAccount(ctx, operator, store.Account{OrgID: 999999, Role: store.RoleOrgAdmin, Email: "x@y.test", PasswordHash: "x"})
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.CreateAccount(ctx, operator, store.Account{Role: store.RoleOrgAdmin, Email: "y@y.test", PasswordHash: "x"}); err == nil {
		t.Fatal("an org admin without an organization was created")
	}
	got := must[store.Account](t)(s.GetAccountByEmail(ctx, "Admin@Contoso.com"))
	if got.ID != admin.ID || got.OrgID != org.ID || got.Role != store.RoleOrgAdmin || got.PasswordHash != "hash2" {
		t.Fatalf("by email: %+v", got)
	}
	if ops := must[[]store.Account](t)(s.ListAccounts(ctx, 0)); len(ops) != 1 || ops[0].ID != op.ID {
		t.Fatalf("operators: %+v", ops)
	}
	if admins := must[[]store.Account](t)(s.ListAccounts(ctx, org.ID)); len(admins) != 1 || admins[0].ID != admin.ID {
		t.Fatalf("admins: %+v", admins)
	}
	ok(t, s.CreateSession(ctx, store.Session{TokenHash: []byte("s1"), AccountID: admin.ID, CSRFToken: "c", ExpiresAt: time.Now().Add(time.Hour)}))
	ok(t, s.SetAccountPassword(ctx, operator, admin.ID, "hash3"))
	if _, _, err := s.GetSession(ctx, []byte("s1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session survived a password change: %v", err)
	}
	if got := must[store.Account](t)(s.GetAccount(ctx, admin.ID)); got.PasswordHash != "hash3" {
		t.Fatalf("password not changed: %+v", got)
	}
	// An admin is deleted only through its own organization.
	other := newOrg(t, s, "Other")
	wantErr(t, s.DeleteAccount(ctx, operator, other.ID, admin.ID), store.ErrNotFound)
	wantErr(t, s.DeleteAccount(ctx, operator, 0, admin.ID), store.ErrNotFound)
	ok(t, s.DeleteAccount(ctx, operator, org.ID, admin.ID))
	_, err = s.GetAccount(ctx, admin.ID)
	wantErr(t, err, store.ErrNotFound)
}

func emails(us []store.User) string {
	var b []string
	for _, u := range us {
		b = append(b, u.Email)
	}
	return strings.Join(b, ",")
}

func testUsers(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	res := must[store.AddUsersResult](t)(s.AddUsers(ctx, operator, org.ID, "manual", []store.NewUser{{Email: "Bob@Contoso.com", DisplayName: "Bob"}, {Email: "alice@contoso.com"}}, false))
	if len(res.Added) != 2 || res.Added[0].Email != "bob@contoso.com" || res.Added[0].Status != "unchecked" || res.Added[0].ID == 0 {
		t.Fatalf("added: %+v", res)
	}
	users := must[[]store.User](t)(s.ListUsers(ctx, org.ID))
	if emails(users) != "alice@contoso.com,bob@contoso.com" || users[1].DisplayName != "Bob" || users[1].Source != "manual" {
		t.Fatalf("list: %+v", users)
	}
	// A single add of an existing user fails; an import skips it.
	var dup *store.DuplicateError
	_, err := s.AddUsers(ctx, operator, org.ID, "manual", []store.NewUser{{Email: "ALICE@contoso.com"}}, false)
	if !errors.As(err, &dup) || dup.Value != "alice@contoso.com" {
		t.Fatalf("duplicate: %v", err)
	}
	res = must[store.AddUsersResult](t)(s.AddUsers(ctx, operator, org.ID, "csv", []store.NewUser{{Email: "alice@contoso.com"}, {Email: "carol@contoso.com"}}, true))
	if len(res.Added) != 1 || res.Added[0].Email != "carol@contoso.com" || len(res.Skipped) != 1 || res.Skipped[0] != "alice@contoso.com" {
		t.Fatalf("import: %+v", res)
	}
	bob := users[1]
	if got := must[store.User](t)(s.GetUser(ctx, org.ID, bob.ID)); got.Email != "bob@contoso.com" {
		t.Fatalf("get: %+v", got)
	}
	ok(t, s.RemoveUser(ctx, operator, org.ID, bob.ID))
	_, err = s.GetUser(ctx, org.ID, bob.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RemoveUser(ctx, operator, org.ID, bob.ID), store.ErrNotFound)
	_, err = s.AddUsers(ctx, operator, 999999, "manual", []store.NewUser{{Email: "x@y.test"}}, false)
	wantErr(t, err, store.ErrNotFound)
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 10))
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action+" "+a.Target)
	}
	if got := strings.Join(actions, "; "); got != "user.remove bob@contoso.com; user.add carol@contoso.com; user.add 2 users" {
		t.Fatalf("audit: %s", got)
	}
}

// A failing import saves nothing: not the users before the failure, not an audit entry.
func testUsersAtomic(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	_, err := s.AddUsers(ctx, operator, org.ID, "csv", []store.NewUser{{Email: "a@x.test"}, {Email: "b@x.test"}, {Email: "A@x.test"}}, false)
	var dup *store.DuplicateError
	if !errors.As(err, &dup) || dup.Value != "a@x.test" {
		t.Fatalf("duplicate within the list: %v", err)
	}
	if users := must[[]store.User](t)(s.ListUsers(ctx, org.ID)); len(users) != 0 {
		t.Fatalf("half-saved: %v", emails(users))
	}
	if audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 10)); len(audit) != 0 {
		t.Fatalf("audited a failed import: %+v", audit)
	}
	// A cancelled context saves nothing either.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.AddUsers(cctx, operator, org.ID, "csv", []store.NewUser{{Email: "c@x.test"}}, false); err == nil {
		t.Fatal("cancelled import succeeded")
	}
	if users := must[[]store.User](t)(s.ListUsers(ctx, org.ID)); len(users) != 0 {
		t.Fatalf("half-saved: %v", emails(users))
	}
}

func testUsersLargeImport(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Big")
	var nu []store.NewUser
	for i := range 10000 {
		nu = append(nu, store.NewUser{Email: fmt.Sprintf("user%05d@big.test", i)})
	}
	res := must[store.AddUsersResult](t)(s.AddUsers(ctx, operator, org.ID, "csv", nu, true))
	if len(res.Added) != 10000 {
		t.Fatalf("added %d", len(res.Added))
	}
	users := must[[]store.User](t)(s.ListUsers(ctx, org.ID))
	if len(users) != 10000 || users[9999].Email != "user09999@big.test" {
		t.Fatalf("listed %d", len(users))
	}
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 10))
	if len(audit) != 1 || audit[0].Detail["count"] != "10000" {
		t.Fatalf("one audit entry for the import: %+v", audit)
	}
}

func testUserStatuses(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org := newOrg(t, s, "Contoso")
	other := newOrg(t, s, "Other")
	for _, o := range []int64{org.ID, other.ID} {
		_, err := s.AddUsers(ctx, operator, o, "manual", []store.NewUser{{Email: "alice@contoso.com"}, {Email: "bob@contoso.com"}}, false)
		ok(t, err)
	}
	ok(t, s.SetUserStatuses(ctx, org.ID, []store.UserStatus{
		{Email: "alice@contoso.com", Status: "ok", Code: "ok", Message: "Impersonation works."},
		{Email: "BOB@contoso.com", Status: "failure", Code: "out_of_scope", Message: "Outside the scope."},
		{Email: "nobody@contoso.com", Status: "failure", Code: "unknown_user"},
	}))
	users := must[[]store.User](t)(s.ListUsers(ctx, org.ID))
	if users[0].Status != "ok" || users[1].Status != "failure" || users[1].StatusCode != "out_of_scope" || users[1].CheckedAt == nil ||
		!users[1].CheckedAt.Equal(c.Now().Truncate(time.Microsecond)) || len(users) != 2 {
		t.Fatalf("statuses: %+v", users)
	}
	for _, u := range must[[]store.User](t)(s.ListUsers(ctx, other.ID)) {
		if u.Status != "unchecked" || u.CheckedAt != nil {
			t.Fatalf("another organization's user changed: %+v", u)
		}
	}
}

func testEmailConfig(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	admin := must[store.Account](t)(s.CreateAccount(ctx, operator, store.Account{OrgID: org.ID, Role: store.RoleOrgAdmin, Email: "admin@contoso.com", PasswordHash: "h"}))
	actor := store.Actor{Label: admin.Email}
	_, err := s.GetEmailConfig(ctx, org.ID)
	wantErr(t, err, store.ErrNotFound)
	cfg := store.EmailConfig{OrgID: org.ID, AccessType: "exchange_impersonation", AccountLogon: "svc-sync@contoso.com",
		EWSURL: "https://mail.contoso.com/EWS/Exchange.asmx", AuthMethod: "ntlm", AutodiscoverTrail: `[{"url":"x"}]`}
	_, err = s.SaveEmailConfig(ctx, actor, admin.ID, cfg, 0)
	wantErr(t, err, store.ErrNoPassword)
	cfg.PasswordSealed = []byte("sealed-1")
	saved := must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, actor, admin.ID, cfg, 0))
	if saved.Version != 1 {
		t.Fatalf("version %d", saved.Version)
	}
	got := must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID))
	if got.AccountLogon != cfg.AccountLogon || !bytes.Equal(got.PasswordSealed, []byte("sealed-1")) || got.Version != 1 ||
		got.UpdatedBy != "admin@contoso.com" || got.AutodiscoverTrail != cfg.AutodiscoverTrail {
		t.Fatalf("get: %+v", got)
	}
	// Saving without a password keeps the saved one.
	cfg.PasswordSealed, cfg.EWSURL = nil, "https://mail2.contoso.com/EWS/Exchange.asmx"
	saved = must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, actor, admin.ID, cfg, 1))
	got = must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID))
	if !bytes.Equal(got.PasswordSealed, []byte("sealed-1")) || got.EWSURL != cfg.EWSURL || got.Version != 2 || saved.Version != 2 {
		t.Fatalf("kept password: %+v", got)
	}
	// A save based on an old version is refused and changes nothing.
	cfg.AccountLogon = "someone-else"
	_, err = s.SaveEmailConfig(ctx, actor, admin.ID, cfg, 1)
	wantErr(t, err, store.ErrConflict)
	if got = must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID)); got.AccountLogon != "svc-sync@contoso.com" {
		t.Fatalf("conflicting save changed the row: %+v", got)
	}
	cfg.AccountLogon, cfg.PasswordSealed = "svc-sync@contoso.com", []byte("sealed-2")
	must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, actor, admin.ID, cfg, 2))
	// The audit log says what changed, never the password.
	audit := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 3))
	if audit[0].Action != "email_config.save" || audit[0].Detail["password"] != "changed" || audit[1].Detail["password"] != "" ||
		audit[1].Detail["ews_url"] != "https://mail2.contoso.com/EWS/Exchange.asmx" {
		t.Fatalf("audit: %+v", audit)
	}
	for _, a := range audit {
		for k, v := range a.Detail {
			if strings.Contains(v, "sealed") {
				t.Fatalf("audit detail %s holds the sealed password", k)
			}
		}
	}
	_, err = s.SaveEmailConfig(ctx, actor, 0, store.EmailConfig{OrgID: 999999, PasswordSealed: []byte("x")}, 0)
	wantErr(t, err, store.ErrNotFound)

	// Microsoft 365 app-only: the tenant as entered and resolved, the client ID, the
	// secret sealed; back to EWS, the tenant fields are emptied.
	app := store.EmailConfig{OrgID: org.ID, AccessType: "microsoft365_app", Tenant: "contoso.com", TenantID: "5a1e0c55-0000-4000-8000-00000000c0de",
		ClientID: "11111111-2222-4333-8444-555555555555", AuthMethod: "client_secret", PasswordSealed: []byte("sealed-secret")}
	must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, actor, admin.ID, app, 3))
	got = must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID))
	if got.AccessType != app.AccessType || got.Tenant != app.Tenant || got.TenantID != app.TenantID || got.ClientID != app.ClientID ||
		got.AccountLogon != "" || got.EWSURL != "" || !bytes.Equal(got.PasswordSealed, app.PasswordSealed) || got.Version != 4 {
		t.Fatalf("app-only configuration: %+v", got)
	}
	audit = must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, 0, 1))
	if audit[0].Target != app.ClientID || audit[0].Detail["tenant_id"] != app.TenantID || audit[0].Detail["access_type"] != app.AccessType {
		t.Fatalf("audit of the app-only save: %+v", audit[0])
	}
	cfg.PasswordSealed = []byte("sealed-3")
	must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, actor, admin.ID, cfg, 4))
	if got = must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID)); got.Tenant != "" || got.TenantID != "" || got.ClientID != "" || got.AccountLogon != cfg.AccountLogon {
		t.Fatalf("back to EWS: %+v", got)
	}
}

// Of two admins saving the same version at once, exactly one wins.
func testEmailConfigConcurrentSaves(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	base := must[store.EmailConfig](t)(s.SaveEmailConfig(ctx, operator, 0, store.EmailConfig{OrgID: org.ID, AccessType: "exchange_impersonation",
		AccountLogon: "svc", PasswordSealed: []byte("p"), EWSURL: "https://x/EWS/Exchange.asmx", AuthMethod: "ntlm"}, 0))
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c := base
			c.AccountLogon = fmt.Sprintf("svc-%d", i)
			_, err := s.SaveEmailConfig(ctx, operator, 0, c, base.Version)
			errs <- err
		}()
	}
	wins := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent saves of version %d succeeded, want 1", wins, base.Version)
	}
	if got := must[store.EmailConfig](t)(s.GetEmailConfig(ctx, org.ID)); got.Version != base.Version+1 {
		t.Fatalf("version %d", got.Version)
	}
}

func testCheckRuns(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	run := must[store.CheckRun](t)(s.StartCheckRun(ctx, store.Actor{Label: "admin@contoso.com"}, store.CheckRun{OrgID: org.ID, EWSURL: "https://x", AccountLogon: "svc"}))
	if run.State != "running" || run.StartedBy != "admin@contoso.com" {
		t.Fatalf("started: %+v", run)
	}
	results := []store.CheckResult{
		{Check: "service_account", Status: "ok", Code: "ok", Message: "The service account signs in."},
		{User: "alice@contoso.com", Check: "impersonation", Status: "ok", Code: "ok", Message: "ok", Detail: `{"duration_ms":3}`},
	}
	ok(t, s.AddCheckResults(ctx, org.ID, run.ID, results[:1]))
	ok(t, s.AddCheckResults(ctx, org.ID, run.ID, results[1:]))
	ok(t, s.FinishCheckRun(ctx, org.ID, run.ID, "done", "", `{"ok":2}`))
	wantErr(t, s.FinishCheckRun(ctx, org.ID, run.ID, "done", "", ""), store.ErrNotFound)
	wantErr(t, s.AddCheckResults(ctx, org.ID, run.ID, results), store.ErrConflict)
	got, res, err := s.GetCheckRun(ctx, org.ID, run.ID)
	ok(t, err)
	if got.State != "done" || got.Summary != `{"ok":2}` || got.FinishedAt == nil || len(res) != 2 || res[1].User != "alice@contoso.com" || res[1].Detail != `{"duration_ms":3}` {
		t.Fatalf("run: %+v %+v", got, res)
	}
	run2 := must[store.CheckRun](t)(s.StartCheckRun(ctx, operator, store.CheckRun{OrgID: org.ID}))
	runs := must[[]store.CheckRun](t)(s.ListCheckRuns(ctx, org.ID, 10))
	if len(runs) != 2 || runs[0].ID != run2.ID {
		t.Fatalf("list: %+v", runs)
	}
	_, err = s.StartCheckRun(ctx, operator, store.CheckRun{OrgID: 999999})
	wantErr(t, err, store.ErrNotFound)
}

func testSessions(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	op := must[store.Account](t)(s.CreateAccount(ctx, store.System, store.Account{Role: store.RoleOperator, Email: "op@x.test", PasswordHash: "h"}))
	ok(t, s.CreateSession(ctx, store.Session{TokenHash: []byte("t1"), AccountID: op.ID, CSRFToken: "csrf", ExpiresAt: c.Now().Add(time.Hour)}))
	sess, acc, err := s.GetSession(ctx, []byte("t1"))
	ok(t, err)
	if sess.CSRFToken != "csrf" || acc.ID != op.ID || acc.Role != store.RoleOperator {
		t.Fatalf("session %+v account %+v", sess, acc)
	}
	c.Add(time.Hour + time.Second)
	_, _, err = s.GetSession(ctx, []byte("t1"))
	wantErr(t, err, store.ErrNotFound)
	ok(t, s.CreateSession(ctx, store.Session{TokenHash: []byte("t2"), AccountID: op.ID, CSRFToken: "c2", ExpiresAt: c.Now().Add(time.Hour)}))
	ok(t, s.DeleteSession(ctx, []byte("t2")))
	_, _, err = s.GetSession(ctx, []byte("t2"))
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.CreateSession(ctx, store.Session{TokenHash: []byte("t3"), AccountID: 999999, ExpiresAt: c.Now().Add(time.Hour)}), store.ErrNotFound)
}

func testAPITokens(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org := newOrg(t, s, "Contoso")
	other := newOrg(t, s, "Other")
	tok := must[store.APIToken](t)(s.CreateAPIToken(ctx, operator, store.APIToken{OrgID: org.ID, Name: "crm", TokenHash: []byte("h1"), Prefix: "mb_abc"}))
	opTok := must[store.APIToken](t)(s.CreateAPIToken(ctx, operator, store.APIToken{Name: "ops", TokenHash: []byte("h2"), Prefix: "mb_def"}))
	used := must[store.APIToken](t)(s.UseAPIToken(ctx, []byte("h1")))
	if used.ID != tok.ID || used.OrgID != org.ID || used.LastUsedAt == nil {
		t.Fatalf("use: %+v", used)
	}
	if got := must[store.APIToken](t)(s.UseAPIToken(ctx, []byte("h2"))); got.OrgID != 0 || got.ID != opTok.ID {
		t.Fatalf("operator token: %+v", got)
	}
	_, err := s.UseAPIToken(ctx, []byte("nope"))
	wantErr(t, err, store.ErrNotFound)
	if l := must[[]store.APIToken](t)(s.ListAPITokens(ctx, org.ID)); len(l) != 1 || l[0].Name != "crm" {
		t.Fatalf("org tokens: %+v", l)
	}
	if l := must[[]store.APIToken](t)(s.ListAPITokens(ctx, 0)); len(l) != 1 || l[0].Name != "ops" {
		t.Fatalf("operator tokens: %+v", l)
	}
	wantErr(t, s.RevokeAPIToken(ctx, operator, other.ID, tok.ID), store.ErrNotFound)
	wantErr(t, s.RevokeAPIToken(ctx, operator, 0, tok.ID), store.ErrNotFound)
	ok(t, s.RevokeAPIToken(ctx, operator, org.ID, tok.ID))
	_, err = s.UseAPIToken(ctx, []byte("h1"))
	wantErr(t, err, store.ErrNotFound)
}

func testAuditPaging(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	org := newOrg(t, s, "Contoso")
	for i := range 25 {
		_, err := s.AddUsers(ctx, operator, org.ID, "manual", []store.NewUser{{Email: fmt.Sprintf("u%02d@x.test", i)}}, false)
		ok(t, err)
	}
	var all []string
	before := int64(0)
	for {
		page := must[[]store.AuditEntry](t)(s.ListAudit(ctx, org.ID, before, 10))
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			all = append(all, e.Target)
		}
		before = page[len(page)-1].ID
	}
	if len(all) != 25 || all[0] != "u24@x.test" || all[24] != "u00@x.test" {
		t.Fatalf("paged audit: %v", all)
	}
}

// Every organization-scoped read and change, given another organization's id, finds
// nothing and changes nothing.
func testTenantScoping(t *testing.T, open Opener) {
	s := open(t, store.Options{})
	a := newOrg(t, s, "A")
	b := newOrg(t, s, "B")
	res := must[store.AddUsersResult](t)(s.AddUsers(ctx, operator, a.ID, "manual", []store.NewUser{{Email: "u@a.test"}}, false))
	u := res.Added[0]
	run := must[store.CheckRun](t)(s.StartCheckRun(ctx, operator, store.CheckRun{OrgID: a.ID}))
	tok := must[store.APIToken](t)(s.CreateAPIToken(ctx, operator, store.APIToken{OrgID: a.ID, Name: "t", TokenHash: []byte("th"), Prefix: "p"}))
	admin := must[store.Account](t)(s.CreateAccount(ctx, operator, store.Account{OrgID: a.ID, Role: store.RoleOrgAdmin, Email: "admin@a.test", PasswordHash: "h"}))

	_, err := s.GetUser(ctx, b.ID, u.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.RemoveUser(ctx, operator, b.ID, u.ID), store.ErrNotFound)
	_, _, err = s.GetCheckRun(ctx, b.ID, run.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.AddCheckResults(ctx, b.ID, run.ID, []store.CheckResult{{Check: "x"}}), store.ErrNotFound)
	wantErr(t, s.FinishCheckRun(ctx, b.ID, run.ID, "done", "", ""), store.ErrNotFound)
	wantErr(t, s.RevokeAPIToken(ctx, operator, b.ID, tok.ID), store.ErrNotFound)
	wantErr(t, s.DeleteAccount(ctx, operator, b.ID, admin.ID), store.ErrNotFound)
	ok(t, s.SetUserStatuses(ctx, b.ID, []store.UserStatus{{Email: "u@a.test", Status: "failure"}}))

	if got := must[store.User](t)(s.GetUser(ctx, a.ID, u.ID)); got.Status != "unchecked" {
		t.Fatalf("changed through another organization: %+v", got)
	}
	if r, _, err := s.GetCheckRun(ctx, a.ID, run.ID); err != nil || r.State != "running" {
		t.Fatalf("run changed through another organization: %+v %v", r, err)
	}
	if len(must[[]store.User](t)(s.ListUsers(ctx, b.ID))) != 0 || len(must[[]store.CheckRun](t)(s.ListCheckRuns(ctx, b.ID, 10))) != 0 ||
		len(must[[]store.APIToken](t)(s.ListAPITokens(ctx, b.ID))) != 0 || len(must[[]store.Account](t)(s.ListAccounts(ctx, b.ID))) != 0 {
		t.Fatal("another organization's rows listed")
	}
}
