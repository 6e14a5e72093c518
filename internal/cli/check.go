package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
)

// checkFlags are the flags of `mailbridge check`.
type checkFlags struct {
	ewsURL       string
	autodiscover string
	serviceUser  string
	pwStdin      bool
	pwEnv        string
	auth         string
	users        []string
	usersFile    string
	concurrency  int
	caFile       string
	insecure     bool
	resolve      []string
	single       string
	jsonOut      bool
	// Microsoft 365 (app-only) access.
	accessType     string
	tenant         string
	clientID       string
	secretEnv      string
	certFile       string // --client-certificate: PEM with the certificate and key
	entraAuthority string
	graphURL       string
}

func (f *checkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.ewsURL, "ews-url", "", "EWS URL, such as https://mail.contoso.com/EWS/Exchange.asmx")
	fs.StringVar(&f.autodiscover, "autodiscover", "", "find the EWS URL with Autodiscover for this EMAIL instead of --ews-url")
	fs.StringVar(&f.serviceUser, "service-user", "", "service account: UPN (svc@contoso.com) or DOMAIN\\user (required)")
	fs.BoolVar(&f.pwStdin, "password-stdin", false, "read the service account's password from the first line of stdin")
	fs.StringVar(&f.pwEnv, "password-env", "", "read the service account's password from this environment variable")
	fs.StringVar(&f.auth, "auth", "ntlm", "authentication: ntlm or basic")
	fs.Func("user", "a user's email address to check (repeatable)", func(s string) error {
		f.users = append(f.users, s)
		return nil
	})
	fs.StringVar(&f.usersFile, "users", "", "file of users to check: one address a line, or CSV with a header naming the address column (email, PrimarySmtpAddress, …; Export-Csv output works as is); # comments and blank lines ignored")
	fs.IntVar(&f.concurrency, "concurrency", checker.DefaultConcurrency, "users checked at once (Exchange allows 27 requests in flight per account by default)")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of extra certificate authorities to trust")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "accept any TLS certificate (exposes the credentials; for trials only)")
	fs.Func("resolve", "HOST:PORT:ADDR[:PORT2]: connect to ADDR (and PORT2) for HOST:PORT, as curl's --resolve (repeatable)", func(s string) error {
		f.resolve = append(f.resolve, s)
		return nil
	})
	fs.StringVar(&f.single, "single", "", "check this one mailbox step by step, stopping at the first failure")
	fs.BoolVar(&f.jsonOut, "json", false, "write JSON Lines: one object per result, then a summary object")
	fs.StringVar(&f.accessType, "access-type", accessEWS, "how mailbridge reaches the mailboxes: "+accessEWS+" (EWS, Exchange on premises) or "+accessApp+" (an app registration, Microsoft Graph)")
	fs.StringVar(&f.tenant, "tenant", "", accessApp+": the tenant, one of its domains (contoso.com) or its ID (required)")
	fs.StringVar(&f.clientID, "client-id", "", accessApp+": the app registration's Application (client) ID (required)")
	fs.StringVar(&f.secretEnv, "client-secret-env", defaultSecretEnv, accessApp+": the environment variable holding the app's client secret")
	fs.StringVar(&f.certFile, "client-certificate", "", accessApp+": a PEM file with the app's certificate and its private key, instead of a client secret")
	fs.StringVar(&f.entraAuthority, "entra-authority", entra.DefaultAuthority, accessApp+": Microsoft Entra ID's authority (a national cloud's, or a simulator's)")
	fs.StringVar(&f.graphURL, "graph-url", graph.DefaultBaseURL, accessApp+": Microsoft Graph's base URL")
}

// The access types of `mailbridge check` (control's names for them).
const (
	accessEWS = "exchange_impersonation"
	accessApp = "microsoft365_app"
)

// defaultSecretEnv is the environment variable the app's client secret is read from.
const defaultSecretEnv = "MAILBRIDGE_CLIENT_SECRET"

