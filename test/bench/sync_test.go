package bench_test

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkSync1000x200 is the initial sync of an organization of 1,000 mailboxes of 200
// items each (`mailbridge sim --users 1000 --items 200` in its own process, NTLM), from
// the admin's Save of the Email Configuration until every mailbox has synced once, with
// the product's defaults (16 workers, 8 steps at once per service account, polling every
// minute, streaming notifications on): total time, items/s, EWS requests per item (from
// /metrics, so including the watcher's Subscribe requests and the polls of mailboxes
// synced early), the CPU time this process spent per item, and its peak RSS.
func BenchmarkSync1000x200(b *testing.B) {
	const users, items = 1000, 200
	sim := startSim(b, users, items)
	var wall, cpu, simCPU time.Duration
	var stored, requests, peak int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := startProduct(b, sim, users)
		runtime.GC()
		resetPeakRSS()
		db := p.app.Store().DB()
		m0, c0, s0, d0, t0 := scrape(b, p.app), cpuTime(), sim.cpu(), db.Stats(), time.Now()
		b.StartTimer()
		p.activate(b)
		done := p.waitSynced(b, users, 30*time.Minute)
		b.StopTimer()
		c1, s1, d1 := cpuTime(), sim.cpu(), db.Stats()
		m1 := scrape(b, p.app)
		peak = max(peak, maxRSS())
		n, status := p.itemCount(b)
		if n < users*items*9/10 {
			b.Fatalf("%d items stored, want about %d; statuses %v", n, users*items, status)
		}
		reqs := delta(m0, m1, "mailbridge_ews_requests_total", "operation")
		var r float64
		for _, v := range reqs {
			r += v
		}
		w := done.Sub(t0)
		b.Logf("run %d: %d mailboxes, %d items in %.1fs (%.0f items/s); %.0f EWS requests (%s); results %s; steps %s, mean step %s ms; "+
			"mean EWS request ms: %s; SQLite writer: %d waits, %.1fs waited; CPU %.1fs here (%.1f µs/item), %.1fs in the simulator; peak RSS %d MiB, Go heap in use %d MiB; statuses %v; load %s",
			i+1, users, n, w.Seconds(), float64(n)/w.Seconds(), r, formatCounts(reqs, 1),
			formatCounts(delta(m0, m1, "mailbridge_ews_requests_total", "result"), 1),
			formatCounts(delta(m0, m1, "mailbridge_sync_steps_total", "outcome"), 1),
			meanMS(m0, m1, "mailbridge_sync_step_duration_seconds", ""), meanMS(m0, m1, "mailbridge_ews_request_duration_seconds", "operation"),
			d1.WaitCount-d0.WaitCount, (d1.WaitDuration - d0.WaitDuration).Seconds(),
			(c1 - c0).Seconds(), float64((c1-c0).Microseconds())/float64(n), (s1 - s0).Seconds(),
			maxRSS()>>20, heapInUse()>>20, status, loadAvg())
		wall += w
		cpu += c1 - c0
		simCPU += s1 - s0
		stored += n
		requests += int64(r)
		p.close(b)
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "s/sync")
	b.ReportMetric(float64(stored)/wall.Seconds(), "items/s")
	b.ReportMetric(float64(requests)/float64(stored), "requests/item")
	b.ReportMetric(float64(cpu.Microseconds())/float64(stored), "cpu-µs/item")
	b.ReportMetric(float64(peak>>20), "peak-RSS-MiB")
}

// heapInUse is the Go heap's in-use bytes now.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
