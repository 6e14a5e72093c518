package exchangesim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Faults configures failures the simulator injects into EWS requests, so clients can be
// tested against a slow or unreliable Exchange. The zero value injects nothing. It is set
// with flags at start and changed at run time through the admin API (PUT
// /sim/api/faults changes the fields its body names and keeps the others).
type Faults struct {
	// LatencyMS delays every EWS request by this many milliseconds, plus a uniformly
	// random extra of up to JitterMS.
	LatencyMS int `json:"latency_ms"`
	JitterMS  int `json:"jitter_ms"`
	// ErrorRate maps an operation name (or "*" for all) to the probability that a request
	// fails with ErrorCode.
	ErrorRate map[string]float64 `json:"error_rate"`
	// ErrorCode is the injected error: an EWS code sent as a fault (default
	// ErrorServerBusy, with a back-off of BackOffMS), or "HTTP503" for a bare 503.
	ErrorCode string `json:"error_code"`
	BackOffMS int    `json:"back_off_ms"`
	// DropRate is the probability that the connection is closed without an answer.
	DropRate float64 `json:"drop_rate"`
	// MovingMailboxes answer every request with ErrorMailboxMoveInProgress.
	MovingMailboxes []string `json:"mailbox_move_in_progress"`
	// SyncStateTTLMS makes sync states expire: a SyncFolderItems or SyncFolderHierarchy
	// state issued more than this many milliseconds ago (by the simulator's clock) gets
	// ErrorInvalidSyncStateData, as when Exchange has lost it, and the client must sync
	// again from scratch. 0 keeps states forever. Every sync returns a fresh state, so
	// only a client that leaves a state unused for that long meets it. (To expire one
	// mailbox's states at once, POST /sim/api/mailboxes/{addr}/expire-sync-states.)
	SyncStateTTLMS int64 `json:"sync_state_ttl_ms"`
}

// Validate reports settings that make no sense (negative durations, rates outside [0, 1]).
func (f *Faults) Validate() error {
	if f.LatencyMS < 0 || f.JitterMS < 0 || f.BackOffMS < 0 || f.SyncStateTTLMS < 0 {
		return errors.New("latency_ms, jitter_ms, back_off_ms and sync_state_ttl_ms must be ≥ 0")
	}
	if f.DropRate < 0 || f.DropRate > 1 {
		return errors.New("drop_rate must be within [0, 1]")
	}
	for op, p := range f.ErrorRate {
		if p < 0 || p > 1 {
			return fmt.Errorf("error_rate[%s] must be within [0, 1]", op)
		}
	}
	return nil
}

func (f *Faults) syncStateTTL() time.Duration {
	return time.Duration(f.SyncStateTTLMS) * time.Millisecond
}

// faultInjector applies Faults with its own seeded randomness. The parts that act
// elsewhere (the World's sync state TTL) are handed to onChange, under the lock, so that
// concurrent changes apply in one order.
type faultInjector struct {
	mu       sync.Mutex
	f        Faults
	rnd      *rand.Rand
	onChange func(Faults)
}

func newFaultInjector(f Faults, seed uint64, onChange func(Faults)) *faultInjector {
	fi := &faultInjector{f: f, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), onChange: onChange}
	onChange(f)
	return fi
}

// update applies change to a copy of the current faults and installs the result if
// change and validation succeed.
func (fi *faultInjector) update(change func(*Faults) error) (Faults, error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.f
	if err := change(&f); err != nil {
		return fi.f, err
	}
	if err := f.Validate(); err != nil {
		return fi.f, err
	}
	fi.f = f
	fi.onChange(f)
	return f, nil
}

func (fi *faultInjector) get() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.f
}

// decide draws this request's fate under the lock; the delay happens outside it.
func (fi *faultInjector) decide(op, mailbox string) (delay time.Duration, err error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.f
	delay = time.Duration(f.LatencyMS) * time.Millisecond
	if f.JitterMS > 0 {
		delay += time.Duration(fi.rnd.Int64N(int64(f.JitterMS)*int64(time.Millisecond) + 1))
	}
	for _, m := range f.MovingMailboxes {
		if strings.EqualFold(m, mailbox) {
			return delay, &ews.ResponseError{Code: ews.ErrorMailboxMoveInProgress, Fault: true,
				Message: "The mailbox is being moved. Try again later."}
		}
	}
	if f.DropRate > 0 && fi.rnd.Float64() < f.DropRate {
		return delay, ewsserver.ErrDropConnection
	}
	rate, ok := f.ErrorRate[op]
	if !ok {
		rate = f.ErrorRate["*"]
	}
	if rate > 0 && fi.rnd.Float64() < rate {
		switch f.ErrorCode {
		case "", ews.ErrorServerBusy:
			return delay, serverBusy(time.Duration(max(f.BackOffMS, 1)) * time.Millisecond)
		case "HTTP503":
			return delay, &ewsserver.StatusError{Status: 503, RetryAfter: time.Duration(f.BackOffMS) * time.Millisecond}
		default:
			return delay, &ews.ResponseError{Code: f.ErrorCode, Fault: true, Message: "Injected failure: " + f.ErrorCode + "."}
		}
	}
	return delay, nil
}

// apply waits out the injected latency (or until ctx ends) and returns the injected
// failure, if any.
func (fi *faultInjector) apply(ctx context.Context, op, mailbox string) error {
	delay, err := fi.decide(op, mailbox)
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}
