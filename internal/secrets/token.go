package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
)

// tokenLen is the number of random bytes in a token: 256 bits.
const tokenLen = 32

// NewToken returns a new session or API token: 32 random bytes in URL-safe base64
// without padding (43 characters). Store only its [HashToken].
func NewToken() (string, error) {
	b := make([]byte, tokenLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secrets: new token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the SHA-256 of token, the form in which tokens are stored and
// looked up.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// EqualHash reports, in time that depends only on the lengths, whether two token
// hashes are equal. An empty hash equals nothing, so that a missing stored hash never
// matches.
func EqualHash(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(a, b) == 1
}
