package exchangesim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverserver"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
	"github.com/mailbridge/mailbridge/internal/httpauth"
)

// Exchange versions the simulator can imitate (its ServerVersionInfo).
var (
	Exchange2016 = ews.Exchange2016
	Exchange2019 = ews.Exchange2019
)

// EWSPath is where the simulator serves EWS (matched case-insensitively, as IIS does).
const EWSPath = "/EWS/Exchange.asmx"

// defaultBodyReadTimeout is how long a request may take to arrive by default: IIS's
// connectionTimeout and http.sys's EntityBody timer, both 120 seconds.
const defaultBodyReadTimeout = 2 * time.Minute

// AdminPrefix is where the simulator's JSON admin API lives.
const AdminPrefix = "/sim/api/"

// AuthOptions choose the authentication methods of the EWS and Autodiscover virtual
// directories. If neither is set, both are enabled.
type AuthOptions struct {
	Basic bool
	NTLM  bool
}

// AutodiscoverOptions configure the simulator's Autodiscover endpoints.
type AutodiscoverOptions struct {
	DisablePOX, DisableSOAP, DisableJSON bool
	// HTTPRedirect serves the unauthenticated HTTP 302 redirect method on plain HTTP.
	HTTPRedirect bool
	// ExternalEWSURL is the EWS URL Autodiscover returns; default: the listener's own.
	ExternalEWSURL string
	// Redirects answer chosen addresses or domains with a redirect.
	Redirects []autodiscoverserver.Redirect
}

// Options configure a Simulator.
type Options struct {
	// Scenario is the world to serve; nil means Contoso().
	Scenario *Scenario
	// Clock is the simulator's time; nil means time.Now.
	Clock func() time.Time
	// Seed keys ids, sync states and injected faults.
	Seed uint64
	// Exchange is the ServerVersionInfo to send; zero means Exchange2016.
	Exchange     ews.ServerVersionInfo
	Auth         AuthOptions
	Throttle     ThrottlePolicy
	Faults       Faults
	Autodiscover AutodiscoverOptions
	// LegacyImpersonationDenied answers callers with no impersonation role with
	// ErrorImpersonationDenied (Exchange 2007) instead of ErrorImpersonateUserDenied.
	LegacyImpersonationDenied bool
	// BodyReadTimeout bounds how long a request (headers and body) may take to arrive; a
	// slower client has its connection closed without an answer, as http.sys does when its
	// EntityBody timer expires. 0 means 2 minutes (IIS's default connectionTimeout);
	// negative disables the limit. It does not limit the answer: GetStreamingEvents
	// responses and injected latency may last longer.
	BodyReadTimeout time.Duration
	// Microsoft365 configures Microsoft Graph, the Entra ID token endpoint and the
	// Exchange Online mode of EWS (they need a scenario with a tenant, as Contoso's).
	Microsoft365 Microsoft365Options
	// Logger receives the simulator's logs; nil discards them.
	Logger *slog.Logger
}

// Simulator is an Exchange 2016/2019 server in memory: EWS, Autodiscover and a JSON admin
// API over one World. Create it with New, then Start it on a listener.
type Simulator struct {
	opts     Options
	name     string
	world    *World
	throttle *throttle
	faults   *faultInjector
	auth     *httpauth.Authenticator
	ews      *ewsserver.Handler
	logger   *slog.Logger
	// msgSeq numbers the Internet message ids of messages the simulator sends.
	msgSeq atomic.Uint64
	subs   *subscriptions
	// tokenKey signs the access tokens of the token endpoint (see entra_token.go).
	tokenKey      []byte
	graphThrottle *graphThrottle
	userIDs       sync.Map // Entra object ID → primary SMTP address (see graphUserByKey)
	// graphSubs are Graph's change-notification subscriptions (graph_subscriptions.go).
	graphSubs *graphSubs
}

