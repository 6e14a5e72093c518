package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// runDemo runs `mailbridge demo`: the product with the contoso Exchange simulator, on
// SQLite, with nothing to set up. contoso.com, autodiscover.contoso.com and
// mail.contoso.com lead to the simulator, so the magic wand runs real Autodiscover.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address of the admin panel (port 0 picks a free port)")
	dataDir := fs.String("data-dir", "", "keep the demo's database here (default: a temporary directory, removed at exit)")
	password := fs.String("operator-password", "", "the demo operator's password (default: random, printed)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level, err := parseLevel(*logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge demo: --log-level:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	d, err := app.StartDemo(ctx, app.DemoOptions{Addr: *addr, DataDir: *dataDir, OperatorPassword: *password, Logger: logger})
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge demo:", err)
		return 1
	}
	defer d.Close()
	fmt.Fprintf(stdout, `mailbridge demo is running.

  Admin panel:  %s
  Log in as:    %s
  Password:     %s

The Exchange of this demo is the built-in simulator, reached as contoso.com
(EWS %s). To try the whole flow: create the organization
"Contoso", add alice@contoso.com, bob@contoso.com, carol@contoso.com and
frank@contoso.com, open Email Configuration, choose Microsoft Exchange
Impersonation, enter svc-sync@contoso.com / %s, press the magic
wand, then Check Users Exchange Impersonated Access, then Save.

It is a Microsoft 365 tenant too: choose Microsoft 365 (app-only) instead, enter
the tenant contoso.com (the magic wand finds its ID), the client ID
%s and the client secret %s.

Press Ctrl+C to stop.
`, d.URL, d.Operator, d.OperatorPassword, app.DemoEWSURL, exchangesim.DefaultServicePassword,
		exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret)
	if err := d.Serve(ctx); err != nil {
		fmt.Fprintln(stderr, "mailbridge demo:", err)
		return 1
	}
	return 0
}