// ewsOnlyFlags and appOnlyFlags belong to one access type: given with the other, they
// are a usage error rather than silently ignored.
var (
	ewsOnlyFlags = []string{"ews-url", "autodiscover", "service-user", "password-stdin", "password-env", "auth", "single", "insecure-skip-verify"}
	appOnlyFlags = []string{"tenant", "client-id", "client-secret-env", "client-certificate", "entra-authority", "graph-url"}
)

// runCheck runs `mailbridge check`: the "Check Users Exchange Impersonated Access" (or
// "Check Users Microsoft 365 Access") button from the command line. Exit status: 0
// nothing failed (warnings allowed), 1 a user failed, 2 a usage error or a failing
// service account (or app).
func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: mailbridge check [flags] [USERS-FILE...]

Checks that mailbridge can reach every user's mailbox, and says for each problem what
is wrong and how to fix it.

With --access-type exchange_impersonation (the default), through EWS impersonation:
first the service account itself (endpoint, TLS, credentials, server version, its own
mailbox), then each user (mailbox, impersonation, Inbox/Calendar/Contacts, sync).
--single checks one mailbox step by step instead. The password is never a flag: use
--password-stdin or --password-env.

With --access-type microsoft365_app, through an app registration and Microsoft Graph:
first the app (a token from Microsoft Entra ID, its application permissions), then
each user (mailbox, the app's RBAC scope, Inbox/Calendar/Contacts). Give --tenant and
--client-id; the client secret is read from $MAILBRIDGE_CLIENT_SECRET (or the variable
--client-secret-env names), never from a flag, or --client-certificate names a PEM file
with the app's certificate and private key.

Users are given with --user, --users FILE, or as USERS-FILE arguments: one address a
line, or CSV with an address column.

Exit status: 0 nothing failed (warnings allowed), 1 a user failed, 2 usage error or the
service account (or the app) failed.

Flags:
`)
		fs.PrintDefaults()
	}
	var f checkFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mailbridge check: "+format+"\nRun \"mailbridge check -h\" for usage.\n", a...)
		return 2
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var foreign []string
	switch f.accessType {
	case accessEWS:
		foreign = appOnlyFlags
	case accessApp:
		foreign = ewsOnlyFlags
	default:
		return usageErr("--access-type: want %s or %s, not %q", accessEWS, accessApp, f.accessType)
	}
	for _, name := range foreign {
		if set[name] {
			return usageErr("--%s does not apply to --access-type %s", name, f.accessType)
		}
	}
	if f.concurrency < 1 {
		return usageErr("--concurrency must be at least 1")
	}
	if f.single != "" && (len(f.users) > 0 || f.usersFile != "" || fs.NArg() > 0) {
		return usageErr("--single checks one mailbox: it excludes --user, --users and users files")
	}
	users := slices.Clone(f.users)
	files := fs.Args()
	if f.usersFile != "" {
		files = append([]string{f.usersFile}, files...)
	}
	for _, name := range files {
		fromFile, problems, err := readUsersFile(name)
		if err != nil {
			return usageErr("users file: %v", err)
		}
		for _, p := range problems {
			fmt.Fprintln(stderr, "mailbridge check: warning:", p)
		}
		users = append(users, fromFile...)
	}
	overrides, err := hostoverride.Parse(f.resolve)
	if err != nil {
		return usageErr("--resolve: %v", err)
	}
	if f.accessType == accessApp {
		return runCheckApp(ctx, f, users, overrides, stdout, stderr, usageErr)
	}

	switch {
	case f.serviceUser == "":
		return usageErr("--service-user is required")
	case f.ewsURL == "" && f.autodiscover == "":
		return usageErr("give the EWS URL with --ews-url, or --autodiscover EMAIL to find it")
	case f.ewsURL != "" && f.autodiscover != "":
		return usageErr("--ews-url and --autodiscover are exclusive")
	}
	auth := checker.AuthMethod(strings.ToLower(f.auth))
	if auth != checker.AuthNTLM && auth != checker.AuthBasic {
		return usageErr("--auth: want ntlm or basic, not %q", f.auth)
	}
	password, err := checkPassword(f.pwStdin, f.pwEnv, stdin)
	if err != nil {
		return usageErr("%v", err)
	}
	cfg := checker.Config{
		EWSURL: f.ewsURL, ServiceAccount: f.serviceUser, Password: password, Auth: auth,
		CAFile: f.caFile, InsecureSkipVerify: f.insecure,
	}
	if overrides.Len() > 0 {
		cfg.DialContext = overrides.DialContext(nil)
	}
	if f.autodiscover != "" {
		url, code := discoverEWSURL(ctx, f, cfg, stderr)
		if code != 0 {
			return code
		}
		cfg.EWSURL = url
	}
	c, err := checker.New(cfg, checker.Options{Concurrency: f.concurrency})
	if err != nil {
		return usageErr("%v", err)
	}
	target := checkTarget{
		head:     fmt.Sprintf("Service account %s at %s (%s)", cfg.ServiceAccount, cfg.EWSURL, strings.ToUpper(string(cfg.Auth))),
		account:  "service account",
		requests: "EWS",
	}
	if f.single != "" {
		target.head = fmt.Sprintf("Step-by-step check of %s as %s at %s (%s)", f.single, cfg.ServiceAccount, cfg.EWSURL, strings.ToUpper(string(cfg.Auth)))
		return reportCheck(ctx, f, target, 0, func(ctx context.Context, emit func(checker.Result)) (checker.Summary, error) {
			return c.CheckMailbox(ctx, f.single, emit)
		}, stdout, stderr)
	}
	if len(users) == 0 {
		fmt.Fprintln(stderr, "mailbridge check: no users given (--user, --users): checking the service account only")
	}
	return reportCheck(ctx, f, target, len(checker.UniqueUsers(users)), func(ctx context.Context, emit func(checker.Result)) (checker.Summary, error) {
		return c.Check(ctx, users, emit)
	}, stdout, stderr)
}

// checkTarget describes what a check ran against, for its output.
type checkTarget struct {
	head     string // the output's first line
	account  string // what the account-level results are of: "service account", "app"
	requests string // the protocol of the requests counted: "EWS", "Graph"
}

// reportCheck runs a check, showing its results as they come (a progress line on a
// terminal) and at the end, and returns the exit status. total is the number of users
// (0 for none, or for --single).
func reportCheck(ctx context.Context, f checkFlags, target checkTarget, total int,
	run func(context.Context, func(checker.Result)) (checker.Summary, error), stdout, stderr io.Writer) int {
	// A live progress line, on a terminal only, and not over JSON Lines written to the
	// same terminal.
	var prog *progress
	if total > 0 && isTerminal(stderr) && !(f.jsonOut && isTerminal(stdout)) {
		prog = startTerminalProgress(stderr, total)
	}
	out := newCheckOutput(stdout, f.jsonOut, prog)
	sum, err := run(ctx, out.add)
	if prog != nil {
		prog.stop()
	}
	code := 0
	switch {
	case sum.ServiceAccountFailed():
		code = 2
	case sum.UsersFailed():
		code = 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge check: stopped:", err)
		code = max(code, 1)
	}
	if werr := out.finish(sum, code, target, f.single != ""); werr != nil {
		fmt.Fprintln(stderr, "mailbridge check:", werr)
		return max(code, 1)
	}
	return code
}

// discoverEWSURL finds the EWS URL with Autodiscover. A non-zero code means it failed and
// the check must stop with it.
func discoverEWSURL(ctx context.Context, f checkFlags, cfg checker.Config, stderr io.Writer) (string, int) {
	opts := autodiscoverclient.Options{DialContext: cfg.DialContext, InsecureSkipVerify: f.insecure}
	if cfg.Auth == checker.AuthBasic {
		opts.Auth = ewsclient.Basic(cfg.ServiceAccount, cfg.Password)
	} else {
		opts.Auth = ewsclient.NTLM(cfg.ServiceAccount, cfg.Password)
	}
	pool, err := caPool(f.caFile)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge check:", err)
		return "", 2
	}
	opts.RootCAs = pool
	res, err := autodiscoverclient.Discover(ctx, f.autodiscover, opts)
	switch {
	case err == nil && res.Verified:
		fmt.Fprintf(stderr, "mailbridge check: Autodiscover found the EWS URL %s (by %s)\n", res.EWSURL, res.Method)
		return res.EWSURL, 0
	case res == nil:
		fmt.Fprintln(stderr, "mailbridge check: --autodiscover:", err)
		return "", 2
	}
	fmt.Fprintf(stderr, "mailbridge check: Autodiscover did not find the EWS URL for %s: %v\n", f.autodiscover, err)
	if res.EWSURL != "" {
		fmt.Fprintf(stderr, "  the usual URL would be %s (unverified): pass it with --ews-url to check it\n", res.EWSURL)
	}
	fmt.Fprintln(stderr, "  run \"mailbridge discover\" with the same flags to see every attempt")
	return "", 2
}

// checkPassword reads the password from stdin's first line or from an environment
// variable: exactly one of the two.
func checkPassword(fromStdin bool, env string, stdin io.Reader) (string, error) {
	switch {
	case fromStdin && env != "":
		return "", errors.New("--password-stdin and --password-env are exclusive")
	case fromStdin:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("--password-stdin: %w", err)
		}
		if pw := strings.TrimRight(line, "\r\n"); pw != "" {
			return pw, nil
		}
		return "", errors.New("--password-stdin: no password on stdin")
	case env != "":
		if pw := os.Getenv(env); pw != "" {
			return pw, nil
		}
		return "", fmt.Errorf("--password-env: $%s is not set", env)
	}
	return "", errors.New("give the password with --password-stdin or --password-env VAR (never on the command line)")
}

// readUsersFile reads the users of --users with checker.ParseUserList: one address a
// line, or CSV with an address column. Entries that are not addresses are kept (the
// check reports them as invalid_address) and described in problems, with their line
// numbers.
func readUsersFile(name string) (users, problems []string, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	entries, err := checker.ParseUserList(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, e := range entries {
		if !checker.ValidAddress(e.Address) {
			problems = append(problems, fmt.Sprintf("%s:%d: %q is not an email address", name, e.Line, e.Address))
		}
		users = append(users, e.Address)
	}
	return users, problems, nil
}

// checkOutput shows results: JSON Lines as they arrive, or tables at the end; each
// result also goes to the progress line, if there is one.
type checkOutput struct {
	stdout  io.Writer
	json    bool
	enc     *json.Encoder
	prog    *progress
	results []checker.Result
	err     error
}

func newCheckOutput(stdout io.Writer, jsonOut bool, prog *progress) *checkOutput {
	o := &checkOutput{stdout: stdout, json: jsonOut, prog: prog}
	if jsonOut {
		o.enc = json.NewEncoder(stdout)
		o.enc.SetEscapeHTML(false)
	}
	return o
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (o *checkOutput) add(r checker.Result) {
	o.results = append(o.results, r)
	if o.json && o.err == nil {
		o.err = o.enc.Encode(r)
	}
	if o.prog != nil {
		o.prog.add(r)
	}
}

// summaryLine is the JSON summary object that ends --json output.
type summaryLine struct {
	IsSummary bool `json:"summary"`
	checker.Summary
	ExitCode int `json:"exit_code"`
}

func (o *checkOutput) finish(sum checker.Summary, code int, target checkTarget, single bool) error {
	if o.json {
		if o.err != nil {
			return o.err
		}
		return o.enc.Encode(summaryLine{IsSummary: true, Summary: sum, ExitCode: code})
	}
	fmt.Fprintf(o.stdout, "%s\n\n", target.head)
	if single {
		o.printSteps()
	} else {
		o.printTables()
	}
	fmt.Fprintf(o.stdout, "\nSummary: %d user(s): %d ok, %d warning, %d failure; %s: %s; %d %s request(s) in %s.\n",
		sum.Users, sum.OK, sum.Warning, sum.Failure, target.account, cmp.Or(string(sum.ServiceAccount), "not checked"), sum.Requests, target.requests,
		sum.Duration.Round(time.Millisecond))
	return nil
}

// finals returns the account results and each user's final result, problems first.
func (o *checkOutput) finals() (account, users []checker.Result) {
	index := map[string]int{}
	for _, r := range o.results {
		if r.User == "" {
			account = append(account, r)
			continue
		}
		k := strings.ToLower(r.User)
		if i, ok := index[k]; ok {
			users[i] = r
			continue
		}
		index[k] = len(users)
		users = append(users, r)
	}
	rank := map[checker.Status]int{checker.StatusFailure: 0, checker.StatusWarning: 1, checker.StatusOK: 2}
	slices.SortStableFunc(users, func(a, b checker.Result) int { return rank[a.Status] - rank[b.Status] })
	return account, users
}

func (o *checkOutput) printTables() {
	w := o.stdout
	account, users := o.finals()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tCODE\tMESSAGE")
	for _, r := range account {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Check, r.Status, r.Code, oneLine(r.Message))
	}
	tw.Flush()
	if len(users) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tSTATUS\tCODE\tMESSAGE")
		for _, r := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.User, r.Status, r.Code, oneLine(r.Message))
		}
		tw.Flush()
	}
	// Fixes, once each: account-level ones first; users' fixes grouped by text, except
	// where an account-level result already gives the fix for its code.
	covered := map[checker.Code]bool{}
	type fix struct {
		title string
		text  string
		users []string
	}
	var fixes []*fix
	byText := map[string]*fix{}
	for _, r := range account {
		if r.Status != checker.StatusOK && r.Fix != "" {
			covered[r.Code] = true
			f := &fix{title: string(r.Check) + ": " + string(r.Code), text: r.Fix}
			fixes = append(fixes, f)
			byText[r.Fix] = f
		}
	}
	for _, r := range users {
		if r.Status == checker.StatusOK || r.Fix == "" || covered[r.Code] {
			continue
		}
		if f, ok := byText[r.Fix]; ok {
			f.users = append(f.users, r.User)
			continue
		}
		f := &fix{title: string(r.Code), text: r.Fix, users: []string{r.User}}
		fixes = append(fixes, f)
		byText[r.Fix] = f
	}
	if len(fixes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nHow to fix")
	for _, f := range fixes {
		title := f.title
		if len(f.users) > 0 {
			title += " (" + strings.Join(f.users, ", ") + ")"
		}
		fmt.Fprintf(w, "\n  %s\n", title)
		for _, line := range strings.Split(f.text, "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

func (o *checkOutput) printSteps() {
	w := o.stdout
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSTEP\tSTATUS\tCODE\tMESSAGE")
	for i, r := range o.results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i+1, r.Check, r.Status, r.Code, oneLine(r.Message))
	}
	tw.Flush()
	for _, r := range o.results {
		if r.Status != checker.StatusOK && r.Fix != "" {
			fmt.Fprintf(w, "\n%s (%s): how to fix\n", r.Check, r.Code)
			for _, line := range strings.Split(r.Fix, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	if n := len(o.results); n > 0 && o.results[n-1].Status == checker.StatusFailure {
		fmt.Fprintf(w, "\nStopped at the first failure: %s.\n", o.results[n-1].Check)
	}
}

// oneLine keeps a message on one table row.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
