package cli

import (
	"bufio"
	"context"
	"crypto/x509"
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

Finds the EWS URL of EMAIL's mailbox as Outlook does (POX and SOAP Autodiscover at the
domain and at autodiscover.<domain>, the HTTP redirect method, the DNS SRV record), and
prints every attempt. When nothing answers, it suggests the usual URL, unverified.
The password is never a flag: use --password-stdin or --password-env.

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

// discoverParse parses flags before and after the one EMAIL argument.
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
	switch {
	case email == "":
		return "", errors.New("an EMAIL is required")
	case fs.NArg() > 0:
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
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return opts, fmt.Errorf("--ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return opts, fmt.Errorf("--ca-file %s: no PEM certificate in it", f.caFile)
		}
		opts.RootCAs = pool
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
