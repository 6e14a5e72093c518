package exchangesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Access tokens are JWTs, as Entra ID's are, with the claims resource servers read (aud,
// iss, tid, appid, oid, roles, exp, …). They are signed with HMAC-SHA256 under a key the
// simulator draws at start, not with Entra's RSA keys: clients treat access tokens as
// opaque, and only the simulator itself validates them. A restarted simulator therefore
// refuses earlier tokens, and clients must fetch new ones, as after a key rollover.

// defaultTokenLifetime is the lifetime Entra ID gives app-only access tokens by default
// (expires_in 3599).
const defaultTokenLifetime = 3599 * time.Second

// tokenClaims are the claims of an app-only v1.0 access token.
type tokenClaims struct {
	Aud            string   `json:"aud"`
	Iss            string   `json:"iss"`
	Iat            int64    `json:"iat"`
	Nbf            int64    `json:"nbf"`
	Exp            int64    `json:"exp"`
	AppDisplayName string   `json:"app_displayname,omitempty"`
	AppID          string   `json:"appid"`
	AppIDAcr       string   `json:"appidacr"`
	IdP            string   `json:"idp"`
	IdTyp          string   `json:"idtyp"`
	Oid            string   `json:"oid"`
	Roles          []string `json:"roles,omitempty"`
	Sub            string   `json:"sub"`
	Tid            string   `json:"tid"`
	Ver            string   `json:"ver"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Reasons a token is refused.
var (
	errTokenMalformed = errors.New("token malformed")
	errTokenSignature = errors.New("token signature invalid")
	errTokenExpired   = errors.New("token expired")
	errTokenNotYet    = errors.New("token not yet valid")
)

// signToken encodes and signs claims.
func signToken(key []byte, c tokenClaims) string {
	payload, _ := json.Marshal(c)
	body := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// parseToken checks a token's signature and lifetime at now and returns its claims.
// Expired tokens are allowed five minutes of clock skew, as Microsoft's validators
// allow; the claims are returned with errTokenExpired so that callers can say why.
func parseToken(key []byte, tok string, now time.Time) (tokenClaims, error) {
	var c tokenClaims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[0] != jwtHeader {
		return c, errTokenMalformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return c, errTokenMalformed
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return c, errTokenSignature
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, errTokenMalformed
	}
	const skew = 5 * time.Minute
	switch {
	case now.After(time.Unix(c.Exp, 0).Add(skew)):
		return c, errTokenExpired
	case now.Add(skew).Before(time.Unix(c.Nbf, 0)):
		return c, errTokenNotYet
	}
	return c, nil
}

// hasRole reports whether the token grants any of perms.
func (c tokenClaims) hasRole(perms ...string) bool {
	for _, r := range c.Roles {
		for _, p := range perms {
			if strings.EqualFold(r, p) {
				return true
			}
		}
	}
	return false
}

// audienceIs reports whether the token is for resource (its URI, with or without a
// trailing slash, or its well-known application ID).
func (c tokenClaims) audienceIs(resource string) bool {
	aud := strings.TrimSuffix(strings.ToLower(c.Aud), "/")
	switch resource {
	case GraphResource:
		return aud == GraphResource || aud == graphAppID
	case ExchangeResource:
		return aud == ExchangeResource || aud == exchangeAppID
	}
	return false
}

// The first-party application IDs of Microsoft Graph and Office 365 Exchange Online,
// which may stand for their resource URIs in scopes and audiences.
const (
	graphAppID    = "00000003-0000-0000-c000-000000000000"
	exchangeAppID = "00000002-0000-0ff1-ce00-000000000000"
)
