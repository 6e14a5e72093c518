package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/mailbridge/mailbridge/internal/mailer"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

// Defaults of webhook deliveries.
const (
	// DefaultWebhookAttempts bounds the attempts of one delivery: with the default
	// back-off, 12 attempts span about a day.
	DefaultWebhookAttempts = 12
	// DefaultWebhookBatch is how many changes one delivery carries at most.
	DefaultWebhookBatch = 100
	// DefaultWebhookBatchBytes bounds a batch's body (at least one change is sent).
	DefaultWebhookBatchBytes = 1 << 20
)

// DefaultWebhookBackoff is the wait after a delivery's failed attempt n (1 for the
// first): 45 seconds doubling with each attempt, at most 12 hours, ±10 %: 12 attempts
// span about 25 hours.
func DefaultWebhookBackoff(attempt int) time.Duration {
	d := 45 * time.Second << min(max(attempt-1, 0), 16)
	d = min(d, 12*time.Hour)
	return d - d/10 + rand.N(d/5+1)
}

// NotifierConfig tunes webhook deliveries and alerts.
type NotifierConfig struct {
	// Mailer sends the alert emails; nothing is emailed when it is not Enabled.
	Mailer mailer.Config
	// Alerts are the thresholds of sync-error incidents.
	Alerts AlertThresholds
	// PublicURL, if set, is where the admin panel is reached: emails link to it.
	PublicURL string
	// MaxAttempts bounds a delivery's attempts (default DefaultWebhookAttempts); after
	// the last one fails, the subscription is disabled.
	MaxAttempts int
	// Backoff is the wait after failed attempt n (default DefaultWebhookBackoff; tests
	// use a short one).
	Backoff func(attempt int) time.Duration
	// BatchSize and BatchBytes bound a batch of changes (defaults DefaultWebhookBatch,
	// DefaultWebhookBatchBytes).
	BatchSize, BatchBytes int
	// Timeout bounds a delivery attempt (default webhook.DefaultTimeout).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Notifier delivers an organization's webhooks and raises its alerts; the job runner
// calls it. Safe for concurrent use.
type Notifier struct {
	s      *Service
	cfg    NotifierConfig
	sender *webhook.Sender
	log    *slog.Logger
}

// NewNotifier returns the service's Notifier. Close it when done.
func (s *Service) NewNotifier(cfg NotifierConfig) *Notifier {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultWebhookAttempts
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultWebhookBackoff
	}
	if cfg.BatchSize <= 0 || cfg.BatchSize > store.MaxPage {
		cfg.BatchSize = DefaultWebhookBatch
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = DefaultWebhookBatchBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = webhook.DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Alerts = cfg.Alerts.withDefaults()
	return &Notifier{s: s, cfg: cfg, log: cfg.Logger,
		sender: webhook.NewSender(webhook.Options{Dial: s.dial, Timeout: cfg.Timeout})}
}

// Close closes the deliveries' idle connections.
func (n *Notifier) Close() { n.sender.Close() }

// DueWebhooks returns the subscriptions with something to deliver now.
func (n *Notifier) DueWebhooks(ctx context.Context) ([]int64, error) { return n.s.st.DueWebhooks(ctx) }

// leaseOwner names one holder of a named lease.
func leaseOwner() string { return "notifier/" + store.NewDeliveryID() }

// DeliverWebhook makes one attempt at a subscription's next delivery: its oldest waiting
// status event, or the next batch of changes after its cursor. It reports whether it
// delivered one (more may wait), or, after a failed attempt that is retried, how long to
// wait. Nothing to do (or an inactive subscription) is (false, 0, nil). Deliveries of
// a subscription are made one at a time across nodes, in order.
func (n *Notifier) DeliverWebhook(ctx context.Context, id int64) (delivered bool, retryIn time.Duration, err error) {
	st := n.s.st
	w, err := st.WebhookByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !w.Active {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	l, err := st.AcquireNamedLease(ctx, store.WebhookLeaseName(w.OrgID, id), leaseOwner(), 3*n.cfg.Timeout+10*time.Second)
	if errors.Is(err, store.ErrLeaseHeld) {
		return false, time.Second, nil // another worker delivers it now
	}
	if err != nil {
		return false, 0, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = st.ReleaseNamedLease(rctx, l)
	}()
	if w, err = st.WebhookByID(ctx, id); errors.Is(err, store.ErrNotFound) || err == nil && !w.Active {
		return false, 0, nil // deleted or disabled meanwhile
	} else if err != nil {
		return false, 0, err
	}
	d, err := st.NextDelivery(ctx, id, n.cfg.BatchSize)
	if errors.Is(err, store.ErrNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	now := n.s.now().UTC()
	if d.NextAttemptAt != nil && d.NextAttemptAt.After(now) {
		return false, d.NextAttemptAt.Sub(now), nil
	}
	body, d, err := n.body(ctx, d)
	if err != nil {
		return false, 0, err
	}
	var res webhook.Result
	if keys, err := n.s.signingSecrets(w, now); err != nil {
		res.Err = err
	} else {
		res = n.sender.Send(ctx, webhook.Request{URL: w.URL, Event: d.Event, DeliveryID: d.UID, Body: body, Secrets: keys, At: now})
	}
	if !res.OK && ctx.Err() != nil {
		return false, 0, ctx.Err() // shutting down: this attempt does not count
	}
	a := store.Attempt{WebhookID: id, DeliveryUID: d.UID, Event: d.Event, Attempt: d.Attempts + 1, At: now, StatusCode: res.StatusCode, Duration: res.Duration}
	var o store.AttemptOutcome
	switch {
	case res.OK:
		o.Delivered = true
	case a.Attempt >= n.cfg.MaxAttempts:
		a.Error = res.Err.Error()
		o.Disable = fmt.Sprintf("Disabled after %d failed attempts to deliver a %s event (last: %s). Fix the endpoint and enable the webhook again: "+
			"delivery resumes where it stopped.", a.Attempt, d.Event, res.Err)
	default:
		a.Error = res.Err.Error()
		retryIn = max(n.cfg.Backoff(a.Attempt), time.Millisecond)
		next := now.Add(retryIn)
		o.NextAttemptAt, a.NextRetryAt = &next, &next
	}
	if err := st.RecordAttempt(ctx, d, a, o); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return false, 0, nil // deleted meanwhile
		}
		return false, 0, err
	}
	log := n.log.With("org_id", d.OrgID, "webhook_id", id, "delivery", d.UID, "event", d.Event, "attempt", a.Attempt)
	switch {
	case res.OK:
		log.Debug("webhook delivered", "status", res.StatusCode, "duration_ms", res.Duration.Milliseconds())
	case o.Disable != "":
		log.Warn("webhook disabled: its delivery failed for good", "err", a.Error)
	default:
		log.Info("webhook delivery failed; retrying", "err", a.Error, "retry_in", retryIn.String())
	}
	return res.OK, retryIn, nil
}

// changesData is the data of a "changes" delivery.
type changesData struct {
	Changes []json.RawMessage `json:"changes"`
	// LastSeq is the last entry's sequence number; NextCursor reads the change feed API
	// on from there.
	LastSeq    int64  `json:"last_seq"`
	NextCursor string `json:"next_cursor"`
}

// body returns a delivery's body. A batch of changes not attempted yet is cut where its
// body would pass BatchBytes.
func (n *Notifier) body(ctx context.Context, d store.Delivery) ([]byte, store.Delivery, error) {
	if d.Event != store.EventChanges {
		return envelope(d, d.Payload), d, nil
	}
	entries, err := n.s.st.ChangeFeed(ctx, d.OrgID, d.FromSeq, int(min(d.ToSeq-d.FromSeq, store.MaxPage)))
	if err != nil {
		return nil, d, err
	}
	data := changesData{Changes: []json.RawMessage{}, LastSeq: d.ToSeq}
	size := 0
	for _, e := range entries {
		if e.Seq > d.ToSeq {
			break
		}
		cv, err := changeView(e)
		if err != nil {
			return nil, d, err
		}
		c := cv.JSON() // the change feed API's JSON
		b, err := json.Marshal(c)
		if err != nil {
			return nil, d, err
		}
		if len(data.Changes) > 0 && d.Attempts == 0 && size+len(b) > n.cfg.BatchBytes {
			// The rest goes in the next batch.
			last := data.LastSeq
			if err := n.s.st.ShrinkDelivery(ctx, d.ID, last); err != nil {
				return nil, d, err
			}
			d.ToSeq = last
			break
		}
		size += len(b)
		data.Changes = append(data.Changes, b)
		data.LastSeq = e.Seq
	}
	data.LastSeq = d.ToSeq
	data.NextCursor = cursor{K: cursorChanges, O: d.OrgID, S: d.ToSeq}.encode()
	b, err := json.Marshal(data)
	if err != nil {
		return nil, d, err
	}
	return envelope(d, b), d, nil
}
