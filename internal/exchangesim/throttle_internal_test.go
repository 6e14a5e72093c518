package exchangesim

import (
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestThrottleConcurrency(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.now, ThrottlePolicy{MaxConcurrency: 2})
	key := th.budgetKey("svc@x", "alice@x", true)
	r1, err1 := th.admit(key)
	r2, err2 := th.admit(key)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := th.admit(key); ews.Code(err) != ews.ErrorExceededConnectionCount {
		t.Fatalf("third request: %v, want ErrorExceededConnectionCount", err)
	}
	// Another target mailbox has its own budget copy (charged to the target).
	rOther, err := th.admit(th.budgetKey("svc@x", "bob@x", true))
	if err != nil {
		t.Fatalf("other target: %v", err)
	}
	rOther()
	r1()
	r1() // releasing twice must not free a second slot
	r3, err := th.admit(key)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := th.admit(key); ews.Code(err) != ews.ErrorExceededConnectionCount {
		t.Fatalf("double release freed a slot: %v", err)
	}
	r2()
	r3()
	_, stats := th.snapshot()
	if stats.ExceededConcurrency != 2 || stats.MaxInFlightPerBudget != 2 {
		t.Errorf("stats %+v", stats)
	}
}

func TestThrottleChargeTo(t *testing.T) {
	th := newThrottle(time.Now, ThrottlePolicy{})
	if a, b := th.budgetKey("svc", "alice", true), th.budgetKey("svc", "bob", true); a == b {
		t.Errorf("charge to target: alice and bob share budget %q", a)
	}
	if a, b := th.budgetKey("svc", "svc", false), th.budgetKey("svc", "alice", true); a == b {
		t.Errorf("charge to target: impersonated call shares the caller's own budget")
	}
	th.update(func(p *ThrottlePolicy) error { p.ChargeTo = ChargeCaller; return nil })
	if a, b := th.budgetKey("svc", "alice", true), th.budgetKey("svc", "bob", true); a != b {
		t.Errorf("charge to caller: %q != %q", a, b)
	}
	if p, _ := th.snapshot(); p.MaxConcurrency != 27 {
		t.Errorf("default EWSMaxConcurrency %d, want 27", p.MaxConcurrency)
	}
}

func TestThrottleRate(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.now, ThrottlePolicy{RatePerSecond: 2, Burst: 2, MaxConcurrency: -1})
	for i := 0; i < 2; i++ {
		release, err := th.admit("k")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		release()
	}
	_, err := th.admit("k")
	re, ok := err.(*ews.ResponseError)
	if !ok || re.Code != ews.ErrorServerBusy || !re.Fault {
		t.Fatalf("over budget: %v", err)
	}
	if b := re.BackOff(); b != 500*time.Millisecond {
		t.Errorf("back-off %v, want 500ms (one token at 2/s)", b)
	}
	clk.advance(499 * time.Millisecond)
	if _, err := th.admit("k"); ews.Code(err) != ews.ErrorServerBusy {
		t.Fatalf("before the back-off: %v", err)
	}
	clk.advance(time.Millisecond)
	if _, err := th.admit("k"); err != nil {
		t.Fatalf("after the back-off: %v", err)
	}
}

func TestFaultDecisions(t *testing.T) {
	fi := newFaultInjector(Faults{LatencyMS: 10, JitterMS: 5}, 1, func(Faults) {})
	for i := 0; i < 100; i++ {
		d, err := fi.decide("GetItem", "alice@x")
		if err != nil || d < 10*time.Millisecond || d > 15*time.Millisecond {
			t.Fatalf("delay %v err %v", d, err)
		}
	}
	fi.update(func(f *Faults) error { *f = Faults{ErrorRate: map[string]float64{"GetItem": 0.5}}; return nil })
	failed := 0
	for i := 0; i < 1000; i++ {
		if _, err := fi.decide("GetItem", "alice@x"); err != nil {
			failed++
		}
		if _, err := fi.decide("SyncFolderItems", "alice@x"); err != nil {
			t.Fatal("error injected into an operation without a rate")
		}
	}
	if failed < 400 || failed > 600 {
		t.Errorf("%d of 1000 failed at rate 0.5", failed)
	}
	// The same seed gives the same sequence.
	a, b := newFaultInjector(Faults{DropRate: 0.3}, 7, func(Faults) {}), newFaultInjector(Faults{DropRate: 0.3}, 7, func(Faults) {})
	for i := 0; i < 100; i++ {
		_, ea := a.decide("x", "m")
		_, eb := b.decide("x", "m")
		if (ea == nil) != (eb == nil) {
			t.Fatal("same seed, different decisions")
		}
	}
}
