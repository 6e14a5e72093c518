package httpauth

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// connState is the NTLM state of one client connection: the challenge of a
// handshake in progress, or the identity a completed handshake bound to it.
type connState struct {
	mu       sync.Mutex
	pending  *ntlmPending
	identity *Identity
}

// ntlmPending is a CHALLENGE sent and not yet answered.
type ntlmPending struct {
	serverChallenge [8]byte
	scheme          string
}

// connKey is the context key of a connection's state. It carries the
// Authenticator so that two Authenticators on one server do not mix states.
type connKey struct{ a *Authenticator }

// ConnContext is an [http.Server.ConnContext] hook that gives each new
// connection its own NTLM state. Without it NTLM handshakes fail; without
// [Authenticator.ConnState] as well, the state of closed connections is never
// released.
func (a *Authenticator) ConnContext(ctx context.Context, c net.Conn) context.Context {
	cs := &connState{}
	a.mu.Lock()
	a.conns[c] = cs
	a.mu.Unlock()
	return context.WithValue(ctx, connKey{a}, cs)
}

// ConnState is an [http.Server.ConnState] hook that forgets connections once
// they are closed or hijacked. Chain it if the server has its own hook.
func (a *Authenticator) ConnState(c net.Conn, s http.ConnState) {
	if s != http.StateClosed && s != http.StateHijacked {
		return
	}
	a.mu.Lock()
	cs := a.conns[c]
	delete(a.conns, c)
	a.mu.Unlock()
	if cs != nil {
		cs.reset()
	}
}

// connFrom returns the state ConnContext installed, or nil.
func (a *Authenticator) connFrom(ctx context.Context) *connState {
	cs, _ := ctx.Value(connKey{a}).(*connState)
	return cs
}

// connCount is the number of connections tracked; a test hook.
func (a *Authenticator) connCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.conns)
}

func (cs *connState) boundIdentity() (Identity, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.identity == nil {
		return Identity{}, false
	}
	return *cs.identity, true
}

// begin starts a handshake: any earlier one, and any identity bound by it,
// is dropped.
func (cs *connState) begin(p *ntlmPending) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.pending, cs.identity = p, nil
}

// takePending returns the challenge in progress and clears the connection:
// a challenge answers one AUTHENTICATE only, right or wrong.
func (cs *connState) takePending() *ntlmPending {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	p := cs.pending
	cs.pending, cs.identity = nil, nil
	return p
}

func (cs *connState) bind(id Identity) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.identity = &id
}

func (cs *connState) reset() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.pending, cs.identity = nil, nil
}
