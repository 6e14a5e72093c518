package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// maxKeyFileSize bounds what LoadKeyFile reads: a key file holds one short line.
const maxKeyFileSize = 4096

// LoadKey parses a master key given as 64 hex characters or as standard or URL-safe
// base64 (padded or not) of [KeySize] bytes. Surrounding whitespace is ignored. The
// error never contains any part of value.
func LoadKey(value string) ([]byte, error) {
	key, err := parseKey(value)
	if err != nil {
		return nil, fmt.Errorf("secrets: key: %w", err)
	}
	return key, nil
}

// parseKey is LoadKey without the error prefix. The decoders' own errors are dropped:
// they quote the offending character, which is part of the key.
func parseKey(value string) ([]byte, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, errors.New("empty; want 64 hex characters or base64 of 32 bytes")
	}
	if len(value) == hex.EncodedLen(KeySize) {
		if key, err := hex.DecodeString(value); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		key, err := enc.Strict().DecodeString(value)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("decodes to %d bytes; want %d", len(key), KeySize)
		}
		return key, nil
	}
	return nil, fmt.Errorf("neither 64 hex characters nor base64 of %d bytes (%d characters given)", KeySize, len(value))
}

// LoadKeyFile reads a master key, in a form [LoadKey] accepts, from the file at path.
// It refuses a file that its group or others may access (mode&0o077 != 0): a key that
// other users could read protects nothing. Modes are not checked on Windows.
func LoadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secrets: key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets: key file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("secrets: key file %s: group or others can access it (mode %04o); restrict it with chmod 600", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("secrets: key file %s: larger than %d bytes; it should hold one key", path, maxKeyFileSize)
	}
	key, err := parseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	return key, nil
}

// GenerateKeyFile creates a file at path holding a new random master key in standard
// base64, readable and writable by its owner only (mode 0600), and returns the key. It
// never overwrites: if path exists, it fails with an error wrapping [io/fs.ErrExist].
func GenerateKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secrets: generate key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("secrets: generate key file: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// The file is ours (O_EXCL): remove it rather than leave a partial key behind.
		_ = os.Remove(path)
		return nil, fmt.Errorf("secrets: generate key file: %w", err)
	}
	return key, nil
}
