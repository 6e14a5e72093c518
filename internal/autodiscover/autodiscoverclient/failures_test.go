package autodiscoverclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverserver"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// directoryBackend knows every address, for a bare autodiscoverserver.Handler.
type directoryBackend struct{}

func (directoryBackend) LookupUser(_ context.Context, email string) (autodiscoverserver.User, error) {
	return autodiscoverserver.User{SMTPAddress: email}, nil
}

func TestHTTPRedirectMethod(t *testing.T) {
	t.Parallel()
	// answer returns a handler answering the GET with status and Location.
	answer := func(status int, location string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				t.Errorf("the HTTP redirect method's GET carried credentials")
			}
			if location != "" {
				w.Header().Set("Location", location)
			}
			w.WriteHeader(status)
		})
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, n *testNet)
		wantURL string
		want    []string
	}{
		{
			name: "302 to https: POX there",
			setup: func(t *testing.T, n *testNet) {
				h, err := autodiscoverserver.New(directoryBackend{}, autodiscoverserver.Options{
					DisablePOX: true, DisableSOAP: true, DisableJSON: true,
					HTTPRedirect: true, HTTPRedirectURL: poxMail, ExternalEWSURL: ewsA,
				})
				if err != nil {
					t.Fatal(err)
				}
				n.handler(h, "autodiscover.contoso.com:80")
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "mail.contoso.com:443")
			},
			wantURL: ewsB,
			want: []string{
				"pox unreachable " + poxDomain,
				"pox unreachable " + poxAD,
				"http_redirect redirect " + httpAD + " -> " + poxMail,
				"pox ok " + poxMail,
			},
		},
		{
			name: "a plain-HTTP simulator redirecting to a URL already tried",
			setup: func(t *testing.T, n *testNet) {
				n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsA}, true,
					"contoso.com:443", "autodiscover.contoso.com:443")
				n.sim(exchangesim.AutodiscoverOptions{HTTPRedirect: true, ExternalEWSURL: ewsB}, false, "autodiscover.contoso.com:80")
			},
			wantURL: ewsA,
			want: []string{
				"pox not_found " + poxDomain,
				"pox not_found " + poxAD,
				"http_redirect redirect " + httpAD + " -> " + poxAD,
				"pox skipped " + poxAD,
				"srv not_found " + srvName,
				"soap ok " + svcDomain,
			},
		},
		{
			name: "302 to http is refused",
			setup: func(t *testing.T, n *testNet) {
				n.handler(answer(http.StatusFound, "http://mail.contoso.com/autodiscover/autodiscover.xml"), "autodiscover.contoso.com:80")
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, false, "mail.contoso.com:80")
			},
			want: withSuggestions(
				"pox unreachable "+poxDomain,
				"pox unreachable "+poxAD,
				"http_redirect refused "+httpAD+" -> http://mail.contoso.com/autodiscover/autodiscover.xml",
				"srv not_found "+srvName,
				"soap unreachable "+svcDomain,
				"soap unreachable "+svcAD,
			),
		},
		{
			name: "301 does not count",
			setup: func(t *testing.T, n *testNet) {
				n.handler(answer(http.StatusMovedPermanently, poxMail), "autodiscover.contoso.com:80")
				n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "mail.contoso.com:443")
			},
			want: withSuggestions(
				"pox unreachable "+poxDomain,
				"pox unreachable "+poxAD,
				"http_redirect no_redirect "+httpAD+" -> "+poxMail,
				"srv not_found "+srvName,
				"soap unreachable "+svcDomain,
				"soap unreachable "+svcAD,
			),
		},
		{
			name: "200 does not count",
			setup: func(t *testing.T, n *testNet) {
				n.handler(answer(http.StatusOK, ""), "autodiscover.contoso.com:80")
			},
			want: withSuggestions(
				"pox unreachable "+poxDomain,
				"pox unreachable "+poxAD,
				"http_redirect no_redirect "+httpAD,
				"srv not_found "+srvName,
				"soap unreachable "+svcDomain,
				"soap unreachable "+svcAD,
			),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNet(t)
			tc.setup(t, n)
			res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", n.options(ewsclient.Basic(svcUser, svcPassword)))
			checkTrail(t, res, tc.want)
			switch {
			case tc.wantURL != "" && (err != nil || res.EWSURL != tc.wantURL || !res.Verified):
				t.Errorf("Discover = %+v, %v; want %s verified", res, err, tc.wantURL)
			case tc.wantURL == "" && !errors.Is(err, autodiscoverclient.ErrNotFound):
				t.Errorf("Discover err = %v, want ErrNotFound", err)
			}
			for _, a := range res.Attempts {
				if a.Method == autodiscoverclient.MethodHTTPRedirect && a.Outcome != autodiscoverclient.OutcomeRedirect &&
					(a.HTTPStatus == 0 || a.Err == "") {
					t.Errorf("HTTP redirect attempt %+v: want its status and why it did not count", a)
				}
			}
		})
	}
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	n := newNet(t)
	var chain []autodiscoverserver.Redirect
	for i := range 15 {
		chain = append(chain, autodiscoverserver.Redirect{
			Match: fmt.Sprintf("u%d@contoso.com", i), Address: fmt.Sprintf("u%d@contoso.com", i+1),
		})
	}
	n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA, Redirects: chain}, true, "contoso.com:443")
	res, err := autodiscoverclient.Discover(context.Background(), "u0@contoso.com", n.options(ewsclient.Basic(svcUser, svcPassword)))
	if !errors.Is(err, autodiscoverclient.ErrTooManyRedirects) {
		t.Fatalf("err = %v, want ErrTooManyRedirects", err)
	}
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("pox redirect %s as u%d@contoso.com -> u%d@contoso.com", poxDomain, i, i+1))
	}
	want = append(want, fmt.Sprintf("pox refused %s as u10@contoso.com -> u11@contoso.com", poxDomain))
	checkTrail(t, res, withSuggestions(want...))
	if last := res.Attempts[10]; !strings.Contains(last.Err, "limit of 10 redirects") {
		t.Errorf("refused attempt's Err = %q, want it to name the limit", last.Err)
	}

	// A smaller limit stops sooner.
	opts := n.options(ewsclient.Basic(svcUser, svcPassword))
	opts.MaxRedirects = 2
	res, err = autodiscoverclient.Discover(context.Background(), "u0@contoso.com", opts)
	if !errors.Is(err, autodiscoverclient.ErrTooManyRedirects) || len(res.Attempts) != 3+len(suggestions) {
		t.Errorf("MaxRedirects 2: err %v, %d attempts; want ErrTooManyRedirects after 3 attempts", err, len(res.Attempts))
	}
}

