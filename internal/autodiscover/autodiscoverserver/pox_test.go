package autodiscoverserver

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

func poxRequest(email string) string {
	var buf bytes.Buffer
	if err := autodiscover.EncodePOXRequest(&buf, &autodiscover.POXRequest{EMailAddress: email}); err != nil {
		panic(err)
	}
	return buf.String()
}

func postPOX(t *testing.T, srv string, body string) (*http.Response, []byte, *autodiscover.POXResponse) {
	t.Helper()
	resp, data := do(t, http.MethodPost, srv+autodiscover.POXPath, body)
	if resp.StatusCode != http.StatusOK {
		return resp, data, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	pox, err := autodiscover.DecodePOXResponse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return resp, data, pox
}

func protocol(t *testing.T, r *autodiscover.POXResponse, typ autodiscover.POXProtocolType) autodiscover.POXProtocol {
	t.Helper()
	for _, p := range r.Account.Protocols {
		if p.Type == typ {
			return p
		}
	}
	t.Fatalf("no %s protocol in %+v", typ, r.Account.Protocols)
	return autodiscover.POXProtocol{}
}

func TestPOXSettings(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	resp, body, pox := postPOX(t, srv.URL, poxRequest("Alias@Example.com"))
	if pox == nil || pox.Error != nil {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	golden(t, "pox.settings.golden.xml", body)
	if resp.Header.Get("X-SOAP-Enabled") != "True" {
		t.Error("no X-SOAP-Enabled header on the POX answer")
	}
	u := pox.User
	if u.AutoDiscoverSMTPAddress != "alice@example.com" || u.DisplayName != "Alice Example" ||
		!strings.HasSuffix(u.LegacyDN, "/cn=Recipients/cn=alice") || len(u.DeploymentID) != 36 {
		t.Errorf("User = %+v", u)
	}
	if pox.Account.Action != autodiscover.POXActionSettings || pox.Account.AccountType != "email" {
		t.Errorf("Account = %+v", pox.Account)
	}
	exch := protocol(t, pox, autodiscover.POXProtocolEXCH)
	if exch.EWSURL != internalEWS || exch.ASURL != internalEWS || !strings.HasSuffix(exch.Server, "@example.com") ||
		exch.ServerVersion != "73C189CB" || exch.MdbDN == "" {
		t.Errorf("EXCH = %+v", exch)
	}
	expr := protocol(t, pox, autodiscover.POXProtocolEXPR)
	if expr.EWSURL != externalEWS || expr.Server != "mail.example.com" || expr.SSL != "On" || expr.AuthPackage != "Negotiate" {
		t.Errorf("EXPR = %+v", expr)
	}
	web := protocol(t, pox, autodiscover.POXProtocolWEB)
	if web.External == nil || web.External.OWAURLs[0].URL != "https://mail.example.com/owa/" {
		t.Errorf("WEB = %+v", web)
	}

	// Per-user URLs win over the options'.
	_, _, pox = postPOX(t, srv.URL, poxRequest("dave@example.com"))
	if got := protocol(t, pox, autodiscover.POXProtocolEXPR).EWSURL; got != "https://site2.example.com/EWS/Exchange.asmx" {
		t.Errorf("dave's EXPR EwsUrl = %q", got)
	}
}

func TestPOXInternalOnly(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.ExternalEWSURL = ""
	srv, _ := newServer(t, opts)
	_, _, pox := postPOX(t, srv.URL, poxRequest("alice@example.com"))
	var types []autodiscover.POXProtocolType
	for _, p := range pox.Account.Protocols {
		types = append(types, p.Type)
	}
	if len(types) != 2 || types[0] != autodiscover.POXProtocolEXCH || types[1] != autodiscover.POXProtocolWEB {
		t.Errorf("protocols = %v, want EXCH and WEB", types)
	}
}

func TestPOXAnswers(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	cases := []struct {
		name    string
		body    string
		action  autodiscover.POXAction
		target  string
		errCode int
		errMsg  string
	}{
		{name: "redirectAddr by address", body: poxRequest("BOB@example.com"),
			action: autodiscover.POXActionRedirectAddr, target: "bob@other.example.com"},
		{name: "redirectUrl by domain", body: poxRequest("anyone@Partner.Example"),
			action: autodiscover.POXActionRedirectURL, target: "https://autodiscover.partner.example/autodiscover/autodiscover.xml"},
		{name: "redirectAddr from the backend", body: poxRequest("carol@example.com"),
			action: autodiscover.POXActionRedirectAddr, target: "carol@cloud.example.net"},
		{name: "unknown user", body: poxRequest("nobody@example.com"),
			errCode: 500, errMsg: "The e-mail address cannot be found."},
		{name: "backend failure", body: poxRequest("broken@example.com"), errCode: 603},
		{name: "legacy DN only", body: strings.Replace(poxRequest("x"), "<EMailAddress>x</EMailAddress>", "<LegacyDN>/o=X/cn=alice</LegacyDN>", 1), errCode: 500},
		{name: "malformed XML", body: `<Autodiscover xmlns="` + autodiscover.NSPOXRequest + `"><Request>`, errCode: 600, errMsg: "Invalid Request"},
		{name: "not XML", body: `hello`, errCode: 600, errMsg: "Invalid Request"},
		{name: "empty body", body: ``, errCode: 600},
		{name: "wrong request namespace", body: strings.Replace(poxRequest("alice@example.com"), "outlook/requestschema", "mobilesync/requestschema", 1), errCode: 600},
		{name: "other response schema", body: strings.Replace(poxRequest("alice@example.com"), "outlook/responseschema/2006a", "mobilesync/responseschema/2006", 1), errCode: 601},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body, pox := postPOX(t, srv.URL, tc.body)
			if pox == nil {
				t.Fatalf("status %d\n%s", resp.StatusCode, body)
			}
			if tc.errCode != 0 {
				if pox.Error == nil || pox.Error.Code != tc.errCode || (tc.errMsg != "" && pox.Error.Message != tc.errMsg) {
					t.Fatalf("got %+v, want error %d %q\n%s", pox.Error, tc.errCode, tc.errMsg, body)
				}
				if pox.Error.Time != "10:15:04.1234567" || pox.Error.ID == "" {
					t.Errorf("Time/Id = %q/%q", pox.Error.Time, pox.Error.ID)
				}
				return
			}
			if pox.Error != nil || pox.Account.Action != tc.action || pox.User != nil {
				t.Fatalf("got %+v / %+v\n%s", pox.Error, pox.Account, body)
			}
			if got := pox.Account.RedirectAddr + pox.Account.RedirectURL; got != tc.target {
				t.Errorf("target = %q, want %q", got, tc.target)
			}
		})
	}
}

