package watch

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// mailboxKey names a mailbox.
type mailboxKey struct{ orgID, userID int64 }

// debouncer coalesces a mailbox's notifications: the first one of a burst schedules a
// call delay later, and the ones that arrive before it are covered by that call (the
// sync it wakes starts after them). A notification after the call schedules the next.
type debouncer struct {
	delay time.Duration
	now   func() time.Time
	fire  func(ctx context.Context, orgID, userID int64)
	fired atomic.Int64

	mu   sync.Mutex
	due  map[mailboxKey]time.Time
	wake chan struct{}
}

func newDebouncer(delay time.Duration, now func() time.Time, fire func(ctx context.Context, orgID, userID int64)) *debouncer {
	return &debouncer{delay: delay, now: now, fire: fire, due: map[mailboxKey]time.Time{}, wake: make(chan struct{}, 1)}
}

// touch records a change of the mailbox.
func (d *debouncer) touch(orgID, userID int64) {
	k := mailboxKey{orgID, userID}
	d.mu.Lock()
	_, pending := d.due[k]
	if !pending {
		d.due[k] = d.now().Add(d.delay)
	}
	d.mu.Unlock()
	if !pending {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// run makes the calls as they fall due, until ctx ends (calls still pending then are
// dropped: the mailboxes' polls catch up).
func (d *debouncer) run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		now := d.now()
		var ready []mailboxKey
		next := time.Duration(-1)
		d.mu.Lock()
		for k, due := range d.due {
			if wait := due.Sub(now); wait <= 0 {
				ready = append(ready, k)
				delete(d.due, k)
			} else if next < 0 || wait < next {
				next = wait
			}
		}
		d.mu.Unlock()
		for _, k := range ready {
			if ctx.Err() != nil {
				return
			}
			d.fired.Add(1)
			d.fire(ctx, k.orgID, k.userID)
		}
		if len(ready) > 0 {
			continue // calls took time: look again
		}
		if next < 0 {
			next = time.Hour
		}
		t.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}