// The handler serves an operation only if the Simulator implements its …Backend interface
// (it checks at run time), so a changed method signature would silently turn the operation
// into "not implemented". These assertions make it a compile error instead.
var (
	_ ewsserver.Backend                    = (*Simulator)(nil)
	_ ewsserver.ConvertIdBackend           = (*Simulator)(nil)
	_ ewsserver.CreateItemBackend          = (*Simulator)(nil)
	_ ewsserver.DeleteItemBackend          = (*Simulator)(nil)
	_ ewsserver.ExpandDLBackend            = (*Simulator)(nil)
	_ ewsserver.FindFolderBackend          = (*Simulator)(nil)
	_ ewsserver.FindItemBackend            = (*Simulator)(nil)
	_ ewsserver.GetEventsBackend           = (*Simulator)(nil)
	_ ewsserver.GetFolderBackend           = (*Simulator)(nil)
	_ ewsserver.GetItemBackend             = (*Simulator)(nil)
	_ ewsserver.GetRoomListsBackend        = (*Simulator)(nil)
	_ ewsserver.GetRoomsBackend            = (*Simulator)(nil)
	_ ewsserver.GetServerTimeZonesBackend  = (*Simulator)(nil)
	_ ewsserver.GetStreamingEventsBackend  = (*Simulator)(nil)
	_ ewsserver.GetUserAvailabilityBackend = (*Simulator)(nil)
	_ ewsserver.ResolveNamesBackend        = (*Simulator)(nil)
	_ ewsserver.SendItemBackend            = (*Simulator)(nil)
	_ ewsserver.SubscribeBackend           = (*Simulator)(nil)
	_ ewsserver.SyncFolderHierarchyBackend = (*Simulator)(nil)
	_ ewsserver.SyncFolderItemsBackend     = (*Simulator)(nil)
	_ ewsserver.UnsubscribeBackend         = (*Simulator)(nil)
	_ ewsserver.UpdateItemBackend          = (*Simulator)(nil)
)

// New builds the simulator's world and handlers.
func New(opts Options) (*Simulator, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Exchange == (ews.ServerVersionInfo{}) {
		opts.Exchange = Exchange2016
	}
	if !opts.Auth.Basic && !opts.Auth.NTLM {
		opts.Auth = AuthOptions{Basic: true, NTLM: true}
	}
	if opts.BodyReadTimeout == 0 {
		opts.BodyReadTimeout = defaultBodyReadTimeout
	}
	if err := opts.Faults.Validate(); err != nil {
		return nil, fmt.Errorf("exchangesim: faults: %w", err)
	}
	sc := opts.Scenario
	if sc == nil {
		sc = Contoso()
	}
	world, err := NewWorld(sc, WorldConfig{Clock: opts.Clock, Seed: int64(opts.Seed),
		LegacyImpersonationDenied: opts.LegacyImpersonationDenied})
	if err != nil {
		return nil, fmt.Errorf("exchangesim: %w", err)
	}
	s := &Simulator{
		opts:     opts,
		name:     sc.Name,
		world:    world,
		throttle: newThrottle(opts.Clock, opts.Throttle),
		faults:   newFaultInjector(opts.Faults, opts.Seed, func(f Faults) { world.SetSyncStateTTL(f.syncStateTTL()) }),
		logger:   opts.Logger,
		tokenKey: newTokenKey(),
	}
	s.graphThrottle = newGraphThrottle(opts.Clock, opts.Microsoft365.GraphThrottle)
	s.subs = newSubscriptions(s)
	s.graphSubs = newGraphSubs(s)
	doms := world.Directory().Domains()
	if len(doms) == 0 {
		return nil, errors.New("exchangesim: the scenario has no domain")
	}
	s.auth, err = httpauth.New(httpauth.Config{
		Basic:         opts.Auth.Basic,
		NTLM:          opts.Auth.NTLM,
		NetBIOSDomain: doms[0].NetBIOS,
		DNSDomain:     doms[0].Name,
		ServerName:    "EXCH01",
		Accounts:      accounts{world},
		Now:           opts.Clock,
	})
	if err != nil {
		return nil, fmt.Errorf("exchangesim: %w", err)
	}
	s.ews = ewsserver.New(s, ewsserver.Options{
		Identify: func(r *http.Request) (string, bool) {
			if c, ok := r.Context().Value(exoCallerKey{}).(tokenClaims); ok {
				return appCallerPrefix + c.AppID, true
			}
			id, ok := httpauth.IdentityFrom(r.Context())
			return id.User, ok
		},
		Logger: opts.Logger,
	})
	return s, nil
}

// World returns the simulated organization, for tests and the admin API.
func (s *Simulator) World() *World { return s.world }

