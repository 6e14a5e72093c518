// Package metrics exposes mailbridge's Prometheus metrics: EWS requests by operation and
// result, their latency and throttling waits; sync steps by outcome and the items they
// stored; mailboxes by state and status. Labels never name an organization, a user or a
// mailbox: the endpoint is safe to scrape from the operator's monitoring.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// Metrics holds the registry and the instruments. It implements ewsclient.Observer.
type Metrics struct {
	reg           *prometheus.Registry
	ewsRequests   *prometheus.CounterVec
	ewsLatency    *prometheus.HistogramVec
	throttleWaits *prometheus.CounterVec
	steps         *prometheus.CounterVec
	stepDuration  prometheus.Histogram
	items         *prometheus.CounterVec
}

// New returns the metrics of one process; st, when not nil, is read at each scrape for
// the mailbox gauges.
func New(st *store.Store) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.ewsRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mailbridge_ews_requests_total",
		Help: "EWS request attempts, by operation and result (NoError, an EWS response code, HTTP<status> or transport)."},
		[]string{"operation", "result"})
	m.ewsLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mailbridge_ews_request_duration_seconds",
		Help: "Duration of EWS request attempts.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
		[]string{"operation"})
	m.throttleWaits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mailbridge_ews_throttle_wait_seconds_total",
		Help: "Time spent waiting before retrying throttled EWS requests (ErrorServerBusy back-off, Retry-After)."},
		[]string{"operation"})
	m.steps = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mailbridge_sync_steps_total",
		Help: "Mailbox sync steps, by outcome (ok, more, an error code, lease_lost, cancelled)."}, []string{"outcome"})
	m.stepDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mailbridge_sync_step_duration_seconds",
		Help: "Duration of mailbox sync steps.", Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10)})
	m.items = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mailbridge_sync_items_total",
		Help: "Items the sync engine stored, by change (created, updated, deleted) or skipped (outside the look-back window)."},
		[]string{"change"})
	m.reg.MustRegister(m.ewsRequests, m.ewsLatency, m.throttleWaits, m.steps, m.stepDuration, m.items,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if st != nil {
		m.reg.MustRegister(&mailboxCollector{st: st, desc: prometheus.NewDesc("mailbridge_mailboxes",
			"Mailboxes by state (active, paused, stopped) and status (pending, syncing, ok, error).", []string{"state", "status"}, nil)})
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request implements ewsclient.Observer.
func (m *Metrics) Request(op, result string, d time.Duration) {
	m.ewsRequests.WithLabelValues(op, result).Inc()
	m.ewsLatency.WithLabelValues(op).Observe(d.Seconds())
}

// ThrottleWait implements ewsclient.Observer.
func (m *Metrics) ThrottleWait(op string, d time.Duration) {
	m.throttleWaits.WithLabelValues(op).Add(d.Seconds())
}

// SyncStep records one sync step.
func (m *Metrics) SyncStep(outcome string, st syncer.Stats, d time.Duration) {
	m.steps.WithLabelValues(outcome).Inc()
	m.stepDuration.Observe(d.Seconds())
	for change, n := range map[string]int{"created": st.Created, "updated": st.Updated, "deleted": st.Deleted, "skipped": st.Skipped} {
		if n > 0 {
			m.items.WithLabelValues(change).Add(float64(n))
		}
	}
}

// mailboxCollector reads the mailbox counts at each scrape.
type mailboxCollector struct {
	st   *store.Store
	desc *prometheus.Desc
}

func (c *mailboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *mailboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.MailboxCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n.N), n.State, n.Status)
	}
}
