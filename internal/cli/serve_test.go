package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/cli"
)

// run runs a command to its end.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// The first start of a server: migrate, create the first operator, serve, stop.
func TestMigrateAdminServe(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MAILBRIDGE_DATA_DIR", dir) // every command finds the data through its variable
	t.Setenv("OP_PASSWORD", "operator password 2026")

	// serve refuses a database without the schema.
	code, _, stderr := run(t, "", "serve", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "mailbridge migrate") {
		t.Fatalf("serve before migrate: %d %s", code, stderr)
	}
	code, stdout, stderr := run(t, "", "migrate")
	if code != 0 || !strings.Contains(stdout, "sqlite schema at version") {
		t.Fatalf("migrate: %d %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "", "admin", "create-operator", "--email", "Ops@Example.com", "--password-env", "OP_PASSWORD")
	if code != 0 || !strings.Contains(stdout, "created operator ops@example.com") || strings.Contains(stdout, "operator password") {
		t.Fatalf("create-operator: %d %s %s", code, stdout, stderr)
	}
	code, _, stderr = run(t, "", "admin", "create-operator", "--email", "ops@example.com", "--password-env", "OP_PASSWORD")
	if code != 2 || !strings.Contains(stderr, "exists already") {
		t.Fatalf("second create-operator: %d %s", code, stderr)
	}
	// A generated password is printed once and works.
	code, stdout, _ = run(t, "", "admin", "reset-password", "--email", "ops@example.com")
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout)
	if code != 0 || m == nil {
		t.Fatalf("reset-password: %d %s", code, stdout)
	}
	a, err := app.New(context.Background(), app.Config{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service().Login(context.Background(), "ops@example.com", m[1], "127.0.0.1"); err != nil {
		t.Fatalf("the generated password does not log in: %v", err)
	}
	a.Close()
	if key := filepath.Join(dir, "master.key"); !fileExists(key) {
		t.Fatal("no master key was created")
	}

	// serve answers health checks and stops cleanly when its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := cli.Run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, pw)
		pw.Close()
		done <- code
	}()
	var addr string
	var logMu sync.Mutex
	var log strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		logMu.Lock()
		log.WriteString(sc.Text() + "\n")
		logMu.Unlock()
		if m := regexp.MustCompile(`msg="mailbridge listening" addr=(\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" {
		cancel()
		t.Fatalf("serve did not say where it listens:\n%s", log.String())
	}
	for _, p := range []string{"/healthz", "/readyz", "/login", "/api/v1/openapi.json"} {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
}

func TestServerUsageErrors(t *testing.T) {
	t.Setenv("MAILBRIDGE_LOG_FORMAT", "xml")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--data-dir", t.TempDir()}, "--log-format"}, // from the environment
		{[]string{"serve", "--data-dir", t.TempDir(), "--log-format", "text", "--database", "mysql://x"}, "unsupported database"},
		{[]string{"serve", "--log-format", "text", "extra"}, "unexpected argument"},
		{[]string{"admin"}, "Usage: mailbridge admin"},
		{[]string{"admin", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"admin", "create-operator", "--log-format", "text"}, "--email is required"},
		{[]string{"admin", "create-operator", "--log-format", "text", "--email", "a@b.test", "--password-stdin", "--password-env", "X"}, "exclusive"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, "", c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
	t.Setenv("MAILBRIDGE_LOG_FORMAT", "")
	dir := t.TempDir()
	if code, _, stderr := run(t, "", "admin", "create-operator", "--data-dir", dir, "--email", "a@b.test"); code != 1 || !strings.Contains(stderr, "mailbridge migrate") {
		t.Errorf("create-operator before migrate: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "migrate", "--data-dir", dir); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	code, _, stderr := run(t, "short\n", "admin", "create-operator", "--data-dir", dir, "--email", "a@b.test", "--password-stdin")
	if code != 2 || !strings.Contains(stderr, "12 characters") {
		t.Errorf("short password: %d %s", code, stderr)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// demo prints where the panel is and a login that works, then serves until stopped.
func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code := cli.Run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--log-level", "warn"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	var banner strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Press Ctrl+C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(`Admin panel:\s+(http://\S+)`).FindStringSubmatch(banner.String())
	login := regexp.MustCompile(`Log in as:\s+(\S+)\s+Password:\s+(\S+)`).FindStringSubmatch(banner.String())
	if url == nil || login == nil || !strings.Contains(banner.String(), "svc-sync@contoso.com") {
		cancel()
		t.Fatalf("banner:\n%s", banner.String())
	}
	resp, err := http.Get(url[1] + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /login: %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited with %d", code)
	}
}
