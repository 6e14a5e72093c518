package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// probe is one delivered message.
type probe struct {
	subject  string
	userID   int64
	returned time.Time // the deliver call returned
	seen     time.Time // the probe saw the item in the store
	err      error
}

// BenchmarkDeliveryLatency is the delivery-to-store latency with streaming notifications:
// the organization of BenchmarkSync1000x200 (1,000 mailboxes of 200 items) synced, every
// mailbox streaming, polled every minute; then -latency-messages messages (default 200)
// are delivered through the simulator's admin API at -latency-rate per second (default
// 5) to mailboxes picked at random, and each is timed from the deliver call's return to
// the item being in the store: p50, p90, p99 (target < 2 s), max.
//
// River's job events are the main cue to look, but they trail a step's commit by River's
// batched completion, so the probe also reads the organization's change feed every 20 ms
// (an indexed query, changes_org (org_id, seq)) and looks up the subject of each new
// item: the latencies are accurate to about 20 ms.
func BenchmarkDeliveryLatency(b *testing.B) {
	const users, items = 1000, 200
	n, rate := *latencyMessages, *latencyRate
	sim := startSim(b, users, items)
	for run := 0; run < b.N; run++ {
		b.StopTimer()
		ctx := context.Background()
		p := startProduct(b, sim, users)
		t0 := time.Now()
		p.activate(b)
		synced := p.waitSynced(b, users, 30*time.Minute)
		p.waitStreaming(b, users, 10*time.Minute)
		b.Logf("run %d: %d mailboxes synced in %.1fs, all streaming after %.1fs; load %s",
			run+1, users, synced.Sub(t0).Seconds(), time.Since(t0).Seconds(), loadAvg())
		st := p.app.Store()
		var cursor int64
		for {
			cs, err := st.ListChanges(ctx, p.org, cursor, 10000)
			if err != nil {
				b.Fatal(err)
			}
			if len(cs) == 0 {
				break
			}
			cursor = cs[len(cs)-1].Seq
		}
		addrs := make([]string, 0, len(p.userIDs))
		for a := range p.userIDs {
			addrs = append(addrs, a)
		}
		slices.Sort(addrs)

		_, wake, stopEvents := p.drainEvents()
		w := p.app.Watcher()
		w0, m0 := w.Stats(), scrape(b, p.app)
		var mu sync.Mutex
		probes := make([]*probe, 0, n)
		byUser := map[int64][]*probe{} // probes not seen yet
		sent := make(chan struct{})
		b.StartTimer()
		go func() {
			defer close(sent)
			rnd := rand.New(rand.NewPCG(uint64(run), 42))
			hc := &http.Client{Timeout: 30 * time.Second}
			tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer tick.Stop()
			for i := range n {
				<-tick.C
				addr := addrs[rnd.IntN(len(addrs))]
				pr := &probe{subject: fmt.Sprintf("Latency probe %d of run %d", i, run+1), userID: p.userIDs[addr]}
				mu.Lock()
				probes = append(probes, pr)
				byUser[pr.userID] = append(byUser[pr.userID], pr)
				mu.Unlock()
				body, _ := json.Marshal(map[string]any{"from": "partner@fabrikam.example", "to": []string{addr},
					"subject": pr.subject, "body": "Delivered by BenchmarkDeliveryLatency."})
				resp, err := hc.Post(p.sim.AdminURL+"/deliver", "application/json", strings.NewReader(string(body)))
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("deliver: HTTP %d", resp.StatusCode)
					}
				}
				mu.Lock()
				pr.returned, pr.err = time.Now(), err
				mu.Unlock()
			}
		}()

		// Look for the probes' items until every one is seen, or a minute after the last
		// delivery.
		tick := time.NewTicker(20 * time.Millisecond)
		var deadline <-chan time.Time
		pending := n
	look:
		for pending > 0 {
			select {
			case <-wake:
			case <-tick.C:
			case <-sent:
				sent, deadline = nil, time.After(time.Minute)
				continue
			case <-deadline:
				b.Errorf("%d of %d messages not in the store a minute after the last delivery", pending, n)
				break look
			}
			cs, err := st.ListChanges(ctx, p.org, cursor, 10000)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			check := map[int64]bool{}
			for _, c := range cs {
				cursor = c.Seq
				if c.Op == "upsert" {
					check[c.UserID] = true
				}
			}
			for u := range check {
				mu.Lock()
				waiting := len(byUser[u]) > 0
				mu.Unlock()
				if !waiting {
					continue
				}
				stored, err := st.ListItems(ctx, p.org, u)
				if err != nil {
					b.Fatal(err)
				}
				mu.Lock()
				byUser[u] = slices.DeleteFunc(byUser[u], func(pr *probe) bool {
					if slices.ContainsFunc(stored, func(it store.StoredItem) bool { return it.Subject == pr.subject }) {
						pr.seen = now
						pending--
						return true
					}
					return false
				})
				mu.Unlock()
			}
		}
		tick.Stop()
		b.StopTimer()
		if sent != nil {
			<-sent
		}
		stopEvents()
		w1, m1 := w.Stats(), scrape(b, p.app)

		var lat []time.Duration
		failed := 0
		mu.Lock()
		for _, pr := range probes {
			switch {
			case pr.err != nil:
				failed++
				b.Errorf("%s: %v", pr.subject, pr.err)
			case !pr.seen.IsZero():
				lat = append(lat, max(pr.seen.Sub(pr.returned), 0))
			}
		}
		mu.Unlock()
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		reqs := delta(m0, m1, "mailbridge_ews_requests_total", "operation")
		b.Logf("run %d: %d messages at %.1f/s to random mailboxes, %d stored (%d deliveries failed): latency p50 %v, p90 %v, p99 %v, max %v, mean %v; "+
			"watcher: %d notifications, %d wakes; EWS requests meanwhile %s; sync steps %s; load %s",
			run+1, n, rate, len(lat), failed, percentile(lat, 50).Round(time.Millisecond), percentile(lat, 90).Round(time.Millisecond),
			percentile(lat, 99).Round(time.Millisecond), percentile(lat, 100).Round(time.Millisecond),
			(sum / time.Duration(max(len(lat), 1))).Round(time.Millisecond),
			w1.Notifications-w0.Notifications, w1.Changes-w0.Changes, formatCounts(reqs, 1),
			formatCounts(delta(m0, m1, "mailbridge_sync_steps_total", "outcome"), 1), loadAvg())
		b.ReportMetric(percentile(lat, 50).Seconds(), "p50-s")
		b.ReportMetric(percentile(lat, 90).Seconds(), "p90-s")
		b.ReportMetric(percentile(lat, 99).Seconds(), "p99-s")
		b.ReportMetric(percentile(lat, 100).Seconds(), "max-s")
		p.close(b)
	}
}
