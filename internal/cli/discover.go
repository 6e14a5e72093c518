package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
)

// discoverCmd is `mailbridge discover`. resolver replaces the system's DNS for the SRV
// lookup (tests); nil means the system's.
type discoverCmd struct {
	resolver autodiscoverclient.Resolver
}

// discoverFlags are the flags of `mailbridge discover`.
type discoverFlags struct {
	user     string
	pwStdin  bool
	pwEnv    string
	auth     string
	resolve  []string
	caFile   string
	insecure bool
	jsonOut  bool
	timeout  time.Duration
	// Microsoft 365: the tenant ID of a domain.
	tenant    string
	authority string
}

func (f *discoverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.user, "service-user", "", "service account: UPN (svc@contoso.com) or DOMAIN\\user (required)")
	fs.BoolVar(&f.pwStdin, "password-stdin", false, "read the service account's password from the first line of stdin")
	fs.StringVar(&f.pwEnv, "password-env", "", "read the service account's password from this environment variable")
	fs.StringVar(&f.auth, "auth", "ntlm", "authentication: ntlm or basic")
	fs.Func("resolve", "HOST:PORT:ADDR[:PORT2]: connect to ADDR (and PORT2) for HOST:PORT, as curl's --resolve (repeatable)", func(s string) error {
		f.resolve = append(f.resolve, s)
		return nil
	})
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of extra certificate authorities to trust")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "accept any TLS certificate (exposes the credentials; for trials only)")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object instead of a table")
	fs.DurationVar(&f.timeout, "timeout", autodiscoverclient.DefaultAttemptTimeout, "time limit of each attempt (request or DNS lookup)")
	fs.StringVar(&f.tenant, "tenant", "", "Microsoft 365: find the tenant ID of this domain (contoso.com) instead of an EWS URL; no EMAIL then")
	fs.StringVar(&f.authority, "entra-authority", entra.DefaultAuthority, "with --tenant: Microsoft Entra ID's authority (a national cloud's, or a simulator's)")
}

// runDiscover runs `mailbridge discover EMAIL`: the magic wand from the command line.
// Exit status: 0 when Autodiscover named the EWS URL, 1 when it did not (a suggestion
// may be printed), 2 for usage errors.
func runDiscover(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return discoverCmd{}.run(ctx, args, stdin, stdout, stderr)
}

func (c discoverCmd) run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("discover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: mailbridge discover [flags] EMAIL
       mailbridge discover --tenant DOMAIN [--entra-authority URL] [--resolve …] [--ca-file FILE] [--json]

Finds the EWS URL of EMAIL's mailbox as Outlook does (POX and SOAP Autodiscover at the
domain and at autodiscover.<domain>, the HTTP redirect method, the DNS SRV record), and
prints every attempt. When nothing answers, it suggests the usual URL, unverified.
The password is never a flag: use --password-stdin or --password-env.

With --tenant, finds the Microsoft 365 tenant ID of a domain instead, from its OpenID
configuration document at Microsoft Entra ID (what Microsoft 365 app-only access
needs); no credentials are needed.

Exit status: 0 found, 1 not found (or only a suggestion), 2 usage error.

