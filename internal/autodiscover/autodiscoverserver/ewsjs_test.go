package autodiscoverserver

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestEWSJavaScriptAPI runs ews-javascript-api's AutodiscoverService against the
// handler. It needs node and a directory holding node_modules/ews-javascript-api, named
// by EWSJS_DIR (e.g. test/clients/js); without them it is skipped.
func TestEWSJavaScriptAPI(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("EWSJS_DIR")
	if dir == "" {
		t.Skip("EWSJS_DIR is not set")
	}
	modules, err := filepath.Abs(filepath.Join(dir, "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "ews-javascript-api")); err != nil {
		t.Fatalf("EWSJS_DIR has no ews-javascript-api: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("EWSJS_DIR is set but node is missing: %v", err)
	}

	h, err := New(newBackend(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var challenges atomic.Int32
	srv := httptest.NewServer(h.Protect(basicAuth(&challenges)))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "testdata/ewsjs_autodiscover.js", srv.URL)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "NO_PROXY=*", "no_proxy=*")
	stdout, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("ews-javascript-api: %v\n%s\n%s", err, stdout, stderr)
	}
	var got map[string]string
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	want := map[string]string{
		"error_code":       "NoError",
		"external_ews_url": externalEWS,
		"internal_ews_url": internalEWS,
		"display_name":     "Alice Example",
		"setting_errors":   "InternalOABUrl:SettingIsNotAvailable",
		"redirect_target":  "null", // i:nil, read as null
		"server_info":      "15.1.2507.6",
		"unknown":          "InvalidUser",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
