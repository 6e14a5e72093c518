package api_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/api"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

var ctx = context.Background()

// cheapParams keep password hashing fast under the race detector.
var cheapParams = secrets.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const (
	ewsURL      = "https://mail.contoso.com/EWS/Exchange.asmx"
	svcLogon    = "svc-sync@contoso.com"
	svcPassword = exchangesim.DefaultServicePassword // "Svc-Pass-2026!"
)

// noSRV answers every SRV lookup "no such record", as a closed network would.
type noSRV struct{}

func (noSRV) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is the API over a control.Service over a fresh SQLite store, with the contoso
// simulator over TLS reachable as contoso.com, autodiscover.contoso.com and
// mail.contoso.com, served by a real HTTP server.
type env struct {
	svc     *control.Service
	st      *store.Store
	api     *api.Handler
	srv     *httptest.Server
	logs    *syncBuffer
	opToken string // an operator API token
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{logs: &syncBuffer{}}
	simOpts := exchangesim.Options{}
	simOpts.Autodiscover.ExternalEWSURL = ewsURL
	sim, err := exchangesim.New(simOpts)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	running, err := sim.Start(sctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0", TLS: true, StateDir: t.TempDir()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		c, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		running.Shutdown(c)
	})
	ov, err := hostoverride.Parse(running.ResolveSpecs())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(running.CAPEM())
	e.st, err = store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"), store.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	sealer, err := secrets.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.svc, err = control.New(control.Config{Store: e.st, Sealer: sealer, AllowPrivateEndpoints: true, Overrides: ov,
		RootCAs: pool, Resolver: noSRV{}, PasswordParams: cheapParams})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.api, err = api.New(e.svc, api.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", e.api)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	tok, err := e.svc.CreateAPIToken(ctx, control.Principal{Kind: control.Operator, Label: "op@mailbridge.test"}, 0, "tests")
	if err != nil {
		t.Fatal(err)
	}
	e.opToken = tok.Token
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), svcPassword) {
			t.Error("a password reached the logs")
		}
	})
	return e
}

// org creates an organization through the API, with the users given, and returns its
// id and a token of the organization.
func (e *env) org(t *testing.T, name string, users ...string) (int64, string) {
	t.Helper()
	var o struct{ ID int64 }
	e.do(t, e.opToken, "POST", "/api/v1/orgs", map[string]any{"name": name}).want(t, 201).decode(t, &o)
	var tok struct{ Token string }
	e.do(t, e.opToken, "POST", path("/api/v1/orgs/{org}/tokens", ids{org: o.ID}), map[string]any{"name": "token of " + name}).want(t, 201).decode(t, &tok)
	for _, u := range users {
		e.do(t, tok.Token, "POST", path("/api/v1/orgs/{org}/users", ids{org: o.ID}), map[string]any{"email": u}).want(t, 201)
	}
	return o.ID, tok.Token
}

// contosoConfig is svc-sync's configuration, as a request body.
func contosoConfig() map[string]any {
	return map[string]any{"access_type": "exchange_impersonation", "account_logon": svcLogon, "password": svcPassword,
		"ews_url": ewsURL, "auth_method": "ntlm"}
}

// ids fills the wildcards of a route pattern.
type ids struct{ org, user, run, admin, token int64 }

// path expands a pattern's wildcards (and drops a "METHOD " prefix).
func path(pattern string, v ids) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	return strings.NewReplacer(
		"{org}", strconv.FormatInt(v.org, 10), "{user}", strconv.FormatInt(v.user, 10), "{run}", strconv.FormatInt(v.run, 10),
		"{admin}", strconv.FormatInt(v.admin, 10), "{token}", strconv.FormatInt(v.token, 10),
	).Replace(pattern)
}

// resp is a response, read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// raw is a request body sent as it is, with its content type.
type raw struct {
	contentType string
	body        []byte
}

// do sends a request with an API token (none when empty). body is nil (no body), a raw,
// or a value sent as JSON. hdr are extra header name, value pairs.
func (e *env) do(t *testing.T, token, method, p string, body any, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case raw:
		rd, ct = bytes.NewReader(b.body), b.contentType
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+p, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// want fails the test unless the response has the status.
func (r resp) want(t *testing.T, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %s: %v", r.body, err)
	}
}

// apiErr is the error body.
type apiErr struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
		Lines   []struct {
			Line    int    `json:"line"`
			Text    string `json:"text"`
			Message string `json:"message"`
		} `json:"lines"`
	} `json:"error"`
}

// wantErr fails the test unless the response is an error with the status and code.
func (r resp) wantErr(t *testing.T, status int, code string) apiErr {
	t.Helper()
	r.want(t, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error with Content-Type %q", ct)
	}
	var e apiErr
	r.decode(t, &e)
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("error %s, want code %s and a message", r.body, code)
	}
	return e
}