// ScenarioName names the scenario being served.
func (s *Simulator) ScenarioName() string { return s.name }

// accounts adapts the World's directory to httpauth.
type accounts struct{ w *World }

func (a accounts) LookupPassword(_ context.Context, login string) (string, string, bool) {
	return a.w.LookupAccount(login)
}

// ServerVersion implements ewsserver.Backend.
func (s *Simulator) ServerVersion() ews.ServerVersionInfo { return s.opts.Exchange }

// Begin implements ewsserver.Backend: impersonation as Exchange checks it, then the
// throttling budget, then injected faults.
func (s *Simulator) Begin(ctx context.Context, c *ewsserver.Call) (func(), error) {
	c.Mailbox = c.Caller
	if app, ok := strings.CutPrefix(c.Caller, appCallerPrefix); ok {
		target, err := s.checkAppImpersonation(app, c)
		if err != nil {
			return nil, err
		}
		c.Mailbox = target.PrimarySMTP
	} else if c.Impersonating() {
		target, err := s.world.CheckImpersonation(c.Caller, c.Header.ExchangeImpersonation.ConnectingSID)
		if err != nil {
			return nil, err
		}
		c.Mailbox = target.PrimarySMTP
	}
	release := func() {}
	// Hanging GetStreamingEvents connections are not counted against EWSMaxConcurrency;
	// the subscription registry limits them (HangingConnectionLimit) instead.
	if c.Operation != ews.OpGetStreamingEvents {
		var err error
		if release, err = s.throttle.admit(s.throttle.budgetKey(c.Caller, c.Mailbox, c.Impersonating())); err != nil {
			return nil, err
		}
	}
	if err := s.faults.apply(ctx, c.Operation, c.Mailbox); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// mailbox returns the mailbox a call acts on, or the per-message error Exchange gives
// when it has none.
func (s *Simulator) mailbox(ctx context.Context, c *ewsserver.Call) (*Mailbox, error) {
	return s.world.Mailbox(ctx, c.Mailbox)
}

// ListenConfig says where and how to serve.
type ListenConfig struct {
	// Addr is the listen address; port 0 picks a free port.
	Addr string
	// TLS serves HTTPS with a generated CA and certificate.
	TLS bool
	// StateDir receives the CA certificate (ca.pem); it is created (mode 0700) if
	// missing. Empty means a new temporary directory.
	StateDir string
	// Hosts are extra names for the certificate; the scenario's domains, their
	// autodiscover./mail. hosts, localhost and the loopback addresses are always included.
	Hosts []string
	// MicrosoftHosts adds Microsoft 365's host names (MicrosoftHostNames) to the
	// certificate and to ResolveSpecs, so that a client can reach the simulator's Graph,
	// token endpoint and Exchange Online EWS under their real names.
	MicrosoftHosts bool
}

// MicrosoftHostNames are the Microsoft 365 hosts the simulator can stand for: Graph,
// Entra ID's authority and Exchange Online.
var MicrosoftHostNames = []string{"graph.microsoft.com", "login.microsoftonline.com", "outlook.office365.com"}

// Info is what `mailbridge sim` prints once listening: one JSON object.
type Info struct {
	BaseURL             string `json:"base_url"`
	EWSURL              string `json:"ews_url"`
	AutodiscoverURL     string `json:"autodiscover_url"`
	AutodiscoverSOAPURL string `json:"autodiscover_soap_url"`
	AdminURL            string `json:"admin_url"`
	// GraphURL is the base of Microsoft Graph v1.0 (…/v1.0), standing for
	// https://graph.microsoft.com/v1.0.
	GraphURL string `json:"graph_url"`
	// AuthorityURL is Entra ID's authority host, standing for
	// https://login.microsoftonline.com: the token endpoint is
	// AuthorityURL/{tenant}/oauth2/v2.0/token.
	AuthorityURL string `json:"authority_url"`
	// TenantID is the scenario's Entra ID tenant ID ("" without a tenant).
	TenantID string `json:"tenant_id,omitempty"`
	CACert   string `json:"ca_cert,omitempty"`
	Scenario string `json:"scenario"`
	Domain   string `json:"domain"`
}

// Server is a running simulator.
type Server struct {
	info    Info
	addr    string   // the listener's host:port
	domains []string // the scenario's domains
	msHosts bool     // ResolveSpecs includes MicrosoftHostNames
	http    *http.Server
	done    chan struct{}
	err     error
	certs   *Certificates
	// stopNotify stops the delivery of Graph change notifications and waits for it.
	stopNotify func()
}

// Info returns the server's URLs.
func (srv *Server) Info() Info { return srv.info }

// GraphURL returns the base URL of the simulator's Microsoft Graph v1.0 (…/v1.0).
func (srv *Server) GraphURL() string { return srv.info.GraphURL }

// AuthorityURL returns the simulator's Entra ID authority host; a tenant's token endpoint
// is AuthorityURL()/{tenant}/oauth2/v2.0/token.
func (srv *Server) AuthorityURL() string { return srv.info.AuthorityURL }

// ResolveSpecs returns host overrides in curl's --resolve form (see
// internal/hostoverride) that send each scenario domain and its autodiscover. and mail.
// hosts, on port 443, to this server: with them and the CA, a client reaches the
// simulator exactly as it would reach the real domain (Autodiscover included).
func (srv *Server) ResolveSpecs() []string {
	host, port, _ := net.SplitHostPort(srv.addr)
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	var specs []string
	for _, d := range srv.domains {
		for _, h := range []string{d, "autodiscover." + d, "mail." + d} {
			specs = append(specs, h+":443:"+host+":"+port)
		}
	}
	if srv.msHosts {
		for _, h := range MicrosoftHostNames {
			specs = append(specs, h+":443:"+host+":"+port)
		}
	}
	return specs
}

// CAPEM returns the CA certificate clients must trust (nil without TLS).
func (srv *Server) CAPEM() []byte {
	if srv.certs == nil {
		return nil
	}
	return srv.certs.CAPEM
}

// Shutdown stops accepting connections and waits for in-flight requests (streaming
// subscriptions are ended), up to ctx's deadline.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.stopNotify()
	err := srv.http.Shutdown(ctx)
	<-srv.done
	if errors.Is(srv.err, http.ErrServerClosed) {
		return err
	}
	return errors.Join(err, srv.err)
}

