package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverserver"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/exchangesim/simtest"
)

// discoverSim starts a contoso simulator over TLS and returns its port and the path of
// its CA certificate, written to a temporary file.
func discoverSim(t *testing.T, ad exchangesim.AutodiscoverOptions) (port, caFile string) {
	t.Helper()
	_, srv := simtest.Start(t, exchangesim.Options{Autodiscover: ad}, exchangesim.ListenConfig{TLS: true})
	caFile = filepath.Join(t.TempDir(), "sim-ca.pem")
	if err := os.WriteFile(caFile, srv.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.Info().BaseURL, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	return port, caFile
}

// discoverJSON is the part of `discover --json` the tests read.
type discoverJSON struct {
	Email       string   `json:"email"`
	EWSURL      string   `json:"ews_url"`
	Verified    bool     `json:"verified"`
	Method      string   `json:"method"`
	FoundBy     int      `json:"found_by"`
	Suggestions []string `json:"suggestions"`
	Error       string   `json:"error"`
	Attempts    []struct {
		Method     string  `json:"method"`
		URL        string  `json:"url"`
		Outcome    string  `json:"outcome"`
		HTTPStatus int     `json:"http_status"`
		RedirectTo string  `json:"redirect_to"`
		DurationMS float64 `json:"duration_ms"`
	} `json:"attempts"`
}

func runDiscoverCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), append([]string{"discover"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func decodeDiscover(t *testing.T, stdout string) discoverJSON {
	t.Helper()
	if n := strings.Count(strings.TrimSpace(stdout), "\n"); n != 0 {
		t.Fatalf("--json printed %d lines, want one object:\n%s", n+1, stdout)
	}
	var got discoverJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	return got
}

// TestDiscoverCLI runs `mailbridge discover` end to end against the simulator over TLS,
// reached as contoso.com through --resolve and trusted through --ca-file.
func TestDiscoverCLI(t *testing.T) {
	t.Parallel()
	const ews = "https://mail.contoso.com/EWS/Exchange.asmx"
	port, ca := discoverSim(t, exchangesim.AutodiscoverOptions{ExternalEWSURL: ews})
	resolve := "contoso.com:443:127.0.0.1:" + port

	for _, auth := range []string{"ntlm", "basic"} {
		t.Run("json "+auth, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runDiscoverCLI(t, "Svc-Pass-2026!\n",
				"--service-user", "svc-sync@contoso.com", "--password-stdin", "--auth", auth,
				"--resolve", resolve, "--ca-file", ca, "--json", "alice@contoso.com")
			if code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
			}
			got := decodeDiscover(t, stdout)
			if got.EWSURL != ews || !got.Verified || got.Method != "pox" || got.FoundBy != 0 || got.Error != "" {
				t.Errorf("JSON %+v, want %s verified by pox at attempt 0", got, ews)
			}
			if len(got.Attempts) != 1 || got.Attempts[0].URL != "https://contoso.com/autodiscover/autodiscover.xml" ||
				got.Attempts[0].Outcome != "ok" || got.Attempts[0].HTTPStatus != 200 {
				t.Errorf("attempts %+v, want one ok POX attempt at the domain", got.Attempts)
			}
			if strings.Contains(stdout+stderr, "Svc-Pass-2026!") {
				t.Error("the password is in the output")
			}
		})
	}

	t.Run("table", func(t *testing.T) {
		t.Parallel()
		// The email may come before the flags, too.
		code, stdout, stderr := runDiscoverCLI(t, "Svc-Pass-2026!",
			"alice@contoso.com", "--service-user", `CONTOSO\svc-sync`, "--password-stdin",
			"--resolve", resolve, "--ca-file", ca)
		if code != 0 {
			t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
		}
		for _, want := range []string{
			"METHOD", "OUTCOME", "https://contoso.com/autodiscover/autodiscover.xml",
			"EWS URL: " + ews, "found by pox (attempt 1)",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
	})

	t.Run("without the CA", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := discoverCmd{resolver: nxResolver{}}.runForTest(t, "Svc-Pass-2026!\n", append(everyHost(port),
			"--service-user", "svc-sync@contoso.com", "--password-stdin", "--auth", "basic",
			"--timeout", "5s", "--json", "alice@contoso.com")...)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
		}
		got := decodeDiscover(t, stdout)
		if got.Verified || got.Attempts[0].Outcome != "tls_error" || !strings.Contains(got.Error, "no EWS URL found") {
			t.Errorf("JSON %+v, want a tls_error first and no verified URL", got)
		}
		code, stdout, _ = discoverCmd{resolver: nxResolver{}}.runForTest(t, "Svc-Pass-2026!\n", append(everyHost(port),
			"--service-user", "svc-sync@contoso.com", "--password-stdin", "alice@contoso.com")...)
		if code != 1 || !strings.Contains(stdout, "tls_error") || !strings.Contains(stdout, "pass it with --ca-file") {
			t.Errorf("table: exit %d, want 1, the tls_error and the --ca-file hint:\n%s", code, stdout)
		}
	})
}

