package ewsclient

import (
	"context"
	"net/http"
	"sync"
)

// Affinity keeps a group of streaming subscriptions on one mailbox server, as Exchange
// asks of applications that subscribe many mailboxes ("Maintain affinity between a group
// of subscriptions and the Mailbox server"): every Subscribe and GetStreamingEvents of
// the group is sent with X-AnchorMailbox set to the group's anchor mailbox and
// X-PreferServerAffinity: true; the first answer sets the X-BackEndOverrideCookie cookie,
// which later requests of the group replay. An Affinity is safe for concurrent use; pass
// it on the requests of its group with WithAffinity.
type Affinity struct {
	// Anchor is the group's anchor mailbox (its first mailbox, by convention).
	Anchor string

	mu     sync.Mutex
	cookie string
}

// Cookie returns the backend cookie the group received, if any.
func (a *Affinity) Cookie() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cookie
}

// Reset forgets the cookie (the server it named is gone; the next answer sets another).
func (a *Affinity) Reset() {
	a.mu.Lock()
	a.cookie = ""
	a.mu.Unlock()
}

// affinityCookie is the cookie Exchange routes a group of subscriptions by.
const affinityCookie = "X-BackEndOverrideCookie"

type affinityKey struct{}

// WithAffinity returns a context whose requests carry the group's affinity headers.
func WithAffinity(ctx context.Context, a *Affinity) context.Context {
	return context.WithValue(ctx, affinityKey{}, a)
}

// applyAffinity sets the affinity headers on a request of a group.
func applyAffinity(req *http.Request) *Affinity {
	a, _ := req.Context().Value(affinityKey{}).(*Affinity)
	if a == nil || a.Anchor == "" {
		return nil
	}
	req.Header.Set("X-AnchorMailbox", a.Anchor)
	req.Header.Set("X-PreferServerAffinity", "true")
	if c := a.Cookie(); c != "" {
		req.AddCookie(&http.Cookie{Name: affinityCookie, Value: c})
	}
	return a
}

// learnAffinity keeps the backend cookie an answer sets.
func learnAffinity(a *Affinity, resp *http.Response) {
	if a == nil {
		return
	}
	for _, c := range resp.Cookies() {
		if c.Name == affinityCookie && c.Value != "" {
			a.mu.Lock()
			a.cookie = c.Value
			a.mu.Unlock()
		}
	}
}