Flags:
`)
		fs.PrintDefaults()
	}
	var f discoverFlags
	f.register(fs)
	email, err := discoverParse(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		// The flag package has printed its own errors.
		if !errors.Is(err, errFlagSyntax) {
			fmt.Fprintf(stderr, "mailbridge discover: %v\nRun \"mailbridge discover -h\" for usage.\n", err)
		}
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.tenant != "" {
		for _, name := range []string{"service-user", "password-stdin", "password-env", "auth", "insecure-skip-verify"} {
			if set[name] {
				fmt.Fprintf(stderr, "mailbridge discover: --%s does not apply to --tenant\nRun \"mailbridge discover -h\" for usage.\n", name)
				return 2
			}
		}
		if email != "" {
			fmt.Fprintf(stderr, "mailbridge discover: --tenant takes no EMAIL (got %q)\nRun \"mailbridge discover -h\" for usage.\n", email)
			return 2
		}
		return f.discoverTenant(ctx, stdout, stderr)
	}
	if set["entra-authority"] {
		fmt.Fprintln(stderr, "mailbridge discover: --entra-authority applies to --tenant only\nRun \"mailbridge discover -h\" for usage.")
		return 2
	}
	if email == "" {
		fmt.Fprintln(stderr, "mailbridge discover: an EMAIL is required (or --tenant DOMAIN for a Microsoft 365 tenant ID)\nRun \"mailbridge discover -h\" for usage.")
		return 2
	}
	opts, err := f.options(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge discover:", err)
		return 2
	}
	opts.Resolver = c.resolver

	res, err := autodiscoverclient.Discover(ctx, email, opts)
	if res == nil {
		fmt.Fprintln(stderr, "mailbridge discover:", err)
		if errors.Is(err, autodiscoverclient.ErrInvalidEmail) {
			return 2
		}
		return 1
	}
	if f.jsonOut {
		out := struct {
			*autodiscoverclient.Result
			Error string `json:"error,omitempty"`
		}{Result: res}
		if err != nil {
			out.Error = err.Error()
		}
		if werr := json.NewEncoder(stdout).Encode(out); werr != nil {
			fmt.Fprintln(stderr, "mailbridge discover:", werr)
			return 1
		}
	} else {
		printDiscoverTrail(stdout, res)
		if err != nil {
			fmt.Fprintln(stderr, "mailbridge discover:", err)
		}
	}
	if err != nil || !res.Verified {
		return 1
	}
	return 0
}

// errFlagSyntax marks a flag error the flag package has already reported.
var errFlagSyntax = errors.New("flag syntax")

// discoverParse parses flags before and after the one EMAIL argument ("" when none).
func discoverParse(fs *flag.FlagSet, args []string) (string, error) {
	parse := func(args []string) error {
		err := fs.Parse(args)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			return fmt.Errorf("%w: %w", errFlagSyntax, err)
		}
		return err
	}
	if err := parse(args); err != nil {
		return "", err
	}
	var email string
	if fs.NArg() > 0 {
		email = fs.Arg(0)
		if err := parse(fs.Args()[1:]); err != nil {
			return "", err
		}
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("one EMAIL only (extra: %q)", fs.Args())
	}
	return email, nil
}

// options checks the flags and builds the Discover options.
func (f *discoverFlags) options(stdin io.Reader) (autodiscoverclient.Options, error) {
	var opts autodiscoverclient.Options
	if f.user == "" {
		return opts, errors.New("--service-user is required")
	}
	password, err := discoverPassword(f.pwStdin, f.pwEnv, stdin)
	if err != nil {
		return opts, err
	}
	switch strings.ToLower(f.auth) {
	case "ntlm":
		opts.Auth = ewsclient.NTLM(f.user, password)
	case "basic":
		opts.Auth = ewsclient.Basic(f.user, password)
	default:
		return opts, fmt.Errorf("--auth: want ntlm or basic, not %q", f.auth)
	}
	overrides, err := hostoverride.Parse(f.resolve)
	if err != nil {
		return opts, fmt.Errorf("--resolve: %w", err)
	}
	if overrides.Len() > 0 {
		opts.DialContext = overrides.DialContext(nil)
	}
	if opts.RootCAs, err = caPool(f.caFile); err != nil {
		return opts, err
	}
	opts.InsecureSkipVerify = f.insecure
	if f.timeout <= 0 {
		return opts, errors.New("--timeout must be positive")
	}
	opts.AttemptTimeout = f.timeout
	return opts, nil
}

// discoverPassword reads the password from stdin's first line or from an environment
// variable: exactly one of the two.
func discoverPassword(fromStdin bool, env string, stdin io.Reader) (string, error) {
	switch {
	case fromStdin && env != "":
		return "", errors.New("--password-stdin and --password-env are exclusive")
	case fromStdin:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("--password-stdin: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", errors.New("--password-stdin: no password on stdin")
		}
		return pw, nil
	case env != "":
		pw, ok := os.LookupEnv(env)
		if !ok || pw == "" {
			return "", fmt.Errorf("--password-env: $%s is not set", env)
		}
		return pw, nil
	}
	return "", errors.New("give the password with --password-stdin or --password-env VAR (never on the command line)")
}

// printDiscoverTrail writes the attempts as a table, then the URL settled on.
func printDiscoverTrail(w io.Writer, res *autodiscoverclient.Result) {
	fmt.Fprintf(w, "Autodiscover for %s\n\n", res.Email)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tMETHOD\tOUTCOME\tHTTP\tTIME\tURL\tDETAIL")
	for i, a := range res.Attempts {
		status, took := "-", "-"
		if a.HTTPStatus != 0 {
			status = fmt.Sprint(a.HTTPStatus)
		}
		if a.Duration > 0 {
			took = fmt.Sprintf("%.1fms", float64(a.Duration)/float64(time.Millisecond))
		}
		var detail []string
		if a.Email != "" && !strings.EqualFold(a.Email, res.Email) {
			detail = append(detail, "for "+a.Email)
		}
		switch {
		case a.Outcome == autodiscoverclient.OutcomeOK:
			detail = append(detail, "EWS URL "+a.EWSURL)
		case a.Outcome == autodiscoverclient.OutcomeSuggestion:
		case a.RedirectTo != "":
			detail = append(detail, "-> "+a.RedirectTo)
		}
		if a.Err != "" && a.Outcome != autodiscoverclient.OutcomeSuggestion {
			detail = append(detail, a.Err)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, a.Method, a.Outcome, status, took, a.URL, strings.Join(detail, "; "))
	}
	tw.Flush()
	fmt.Fprintln(w)
	switch {
	case res.Verified:
		fmt.Fprintf(w, "EWS URL: %s\n  found by %s (attempt %d) for %s\n", res.EWSURL, res.Method, res.FoundBy+1, res.Mailbox)
	case res.EWSURL != "":
		fmt.Fprintf(w, "No Autodiscover answer named the EWS URL.\nSuggestion (unverified, check it before use): %s\n", res.EWSURL)
		if len(res.Suggestions) > 1 {
			fmt.Fprintf(w, "  other usual URLs: %s\n", strings.Join(res.Suggestions[1:], ", "))
		}
	default:
		fmt.Fprintln(w, "No EWS URL found.")
	}
	if res.Unauthorized > 0 {
		fmt.Fprintf(w, "%d attempt(s) answered HTTP 401 Unauthorized.\n", res.Unauthorized)
	}
	for _, a := range res.Attempts {
		if a.Outcome == autodiscoverclient.OutcomeTLSError {
			fmt.Fprintln(w, "A TLS certificate was refused: if the server's CA is private, pass it with --ca-file.")
			break
		}
	}
}

// tenantJSON is `discover --tenant --json`'s object.
type tenantJSON struct {
	Tenant        string `json:"tenant"`
	TenantID      string `json:"tenant_id,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	TokenEndpoint string `json:"token_endpoint,omitempty"`
	RegionScope   string `json:"region_scope,omitempty"`
	Error         string `json:"error,omitempty"`
	Fix           string `json:"fix,omitempty"`
}

