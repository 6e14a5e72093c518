package cli_test

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/exchangesim/simtest"
)

// appSim starts the contoso simulator over TLS, answering as Microsoft 365's hosts too,
// and returns it with its port.
func appSim(t *testing.T) (*exchangesim.Server, string) {
	t.Helper()
	_, srv := simtest.Start(t, exchangesim.Options{}, exchangesim.ListenConfig{TLS: true, MicrosoftHosts: true})
	u, err := url.Parse(srv.Info().BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(u.Host)
	return srv, port
}

// TestCheckCLIApp runs `mailbridge check --access-type microsoft365_app` against the
// simulator's token endpoint and Graph: reached by their URLs, or as
// login.microsoftonline.com and graph.microsoft.com through --resolve. The secret comes
// from the environment and is never printed.
func TestCheckCLIApp(t *testing.T) {
	srv, port := appSim(t)
	ca := srv.Info().CACert
	t.Setenv("MAILBRIDGE_CLIENT_SECRET", exchangesim.ContosoAppSecret)
	t.Setenv("CHECK_APP_WRONG", "not-the-secret")
	t.Setenv("CHECK_APP_NOCONSENT", exchangesim.ContosoNoConsentAppSecret)
	t.Setenv("CHECK_APP_GUID", "0b6f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d")
	dir := t.TempDir()
	certFile := filepath.Join(dir, "app.pem")
	os.WriteFile(certFile, []byte(exchangesim.ContosoAppCertificatePEM), 0o600)
	expiredFile := filepath.Join(dir, "expired.pem")
	os.WriteFile(expiredFile, []byte(exchangesim.ContosoExpiredCertificatePEM), 0o600)
	usersCSV := filepath.Join(dir, "users.csv")
	os.WriteFile(usersCSV, []byte("Name,Email\nAlice,alice@contoso.com\nBob,bob@contoso.com\nCarol,carol@contoso.com\n"), 0o600)

	app := []string{"--access-type", "microsoft365_app", "--client-id", exchangesim.ContosoAppClientID}
	at := []string{"--entra-authority", srv.AuthorityURL(), "--graph-url", srv.GraphURL(), "--ca-file", ca}
	resolve := []string{"--resolve", "login.microsoftonline.com:443:127.0.0.1:" + port, "--resolve", "graph.microsoft.com:443:127.0.0.1:" + port, "--ca-file", ca}
	args := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		args    []string
		exit    int
		codes   map[string]string
		account []string // the app's results, check:code
	}{
		{"users file", args(app, at, []string{"--tenant", "contoso.com", "--json", usersCSV}),
			1, map[string]string{"alice@contoso.com": "ok", "bob@contoso.com": "out_of_scope", "carol@contoso.com": "ok"},
			[]string{"authentication:ok", "permissions:ok"}},
		{"Microsoft's host names", args(app, resolve, []string{"--tenant", "contoso.com", "--json", "--user", "alice@contoso.com"}),
			0, map[string]string{"alice@contoso.com": "ok"}, []string{"authentication:ok", "permissions:ok"}},
		{"tenant ID", args(app, at, []string{"--tenant", exchangesim.ContosoTenantID, "--json", "--user", "carol@contoso.com", "--user", "nobody@contoso.com"}),
			1, map[string]string{"carol@contoso.com": "ok", "nobody@contoso.com": "unknown_user"}, []string{"authentication:ok", "permissions:ok"}},
		{"unknown tenant", args(app, at, []string{"--tenant", "fabrikam.example", "--json", "--user", "alice@contoso.com"}),
			2, map[string]string{}, []string{"authentication:tenant_unknown"}},
		{"certificate", args(app, at, []string{"--tenant", "contoso.com", "--client-certificate", certFile, "--json", "--user", "alice@contoso.com"}),
			0, map[string]string{"alice@contoso.com": "ok"}, []string{"authentication:ok", "permissions:ok"}},
		{"expired certificate", args(app, at, []string{"--tenant", "contoso.com", "--client-certificate", expiredFile, "--json", "--user", "alice@contoso.com"}),
			2, map[string]string{}, []string{"authentication:certificate_refused"}},
		{"wrong secret", args(app, at, []string{"--tenant", "contoso.com", "--client-secret-env", "CHECK_APP_WRONG", "--json", "--user", "alice@contoso.com"}),
			2, map[string]string{}, []string{"authentication:secret_wrong"}},
		{"no admin consent", args([]string{"--access-type", "microsoft365_app", "--client-id", exchangesim.ContosoNoConsentAppClientID,
			"--client-secret-env", "CHECK_APP_NOCONSENT", "--tenant", "contoso.com", "--json", "--user", "alice@contoso.com"}, at),
			2, map[string]string{}, []string{"permissions:consent_missing"}},
		{"unreachable", args(app, []string{"--entra-authority", "https://127.0.0.1:1", "--graph-url", srv.GraphURL(), "--ca-file", ca,
			"--tenant", "contoso.com", "--json", "--user", "alice@contoso.com"}),
			2, map[string]string{}, []string{"endpoint:unreachable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCheck(t, "", tc.args...)
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
			var account []string
			for _, r := range results {
				if r.User == "" {
					account = append(account, r.Check+":"+r.Code)
				}
			}
			if strings.Join(account, ",") != strings.Join(tc.account, ",") {
				t.Errorf("the app's results %v, want %v", account, tc.account)
			}
			if summary.ExitCode != tc.exit || summary.Users != len(tc.codes) {
				t.Errorf("summary %+v", summary)
			}
			for _, r := range results {
				if r.User == "bob@contoso.com" && !strings.Contains(r.Fix, "New-ManagementRoleAssignment -App "+exchangesim.ContosoAppClientID) {
					t.Errorf("bob's fix: %q", r.Fix)
				}
			}
			if strings.Contains(stdout+stderr, exchangesim.ContosoAppSecret) || strings.Contains(stdout+stderr, "not-the-secret") {
				t.Error("a secret is in the output")
			}
		})
	}

	t.Run("table", func(t *testing.T) {
		code, stdout, stderr := runCheck(t, "", args(app, at, []string{"--tenant", "contoso.com", "--users", usersCSV})...)
		if code != 1 {
			t.Errorf("exit %d; stderr:\n%s", code, stderr)
		}
		for _, want := range []string{"App " + exchangesim.ContosoAppClientID + " in tenant contoso.com, through " + srv.GraphURL(),
			"CHECK", "permissions", "USER", "bob@contoso.com", "out_of_scope", "How to fix", "New-ManagementRoleAssignment",
			"Summary: 3 user(s): 2 ok, 0 warning, 1 failure; app: ok;", "Graph request(s)"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, stdout)
			}
		}
		if strings.Contains(stdout, "service account") {
			t.Errorf("the table speaks of a service account:\n%s", stdout)
		}
	})

	t.Run("no users", func(t *testing.T) {
		code, stdout, stderr := runCheck(t, "", args(app, at, []string{"--tenant", "contoso.com", "--json"})...)
		if code != 0 || !strings.Contains(stderr, "checking the app only") {
			t.Errorf("exit %d; stderr:\n%s\n%s", code, stderr, stdout)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no tenant", args(app, at), "--tenant is required"},
		{"bad tenant", args(app, at, []string{"--tenant", "contoso com"}), "--tenant"},
		{"no client ID", args([]string{"--access-type", "microsoft365_app", "--tenant", "contoso.com"}, at), "--client-id is required"},
		{"client ID not a GUID", args([]string{"--access-type", "microsoft365_app", "--tenant", "contoso.com", "--client-id", "mailbridge sync"}, at), "GUID"},
		{"secret not set", args(app, at, []string{"--tenant", "contoso.com", "--client-secret-env", "CHECK_APP_UNSET"}), "$CHECK_APP_UNSET, which is not set"},
		{"secret ID for the secret", args(app, at, []string{"--tenant", "contoso.com", "--client-secret-env", "CHECK_APP_GUID"}), "the secret's ID"},
		{"secret flag", args(app, at, []string{"--tenant", "contoso.com", "--client-secret", "x"}), "not defined"},
		{"plain HTTP authority", args(app, []string{"--tenant", "contoso.com", "--entra-authority", "http://login.microsoftonline.com"}), "not an https URL"},
		{"bad Graph URL", args(app, []string{"--tenant", "contoso.com", "--graph-url", "graph.microsoft.com"}), "--graph-url"},
		{"EWS flag", args(app, at, []string{"--tenant", "contoso.com", "--service-user", "svc-sync@contoso.com"}), "--service-user does not apply"},
		{"single", args(app, at, []string{"--tenant", "contoso.com", "--single", "alice@contoso.com"}), "--single does not apply"},
		{"app flag with EWS", []string{"--ews-url", srv.Info().EWSURL, "--service-user", "svc", "--password-env", "MAILBRIDGE_CLIENT_SECRET", "--tenant", "contoso.com"},
			"--tenant does not apply"},
		{"unknown access type", []string{"--access-type", "graph"}, "--access-type"},
		{"missing users file", args(app, at, []string{"--tenant", "contoso.com", filepath.Join(dir, "none.csv")}), "none.csv"},
	} {
		t.Run("usage/"+tc.name, func(t *testing.T) {
			code, stdout, stderr := runCheck(t, "", tc.args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 2 with %q on stderr only; stdout %q stderr %q", code, tc.want, stdout, stderr)
			}
			if strings.Contains(stderr, exchangesim.ContosoAppSecret) {
				t.Error("the secret is in the output")
			}
		})
	}
}