func TestWrongCredentials(t *testing.T) {
	t.Parallel()
	const wrong = "Not-The-Password-1"
	tests := []struct {
		name    string
		auth    ewsclient.Authenticator
		simAuth exchangesim.AuthOptions
		wantErr error
		wantMsg string
	}{
		{"wrong password, Basic", ewsclient.Basic(svcUser, wrong), exchangesim.AuthOptions{}, autodiscoverclient.ErrUnauthorized, "password may be wrong"},
		{"wrong password, NTLM", ewsclient.NTLM(svcUser, wrong), exchangesim.AuthOptions{}, autodiscoverclient.ErrUnauthorized, "password may be wrong"},
		{"unknown account", ewsclient.Basic("nobody@contoso.com", svcPassword), exchangesim.AuthOptions{}, autodiscoverclient.ErrUnauthorized, "password may be wrong"},
		{"NTLM where only Basic is offered", ewsclient.NTLM(svcUser, svcPassword), exchangesim.AuthOptions{Basic: true}, autodiscoverclient.ErrAuthMethod, "without offering NTLM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNet(t)
			n.simWith(exchangesim.Options{Auth: tc.simAuth, Autodiscover: exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}}, true,
				"contoso.com:443", "autodiscover.contoso.com:443")
			res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", n.options(tc.auth))
			checkTrail(t, res, withSuggestions(
				"pox unauthorized "+poxDomain,
				"pox unauthorized "+poxAD,
				"http_redirect unreachable "+httpAD,
				"srv not_found "+srvName,
				"soap unauthorized "+svcDomain,
				"soap unauthorized "+svcAD,
			))
			if !errors.Is(err, autodiscoverclient.ErrNotFound) || !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %v, want ErrNotFound and %v, saying %q", err, tc.wantErr, tc.wantMsg)
			}
			if res.Unauthorized != 4 {
				t.Errorf("Unauthorized = %d, want 4", res.Unauthorized)
			}
			for _, a := range res.Attempts {
				if a.Outcome == autodiscoverclient.OutcomeUnauthorized && (a.HTTPStatus != 401 || a.Err == "") {
					t.Errorf("401 attempt %+v: want HTTPStatus 401 and an explanation", a)
				}
			}
			b, _ := json.Marshal(res)
			for _, secret := range []string{wrong, svcPassword} {
				if strings.Contains(string(b), secret) || strings.Contains(err.Error(), secret) {
					t.Errorf("the result or the error holds a password")
				}
			}
		})
	}
}

