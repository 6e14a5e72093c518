package bench_test

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkIdle10000 is one node holding 10,000 synced mailboxes of a few items each
// (`mailbridge sim --users 10000 --items 5`), polled every minute and watched by
// streaming notifications: the initial sync and the subscriptions are timed, then the
// node is watched idle for -idle-window (MAILBRIDGE_BENCH_IDLE, default 1 minute — at
// least one poll interval, so that every mailbox is polled in it): RSS (target < 1 GiB),
// peak RSS over the window, Go heap in use, goroutines, EWS requests per minute (polls
// and re-subscriptions; a streaming connection's keep-alives travel inside its one
// long GetStreamingEvents request, which counts when it ends), River job events, bytes
// written to storage and waits for SQLite's one writer connection, and this process's
// CPU share.
func BenchmarkIdle10000(b *testing.B) {
	const users, items = 10000, 5
	window := *idleWindow
	if window < time.Minute {
		b.Logf("idle window %v is shorter than the poll interval: not every mailbox is polled in it", window)
	}
	sim := startSim(b, users, items)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := startProduct(b, sim, users)
		t0 := time.Now()
		p.activate(b)
		synced := p.waitSynced(b, users, 60*time.Minute)
		p.waitStreaming(b, users, 30*time.Minute)
		streaming := time.Now()
		n, status := p.itemCount(b)
		b.Logf("run %d: %d mailboxes, %d items synced in %.1fs; all streaming after %.1fs; statuses %v; load %s",
			i+1, users, n, synced.Sub(t0).Seconds(), streaming.Sub(t0).Seconds(), status, loadAvg())

		// The idle window.
		events, _, stopEvents := p.drainEvents()
		db := p.app.Store().DB()
		resetPeakRSS()
		m0, c0, s0, w0, d0, t1 := scrape(b, p.app), cpuTime(), sim.cpu(), writeBytes(), db.Stats(), time.Now()
		stopCPU := startCPUProfile(b, "idle")
		b.StartTimer()
		time.Sleep(window) // the measured window itself, not a wait for a condition
		b.StopTimer()
		elapsed := time.Since(t1)
		perMin := time.Minute.Seconds() / elapsed.Seconds()
		m1, c1, s1, w1, d1 := scrape(b, p.app), cpuTime(), sim.cpu(), writeBytes(), db.Stats()
		stopCPU()
		stopEvents()
		writeProfiles(b, "idle")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss, peak, goroutines := currentRSS(), maxRSS(), runtime.NumGoroutine()
		reqs := delta(m0, m1, "mailbridge_ews_requests_total", "operation")
		var r float64
		for _, v := range reqs {
			r += v
		}
		stats := p.app.Watcher().Stats()
		b.Logf("run %d, idle %v: RSS %d MiB (peak %d MiB), Go heap in use %d MiB (sys %d MiB), %d goroutines; "+
			"EWS requests %.0f/min (%s), results %s; sync steps %s/min; River job events %.0f/min; "+
			"storage writes %.1f MiB/min; SQLite writer: %d waits/min, %.1fs waited/min; "+
			"CPU %.0f%% of a core here, %.0f%% in the simulator; watcher %d streams, %d streaming, %d notifications; load %s",
			i+1, elapsed.Round(time.Second), rss>>20, peak>>20, ms.HeapInuse>>20, ms.Sys>>20, goroutines,
			r*perMin, formatCounts(reqs, perMin), formatCounts(delta(m0, m1, "mailbridge_ews_requests_total", "result"), 1),
			formatCounts(delta(m0, m1, "mailbridge_sync_steps_total", "outcome"), perMin), float64(events.Load())*perMin,
			float64(w1-w0)*perMin/(1<<20), int64(float64(d1.WaitCount-d0.WaitCount)*perMin), (d1.WaitDuration-d0.WaitDuration).Seconds()*perMin,
			100*(c1-c0).Seconds()/elapsed.Seconds(), 100*(s1-s0).Seconds()/elapsed.Seconds(),
			stats.Streams, stats.Streaming, stats.Notifications, loadAvg())
		b.ReportMetric(synced.Sub(t0).Seconds(), "sync-s")
		b.ReportMetric(streaming.Sub(t0).Seconds(), "streaming-s")
		b.ReportMetric(float64(rss>>20), "RSS-MiB")
		b.ReportMetric(float64(peak>>20), "peak-RSS-MiB")
		b.ReportMetric(float64(ms.HeapInuse>>20), "heap-MiB")
		b.ReportMetric(float64(goroutines), "goroutines")
		b.ReportMetric(r*perMin, "requests/min")
		b.ReportMetric(100*(c1-c0).Seconds()/elapsed.Seconds(), "cpu-%")
		p.close(b)
	}
}
