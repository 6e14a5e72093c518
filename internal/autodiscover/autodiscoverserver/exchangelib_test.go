package autodiscoverserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"
)

const python = "/usr/bin/python3"

// basicAuth is a stand-in for the simulator's authentication middleware: it serves
// requests with alice's Basic credentials and challenges the rest.
func basicAuth(challenges *atomic.Int32) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if user, pass, ok := r.BasicAuth(); ok && user == "alice@example.com" && pass == "secret" {
				next.ServeHTTP(w, r)
				return
			}
			challenges.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="127.0.0.1"`)
			w.WriteHeader(http.StatusUnauthorized)
		})
	}
}

// TestExchangelib runs exchangelib's autodiscover, over SOAP and POX, against the handler
// on a real listener. It is skipped only when exchangelib is not installed.
func TestExchangelib(t *testing.T) {
	t.Parallel()
	if err := exec.Command(python, "-c", "import exchangelib").Run(); err != nil {
		t.Skipf("exchangelib is not installed for %s: %v", python, err)
	}
	opts := testOptions()
	opts.AuthPackage = "Basic" // exchangelib maps "negotiate" to SSPI, which is Windows-only
	opts.Redirects = append(opts.Redirects, Redirect{Match: "old@example.com", Address: "alice@example.com"})
	h, err := New(newBackend(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var challenges atomic.Int32
	srv := httptest.NewServer(h.Protect(basicAuth(&challenges)))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "testdata/exchangelib_autodiscover.py", srv.URL)
	// An isolated temp dir for exchangelib's persistent cache; no proxy for the listener.
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir(), "NO_PROXY=*", "no_proxy=*")
	stdout, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("exchangelib: %v\n%s\n%s", err, stdout, stderr)
	}
	var got map[string]string
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	want := map[string]string{
		"soap_auth_type":    "basic",
		"soap_ews_url":      externalEWS,
		"soap_smtp":         "alice@example.com",
		"soap_unknown":      "ErrorNonExistentMailbox",
		"soap_api_version":  "Exchange2016", // the greatest of EwsSupportedSchemas
		"soap_header_build": "15.1.2507.6",
		"pox_auth_type":     "basic",
		"pox_ews_url":       externalEWS, // EXPR is preferred over EXCH
		"pox_smtp":          "alice@example.com",
		"pox_unknown":       "ErrorNonExistentMailbox",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if challenges.Load() == 0 {
		t.Error("exchangelib never met the 401 challenge: auth detection was not exercised")
	}
}
