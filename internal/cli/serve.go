package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/jobs"
	"github.com/mailbridge/mailbridge/internal/store"
)

// envPrefix starts the environment variable of every server flag: --data-dir is
// MAILBRIDGE_DATA_DIR. A flag on the command line wins over its variable.
const envPrefix = "MAILBRIDGE_"

// envName returns the environment variable of a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its environment
// variable, if that is set.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		if _, repeatable := f.Value.(*listFlag); repeatable {
			for _, item := range strings.Split(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					if err := f.Value.Set(item); err != nil {
						errs = append(errs, fmt.Errorf("%s: %w", envName(f.Name), err))
					}
				}
			}
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", envName(f.Name), err))
		}
	})
	return errors.Join(errs...)
}

// listFlag is a repeatable string flag (comma-separated in its environment variable).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// serverFlags are the flags shared by serve, migrate and admin: where the data is and
// how the server reaches Exchange.
type serverFlags struct {
	cfg       app.Config
	resolve   listFlag
	logLevel  string
	logFormat string
}

func (f *serverFlags) registerData(fs *flag.FlagSet) {
	fs.StringVar(&f.cfg.DataDir, "data-dir", "mailbridge-data", "directory of the SQLite database and the generated master key")
	fs.StringVar(&f.cfg.Database, "database", "", "database: sqlite:PATH or postgres://USER@HOST/DB (default sqlite:DATA-DIR/mailbridge.db)")
	fs.StringVar(&f.cfg.MasterKeyFile, "master-key-file", "", "file holding the master key that seals stored passwords (default DATA-DIR/master.key, created on first start); MAILBRIDGE_MASTER_KEY, if set, is used instead")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json")
}

// registerSync registers the flags of the sync engine and of reaching Exchange (serve
// and worker).
func (f *serverFlags) registerSync(fs *flag.FlagSet, workers int) {
	f.registerData(fs)
	fs.BoolVar(&f.cfg.Migrate, "migrate", false, "apply database migrations at start (else an out-of-date schema is refused: run `mailbridge migrate`)")
	fs.IntVar(&f.cfg.Workers, "workers", workers, "mailbox sync jobs this node runs at once (0: none)")
	fs.DurationVar(&f.cfg.PollInterval, "poll-interval", 0, "how often an up-to-date mailbox is synced again (default 10m with streaming notifications, 1m without)")
	fs.DurationVar(&f.cfg.RecheckInterval, "recheck-interval", 6*time.Hour, "how often every organization's access is re-checked (results in its Checks history)")
	fs.DurationVar(&f.cfg.GroupSyncInterval, "group-sync-interval", time.Hour, "how often the distribution groups organizations keep in sync are re-read (joiners added, leavers removed)")
	fs.DurationVar(&f.cfg.RetentionInterval, "retention-interval", time.Hour, "how often items older than an organization's retention are purged")
	fs.IntVar(&f.cfg.AccountSlots, "account-slots", 8, "sync steps running at once per service account, across all nodes (each has up to 3 EWS requests in flight; Exchange allows 27)")
	fs.IntVar(&f.cfg.ServerSlots, "server-slots", 64, "sync steps running at once per Exchange server, across all nodes and organizations")
	fs.DurationVar(&f.cfg.LeaseTTL, "lease-ttl", 12*time.Second, "how long a mailbox lease lasts unrenewed: a dead worker's mailboxes are taken over within about 1.5 times this")
	fs.BoolFunc("streaming", "sync when Exchange's streaming notifications say a mailbox changed, polling as the fallback (default true; false: polling alone)", func(s string) error { v, err := strconv.ParseBool(s); f.cfg.PollOnly = !v; return err })
	fs.Func("look-back-days", "the initial sync stores the items of the last N days (default 90)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return errors.New("must be a positive number of days")
		}
		f.cfg.LookBack = time.Duration(n) * 24 * time.Hour
		return nil
	})
	fs.BoolVar(&f.cfg.FullBody, "full-body", false, "store message bodies (as text), not only their preview")
	fs.IntVar(&f.cfg.PageSize, "page-size", 512, "item changes per SyncFolderItems page (1–512); each page is committed in one transaction")
	fs.IntVar(&f.cfg.FetchBatch, "fetch-batch", 0, "items per GetItem request (default 128)")
	fs.StringVar(&f.cfg.NodeID, "node-id", "", "this node's name in leases and the job queue (default: generated)")
	fs.StringVar(&f.cfg.EntraAuthority, "entra-authority", "", "Microsoft Entra ID's authority for Microsoft 365 app-only access (default https://login.microsoftonline.com; a national cloud's otherwise)")
	fs.StringVar(&f.cfg.GraphURL, "graph-url", "", "Microsoft Graph's base URL for Microsoft 365 app-only access (default https://graph.microsoft.com/v1.0)")
	fs.BoolVar(&f.cfg.AllowPrivateEndpoints, "allow-private-endpoints", false, "let EWS URLs and Autodiscover reach loopback and private networks (an on-premises Exchange on the company network); cloud metadata addresses stay refused")
	fs.Var(&f.resolve, "resolve", "HOST:PORT:ADDR[:PORT2]: connect to ADDR for HOST:PORT, as curl's --resolve (repeatable)")
	fs.StringVar(&f.cfg.CAFile, "ca-file", "", "PEM file of extra certificate authorities trusted for Exchange")
	f.registerNotify(fs)
}

