// Package app wires mailbridge together: configuration → store → sealer → control →
// admin panel (internal/web) and JSON API (internal/api) → one HTTP server with health
// endpoints and graceful shutdown. It is also where the demo assembles the product with
// the Exchange simulator.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/api"
	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/graphwatch"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
	"github.com/mailbridge/mailbridge/internal/jobs"
	"github.com/mailbridge/mailbridge/internal/metrics"
	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
	"github.com/mailbridge/mailbridge/internal/web"
)

// App is an assembled mailbridge server.
type App struct {
	cfg     Config
	log     *slog.Logger
	st      *store.Store
	svc     *control.Service
	runner  *jobs.Runner
	metrics *metrics.Metrics
	web     *web.Handler
	api     *api.Handler
	handler http.Handler
	watch   appWatch          // streaming notifications (watch.go)
	notify  *control.Notifier // webhooks and alerts (notify.go)
	// graphWatch is Microsoft Graph's change notifications (graphwatch.go).
	graphWatch appGraphWatch
}

// New opens the store and builds the server. The caller closes it.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	primary, previous, generated, err := cfg.loadKeys()
	if err != nil {
		return nil, err
	}
	if generated {
		logger.Warn("created a new master key: back it up, stored passwords cannot be read without it", "file", cfg.MasterKeyFile)
	}
	sealer, err := secrets.NewSealer(primary, previous...)
	if err != nil {
		return nil, err
	}
	ov, err := hostoverride.Parse(cfg.Resolve)
	if err != nil {
		return nil, err
	}
	roots := cfg.RootCAs
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		if roots == nil {
			if roots, err = x509.SystemCertPool(); err != nil {
				roots = x509.NewCertPool()
			}
		} else {
			roots = roots.Clone()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", cfg.CAFile)
		}
	}
	st, err := store.Open(ctx, cfg.Database, store.Options{Migrate: cfg.Migrate})
	if err != nil {
		return nil, err
	}
	if cfg.Migrate {
		if err := jobs.Migrate(ctx, st); err != nil {
			st.Close()
			return nil, err
		}
	}
	if err := jobs.CheckSchema(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	a := &App{cfg: cfg, log: logger, st: st, metrics: metrics.New(st)}
	svc, err := control.New(control.Config{
		Store: st, Sealer: sealer, AllowPrivateEndpoints: cfg.AllowPrivateEndpoints, Overrides: ov,
		RootCAs: roots, Resolver: cfg.Resolver, PasswordParams: cfg.PasswordParams, OnOrganizationDeleted: a.forgetOrganization,
		EntraAuthority: cfg.EntraAuthority, GraphURL: cfg.GraphURL,
		CheckOptions: checker.Options{Concurrency: cfg.CheckConcurrency},
		OnActivate:   a.enqueue,
		EWSObserver:  a.metrics,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	a.svc = svc
	a.notify = newNotifier(svc, cfg, logger)
	if err := a.newGraphWatch(); err != nil {
		st.Close()
		return nil, err
	}
	engine := syncer.New(st, syncer.Options{LookBack: cfg.LookBack, FullBody: cfg.FullBody, StepBudget: 10 * time.Second,
		PageSize: cfg.PageSize, FetchBatch: cfg.FetchBatch, Failpoint: cfg.Failpoint})
	if a.runner, err = jobs.New(jobs.Config{Store: st, Engine: engine, Sources: orgSources{svc, cfg.FetchBatch}, NodeID: cfg.NodeID,
		Workers: cfg.Workers, PollInterval: cfg.PollInterval, LeaseTTL: cfg.LeaseTTL,
		AccountSlots: cfg.AccountSlots, ServerSlots: cfg.ServerSlots, Recheck: svc.RecheckAccess, RecheckInterval: cfg.RecheckInterval, Logger: logger.With("component", "jobs"), Observe: a.metrics.SyncStep,
		Notifier: jobsNotifier{a.notify}, WebhookInterval: cfg.Notify.WebhookInterval, AlertInterval: cfg.Notify.AlertInterval,
		Lifecycle: a.lifecycle(svc), GraphSubscriptions: a.graphWatch.w.KickAll}); err != nil {
		st.Close()
		return nil, err
	}
	secure := cfg.TLSCert != "" || strings.HasPrefix(cfg.PublicURL, "https://")
	wh, err := web.New(svc, web.Options{Secure: secure, Logger: logger})
	if err != nil {
		st.Close()
		return nil, err
	}
	ah, err := api.New(svc, api.Options{Logger: logger})
	if err != nil {
		st.Close()
		return nil, err
	}
	a.web, a.api = wh, ah
	mux := http.NewServeMux()
	mux.Handle("/api/", ah)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", a.metrics.Handler())
	// Graph's change notifications: no session, no CSRF token (Graph has neither); each
	// notification is authenticated by its subscription's clientState.
	mux.Handle("POST "+graphwatch.NotificationPath, a.graphWatch.w)
	mux.Handle("POST "+graphwatch.LifecyclePath, a.graphWatch.w)
	mux.Handle("/", wh)
	a.handler = a.recoverer(a.logRequests(securityHeaders(mux)))
	return a, nil
}

// Handler is the server's whole HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Service is the control service (the CLI's admin commands use it).
func (a *App) Service() *control.Service { return a.svc }

// Routes lists the routes of the admin panel and the API ("METHOD PATTERN").
func (a *App) Routes() []string {
	return append(append([]string{"GET /healthz", "GET /readyz", "GET /metrics"}, a.web.Routes()...), a.api.Routes()...)
}

// Close closes the store (and the webhooks' idle connections).
func (a *App) Close() error {
	a.notify.Close()
	return a.st.Close()
}

// Listen opens the configured listen address.
func (a *App) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	return ln, nil
}

// enqueue gives newly active mailboxes their sync jobs (control's OnActivate). The
// reconciler would also find them within a minute; enqueueing at once starts the sync
// when the admin presses Save.
func (a *App) enqueue(ctx context.Context, orgID int64, userIDs []int64) {
	if err := a.runner.Enqueue(ctx, orgID, userIDs); err != nil {
		a.log.Error("enqueue sync jobs", "org_id", orgID, "mailboxes", len(userIDs), "err", err)
	}
	a.watch.rescan()
	a.graphWatch.w.Kick(orgID)
}

// orgSources reads an organization's mailboxes over EWS with its saved configuration.
type orgSources struct {
	svc        *control.Service
	fetchBatch int
}

// ServerKey implements jobs.ServerKeyer: the host of the organization's EWS URL.
func (o orgSources) ServerKey(ctx context.Context, orgID int64) (string, error) {
	return o.svc.EWSHost(ctx, orgID)
}

// Folders implements jobs.Sources: the folders of the organization's saved
// configuration.
func (o orgSources) Folders(ctx context.Context, orgID int64) (syncer.Folders, error) {
	return o.svc.SyncFolders(ctx, orgID)
}

// Source implements jobs.Sources: EWS with the organization's saved configuration.
func (o orgSources) Source(ctx context.Context, orgID int64) (syncer.Source, error) {
	// EWS, without the items older than the organization's retention (control/retention.go).
	return o.svc.SyncSource(ctx, orgID, o.fetchBatch)
}

// startJobs starts the sync jobs when this node runs workers; the returned function
// stops them, letting running steps finish.
func (a *App) startJobs(ctx context.Context) (func(), error) {
	if a.cfg.Workers == 0 {
		// A node without workers still serves Graph's notifications: it reconciles the
		// organizations their lifecycle notifications name.
		return a.startGraphWatch(ctx), nil
	}
	if err := a.runner.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	a.log.Info("sync workers started", "workers", a.cfg.Workers)
	stopWatch := a.startWatch(ctx)
	stopGraphWatch := a.startGraphWatch(ctx)
	return func() {
		stopGraphWatch()
		stopWatch()
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
		defer cancel()
		if err := a.runner.Stop(sctx); err != nil {
			a.log.Warn("stop sync workers", "err", err)
		}
	}, nil
}

// Jobs returns the job runner (tests subscribe to its events).
func (a *App) Jobs() *jobs.Runner { return a.runner }

// RunWorker runs the sync jobs without the web server until ctx ends (`mailbridge
// worker`: several workers on one PostgreSQL database share the mailboxes).
func (a *App) RunWorker(ctx context.Context) error {
	if a.cfg.Workers == 0 {
		return errors.New("--workers is 0: nothing to run")
	}
	stop, err := a.startJobs(ctx)
	if err != nil {
		return err
	}
	<-ctx.Done()
	a.log.Info("stopping sync workers: running steps finish")
	stop()
	return nil
}

// Serve serves on ln until ctx ends, then stops accepting connections and lets
// in-flight requests finish, for up to Config.ShutdownTimeout. With workers, the sync
// jobs run alongside.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	stopJobs, err := a.startJobs(ctx)
	if err != nil {
		return err
	}
	defer stopJobs()
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of large user lists
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if a.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(a.cfg.TLSCert, a.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: finishing in-flight requests", "timeout", a.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when the database answers and its schema is current.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	err := a.st.Ping(ctx)
	if err == nil {
		err = a.st.CheckSchema(ctx)
	}
	if err != nil {
		a.log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: database unavailable or schema out of date")
		return
	}
	fmt.Fprintln(w, "ready")
}

// securityHeaders sets the headers every response of an admin panel should carry.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush through the wrapper (streamed checks).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs each request's method, path (never its query, which may carry
// tokens), status and duration.
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/static/") {
			level = slog.LevelDebug
		}
		a.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration_ms", time.Since(start).Milliseconds())
	})
}

// recoverer turns a panic in a handler into a 500 and a log line with the stack.
func (a *App) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("panic serving a request", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Store returns the application's store.
func (a *App) Store() *store.Store { return a.st }
