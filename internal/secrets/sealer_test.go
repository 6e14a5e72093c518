package secrets

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// testKey returns a deterministic 32-byte key whose bytes all equal b.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustSealer(t *testing.T, primary []byte, previous ...[]byte) *Sealer {
	t.Helper()
	s, err := NewSealer(primary, previous...)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func TestNewSealer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		primary  []byte
		previous [][]byte
		wantErr  string // substring; "" for success
	}{
		{name: "primary only", primary: testKey(1)},
		{name: "with previous", primary: testKey(1), previous: [][]byte{testKey(2), testKey(3)}},
		{name: "nil primary", primary: nil, wantErr: "primary key: key is 0 bytes; want 32"},
		{name: "AES-128 key", primary: testKey(1)[:16], wantErr: "primary key: key is 16 bytes; want 32"},
		{name: "31 bytes", primary: testKey(1)[:31], wantErr: "key is 31 bytes"},
		{name: "33 bytes", primary: append(testKey(1), 0), wantErr: "key is 33 bytes"},
		{name: "short previous", primary: testKey(1), previous: [][]byte{testKey(2), testKey(3)[:8]}, wantErr: "previous key 2: key is 8 bytes"},
		{name: "previous equals primary", primary: testKey(1), previous: [][]byte{testKey(1)}, wantErr: "previous key 1: key " + idOf(testKey(1)).String() + " is given twice"},
		{name: "previous twice", primary: testKey(1), previous: [][]byte{testKey(2), testKey(2)}, wantErr: "previous key 2: key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSealer(tt.primary, tt.previous...)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("NewSealer = %v, %v; want a Sealer", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewSealer error = %v; want it to contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "secrets: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, testKey(1))
	tests := []struct {
		name      string
		plaintext []byte
		aad       string
	}{
		{name: "password", plaintext: []byte("Winter2024!"), aad: "organizations.service_password/org=42"},
		{name: "empty plaintext", plaintext: []byte{}, aad: "org=1"},
		{name: "nil plaintext", plaintext: nil, aad: "org=1"},
		{name: "binary", plaintext: []byte{0, 1, 2, 0xff, 0}, aad: "x"},
		{name: "long", plaintext: bytes.Repeat([]byte("p"), 10_000), aad: strings.Repeat("a", 1000)},
		{name: "unicode aad", plaintext: []byte("secret"), aad: "org=Contoso Ltée"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := s.Seal(tt.plaintext, tt.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if len(sealed) != len(tt.plaintext)+overhead {
				t.Errorf("sealed length = %d; want %d", len(sealed), len(tt.plaintext)+overhead)
			}
			if len(tt.plaintext) >= 4 && bytes.Contains(sealed, tt.plaintext) {
				t.Errorf("sealed value contains the plaintext")
			}
			got, err := s.Open(sealed, tt.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q; want %q", got, tt.plaintext)
			}
		})
	}
}

func TestSealFormat(t *testing.T) {
	t.Parallel()
	key := testKey(7)
	s := mustSealer(t, key)
	a, err := s.Seal([]byte("same"), "row")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Seal([]byte("same"), "row")
	if err != nil {
		t.Fatal(err)
	}
	if a[0] != 1 {
		t.Errorf("version byte = %d; want 1", a[0])
	}
	sum := sha256.Sum256(key)
	if !bytes.Equal(a[1:5], sum[:4]) {
		t.Errorf("key id = %x; want the first 4 bytes of SHA-256 of the key, %x", a[1:5], sum[:4])
	}
	if bytes.Equal(a[5:17], b[5:17]) {
		t.Errorf("two seals used the same nonce %x", a[5:17])
	}
	if bytes.Equal(a, b) {
		t.Errorf("sealing the same plaintext twice gave the same value")
	}
}

