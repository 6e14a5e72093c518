package graphwatch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
)

// maxBody bounds a notification request's body: Graph sends batches of a few hundred
// small notifications at most.
const maxBody = 1 << 20

// maxValidationToken bounds the validation token echoed back.
const maxValidationToken = 1024

// ServeHTTP is the endpoint Graph POSTs to (NotificationPath and LifecyclePath). It needs
// no session: what authenticates a notification is its subscription's clientState. It
// answers the validation handshake, then 202 when the batch held an authentic
// notification, 403 when none was, 429 beyond the rate limit, 400 for a body that is not
// a batch.
func (w *Watcher) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if !w.lim.allow() {
		w.count(func(s *Stats) { s.Limited++ })
		rw.Header().Set("Retry-After", "1")
		http.Error(rw, "too many requests", http.StatusTooManyRequests)
		return
	}
	if tok, ok := r.URL.Query()["validationToken"]; ok {
		// Graph checks that the endpoint is ours: echo its token, as plain text.
		if len(tok) != 1 || len(tok[0]) > maxValidationToken {
			http.Error(rw, "bad validation token", http.StatusBadRequest)
			return
		}
		w.count(func(s *Stats) { s.Validations++ })
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.WriteHeader(http.StatusOK)
		io.WriteString(rw, tok[0])
		return
	}
	var batch graph.Notifications
	dec := json.NewDecoder(http.MaxBytesReader(rw, r.Body, maxBody))
	if err := dec.Decode(&batch); err != nil {
		http.Error(rw, "the body is not a notification batch", http.StatusBadRequest)
		return
	}
	lifecycle := r.URL.Path == LifecyclePath
	authentic := 0
	for _, n := range batch.Value {
		sub, ok := w.authenticate(r.Context(), n)
		if !ok {
			w.count(func(s *Stats) { s.Refused++ })
			continue
		}
		authentic++
		if lifecycle || n.LifecycleEvent != "" {
			w.count(func(s *Stats) { s.Lifecycle++ })
			w.lifecycle(r.Context(), sub, n.LifecycleEvent)
			continue
		}
		w.count(func(s *Stats) { s.Accepted++ })
		w.cfg.Wake(r.Context(), sub.OrgID, sub.UserID)
	}
	if authentic == 0 && len(batch.Value) > 0 {
		http.Error(rw, "no authentic notification", http.StatusForbidden)
		return
	}
	rw.WriteHeader(http.StatusAccepted)
}

// authenticate finds a notification's subscription and checks its clientState.
func (w *Watcher) authenticate(ctx context.Context, n graph.Notification) (store.GraphSubscription, bool) {
	if n.SubscriptionID == "" {
		return store.GraphSubscription{}, false
	}
	sub, err := w.cfg.Store.GetGraphSubscription(ctx, n.SubscriptionID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			w.log.Warn("graph notification: look up its subscription", "err", err)
		}
		return store.GraphSubscription{}, false
	}
	if !sub.CheckGraphClientState(n.ClientState) {
		w.log.Warn("graph notification with a wrong clientState refused", "org_id", sub.OrgID, "user_id", sub.UserID)
		return store.GraphSubscription{}, false
	}
	return sub, true
}

// lifecycle handles a lifecycle notification: it changes the stored subscription so that
// the organization's next reconciliation (kicked now) does what Graph asks, and syncs the
// mailbox when changes may have been lost.
func (w *Watcher) lifecycle(ctx context.Context, sub store.GraphSubscription, event string) {
	log := w.log.With("org_id", sub.OrgID, "user_id", sub.UserID, "event", event)
	switch event {
	case graph.LifecycleReauthorizationRequired:
		// Due for renewal now: renewing reauthorizes it.
		if err := w.cfg.Store.RenewGraphSubscription(ctx, sub.OrgID, sub.ID, w.cfg.Now()); err != nil {
			log.Warn("graph lifecycle notification", "err", err)
		}
	case graph.LifecycleSubscriptionRemoved:
		if err := w.cfg.Store.DeleteGraphSubscription(ctx, sub.OrgID, sub.ID); err != nil {
			log.Warn("graph lifecycle notification", "err", err)
		}
		w.cfg.Wake(ctx, sub.OrgID, sub.UserID)
	case graph.LifecycleMissed:
		w.cfg.Wake(ctx, sub.OrgID, sub.UserID)
		return
	default:
		log.Info("unknown graph lifecycle notification ignored")
		return
	}
	log.Info("graph lifecycle notification")
	w.Kick(sub.OrgID)
}

// limiter is a token bucket: rate tokens a second, up to burst.
type limiter struct {
	rate, burst float64
	now         func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst int, now func() time.Time) *limiter {
	return &limiter{rate: float64(rate), burst: float64(burst), now: now, tokens: float64(burst), last: now()}
}

func (l *limiter) allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
