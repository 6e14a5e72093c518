package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
)

func TestNewToken(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 100 {
		tok, err := NewToken()
		if err != nil {
			t.Fatalf("NewToken: %v", err)
		}
		if len(tok) != 43 {
			t.Fatalf("token %q is %d characters; want 43", tok, len(tok))
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q does not decode as unpadded base64url of 32 bytes: %d bytes, %v", tok, len(raw), err)
		}
		if seen[tok] {
			t.Fatalf("token %q generated twice", tok)
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token string
		want  string // hex SHA-256
	}{
		{name: "empty", token: "", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "abc", token: "abc", want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hex.EncodeToString(HashToken(tt.token)); got != tt.want {
				t.Errorf("HashToken(%q) = %s; want %s", tt.token, got, tt.want)
			}
		})
	}
}

func TestEqualHash(t *testing.T) {
	t.Parallel()
	a := HashToken("token-a")
	tests := []struct {
		name string
		a, b []byte
		want bool
	}{
		{name: "same token", a: a, b: HashToken("token-a"), want: true},
		{name: "other token", a: a, b: HashToken("token-b"), want: false},
		{name: "last byte differs", a: a, b: append(append([]byte{}, a[:31]...), a[31]^1), want: false},
		{name: "prefix", a: a, b: a[:16], want: false},
		{name: "empty stored hash", a: nil, b: a, want: false},
		{name: "both empty", a: nil, b: []byte{}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := EqualHash(tt.a, tt.b); got != tt.want {
				t.Errorf("EqualHash(%x, %x) = %v; want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