// discoverTenant is `mailbridge discover --tenant DOMAIN`: the tenant ID from the
// domain's OpenID configuration document. Exit status: 0 found, 1 unknown domain or
// unreachable, 2 usage error.
func (f *discoverFlags) discoverTenant(ctx context.Context, stdout, stderr io.Writer) int {
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mailbridge discover: "+format+"\nRun \"mailbridge discover -h\" for usage.\n", a...)
		return 2
	}
	tenant := strings.ToLower(strings.TrimSpace(f.tenant))
	if !entra.ValidTenant(tenant) {
		return usageErr("--tenant %q: want a domain such as contoso.com (or a tenant ID, to confirm it exists)", f.tenant)
	}
	if err := checkHTTPSURL(f.authority); err != nil {
		return usageErr("--entra-authority: %v", err)
	}
	if f.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	opts := entra.Options{Authority: f.authority, Timeout: f.timeout}
	var err error
	if opts.RootCAs, err = caPool(f.caFile); err != nil {
		return usageErr("%v", err)
	}
	overrides, err := hostoverride.Parse(f.resolve)
	if err != nil {
		return usageErr("--resolve: %v", err)
	}
	if overrides.Len() > 0 {
		opts.DialContext = overrides.DialContext(nil)
	}
	t, err := entra.DiscoverTenant(ctx, tenant, opts)
	out := tenantJSON{Tenant: tenant}
	if err != nil {
		out.Error = err.Error()
		var te *entra.TokenError
		if errors.As(err, &te) && te.Message != "" {
			out.Error, out.Fix = te.Message, te.Fix
		}
	} else {
		out.TenantID, out.Issuer, out.TokenEndpoint, out.RegionScope = t.ID, t.Issuer, t.TokenEndpoint, t.RegionScope
	}
	if f.jsonOut {
		if werr := json.NewEncoder(stdout).Encode(out); werr != nil {
			fmt.Fprintln(stderr, "mailbridge discover:", werr)
			return 1
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "mailbridge discover: %s\n", out.Error)
		if out.Fix != "" {
			fmt.Fprintf(stderr, "  %s\n", out.Fix)
		}
		return 1
	}
	if !f.jsonOut {
		fmt.Fprintf(stdout, "Tenant ID: %s\n  the tenant of %s, from its OpenID configuration at %s\n", t.ID, tenant, strings.TrimRight(f.authority, "/"))
		if t.TokenEndpoint != "" {
			fmt.Fprintf(stdout, "  token endpoint: %s\n", t.TokenEndpoint)
		}
	}
	return 0
}
