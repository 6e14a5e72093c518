package httpauth

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
)

// filetimeEpoch is 1970-01-01 in 100 ns intervals since 1601-01-01.
const filetimeEpoch = 116444736000000000

// ntlm runs one leg of an NTLM handshake carried by scheme ("NTLM" or
// "Negotiate"). A NEGOTIATE message gets a CHALLENGE; an AUTHENTICATE message
// that answers this connection's challenge with a valid NTLMv2 response binds
// the identity to the connection. Anything else ends in the final 401.
func (a *Authenticator) ntlm(w http.ResponseWriter, r *http.Request, cs *connState, scheme, token string) (Identity, bool) {
	if cs == nil {
		a.drain(r)
		http.Error(w, "httpauth: NTLM needs Authenticator.ConnContext installed on the server", http.StatusInternalServerError)
		return Identity{}, false
	}
	// Windows authentication is connection-bound and needs HTTP/1.1; IIS
	// refuses it on HTTP/2 too.
	if r.ProtoMajor != 1 {
		a.unauthorized(w, r)
		return Identity{}, false
	}
	msg, err := base64.StdEncoding.DecodeString(token)
	if err == nil {
		var typ uint32
		typ, err = ntlmMessageType(msg)
		switch {
		case err != nil:
		case typ == ntlmNegotiate:
			if a.challenge(w, r, cs, scheme, msg) {
				return Identity{}, false
			}
		case typ == ntlmAuthenticate:
			if id, ok := a.verifyNTLM(r.Context(), cs, scheme, msg); ok {
				return id, true
			}
		}
	}
	cs.reset()
	a.unauthorized(w, r)
	return Identity{}, false
}

// challenge answers a NEGOTIATE message with 401 and a CHALLENGE, and
// remembers the challenge on the connection. It reports whether it answered.
func (a *Authenticator) challenge(w http.ResponseWriter, r *http.Request, cs *connState, scheme string, msg []byte) bool {
	clientFlags, err := parseNegotiate(msg)
	if err != nil {
		return false
	}
	p := &ntlmPending{scheme: scheme}
	if _, err := io.ReadFull(a.cfg.Rand, p.serverChallenge[:]); err != nil {
		return false
	}
	params := challengeParams{
		flags:           challengeFlags(clientFlags),
		serverChallenge: p.serverChallenge,
		netbiosDomain:   a.cfg.NetBIOSDomain,
		netbiosServer:   a.cfg.ServerName,
		filetime:        uint64(a.cfg.Now().UnixNano()/100) + filetimeEpoch,
	}
	if a.cfg.DNSDomain != "" {
		params.dnsDomain = a.cfg.DNSDomain
		params.dnsServer = strings.ToLower(a.cfg.ServerName) + "." + a.cfg.DNSDomain
	}
	cs.begin(p)

	// The client may have sent the whole request body with this leg; read
	// it so that the AUTHENTICATE leg can follow on the same connection.
	a.drain(r)
	w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(buildChallenge(params)))
	writeEmpty(w, http.StatusUnauthorized)
	return true
}

// verifyNTLM checks an AUTHENTICATE message against the connection's pending
// challenge and, if it is right, binds the identity to the connection.
func (a *Authenticator) verifyNTLM(ctx context.Context, cs *connState, scheme string, msg []byte) (Identity, bool) {
	p := cs.takePending()
	if p == nil || p.scheme != scheme {
		return Identity{}, false
	}
	m, err := parseAuthenticate(msg)
	if err != nil {
		return Identity{}, false
	}
	login, named := a.loginName(m.domain, m.user)
	var canonical, password string
	var found bool
	if named {
		canonical, password, found = a.cfg.Accounts.LookupPassword(ctx, login)
	}
	// Verify even for an unknown user so that it costs the same as a wrong
	// password.
	if !verifyNTLMv2(ntHash(password), m.user, m.domain, p.serverChallenge, m.ntResponse) || !found || password == "" {
		return Identity{}, false
	}
	id := Identity{User: canonical, Login: login, Method: MethodNTLM, Scheme: scheme}
	cs.bind(id)
	return id, true
}
