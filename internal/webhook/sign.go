// Package webhook signs and sends mailbridge's webhook deliveries, and verifies their
// signatures, as a receiver does.
//
// A delivery is an HTTP POST of a JSON body with three headers:
//
//	Mailbridge-Event: changes | status | ping
//	Mailbridge-Delivery: dlv_…   (the same on every retry of a delivery)
//	Mailbridge-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]
//
// Each v1 is the hex HMAC-SHA256, keyed with a subscription secret (the whole "whsec_…"
// string), of the timestamp, a dot and the raw body: t + "." + body. While a rotated
// secret's overlap lasts, the header carries two v1 values, one per secret; a receiver
// accepts the delivery when any of them matches its secret, and refuses timestamps too
// far from its clock (replays).
//
// Deliveries go through the endpoint guard (internal/netguard): the dialer checks every
// address connected to, redirects are not followed, no proxy from the environment is
// used (the guard would only see the proxy), and responses are read to a bound.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The delivery headers.
const (
	HeaderSignature = "Mailbridge-Signature"
	HeaderEvent     = "Mailbridge-Event"
	HeaderDelivery  = "Mailbridge-Delivery"
)

// SecretPrefix starts every subscription secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far from the receiver's clock a signature's timestamp may be.
const DefaultTolerance = 5 * time.Minute

// NewSecret returns a new subscription secret: SecretPrefix and 32 random bytes in
// URL-safe base64.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Sign returns the hex HMAC-SHA256 of "<unix>.<body>" keyed with secret.
func Sign(secret string, t time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(t.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// SignatureHeader returns the Mailbridge-Signature value for body sent at t: the
// timestamp and one v1 signature per secret, in order.
func SignatureHeader(t time.Time, body []byte, secrets ...string) string {
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(t.Unix(), 10))
	for _, s := range secrets {
		b.WriteString(",v1=")
		b.WriteString(Sign(s, t, body))
	}
	return b.String()
}

// Errors of Verify.
var (
	ErrNoSignature = errors.New("webhook: no valid Mailbridge-Signature header")
	ErrTimestamp   = errors.New("webhook: signature timestamp outside the tolerance")
	ErrMismatch    = errors.New("webhook: no signature matches the secret")
)

// ParseSignature reads a Mailbridge-Signature value: its timestamp and v1 signatures.
// Unknown keys are ignored (later schemes).
func ParseSignature(header string) (time.Time, []string, error) {
	var ts time.Time
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return time.Time{}, nil, ErrNoSignature
			}
			ts = time.Unix(n, 0)
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts.IsZero() || len(sigs) == 0 {
		return time.Time{}, nil, ErrNoSignature
	}
	return ts, sigs, nil
}

// Verify checks a delivery as a receiver does: header is its Mailbridge-Signature,
// body the raw body, secret the subscription's. The timestamp must be within tolerance
// of now (DefaultTolerance when 0), and one v1 signature must match.
func Verify(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := ParseSignature(header)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	want, _ := hex.DecodeString(Sign(secret, ts, body))
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrMismatch
}
