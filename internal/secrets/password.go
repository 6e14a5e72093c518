package secrets

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrInvalidHash is wrapped by the errors of [VerifyPassword] when the stored hash is
// not one it accepts: malformed, another algorithm or version, or absurd parameters.
var ErrInvalidHash = errors.New("invalid password hash")

// Bounds on argon2id parameters, for hashing and for parsing stored hashes alike. They
// keep a crafted or corrupted hash from making one login allocate gigabytes or run for
// minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	maxThreads   = 64
	minSaltLen   = 8
	maxSaltLen   = 64
	minKeyLen    = 16
	maxKeyLen    = 64
	// maxEncodedLen bounds the stored string: the longest valid one is about 200 bytes.
	maxEncodedLen = 512
)

// Params are the argon2id parameters of a password hash. Valid parameters have Memory
// from 8×Threads KiB to 1 GiB, Time from 1 to 16, Threads from 1 to 64, SaltLen from 8
// to 64 and KeyLen from 16 to 64 bytes.
type Params struct {
	// Memory is the memory cost, in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltLen is the length of the random salt, in bytes.
	SaltLen uint32
	// KeyLen is the length of the hash, in bytes.
	KeyLen uint32
}

// DefaultParams returns the second recommended option of RFC 9106 (section 4), for
// settings where 2 GiB per hash is too much: 64 MiB of memory, 3 passes, 4 lanes, a
// 16-byte salt and a 32-byte hash.
func DefaultParams() Params {
	return Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}
}

// Validate reports whether p is within the bounds documented on [Params].
func (p Params) Validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("threads %d out of range [1, %d]", p.Threads, maxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB out of range [%d, %d] for %d threads", p.Memory, 8*uint32(p.Threads), maxMemoryKiB, p.Threads)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d out of range [1, %d]", p.Time, maxTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d out of range [%d, %d]", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d out of range [%d, %d]", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// HashPassword hashes password with argon2id, parameters p and a random salt, and
// returns it in the PHC string format of the reference implementation:
// "$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>", salt and hash in standard base64
// without padding. An empty password is refused.
func HashPassword(password string, p Params) (string, error) {
	if password == "" {
		return "", errors.New("secrets: hash password: empty password")
	}
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("secrets: hash password: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secrets: hash password: salt: %w", err)
	}
	hash := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodeHash(p, salt, hash), nil
}

// encodeHash formats a PHC string.
func encodeHash(p Params, salt, hash []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(hash))
}

// VerifyPassword reports whether password matches encoded, a hash made by
// [HashPassword] (or by another argon2id implementation in the same format). The
// comparison takes constant time.
//
// needsRehash reports, for a matching password, whether encoded was made with other
// parameters than current: the caller should then store HashPassword(password,
// current) in its place. It is false when the password does not match.
//
// A wrong password is not an error: ok is false and err nil. err, wrapping
// [ErrInvalidHash], says that encoded itself is unacceptable; it quotes no part of it.
func VerifyPassword(encoded, password string, current Params) (ok, needsRehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, fmt.Errorf("secrets: verify password: %w: %w", ErrInvalidHash, err)
	}
	if password == "" {
		return false, false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != current, nil
}

// decodeHash parses a PHC string strictly: argon2id, version 19, exactly the
// parameters m, t and p in that order as canonical decimals, salt and hash in standard
// base64 without padding, all within the bounds of [Params.Validate].
func decodeHash(encoded string) (p Params, salt, hash []byte, err error) {
	if len(encoded) > maxEncodedLen {
		return p, nil, nil, fmt.Errorf("longer than %d bytes", maxEncodedLen)
	}
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return p, nil, nil, errors.New("not a PHC string $argon2id$v=19$m=…,t=…,p=…$salt$hash")
	}
	if fields[1] != "argon2id" {
		return p, nil, nil, errors.New("algorithm is not argon2id")
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("version is not %d", argon2.Version)
	}
	m, t, threads, err := parseParams(fields[3])
	if err != nil {
		return p, nil, nil, err
	}
	// Check the cheap bounds before decoding anything.
	if threads > maxThreads {
		return p, nil, nil, fmt.Errorf("threads %d out of range [1, %d]", threads, maxThreads)
	}
	salt, err = base64.RawStdEncoding.Strict().DecodeString(fields[4])
	if err != nil {
		return p, nil, nil, errors.New("salt is not unpadded standard base64")
	}
	hash, err = base64.RawStdEncoding.Strict().DecodeString(fields[5])
	if err != nil {
		return p, nil, nil, errors.New("hash is not unpadded standard base64")
	}
	p = Params{Memory: m, Time: t, Threads: uint8(threads), SaltLen: uint32(len(salt)), KeyLen: uint32(len(hash))}
	if err := p.Validate(); err != nil {
		return Params{}, nil, nil, err
	}
	return p, salt, hash, nil
}

// parseParams parses "m=<memory>,t=<time>,p=<threads>".
func parseParams(s string) (m, t, p uint32, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, errors.New("parameters are not exactly m=…,t=…,p=…")
	}
	var vals [3]uint32
	for i, name := range [3]string{"m", "t", "p"} {
		digits, found := strings.CutPrefix(parts[i], name+"=")
		if !found {
			return 0, 0, 0, errors.New("parameters are not exactly m=…,t=…,p=…")
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil || strconv.FormatUint(v, 10) != digits {
			return 0, 0, 0, fmt.Errorf("parameter %s is not a canonical 32-bit decimal", name)
		}
		vals[i] = uint32(v)
	}
	return vals[0], vals[1], vals[2], nil
}
