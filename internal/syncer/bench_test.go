package syncer_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// countRequests counts EWS request attempts; countGraphRequests Graph's.
type (
	countRequests      struct{ n atomic.Int64 }
	countGraphRequests struct{ n atomic.Int64 }
)

func (c *countRequests) Request(string, string, time.Duration)   { c.n.Add(1) }
func (c *countRequests) ThrottleWait(string, time.Duration)      {}
func (c *countGraphRequests) Request(string, int, time.Duration) { c.n.Add(1) }
func (c *countGraphRequests) ThrottleWait(string, time.Duration) {}

// countTransport counts the HTTP requests sent through it (the token requests).
type countTransport struct{ n atomic.Int64 }

func (c *countTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// simProcInfo is what `mailbridge sim` prints once listening.
type simProcInfo struct {
	EWSURL       string `json:"ews_url"`
	GraphURL     string `json:"graph_url"`
	AuthorityURL string `json:"authority_url"`
}

// startSimProcess runs `mailbridge sim` in its own process (so that the CPU time this
// process uses is mailbridge's alone) and returns its URLs and process id.
func startSimProcess(b *testing.B, args ...string) (simProcInfo, int) {
	b.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "mailbridge")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mailbridge")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"sim", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("simulator: %v", err)
	}
	var info simProcInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		b.Fatal(err)
	}
	return info, cmd.Process.Pid
}

// procCPU returns the CPU time (user + system) a process has used, from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after ") ".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkInitialSync20k is the initial sync of one 20,000-item mailbox (16,000 Inbox
// messages of about 2 KB, sent items, events, contacts) from the simulator running in its
// own process on loopback, into SQLite, through EWS (svc-sync impersonating the user) and
// through Microsoft Graph (the generated world's app): for each, items/s, requests per
// item (Graph's token requests included), and the CPU time per item this process —
// mailbridge alone — and the simulator spent. Both read the same mailbox of the same
// simulator, with the engine's defaults (pages of 512 changes, GetItem batches of 128).
func BenchmarkInitialSync20k(b *testing.B) {
	info, simPID := startSimProcess(b, "--users", "1", "--items", "20000", "--seed", "1")
	const mailbox = "user00001@example.com"
	b.Run("ews", func(b *testing.B) {
		obs := &countRequests{}
		client, err := ewsclient.New(info.EWSURL, ewsclient.NTLM("svc-sync@example.com", exchangesim.DefaultServicePassword), ewsclient.Options{Observer: obs})
		if err != nil {
			b.Fatal(err)
		}
		benchInitialSync(b, simPID, mailbox, &syncer.EWSSource{Client: client}, obs.n.Load)
	})
	b.Run("graph", func(b *testing.B) {
		obs, tokens := &countGraphRequests{}, &countTransport{}
		ts, err := entra.NewTokenSource(entra.Credentials{Tenant: exchangesim.GeneratedTenantID, ClientID: exchangesim.GeneratedAppClientID,
			ClientSecret: exchangesim.GeneratedAppSecret}, entra.GraphScope, entra.Options{Authority: info.AuthorityURL, Transport: tokens})
		if err != nil {
			b.Fatal(err)
		}
		client, err := graph.New(ts, graph.Options{BaseURL: info.GraphURL, Observer: obs})
		if err != nil {
			b.Fatal(err)
		}
		defer client.CloseIdleConnections()
		benchInitialSync(b, simPID, mailbox, &syncer.GraphSource{Client: client}, func() int64 { return obs.n.Load() + tokens.n.Load() })
	})
}

// benchInitialSync syncs mailbox from src into a new SQLite store b.N times; requests
// counts the requests src has sent so far.
func benchInitialSync(b *testing.B, simPID int, mailbox string, src syncer.Source, requests func() int64) {
	var items, reqs int64
	var cpu, simCPU, wall time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "mb.db"), store.Options{Migrate: true})
		if err != nil {
			b.Fatal(err)
		}
		o, _ := st.CreateOrganization(ctx, store.System, "Bench")
		res, _ := st.AddUsers(ctx, store.System, o.ID, "manual", []store.NewUser{{Email: mailbox}}, false)
		st.ActivateMailboxes(ctx, store.System, o.ID)
		l, err := st.AcquireLease(ctx, res.Added[0].ID, "bench", time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		e := syncer.New(st, syncer.Options{LookBack: 400 * 24 * time.Hour})
		runtime.GC()
		r0, c0, s0, t0 := requests(), cpuTime(), procCPU(simPID), time.Now()
		b.StartTimer()
		stats, err := e.SyncMailbox(ctx, l, mailbox, src, syncer.AllFolders)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		cpu += cpuTime() - c0
		simCPU += procCPU(simPID) - s0
		reqs += requests() - r0
		items += int64(stats.Created)
		if stats.Created < 19000 {
			b.Fatalf("synced %d items, want about 20,000 (%+v)", stats.Created, stats)
		}
		st.Close()
	}
	b.ReportMetric(float64(items)/wall.Seconds(), "items/s")
	b.ReportMetric(float64(reqs)/float64(items), "requests/item")
	b.ReportMetric(float64(cpu.Microseconds())/float64(items), "cpu-µs/item")
	b.ReportMetric(float64(simCPU.Microseconds())/float64(items), "sim-cpu-µs/item")
}
