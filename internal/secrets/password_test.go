package secrets

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// cheapParams returns valid parameters that keep tests fast under the race detector.
func cheapParams() Params { return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} }

func mustHash(t *testing.T, password string, p Params) string {
	t.Helper()
	h, err := HashPassword(password, p)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	return h
}

func TestDefaultParams(t *testing.T) {
	t.Parallel()
	want := Params{Memory: 65536, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}
	if got := DefaultParams(); got != want {
		t.Errorf("DefaultParams() = %+v; want RFC 9106's second option %+v", got, want)
	}
	if err := DefaultParams().Validate(); err != nil {
		t.Errorf("DefaultParams().Validate() = %v", err)
	}
}

func TestHashPasswordFormat(t *testing.T) {
	t.Parallel()
	p := Params{Memory: 256, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}
	h := mustHash(t, "s3cret", p)
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=256,t=2,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(h) {
		t.Errorf("HashPassword = %q; want it to match %s", h, re)
	}
	if h2 := mustHash(t, "s3cret", p); h2 == h {
		t.Errorf("two hashes of the same password are equal (salt not random): %q", h)
	}
	if strings.Contains(h, "s3cret") {
		t.Errorf("hash %q contains the password", h)
	}
}

func TestHashPasswordErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		p        Params
		wantErr  string
	}{
		{name: "empty password", password: "", p: cheapParams(), wantErr: "empty password"},
		{name: "zero params", password: "pw", p: Params{}, wantErr: "threads 0"},
		{name: "zero memory", password: "pw", p: Params{Memory: 0, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, wantErr: "memory 0 KiB"},
		{name: "memory below 8 per thread", password: "pw", p: Params{Memory: 31, Time: 1, Threads: 4, SaltLen: 16, KeyLen: 32}, wantErr: "memory 31 KiB out of range [32,"},
		{name: "memory over 1 GiB", password: "pw", p: Params{Memory: 1<<20 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, wantErr: "memory 1048577 KiB"},
		{name: "zero time", password: "pw", p: Params{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}, wantErr: "time 0"},
		{name: "short salt", password: "pw", p: Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}, wantErr: "salt length 4"},
		{name: "short key", password: "pw", p: Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8}, wantErr: "key length 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := HashPassword(tt.password, tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("HashPassword = %q, %v; want an error containing %q", h, err, tt.wantErr)
			}
		})
	}
}

