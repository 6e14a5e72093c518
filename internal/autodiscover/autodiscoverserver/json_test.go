package autodiscoverserver

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

func TestJSON(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	cases := []struct {
		name     string
		path     string
		protocol string
		url      string
	}{
		{"v1.0 form", "/autodiscover/autodiscover.json/v1.0/alice@example.com?Protocol=EWS", "EWS", externalEWS},
		{"Email form", "/autodiscover/autodiscover.json?Email=alice%40example.com&Protocol=EWS&RedirectCount=1", "EWS", externalEWS},
		{"lower-case protocol", "/autodiscover/autodiscover.json/v1.0/alice@example.com?Protocol=ews", "EWS", externalEWS},
		{"AutodiscoverV1", autodiscover.JSONRequestPath("alice@example.com", "AutodiscoverV1"), "AutodiscoverV1", srv.URL + "/autodiscover/autodiscover.xml"},
		{"ActiveSync", autodiscover.JSONRequestPath("alice@example.com", "ActiveSync"), "ActiveSync", "https://mail.example.com/Microsoft-Server-ActiveSync"},
		{"per-user URL", autodiscover.JSONRequestPath("dave@example.com", "EWS"), "EWS", "https://site2.example.com/EWS/Exchange.asmx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, http.MethodGet, srv.URL+tc.path, "")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("%d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			got, err := autodiscover.DecodeJSONResponse(bytes.NewReader(body))
			if err != nil || got.Protocol != tc.protocol || got.URL != tc.url {
				t.Errorf("got %+v, %v; want %s %s", got, err, tc.protocol, tc.url)
			}
		})
	}

	errs := []struct {
		name   string
		method string
		path   string
		status int
		code   string
	}{
		{"no protocol", http.MethodGet, "/autodiscover/autodiscover.json/v1.0/alice@example.com", http.StatusBadRequest, "MandatoryParameterMissing"},
		{"no email", http.MethodGet, "/autodiscover/autodiscover.json?Protocol=EWS", http.StatusBadRequest, "MandatoryParameterMissing"},
		{"bad protocol", http.MethodGet, autodiscover.JSONRequestPath("alice@example.com", "Smoke"), http.StatusBadRequest, "InvalidProtocol"},
		{"unknown user", http.MethodGet, autodiscover.JSONRequestPath("nobody@example.com", "EWS"), http.StatusNotFound, "UserNotFound"},
		{"busy", http.MethodGet, autodiscover.JSONRequestPath("busy@example.com", "EWS"), http.StatusServiceUnavailable, "ServerBusy"},
		{"broken", http.MethodGet, autodiscover.JSONRequestPath("broken@example.com", "EWS"), http.StatusInternalServerError, "InternalServerError"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, tc.method, srv.URL+tc.path, "")
			_, err := autodiscover.DecodeJSONResponse(bytes.NewReader(body))
			var je *autodiscover.JSONError
			if resp.StatusCode != tc.status || !errors.As(err, &je) || je.ErrorCode != tc.code {
				t.Errorf("got %d %v, want %d %s\n%s", resp.StatusCode, err, tc.status, tc.code, body)
			}
		})
	}

	redirects := []struct {
		name, path, location string
	}{
		{"to an address", autodiscover.JSONRequestPath("bob@example.com", "EWS"), srv.URL + "/autodiscover/autodiscover.json/v1.0/bob@other.example.com?Protocol=EWS"},
		{"to a server", autodiscover.JSONRequestPath("eve@partner.example", "EWS"), "https://autodiscover.partner.example/autodiscover/autodiscover.json/v1.0/eve@partner.example?Protocol=EWS"},
		{"from the backend", autodiscover.JSONRequestPath("carol@example.com", "EWS"), srv.URL + "/autodiscover/autodiscover.json/v1.0/carol@cloud.example.net?Protocol=EWS"},
	}
	for _, tc := range redirects {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, _ := do(t, http.MethodGet, srv.URL+tc.path, "")
			if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != tc.location {
				t.Errorf("got %d %q, want 302 %q", resp.StatusCode, resp.Header.Get("Location"), tc.location)
			}
		})
	}

	t.Run("POST", func(t *testing.T) {
		t.Parallel()
		resp, _ := do(t, http.MethodPost, srv.URL+autodiscover.JSONRequestPath("alice@example.com", "EWS"), "{}")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}