func (f *serverFlags) registerServe(fs *flag.FlagSet) {
	f.registerSync(fs, 16)
	fs.StringVar(&f.cfg.Addr, "addr", "127.0.0.1:8080", "listen address of the admin panel and API")
	fs.StringVar(&f.cfg.TLSCert, "tls-cert", "", "serve HTTPS with this certificate (PEM) …")
	fs.StringVar(&f.cfg.TLSKey, "tls-key", "", "… and this key")
	fs.StringVar(&f.cfg.PublicURL, "public-url", "", "the URL people use (https://… makes cookies Secure behind a TLS proxy)")
	fs.DurationVar(&f.cfg.ShutdownTimeout, "shutdown-timeout", 0, "how long in-flight requests may take to finish at shutdown (default 30s)")
	fs.IntVar(&f.cfg.CheckConcurrency, "check-concurrency", 0, "EWS requests in flight per access check (default 24; Exchange allows 27)")
}

// finish applies the environment, the secrets only the environment carries, and
// returns a logger.
func (f *serverFlags) finish(fs *flag.FlagSet, getenv func(string) string, stderr io.Writer) (*slog.Logger, error) {
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	f.cfg.Resolve = f.resolve
	f.cfg.MasterKey = getenv("MAILBRIDGE_MASTER_KEY")
	f.cfg.Notify.SMTP.Password = getenv("MAILBRIDGE_SMTP_PASSWORD")
	if prev := getenv("MAILBRIDGE_PREVIOUS_MASTER_KEYS"); prev != "" {
		for _, k := range strings.Split(prev, ",") {
			if k = strings.TrimSpace(k); k != "" {
				f.cfg.PreviousKeys = append(f.cfg.PreviousKeys, k)
			}
		}
	}
	level, err := parseLevel(f.logLevel)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, not %q", f.logFormat)
}

// runServe runs `mailbridge serve`: the admin panel and API.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serverFlags
	f.registerServe(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: mailbridge serve [flags]\n\nServes the admin panel and the JSON API. Every flag can also be set by its\nenvironment variable: --data-dir is MAILBRIDGE_DATA_DIR, and so on.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mailbridge serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger, err := f.finish(fs, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge serve:", err)
		return 2
	}
	f.cfg.GenerateKey = true
	a, err := app.New(ctx, f.cfg, logger)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge serve:", err)
		return 1
	}
	defer a.Close()
	ln, err := a.Listen()
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge serve:", err)
		return 1
	}
	logger.Info("mailbridge listening", "addr", ln.Addr().String(), "version", Version())
	if err := a.Serve(ctx, ln); err != nil {
		logger.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

// runWorker runs `mailbridge worker`: the sync jobs without the web server.
func runWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serverFlags
	f.registerSync(fs, 16)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: mailbridge worker [flags]\n\nRuns the mailbox sync jobs without the web server. Several workers (and serve\nnodes) on one PostgreSQL database share the mailboxes. Flags can also be set by\ntheir environment variables, as for serve.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, failpointUsage)
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger, err := f.finish(fs, getenv, stderr)
	if err == nil {
		f.cfg.Failpoint, err = failpointFromEnv(getenv, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge worker:", err)
		return 2
	}
	a, err := app.New(ctx, f.cfg, logger)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge worker:", err)
		return 1
	}
	defer a.Close()
	logger.Info("mailbridge worker running", "workers", f.cfg.Workers, "version", Version())
	if err := a.RunWorker(ctx); err != nil {
		fmt.Fprintln(stderr, "mailbridge worker:", err)
		return 1
	}
	return 0
}

// runMigrate runs `mailbridge migrate`: brings the database's schema up to date.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serverFlags
	f.registerData(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if _, err := f.finish(fs, getenv, stderr); err != nil {
		fmt.Fprintln(stderr, "mailbridge migrate:", err)
		return 2
	}
	dsn := f.cfg.Database
	if dsn == "" {
		if err := os.MkdirAll(f.cfg.DataDir, 0o700); err != nil {
			fmt.Fprintln(stderr, "mailbridge migrate:", err)
			return 1
		}
		dsn = "sqlite:" + f.cfg.DataDir + "/mailbridge.db"
	}
	st, err := store.Open(ctx, dsn, store.Options{Migrate: true})
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge migrate:", err)
		return 1
	}
	defer st.Close()
	if err := jobs.Migrate(ctx, st); err != nil {
		fmt.Fprintln(stderr, "mailbridge migrate:", err)
		return 1
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "mailbridge migrate: %s schema at version %d (current)\n", st.Dialect(), v)
	return 0
}
