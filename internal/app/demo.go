package app

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/secrets"
)

// DemoEWSURL is the EWS URL the demo's Exchange answers Autodiscover with: the
// simulator, reached as mail.contoso.com through a host override.
const DemoEWSURL = "https://mail.contoso.com/EWS/Exchange.asmx"

// DemoOperator is the operator login the demo creates (its password is random, printed
// on start).
const DemoOperator = "operator@mailbridge.test"

// DemoOptions configure StartDemo.
type DemoOptions struct {
	// Addr is the admin panel's listen address; default 127.0.0.1:8080.
	Addr string
	// DataDir keeps the demo's database; default a new temporary directory, removed at
	// the end.
	DataDir string
	// OperatorPassword is the operator's password; default a random one.
	OperatorPassword string
	// PasswordParams are the argon2id parameters (tests use cheap ones).
	PasswordParams secrets.Params
	// SimOptions tune the simulator (contoso unless a scenario is set).
	SimOptions exchangesim.Options
	Logger     *slog.Logger
	// PollInterval is how often up-to-date mailboxes are synced again; default 30 s.
	PollInterval time.Duration
	// Configure, if set, adjusts the product's configuration before it starts (tests:
	// SMTP, alert and webhook settings).
	Configure func(*Config)
}

// Demo is a running demo: the product on SQLite and the contoso Exchange simulator,
// with contoso.com, autodiscover.contoso.com and mail.contoso.com resolving to the
// simulator, and one operator.
type Demo struct {
	App              *App
	URL              string // the admin panel
	Operator         string
	OperatorPassword string
	Sim              *exchangesim.Server
	World            *exchangesim.World // the simulator's organization (tests change passwords)
	ln               net.Listener
	cleanup          []func()
}

// noSRV answers every SRV lookup "not found": the demo's domain exists only in the
// simulator.
type noSRV struct{}

func (noSRV) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// StartDemo starts the simulator and the product (not yet serving: call Serve). Close
// releases everything.
func StartDemo(ctx context.Context, opts DemoOptions) (_ *Demo, err error) {
	d := &Demo{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dataDir := opts.DataDir
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "mailbridge-demo-"); err != nil {
			return nil, err
		}
		d.cleanup = append(d.cleanup, func() { os.RemoveAll(dataDir) })
	}
	simOpts := opts.SimOptions
	if simOpts.Logger == nil {
		simOpts.Logger = logger.With("component", "sim")
	}
	if simOpts.Autodiscover.ExternalEWSURL == "" {
		simOpts.Autodiscover.ExternalEWSURL = DemoEWSURL
	}
	sim, err := exchangesim.New(simOpts)
	if err != nil {
		return nil, err
	}
	simCtx, stopSim := context.WithCancel(context.WithoutCancel(ctx))
	d.Sim, err = sim.Start(simCtx, exchangesim.ListenConfig{Addr: "127.0.0.1:0", TLS: true, StateDir: filepath.Join(dataDir, "sim"),
		MicrosoftHosts: true}) // Microsoft 365 app-only access reaches it as graph.microsoft.com and login.microsoftonline.com
	if err != nil {
		stopSim()
		return nil, err
	}
	d.cleanup = append(d.cleanup, func() {
		stopSim()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d.Sim.Shutdown(sctx)
	})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(d.Sim.CAPEM())
	cfg := Config{
		Addr: opts.Addr, DataDir: dataDir, Migrate: true, GenerateKey: true,
		AllowPrivateEndpoints: true, Resolve: d.Sim.ResolveSpecs(), RootCAs: pool, Resolver: noSRV{},
		PasswordParams: opts.PasswordParams, ShutdownTimeout: 10 * time.Second,
		Workers: 8, PollInterval: cmp.Or(opts.PollInterval, 30*time.Second),
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	d.World = sim.World()
	if d.App, err = New(ctx, cfg, logger); err != nil {
		return nil, err
	}
	d.cleanup = append(d.cleanup, func() { d.App.Close() })
	d.Operator, d.OperatorPassword = DemoOperator, opts.OperatorPassword
	if d.OperatorPassword == "" {
		tok, err := secrets.NewToken()
		if err != nil {
			return nil, err
		}
		d.OperatorPassword = tok[:20]
	}
	cli := control.Principal{Kind: control.Operator, Label: "demo"}
	if _, err := d.App.Service().CreateOperator(ctx, cli, control.NewAdmin{Email: d.Operator, Name: "Demo operator", Password: d.OperatorPassword}); err != nil {
		var ie *control.InputError
		if !errors.As(err, &ie) || ie.Fields["email"] == "" {
			return nil, fmt.Errorf("create the demo operator: %w", err)
		}
		// A kept data directory has the operator already: give it the new password.
		if err := d.App.Service().ResetPassword(ctx, cli, d.Operator, d.OperatorPassword); err != nil {
			return nil, fmt.Errorf("reset the demo operator's password: %w", err)
		}
	}
	if d.ln, err = d.App.Listen(); err != nil {
		return nil, err
	}
	d.URL = "http://" + d.ln.Addr().String()
	// The simulator's Graph reaches the demo on loopback: Microsoft 365 organizations get
	// change notifications there (unless a public URL was configured).
	d.App.setListenURL(d.URL)
	return d, nil
}

// Serve serves the admin panel until ctx ends (then shuts down gracefully).
func (d *Demo) Serve(ctx context.Context) error { return d.App.Serve(ctx, d.ln) }

// Close stops the simulator and closes the store (and removes a temporary data
// directory).
func (d *Demo) Close() {
	if d.ln != nil {
		d.ln.Close()
	}
	for i := len(d.cleanup) - 1; i >= 0; i-- {
		d.cleanup[i]()
	}
	d.cleanup = nil
}
