package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

var cheap = secrets.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func startDemo(t *testing.T, opts app.DemoOptions) (*app.Demo, context.CancelFunc, chan error) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	opts.PasswordParams = cheap
	ctx, cancel := context.WithCancel(context.Background())
	d, err := app.StartDemo(ctx, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		d.Close()
	})
	return d, cancel, done
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	d, _, _ := startDemo(t, app.DemoOptions{})
	if code, body := get(t, d.URL+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, body := get(t, d.URL+"/readyz"); code != 200 || strings.TrimSpace(body) != "ready" {
		t.Fatalf("readyz: %d %q", code, body)
	}
	resp, err := http.Get(d.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
}

// An in-flight request finishes when the server is told to stop; new connections are
// refused afterwards.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	simOpts := exchangesim.Options{}
	simOpts.Faults.LatencyMS = 300 // the check below is slow enough to be in flight
	d, cancel, done := startDemo(t, app.DemoOptions{SimOptions: simOpts})
	tok := operatorToken(t, d)
	org := apiJSON(t, d, tok, "POST", "/api/v1/orgs", `{"name":"Contoso"}`, 201)
	orgID := int64(org["id"].(float64))
	apiJSON(t, d, tok, "POST", apiPath("/api/v1/orgs/%d/users", orgID), `{"email":"alice@contoso.com"}`, 201)
	apiJSON(t, d, tok, "PUT", apiPath("/api/v1/orgs/%d/email-config", orgID),
		`{"access_type":"exchange_impersonation","account_logon":"svc-sync@contoso.com","password":"Svc-Pass-2026!","ews_url":"`+app.DemoEWSURL+`","auth_method":"ntlm","base_version":0}`, 200)

	req, _ := http.NewRequest("POST", d.URL+apiPath("/api/v1/orgs/%d/checks", orgID), strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The first streamed line proves the check is running; then stop the server.
	buf := make([]byte, 1)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("the in-flight check was cut: %v", err)
	}
	if !bytes.Contains(rest, []byte(`"summary"`)) {
		t.Fatalf("the in-flight check did not finish: %s", rest)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	done <- nil // for the cleanup
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(d.URL, "http://"), time.Second); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

// serve refuses a database whose schema is out of date, and readyz says so when the
// schema changes under a running server.
func TestSchemaOutOfDate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, GenerateKey: true, PasswordParams: cheap}
	_, err := app.New(context.Background(), cfg, nil)
	if !errors.Is(err, store.ErrSchemaOutOfDate) {
		t.Fatalf("new database without --migrate: %v", err)
	}
	cfg.Migrate = true
	a, err := app.New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	key, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", key, err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg  app.Config
		want string
	}{
		{app.Config{Database: "mysql://x"}, "unsupported database"},
		{app.Config{TLSCert: "c.pem"}, "go together"},
		{app.Config{Resolve: []string{"nonsense"}}, "--resolve"},
		{app.Config{CAFile: "/nonexistent/ca.pem"}, "--ca-file"},
	}
	for _, c := range cases {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
	// No key and no permission to create one: a clear error.
	_, err := app.New(context.Background(), app.Config{DataDir: t.TempDir(), Migrate: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("missing key: %v", err)
	}
}

// operatorToken logs the demo operator in through the API's token route and returns a
// fresh operator API token.
func operatorToken(t *testing.T, d *app.Demo) string {
	t.Helper()
	tok, err := d.App.Service().CreateAPIToken(context.Background(), demoOperator(t, d), 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

func apiPath(format string, id int64) string { return strings.Replace(format, "%d", itoa(id), 1) }

func itoa(n int64) string { return strconvFormat(n) }

func apiJSON(t *testing.T, d *app.Demo, tok, method, path, body string, want int) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}
