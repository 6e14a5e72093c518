package api_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/api"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
)

var ctx = context.Background()

const (
	ewsURL      = controltest.EWSURL
	svcLogon    = controltest.ServiceLogon
	svcPassword = controltest.ServicePassword // "Svc-Pass-2026!"
)

// env is the API over controltest's Service (a fresh SQLite store, the contoso simulator
// reachable as contoso.com), served by a real HTTP server, with an operator API token.
// The test fails if the service account's password reaches the logs.
type env struct {
	*controltest.Env
	api     *api.Handler
	srv     *httptest.Server
	logs    *controltest.LogBuffer
	opToken string // an operator API token
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, controltest.Options{})
}

// newEnvWith is newEnv with controltest's options (another database, say).
func newEnvWith(t *testing.T, opts controltest.Options) *env {
	t.Helper()
	e := &env{Env: controltest.New(t, opts), logs: &controltest.LogBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	e.api, err = api.New(e.Service, api.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", e.api)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	tok, err := e.Service.CreateAPIToken(ctx, e.Operator, 0, "tests")
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

// ids fills the wildcards of a route pattern; item is an EWS ItemId, sent URL-escaped.
type ids struct {
	org, user, run, admin, token int64
	source                       int64 // a kept distribution group
	webhook                      int64
	item                         string
}

// path expands a pattern's wildcards (and drops a "METHOD " prefix).
func path(pattern string, v ids) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	return strings.NewReplacer(
		"{org}", strconv.FormatInt(v.org, 10), "{user}", strconv.FormatInt(v.user, 10), "{run}", strconv.FormatInt(v.run, 10),
		"{admin}", strconv.FormatInt(v.admin, 10), "{token}", strconv.FormatInt(v.token, 10),
		"{item}", url.PathEscape(cmp.Or(v.item, "none")),
		"{source}", strconv.FormatInt(v.source, 10), "{webhook}", strconv.FormatInt(v.webhook, 10),
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
