package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/cli"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
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
		{"sim", "--auth", ""},
		{"sim", "--auth", " , "},
		{"sim", "--sync-state-ttl", "-1s"},
		{"sim", "--latency", "-5"},
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

// getFolderAs posts a GetFolder of the Inbox as svc-sync@contoso.com impersonating target and
// returns the HTTP answer, or the transport error when there is none.
func getFolderAs(client *http.Client, url, target string) (status int, body []byte, err error) {
	var buf bytes.Buffer
	h := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"}, ExchangeImpersonation: ews.Impersonate(target)}
	if err := ews.EncodeRequest(&buf, h, ews.OpGetFolder, &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}); err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url, &buf)
	if err != nil {
		return 0, nil, err
	}
	req.SetBasicAuth("svc-sync@contoso.com", "Svc-Pass-2026!")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// faultCode returns the code of the SOAP fault in a GetFolder answer ("" for none).
func faultCode(t *testing.T, status int, body []byte) string {
	t.Helper()
	_, err := ews.DecodeResponse(bytes.NewReader(body), ews.ResponseName(ews.OpGetFolder), &ews.GetFolderResponse{})
	var re *ews.ResponseError
	if errors.As(err, &re) && re.Fault && status == http.StatusInternalServerError {
		return re.Code
	}
	if err != nil || status != http.StatusOK {
		t.Fatalf("HTTP %d, %v: %s", status, err, body)
	}
	return ""
}

// The fault-injection flags take effect on the wire, and the admin API reports them.
func TestSimFaultFlags(t *testing.T) {
	info := runSim(t, "--latency", "40", "--jitter", "5", "--error-rate", "GetFolder=1", "--error-code", "ErrorMailboxStoreUnavailable",
		"--mailbox-move-in-progress", "carol@contoso.com, DAVE@contoso.com", "--sync-state-ttl", "10m")
	resp, err := http.Get(info.AdminURL + "/faults")
	if err != nil {
		t.Fatal(err)
	}
	var faults exchangesim.Faults
	err = json.NewDecoder(resp.Body).Decode(&faults)
	resp.Body.Close()
	want := exchangesim.Faults{LatencyMS: 40, JitterMS: 5, ErrorRate: map[string]float64{"GetFolder": 1}, ErrorCode: "ErrorMailboxStoreUnavailable",
		MovingMailboxes: []string{"carol@contoso.com", "dave@contoso.com"}, SyncStateTTLMS: 600000}
	if err != nil || !reflect.DeepEqual(faults, want) {
		t.Fatalf("GET /faults: %+v (%v), want %+v", faults, err, want)
	}

	// A moving mailbox answers ErrorMailboxMoveInProgress before any injected error.
	status, body, err := getFolderAs(http.DefaultClient, info.EWSURL, "dave@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if code := faultCode(t, status, body); code != "ErrorMailboxMoveInProgress" {
		t.Fatalf("moving mailbox: %q", code)
	}
	// Error rate 1 for GetFolder: every GetFolder gets the injected code. The latency
	// comes first; timers never fire early, so the lower bound cannot flake.
	start := time.Now()
	status, body, err = getFolderAs(http.DefaultClient, info.EWSURL, "alice@contoso.com")
	if elapsed := time.Since(start); elapsed < 40*time.Millisecond {
		t.Errorf("answered after %v, before the 40 ms latency", elapsed)
	}
	if err != nil {
		t.Fatal(err)
	}
	if code := faultCode(t, status, body); code != "ErrorMailboxStoreUnavailable" {
		t.Fatalf("error rate 1: %q", code)
	}

	// Drop rate 1: the connection closes without an answer.
	info = runSim(t, "--drop-rate", "1")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if status, _, err := getFolderAs(client, info.EWSURL, "alice@contoso.com"); err == nil {
		t.Fatalf("drop rate 1: HTTP %d, want no answer", status)
	}
}

// --state-dir is created when missing (private to the user) and receives ca.pem.
func TestSimStateDirCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sim", "state")
	info := runSim(t, "--tls", "--state-dir", dir)
	if info.CACert != filepath.Join(dir, "ca.pem") {
		t.Fatalf("ca_cert %q", info.CACert)
	}
	pem, err := os.ReadFile(info.CACert)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", fi.Mode().Perm())
	}
	client, err := clientTrusting(pem)
	if err != nil {
		t.Fatal(err)
	}
	if status, body, err := getFolderAs(client, info.EWSURL, "alice@contoso.com"); err != nil || faultCode(t, status, body) != "" {
		t.Fatalf("HTTP %d, %v: %s", status, err, body)
	}
}
