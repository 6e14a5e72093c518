package control_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

var ctx = context.Background()

// cheapParams keep password hashing fast under the race detector.
var cheapParams = secrets.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// noSRV answers every SRV lookup "no such record", as a closed network would.
type noSRV struct{}

func (noSRV) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// env is a control.Service over a fresh SQLite store, with the contoso simulator over
// TLS reachable as contoso.com, autodiscover.contoso.com and mail.contoso.com.
type env struct {
	svc    *control.Service
	st     *store.Store
	sim    *exchangesim.Server
	op     control.Principal
	ewsURL string // https://mail.contoso.com/EWS/Exchange.asmx, served by the simulator
	dbPath string
	cfg    control.Config
}

// withClock returns another Service over the same store and simulator, with a clock.
func (e *env) withClock(t *testing.T, now func() time.Time) *control.Service {
	t.Helper()
	cfg := e.cfg
	cfg.Now = now
	svc, err := control.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

type envOpts struct {
	denyPrivate bool // leave the address guard on (the simulator is on loopback)
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := &env{ewsURL: "https://mail.contoso.com/EWS/Exchange.asmx"}
	simOpts := exchangesim.Options{}
	simOpts.Autodiscover.ExternalEWSURL = e.ewsURL
	sim, err := exchangesim.New(simOpts)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	e.sim, err = sim.Start(sctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0", TLS: true, StateDir: t.TempDir()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		c, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		e.sim.Shutdown(c)
	})
	ov, err := hostoverride.Parse(e.sim.ResolveSpecs())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.sim.CAPEM())
	e.dbPath = filepath.Join(t.TempDir(), "mb.db")
	e.st, err = store.Open(ctx, "sqlite:"+e.dbPath, store.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	sealer, err := secrets.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = control.Config{Store: e.st, Sealer: sealer, AllowPrivateEndpoints: !o.denyPrivate, Overrides: ov,
		RootCAs: pool, Resolver: noSRV{}, PasswordParams: cheapParams}
	e.svc, err = control.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.op = control.Principal{Kind: control.Operator, Label: "op@mailbridge.test"}
	return e
}

// org creates an organization with the given users and returns its id.
func (e *env) org(t *testing.T, name string, users ...string) int64 {
	t.Helper()
	o, err := e.svc.CreateOrganization(ctx, e.op, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := e.svc.AddUser(ctx, e.op, o.ID, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	return o.ID
}

// admin returns a principal for an admin of the organization.
func admin(orgID int64) control.Principal {
	return control.Principal{Kind: control.OrgAdmin, OrgID: orgID, AccountID: 0, Label: "admin@org.test"}
}

// contosoConfig is svc-sync's configuration.
func (e *env) contosoConfig() control.EmailConfigInput {
	return control.EmailConfigInput{AccessType: control.AccessExchangeImpersonation, AccountLogon: "svc-sync@contoso.com",
		Password: exchangesim.DefaultServicePassword, EWSURL: e.ewsURL, AuthMethod: "ntlm"}
}
