// Package bench_test holds mailbridge's end-to-end benchmarks (issue 6, item 8): the
// whole product in this process — app.New on SQLite in a temporary directory, its River
// workers and its streaming-notification watcher — against `mailbridge sim` running in
// its own process on loopback, so that the CPU time and memory measured here are
// mailbridge's alone. The organization, its users and its Email Configuration are made
// through the control service as an admin would, and completion is awaited on the job
// runner's events, not by sleeping.
//
// Each benchmark is meant to run once (-benchtime 1x); see README.md, "Benchmarks".
package bench_test

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/jobs"
	"github.com/mailbridge/mailbridge/internal/secrets"
)

var (
	idleWindow = flag.Duration("idle-window", envDuration("MAILBRIDGE_BENCH_IDLE", time.Minute),
		"BenchmarkIdle10000: how long the synced mailboxes are watched idle (env MAILBRIDGE_BENCH_IDLE)")
	latencyMessages = flag.Int("latency-messages", envInt("MAILBRIDGE_BENCH_MESSAGES", 200),
		"BenchmarkDeliveryLatency: messages delivered (env MAILBRIDGE_BENCH_MESSAGES)")
	latencyRate = flag.Float64("latency-rate", 5, "BenchmarkDeliveryLatency: messages delivered per second")
	profileDir  = flag.String("profile-dir", os.Getenv("MAILBRIDGE_BENCH_PROFILE_DIR"),
		"if set, BenchmarkIdle10000 writes CPU profiles of its window, and heap and goroutine profiles at its end, here (env MAILBRIDGE_BENCH_PROFILE_DIR)")
	appLogLevel = flag.String("app-log-level", "warn", "level of the product's log (to stderr)")
)

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// cheap are argon2id parameters that make the admin's login instant.
var cheap = secrets.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const (
	svcAccount = "svc-sync@example.com"
	adminEmail = "admin@example.org"
	adminPass  = "Bench-Admin-Pass-2026!"
)

// binDir holds the mailbridge binary, built once for every benchmark.
var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// mailbridgeBin builds cmd/mailbridge from this tree (once per test binary).
func mailbridgeBin(b *testing.B) string {
	b.Helper()
	buildOnce.Do(func() {
		root, err := filepath.Abs("../..")
		if err != nil {
			buildErr = err
			return
		}
		if binDir, buildErr = os.MkdirTemp("", "mailbridge-bench-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "mailbridge")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/mailbridge")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/mailbridge: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binPath
}

// simProc is a `mailbridge sim` process.
type simProc struct {
	cmd      *exec.Cmd
	EWSURL   string `json:"ews_url"`
	AdminURL string `json:"admin_url"`
}

// startSim runs `mailbridge sim --users users --items items` in its own process, stopped
// with SIGTERM when the benchmark ends.
func startSim(b *testing.B, users, items int) *simProc {
	b.Helper()
	cmd := exec.Command(mailbridgeBin(b), "sim", "--addr", "127.0.0.1:0", "--users", strconv.Itoa(users),
		"--items", strconv.Itoa(items), "--seed", "1", "--log-level", "warn")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAILBRIDGE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		defer close(exited)
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out)
		cmd.Wait()
	}()
	b.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	s := &simProc{cmd: cmd}
	select {
	case line := <-lines:
		if err := json.Unmarshal([]byte(line), s); err != nil || s.EWSURL == "" {
			b.Fatalf("simulator's first line is not its JSON info (%v): %q", err, line)
		}
	case <-time.After(2 * time.Minute):
		b.Fatal("simulator printed nothing in 2 minutes")
	}
	return s
}

// cpu returns the CPU time the simulator's process has used.
func (s *simProc) cpu() time.Duration { return procCPU(s.cmd.Process.Pid) }

// product is mailbridge running in this process with one organization.
type product struct {
	app     *app.App
	cancel  context.CancelFunc
	done    chan error
	org     int64
	admin   control.Principal
	sim     *simProc
	userIDs map[string]int64 // by address
	events  <-chan *river.Event
	unsub   func()
}