// TestUnauthorizedThenFound: a 401 at the domain is not final.
func TestUnauthorizedThenFound(t *testing.T) {
	t.Parallel()
	n := newNet(t)
	// The domain's server knows another account database: it refuses svc-sync.
	other := exchangesim.Generate(1, 0, 1)
	n.simWith(exchangesim.Options{Scenario: other, Autodiscover: exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}}, true, "contoso.com:443")
	n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "autodiscover.contoso.com:443")
	res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", n.options(ewsclient.Basic(svcUser, svcPassword)))
	if err != nil || res.EWSURL != ewsB {
		t.Fatalf("Discover = %+v, %v; want %s", res, err, ewsB)
	}
	checkTrail(t, res, []string{"pox unauthorized " + poxDomain, "pox ok " + poxAD})
	if res.Unauthorized != 1 {
		t.Errorf("Unauthorized = %d, want the 401 reported", res.Unauthorized)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	n := newNet(t)
	n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}, true, "contoso.com:443", "autodiscover.contoso.com:443")

	t.Run("without the CA", func(t *testing.T) {
		opts := n.options(ewsclient.Basic(svcUser, svcPassword))
		opts.RootCAs = nil // the system's CAs, which do not know the simulator's
		res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", opts)
		if !errors.Is(err, autodiscoverclient.ErrNotFound) || errors.Is(err, autodiscoverclient.ErrUnauthorized) {
			t.Errorf("err = %v, want ErrNotFound alone", err)
		}
		checkTrail(t, res, withSuggestions(
			"pox tls_error "+poxDomain,
			"pox tls_error "+poxAD,
			"http_redirect unreachable "+httpAD,
			"srv not_found "+srvName,
			"soap tls_error "+svcDomain,
			"soap tls_error "+svcAD,
		))
		if e := res.Attempts[0].Err; !strings.Contains(e, "certificate") || strings.HasPrefix(e, "Post ") {
			t.Errorf("TLS attempt Err = %q, want the certificate problem without the request line", e)
		}
	})
	t.Run("a certificate for another name", func(t *testing.T) {
		// fabrikam.com is not in the simulator's certificate.
		m := newNet(t)
		m.pool = n.pool
		srv := n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}, true)
		m.mapTo(strings.TrimPrefix(srv.Info().BaseURL, "https://"), "fabrikam.com:443")
		res, _ := autodiscoverclient.Discover(context.Background(), "alice@fabrikam.com", m.options(ewsclient.Basic(svcUser, svcPassword)))
		if a := res.Attempts[0]; a.Outcome != autodiscoverclient.OutcomeTLSError || !strings.Contains(a.Err, "fabrikam.com") {
			t.Errorf("first attempt %+v, want a tls_error naming fabrikam.com", a)
		}
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		opts := n.options(ewsclient.Basic(svcUser, svcPassword))
		opts.RootCAs, opts.InsecureSkipVerify = nil, true
		res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", opts)
		if err != nil || res.EWSURL != ewsA {
			t.Errorf("Discover = %v, %v; want %s", res, err, ewsA)
		}
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	n := newNet(t)
	n.sim(exchangesim.AutodiscoverOptions{DisablePOX: true, ExternalEWSURL: ewsA}, true, "contoso.com:443", "autodiscover.contoso.com:443")

	t.Run("during the SRV lookup", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		opts := n.options(ewsclient.Basic(svcUser, svcPassword))
		opts.Resolver = resolverFunc(func(ctx context.Context) ([]*net.SRV, error) {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		})
		res, err := autodiscoverclient.Discover(ctx, "alice@contoso.com", opts)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		checkTrail(t, res, []string{
			"pox not_found " + poxDomain,
			"pox not_found " + poxAD,
			"http_redirect unreachable " + httpAD,
			"srv canceled " + srvName,
		})
		if res.EWSURL != "" || len(res.Suggestions) != 0 {
			t.Errorf("a canceled search suggests %q", res.EWSURL)
		}
	})
	t.Run("during a request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		opts := n.options(ewsclient.Basic(svcUser, svcPassword))
		dial := opts.DialContext
		opts.DialContext = func(dctx context.Context, network, addr string) (net.Conn, error) {
			cancel()
			return dial(dctx, network, addr)
		}
		res, err := autodiscoverclient.Discover(ctx, "alice@contoso.com", opts)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		checkTrail(t, res, []string{"pox canceled " + poxDomain})
	})
	t.Run("before it starts", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := autodiscoverclient.Discover(ctx, "alice@contoso.com", n.options(ewsclient.Basic(svcUser, svcPassword)))
		if !errors.Is(err, context.Canceled) || len(res.Attempts) != 0 {
			t.Errorf("Discover = %d attempts, %v; want none and context.Canceled", len(res.Attempts), err)
		}
	})
}

