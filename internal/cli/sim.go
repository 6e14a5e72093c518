package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverserver"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// simFlags are the flags of `mailbridge sim` (and the simulator part of `demo`).
type simFlags struct {
	addr         string
	tls          bool
	stateDir     string
	scenario     string
	users, items int
	seed         uint64
	auth         string
	version      string
	throttle     exchangesim.ThrottlePolicy
	faults       exchangesim.Faults
	errorRates   string
	moving       string
	stateTTL     time.Duration
	autodiscover string
	adRedirects  string
	adHTTP       bool
	externalEWS  string
	hosts        string
	logLevel     string
	// Microsoft 365 side: Graph, the token endpoint, Exchange Online mode.
	exchangeOnline bool
	msHosts        bool
	tokenLifetime  time.Duration
	graphThrottle  exchangesim.GraphThrottlePolicy
}

func (f *simFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:0", "listen address; port 0 picks a free port")
	fs.BoolVar(&f.tls, "tls", false, "serve HTTPS with a generated CA (its PEM path is printed as ca_cert)")
	fs.StringVar(&f.stateDir, "state-dir", "", "where to write the CA certificate (default: a new temporary directory)")
	fs.StringVar(&f.scenario, "scenario", "", "load the world from this JSON scenario file instead of the built-in \"contoso\"")
	fs.IntVar(&f.users, "users", 0, "generate this many users (user00001@example.com …) instead of contoso")
	fs.IntVar(&f.items, "items", 0, "with --users: items per generated mailbox")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for generated content and injected faults")
	fs.StringVar(&f.auth, "auth", "basic,ntlm", "enabled authentication methods: basic, ntlm, or both")
	fs.StringVar(&f.version, "exchange", "2016", "Exchange version to imitate: 2016 or 2019")
	fs.IntVar(&f.throttle.MaxConcurrency, "max-concurrency", 27, "EWSMaxConcurrency per budget (-1: unlimited)")
	fs.Float64Var(&f.throttle.RatePerSecond, "rate", 0, "requests per second per budget before ErrorServerBusy (0: unlimited)")
	fs.IntVar(&f.throttle.Burst, "burst", 0, "token-bucket burst for --rate (default: one second's worth)")
	fs.Func("charge-to", "budget of impersonated requests: target (Exchange 2016 default) or caller", func(s string) error {
		switch exchangesim.ChargeTo(s) {
		case exchangesim.ChargeTarget, exchangesim.ChargeCaller:
			f.throttle.ChargeTo = exchangesim.ChargeTo(s)
			return nil
		}
		return fmt.Errorf("must be target or caller")
	})
	fs.IntVar(&f.faults.LatencyMS, "latency", 0, "added latency per EWS request, in milliseconds")
	fs.IntVar(&f.faults.JitterMS, "jitter", 0, "random extra latency up to this many milliseconds")
	fs.StringVar(&f.errorRates, "error-rate", "", "injected failure rates: OP=P[,OP=P…] (OP may be *), e.g. GetItem=0.1")
	fs.StringVar(&f.faults.ErrorCode, "error-code", "", "injected failure: an EWS code (default ErrorServerBusy) or HTTP503")
	fs.IntVar(&f.faults.BackOffMS, "back-off", 0, "BackOffMilliseconds of injected ErrorServerBusy")
	fs.Float64Var(&f.faults.DropRate, "drop-rate", 0, "probability of dropping a connection without an answer")
	fs.StringVar(&f.moving, "mailbox-move-in-progress", "", "mailboxes being moved: every EWS request acting on ADDR[,ADDR…] fails with ErrorMailboxMoveInProgress")
	fs.DurationVar(&f.stateTTL, "sync-state-ttl", 0, "expire sync states: one issued longer ago than this (e.g. 10m) gets ErrorInvalidSyncStateData and the client must resync from scratch (0: never; to expire a mailbox's states at once, POST /sim/api/mailboxes/ADDR/expire-sync-states)")
	fs.StringVar(&f.autodiscover, "autodiscover", "pox,soap,json", "enabled Autodiscover endpoints: pox, soap, json (empty: none)")
	fs.StringVar(&f.adRedirects, "autodiscover-redirect", "", "answer Autodiscover for MATCH with a redirect: MATCH=ADDRESS or MATCH=https://URL[,…] (MATCH: an address or a domain)")
	fs.BoolVar(&f.adHTTP, "autodiscover-http-redirect", false, "serve the HTTP redirect method: plain-HTTP GET of autodiscover.xml answers 302 to https")
	fs.StringVar(&f.externalEWS, "ews-url", "", "EWS URL that Autodiscover returns (default: the simulator's own)")
	fs.StringVar(&f.hosts, "hosts", "", "extra host names for the TLS certificate (the scenario's domains are always included)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&f.exchangeOnline, "exchange-online", false, "serve EWS as Exchange Online: OAuth bearer tokens (full_access_as_app) only, Basic and NTLM refused")
	fs.BoolVar(&f.msHosts, "microsoft-hosts", false, "with --tls: also cover graph.microsoft.com, login.microsoftonline.com and outlook.office365.com in the certificate")
	fs.DurationVar(&f.tokenLifetime, "token-lifetime", 0, "lifetime of issued access tokens (default 3599s, as Entra ID)")
	fs.IntVar(&f.graphThrottle.MailboxConcurrency, "graph-mailbox-concurrency", 0, "Graph requests an app may have in flight per mailbox before 429 (Exchange Online: 4; 0: unlimited)")
	fs.IntVar(&f.graphThrottle.Requests, "graph-requests", 0, "Graph requests an app may make per --graph-window before 429 (Exchange Online: 10000; 0: unlimited)")
	fs.IntVar(&f.graphThrottle.WindowSeconds, "graph-window", 600, "length of the Graph request window, in seconds")
}

func (f *simFlags) options(logger *slog.Logger) (exchangesim.Options, error) {
	opts := exchangesim.Options{Seed: f.seed, Throttle: f.throttle, Faults: f.faults, Logger: logger,
		Microsoft365: exchangesim.Microsoft365Options{ExchangeOnline: f.exchangeOnline, TokenLifetime: f.tokenLifetime, GraphThrottle: f.graphThrottle}}
	if f.tokenLifetime < 0 || f.graphThrottle.MailboxConcurrency < 0 || f.graphThrottle.Requests < 0 || f.graphThrottle.WindowSeconds < 0 {
		return opts, errors.New("--token-lifetime, --graph-mailbox-concurrency, --graph-requests and --graph-window must not be negative")
	}
	switch {
	case f.users > 0 && f.scenario != "":
		return opts, errors.New("--users and --scenario are exclusive")
	case f.users > 0:
		if f.items < 0 {
			return opts, errors.New("--items must not be negative")
		}
		opts.Scenario = exchangesim.Generate(f.users, f.items, int64(f.seed))
	case f.scenario != "":
		file, err := os.Open(f.scenario)
		if err != nil {
			return opts, err
		}
		defer file.Close()
		sc, err := exchangesim.LoadScenario(file)
		if err != nil {
			return opts, fmt.Errorf("--scenario %s: %w", f.scenario, err)
		}
		opts.Scenario = sc
	}
	methods := splitList(f.auth)
	if len(methods) == 0 {
		return opts, errors.New("--auth: name at least one method (basic, ntlm)")
	}
	for _, m := range methods {
		switch m {
		case "basic":
			opts.Auth.Basic = true
		case "ntlm":
			opts.Auth.NTLM = true
		default:
			return opts, fmt.Errorf("--auth: unknown method %q (want basic, ntlm)", m)
		}
	}
	switch f.version {
	case "2016":
		opts.Exchange = exchangesim.Exchange2016
	case "2019":
		opts.Exchange = exchangesim.Exchange2019
	default:
		return opts, fmt.Errorf("--exchange: want 2016 or 2019, not %q", f.version)
	}
	opts.Autodiscover.DisablePOX, opts.Autodiscover.DisableSOAP, opts.Autodiscover.DisableJSON = true, true, true
	for _, e := range splitList(f.autodiscover) {
		switch e {
		case "pox":
			opts.Autodiscover.DisablePOX = false
		case "soap":
			opts.Autodiscover.DisableSOAP = false
		case "json":
			opts.Autodiscover.DisableJSON = false
		default:
			return opts, fmt.Errorf("--autodiscover: unknown endpoint %q (want pox, soap, json)", e)
		}
	}
	opts.Autodiscover.HTTPRedirect = f.adHTTP
	opts.Autodiscover.ExternalEWSURL = f.externalEWS
	for _, kv := range splitList(f.adRedirects) {
		match, target, ok := strings.Cut(kv, "=")
		if !ok || match == "" || target == "" {
			return opts, fmt.Errorf("--autodiscover-redirect: %q is not MATCH=TARGET", kv)
		}
		r := autodiscoverserver.Redirect{Match: match}
		if strings.Contains(target, "://") {
			r.URL = target
		} else {
			r.Address = target
		}
		opts.Autodiscover.Redirects = append(opts.Autodiscover.Redirects, r)
	}
	opts.Faults.MovingMailboxes = splitList(f.moving)
	if f.stateTTL < 0 {
		return opts, errors.New("--sync-state-ttl must not be negative")
	}
	opts.Faults.SyncStateTTLMS = f.stateTTL.Milliseconds()
	if f.stateTTL > 0 && opts.Faults.SyncStateTTLMS == 0 {
		return opts, errors.New("--sync-state-ttl must be at least 1ms")
	}
	if f.errorRates != "" {
		opts.Faults.ErrorRate = map[string]float64{}
		// Operation names are case-sensitive, as in EWS: do not lower-case them.
		for _, kv := range strings.Split(f.errorRates, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			op, p, ok := strings.Cut(kv, "=")
			rate, err := strconv.ParseFloat(p, 64)
			if !ok || err != nil || rate < 0 || rate > 1 {
				return opts, fmt.Errorf("--error-rate: %q is not OP=P with 0 ≤ P ≤ 1", kv)
			}
			opts.Faults.ErrorRate[strings.TrimSpace(op)] = rate
		}
	}
	if err := opts.Faults.Validate(); err != nil {
		return opts, err
	}
	return opts, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(strings.ToLower(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// runSim runs `mailbridge sim`: the simulator alone, until the context ends.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: mailbridge sim [flags]\n\nRuns the Exchange simulator (EWS + Autodiscover + Microsoft Graph + Entra ID token endpoint + admin API). Once listening it prints one\nline of JSON with its URLs on stdout; logs go to stderr.\n\nFlags:")
		fs.PrintDefaults()
	}
	var f simFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level, err := parseLevel(f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge sim: --log-level:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts, err := f.options(logger)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge sim:", err)
		return 2
	}
	sim, err := exchangesim.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge sim:", err)
		return 1
	}
	srv, err := sim.Start(ctx, exchangesim.ListenConfig{Addr: f.addr, TLS: f.tls, StateDir: f.stateDir, Hosts: splitList(f.hosts), MicrosoftHosts: f.msHosts})
	if err != nil {
		fmt.Fprintln(stderr, "mailbridge sim:", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(srv.Info()); err != nil {
		fmt.Fprintln(stderr, "mailbridge sim:", err)
		return 1
	}
	logger.Info("simulator listening", "base_url", srv.Info().BaseURL, "scenario", sim.ScenarioName())
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown", "err", err)
		return 1
	}
	return 0
}
