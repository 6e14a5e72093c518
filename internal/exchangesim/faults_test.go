package exchangesim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

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
