// Package clients_test proves the Exchange simulator's fidelity with unmodified
// third-party EWS clients: ews-javascript-api (a port of Microsoft's EWS Managed API, over
// Basic) and Debian's python3-exchangelib (over NTLM). Each suite runs as a subprocess
// against its own `mailbridge sim --tls`, built from this tree; its output goes to the
// test log and a non-zero exit fails the test.
//
// The clients are installed by scripts/test-deps.sh (`make deps`, part of `make test`);
// a missing client fails the test rather than skipping it.
package clients_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// python is Debian's interpreter, which has python3-exchangelib; a python3 earlier on
// PATH (pyenv, a virtualenv) would not.
const python = "/usr/bin/python3"

// suiteTimeout bounds one client suite; each finishes in seconds when the simulator works.
const suiteTimeout = 90 * time.Second

// simInfo is the JSON line `mailbridge sim` prints once listening.
type simInfo struct {
	BaseURL             string `json:"base_url"`
	EWSURL              string `json:"ews_url"`
	AutodiscoverURL     string `json:"autodiscover_url"`
	AutodiscoverSOAPURL string `json:"autodiscover_soap_url"`
	AdminURL            string `json:"admin_url"`
	CACert              string `json:"ca_cert"`
	Scenario            string `json:"scenario"`
	Domain              string `json:"domain"`
}

func TestClients(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := buildMailbridge(t, root)

	t.Run("ews-javascript-api", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(root, "test", "clients", "js")
		node, err := exec.LookPath("node")
		if err != nil {
			t.Fatalf("node is not installed (%v): the ews-javascript-api suite needs it", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "ews-javascript-api")); err != nil {
			t.Fatalf("ews-javascript-api is not installed in %s: run `make deps` (scripts/test-deps.sh), which runs npm ci there", dir)
		}
		info, line := startSim(t, bin)
		runSuite(t, dir, []string{"NODE_EXTRA_CA_CERTS=" + info.CACert, "MAILBRIDGE_SIM=" + line},
			node, "--test", "--test-reporter=spec", "ewsjs.test.js")
	})

	t.Run("exchangelib", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(root, "test", "clients", "python")
		if out, err := exec.Command(python, "-c", "import exchangelib").CombinedOutput(); err != nil {
			t.Fatalf("exchangelib is not installed for %s (%v: %s): run `make deps` (scripts/test-deps.sh), which installs python3-exchangelib", python, err, bytes.TrimSpace(out))
		}
		info, line := startSim(t, bin)
		runSuite(t, dir, []string{
			"REQUESTS_CA_BUNDLE=" + info.CACert,
			"MAILBRIDGE_SIM=" + line,
			"TMPDIR=" + t.TempDir(), // exchangelib keeps an Autodiscover cache file there
			"PYTHONDONTWRITEBYTECODE=1",
		}, python, "-m", "unittest", "-v", "test_exchangelib")
	})
}

// buildMailbridge builds the simulator from this tree into a temporary directory.
func buildMailbridge(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mailbridge")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/mailbridge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mailbridge: %v\n%s", err, out)
	}
	return bin
}

// startSim runs `mailbridge sim --tls` on a free port and returns what it printed. The
// simulator is stopped with SIGTERM when the test ends and must exit cleanly; its log is
// shown if the test failed.
func startSim(t *testing.T, bin string) (simInfo, string) {
	t.Helper()
	cmd := exec.Command(bin, "sim", "--addr", "127.0.0.1:0", "--tls", "--state-dir", t.TempDir())
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		// Its log is worth reading whenever the test failed.
		defer func() {
			if t.Failed() {
				t.Logf("simulator log:\n%s", stderr.String())
			}
		}()
		select {
		case err := <-exited:
			t.Errorf("simulator exited before the end of the test: %v", err)
			return
		default:
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("stop simulator: %v", err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("simulator did not exit cleanly on SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("simulator still running 15s after SIGTERM; killed")
		}
	})

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout) // nothing else is expected; keep the pipe drained
		exited <- cmd.Wait()
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("simulator printed nothing in 30s")
	}
	if line == "" { // stdout closed: the simulator is exiting
		err := <-exited
		exited <- err // for the cleanup
		t.Fatalf("simulator exited without printing its JSON line: %v", err)
	}
	line = strings.TrimSpace(line)
	var info simInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("simulator's first line is not its JSON info (%v): %q", err, line)
	}
	if info.EWSURL == "" || info.AdminURL == "" || info.AutodiscoverSOAPURL == "" || info.CACert == "" {
		t.Fatalf("simulator info lacks URLs or the CA: %s", line)
	}
	if info.Scenario != "contoso" || info.Domain != "contoso.com" {
		t.Fatalf("the suites expect the contoso scenario, got %s", line)
	}
	return info, line
}

// runSuite runs a client suite in dir with env added, streaming its output into the test
// log line by line, and fails the test if it exits non-zero.
func runSuite(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), suiteTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	// Loopback only: no proxy from the environment may intercept the simulator's URLs.
	cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*", "TZ=UTC")
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = 5 * time.Second
	out := &lineLogger{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	out.flush()
	if ctx.Err() != nil {
		t.Fatalf("%s: no result within %v", filepath.Base(name), suiteTimeout)
	}
	if err != nil {
		t.Fatalf("%s suite failed: %v (its output is above)", filepath.Base(dir), err)
	}
}

// lineLogger writes complete lines to the test log as they arrive.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}

// lockedBuffer is a bytes.Buffer safe for the simulator's writes and the test's reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