func TestSealRefusesEmptyAAD(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, testKey(1))
	if got, err := s.Seal([]byte("pw"), ""); err == nil {
		t.Fatalf("Seal with empty aad = %x, nil; want an error", got)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	key := testKey(1)
	s := mustSealer(t, key)
	const aad = "organizations.service_password/org=42"
	plaintext := []byte("hunter2-service-password")
	sealed, err := s.Seal(plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	other := mustSealer(t, testKey(2))
	sealedOther, err := other.Seal(plaintext, aad)
	if err != nil {
		t.Fatal(err)
	}
	with := func(i int, b byte) []byte {
		c := bytes.Clone(sealed)
		c[i] = b
		return c
	}
	tests := []struct {
		name    string
		sealed  []byte
		aad     string
		wantErr string
	}{
		{name: "another organization's row", sealed: sealed, aad: "organizations.service_password/org=43", wantErr: "authentication failed"},
		{name: "another column", sealed: sealed, aad: "organizations.webhook_secret/org=42", wantErr: "authentication failed"},
		{name: "aad prefix", sealed: sealed, aad: aad[:len(aad)-1], wantErr: "authentication failed"},
		{name: "empty aad", sealed: sealed, aad: "", wantErr: "empty additional data"},
		{name: "unknown key", sealed: sealedOther, aad: aad, wantErr: "sealed under key " + idOf(testKey(2)).String() + ", which is not configured"},
		{name: "unknown version", sealed: with(0, 2), aad: aad, wantErr: "unsupported format version 2"},
		{name: "tampered nonce", sealed: with(headerLen, sealed[headerLen]^1), aad: aad, wantErr: "authentication failed"},
		{name: "tampered ciphertext", sealed: with(headerLen+nonceLen, sealed[headerLen+nonceLen]^0x80), aad: aad, wantErr: "authentication failed"},
		{name: "tampered tag", sealed: with(len(sealed)-1, sealed[len(sealed)-1]^1), aad: aad, wantErr: "authentication failed"},
		{name: "nil", sealed: nil, aad: aad, wantErr: "truncated (0 bytes"},
		{name: "header only", sealed: sealed[:headerLen], aad: aad, wantErr: "truncated"},
		{name: "tag cut", sealed: sealed[:len(sealed)-1], aad: aad, wantErr: "authentication failed"},
		{name: "shorter than overhead", sealed: sealed[:overhead-1], aad: aad, wantErr: "truncated"},
		{name: "appended byte", sealed: append(bytes.Clone(sealed), 0), aad: aad, wantErr: "authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.Open(tt.sealed, tt.aad)
			if err == nil {
				t.Fatalf("Open = %q, nil; want an error", got)
			}
			if got != nil {
				t.Errorf("Open returned %q along with an error", got)
			}
			if !errors.Is(err, ErrCannotOpen) {
				t.Errorf("error %v does not wrap ErrCannotOpen", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			assertNoSecret(t, err.Error(), key, plaintext)
		})
	}
}

// TestOpenEveryByteAuthenticated flips each bit of a sealed value in turn and checks
// that none of the altered values opens.
func TestOpenEveryByteAuthenticated(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, testKey(1))
	sealed, err := s.Seal([]byte("pw"), "row")
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for bit := range 8 {
			c := bytes.Clone(sealed)
			c[i] ^= 1 << bit
			if got, err := s.Open(c, "row"); !errors.Is(err, ErrCannotOpen) {
				t.Errorf("byte %d bit %d flipped: Open = %q, %v; want ErrCannotOpen", i, bit, got, err)
			}
		}
	}
	for n := range len(sealed) {
		if got, err := s.Open(sealed[:n], "row"); !errors.Is(err, ErrCannotOpen) {
			t.Errorf("truncated to %d bytes: Open = %q, %v; want ErrCannotOpen", n, got, err)
		}
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := testKey(1), testKey(2)
	old := mustSealer(t, oldKey)
	rotated := mustSealer(t, newKey, oldKey)
	const aad = "org=42"

	sealedOld, err := old.Seal([]byte("pw-old"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if old.NeedsReseal(sealedOld) {
		t.Errorf("NeedsReseal under its own primary key = true")
	}
	if !rotated.NeedsReseal(sealedOld) {
		t.Errorf("NeedsReseal of a value sealed under the previous key = false")
	}
	got, err := rotated.Open(sealedOld, aad)
	if err != nil || string(got) != "pw-old" {
		t.Fatalf("rotated.Open(old value) = %q, %v; want pw-old", got, err)
	}
	resealed, err := rotated.Seal(got, aad)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.NeedsReseal(resealed) {
		t.Errorf("NeedsReseal after resealing = true")
	}
	if keyID(resealed[1:5]) != idOf(newKey) {
		t.Errorf("resealed under key %x; want the new primary %s", resealed[1:5], idOf(newKey))
	}
	// Once the old key is dropped, old values no longer open, and are not reported as
	// resealable.
	dropped := mustSealer(t, newKey)
	if _, err := dropped.Open(sealedOld, aad); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("Open without the old key: err = %v; want ErrCannotOpen", err)
	}
	if dropped.NeedsReseal(sealedOld) {
		t.Errorf("NeedsReseal of a value under an unknown key = true")
	}
	for _, v := range [][]byte{nil, {1}, bytes.Repeat([]byte{0}, 64)} {
		if rotated.NeedsReseal(v) {
			t.Errorf("NeedsReseal(%x) = true for garbage", v)
		}
	}
}

func TestSealerPrintsNoKeyMaterial(t *testing.T) {
	t.Parallel()
	primary, previous := testKey(0xab), testKey(0xcd)
	s := mustSealer(t, primary, previous)
	want := fmt.Sprintf("secrets.Sealer{primary: %s, previous: [%s]}", idOf(primary), idOf(previous))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
		for _, arg := range []any{s, *s} {
			out := fmt.Sprintf(verb, arg)
			if !strings.Contains(out, want) {
				t.Errorf("Sprintf(%q) = %q; want it to contain %q", verb, out, want)
			}
			assertNoSecret(t, out, primary, nil)
			assertNoSecret(t, out, previous, nil)
		}
	}
}

func TestSealerConcurrentUse(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, testKey(1), testKey(2))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				aad := fmt.Sprintf("org=%d", g)
				pt := fmt.Appendf(nil, "pw-%d-%d", g, i)
				sealed, err := s.Seal(pt, aad)
				if err != nil {
					errs <- err
					return
				}
				got, err := s.Open(sealed, aad)
				if err != nil || !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("goroutine %d: Open = %q, %v; want %q", g, got, err, pt)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// assertNoSecret fails if text contains key (raw, hex or base64) or plaintext.
func assertNoSecret(t *testing.T, text string, key, plaintext []byte) {
	t.Helper()
	for _, form := range []string{
		string(key),
		hex.EncodeToString(key),
		strings.ToUpper(hex.EncodeToString(key)),
		base64.StdEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		hex.EncodeToString(key[:8]),
	} {
		if strings.Contains(text, form) {
			t.Errorf("text %q contains key material %q", text, form)
		}
	}
	if len(plaintext) > 0 && strings.Contains(text, string(plaintext)) {
		t.Errorf("text %q contains the plaintext", text)
	}
}
