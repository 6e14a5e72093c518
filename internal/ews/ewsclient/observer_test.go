package ewsclient_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// observed records what an Observer hears.
type observed struct {
	mu       sync.Mutex
	requests []string
	waits    []time.Duration
}

func (o *observed) Request(op, result string, d time.Duration) {
	o.mu.Lock()
	o.requests = append(o.requests, op+" "+result)
	o.mu.Unlock()
}

func (o *observed) ThrottleWait(op string, d time.Duration) {
	o.mu.Lock()
	o.waits = append(o.waits, d)
	o.mu.Unlock()
}

// The observer hears every attempt with how it ended, and the throttling waits.
func TestObserver(t *testing.T) {
	t.Parallel()
	if realTarget(t) != nil {
		t.Skip("needs the simulator's fault injection")
	}
	tg := simTarget(t, exchangesim.Options{Faults: exchangesim.Faults{ErrorRate: map[string]float64{"GetFolder": 1}, ErrorCode: "ErrorServerBusy", BackOffMS: 40}}, exchangesim.ListenConfig{})
	obs := &observed{}
	s := &sleeps{}
	c := tg.client(t, tg.basic(), ewsclient.Options{Observer: obs, Sleep: s.Sleep, MaxRetries: 2, Rand: func() float64 { return 0 }})
	if _, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq()); err == nil {
		t.Fatal("GetFolder succeeded through an error rate of 1")
	}
	want := []string{"GetFolder ErrorServerBusy", "GetFolder ErrorServerBusy", "GetFolder ErrorServerBusy"}
	if len(obs.requests) != 3 || obs.requests[0] != want[0] || obs.requests[2] != want[2] || len(obs.waits) != 2 || obs.waits[0] < 40*time.Millisecond {
		t.Fatalf("requests %v, waits %v", obs.requests, obs.waits)
	}
	bad := tg.client(t, ewsclient.Basic("svc-sync@contoso.com", "wrong"), ewsclient.Options{Observer: obs})
	obs.requests = nil
	bad.GetRoomLists(context.Background(), "")
	if len(obs.requests) != 1 || obs.requests[0] != "GetRoomLists HTTP401" {
		t.Fatalf("wrong password: %v", obs.requests)
	}
}
