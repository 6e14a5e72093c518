package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/cli"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/exchangesim/simtest"
)

const checkSvcPass = exchangesim.DefaultServicePassword

// checkSim starts the contoso simulator in-process for `mailbridge check` tests.
func checkSim(t *testing.T, tls bool) *exchangesim.Server {
	t.Helper()
	_, srv := simtest.Start(t, exchangesim.Options{}, exchangesim.ListenConfig{TLS: tls})
	return srv
}

// checkLine is one line of `mailbridge check --json`: a result or the summary.
type checkLine struct {
	Summary    bool   `json:"summary"`
	User       string `json:"user"`
	Check      string `json:"check"`
	Status     string `json:"status"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	Fix        string `json:"fix"`
	Refined    bool   `json:"refined"`
	Confidence string `json:"confidence"`
	Evidence   *struct {
		DurationMS *int64 `json:"duration_ms"`
	} `json:"evidence"`
	// Summary fields.
	Users    int            `json:"users"`
	OK       int            `json:"ok"`
	Failure  int            `json:"failure"`
	Codes    map[string]int `json:"codes"`
	ExitCode int            `json:"exit_code"`
}

// runCheck runs `mailbridge check args…` with the password in $CHECK_TEST_PASSWORD
// unless stdin is given.
func runCheck(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), append([]string{"check"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// parseLines decodes JSON Lines; the last must be the summary.
func parseLines(t *testing.T, stdout string) (results []checkLine, summary checkLine) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	var lines []checkLine
	var keys []map[string]json.RawMessage
	for sc.Scan() {
		var l checkLine
		var k map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		if err := json.Unmarshal(sc.Bytes(), &k); err != nil {
			t.Fatalf("not a JSON object: %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
		keys = append(keys, k)
	}
	if len(lines) == 0 || !lines[len(lines)-1].Summary {
		t.Fatalf("no summary object at the end:\n%s", stdout)
	}
	for i, l := range lines[:len(lines)-1] {
		if l.Summary || l.Check == "" || l.Status == "" || l.Code == "" || l.Message == "" || l.Evidence == nil || l.Evidence.DurationMS == nil {
			t.Errorf("incomplete result line %+v", l)
		}
		// These keys are always present, empty or not: "fix" too when there is none.
		for _, key := range []string{"check", "status", "code", "message", "fix", "evidence"} {
			if _, ok := keys[i][key]; !ok {
				t.Errorf("result line without %q: %+v", key, l)
			}
		}
	}
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// finalCodes returns each user's last code.
func finalCodes(results []checkLine) map[string]string {
	m := map[string]string{}
	for _, r := range results {
		if r.User != "" {
			m[r.User] = r.Code
		}
	}
	return m
}

func TestCheckCLI(t *testing.T) {
	t.Setenv("CHECK_TEST_PASSWORD", checkSvcPass)
	t.Setenv("CHECK_TEST_WRONG", "not-the-password")
	srv := checkSim(t, false)
	ewsURL := srv.Info().EWSURL
	u, _ := url.Parse(ewsURL)
	_, port, _ := net.SplitHostPort(u.Host)
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users.txt")
	os.WriteFile(usersFile, []byte("# the sales team\nalice@contoso.com\n\ncarol@contoso.com\n  dave@contoso.com  \n"), 0o600)
	exportCsv := filepath.Join(dir, "mailboxes.csv") // Get-Mailbox | Select PrimarySmtpAddress | Export-Csv
	os.WriteFile(exportCsv, []byte("#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\r\n\"PrimarySmtpAddress\"\r\n"+
		"\"alice@contoso.com\"\r\n\"bob@contoso.com\"\r\n\"ALICE@contoso.com\"\r\n"), 0o600)
	headerFile := filepath.Join(dir, "emails.csv")
	os.WriteFile(headerFile, []byte("email\nalice@contoso.com\ncarol@contoso.com\n"), 0o600)
	noAddresses := filepath.Join(dir, "departments.csv")
	os.WriteFile(noAddresses, []byte("Name,Department\nAlice,Sales\n"), 0o600)
	csvFile := filepath.Join(dir, "users.csv")
	os.WriteFile(csvFile, []byte("name,email,department\n# a comment\nAlice,alice@contoso.com,Sales\nBob,bob@contoso.com,Engineering\nBroken,bob-at-contoso,Nowhere\n"), 0o600)

	base := []string{"--ews-url", ewsURL, "--password-env", "CHECK_TEST_PASSWORD", "--json"}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		exit  int
		codes map[string]string
	}{
		{"all ok", append([]string{"--service-user", "svc-sync@contoso.com", "--user", "alice@contoso.com", "--user", "carol@contoso.com"}, base...),
			"", 0, map[string]string{"alice@contoso.com": "ok", "carol@contoso.com": "ok"}},
		{"a user fails", append([]string{"--service-user", "svc-sync@contoso.com", "--user", "alice@contoso.com", "--user", "bob@contoso.com",
			"--user", "frank@contoso.com", "--user", "nobody@contoso.com"}, base...),
			"", 1, map[string]string{"alice@contoso.com": "ok", "bob@contoso.com": "out_of_scope", "frank@contoso.com": "no_mailbox", "nobody@contoso.com": "unknown_user"}},
		{"no role", append([]string{"--service-user", "svc-norole@contoso.com", "--user", "alice@contoso.com", "--user", "bob@contoso.com"}, base...),
			"", 2, map[string]string{"alice@contoso.com": "no_role_likely", "bob@contoso.com": "no_role_likely"}},
		{"no service mailbox", append([]string{"--service-user", "svc-nombx@contoso.com", "--user", "alice@contoso.com"}, base...),
			"", 0, map[string]string{"alice@contoso.com": "ok"}},
		{"wrong password", []string{"--ews-url", ewsURL, "--service-user", "svc-sync@contoso.com", "--password-env", "CHECK_TEST_WRONG", "--json", "--user", "alice@contoso.com"},
			"", 2, map[string]string{}},
		{"password on stdin, basic", []string{"--ews-url", ewsURL, "--service-user", `CONTOSO\svc-sync`, "--password-stdin", "--auth", "basic", "--json", "--user", "alice@contoso.com"},
			checkSvcPass + "\n", 0, map[string]string{"alice@contoso.com": "ok"}},
		{"users file", append([]string{"--service-user", "svc-sync@contoso.com", "--users", usersFile}, base...),
			"", 0, map[string]string{"alice@contoso.com": "ok", "carol@contoso.com": "ok", "dave@contoso.com": "ok"}},
		{"Export-Csv users file", append([]string{"--service-user", "svc-sync@contoso.com", "--users", exportCsv}, base...),
			"", 1, map[string]string{"alice@contoso.com": "ok", "bob@contoso.com": "out_of_scope"}},
		{"one column with a header", append([]string{"--service-user", "svc-sync@contoso.com", "--users", headerFile}, base...),
			"", 0, map[string]string{"alice@contoso.com": "ok", "carol@contoso.com": "ok"}},
		{"CSV users file", append([]string{"--service-user", "svc-sync@contoso.com", "--users", csvFile}, base...),
			"", 1, map[string]string{"alice@contoso.com": "ok", "bob@contoso.com": "out_of_scope", "bob-at-contoso": "invalid_address"}},
		{"resolve", []string{"--ews-url", "http://mail.contoso.com:" + port + "/EWS/Exchange.asmx", "--resolve", "mail.contoso.com:" + port + ":127.0.0.1",
			"--service-user", "svc-sync@contoso.com", "--password-env", "CHECK_TEST_PASSWORD", "--json", "--user", "alice@contoso.com"},
			"", 0, map[string]string{"alice@contoso.com": "ok"}},
		{"unreachable", []string{"--ews-url", "http://127.0.0.1:1/EWS/Exchange.asmx", "--service-user", "svc-sync@contoso.com",
			"--password-env", "CHECK_TEST_PASSWORD", "--json", "--user", "alice@contoso.com"}, "", 2, map[string]string{}},
		{"single ok", append([]string{"--service-user", "svc-sync@contoso.com", "--single", "alice@contoso.com"}, base...),
			"", 0, map[string]string{"alice@contoso.com": "ok"}},
		{"single refused", append([]string{"--service-user", "svc-sync@contoso.com", "--single", "bob@contoso.com"}, base...),
			"", 1, map[string]string{"bob@contoso.com": "impersonation_denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCheck(t, tc.stdin, tc.args...)
			if code != tc.exit {
				t.Errorf("exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, tc.exit, stderr, stdout)
			}
			results, summary := parseLines(t, stdout)
			got := finalCodes(results)
			for u, want := range tc.codes {
				if got[u] != want {
					t.Errorf("%s: %q, want %q", u, got[u], want)
				}
			}
			if len(got) != len(tc.codes) {
				t.Errorf("users reported %v, want %v", got, tc.codes)
			}
			if summary.ExitCode != tc.exit || summary.Users != len(tc.codes) {
				t.Errorf("summary %+v", summary)
			}
			if strings.Contains(stdout+stderr, checkSvcPass) || strings.Contains(stdout+stderr, "not-the-password") {
				t.Error("a password is in the output")
			}
		})
	}

	t.Run("wrong password code", func(t *testing.T) {
		_, stdout, _ := runCheck(t, "", "--ews-url", ewsURL, "--service-user", "svc-sync@contoso.com", "--password-env", "CHECK_TEST_WRONG", "--json")
		results, _ := parseLines(t, stdout)
		if last := results[len(results)-1]; last.Check != "authentication" || last.Code != "auth_failed" {
			t.Errorf("last result %+v, want auth_failed", last)
		}
	})

	t.Run("table", func(t *testing.T) {
		code, stdout, stderr := runCheck(t, "", "--ews-url", ewsURL, "--service-user", "svc-sync@contoso.com", "--password-env", "CHECK_TEST_PASSWORD",
			"--user", "alice@contoso.com", "--user", "bob@contoso.com")
		if code != 1 {
			t.Errorf("exit %d; stderr:\n%s", code, stderr)
		}
		for _, want := range []string{"CHECK", "USER", "bob@contoso.com", "out_of_scope", "How to fix", "Set-ManagementScope", "Summary: 2 user(s): 1 ok"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, stdout)
			}
		}
		if strings.Contains(stderr, "\r") {
			t.Errorf("a progress line was drawn on a non-terminal: %q", stderr)
		}
	})

	t.Run("users file problems", func(t *testing.T) {
		_, _, stderr := runCheck(t, "", append([]string{"--service-user", "svc-sync@contoso.com", "--users", csvFile}, base...)...)
		if !strings.Contains(stderr, "users.csv:5") || !strings.Contains(stderr, "not an email address") {
			t.Errorf("the invalid line is not reported with its number:\n%s", stderr)
		}
		_, _, stderr = runCheck(t, "", append([]string{"--service-user", "svc-sync@contoso.com", "--users", exportCsv}, base...)...)
		if strings.Contains(stderr, "not an email address") {
			t.Errorf("Export-Csv's type line or header taken for users:\n%s", stderr)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no service user", []string{"--ews-url", ewsURL, "--password-env", "CHECK_TEST_PASSWORD"}},
		{"no URL", []string{"--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD"}},
		{"both URL sources", []string{"--ews-url", ewsURL, "--autodiscover", "alice@contoso.com", "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD"}},
		{"no password", []string{"--ews-url", ewsURL, "--service-user", "svc"}},
		{"password flag", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password", "x"}},
		{"two password sources", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD", "--password-stdin"}},
		{"unset variable", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_UNSET"}},
		{"bad auth", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD", "--auth", "kerberos"}},
		{"bad resolve", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD", "--resolve", "nonsense"}},
		{"bad URL", []string{"--ews-url", "ftp://x/EWS", "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD"}},
		{"missing users file", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD", "--users", filepath.Join(dir, "none")}},
		{"users file without addresses", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD", "--users", noAddresses}},
		{"single and users", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD", "--single", "a@b.c", "--user", "d@e.f"}},
		{"zero concurrency", []string{"--ews-url", ewsURL, "--service-user", "svc", "--password-env", "CHECK_TEST_PASSWORD", "--concurrency", "0"}},
	} {
		t.Run("usage/"+tc.name, func(t *testing.T) {
			code, stdout, stderr := runCheck(t, "", tc.args...)
			if code != 2 || stdout != "" || stderr == "" {
				t.Errorf("exit %d, want 2 with a message on stderr only; stdout %q stderr %q", code, stdout, stderr)
			}
		})
	}
}

// TestCheckCLITLS reaches the simulator over TLS as mail.contoso.com through --resolve,
// trusted with --ca-file; without the CA the service account fails with tls_invalid.
// --autodiscover finds the EWS URL the same way.
func TestCheckCLITLS(t *testing.T) {
	t.Setenv("CHECK_TEST_PASSWORD", checkSvcPass)
	srv := checkSim(t, true)
	u, _ := url.Parse(srv.Info().EWSURL)
	_, port, _ := net.SplitHostPort(u.Host)
	common := []string{"--service-user", "svc-sync@contoso.com", "--password-env", "CHECK_TEST_PASSWORD", "--json", "--user", "alice@contoso.com"}
	mailURL := "https://mail.contoso.com/EWS/Exchange.asmx"
	resolve := []string{"--resolve", "mail.contoso.com:443:127.0.0.1:" + port, "--resolve", "contoso.com:443:127.0.0.1:" + port}

	code, stdout, stderr := runCheck(t, "", append(append([]string{"--ews-url", mailURL, "--ca-file", srv.Info().CACert}, resolve...), common...)...)
	if code != 0 {
		t.Errorf("with the CA: exit %d; stderr:\n%s\n%s", code, stderr, stdout)
	}
	results, _ := parseLines(t, stdout)
	if got := finalCodes(results)["alice@contoso.com"]; got != "ok" {
		t.Errorf("alice: %q", got)
	}

	code, stdout, _ = runCheck(t, "", append(append([]string{"--ews-url", mailURL}, resolve...), common...)...)
	results, _ = parseLines(t, stdout)
	if code != 2 || results[len(results)-1].Code != "tls_invalid" {
		t.Errorf("without the CA: exit %d, last %+v; want 2 and tls_invalid", code, results[len(results)-1])
	}

	code, stdout, stderr = runCheck(t, "", append(append([]string{"--autodiscover", "alice@contoso.com", "--ca-file", srv.Info().CACert}, resolve...), common...)...)
	if code != 0 || !strings.Contains(stderr, "Autodiscover found the EWS URL") {
		t.Errorf("--autodiscover: exit %d; stderr:\n%s\n%s", code, stderr, stdout)
	}
}
