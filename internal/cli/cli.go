// Package cli implements the mailbridge command line: it parses flags for each subcommand
// and calls into the application. Nothing here holds state between calls.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Run executes the subcommand named by args[0] and returns the process exit code:
// 0 success, 1 failure, 2 usage error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "mailbridge", Version())
		return 0
	case "sim":
		return runSim(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], os.Getenv, stdout, stderr)
	case "worker":
		return runWorker(ctx, args[1:], os.Getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], os.Getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], os.Getenv, stdin, stdout, stderr)
	case "discover":
		return runDiscover(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdin, stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "mailbridge: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: mailbridge <command> [flags]

Commands:
  serve     run the admin panel, the API and the sync workers
  worker    run the sync workers only (several nodes share one PostgreSQL)
  demo      run the product with the built-in "contoso" Exchange simulator, no set-up
  migrate   bring the database's schema up to date
  admin     create an operator, reset a password
  sim       run the Exchange simulator (EWS + Autodiscover, Microsoft Graph + an Entra ID token endpoint)
  discover  find a mailbox's EWS URL with Autodiscover (the magic wand) and show the trail;
            with --tenant DOMAIN, find a Microsoft 365 tenant ID
  check     check access to every user's mailbox: the service account's (EWS impersonation),
            or with --access-type microsoft365_app an app registration's (Microsoft Graph)
  version   print the version

Run "mailbridge <command> -h" for a command's flags.
`)
}

// Version returns the module version recorded at build time, or "devel".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
