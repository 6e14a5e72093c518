package crash_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// buildMailbridge builds cmd/mailbridge from this tree into a temporary directory.
func buildMailbridge(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "mailbridge")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/mailbridge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mailbridge: %v\n%s", err, out)
	}
	return bin
}

// childEnv is the environment of the processes the harness starts: its own, without
// any MAILBRIDGE_ variable (a developer's MAILBRIDGE_DATA_DIR must not leak in), plus
// extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAILBRIDGE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// simInfo is the JSON line `mailbridge sim` prints once listening.
type simInfo struct {
	EWSURL       string `json:"ews_url"`
	AdminURL     string `json:"admin_url"`
	GraphURL     string `json:"graph_url"`
	AuthorityURL string `json:"authority_url"`
}

// startSim runs `mailbridge sim` with one generated user of items items, in its own
// process so that it outlives every worker the harness kills. It is stopped with
// SIGTERM when the test ends; its log is shown if the test failed.
func startSim(t *testing.T, bin string, items int) simInfo {
	t.Helper()
	cmd := exec.Command(bin, "sim", "--addr", "127.0.0.1:0", "--users", "1", "--items", fmt.Sprint(items), "--log-level", "warn")
	cmd.Env = childEnv()
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
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("simulator log:\n%s", stderr.String())
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("stop simulator: %v", err)
		}
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("simulator still running 15s after SIGTERM; killed")
		}
	})
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("simulator printed nothing in 30s")
	}
	var info simInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil || info.EWSURL == "" || info.AdminURL == "" {
		t.Fatalf("simulator's first line is not its JSON info (%v): %q", err, line)
	}
	return info
}

// worker is a running `mailbridge worker`.
type worker struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	hits   chan string   // "HIT name" lines, closed when the process is gone
	exited chan struct{} // closed once the process has been waited for
	err    error         // Wait's result, once exited is closed
}

// startWorker runs `mailbridge worker` on dsn, reaching the simulator's Microsoft 365
// side at info's URLs, with failpoint ("NAME:N") armed unless it is empty. A failpoint reports on an inherited pipe (fd 3, named to the worker as
// /dev/fd/3), read line by line into w.hits.
func startWorker(t *testing.T, bin, dsn string, info simInfo, failpoint string) *worker {
	t.Helper()
	w := &worker{stderr: &lockedBuffer{}, hits: make(chan string, 4), exited: make(chan struct{})}
	w.cmd = exec.Command(bin, "worker", "--database", dsn, "--workers", "1", "--poll-interval", "1h",
		"--look-back-days", "400", "--page-size", fmt.Sprint(pageSize), "--fetch-batch", fmt.Sprint(fetchBatch),
		"--node-id", nodeID, "--lease-ttl", "1500ms", "--allow-private-endpoints", "--log-level", "warn",
		"--entra-authority", info.AuthorityURL, "--graph-url", info.GraphURL)
	env := []string{"MAILBRIDGE_MASTER_KEY=" + masterKey}
	var pr, pw *os.File
	if failpoint != "" {
		var err error
		if pr, pw, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		w.cmd.ExtraFiles = []*os.File{pw}
		env = append(env, "MAILBRIDGE_FAILPOINTS="+failpoint, "MAILBRIDGE_FAILPOINT_FIFO=/dev/fd/3")
	}
	w.cmd.Env = childEnv(env...)
	w.cmd.Stderr = w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.exited)
	}()
	if pw == nil {
		close(w.hits)
	} else {
		pw.Close() // the worker holds the only write end: its death is EOF
		go func() {
			defer pr.Close()
			defer close(w.hits)
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				w.hits <- sc.Text()
			}
		}()
	}
	t.Cleanup(func() {
		w.cmd.Process.Kill()
		<-w.exited
		if t.Failed() {
			t.Logf("last lines of worker %d's log:\n%s", w.cmd.Process.Pid, tail(w.stderr.String(), 20))
		}
	})
	return w
}

// kill sends SIGKILL and waits until the process is gone.
func (w *worker) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill worker: %v", err)
	}
	<-w.exited
	ws, ok := w.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("worker ended with %v, not by SIGKILL", w.err)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stop worker: %v", err)
	}
	select {
	case <-w.exited:
		if w.err != nil {
			t.Errorf("worker did not exit cleanly on SIGTERM: %v", w.err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("worker still running 30s after SIGTERM")
	}
}

// lockedBuffer is a bytes.Buffer safe for a process's output and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
