package graph

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestMailboxLimiterHoldsTheFifth checks the limiter alone, deterministically: with
// four slots of a mailbox taken, a fifth request waits (here: gives up with its
// context), another mailbox is not held up, and a freed slot is taken again.
func TestMailboxLimiterHoldsTheFifth(t *testing.T) {
	t.Parallel()
	l := newMailboxLimiter(4)
	ctx := context.Background()
	var releases []func()
	for range 4 {
		r, err := l.acquire(ctx, "Alice@contoso.com")
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.acquire(done, "alice@CONTOSO.com"); !errors.Is(err, context.Canceled) {
		t.Fatalf("fifth slot of the same mailbox (another spelling): %v, want to wait", err)
	}
	rb, err := l.acquire(ctx, "bob@contoso.com")
	if err != nil {
		t.Fatalf("another mailbox: %v", err)
	}
	rb()
	releases[0]()
	r, err := l.acquire(ctx, "alice@contoso.com")
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	r()
	for _, r := range releases[1:] {
		r()
	}
	if len(l.slots) != 0 {
		t.Errorf("%d mailbox entries left after every slot was given back", len(l.slots))
	}
}

func TestBudgetRefills(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b, err := newBudgetLimiter(Budget{Requests: 600, Per: 10 * time.Minute, Burst: 2}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithDeadline(context.Background(), now.Add(time.Millisecond))
	defer cancel()
	noWait := func(d time.Duration) { t.Errorf("waited %v", d) }
	for range 2 {
		if err := b.take(short, 1, noWait); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.take(short, 1, noWait); err == nil {
		t.Fatal("a third request within the burst went through")
	}
	now = now.Add(time.Second) // one request per second refills
	if err := b.take(short, 1, noWait); err != nil {
		t.Fatalf("after a second: %v", err)
	}
}
