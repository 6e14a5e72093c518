package httpauth

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestMalformedAuthorization sends broken headers without a handshake in
// progress: each gets the final 401, and the connection stays usable (a
// panic would have dropped it).
func TestMalformedAuthorization(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	tests := []struct{ name, header string }{
		{"ntlm without token", "NTLM"},
		{"ntlm blank token", "NTLM   "},
		{"ntlm bad base64", "NTLM ***not base64***"},
		{"ntlm url base64", "NTLM TlRMTVNTUAAB_-_"},
		{"ntlm short", "NTLM " + b64([]byte("NTLMSSP\x00\x01"))},
		{"ntlm bad signature", "NTLM " + b64([]byte("NTLMSSX\x00\x01\x00\x00\x00\x07\x82\x08\xa2"))},
		{"negotiate truncated before flags", "NTLM " + b64([]byte("NTLMSSP\x00\x01\x00\x00\x00\x07"))},
		{"challenge message from client", "NTLM " + b64(func() []byte { _, c := testChallenge(t, flagUnicode); return c }())},
		{"unknown message type", "NTLM " + b64([]byte("NTLMSSP\x00\x63\x00\x00\x00\x00\x00\x00\x00"))},
		{"authenticate without challenge", "NTLM " + b64(bytes.Repeat([]byte("NTLMSSP\x00\x03\x00\x00\x00"), 8))},
		{"spnego token", "Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXegMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg=="},
		{"huge garbage", "NTLM " + b64(bytes.Repeat([]byte{0xff}, 48<<10))},
		{"basic without token", "Basic"},
		{"basic bad base64", "Basic %%%"},
		{"basic without colon", "Basic " + b64([]byte("alice@contoso.com"))},
		{"basic only colon", "Basic " + b64([]byte(":"))},
		{"basic invalid utf-8", "Basic " + b64([]byte("\xff\xfe:\xff"))},
		{"unknown scheme", "Digest username=\"alice\""},
		{"bearer", "Bearer eyJhbGciOiJub25lIn0.e30."},
		{"scheme only space", " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := dialRaw(t, s)
			wantFinal401(t, rc.do(tt.header, soapBody), allOffers)
			wantFinal401(t, rc.do("", ""), allOffers)
		})
	}
}

// TestMalformedAuthenticate answers a real challenge with broken
// AUTHENTICATE messages derived from a valid one.
func TestMalformedAuthenticate(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)

	put16 := func(off int, v uint16) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint16(b[off:], v); return b }
	}
	put32 := func(off int, v uint32) func([]byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
	}
	tests := []struct {
		name   string
		scheme string // of the AUTHENTICATE leg; "" means as the handshake
		mutate func([]byte) []byte
	}{
		{"truncated header", "", func(b []byte) []byte { return b[:63] }},
		{"truncated to signature", "", func(b []byte) []byte { return b[:12] }},
		{"truncated payload", "", func(b []byte) []byte { return b[:len(b)-10] }},
		{"nt response offset beyond end", "", put32(24, 0xfffffff0)},
		{"nt response length beyond end", "", put16(20, 0xffff)},
		{"user offset overflow", "", put32(40, 0xffffffff)},
		{"odd unicode user", "", put16(36, 3)},
		{"ntlmv1 sized response", "", put16(20, 24)},
		{"lmv2 only", "", put16(20, 0)},
		{"anonymous", "", func(b []byte) []byte {
			b = put16(20, 0)(b)
			return put16(36, 0)(b)
		}},
		{"blob type", "", func(b []byte) []byte {
			off := binary.LittleEndian.Uint32(b[24:])
			b[off+16] = 7
			return b
		}},
		{"proof bit flip", "", func(b []byte) []byte {
			off := binary.LittleEndian.Uint32(b[24:])
			b[off] ^= 0x80
			return b
		}},
		{"message type", "", put32(8, ntlmChallenge)},
		{"signature", "", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"scheme switched", "Negotiate", func(b []byte) []byte { return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := dialRaw(t, s)
			auth := tt.mutate(handshake(t, rc, "NTLM", `CONTOSO\alice`, alicePassword))
			scheme := tt.scheme
			if scheme == "" {
				scheme = "NTLM"
			}
			wantFinal401(t, rc.do(scheme+" "+b64(auth), soapBody), allOffers)
			// The connection survives, and is not authenticated.
			wantFinal401(t, rc.do("", ""), allOffers)
		})
	}
}

// TestNTLMChallengeSingleUse replays a valid AUTHENTICATE message.
func TestNTLMChallengeSingleUse(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	rc := dialRaw(t, s)
	auth := "NTLM " + b64(handshake(t, rc, "NTLM", `CONTOSO\alice`, alicePassword))
	if got := rc.do(auth, ""); got.status != 200 || !strings.Contains(got.body, "user=alice@contoso.com") {
		t.Fatalf("first use: %d %q", got.status, got.body)
	}
	wantFinal401(t, rc.do(auth, ""), allOffers)
	// On another connection, with its own challenge, too.
	other := dialRaw(t, s)
	handshake(t, other, "NTLM", `CONTOSO\alice`, alicePassword)
	wantFinal401(t, other.do(auth, ""), allOffers)
}
