package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLoadKey(t *testing.T) {
	t.Parallel()
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i*37 + 251) // covers bytes that encode to '+', '/', '-' and '_'
	}
	tests := []struct {
		name    string
		value   string
		wantErr string // substring; "" for success
	}{
		{name: "hex", value: hex.EncodeToString(key)},
		{name: "upper-case hex", value: strings.ToUpper(hex.EncodeToString(key))},
		{name: "standard base64", value: base64.StdEncoding.EncodeToString(key)},
		{name: "unpadded base64", value: base64.RawStdEncoding.EncodeToString(key)},
		{name: "URL-safe base64", value: base64.URLEncoding.EncodeToString(key)},
		{name: "unpadded URL-safe base64", value: base64.RawURLEncoding.EncodeToString(key)},
		{name: "surrounding whitespace", value: "  \t" + base64.StdEncoding.EncodeToString(key) + "\r\n"},
		{name: "hex with newline", value: hex.EncodeToString(key) + "\n"},
		{name: "empty", value: "", wantErr: "empty"},
		{name: "blank", value: " \n", wantErr: "empty"},
		{name: "63 hex characters", value: hex.EncodeToString(key)[:63], wantErr: "neither 64 hex characters nor base64"},
		{name: "base64 of 16 bytes", value: base64.StdEncoding.EncodeToString(key[:16]), wantErr: "decodes to 16 bytes; want 32"},
		{name: "base64 of 33 bytes", value: base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 1)), wantErr: "decodes to 33 bytes"},
		{name: "64 non-hex characters", value: strings.Repeat("g", 64), wantErr: "decodes to 48 bytes"},
		{name: "passphrase", value: "correct horse battery staple", wantErr: "neither"},
		{name: "inner space", value: hex.EncodeToString(key)[:32] + " " + hex.EncodeToString(key)[32:], wantErr: "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadKey(tt.value)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadKey: %v", err)
				}
				if !bytes.Equal(got, key) {
					t.Fatalf("LoadKey = %x; want %x", got, key)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadKey = %x, nil; want an error containing %q", got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "secrets: key: ") {
				t.Errorf("error %q; want prefix %q and %q", err, "secrets: key: ", tt.wantErr)
			}
			if v := strings.TrimSpace(tt.value); len(v) > 8 && strings.Contains(err.Error(), v[:8]) {
				t.Errorf("error %q quotes the value", err)
			}
		})
	}
}

// writeFile writes data to a new file in dir with exactly the given mode.
func writeFile(t *testing.T, dir, name, data string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is subject to umask
		t.Fatal(err)
	}
	return path
}

func TestLoadKeyFile(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not checked on Windows")
	}
	dir := t.TempDir()
	key := testKey(9)
	encoded := base64.StdEncoding.EncodeToString(key) + "\n"
	tests := []struct {
		name    string
		path    string
		wantErr string // substring; "" for success
		wantIs  error
	}{
		{name: "mode 0600", path: writeFile(t, dir, "ok600", encoded, 0o600)},
		{name: "mode 0400", path: writeFile(t, dir, "ok400", encoded, 0o400)},
		{name: "hex", path: writeFile(t, dir, "hex", hex.EncodeToString(key), 0o600)},
		{name: "group readable", path: writeFile(t, dir, "g", encoded, 0o640), wantErr: "group or others can access it (mode 0640); restrict it with chmod 600"},
		{name: "world readable", path: writeFile(t, dir, "o", encoded, 0o644), wantErr: "(mode 0644)"},
		{name: "others writable only", path: writeFile(t, dir, "w", encoded, 0o602), wantErr: "(mode 0602)"},
		{name: "group executable", path: writeFile(t, dir, "x", encoded, 0o610), wantErr: "(mode 0610)"},
		{name: "missing", path: filepath.Join(dir, "missing"), wantErr: "no such file", wantIs: fs.ErrNotExist},
		{name: "directory", path: t.TempDir(), wantErr: "not a regular file"},
		{name: "garbage", path: writeFile(t, dir, "garbage", "not a key\n", 0o600), wantErr: "neither 64 hex characters nor base64"},
		{name: "empty", path: writeFile(t, dir, "empty", "", 0o600), wantErr: "empty"},
		{name: "too large", path: writeFile(t, dir, "large", strings.Repeat("A", maxKeyFileSize+1), 0o600), wantErr: "larger than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadKeyFile(tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadKeyFile: %v", err)
				}
				if !bytes.Equal(got, key) {
					t.Fatalf("LoadKeyFile = %x; want %x", got, key)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadKeyFile = %x, nil; want an error containing %q", got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			assertNoSecret(t, err.Error(), key, nil)
			if strings.Contains(err.Error(), strings.TrimSpace(encoded)) {
				t.Errorf("error %q contains the key file's content", err)
			}
		})
	}
}

func TestGenerateKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	key, err := GenerateKeyFile(path)
	if err != nil {
		t.Fatalf("GenerateKeyFile: %v", err)
	}
	if len(key) != KeySize {
		t.Fatalf("key is %d bytes; want %d", len(key), KeySize)
	}
	if bytes.Equal(key, make([]byte, KeySize)) {
		t.Fatalf("key is all zeros")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o; want 0600", info.Mode().Perm())
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(key) + "\n"; string(content) != want {
		t.Errorf("file holds %q; want standard base64 of the key and a newline", content)
	}
	loaded, err := LoadKeyFile(path)
	if err != nil || !bytes.Equal(loaded, key) {
		t.Fatalf("LoadKeyFile = %x, %v; want the generated key", loaded, err)
	}
	if _, err := NewSealer(loaded); err != nil {
		t.Errorf("NewSealer(generated key): %v", err)
	}

	// A second call must not replace the key.
	again, err := GenerateKeyFile(path)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("GenerateKeyFile over an existing file = %x, %v; want fs.ErrExist", again, err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, content) {
		t.Errorf("existing key file was changed")
	}

	other, err := GenerateKeyFile(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, key) {
		t.Errorf("two generated keys are equal")
	}
	if _, err := GenerateKeyFile(filepath.Join(dir, "missing-dir", "k")); err == nil {
		t.Errorf("GenerateKeyFile in a missing directory succeeded")
	}
}
