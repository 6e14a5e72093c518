package checker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// BenchmarkCheck1000Users checks a generated organization of 1,000 users against a
// simulator with 50 ms of latency per request and EWSMaxConcurrency 27 charged to the
// service account. It reports the seconds per check, the EWS requests per user (counted
// by the simulator, the service account's own included) and the ratio of the time to the
// floor the server's limit sets: users × requests per user × 50 ms ÷ 27.
//
// With the default concurrency of 24 (kept under the server's 27 so that the account's
// other clients still get through), the ratio cannot go below 27/24 = 1.125; the
// concurrency=27 case shows what the checker does when allowed the server's whole limit.
func BenchmarkCheck1000Users(b *testing.B) {
	for _, conc := range []int{checker.DefaultConcurrency, 27} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) { benchCheck(b, conc) })
	}
}

func benchCheck(b *testing.B, concurrency int) {
	const (
		users   = 1000
		latency = 50 * time.Millisecond
		limit   = 27
	)
	srv := startSim(b, exchangesim.Options{
		Scenario: exchangesim.Generate(users, 5, 1),
		Faults:   exchangesim.Faults{LatencyMS: int(latency / time.Millisecond)},
		Throttle: exchangesim.ThrottlePolicy{MaxConcurrency: limit, ChargeTo: exchangesim.ChargeCaller},
	}, false)
	list := make([]string, users)
	for i := range list {
		list[i] = fmt.Sprintf("user%05d@example.com", i+1)
	}
	c, err := checker.New(config(srv, "svc-sync@example.com", svcPass, checker.AuthNTLM), checker.Options{Concurrency: concurrency})
	if err != nil {
		b.Fatal(err)
	}
	var elapsed time.Duration
	var requests, rejected int64
	b.ResetTimer()
	for range b.N {
		before := throttleStats(b, srv)
		start := time.Now()
		sum, err := c.Check(context.Background(), list, nil)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if sum.OK != users {
			b.Fatalf("summary %+v: every user should be ok", sum)
		}
		after := throttleStats(b, srv)
		requests += after.total() - before.total()
		rejected += after.ExceededConcurrency + after.ServerBusy - before.ExceededConcurrency - before.ServerBusy
	}
	b.StopTimer()
	perCheck := elapsed.Seconds() / float64(b.N)
	perUser := float64(requests) / float64(b.N) / users
	floor := users * perUser * latency.Seconds() / limit
	b.ReportMetric(perCheck, "s/check")
	b.ReportMetric(perUser, "requests/user")
	b.ReportMetric(perCheck/floor, "ratio-to-floor")
	b.ReportMetric(float64(rejected)/float64(b.N), "throttled/check")
}

type simStats struct {
	Admitted            int64 `json:"admitted"`
	ExceededConcurrency int64 `json:"exceeded_concurrency"`
	ServerBusy          int64 `json:"server_busy"`
	// MaxInFlight is the most requests one budget ever had in flight at once.
	MaxInFlight int `json:"max_in_flight_per_budget"`
}

// total counts every EWS request the simulator received, rejected ones included.
func (s simStats) total() int64 { return s.Admitted + s.ExceededConcurrency + s.ServerBusy }

// throttleStats reads the simulator's throttle statistics from its admin API.
func throttleStats(tb testing.TB, srv *exchangesim.Server) simStats {
	resp, err := http.Get(srv.Info().AdminURL + "/state")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Stats simStats `json:"throttle_stats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		tb.Fatal(err)
	}
	return st.Stats
}
