package autodiscoverclient_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// tlsHandler serves h over TLS with a certificate for contoso.com and its hosts, and
// maps each "host:port" to it.
func (n *testNet) tlsHandler(h http.Handler, hosts ...string) {
	n.t.Helper()
	certs, err := exchangesim.GenerateCertificates(time.Now(), []string{"contoso.com", "autodiscover.contoso.com", "mail.contoso.com"})
	if err != nil {
		n.t.Fatal(err)
	}
	if !n.pool.AppendCertsFromPEM(certs.CAPEM) {
		n.t.Fatal("no CA certificate")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.t.Fatal(err)
	}
	s := &http.Server{Handler: h}
	tln := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{certs.Server}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(tln)
	}()
	n.t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	n.mapTo(ln.Addr().String(), hosts...)
}

// TestOddAnswers: answers a real Exchange may give behind proxies and load balancers.
// Each is recorded with its own outcome, and the search goes on to the next server.
func TestOddAnswers(t *testing.T) {
	t.Parallel()
	poxSettings := func(protocols ...autodiscover.POXProtocol) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_ = autodiscover.EncodePOXResponse(w, &autodiscover.POXResponse{Account: &autodiscover.POXAccount{
				AccountType: "email", Action: autodiscover.POXActionSettings, Protocols: protocols,
			}})
		}
	}
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantOutcome autodiscoverclient.Outcome
		wantStatus  int
		wantErr     string
		wantRedir   string
		wantURL     string // an EWS URL found at the domain itself
	}{
		{
			name: "a login page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, "<html><body>Sign in</body></html>")
			},
			wantOutcome: autodiscoverclient.OutcomeInvalidResponse, wantStatus: 200, wantErr: "not a POX Autodiscover answer (text/html)",
		},
		{
			name: "server busy",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			wantOutcome: autodiscoverclient.OutcomeHTTPError, wantStatus: 503, wantErr: "busy",
		},
		{
			name: "forbidden",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusForbidden)
			},
			wantOutcome: autodiscoverclient.OutcomeHTTPError, wantStatus: 403, wantErr: "403 Forbidden",
		},
		{
			name: "an HTTP redirect of the POST is followed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, poxMail, http.StatusFound)
			},
			wantOutcome: autodiscoverclient.OutcomeRedirect, wantStatus: 302, wantRedir: poxMail,
		},
		{
			name:        "settings without an EWS URL",
			handler:     poxSettings(autodiscover.POXProtocol{Type: autodiscover.POXProtocolWEB}),
			wantOutcome: autodiscoverclient.OutcomeAutodiscoverError, wantStatus: 200, wantErr: "no EwsUrl",
		},
		{
			name: "the external URL is preferred",
			handler: poxSettings(
				autodiscover.POXProtocol{Type: autodiscover.POXProtocolEXCH, EWSURL: "https://internal.contoso.local/EWS/Exchange.asmx"},
				autodiscover.POXProtocol{Type: autodiscover.POXProtocolEXPR, EWSURL: "https://external.contoso.com/EWS/Exchange.asmx"},
			),
			wantOutcome: autodiscoverclient.OutcomeOK, wantStatus: 200, wantURL: "https://external.contoso.com/EWS/Exchange.asmx",
		},
		{
			name: "redirectAddr to the same address",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_ = autodiscover.EncodePOXResponse(w, &autodiscover.POXResponse{Account: &autodiscover.POXAccount{
					Action: autodiscover.POXActionRedirectAddr, RedirectAddr: "Alice@contoso.com",
				}})
			},
			wantOutcome: autodiscoverclient.OutcomeRefused, wantStatus: 200, wantErr: "misconfigured", wantRedir: "Alice@contoso.com",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNet(t)
			n.tlsHandler(tc.handler, "contoso.com:443")
			n.sim(exchangesim.AutodiscoverOptions{ExternalEWSURL: ewsB}, true, "mail.contoso.com:443", "autodiscover.contoso.com:443")
			res, err := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", n.options(ewsclient.Basic(svcUser, svcPassword)))
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			first := res.Attempts[0]
			if first.Outcome != tc.wantOutcome || first.HTTPStatus != tc.wantStatus || !strings.Contains(first.Err, tc.wantErr) ||
				first.RedirectTo != tc.wantRedir {
				t.Errorf("first attempt %+v, want outcome %s, status %d, error ~%q, redirect %q",
					first, tc.wantOutcome, tc.wantStatus, tc.wantErr, tc.wantRedir)
			}
			want := tc.wantURL
			if want == "" {
				want = ewsB // found by the next server
			}
			if res.EWSURL != want || !res.Verified {
				t.Errorf("EWSURL %q, want %q verified", res.EWSURL, want)
			}
		})
	}
}

// TestSOAPFault: a SOAP fault (HTTP 500) is an Autodiscover error, not a dead server.
func TestSOAPFault(t *testing.T) {
	t.Parallel()
	n := newNet(t)
	n.tlsHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".xml") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_ = autodiscover.EncodeSOAPFault(w, &autodiscover.SOAPFault{Code: "Client", CodeNamespace: autodiscover.NSSoap, String: "broken"})
	}), "contoso.com:443", "autodiscover.contoso.com:443")
	res, _ := autodiscoverclient.Discover(context.Background(), "alice@contoso.com", n.options(ewsclient.Basic(svcUser, svcPassword)))
	var soap []autodiscoverclient.Attempt
	for _, a := range res.Attempts {
		if a.Method == autodiscoverclient.MethodSOAP {
			soap = append(soap, a)
		}
	}
	if len(soap) != 2 || soap[0].Outcome != autodiscoverclient.OutcomeAutodiscoverError || soap[0].HTTPStatus != 500 ||
		!strings.Contains(soap[0].Err, "SOAP fault Client: broken") {
		t.Errorf("SOAP attempts %+v, want autodiscover_error with the fault", soap)
	}
}
