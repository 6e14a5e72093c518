package exchangesim

import (
	"strconv"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// ChargeTo says which budget an impersonated request is charged to.
type ChargeTo string

const (
	// ChargeTarget charges an impersonated request to a copy of the target mailbox's
	// budget, kept per (service account, target) pair: what Exchange 2010 SP2 RU4 and later,
	// and so Exchange 2016/2019, do. Concurrency then applies per target mailbox.
	ChargeTarget ChargeTo = "target"
	// ChargeCaller charges every request to the authenticated account, as Exchange did
	// before 2010 SP2 RU4 — the worst case for a service account serving many mailboxes.
	ChargeCaller ChargeTo = "caller"
)

// ThrottlePolicy models the EWS parts of an Exchange throttling policy.
type ThrottlePolicy struct {
	// MaxConcurrency is EWSMaxConcurrency: requests in flight per budget (default 27; a
	// negative value disables the limit). Excess requests get ErrorExceededConnectionCount.
	MaxConcurrency int `json:"max_concurrency"`
	// RatePerSecond and Burst form a token bucket per budget; 0 disables it. An empty
	// bucket answers ErrorServerBusy with BackOffMilliseconds until the next token.
	RatePerSecond float64 `json:"rate_per_second"`
	Burst         int     `json:"burst"`
	// ChargeTo chooses the budget of impersonated requests (default ChargeTarget).
	ChargeTo ChargeTo `json:"charge_to"`
}

func (p ThrottlePolicy) withDefaults() ThrottlePolicy {
	if p.MaxConcurrency == 0 {
		p.MaxConcurrency = 27
	}
	if p.ChargeTo == "" {
		p.ChargeTo = ChargeTarget
	}
	if p.RatePerSecond > 0 && p.Burst <= 0 {
		p.Burst = max(1, int(p.RatePerSecond))
	}
	return p
}

// throttle enforces a ThrottlePolicy. Budgets are created on first use.
type throttle struct {
	now func() time.Time

	mu      sync.Mutex
	set     ThrottlePolicy // as configured, before defaults
	policy  ThrottlePolicy // in force: set with defaults applied
	budgets map[string]*budget
	stats   ThrottleStats
}

// ThrottleStats counts what the throttle did, for tests and benchmarks.
type ThrottleStats struct {
	Admitted             int64 `json:"admitted"`
	ExceededConcurrency  int64 `json:"exceeded_concurrency"`
	ServerBusy           int64 `json:"server_busy"`
	MaxInFlightPerBudget int   `json:"max_in_flight_per_budget"`
}

type budget struct {
	inFlight int
	tokens   float64
	last     time.Time
}

func newThrottle(now func() time.Time, p ThrottlePolicy) *throttle {
	return &throttle{now: now, set: p, policy: p.withDefaults(), budgets: make(map[string]*budget)}
}

// budgetKey returns the budget a request from caller acting on mailbox is charged to.
func (t *throttle) budgetKey(caller, mailbox string, impersonating bool) string {
	t.mu.Lock()
	charge := t.policy.ChargeTo
	t.mu.Unlock()
	if impersonating && charge == ChargeTarget {
		return caller + "\x00" + mailbox
	}
	return caller
}

// admit takes a slot in key's budget, or returns the error Exchange sends.
func (t *throttle) admit(key string) (release func(), err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.budgets[key]
	if b == nil {
		b = &budget{tokens: float64(t.policy.Burst), last: t.now()}
		t.budgets[key] = b
	}
	if t.policy.MaxConcurrency > 0 && b.inFlight >= t.policy.MaxConcurrency {
		t.stats.ExceededConcurrency++
		return nil, &ews.ResponseError{Code: ews.ErrorExceededConnectionCount, Fault: true,
			Message: "The request was rejected because the account has exceeded the maximum number of concurrent connections (" + strconv.Itoa(t.policy.MaxConcurrency) + ")."}
	}
	if t.policy.RatePerSecond > 0 {
		now := t.now()
		b.tokens = min(float64(t.policy.Burst), b.tokens+now.Sub(b.last).Seconds()*t.policy.RatePerSecond)
		b.last = now
		if b.tokens < 1 {
			wait := time.Duration((1 - b.tokens) / t.policy.RatePerSecond * float64(time.Second))
			t.stats.ServerBusy++
			return nil, serverBusy(wait)
		}
		b.tokens--
	}
	b.inFlight++
	t.stats.Admitted++
	t.stats.MaxInFlightPerBudget = max(t.stats.MaxInFlightPerBudget, b.inFlight)
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			b.inFlight--
			t.mu.Unlock()
		})
	}, nil
}

// update applies change to a copy of the configured policy and, if it succeeds, puts
// the result (with defaults applied) in force and returns it.
func (t *throttle) update(change func(*ThrottlePolicy) error) (ThrottlePolicy, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.set
	if err := change(&p); err != nil {
		return t.policy, err
	}
	t.set, t.policy = p, p.withDefaults()
	return t.policy, nil
}

func (t *throttle) snapshot() (ThrottlePolicy, ThrottleStats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.policy, t.stats
}

// serverBusy is the ErrorServerBusy fault with the back-off Exchange asks for.
func serverBusy(wait time.Duration) *ews.ResponseError {
	ms := max(1, int((wait+time.Millisecond-1)/time.Millisecond))
	return &ews.ResponseError{Code: ews.ErrorServerBusy, Fault: true,
		Message: "The server cannot service this request right now. Try again later.",
		Values:  map[string]string{"BackOffMilliseconds": strconv.Itoa(ms)}}
}