type resolverFunc func(ctx context.Context) ([]*net.SRV, error)

func (f resolverFunc) LookupSRV(ctx context.Context, _, _, _ string) (string, []*net.SRV, error) {
	recs, err := f(ctx)
	return "", recs, err
}

// TestAttemptTimeout: a server that accepts connections and never answers costs one
// attempt timeout per attempt, and the search goes on.
func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close() // never accepted: the handshake gets no answer
	n := newNet(t)
	n.mapTo(ln.Addr().String(), "contoso.com:443")
	n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "autodiscover.contoso.com:443")
	opts := n.options(ewsclient.Basic(svcUser, svcPassword))
	opts.AttemptTimeout = 300 * time.Millisecond
	res, _ := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", opts)
	// Only the first attempt is asserted: under a loaded test run the next ones may
	// outlast so short a timeout too.
	if len(res.Attempts) < 2 {
		t.Fatalf("trail %q: want the search to go on after the timeout", trail(res))
	}
	if a := res.Attempts[0]; a.Outcome != autodiscoverclient.OutcomeTimeout || a.URL != poxDomain ||
		!strings.Contains(a.Err, "attempt timeout") {
		t.Errorf("first attempt %+v, want a timeout at %s", a, poxDomain)
	}
	if a := res.Attempts[1]; a.URL != poxAD {
		t.Errorf("second attempt %+v, want %s", a, poxAD)
	}
}

func TestResponseTooLarge(t *testing.T) {
	t.Parallel()
	n := newNet(t)
	n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}, true, "contoso.com:443")
	opts := n.options(ewsclient.Basic(svcUser, svcPassword))
	opts.MaxResponseBytes = 64
	res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", opts)
	if !errors.Is(err, autodiscoverclient.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	if a := res.Attempts[0]; a.Outcome != autodiscoverclient.OutcomeInvalidResponse || !strings.Contains(a.Err, "larger than 64 bytes") {
		t.Errorf("first attempt %+v, want invalid_response: larger than 64 bytes", a)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	good := autodiscoverclient.Options{Auth: ewsclient.Basic(svcUser, svcPassword)}
	tests := []struct {
		name    string
		email   string
		opts    autodiscoverclient.Options
		wantErr error
	}{
		{"no at sign", "alice", good, autodiscoverclient.ErrInvalidEmail},
		{"no local part", "@contoso.com", good, autodiscoverclient.ErrInvalidEmail},
		{"two at signs", "a@b@contoso.com", good, autodiscoverclient.ErrInvalidEmail},
		{"domain without a dot", "alice@localhost", good, autodiscoverclient.ErrInvalidEmail},
		{"path in the domain", "alice@contoso.com/x", good, autodiscoverclient.ErrInvalidEmail},
		{"no authenticator", "alice@contoso.com", autodiscoverclient.Options{}, nil},
		{"transport with dial options", "alice@contoso.com", autodiscoverclient.Options{Auth: good.Auth,
			Transport: http.DefaultTransport, InsecureSkipVerify: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := autodiscoverclient.Discover(context.Background(), tc.email, tc.opts)
			if err == nil || res != nil {
				t.Fatalf("Discover = %v, %v; want an error and no result", res, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "autodiscoverclient: ") {
				t.Errorf("err = %q, want the package prefix", err)
			}
		})
	}
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	n := newNet(t)
	n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsA}, true, "contoso.com:443")
	res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", n.options(ewsclient.Basic(svcUser, svcPassword)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back autodiscoverclient.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.EWSURL != ewsA || !back.Verified || len(back.Attempts) != 1 || back.Attempts[0] != res.Attempts[0] {
		t.Errorf("round trip: %+v, want %+v", back, res)
	}
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	a := raw["attempts"].([]any)[0].(map[string]any)
	for _, k := range []string{"method", "url", "email", "outcome", "http_status", "ews_url", "duration_ms"} {
		if _, ok := a[k]; !ok {
			t.Errorf("attempt JSON %s lacks %q", b, k)
		}
	}
}
