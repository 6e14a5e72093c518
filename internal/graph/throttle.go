package graph

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// mailboxLimiter keeps at most n requests in flight per mailbox: Graph's limit for an
// app is four, and a fifth is answered with 429.
type mailboxLimiter struct {
	n     int
	mu    sync.Mutex
	slots map[string]*mailboxSlots
}

type mailboxSlots struct {
	ch   chan struct{}
	refs int // holders and waiters; the entry goes when it drops to 0
}

func newMailboxLimiter(n int) *mailboxLimiter {
	return &mailboxLimiter{n: n, slots: map[string]*mailboxSlots{}}
}

// acquire takes a slot of mailbox ("" takes none), waiting until one is free or ctx
// ends. The returned function gives the slot back.
func (l *mailboxLimiter) acquire(ctx context.Context, mailbox string) (func(), error) {
	if mailbox == "" {
		return func() {}, nil
	}
	key := strings.ToLower(mailbox)
	l.mu.Lock()
	s := l.slots[key]
	if s == nil {
		s = &mailboxSlots{ch: make(chan struct{}, l.n)}
		l.slots[key] = s
	}
	s.refs++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if s.refs--; s.refs == 0 {
			delete(l.slots, key)
		}
		l.mu.Unlock()
	}
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}

// Budget is a client-side request budget: at most Requests requests in any window of
// Per, spread evenly (a token bucket that holds Burst requests).
type Budget struct {
	Requests int
	Per      time.Duration
	// Burst is how many requests may go at once after a quiet spell; default
	// Requests/10.
	Burst int
}

// DefaultBudget is Graph's documented limit for Outlook resources: 10,000 requests per 10
// minutes, per app and mailbox.
var DefaultBudget = Budget{Requests: 10000, Per: 10 * time.Minute}

// mailboxBudgets hold one budget per mailbox (and one for the calls on no mailbox:
// users, places), as Graph counts them.
type mailboxBudgets struct {
	spec Budget
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]*budgetLimiter
}

func newMailboxBudgets(b Budget, now func() time.Time) (*mailboxBudgets, error) {
	if _, err := newBudgetLimiter(b, now); err != nil {
		return nil, err
	}
	return &mailboxBudgets{spec: b, now: now, m: map[string]*budgetLimiter{}}, nil
}

// take is budgetLimiter.take on the mailbox's budget.
func (mb *mailboxBudgets) take(ctx context.Context, mailbox string, n int, onWait func(time.Duration)) error {
	key := strings.ToLower(mailbox)
	mb.mu.Lock()
	l := mb.m[key]
	if l == nil {
		l, _ = newBudgetLimiter(mb.spec, mb.now) // the spec was checked in newMailboxBudgets
		mb.m[key] = l
	}
	mb.mu.Unlock()
	return l.take(ctx, n, onWait)
}

// budgetLimiter is a token bucket on an injected clock.
type budgetLimiter struct {
	rate   float64 // tokens per second
	burst  float64
	now    func() time.Time
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newBudgetLimiter(b Budget, now func() time.Time) (*budgetLimiter, error) {
	if b.Requests <= 0 || b.Per <= 0 {
		return nil, errors.New("graph: Budget needs Requests > 0 and Per > 0")
	}
	if b.Burst <= 0 {
		b.Burst = max(1, b.Requests/10)
	}
	l := &budgetLimiter{rate: float64(b.Requests) / b.Per.Seconds(), burst: float64(b.Burst), now: now}
	l.tokens, l.last = l.burst, now()
	return l, nil
}

// take reserves n tokens and waits until they are due, or ctx ends (the reservation is
// then given back). onWait hears of a wait before it starts.
func (l *budgetLimiter) take(ctx context.Context, n int, onWait func(time.Duration)) error {
	l.mu.Lock()
	now := l.now()
	if el := now.Sub(l.last).Seconds(); el > 0 {
		l.tokens = min(l.burst, l.tokens+el*l.rate)
		l.last = now
	}
	l.tokens -= float64(n)
	var wait time.Duration
	if l.tokens < 0 {
		wait = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	giveBack := func() {
		l.mu.Lock()
		l.tokens += float64(n)
		l.mu.Unlock()
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(wait).After(dl) {
		giveBack()
		return errors.New("graph: request budget exhausted until after the context's deadline")
	}
	onWait(wait)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		giveBack()
		return ctx.Err()
	}
}
