package httpauth

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestMD4(t *testing.T) {
	t.Parallel()
	// Test suite from RFC 1320, appendix A.5, plus block-boundary lengths.
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "31d6cfe0d16ae931b73c59d7e0c089c0"},
		{"a", "a", "bde52cb31de33e46245e05fbdbd6fb24"},
		{"abc", "abc", "a448017aaf21d8525fc10ae87aa6729d"},
		{"message digest", "message digest", "d9130a8164549fe818874806e1c7014b"},
		{"alphabet", "abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
		{"alnum", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"},
		{"digits80", strings.Repeat("1234567890", 8), "e33b4ddc9c38f2199c3e7b164fcc0536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := md4Sum([]byte(tt.in))
			if hex.EncodeToString(got[:]) != tt.want {
				t.Errorf("md4(%q) = %x, want %s", tt.in, got, tt.want)
			}
		})
	}
}