func TestPOXErrorGolden(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	_, body, _ := postPOX(t, srv.URL, poxRequest("nobody@example.com"))
	golden(t, "pox.error.golden.xml", body)
}

func TestPOXHTTPLevel(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.MaxRequestBytes = 2048
	srv, _ := newServer(t, opts)

	big := strings.Replace(poxRequest("alice@example.com"), "<Request>", "<Request><Pad>"+strings.Repeat("x", 4096)+"</Pad>", 1)
	if resp, body := do(t, http.MethodPost, srv.URL+autodiscover.POXPath, big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d\n%s", resp.StatusCode, body)
	}
	// Just under the limit is fine.
	fits := strings.Replace(poxRequest("alice@example.com"), "<Request>", "<Request><Pad>"+strings.Repeat("x", 1024)+"</Pad>", 1)
	if _, _, pox := postPOX(t, srv.URL, fits); pox == nil || pox.Account == nil {
		t.Error("a body under the limit was refused")
	}
	if resp, _ := do(t, http.MethodPut, srv.URL+autodiscover.POXPath, poxRequest("alice@example.com")); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+autodiscover.POXPath, poxRequest("busy@example.com")); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("busy backend: %d", resp.StatusCode)
	}
}

// TestResolveCancelledContext checks that the handler hands the request's context to
// the Backend.
func TestResolveCancelledContext(t *testing.T) {
	t.Parallel()
	var seen context.Context
	h, err := New(backendFunc(func(ctx context.Context, email string) (User, error) {
		seen = ctx
		return User{}, ctx.Err()
	}), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := h.resolve(ctx, "alice@example.com")
	if seen != ctx || out.err == nil {
		t.Errorf("backend saw %v, outcome %+v", seen, out)
	}
}

type backendFunc func(ctx context.Context, email string) (User, error)

func (f backendFunc) LookupUser(ctx context.Context, email string) (User, error) {
	return f(ctx, email)
}