// Start listens on cfg.Addr and serves until Shutdown (or until ctx ends, which also
// ends long-lived streaming requests).
func (s *Simulator) Start(ctx context.Context, cfg ListenConfig) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("exchangesim: listen: %w", err)
	}
	srv := &Server{done: make(chan struct{})}
	scheme := "http"
	if cfg.TLS {
		scheme = "https"
		hosts := []string{"localhost", "127.0.0.1", "::1"}
		for _, d := range s.world.Directory().Domains() {
			hosts = append(hosts, d.Name, "autodiscover."+d.Name, "mail."+d.Name)
		}
		if cfg.MicrosoftHosts {
			hosts = append(hosts, MicrosoftHostNames...)
		}
		// Clients check certificates against their own wall clock, not the simulator's
		// (possibly fixed) clock.
		srv.certs, err = GenerateCertificates(time.Now(), append(hosts, cfg.Hosts...))
		if err != nil {
			ln.Close()
			return nil, err
		}
		dir := cfg.StateDir
		if dir == "" {
			dir, err = os.MkdirTemp("", "mailbridge-sim-")
		} else {
			err = os.MkdirAll(dir, 0o700)
		}
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("exchangesim: state directory: %w", err)
		}
		srv.info.CACert = filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(srv.info.CACert, srv.certs.CAPEM, 0o644); err != nil {
			ln.Close()
			return nil, fmt.Errorf("exchangesim: %w", err)
		}
	}
	base := scheme + "://" + ln.Addr().String()
	doms := s.world.Directory().Domains()
	srv.addr = ln.Addr().String()
	srv.msHosts = cfg.MicrosoftHosts
	for _, d := range doms {
		srv.domains = append(srv.domains, d.Name)
	}
	srv.info = Info{
		BaseURL:             base,
		EWSURL:              base + EWSPath,
		AutodiscoverURL:     base + autodiscover.POXPath,
		AutodiscoverSOAPURL: base + autodiscover.SOAPPath,
		AdminURL:            base + strings.TrimSuffix(AdminPrefix, "/"),
		GraphURL:            base + strings.TrimSuffix(GraphPrefix, "/"),
		AuthorityURL:        base,
		CACert:              srv.info.CACert,
		Scenario:            s.name,
		Domain:              doms[0].Name,
	}
	if t, ok := s.world.Tenant(); ok {
		srv.info.TenantID = t.ID
	}
	handler, err := s.handler(srv.info)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		// ReadTimeout bounds the reading of a request, so that a client sending its body
		// slowly cannot hold a handler. It does not cut long answers: net/http lifts the
		// read deadline once the body has been read to its end (to watch for the client
		// going away). There is no WriteTimeout, which would cut GetStreamingEvents
		// responses; StreamWriter bounds each streamed write instead.
		ReadTimeout: max(s.opts.BodyReadTimeout, 0),
		// An idle keep-alive connection is closed after IIS's default connectionTimeout.
		IdleTimeout: defaultBodyReadTimeout,
		ConnContext: s.auth.ConnContext,
		ConnState:   s.auth.ConnState,
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
		// NTLM is bound to a connection: no HTTP/2, as IIS refuses Windows auth over it.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	if cfg.TLS {
		srv.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{srv.certs.Server}, NextProtos: []string{"http/1.1"}}
		ln = tls.NewListener(ln, srv.http.TLSConfig)
	}
	var once sync.Once
	go func() {
		defer once.Do(func() { close(srv.done) })
		srv.err = srv.http.Serve(ln)
	}()
	nctx, cancel := context.WithCancel(ctx)
	notifyDone := make(chan struct{})
	go func() {
		defer close(notifyDone)
		s.graphSubs.run(nctx)
	}()
	srv.stopNotify = func() { cancel(); <-notifyDone }
	return srv, nil
}