// startProduct opens a new product on SQLite in a temporary directory, starts its sync
// workers (and streaming watcher), and has an admin create the organization and import
// users user00001@example.com…; the Email Configuration is saved by activate.
func startProduct(b *testing.B, sim *simProc, users int) *product {
	b.Helper()
	ctx := context.Background()
	var level slog.Level
	if err := level.UnmarshalText([]byte(*appLogLevel)); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	key := make([]byte, 32)
	rand.Read(key)
	a, err := app.New(ctx, app.Config{
		DataDir: b.TempDir(), MasterKey: hex.EncodeToString(key), Migrate: true, AllowPrivateEndpoints: true, PasswordParams: cheap,
		Workers: 16, // the product's poll interval: 10 minutes with streaming notifications
		// Every generated item is stored, as in BenchmarkInitialSync20k (the default 90
		// days would skip some of them).
		LookBack: 400 * 24 * time.Hour,
	}, logger)
	if err != nil {
		b.Fatal(err)
	}
	svc := a.Service()
	op := control.Principal{Kind: control.Operator, Label: "bench"}
	org, err := svc.CreateOrganization(ctx, op, "Example")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateOrgAdmin(ctx, op, org.ID, control.NewAdmin{Email: adminEmail, Name: "Bench Admin", Password: adminPass}); err != nil {
		b.Fatal(err)
	}
	sess, err := svc.Login(ctx, adminEmail, adminPass, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	var list strings.Builder
	for i := 1; i <= users; i++ {
		fmt.Fprintf(&list, "user%05d@example.com\n", i)
	}
	if res, err := svc.ImportUsers(ctx, sess.Principal, org.ID, strings.NewReader(list.String())); err != nil || res.Added != users {
		b.Fatalf("import users: %+v %v", res, err)
	}
	us, err := svc.ListUsers(ctx, sess.Principal, org.ID)
	if err != nil {
		b.Fatal(err)
	}
	p := &product{app: a, org: org.ID, admin: sess.Principal, sim: sim, userIDs: map[string]int64{}, done: make(chan error, 1)}
	for _, u := range us {
		p.userIDs[u.Email] = u.ID
	}
	p.events, p.unsub = a.Jobs().Subscribe(river.EventKindJobSnoozed, river.EventKindJobCompleted, river.EventKindJobFailed)
	wctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	go func() { p.done <- a.RunWorker(wctx) }()
	return p
}

// activate saves the Email Configuration, which activates sync for every user.
func (p *product) activate(b *testing.B) {
	b.Helper()
	if _, err := p.app.Service().SaveEmailConfig(context.Background(), p.admin, p.org, control.EmailConfigInput{
		AccountLogon: svcAccount, Password: exchangesim.DefaultServicePassword, EWSURL: p.sim.EWSURL, AuthMethod: "ntlm",
	}); err != nil {
		b.Fatalf("save the email configuration: %v", err)
	}
}

// close stops the workers and the watcher and closes the store.
func (p *product) close(b *testing.B) {
	b.Helper()
	p.unsub()
	p.cancel()
	if err := <-p.done; err != nil {
		b.Errorf("worker: %v", err)
	}
	p.app.Close()
}

// waitSynced waits, one River job event at a time, until every mailbox has finished
// its initial sync (its status turned "ok": it has a last success), and returns when
// the last one did. Each event's mailbox is looked up. A full count every 10 s prints
// progress (on stderr: a benchmark's log keeps only 10 lines) and is a backstop for events River drops when its channel is full: a
// mailbox seen synced at two counts in a row without its event is taken as synced at the
// first (the time is then late by up to 10 s, and said so).
func (p *product) waitSynced(b *testing.B, n int, timeout time.Duration) time.Time {
	b.Helper()
	ctx := context.Background()
	st := p.app.Store()
	synced := make(map[int64]bool, n)
	unseen := map[int64]time.Time{} // synced by the last count, without an event yet
	var last time.Time
	deadline := time.After(timeout)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	start := time.Now()
	for len(synced) < n {
		select {
		case ev := <-p.events:
			if ev.Job == nil || ev.Job.Kind != (jobs.SyncArgs{}).Kind() {
				continue
			}
			var args jobs.SyncArgs
			if err := json.Unmarshal(ev.Job.EncodedArgs, &args); err != nil || synced[args.UserID] {
				continue
			}
			mb, err := st.GetMailbox(ctx, p.org, args.UserID)
			if err != nil {
				b.Fatal(err)
			}
			if mb.LastSuccessAt != nil {
				synced[args.UserID], last = true, time.Now()
				delete(unseen, args.UserID)
			}
		case now := <-tick.C:
			mbs, err := st.ListMailboxes(ctx, p.org)
			if err != nil {
				b.Fatal(err)
			}
			status := map[string]int{}
			missed := 0
			for _, m := range mbs {
				status[m.Status+"/"+m.StatusCode]++
				if m.LastSuccessAt == nil || synced[m.UserID] {
					continue
				}
				if at, ok := unseen[m.UserID]; ok {
					synced[m.UserID], missed = true, missed+1
					if at.After(last) {
						last = at
					}
					delete(unseen, m.UserID)
				} else {
					unseen[m.UserID] = now
				}
			}
			if missed > 0 {
				fmt.Fprintf(os.Stderr, "%s: %d mailboxes synced without their event (River dropped events?): the time may be late by up to 10 s\n", b.Name(), missed)
			}
			fmt.Fprintf(os.Stderr, "%s: %6.0fs: %d of %d mailboxes synced; statuses %v\n", b.Name(), time.Since(start).Seconds(), len(synced), n, status)
		case <-deadline:
			b.Fatalf("%d of %d mailboxes synced after %v", len(synced), n, timeout)
		}
	}
	return last
}

// waitStreaming waits until every one of n mailboxes is read by an open streaming
// connection.
func (p *product) waitStreaming(b *testing.B, n int, timeout time.Duration) {
	b.Helper()
	w := p.app.Watcher()
	if w == nil {
		b.Fatal("no watcher running")
	}
	deadline := time.After(timeout)
	for {
		updated := w.Updated()
		if len(w.Streaming(p.org)) >= n {
			return
		}
		select {
		case <-updated:
		case <-deadline:
			b.Fatalf("%d of %d mailboxes streaming after %v: %+v", len(w.Streaming(p.org)), n, timeout, w.Stats())
		}
	}
}

// drainEvents counts River's job events from now on, and pokes wake (without blocking)
// at each; stop ends it.
func (p *product) drainEvents() (count *atomic.Int64, wake <-chan struct{}, stop func()) {
	count = new(atomic.Int64)
	w := make(chan struct{}, 1)
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-p.events:
				count.Add(1)
				select {
				case w <- struct{}{}:
				default:
				}
			}
		}
	}()
	return count, w, func() { close(quit); <-done }
}

