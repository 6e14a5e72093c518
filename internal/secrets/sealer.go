package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size in bytes of a master key: AES-256.
const KeySize = 32

// Layout of a sealed value: version | key id | nonce | ciphertext and tag.
const (
	sealVersion = 1
	keyIDLen    = 4
	nonceLen    = 12
	tagLen      = 16
	headerLen   = 1 + keyIDLen
	overhead    = headerLen + nonceLen + tagLen
)

// ErrCannotOpen is wrapped by every error of [Sealer.Open]: the value is truncated, of
// an unknown version, sealed under a key the Sealer does not have, tampered with, or
// bound to another row.
var ErrCannotOpen = errors.New("cannot open sealed value")

// keyID identifies a key without revealing it: the first bytes of its SHA-256.
type keyID [keyIDLen]byte

// String returns the key id in hex.
func (id keyID) String() string { return hex.EncodeToString(id[:]) }

// sealKey is one key, ready to use. The raw key is not kept.
type sealKey struct {
	id   keyID
	aead cipher.AEAD
}

// Sealer encrypts small secrets, such as service-account passwords, with AES-256-GCM,
// each bound to the row that stores it (see the package documentation). It seals under
// its primary key and opens values sealed under the primary or a previous key. A Sealer
// is safe for concurrent use. Printing it shows only key ids.
type Sealer struct {
	primary  sealKey
	previous []sealKey
}

// NewSealer returns a Sealer that seals under primary and also opens values sealed
// under any of the previous keys, for key rotation. Every key must be exactly
// [KeySize] bytes, and no key may be given twice. The Sealer keeps no reference to the
// slices passed.
func NewSealer(primary []byte, previous ...[]byte) (*Sealer, error) {
	p, err := newSealKey(primary)
	if err != nil {
		return nil, fmt.Errorf("secrets: primary key: %w", err)
	}
	s := &Sealer{primary: p}
	for i, key := range previous {
		k, err := newSealKey(key)
		if err != nil {
			return nil, fmt.Errorf("secrets: previous key %d: %w", i+1, err)
		}
		if s.find(k.id) != nil {
			return nil, fmt.Errorf("secrets: previous key %d: key %s is given twice", i+1, k.id)
		}
		s.previous = append(s.previous, k)
	}
	return s, nil
}

// newSealKey checks a key's length and prepares its cipher.
func newSealKey(key []byte) (sealKey, error) {
	if len(key) != KeySize {
		return sealKey{}, fmt.Errorf("key is %d bytes; want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealKey{}, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealKey{}, fmt.Errorf("gcm: %w", err)
	}
	return sealKey{id: idOf(key), aead: aead}, nil
}

// idOf returns the id of a key.
func idOf(key []byte) keyID {
	sum := sha256.Sum256(key)
	return keyID(sum[:keyIDLen])
}

// find returns the key with the given id, or nil.
func (s *Sealer) find(id keyID) *sealKey {
	if s.primary.id == id {
		return &s.primary
	}
	for i := range s.previous {
		if s.previous[i].id == id {
			return &s.previous[i]
		}
	}
	return nil
}

// Seal encrypts plaintext under the primary key, bound to aad: a non-empty string that
// names the row storing the result, such as "organizations.service_password/org=42".
// The same aad is needed to open it. Sealing the same plaintext twice gives different
// values.
func (s *Sealer) Seal(plaintext []byte, aad string) ([]byte, error) {
	if aad == "" {
		return nil, errors.New("secrets: seal: empty additional data; bind the value to the row that stores it")
	}
	out := make([]byte, headerLen+nonceLen, len(plaintext)+overhead)
	out[0] = sealVersion
	copy(out[1:headerLen], s.primary.id[:])
	nonce := out[headerLen:]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secrets: seal: nonce: %w", err)
	}
	return s.primary.aead.Seal(out, nonce, plaintext, additionalData(out[:headerLen], aad)), nil
}

// Open decrypts a value made by [Sealer.Seal] with the same aad, under whichever of the
// Sealer's keys sealed it. Every error wraps [ErrCannotOpen]; none contains secret
// material.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	if aad == "" {
		return nil, fmt.Errorf("secrets: open: %w: empty additional data", ErrCannotOpen)
	}
	if len(sealed) < overhead {
		return nil, fmt.Errorf("secrets: open: %w: truncated (%d bytes; a sealed value has at least %d)", ErrCannotOpen, len(sealed), overhead)
	}
	if v := sealed[0]; v != sealVersion {
		return nil, fmt.Errorf("secrets: open: %w: unsupported format version %d", ErrCannotOpen, v)
	}
	id := keyID(sealed[1:headerLen])
	k := s.find(id)
	if k == nil {
		return nil, fmt.Errorf("secrets: open: %w: sealed under key %s, which is not configured", ErrCannotOpen, id)
	}
	nonce := sealed[headerLen : headerLen+nonceLen]
	plaintext, err := k.aead.Open(nil, nonce, sealed[headerLen+nonceLen:], additionalData(sealed[:headerLen], aad))
	if err != nil {
		return nil, fmt.Errorf("secrets: open: %w: authentication failed (tampered, or bound to another row)", ErrCannotOpen)
	}
	return plaintext, nil
}

// NeedsReseal reports whether sealed was sealed under one of the previous keys, and so
// should be opened and sealed again under the primary key. It reports false for values
// sealed under the primary key and for values the Sealer cannot open at all.
func (s *Sealer) NeedsReseal(sealed []byte) bool {
	if len(sealed) < overhead || sealed[0] != sealVersion {
		return false
	}
	id := keyID(sealed[1:headerLen])
	return id != s.primary.id && s.find(id) != nil
}

// additionalData authenticates the header along with the caller's aad. The header has
// a fixed length, so the concatenation is unambiguous.
func additionalData(header []byte, aad string) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	ad = append(ad, header...)
	return append(ad, aad...)
}

// String describes the Sealer by its key ids only, such as
// "secrets.Sealer{primary: 1a2b3c4d, previous: [5e6f7081]}".
func (s Sealer) String() string {
	var b strings.Builder
	b.WriteString("secrets.Sealer{primary: ")
	b.WriteString(s.primary.id.String())
	b.WriteString(", previous: [")
	for i, k := range s.previous {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k.id.String())
	}
	b.WriteString("]}")
	return b.String()
}

// GoString is [Sealer.String], so that %#v shows no key material either.
func (s Sealer) GoString() string { return s.String() }

// Format writes [Sealer.String] whatever the verb, so that no fmt verb can print the
// Sealer's internals. The printing methods take a value receiver so that a Sealer and a
// *Sealer print alike.
func (s Sealer) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(s.String()))
}