// handler routes EWS, Autodiscover and the admin API, matching paths case-insensitively.
func (s *Simulator) handler(info Info) (http.Handler, error) {
	ewsURL := s.opts.Autodiscover.ExternalEWSURL
	if ewsURL == "" {
		ewsURL = info.EWSURL
	}
	ad, err := autodiscoverserver.New(adBackend{s.world}, autodiscoverserver.Options{
		DisablePOX:     s.opts.Autodiscover.DisablePOX,
		DisableSOAP:    s.opts.Autodiscover.DisableSOAP,
		DisableJSON:    s.opts.Autodiscover.DisableJSON,
		HTTPRedirect:   s.opts.Autodiscover.HTTPRedirect,
		InternalEWSURL: ewsURL,
		ExternalEWSURL: ewsURL,
		Redirects:      s.opts.Autodiscover.Redirects,
		Now:            s.opts.Clock,
	})
	if err != nil {
		return nil, fmt.Errorf("exchangesim: autodiscover: %w", err)
	}
	protectedAD := ad.Protect(s.auth.Wrap)
	ewsHandler := s.auth.Wrap(s.ews)
	if s.opts.Microsoft365.ExchangeOnline {
		ewsHandler = s.exchangeOnlineAuth(s.ews)
	}
	admin := s.adminHandler()
	graph := s.graphHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.ToLower(r.URL.Path)
		switch {
		case p == strings.ToLower(EWSPath):
			ewsHandler.ServeHTTP(w, r)
		case strings.HasPrefix(p, AdminPrefix):
			admin.ServeHTTP(w, r)
		case strings.HasPrefix(p, strings.ToLower(GraphPrefix)):
			graph.ServeHTTP(w, r)
		case ad.Handles(r):
			protectedAD.ServeHTTP(w, r)
		default:
			if tenant, endpoint, ok := entraRoute(r.URL.Path); ok {
				s.serveEntra(w, r, tenant, endpoint)
				return
			}
			http.NotFound(w, r)
		}
	}), nil
}

// adBackend answers Autodiscover from the directory.
type adBackend struct{ w *World }

func (b adBackend) LookupUser(_ context.Context, email string) (autodiscoverserver.User, error) {
	u, ok := b.w.Directory().Lookup(email)
	if !ok || !u.HasMailbox {
		return autodiscoverserver.User{}, autodiscoverserver.ErrUserNotFound
	}
	return autodiscoverserver.User{SMTPAddress: u.PrimarySMTP, DisplayName: u.DisplayName}, nil
}
