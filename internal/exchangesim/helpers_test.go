package exchangesim

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newWorld(t testing.TB, sc *Scenario, cfg WorldConfig) (*World, *testClock) {
	t.Helper()
	clock := newTestClock()
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	w, err := NewWorld(sc, cfg)
	if err != nil {
		t.Fatalf("NewWorld: %v", err)
	}
	return w, clock
}

func contosoWorld(t testing.TB) (*World, *testClock) {
	t.Helper()
	return newWorld(t, Contoso(), WorldConfig{Seed: 1})
}

func mailbox(t testing.TB, w *World, owner string) *Mailbox {
	t.Helper()
	m, err := w.Mailbox(context.Background(), owner)
	if err != nil {
		t.Fatalf("Mailbox(%s): %v", owner, err)
	}
	return m
}

// wantCode fails unless err is an *ews.ResponseError with the given code.
func wantCode(t testing.TB, err error, code string) *ews.ResponseError {
	t.Helper()
	var re *ews.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v, want *ews.ResponseError %s", err, code)
	}
	if re.Code != code {
		t.Fatalf("code = %s (%v), want %s", re.Code, err, code)
	}
	return re
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// folderItems returns every item of a folder.
func folderItems(t testing.TB, m *Mailbox, ref FolderRef) []ews.Item {
	t.Helper()
	p, err := m.FindItems(ref, ItemQuery{})
	if err != nil {
		t.Fatalf("FindItems: %v", err)
	}
	return p.Items
}

func newMessage(subject string) ews.Item {
	return ews.Item{
		XMLName: xmlName(ews.KindMessage),
		Subject: subject,
		Body:    &ews.Body{BodyType: "Text", Value: "body of " + subject},
		From:    &ews.SingleRecipient{Mailbox: ews.EmailAddress{Name: "Bob Brown", EmailAddress: "bob@contoso.com"}},
	}
}