func TestVerifyPassword(t *testing.T) {
	t.Parallel()
	h := mustHash(t, "Correct-Horse", cheapParams())
	other := Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	tests := []struct {
		name       string
		password   string
		current    Params
		wantOK     bool
		wantRehash bool
	}{
		{name: "right password", password: "Correct-Horse", current: cheapParams(), wantOK: true},
		{name: "right password, params changed", password: "Correct-Horse", current: other, wantOK: true, wantRehash: true},
		{name: "right password, default params", password: "Correct-Horse", current: DefaultParams(), wantOK: true, wantRehash: true},
		{name: "wrong case", password: "correct-horse", current: cheapParams()},
		{name: "prefix", password: "Correct-Hors", current: cheapParams()},
		{name: "trailing space", password: "Correct-Horse ", current: cheapParams()},
		{name: "empty", password: "", current: cheapParams()},
		{name: "wrong password, params changed", password: "nope", current: other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := VerifyPassword(h, tt.password, tt.current)
			if err != nil {
				t.Fatalf("VerifyPassword: %v", err)
			}
			if ok != tt.wantOK || rehash != tt.wantRehash {
				t.Errorf("VerifyPassword = %v, %v; want %v, %v", ok, rehash, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

// TestVerifyPasswordReference checks a hash made with DefaultParams by another
// implementation (the argon2-cffi documentation's example, which uses the reference C
// library), and a round trip with DefaultParams.
func TestVerifyPasswordReference(t *testing.T) {
	t.Parallel()
	const ref = "$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg"
	ok, rehash, err := VerifyPassword(ref, "correct horse battery staple", DefaultParams())
	if err != nil || !ok || rehash {
		t.Errorf("VerifyPassword(reference hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, err := VerifyPassword(ref, "Tr0ub4dor&3", DefaultParams()); ok || err != nil {
		t.Errorf("VerifyPassword(reference hash, wrong password) = %v, %v; want false, nil", ok, err)
	}

	h := mustHash(t, "admin password", DefaultParams())
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("HashPassword(DefaultParams) = %q; want the m=65536,t=3,p=4 prefix", h)
	}
	ok, rehash, err = VerifyPassword(h, "admin password", DefaultParams())
	if err != nil || !ok || rehash {
		t.Errorf("VerifyPassword(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestVerifyPasswordRejectsMalformed(t *testing.T) {
	t.Parallel()
	valid := mustHash(t, "pw", cheapParams())
	fields := strings.Split(valid, "$") // "", alg, version, params, salt, hash
	salt, hash := fields[4], fields[5]
	with := func(alg, version, params, salt, hash string) string {
		return strings.Join([]string{"", alg, version, params, salt, hash}, "$")
	}
	tests := []struct {
		name    string
		encoded string
		wantErr string
	}{
		{name: "empty", encoded: "", wantErr: "not a PHC string"},
		{name: "bcrypt", encoded: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", wantErr: "not a PHC string"},
		{name: "argon2i", encoded: with("argon2i", "v=19", "m=64,t=1,p=1", salt, hash), wantErr: "algorithm is not argon2id"},
		{name: "argon2d", encoded: with("argon2d", "v=19", "m=64,t=1,p=1", salt, hash), wantErr: "algorithm is not argon2id"},
		{name: "upper-case algorithm", encoded: with("ARGON2ID", "v=19", "m=64,t=1,p=1", salt, hash), wantErr: "algorithm is not argon2id"},
		{name: "version 16", encoded: with("argon2id", "v=16", "m=64,t=1,p=1", salt, hash), wantErr: "version is not 19"},
		{name: "version missing", encoded: "$argon2id$m=64,t=1,p=1$" + salt + "$" + hash, wantErr: "not a PHC string"},
		{name: "extra field", encoded: valid + "$", wantErr: "not a PHC string"},
		{name: "leading text", encoded: "x" + valid, wantErr: "not a PHC string"},
		{name: "params reordered", encoded: with("argon2id", "v=19", "t=1,m=64,p=1", salt, hash), wantErr: "not exactly m=…,t=…,p=…"},
		{name: "extra param", encoded: with("argon2id", "v=19", "m=64,t=1,p=1,keyid=x", salt, hash), wantErr: "not exactly"},
		{name: "missing param", encoded: with("argon2id", "v=19", "m=64,t=1", salt, hash), wantErr: "not exactly"},
		{name: "leading zero", encoded: with("argon2id", "v=19", "m=064,t=1,p=1", salt, hash), wantErr: "parameter m is not a canonical"},
		{name: "plus sign", encoded: with("argon2id", "v=19", "m=+64,t=1,p=1", salt, hash), wantErr: "parameter m is not a canonical"},
		{name: "negative", encoded: with("argon2id", "v=19", "m=64,t=-1,p=1", salt, hash), wantErr: "parameter t is not a canonical"},
		{name: "memory over 32 bits", encoded: with("argon2id", "v=19", "m=4294967296,t=1,p=1", salt, hash), wantErr: "parameter m is not a canonical"},
		{name: "zero memory", encoded: with("argon2id", "v=19", "m=0,t=1,p=1", salt, hash), wantErr: "memory 0 KiB"},
		{name: "memory 4 GiB", encoded: with("argon2id", "v=19", "m=4194304,t=1,p=1", salt, hash), wantErr: "memory 4194304 KiB out of range"},
		{name: "memory just over 1 GiB", encoded: with("argon2id", "v=19", "m=1048577,t=1,p=1", salt, hash), wantErr: "memory 1048577 KiB out of range"},
		{name: "memory below 8 per lane", encoded: with("argon2id", "v=19", "m=16,t=1,p=4", salt, hash), wantErr: "memory 16 KiB out of range"},
		{name: "zero time", encoded: with("argon2id", "v=19", "m=64,t=0,p=1", salt, hash), wantErr: "time 0"},
		{name: "huge time", encoded: with("argon2id", "v=19", "m=64,t=4294967295,p=1", salt, hash), wantErr: "time 4294967295"},
		{name: "zero threads", encoded: with("argon2id", "v=19", "m=64,t=1,p=0", salt, hash), wantErr: "threads 0"},
		{name: "threads over 8 bits", encoded: with("argon2id", "v=19", "m=4096,t=1,p=256", salt, hash), wantErr: "threads 256"},
		{name: "padded salt", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", salt+"==", hash), wantErr: "salt is not unpadded standard base64"},
		{name: "URL-safe salt", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", "_-"+salt[2:], hash), wantErr: "salt is not"},
		{name: "non-canonical salt", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", salt[:21]+"B", hash), wantErr: "salt is not"},
		{name: "short salt", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", "c2FsdA", hash), wantErr: "salt length 4"},
		{name: "empty salt", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", "", hash), wantErr: "salt length 0"},
		{name: "short hash", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", salt, hash[:8]), wantErr: "key length 6"},
		{name: "bad hash", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", salt, "!"+hash[1:]), wantErr: "hash is not"},
		{name: "too long", encoded: with("argon2id", "v=19", "m=64,t=1,p=1", salt, strings.Repeat("A", 600)), wantErr: "longer than 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := VerifyPassword(tt.encoded, "pw", cheapParams())
			if err == nil {
				t.Fatalf("VerifyPassword = %v, %v, nil; want an error containing %q", ok, rehash, tt.wantErr)
			}
			if ok || rehash {
				t.Errorf("VerifyPassword = %v, %v along with an error", ok, rehash)
			}
			if !errors.Is(err, ErrInvalidHash) {
				t.Errorf("error %v does not wrap ErrInvalidHash", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), salt) {
				t.Errorf("error %q quotes the stored salt", err)
			}
		})
	}
	// The valid hash itself must pass, or the cases above prove nothing.
	if ok, _, err := VerifyPassword(valid, "pw", cheapParams()); !ok || err != nil {
		t.Fatalf("VerifyPassword(valid) = %v, %v", ok, err)
	}
}
