package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/cli"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// TestDiscoverTenantCLI: `mailbridge discover --tenant DOMAIN` prints the tenant ID from
// the simulator's OpenID configuration, reached by its URL or as
// login.microsoftonline.com through --resolve; an unknown domain is exit status 1 with
// the reason; bad flags are usage errors.
func TestDiscoverTenantCLI(t *testing.T) {
	srv, port := appSim(t)
	ca := srv.Info().CACert
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"discover"}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	at := []string{"--entra-authority", srv.AuthorityURL(), "--ca-file", ca}

	code, stdout, stderr := run(append([]string{"--tenant", "contoso.com"}, at...)...)
	if code != 0 || !strings.HasPrefix(stdout, "Tenant ID: "+exchangesim.ContosoTenantID+"\n") || !strings.Contains(stdout, "the tenant of contoso.com") {
		t.Errorf("exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	code, stdout, stderr = run("--tenant", "Contoso.onmicrosoft.com", "--json", "--resolve", "login.microsoftonline.com:443:127.0.0.1:"+port, "--ca-file", ca)
	var got struct {
		Tenant        string `json:"tenant"`
		TenantID      string `json:"tenant_id"`
		TokenEndpoint string `json:"token_endpoint"`
		Error         string `json:"error"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 {
		t.Fatalf("--json: exit %d, %v; stdout:\n%s\nstderr:\n%s", code, err, stdout, stderr)
	}
	if got.Tenant != "contoso.onmicrosoft.com" || got.TenantID != exchangesim.ContosoTenantID || got.Error != "" ||
		!strings.HasPrefix(got.TokenEndpoint, "https://login.microsoftonline.com/"+exchangesim.ContosoTenantID+"/") {
		t.Errorf("--json through Microsoft's host name: %+v", got)
	}

	code, stdout, stderr = run(append([]string{"--tenant", "fabrikam.example"}, at...)...)
	if code != 1 || stdout != "" || !strings.Contains(stderr, `No Microsoft 365 tenant has the domain "fabrikam.example"`) {
		t.Errorf("unknown domain: exit %d, want 1; stdout %q stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = run(append([]string{"--tenant", "fabrikam.example", "--json"}, at...)...)
	got.TenantID, got.Error = "", ""
	if json.Unmarshal([]byte(stdout), &got) != nil || code != 1 || got.TenantID != "" || got.Error == "" {
		t.Errorf("unknown domain, --json: exit %d, %s", code, stdout)
	}

	code, _, stderr = run("--tenant", "contoso.com", "--entra-authority", "https://127.0.0.1:1", "--ca-file", ca)
	if code != 1 || !strings.Contains(stderr, "contoso.com") {
		t.Errorf("unreachable: exit %d, stderr %q", code, stderr)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an EMAIL too", append([]string{"--tenant", "contoso.com", "alice@contoso.com"}, at...), "--tenant takes no EMAIL"},
		{"a service account", append([]string{"--tenant", "contoso.com", "--service-user", "svc"}, at...), "--service-user does not apply"},
		{"bad domain", []string{"--tenant", "contoso com"}, "--tenant"},
		{"plain HTTP", []string{"--tenant", "contoso.com", "--entra-authority", "http://login.microsoftonline.com"}, "not an https URL"},
		{"authority without tenant", []string{"--entra-authority", srv.AuthorityURL(), "--service-user", "svc", "--password-env", "X", "alice@contoso.com"}, "applies to --tenant only"},
		{"no EMAIL, no tenant", []string{"--service-user", "svc"}, "an EMAIL is required"},
		{"bad resolve", []string{"--tenant", "contoso.com", "--resolve", "nonsense"}, "--resolve"},
	} {
		t.Run("usage/"+tc.name, func(t *testing.T) {
			code, stdout, stderr := run(tc.args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 2 with %q on stderr only; stdout %q stderr %q", code, tc.want, stdout, stderr)
			}
		})
	}
}
