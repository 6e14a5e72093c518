package ewsclient_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// headerRecorder passes requests on and keeps their headers.
type headerRecorder struct {
	mu      sync.Mutex
	headers []http.Header
	next    http.RoundTripper
}

func (r *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// A group's requests carry the affinity headers; the backend cookie of the first answer
// is replayed on the next ones, also on requests for other mailboxes of the group.
func TestAffinity(t *testing.T) {
	t.Parallel()
	if realTarget(t) != nil {
		t.Skip("uses the simulator's contoso mailboxes")
	}
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	rec := &headerRecorder{next: http.DefaultTransport}
	c := tg.client(t, tg.basic(), ewsclient.Options{Transport: rec})
	aff := &ewsclient.Affinity{Anchor: "alice@contoso.com"}
	ctx := ewsclient.WithAffinity(context.Background(), aff)
	all := true
	req := &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{SubscribeToAllFolders: &all, EventTypes: []string{"NewMailEvent"}}}
	if _, err := c.Subscribe(ctx, "alice@contoso.com", req); err != nil {
		t.Fatal(err)
	}
	if aff.Cookie() == "" {
		t.Fatal("no backend cookie learned from the first Subscribe")
	}
	if _, err := c.Subscribe(ctx, "carol@contoso.com", req); err != nil {
		t.Fatal(err)
	}
	if len(rec.headers) != 2 {
		t.Fatalf("%d requests", len(rec.headers))
	}
	first, second := rec.headers[0], rec.headers[1]
	if first.Get("X-PreferServerAffinity") != "true" || first.Get("X-AnchorMailbox") != "alice@contoso.com" || first.Get("Cookie") != "" {
		t.Fatalf("first request headers: %v", first)
	}
	if second.Get("X-AnchorMailbox") != "alice@contoso.com" || second.Get("Cookie") != "X-BackEndOverrideCookie="+aff.Cookie() {
		t.Fatalf("second request (carol, same group) headers: %v", second)
	}
	// Without an affinity, a request is anchored on its own mailbox and sends no cookie.
	rec.headers = nil
	if _, err := c.Subscribe(context.Background(), "carol@contoso.com", req); err != nil {
		t.Fatal(err)
	}
	if h := rec.headers[0]; h.Get("X-AnchorMailbox") != "carol@contoso.com" || h.Get("X-PreferServerAffinity") != "" || h.Get("Cookie") != "" {
		t.Fatalf("request without affinity: %v", h)
	}
}
