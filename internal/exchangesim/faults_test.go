package exchangesim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

var inboxOnly = &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly},
	FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}

// putFaults changes the injected faults through the admin API, as an operator would.
func putFaults(t *testing.T, s *simServer, f exchangesim.Faults) {
	t.Helper()
	b, _ := json.Marshal(f)
	req, _ := http.NewRequest(http.MethodPut, s.Info().AdminURL+"/faults", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT faults: %d", resp.StatusCode)
	}
}

func TestInjectedFaults(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, "alice@contoso.com")

	putFaults(t, s, exchangesim.Faults{ErrorRate: map[string]float64{"GetFolder": 1}, BackOffMS: 2500})
	err := c.call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{})
	var re *ews.ResponseError
	if !errors.As(err, &re) || re.Code != ews.ErrorServerBusy || re.BackOff().Milliseconds() != 2500 {
		t.Fatalf("error rate 1: %v", err)
	}

	putFaults(t, s, exchangesim.Faults{ErrorRate: map[string]float64{"*": 1}, ErrorCode: "HTTP503", BackOffMS: 3000})
	if status, _ := c.raw(ews.OpGetFolder, inboxOnly); status != http.StatusServiceUnavailable {
		t.Fatalf("HTTP503: status %d", status)
	}

	putFaults(t, s, exchangesim.Faults{MovingMailboxes: []string{"ALICE@contoso.com"}})
	if err := c.call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); ews.Code(err) != ews.ErrorMailboxMoveInProgress {
		t.Fatalf("moving mailbox: %v", err)
	}
	if err := s.svcAs(t, "carol@contoso.com").call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); err != nil {
		t.Fatalf("another mailbox is not moving: %v", err)
	}

	putFaults(t, s, exchangesim.Faults{DropRate: 1})
	hr, _ := http.NewRequest(http.MethodPost, s.Info().EWSURL, bytes.NewReader(nil))
	hr.SetBasicAuth("svc-sync@contoso.com", "Svc-Pass-2026!")
	var buf bytes.Buffer
	h := &ews.RequestHeader{ExchangeImpersonation: ews.Impersonate("alice@contoso.com")}
	if err := ews.EncodeRequest(&buf, h, ews.OpGetFolder, inboxOnly); err != nil {
		t.Fatal(err)
	}
	hr, _ = http.NewRequest(http.MethodPost, s.Info().EWSURL, &buf)
	hr.SetBasicAuth("svc-sync@contoso.com", "Svc-Pass-2026!")
	if resp, err := http.DefaultClient.Do(hr); err == nil {
		resp.Body.Close()
		t.Fatalf("drop rate 1: got HTTP %d", resp.StatusCode)
	}

	putFaults(t, s, exchangesim.Faults{})
	if err := c.call(ews.OpGetFolder, inboxOnly, &ews.GetFolderResponse{}); err != nil {
		t.Fatalf("faults cleared: %v", err)
	}
}

