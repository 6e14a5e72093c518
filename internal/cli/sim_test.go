package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/cli"
	"github.com/mailbridge/mailbridge/internal/ews"
)

type simInfo struct {
	BaseURL  string `json:"base_url"`
	EWSURL   string `json:"ews_url"`
	AdminURL string `json:"admin_url"`
	CACert   string `json:"ca_cert"`
	Scenario string `json:"scenario"`
	Domain   string `json:"domain"`
}

// runSim runs `mailbridge sim args…` until the test ends and returns the JSON line it
// printed. The exit code is checked when the context is cancelled.
func runSim(t *testing.T, args ...string) simInfo {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		code := cli.Run(ctx, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), pw, &stderr)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no JSON line (%v); stderr:\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("sim exited with %d; stderr:\n%s", code, stderr.String())
		}
	})
	var info simInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("bad JSON line %q: %v", line, err)
	}
	return info
}

func getFolder(t *testing.T, client *http.Client, url, user, pass, target string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	h := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"}, ExchangeImpersonation: ews.Impersonate(target)}
	if err := ews.EncodeRequest(&buf, h, ews.OpGetFolder, &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, &buf)
	req.SetBasicAuth(user, pass)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSimContoso(t *testing.T) {
	info := runSim(t)
	if info.Scenario != "contoso" || info.Domain != "contoso.com" || !strings.HasSuffix(info.EWSURL, "/EWS/Exchange.asmx") ||
		!strings.HasPrefix(info.BaseURL, "http://127.0.0.1:") || info.AdminURL == "" || info.CACert != "" {
		t.Fatalf("info %+v", info)
	}
	if status, body := getFolder(t, http.DefaultClient, info.EWSURL, "svc-sync@contoso.com", "Svc-Pass-2026!", "alice@contoso.com"); status != 200 || !strings.Contains(body, "<t:DisplayName>Inbox</t:DisplayName>") {
		t.Fatalf("status %d: %s", status, body)
	}
}

func TestSimTLSAndGenerated(t *testing.T) {
	info := runSim(t, "--tls", "--users", "1000", "--items", "1000", "--seed", "7", "--state-dir", t.TempDir())
	if !strings.HasPrefix(info.BaseURL, "https://") || info.Domain != "example.com" {
		t.Fatalf("info %+v", info)
	}
	pem, err := os.ReadFile(info.CACert)
	if err != nil {
		t.Fatal(err)
	}
	client, err := clientTrusting(pem)
	if err != nil {
		t.Fatal(err)
	}
	status, body := getFolder(t, client, info.EWSURL, "svc-sync@example.com", "Svc-Pass-2026!", "user00731@example.com")
	if status != 200 || !strings.Contains(body, "<t:TotalCount>800</t:TotalCount>") {
		t.Fatalf("status %d: %s", status, body)
	}
	if _, err := http.Get(info.BaseURL + "/EWS/Exchange.asmx"); err == nil {
		t.Error("a client without the CA trusted the simulator's certificate")
	}
}

func TestSimUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "--auth", "kerberos"},
		{"sim", "--exchange", "2013"},
		{"sim", "--error-rate", "GetItem=2"},
		{"sim", "--users", "5", "--scenario", "x.json"},
		{"sim", "--charge-to", "everyone"},
		{"sim", "--autodiscover", "ldap"},
		{"sim", "--autodiscover-redirect", "contoso.com"},
		{"no-such-command"},
		{},
	} {
		var stderr bytes.Buffer
		if code := cli.Run(context.Background(), args, strings.NewReader(""), io.Discard, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	if code := cli.Run(context.Background(), []string{"sim", "--scenario", "/does/not/exist.json"}, strings.NewReader(""), io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "exist.json") {
		t.Errorf("missing scenario file: exit %d, stderr %q", code, stderr.String())
	}
}
