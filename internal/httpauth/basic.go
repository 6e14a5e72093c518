package httpauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// basic checks an RFC 7617 Basic token ("user:password", UTF-8) against the
// accounts. It is stateless: every request is looked up afresh.
func (a *Authenticator) basic(ctx context.Context, token string) (Identity, bool) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return Identity{}, false
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || password == "" {
		return Identity{}, false
	}
	login, ok := a.loginName("", user)
	if !ok {
		return Identity{}, false
	}
	canonical, want, found := a.cfg.Accounts.LookupPassword(ctx, login)
	// Compare even for an unknown user so that it costs the same as a wrong
	// password.
	if !passwordsEqual(password, want) || !found || want == "" {
		return Identity{}, false
	}
	return Identity{User: canonical, Login: login, Method: MethodBasic, Scheme: "Basic"}, true
}

// passwordsEqual compares in constant time, whatever the lengths.
func passwordsEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
