package checker

import (
	"context"
	"sync"
)

// limiter bounds the EWS requests in flight and adapts the bound to Exchange's
// throttling: each throttling answer halves it (once per generation, so that a burst of
// rejections of requests sent under the same bound counts once), and every bound-many
// requests that complete without one raise it by one, up to the configured maximum. A
// request waiting out a back-off gives its slot back meanwhile.
type limiter struct {
	mu       sync.Mutex
	max      int
	limit    int
	inFlight int
	gen      int           // incremented at each cut
	calm     int           // requests completed since the last change
	wake     chan struct{} // closed (and replaced) when a slot may have freed
}

func newLimiter(n int) *limiter {
	return &limiter{max: n, limit: n, wake: make(chan struct{})}
}

// slot is one request's place in the limiter.
type slot struct {
	l    *limiter
	held bool
	gen  int
}

// acquire waits for a slot, or for ctx to end.
func (l *limiter) acquire(ctx context.Context) (*slot, error) {
	s := &slot{l: l}
	if err := s.reacquire(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// reacquire takes a slot again for s after release.
func (s *slot) reacquire(ctx context.Context) error {
	l := s.l
	for {
		l.mu.Lock()
		if l.inFlight < l.limit {
			l.inFlight++
			s.held, s.gen = true, l.gen
			l.mu.Unlock()
			return nil
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives the slot back; calm says the request was not throttled. Releasing a slot
// not held does nothing.
func (s *slot) release(calm bool) {
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if !s.held {
		return
	}
	s.held = false
	l.inFlight--
	if calm {
		l.calm++
		if l.calm >= l.limit && l.limit < l.max {
			l.limit++
			l.calm = 0
		}
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// throttled records a throttling answer to the request holding s.
func (s *slot) throttled() {
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.gen != l.gen {
		return // sent under a bound already cut
	}
	l.gen++
	l.limit = max(1, l.limit/2)
	l.calm = 0
}

type slotKey struct{}

func withSlot(ctx context.Context, s *slot) context.Context {
	return context.WithValue(ctx, slotKey{}, s)
}

func slotFrom(ctx context.Context) *slot {
	s, _ := ctx.Value(slotKey{}).(*slot)
	return s
}
