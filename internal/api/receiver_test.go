package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/webhook"
)

// receiver is a webhook endpoint on loopback that records what it receives.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []delivery
}

// delivery is one request a receiver received.
type delivery struct {
	event, id, signature string
	body                 []byte
}

// verifies reports whether the delivery's signature verifies with the secret.
func (d delivery) verifies(secret string) bool {
	return webhook.Verify(d.signature, d.body, secret, time.Now(), webhook.DefaultTolerance) == nil
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{event: r.Header.Get(webhook.HeaderEvent), id: r.Header.Get(webhook.HeaderDelivery),
			signature: r.Header.Get(webhook.HeaderSignature), body: body})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// last returns the last delivery received.
func (rc *receiver) last(t *testing.T) delivery {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) == 0 {
		t.Fatal("the receiver received nothing")
	}
	return rc.got[len(rc.got)-1]
}