func TestAdminRejectsBadFaults(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	for _, body := range []string{`{"drop_rate": 2}`, `{"error_rate": {"GetItem": -1}}`, `{"latency_ms": -5}`, `{"no_such_field": 1}`, `not json`} {
		req, _ := http.NewRequest(http.MethodPut, s.Info().AdminURL+"/faults", bytes.NewReader([]byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", body, resp.StatusCode)
		}
	}
}

// PUT /sim/api/faults and /throttle change only the fields their body names; a rejected
// body changes nothing.
func TestAdminPartialPuts(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{Faults: exchangesim.Faults{LatencyMS: 5,
		MovingMailboxes: []string{"carol@contoso.com"}, ErrorRate: map[string]float64{"GetItem": 0.5}}})
	faults := func() exchangesim.Faults {
		var f exchangesim.Faults
		admin(t, s, http.MethodGet, "/faults", "", http.StatusOK, &f)
		return f
	}
	steps := []struct {
		body string
		want exchangesim.Faults
	}{
		{`{}`, exchangesim.Faults{LatencyMS: 5, MovingMailboxes: []string{"carol@contoso.com"}, ErrorRate: map[string]float64{"GetItem": 0.5}}},
		{`{"jitter_ms": 3}`, exchangesim.Faults{LatencyMS: 5, JitterMS: 3, MovingMailboxes: []string{"carol@contoso.com"}, ErrorRate: map[string]float64{"GetItem": 0.5}}},
		{`{"error_rate": {"FindItem": 1}}`, exchangesim.Faults{LatencyMS: 5, JitterMS: 3, MovingMailboxes: []string{"carol@contoso.com"}, ErrorRate: map[string]float64{"FindItem": 1}}},
		{`{"mailbox_move_in_progress": [], "latency_ms": 0}`, exchangesim.Faults{JitterMS: 3, ErrorRate: map[string]float64{"FindItem": 1}}},
		{`{"error_rate": null, "sync_state_ttl_ms": 60000}`, exchangesim.Faults{JitterMS: 3, SyncStateTTLMS: 60000}},
	}
	for _, st := range steps {
		var put exchangesim.Faults
		admin(t, s, http.MethodPut, "/faults", st.body, http.StatusOK, &put)
		if got := faults(); !faultsEqual(got, st.want) || !faultsEqual(put, st.want) {
			t.Fatalf("after %s: GET %+v, PUT answered %+v, want %+v", st.body, got, put, st.want)
		}
	}
	before := faults()
	for _, bad := range []string{`{"drop_rate": 2}`, `{"jitter_ms": 9, "no_such_field": 1}`, `[1]`, `{"sync_state_ttl_ms": -1}`} {
		admin(t, s, http.MethodPut, "/faults", bad, http.StatusBadRequest, nil)
	}
	if got := faults(); !faultsEqual(got, before) {
		t.Fatalf("rejected bodies changed the faults: %+v, was %+v", got, before)
	}

	type policy = exchangesim.ThrottlePolicy
	tsteps := []struct {
		body string
		want policy
	}{
		{`{"max_concurrency": 10}`, policy{MaxConcurrency: 10, ChargeTo: exchangesim.ChargeTarget}},
		{`{"rate_per_second": 5}`, policy{MaxConcurrency: 10, RatePerSecond: 5, Burst: 5, ChargeTo: exchangesim.ChargeTarget}},
		// burst was never set: it keeps following its default, one second's worth.
		{`{"rate_per_second": 50}`, policy{MaxConcurrency: 10, RatePerSecond: 50, Burst: 50, ChargeTo: exchangesim.ChargeTarget}},
		{`{"charge_to": "caller", "burst": 7}`, policy{MaxConcurrency: 10, RatePerSecond: 50, Burst: 7, ChargeTo: exchangesim.ChargeCaller}},
		{`{"rate_per_second": 0}`, policy{MaxConcurrency: 10, Burst: 7, ChargeTo: exchangesim.ChargeCaller}},
	}
	for _, st := range tsteps {
		var put policy
		admin(t, s, http.MethodPut, "/throttle", st.body, http.StatusOK, &put)
		var got struct {
			Policy policy `json:"policy"`
		}
		admin(t, s, http.MethodGet, "/throttle", "", http.StatusOK, &got)
		if put != st.want || got.Policy != st.want {
			t.Fatalf("after %s: GET %+v, PUT answered %+v, want %+v", st.body, got.Policy, put, st.want)
		}
	}
	admin(t, s, http.MethodPut, "/throttle", `{"charge_to": "everyone", "max_concurrency": 1}`, http.StatusBadRequest, nil)
	var got struct {
		Policy policy `json:"policy"`
	}
	admin(t, s, http.MethodGet, "/throttle", "", http.StatusOK, &got)
	if got.Policy.MaxConcurrency != 10 {
		t.Fatalf("a rejected body changed the policy: %+v", got.Policy)
	}
}

// faultsEqual compares faults, an empty list or map being the same as none.
func faultsEqual(a, b exchangesim.Faults) bool {
	for _, f := range []*exchangesim.Faults{&a, &b} {
		if len(f.ErrorRate) == 0 {
			f.ErrorRate = nil
		}
		if len(f.MovingMailboxes) == 0 {
			f.MovingMailboxes = nil
		}
	}
	return reflect.DeepEqual(a, b)
}

// settableClock is a simulator clock a test moves by hand.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// The sync state TTL, set through the admin API, expires states on the wire by the
// simulator's clock.
func TestSyncStateTTLOverTheWire(t *testing.T) {
	t.Parallel()
	clock := &settableClock{t: testClock()}
	s := startSim(t, exchangesim.Options{Clock: clock.Now})
	c := s.svcAs(t, "alice@contoso.com")
	sync := func(state string) ews.SyncFolderItemsResponseMessage {
		var resp ews.SyncFolderItemsResponse
		c.mustCall(ews.OpSyncFolderItems, &ews.SyncFolderItemsRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly},
			SyncFolderId: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
			SyncState:    state, MaxChangesReturned: 512}, &resp)
		return resp.ResponseMessages[0]
	}
	first := sync("")
	if err := first.Err(); err != nil {
		t.Fatal(err)
	}
	admin(t, s, http.MethodPut, "/faults", `{"sync_state_ttl_ms": 600000}`, http.StatusOK, nil)
	clock.Advance(10 * time.Minute)
	second := sync(first.SyncState)
	if err := second.Err(); err != nil {
		t.Fatalf("a state exactly 10 minutes old: %v", err)
	}
	clock.Advance(10*time.Minute + time.Second)
	third := sync(second.SyncState)
	if code := ews.Code(third.Err()); code != ews.ErrorInvalidSyncStateData {
		t.Fatalf("a state 10 minutes and a second old: %q, want ErrorInvalidSyncStateData", code)
	}
	if fresh := sync(""); fresh.Err() != nil {
		t.Fatalf("a new sync from scratch: %v", fresh.Err())
	}
}