// everyHost maps every name the wand contacts for contoso.com to the simulator's port
// (port 80 too: a plain HTTP request to a TLS port gets a 400). With a resolver that
// answers NXDOMAIN, no test traffic leaves the machine.
func everyHost(port string) []string {
	return []string{
		"--resolve", "contoso.com:443:127.0.0.1:" + port,
		"--resolve", "autodiscover.contoso.com:443:127.0.0.1:" + port,
		"--resolve", "autodiscover.contoso.com:80:127.0.0.1:" + port,
	}
}

// TestDiscoverCLINotFound: only a suggestion is exit status 1, with the suggestion
// labeled; a wrong password is reported as such.
func TestDiscoverCLINotFound(t *testing.T) {
	t.Parallel()
	port, ca := discoverSim(t, exchangesim.AutodiscoverOptions{ExternalEWSURL: "https://mail.contoso.com/EWS/Exchange.asmx"})
	resolve := everyHost(port)
	cmd := discoverCmd{resolver: nxResolver{}}

	t.Run("wrong password, table", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := cmd.runForTest(t, "wrong-password\n", append(resolve,
			"--service-user", "svc-sync@contoso.com", "--password-stdin", "--auth", "ntlm", "--ca-file", ca, "alice@contoso.com")...)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
		}
		for _, want := range []string{"unauthorized", "no_redirect", "Suggestion (unverified", "https://mail.contoso.com/EWS/Exchange.asmx",
			"4 attempt(s) answered HTTP 401"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "password may be wrong") {
			t.Errorf("stderr does not say the password may be wrong:\n%s", stderr)
		}
		if strings.Contains(stdout+stderr, "wrong-password") {
			t.Error("the password is in the output")
		}
	})
	t.Run("wrong password, json", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := cmd.runForTest(t, "wrong-password\n", append(resolve,
			"--service-user", "svc-sync@contoso.com", "--password-stdin", "--auth", "basic", "--ca-file", ca, "--json", "alice@contoso.com")...)
		if code != 1 {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
		}
		got := decodeDiscover(t, stdout)
		var outcomes []string
		for _, a := range got.Attempts {
			outcomes = append(outcomes, a.Method+":"+a.Outcome)
		}
		want := "pox:unauthorized pox:unauthorized http_redirect:no_redirect srv:not_found soap:unauthorized soap:unauthorized " +
			"standard_url:suggestion standard_url:suggestion standard_url:suggestion"
		if strings.Join(outcomes, " ") != want {
			t.Errorf("outcomes %s\nwant     %s", strings.Join(outcomes, " "), want)
		}
		if got.Verified || got.EWSURL != "https://mail.contoso.com/EWS/Exchange.asmx" || got.Method != "standard_url" ||
			len(got.Suggestions) != 3 || !strings.Contains(got.Error, "password may be wrong") {
			t.Errorf("JSON %+v, want the unverified suggestion and the credentials blamed", got)
		}
	})
}

