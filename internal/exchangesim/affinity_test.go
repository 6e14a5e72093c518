package exchangesim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// A subscription that asks for server affinity gets X-BackEndOverrideCookie, the same for
// every subscription anchored on one mailbox; without the headers, or with the cookie
// already sent, none is set.
func TestSubscribeAffinityCookie(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	req := &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{FolderIds: inbox(), EventTypes: allEvents}}
	cookie := func(target string, h http.Header) string {
		c := s.svcAs(t, target)
		c.header = h
		subscribe(t, c, req)
		for _, v := range c.responseHeader().Values("Set-Cookie") {
			if strings.HasPrefix(v, "X-BackEndOverrideCookie=") {
				return v
			}
		}
		return ""
	}
	affinity := http.Header{"X-Preferserveraffinity": {"true"}, "X-Anchormailbox": {"alice@contoso.com"}}
	first := cookie("alice@contoso.com", affinity)
	if first == "" || !strings.Contains(first, "HttpOnly") || !strings.Contains(first, "Secure") {
		t.Fatalf("no affinity cookie: %q", first)
	}
	// Another mailbox of the same group (anchored on alice) gets the same backend.
	if again := cookie("carol@contoso.com", affinity); again != first {
		t.Errorf("same anchor, different cookie: %q vs %q", again, first)
	}
	if c := cookie("alice@contoso.com", nil); c != "" {
		t.Errorf("cookie without affinity headers: %q", c)
	}
	withCookie := affinity.Clone()
	withCookie.Set("Cookie", strings.Split(first, ";")[0])
	if c := cookie("alice@contoso.com", withCookie); c != "" {
		t.Errorf("cookie sent again: %q", c)
	}
}
