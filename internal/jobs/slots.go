package jobs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// errNoSlot: every slot of a bound is taken; the step waits.
var errNoSlot = errors.New("jobs: no free slot")

// slots are the named leases a step holds: one of its account's and one of its server's.
type slots struct {
	st    *store.Store
	held  []store.NamedLease
	owner string
	ttl   time.Duration
}

// acquire takes one free slot among n named prefix+"0"…prefix+"n-1", starting at a
// random one so that contenders spread.
func (s *slots) acquire(ctx context.Context, prefix string, n int) error {
	first := rand.IntN(n)
	for i := range n {
		name := fmt.Sprintf("%s%d", prefix, (first+i)%n)
		l, err := s.st.AcquireNamedLease(ctx, name, s.owner, s.ttl)
		if errors.Is(err, store.ErrLeaseHeld) {
			continue
		}
		if err != nil {
			return err
		}
		s.held = append(s.held, l)
		return nil
	}
	return errNoSlot
}

// renew extends the held slots; a lost one ends the step (another step took it after it
// expired: the bound would no longer hold).
func (s *slots) renew(ctx context.Context) error {
	if len(s.held) == 0 {
		return nil
	}
	ls, err := s.st.RenewNamedLeases(ctx, s.held, s.ttl)
	if err != nil {
		return err
	}
	lost := len(ls) < len(s.held)
	s.held = ls
	if lost {
		return store.ErrLeaseLost
	}
	return nil
}

// release gives the slots back.
func (s *slots) release(ctx context.Context) {
	for _, l := range s.held {
		_ = s.st.ReleaseNamedLease(ctx, l)
	}
	s.held = nil
}
