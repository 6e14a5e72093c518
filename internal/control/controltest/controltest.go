// Package controltest is a test helper; imported only by tests. It builds what the tests
// of internal/control, internal/web and internal/api all start from: a control.Service
// over a fresh SQLite store, with the contoso Exchange simulator served over TLS behind
// a real listener and reachable as contoso.com, autodiscover.contoso.com and
// mail.contoso.com through host overrides, as a customer's Exchange would be.
package controltest

import (
	"bytes"
	"context"
	"crypto/x509"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

// The contoso service account that holds the ApplicationImpersonation role, and the EWS
// URL the simulator's Autodiscover names.
const (
	EWSURL          = "https://mail.contoso.com/EWS/Exchange.asmx"
	ServiceLogon    = "svc-sync@contoso.com"
	ServicePassword = exchangesim.DefaultServicePassword
)

// cheapParams keep admin password hashing fast under the race detector.
var cheapParams = secrets.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Options vary an Env.
type Options struct {
	// DenyPrivate leaves the address guard on, so the simulator (on loopback) is refused.
	DenyPrivate bool
	// OnActivate is passed to control.Config.
	OnActivate func(ctx context.Context, orgID int64, userIDs []int64)
	// DSN names the database (see store.ParseDSN), empty and migrated; default a fresh
	// SQLite file. Tests that run on PostgreSQL too pass pgtest.NewDatabase(t).
	DSN string
	// Now, if set, is the clock of both the store and the Service, so that a test moves
	// time for both at once (back-offs, alert thresholds); default time.Now.
	Now func() time.Time
}

// Env is a control.Service with its store and the simulator it reaches. Everything is
// closed when the test ends.
type Env struct {
	Service  *control.Service
	Store    *store.Store
	Sim      *exchangesim.Server
	World    *exchangesim.World // Sim's organization: mailboxes to change, users to add
	Config   control.Config     // what Service was built from
	EWSURL   string             // EWSURL, served by Sim
	Operator control.Principal  // an operator acting outside any session (as the CLI does)
}

// New builds an Env.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	e := &Env{EWSURL: EWSURL, Operator: control.Principal{Kind: control.Operator, Label: "op@mailbridge.test"}}
	simOpts := exchangesim.Options{}
	simOpts.Autodiscover.ExternalEWSURL = e.EWSURL
	sim, err := exchangesim.New(simOpts)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	e.Sim, err = sim.Start(sctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0", TLS: true, StateDir: t.TempDir()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		c, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		e.Sim.Shutdown(c)
	})
	ov, err := hostoverride.Parse(e.Sim.ResolveSpecs())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.Sim.CAPEM())
	e.World = sim.World()
	dsn := opts.DSN
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(t.TempDir(), "mb.db")
	}
	e.Store, err = store.Open(context.Background(), dsn, store.Options{Migrate: true, Now: opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Store.Close() })
	sealer, err := secrets.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.Config = control.Config{Store: e.Store, Sealer: sealer, AllowPrivateEndpoints: !opts.DenyPrivate, Overrides: ov, OnActivate: opts.OnActivate,
		RootCAs: pool, Resolver: noSRV{}, PasswordParams: cheapParams, Now: opts.Now,
		EntraAuthority: e.Sim.AuthorityURL(), GraphURL: e.Sim.GraphURL()}
	e.Service, err = control.New(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// WithClock returns another Service over the same store and simulator, with a clock.
func (e *Env) WithClock(t testing.TB, now func() time.Time) *control.Service {
	t.Helper()
	cfg := e.Config
	cfg.Now = now
	svc, err := control.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// Org creates an organization with the given users and returns its id.
func (e *Env) Org(t testing.TB, name string, users ...string) int64 {
	t.Helper()
	ctx := context.Background()
	o, err := e.Service.CreateOrganization(ctx, e.Operator, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := e.Service.AddUser(ctx, e.Operator, o.ID, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	return o.ID
}

// Emails returns the addresses of an organization's users, sorted.
func (e *Env) Emails(t testing.TB, orgID int64) []string {
	t.Helper()
	users, err := e.Service.ListUsers(context.Background(), e.Operator, orgID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.Email
	}
	slices.Sort(out)
	return out
}

// OrgAdmin creates an admin account of the organization and returns it.
func (e *Env) OrgAdmin(t testing.TB, orgID int64, email, password string) store.Account {
	t.Helper()
	acc, err := e.Service.CreateOrgAdmin(context.Background(), e.Operator, orgID, control.NewAdmin{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// SaveUnreadablePassword saves ContosoConfig for the organization with its password
// sealed under another master key, as if the key had changed since: the Service cannot
// decrypt it (control.ErrSealedPasswordUnreadable).
func (e *Env) SaveUnreadablePassword(t testing.TB, orgID int64) {
	t.Helper()
	ctx := context.Background()
	base := int64(0)
	if cur, err := e.Store.GetEmailConfig(ctx, orgID); err == nil {
		base = cur.Version
	}
	other, err := secrets.NewSealer(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := other.Seal([]byte(ServicePassword), "mailbridge/email_config/"+strconv.FormatInt(orgID, 10)+"/password")
	if err != nil {
		t.Fatal(err)
	}
	c := store.EmailConfig{OrgID: orgID, AccessType: control.AccessExchangeImpersonation, AccountLogon: ServiceLogon,
		PasswordSealed: sealed, EWSURL: EWSURL, AuthMethod: "ntlm"}
	if _, err := e.Store.SaveEmailConfig(ctx, store.System, 0, c, base); err != nil {
		t.Fatal(err)
	}
}

// Admin returns a principal for an admin of the organization, without an account.
func Admin(orgID int64) control.Principal {
	return control.Principal{Kind: control.OrgAdmin, OrgID: orgID, AccountID: 0, Label: "admin@org.test"}
}

// ContosoConfig is svc-sync's Email Configuration, which the simulator accepts.
func ContosoConfig() control.EmailConfigInput {
	return control.EmailConfigInput{AccessType: control.AccessExchangeImpersonation, AccountLogon: ServiceLogon,
		Password: ServicePassword, EWSURL: EWSURL, AuthMethod: "ntlm"}
}

// ContosoAppConfig is the Email Configuration of contoso's "mailbridge sync" app
// registration (Microsoft 365 app-only), which the simulator accepts; it reads the Sales
// mailboxes, not bob's. The tenant is given by its domain.
func ContosoAppConfig() control.EmailConfigInput {
	return control.EmailConfigInput{AccessType: control.AccessMicrosoft365App, Tenant: "contoso.com",
		ClientID: exchangesim.ContosoAppClientID, Password: exchangesim.ContosoAppSecret}
}

// noSRV answers every SRV lookup "no such record", as a closed network would.
type noSRV struct{}

func (noSRV) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// LogBuffer collects a handler's log, safe for the server's goroutines, so that a test
// can check what reached it (and that no password did).
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends to the buffer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
