package autodiscoverclient_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverserver"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
)

// The contoso scenario's service account.
const (
	svcUser     = "svc-sync@contoso.com"
	svcPassword = "Svc-Pass-2026!"
)

// net is a test network: names reach servers only through host overrides, as
// curl's --resolve would map them; any other name is unreachable. SRV records come
// from a fake resolver.
type testNet struct {
	t     *testing.T
	mu    sync.Mutex
	specs []string
	pool  *x509.CertPool
	srv   fakeResolver
}

func newNet(t *testing.T) *testNet {
	t.Helper()
	return &testNet{t: t, pool: x509.NewCertPool(), srv: fakeResolver{}}
}

// sim starts a contoso simulator with the given Autodiscover options and maps each
// "host:port" to it. Over TLS its CA joins the trusted pool.
func (n *testNet) sim(ad exchangesim.AutodiscoverOptions, tls bool, hosts ...string) *exchangesim.Server {
	return n.simWith(exchangesim.Options{Autodiscover: ad}, tls, hosts...)
}

func (n *testNet) simWith(opts exchangesim.Options, tls bool, hosts ...string) *exchangesim.Server {
	n.t.Helper()
	sim, err := exchangesim.New(opts)
	if err != nil {
		n.t.Fatalf("exchangesim.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The certificate covers the mapped names too, whatever the scenario's domains.
	var names []string
	for _, h := range hosts {
		name, _, _ := net.SplitHostPort(h)
		names = append(names, name)
	}
	srv, err := sim.Start(ctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0", TLS: tls, StateDir: n.t.TempDir(), Hosts: names})
	if err != nil {
		cancel()
		n.t.Fatalf("sim.Start: %v", err)
	}
	n.t.Cleanup(func() {
		cancel()
		_ = srv.Shutdown(context.Background())
	})
	if tls && !n.pool.AppendCertsFromPEM(srv.CAPEM()) {
		n.t.Fatal("the simulator's CA PEM holds no certificate")
	}
	n.mapTo(strings.TrimPrefix(strings.TrimPrefix(srv.Info().BaseURL, "https://"), "http://"), hosts...)
	return srv
}

// handler serves h over plain HTTP and maps each "host:port" to it.
func (n *testNet) handler(h http.Handler, hosts ...string) {
	n.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.t.Fatal(err)
	}
	s := &http.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	n.t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	n.mapTo(ln.Addr().String(), hosts...)
}

func (n *testNet) mapTo(addr string, hosts ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, h := range hosts {
		n.specs = append(n.specs, h+":"+addr)
	}
}

// dialLoopback dials loopback addresses only: everything else is "not on the test
// network", so a test never leaves the machine.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("test network: %s is not overridden", addr)}
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// options returns Discover options reaching the test network with auth.
func (n *testNet) options(auth ewsclient.Authenticator) autodiscoverclient.Options {
	n.t.Helper()
	o, err := hostoverride.Parse(n.specs)
	if err != nil {
		n.t.Fatalf("hostoverride.Parse: %v", err)
	}
	return autodiscoverclient.Options{
		Auth:        auth,
		Resolver:    n.srv,
		DialContext: o.DialContext(dialLoopback),
		RootCAs:     n.pool,
		Now:         newTickClock().Now,
	}
}

// fakeResolver answers SRV lookups from a map of domain to records; a missing domain
// is NXDOMAIN.
type fakeResolver map[string][]*net.SRV

func (f fakeResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	if service != "autodiscover" || proto != "tcp" {
		return "", nil, fmt.Errorf("unexpected SRV lookup of _%s._%s.%s", service, proto, name)
	}
	full := "_" + service + "._" + proto + "." + name
	recs, ok := f[name]
	if !ok {
		return "", nil, &net.DNSError{Err: "no such host", Name: full, IsNotFound: true}
	}
	return full + ".", recs, nil
}

// tickClock advances a millisecond each time it is read, so that every attempt has a
// positive, deterministic duration.
type tickClock struct{ n atomic.Int64 }

func newTickClock() *tickClock { return &tickClock{} }

func (c *tickClock) Now() time.Time {
	return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(c.n.Add(1)) * time.Millisecond)
}

// trail renders the attempts as "method outcome url [→ redirect]" lines.
func trail(res *autodiscoverclient.Result) []string {
	if res == nil {
		return nil
	}
	var out []string
	for _, a := range res.Attempts {
		s := fmt.Sprintf("%s %s %s", a.Method, a.Outcome, a.URL)
		if a.Email != "" && !strings.EqualFold(a.Email, "alice@contoso.com") {
			s += " as " + a.Email
		}
		if a.RedirectTo != "" {
			s += " -> " + a.RedirectTo
		}
		out = append(out, s)
	}
	return out
}

func checkTrail(t *testing.T, res *autodiscoverclient.Result, want []string) {
	t.Helper()
	got := trail(res)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("trail:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

const (
	poxDomain = "https://contoso.com/autodiscover/autodiscover.xml"
	poxAD     = "https://autodiscover.contoso.com/autodiscover/autodiscover.xml"
	poxMail   = "https://mail.contoso.com/autodiscover/autodiscover.xml"
	svcDomain = "https://contoso.com/autodiscover/autodiscover.svc"
	svcAD     = "https://autodiscover.contoso.com/autodiscover/autodiscover.svc"
	svcMail   = "https://mail.contoso.com/autodiscover/autodiscover.svc"
	httpAD    = "http://autodiscover.contoso.com/autodiscover/autodiscover.xml"
	srvName   = "_autodiscover._tcp.contoso.com"

	// EWS URLs the simulators answer, one per simulator, to tell them apart.
	ewsA = "https://mail.contoso.com/EWS/Exchange.asmx"
	ewsB = "https://ews-b.contoso.com/EWS/Exchange.asmx"
)

var suggestions = []string{
	"standard_url suggestion https://mail.contoso.com/EWS/Exchange.asmx",
	"standard_url suggestion https://outlook.contoso.com/EWS/Exchange.asmx",
	"standard_url suggestion https://autodiscover.contoso.com/EWS/Exchange.asmx",
}

func withSuggestions(lines ...string) []string {
	return append(lines, suggestions...)
}

// The steps that fail on a test network where only contoso.com:443 is mapped.
var unmappedMiddle = []string{
	"pox unreachable " + poxAD,
	"http_redirect unreachable " + httpAD,
	"srv not_found " + srvName,
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	type setup func(n *testNet)
	tests := []struct {
		name    string
		email   string
		setup   setup
		auth    ewsclient.Authenticator
		wantURL string // verified URL; "" when only a suggestion is expected
		wantErr error
		want    []string
	}{
		{
			name: "POX at the domain, Basic",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}, true, "contoso.com:443")
			},
			wantURL: ewsA,
			want:    []string{"pox ok " + poxDomain},
		},
		{
			name: "POX at the domain, NTLM",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}, true, "contoso.com:443")
			},
			auth:    ewsclient.NTLM(`CONTOSO\svc-sync`, svcPassword),
			wantURL: ewsA,
			want:    []string{"pox ok " + poxDomain},
		},
		{
			name: "POX disabled at the domain: autodiscover.<domain>",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsA}, true, "contoso.com:443")
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "autodiscover.contoso.com:443")
			},
			wantURL: ewsB,
			want:    []string{"pox not_found " + poxDomain, "pox ok " + poxAD},
		},
		{
			name: "POX off everywhere: SOAP",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsA}, true,
					"contoso.com:443", "autodiscover.contoso.com:443")
			},
			wantURL: ewsA,
			want: []string{
				"pox not_found " + poxDomain,
				"pox not_found " + poxAD,
				"http_redirect unreachable " + httpAD,
				"srv not_found " + srvName,
				"soap ok " + svcDomain,
			},
		},
		{
			name: "POX and SOAP off: the SRV record",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, DisableSOAP: true, ExternalEWSURL: ewsA}, true,
					"contoso.com:443", "autodiscover.contoso.com:443")
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "mail.contoso.com:443")
				n.srv["contoso.com"] = []*net.SRV{
					{Target: "later.contoso.com.", Port: 443, Priority: 10, Weight: 100},
					{Target: "light.contoso.com.", Port: 443, Priority: 0, Weight: 1},
					{Target: "mail.contoso.com.", Port: 443, Priority: 0, Weight: 50},
					{Target: "other-port.contoso.com.", Port: 8443, Priority: 0, Weight: 100},
				}
			},
			wantURL: ewsB,
			want: []string{
				"pox not_found " + poxDomain,
				"pox not_found " + poxAD,
				"http_redirect unreachable " + httpAD,
				"srv redirect " + srvName + " -> " + poxMail,
				"pox ok " + poxMail,
			},
		},
		{
			name: "SOAP at the SRV target",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, DisableSOAP: true, ExternalEWSURL: ewsA}, true,
					"contoso.com:443", "autodiscover.contoso.com:443")
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsB}, true, "mail.contoso.com:443")
				n.srv["contoso.com"] = []*net.SRV{{Target: "mail.contoso.com.", Port: 443}}
			},
			wantURL: ewsB,
			want: []string{
				"pox not_found " + poxDomain,
				"pox not_found " + poxAD,
				"http_redirect unreachable " + httpAD,
				"srv redirect " + srvName + " -> " + poxMail,
				"pox not_found " + poxMail,
				"soap not_found " + svcDomain,
				"soap not_found " + svcAD,
				"soap ok " + svcMail,
			},
		},
		{
			name: "everything off: the standard URL as a suggestion",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, DisableSOAP: true, DisableJSON: true, ExternalEWSURL: ewsA}, true,
					"contoso.com:443", "autodiscover.contoso.com:443")
				n.srv["contoso.com"] = []*net.SRV{{Target: "autodiscover.contoso.com.", Port: 8443}}
			},
			wantErr: autodiscoverclient.ErrNotFound,
			want: withSuggestions(
				"pox not_found "+poxDomain,
				"pox not_found "+poxAD,
				"http_redirect unreachable "+httpAD,
				"srv not_found "+srvName,
				"soap not_found "+svcDomain,
				"soap not_found "+svcAD,
			),
		},
		{
			name: "redirectAddr restarts with the new address",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA, Redirects: []autodiscoverserver.Redirect{
					{Match: "alice@contoso.com", Address: "carol@contoso.com"},
				}}, true, "contoso.com:443")
			},
			wantURL: ewsA,
			want: []string{
				"pox redirect " + poxDomain + " -> carol@contoso.com",
				"pox ok " + poxDomain + " as carol@contoso.com",
			},
		},
		{
			name: "redirectUrl is followed",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA, Redirects: []autodiscoverserver.Redirect{
					{Match: "contoso.com", URL: poxMail},
				}}, true, "contoso.com:443")
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "mail.contoso.com:443")
			},
			wantURL: ewsB,
			want: []string{
				"pox redirect " + poxDomain + " -> " + poxMail,
				"pox ok " + poxMail,
			},
		},
		{
			name: "SOAP RedirectUrl is followed",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsA, Redirects: []autodiscoverserver.Redirect{
					{Match: "alice@contoso.com", URL: poxMail},
				}}, true, "contoso.com:443")
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsB}, true, "mail.contoso.com:443")
			},
			wantURL: ewsB,
			want: append([]string{"pox not_found " + poxDomain}, append(unmappedMiddle,
				"soap redirect "+svcDomain+" -> "+svcMail,
				"soap ok "+svcMail,
			)...),
		},
		{
			name: "SOAP RedirectAddress restarts with the new address",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsA, Redirects: []autodiscoverserver.Redirect{
					{Match: "alice@contoso.com", Address: "dave@contoso.com"},
				}}, true, "contoso.com:443")
			},
			wantURL: ewsA,
			want: append(append([]string{"pox not_found " + poxDomain}, unmappedMiddle...),
				"soap redirect "+svcDomain+" -> dave@contoso.com",
				"pox not_found "+poxDomain+" as dave@contoso.com",
				"pox unreachable "+poxAD+" as dave@contoso.com",
				"soap ok "+svcDomain+" as dave@contoso.com",
			),
		},
		{
			name: "an http redirectUrl is refused",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisableSOAP: true, ExternalEWSURL: ewsA, Redirects: []autodiscoverserver.Redirect{
					{Match: "contoso.com", URL: "http://mail.contoso.com/autodiscover/autodiscover.xml"},
				}}, true, "contoso.com:443")
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, false, "mail.contoso.com:80")
			},
			wantErr: autodiscoverclient.ErrNotFound,
			want: withSuggestions(append(append(
				[]string{"pox refused " + poxDomain + " -> http://mail.contoso.com/autodiscover/autodiscover.xml"},
				unmappedMiddle...),
				"soap not_found "+svcDomain,
				"soap unreachable "+svcAD,
			)...),
		},
		{
			name: "a redirect loop between two addresses ends",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisableSOAP: true, ExternalEWSURL: ewsA, Redirects: []autodiscoverserver.Redirect{
					{Match: "alice@contoso.com", Address: "bob@contoso.com"},
					{Match: "bob@contoso.com", Address: "alice@contoso.com"},
				}}, true, "contoso.com:443")
			},
			wantErr: autodiscoverclient.ErrNotFound,
			want: withSuggestions(append(append(
				[]string{
					"pox redirect " + poxDomain + " -> bob@contoso.com",
					"pox redirect " + poxDomain + " as bob@contoso.com -> alice@contoso.com",
					"pox skipped " + poxDomain,
				},
				unmappedMiddle...),
				"soap not_found "+svcDomain,
				"soap unreachable "+svcAD,
			)...),
		},
		{
			name: "a redirectUrl to itself is not followed twice",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisableSOAP: true, ExternalEWSURL: ewsA, Redirects: []autodiscoverserver.Redirect{
					{Match: "contoso.com", URL: poxDomain},
				}}, true, "contoso.com:443")
			},
			wantErr: autodiscoverclient.ErrNotFound,
			want: withSuggestions(append(append(
				[]string{
					"pox redirect " + poxDomain + " -> " + poxDomain,
					"pox skipped " + poxDomain,
				},
				unmappedMiddle...),
				"soap not_found "+svcDomain,
				"soap unreachable "+svcAD,
			)...),
		},
		{
			name:  "an address without a mailbox",
			email: "frank@contoso.com",
			setup: func(n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}, true, "contoso.com:443")
			},
			wantErr: autodiscoverclient.ErrNotFound,
			want: withSuggestions(
				"pox user_not_found "+poxDomain+" as frank@contoso.com",
				"pox unreachable "+poxAD+" as frank@contoso.com",
				"http_redirect unreachable "+httpAD,
				"srv not_found "+srvName,
				"soap user_not_found "+svcDomain+" as frank@contoso.com",
				"soap unreachable "+svcAD+" as frank@contoso.com",
			),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNet(t)
			tc.setup(n)
			auth := tc.auth
			if auth == nil {
				auth = ewsclient.Basic(svcUser, svcPassword)
			}
			email := tc.email
			if email == "" {
				email = "alice@contoso.com"
			}
			res, err := autodiscoverclient.Discover(context.Background(), email, n.options(auth))
			if res == nil {
				t.Fatalf("Discover: nil result, err %v", err)
			}
			checkTrail(t, res, tc.want)
			for i, a := range res.Attempts {
				if a.Outcome != autodiscoverclient.OutcomeSuggestion && a.Outcome != autodiscoverclient.OutcomeSkipped && a.Duration <= 0 {
					t.Errorf("attempt %d (%s %s) has no duration", i, a.Method, a.URL)
				}
			}
			if tc.wantURL != "" {
				if err != nil {
					t.Fatalf("Discover: %v", err)
				}
				if res.EWSURL != tc.wantURL || !res.Verified {
					t.Errorf("EWSURL %q verified %v, want %q verified", res.EWSURL, res.Verified, tc.wantURL)
				}
				if res.FoundBy != len(res.Attempts)-1 || res.Attempts[res.FoundBy].EWSURL != tc.wantURL {
					t.Errorf("FoundBy = %d, want the last attempt (%d), which names the URL", res.FoundBy, len(res.Attempts)-1)
				}
				if res.Method != res.Attempts[res.FoundBy].Method {
					t.Errorf("Method = %s, want %s", res.Method, res.Attempts[res.FoundBy].Method)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Discover err = %v, want %v", err, tc.wantErr)
			}
			if errors.Is(err, autodiscoverclient.ErrUnauthorized) {
				t.Errorf("err %v blames the credentials, which were right", err)
			}
			if res.Verified || res.EWSURL != "https://mail.contoso.com/EWS/Exchange.asmx" || res.Method != autodiscoverclient.MethodStandardURL ||
				len(res.Suggestions) != 3 {
				t.Errorf("result %+v, want the unverified suggestion https://mail.contoso.com/EWS/Exchange.asmx", res)
			}
		})
	}
}
