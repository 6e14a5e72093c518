package ewsclient

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestOfferedSchemes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		values []string
		want   []string
	}{
		{"IIS, one header each", []string{"Negotiate", "NTLM", `Basic realm="mail.contoso.com"`}, []string{"Negotiate", "NTLM", "Basic"}},
		{"one header, several challenges", []string{`Negotiate, NTLM, Basic realm="a, b", charset="UTF-8"`}, []string{"Negotiate", "NTLM", "Basic"}},
		{"bearer with parameters", []string{`Bearer client_id="00000002", trusted_issuers="x,y", error="invalid_token"`}, []string{"Bearer"}},
		{"NTLM challenge", []string{"NTLM TlRMTVNTUAACAAAA"}, []string{"NTLM"}},
		{"none", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("WWW-Authenticate", v)
			}
			if got := offeredSchemes(h); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBackOff(t *testing.T) {
	t.Parallel()
	c := &Client{opts: Options{RetryBaseDelay: time.Second, MaxRetryWait: time.Minute, Rand: func() float64 { return 0.999 }}}
	for _, tc := range []struct {
		n      int
		server time.Duration
		min    time.Duration
		max    time.Duration
		ok     bool
	}{
		{1, 0, time.Second, 1200 * time.Millisecond, true},
		{3, 0, 4 * time.Second, 4800 * time.Millisecond, true},
		{2, 30 * time.Second, 30 * time.Second, 36 * time.Second, true},
		{40, 0, time.Minute, time.Minute, true},                    // capped, no overflow
		{1, 55 * time.Second, 55 * time.Second, time.Minute, true}, // jitter capped at MaxRetryWait
		{1, 2 * time.Minute, 0, 0, false},                          // beyond MaxRetryWait: give up
	} {
		got, ok := c.backOff(tc.n, tc.server)
		if ok != tc.ok || got < tc.min || got > tc.max {
			t.Errorf("backOff(%d, %v) = %v, %v; want [%v, %v], %v", tc.n, tc.server, got, ok, tc.min, tc.max, tc.ok)
		}
	}
}

func TestRedactHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range [][3]string{
		{"Authorization", "Basic c3ZjOnBhc3M=", "Basic [redacted]"},
		{"Authorization", "NTLM TlRMTVNTUAADAAAA", "NTLM [redacted]"},
		{"Authorization", "Bearer eyJ0eXAi", "Bearer [redacted]"},
		{"Www-Authenticate", "NTLM TlRMTVNTUAACAAAA", "NTLM [redacted]"},
		{"Www-Authenticate", "Negotiate", "Negotiate"},
		{"Www-Authenticate", `Basic realm="mail"`, `Basic realm="mail"`},
		{"Set-Cookie", "exchangecookie=abc", "[redacted]"},
		{"X-Anchormailbox", "alice@contoso.com", "alice@contoso.com"},
	} {
		if got := redactHeader(tc[0], tc[1]); got != tc[2] {
			t.Errorf("%s: %q → %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