// TestDiscoverCLIRedirectLimit goes through cli.Run (system resolver) but stops after
// the redirect limit, before any step that would leave the machine.
func TestDiscoverCLIRedirectLimit(t *testing.T) {
	t.Parallel()
	var chain []autodiscoverserver.Redirect
	for i := range 12 {
		chain = append(chain, autodiscoverserver.Redirect{Match: fmt.Sprintf("u%d@contoso.com", i), Address: fmt.Sprintf("u%d@contoso.com", i+1)})
	}
	port, ca := discoverSim(t, exchangesim.AutodiscoverOptions{Redirects: chain})
	code, stdout, stderr := runDiscoverCLI(t, "Svc-Pass-2026!\n",
		"--service-user", "svc-sync@contoso.com", "--password-stdin", "--auth", "basic",
		"--resolve", "contoso.com:443:127.0.0.1:"+port, "--ca-file", ca, "--json", "u0@contoso.com")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	got := decodeDiscover(t, stdout)
	if got.Verified || !strings.Contains(got.Error, "too many redirects") || len(got.Attempts) != 11+3 {
		t.Errorf("JSON %+v, want 10 redirects, one refused, 3 suggestions and a too-many-redirects error", got)
	}
	for _, a := range got.Attempts[:11] {
		if a.DurationMS <= 0 || a.RedirectTo == "" {
			t.Errorf("attempt %+v: want a duration and a redirect", a)
		}
	}
}

func TestDiscoverCLIPasswordEnv(t *testing.T) {
	// t.Setenv: not parallel.
	port, ca := discoverSim(t, exchangesim.AutodiscoverOptions{})
	t.Setenv("MAILBRIDGE_TEST_DISCOVER_PW", "Svc-Pass-2026!")
	code, stdout, stderr := runDiscoverCLI(t, "",
		"--service-user", "svc-sync@contoso.com", "--password-env", "MAILBRIDGE_TEST_DISCOVER_PW",
		"--resolve", "contoso.com:443:127.0.0.1:"+port, "--ca-file", ca, "--json", "alice@contoso.com")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if got := decodeDiscover(t, stdout); !got.Verified || !strings.HasSuffix(got.EWSURL, "/EWS/Exchange.asmx") {
		t.Errorf("JSON %+v, want a verified EWS URL", got)
	}
}

func TestDiscoverCLIUsage(t *testing.T) {
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(ca, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--service-user", "svc-sync@contoso.com", "--password-stdin"}
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
	}{
		{"no email", "pw\n", base, "an EMAIL is required"},
		{"two emails", "pw\n", append(base, "a@contoso.com", "b@contoso.com"), "one EMAIL only"},
		{"password flag", "", []string{"--password", "x", "a@contoso.com"}, "flag provided but not defined: -password"},
		{"no user", "pw\n", []string{"--password-stdin", "a@contoso.com"}, "--service-user is required"},
		{"no password source", "", []string{"--service-user", "svc", "a@contoso.com"}, "never on the command line"},
		{"both password sources", "pw\n", append(base, "--password-env", "X", "a@contoso.com"), "exclusive"},
		{"empty stdin", "", append(base, "a@contoso.com"), "no password on stdin"},
		{"unset env", "", []string{"--service-user", "svc", "--password-env", "MAILBRIDGE_TEST_UNSET_VARIABLE", "a@contoso.com"}, "is not set"},
		{"bad auth", "pw\n", append(base, "--auth", "kerberos", "a@contoso.com"), "want ntlm or basic"},
		{"bad resolve", "pw\n", append(base, "--resolve", "contoso.com:443", "a@contoso.com"), "--resolve: hostoverride"},
		{"missing CA file", "pw\n", append(base, "--ca-file", filepath.Join(t.TempDir(), "none.pem"), "a@contoso.com"), "--ca-file"},
		{"CA file without PEM", "pw\n", append(base, "--ca-file", ca, "a@contoso.com"), "no PEM certificate"},
		{"bad timeout", "pw\n", append(base, "--timeout", "0s", "a@contoso.com"), "--timeout must be positive"},
		{"not an address", "pw\n", append(base, "alice"), "not an email address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runDiscoverCLI(t, tc.stdin, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.wantErr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing on a usage error", stdout)
			}
		})
	}
	if code, _, stderr := runDiscoverCLI(t, "", "-h"); code != 0 || !strings.Contains(stderr, "--password-stdin") {
		t.Errorf("-h: exit %d, stderr %q; want 0 and the flags", code, stderr)
	}
}

// nxResolver answers every SRV lookup with NXDOMAIN.
type nxResolver struct{}

func (nxResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", Name: "_" + service + "._" + proto + "." + name, IsNotFound: true}
}

func (c discoverCmd) runForTest(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = c.run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}