// itemCount sums the stored items of the organization's mailboxes, and counts the
// mailboxes by status.
func (p *product) itemCount(b *testing.B) (items int64, status map[string]int) {
	b.Helper()
	mbs, err := p.app.Store().ListMailboxes(context.Background(), p.org)
	if err != nil {
		b.Fatal(err)
	}
	status = map[string]int{}
	for _, m := range mbs {
		items += m.Items
		status[m.Status+"/"+m.StatusCode]++
	}
	return items, status
}

// metricsSnapshot is one scrape of the product's /metrics: value by series.
type metricsSnapshot map[string]float64

// scrape reads the product's /metrics through its handler.
func scrape(b *testing.B, a *app.App) metricsSnapshot {
	b.Helper()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET /metrics: %d", rec.Code)
	}
	m := metricsSnapshot{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); i > 0 && err == nil {
			m[line[:i]] = v
		}
	}
	return m
}

// by sums the series of metric name by the value of label (all of them under "").
func (m metricsSnapshot) by(name, label string) map[string]float64 {
	out := map[string]float64{}
	for series, v := range m {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		key := ""
		if _, rest, ok := strings.Cut(series, label+`="`); ok && label != "" {
			key, _, _ = strings.Cut(rest, `"`)
		}
		out[key] += v
	}
	return out
}

// total sums every series of metric name.
func (m metricsSnapshot) total(name string) float64 { return m.by(name, "")[""] }

// delta returns after's values by label minus before's.
func delta(before, after metricsSnapshot, name, label string) map[string]float64 {
	b, out := before.by(name, label), after.by(name, label)
	for k, v := range b {
		out[k] -= v
	}
	for k, v := range out {
		if v == 0 {
			delete(out, k)
		}
	}
	return out
}

// meanMS returns the mean, in milliseconds, of histogram name's observations between two
// scrapes, by label (e.g. "GetItem=4.2").
func meanMS(before, after metricsSnapshot, name, label string) string {
	sums, counts := delta(before, after, name+"_sum", label), delta(before, after, name+"_count", label)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%.1f", cmp.Or(k, "all"), 1000*sums[k]/counts[k])
	}
	return strings.Join(parts, " ")
}

// formatCounts prints counts sorted by key, e.g. "GetItem=1200 SyncFolderItems=5000".
func formatCounts(m map[string]float64, scale float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%.0f", k, m[k]*scale)
	}
	return strings.Join(parts, " ")
}

// startCPUProfile starts a CPU profile into -profile-dir/NAME.cpu, if it is set (and
// the test binary's own -cpuprofile is not); the returned function stops it.
func startCPUProfile(b *testing.B, name string) (stop func()) {
	b.Helper()
	if *profileDir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(*profileDir, name+".cpu"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Logf("no CPU profile of the window: %v", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// writeProfiles writes the heap (after a GC) and goroutine profiles to -profile-dir as
// NAME.heap and NAME.goroutine, if it is set.
func writeProfiles(b *testing.B, name string) {
	b.Helper()
	if *profileDir == "" {
		return
	}
	for _, prof := range []string{"heap", "goroutine"} {
		f, err := os.Create(filepath.Join(*profileDir, name+"."+prof))
		if err != nil {
			b.Fatal(err)
		}
		if prof == "heap" {
			runtime.GC()
		}
		if err := pprof.Lookup(prof).WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSS is this process's peak resident set size (getrusage), since the process
// started or the last resetPeakRSS.
func maxRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss << 10 // kilobytes on Linux
}

// resetPeakRSS resets the kernel's peak RSS of this process to its current RSS (Linux
// 4.0+), so that maxRSS measures one benchmark, not those before it in this process.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// currentRSS is this process's resident set size now (VmRSS), or 0 if unknown.
func currentRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// writeBytes is what this process has written to storage (/proc/self/io), or -1.
func writeBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// procCPU is the CPU time (user and system) process pid has used, from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesized command: state is field 3; utime 14, stime 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+stt) * time.Second / 100 // USER_HZ
}

// loadAvg is the machine's load average line.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// percentile returns the p-th percentile (0–100) of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
