package httpauth

import (
	"os/exec"
	"strings"
	"testing"
)

// curl runs the system curl with NTLM against s and returns its output: the
// response bodies followed by "<status> <new connections>" per URL.
func curl(t *testing.T, s *testServer, user, password string, urls ...string) string {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not in PATH")
	}
	args := []string{
		"-q", // ignore ~/.curlrc
		"--silent", "--show-error", "--noproxy", "*", "--http1.1",
		"--ntlm", "--user", user + ":" + password,
		"--data-binary", soapBody, "--header", "Content-Type: text/xml",
		"--write-out", "%{http_code} %{num_connects}\n",
	}
	for _, u := range urls {
		args = append(args, s.URL+u)
	}
	out, err := exec.CommandContext(t.Context(), bin, args...).Output()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	return string(out)
}

func TestCurlNTLM(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	tests := []struct {
		name, user, password, want string
	}{
		{"domain user", `CONTOSO\alice`, alicePassword,
			"user=alice@contoso.com login=CONTOSO\\alice method=NTLM scheme=NTLM body=16000\n200 1\n"},
		{"upn", "alice@contoso.com", alicePassword,
			"user=alice@contoso.com login=alice@contoso.com method=NTLM scheme=NTLM body=16000\n200 1\n"},
		{"wrong password", `CONTOSO\alice`, "wrong", "401 1\n"},
		{"unknown user", `CONTOSO\mallory`, alicePassword, "401 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := curl(t, s, tt.user, tt.password, "/EWS/Exchange.asmx"); got != tt.want {
				t.Errorf("curl output = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCurlKeepAlive sends two requests in one curl run: they share a
// connection and only the first is challenged.
func TestCurlKeepAlive(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	got := curl(t, s, `CONTOSO\alice`, alicePassword, "/EWS/Exchange.asmx", "/EWS/Exchange.asmx?second")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	want := []string{
		`user=alice@contoso.com login=CONTOSO\alice method=NTLM scheme=NTLM body=16000`, "200 1",
		`user=alice@contoso.com login=CONTOSO\alice method=NTLM scheme=NTLM body=16000`, "200 0",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("curl output = %q, want %q", lines, want)
	}
	if n := s.negotiations.Load(); n != 1 {
		t.Errorf("NTLM handshakes = %d, want 1", n)
	}
}
