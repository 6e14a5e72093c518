package autodiscoverserver

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// exchangelibSettings are the settings exchangelib's autodiscover asks for.
var exchangelibSettings = []string{"UserDN", "MailboxDN", "UserDisplayName", "AutoDiscoverSMTPAddress", "ExternalEwsUrl", "EwsSupportedSchemas"}

// exchangelibAllSettings is exchangelib's whole setting map: what a client asking for
// everything sends.
var exchangelibAllSettings = []string{
	"UserDisplayName", "UserDN", "UserDeploymentId", "InternalMailboxServer", "InternalRpcClientServer",
	"InternalMailboxServerDN", "InternalEcpUrl", "InternalEcpVoicemailUrl", "InternalEcpEmailSubscriptionsUrl",
	"InternalEcpTextMessagingUrl", "InternalEcpDeliveryReportUrl", "InternalEcpRetentionPolicyTagsUrl",
	"InternalEcpPublishingUrl", "InternalEwsUrl", "InternalOABUrl", "InternalUMUrl", "InternalWebClientUrls",
	"MailboxDN", "PublicFolderServer", "ActiveDirectoryServer", "ExternalMailboxServer",
	"ExternalMailboxServerRequiresSSL", "ExternalMailboxServerAuthenticationMethods", "EcpEmailSubscriptionsUrlFragment",
	"EcpTextMessagingUrlFragment", "EcpDeliveryReportUrlFragment", "EcpRetentionPolicyTagsUrlFragment",
	"EcpPublishingUrlFragment", "ExternalEcpUrl", "ExternalEcpVoicemailUrl", "ExternalEcpEmailSubscriptionsUrl",
	"ExternalEcpTextMessagingUrl", "ExternalEcpDeliveryReportUrl", "ExternalEcpRetentionPolicyTagsUrl",
	"ExternalEcpPublishingUrl", "ExternalEwsUrl", "ExternalOABUrl", "ExternalUMUrl", "ExternalWebClientUrls",
	"CrossOrganizationSharingEnabled", "AlternateMailboxes", "CasVersion", "EwsSupportedSchemas",
	"InternalPop3Connections", "ExternalPop3Connections", "InternalImap4Connections", "ExternalImap4Connections",
	"InternalSmtpConnections", "ExternalSmtpConnections", "InternalServerExclusiveConnect",
	"ExternalServerExclusiveConnect", "ExchangeRpcUrl", "ShowGalAsDefaultView", "AutoDiscoverSMTPAddress",
	"InteropExternalEwsUrl", "ExternalEwsVersion", "InteropExternalEwsVersion", "MobileMailboxPolicyInterop",
	"GroupingInformation", "UserMSOnline", "MapiHttpEnabled",
}

func soapRequest(t *testing.T, mailboxes []string, settings ...string) string {
	t.Helper()
	var buf bytes.Buffer
	h := autodiscover.SOAPRequestHeader{RequestedServerVersion: "Exchange2016", To: "https://autodiscover.example.com/autodiscover/autodiscover.svc"}
	if err := autodiscover.EncodeGetUserSettingsRequest(&buf, h, &autodiscover.GetUserSettingsRequest{Mailboxes: mailboxes, RequestedSettings: settings}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func postSOAP(t *testing.T, srv, body string) (*http.Response, []byte, *autodiscover.GetUserSettingsResponse) {
	t.Helper()
	resp, data := do(t, http.MethodPost, srv+autodiscover.SOAPPath, body)
	if resp.StatusCode != http.StatusOK {
		return resp, data, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	out, err := autodiscover.DecodeGetUserSettingsResponse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return resp, data, out
}

func TestSOAPSettings(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	settings := append(append([]string{}, exchangelibSettings...), "InternalEwsUrl", "CasVersion", "GroupingInformation",
		"externalewsurl" /* a duplicate, in another case */, "NoSuchSetting", "InternalOABUrl")
	_, body, out := postSOAP(t, srv.URL, soapRequest(t, []string{"alice@example.com"}, settings...))
	if out == nil {
		t.Fatalf("no response\n%s", body)
	}
	golden(t, "soap.GetUserSettings.golden.xml", body)
	if out.ErrorCode != autodiscover.NoError || len(out.UserResponses) != 1 {
		t.Fatalf("response %+v", out)
	}
	if v := out.ServerVersionInfo; v == nil || v.MajorVersion != 15 || v.MinorVersion != 1 || v.Version != "Exchange2013_SP1" {
		t.Errorf("ServerVersionInfo = %+v", v)
	}
	u := out.UserResponses[0]
	if u.ErrorCode != autodiscover.NoError {
		t.Fatalf("user response %+v", u)
	}
	want := map[string]string{
		"ExternalEwsUrl":          externalEWS,
		"InternalEwsUrl":          internalEWS,
		"AutoDiscoverSMTPAddress": "alice@example.com",
		"UserDisplayName":         "Alice Example",
		"CasVersion":              "15.01.2507.006",
		"GroupingInformation":     "Default-First-Site-Name",
		"EwsSupportedSchemas":     "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016",
	}
	for name, value := range want {
		if got, ok := u.Setting(name); !ok || got != value {
			t.Errorf("%s = %q, %v; want %q", name, got, ok, value)
		}
	}
	for _, name := range []string{"UserDN", "MailboxDN"} {
		if got, ok := u.Setting(name); !ok || !strings.HasPrefix(got, "/o=First Organization/") {
			t.Errorf("%s = %q, %v", name, got, ok)
		}
	}
	if len(u.UserSettings) != 9 {
		t.Errorf("%d settings, want 9 (each requested name once)", len(u.UserSettings))
	}
	wantErrs := map[string]autodiscover.ErrorCode{"NoSuchSetting": autodiscover.InvalidSetting, "InternalOABUrl": autodiscover.SettingIsNotAvailable}
	if len(u.UserSettingErrors) != len(wantErrs) {
		t.Errorf("setting errors %+v", u.UserSettingErrors)
	}
	for _, e := range u.UserSettingErrors {
		if wantErrs[e.SettingName] != e.ErrorCode || e.ErrorMessage == "" {
			t.Errorf("setting error %+v", e)
		}
	}
}

// TestSOAPEverySetting asks for every setting exchangelib knows: the call succeeds and
// each name comes back once, as a value or as a setting error.
func TestSOAPEverySetting(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	_, body, out := postSOAP(t, srv.URL, soapRequest(t, []string{"alice@example.com"}, exchangelibAllSettings...))
	if out == nil || out.ErrorCode != autodiscover.NoError || out.UserResponses[0].ErrorCode != autodiscover.NoError {
		t.Fatalf("call failed\n%s", body)
	}
	u := out.UserResponses[0]
	seen := map[string]int{}
	for _, s := range u.UserSettings {
		seen[s.Name]++
		if s.Type != autodiscover.StringSetting {
			t.Errorf("%s has type %q", s.Name, s.Type)
		}
	}
	for _, e := range u.UserSettingErrors {
		seen[e.SettingName]++
		if e.ErrorCode != autodiscover.SettingIsNotAvailable {
			t.Errorf("%s: %s (every name here is a real setting)", e.SettingName, e.ErrorCode)
		}
	}
	for _, name := range exchangelibAllSettings {
		if seen[name] != 1 {
			t.Errorf("%s answered %d times", name, seen[name])
		}
	}
}

func TestSOAPUserAnswers(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	mailboxes := []string{"bob@example.com", "x@partner.example", "carol@example.com", "nobody@example.com", "busy@example.com", "broken@example.com", "alice@example.com"}
	_, body, out := postSOAP(t, srv.URL, soapRequest(t, mailboxes, "ExternalEwsUrl"))
	if out == nil || out.ErrorCode != autodiscover.NoError {
		t.Fatalf("call failed\n%s", body)
	}
	golden(t, "soap.GetUserSettings.users.golden.xml", body)
	want := []struct {
		code   autodiscover.ErrorCode
		target string
	}{
		{autodiscover.RedirectAddress, "bob@other.example.com"},
		{autodiscover.RedirectURL, "https://autodiscover.partner.example/autodiscover/autodiscover.svc"},
		{autodiscover.RedirectAddress, "carol@cloud.example.net"},
		{autodiscover.InvalidUser, ""},
		{autodiscover.ServerBusy, ""},
		{autodiscover.InternalServerError, ""},
		{autodiscover.NoError, ""},
	}
	if len(out.UserResponses) != len(want) {
		t.Fatalf("%d user responses for %d users", len(out.UserResponses), len(want))
	}
	for i, w := range want {
		got := out.UserResponses[i]
		if got.ErrorCode != w.code || got.RedirectTarget != w.target || got.ErrorMessage == "" {
			t.Errorf("%s: got %+v, want %s %q", mailboxes[i], got, w.code, w.target)
		}
	}
	if got := out.UserResponses[3].ErrorMessage; got != "Invalid user: 'nobody@example.com'" {
		t.Errorf("InvalidUser message %q", got)
	}
}

func TestSOAPRequestErrors(t *testing.T) {
	t.Parallel()
	opts := testOptions()
	opts.MaxRequestBytes = 4096
	srv, _ := newServer(t, opts)

	t.Run("no settings", func(t *testing.T) {
		t.Parallel()
		_, body, out := postSOAP(t, srv.URL, soapRequest(t, []string{"alice@example.com"}))
		if out == nil || out.ErrorCode != autodiscover.InvalidRequest || len(out.UserResponses) != 0 || out.ServerVersionInfo == nil {
			t.Errorf("got %+v\n%s", out, body)
		}
	})
	t.Run("too many users", func(t *testing.T) {
		t.Parallel()
		users := make([]string, 101)
		for i := range users {
			users[i] = "a@example.com"
		}
		opts := testOptions()
		srv, _ := newServer(t, opts)
		_, body, out := postSOAP(t, srv.URL, soapRequest(t, users, "ExternalEwsUrl"))
		if out == nil || out.ErrorCode != autodiscover.InvalidRequest {
			t.Errorf("got %+v\n%s", out, body)
		}
	})

	faults := []struct {
		name, body, code string
	}{
		{"malformed XML", `<s:Envelope xmlns:s="` + autodiscover.NSSoap + `"><s:Body>`, "Client"},
		{"not XML", `GetUserSettings please`, "Client"},
		{"not SOAP", poxRequest("alice@example.com"), "Client"},
		{"unknown operation", `<s:Envelope xmlns:s="` + autodiscover.NSSoap + `" xmlns:a="` + autodiscover.NSAutodiscover + `" xmlns:wsa="` + autodiscover.NSAddressing + `"><s:Header><wsa:Action>http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetFederationInformation</wsa:Action></s:Header><s:Body><a:GetFederationInformationRequestMessage/></s:Body></s:Envelope>`, "ActionNotSupported"},
	}
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, http.MethodPost, srv.URL+autodiscover.SOAPPath, tc.body)
			if resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("status %d\n%s", resp.StatusCode, body)
			}
			_, err := autodiscover.DecodeGetUserSettingsResponse(bytes.NewReader(body))
			var f *autodiscover.SOAPFault
			if !errors.As(err, &f) || f.Code != tc.code {
				t.Fatalf("got %v\n%s", err, body)
			}
			if tc.code == "ActionNotSupported" && (f.CodeNamespace != autodiscover.NSWCFAddressingNone ||
				!strings.Contains(f.String, "GetFederationInformation") || !strings.Contains(f.String, "ContractFilter mismatch")) {
				// exchangelib looks for "a:ActionNotSupported" and "ContractFilter mismatch".
				t.Errorf("fault %+v", f)
			}
		})
	}
	t.Run("WCF fault golden", func(t *testing.T) {
		t.Parallel()
		_, body := do(t, http.MethodPost, srv.URL+autodiscover.SOAPPath, faults[3].body)
		golden(t, "soap.fault.golden.xml", body)
	})

	t.Run("oversized", func(t *testing.T) {
		t.Parallel()
		many := make([]string, 200)
		for i := range many {
			many[i] = "ExternalEwsUrl"
		}
		resp, _ := do(t, http.MethodPost, srv.URL+autodiscover.SOAPPath, soapRequest(t, []string{"alice@example.com"}, many...))
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		resp, _ := do(t, http.MethodGet, srv.URL+autodiscover.SOAPPath, "")
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("status %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

func TestSOAPGetDomainSettings(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, testOptions())
	var buf bytes.Buffer
	err := autodiscover.EncodeGetDomainSettingsRequest(&buf, autodiscover.SOAPRequestHeader{RequestedServerVersion: "Exchange2013"},
		&autodiscover.GetDomainSettingsRequest{
			Domains:           []string{"example.com", "nowhere.example", "partner.example"},
			RequestedSettings: []string{"ExternalEwsUrl", "ExternalEwsVersion", "InternalEwsUrl"},
		})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, http.MethodPost, srv.URL+autodiscover.SOAPPath, buf.String())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	out, err := autodiscover.DecodeGetDomainSettingsResponse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DomainResponses) != 3 {
		t.Fatalf("%+v", out)
	}
	ok, bad, moved := out.DomainResponses[0], out.DomainResponses[1], out.DomainResponses[2]
	if ok.ErrorCode != autodiscover.NoError || len(ok.DomainSettings) != 2 || ok.DomainSettings[0].Value != externalEWS ||
		ok.DomainSettings[0].Type != autodiscover.DomainStringSetting || ok.DomainSettings[1].Value != "15.01.2507.006" ||
		len(ok.DomainSettingErrors) != 1 || ok.DomainSettingErrors[0].ErrorCode != autodiscover.InvalidSetting {
		t.Errorf("example.com: %+v", ok)
	}
	if bad.ErrorCode != autodiscover.InvalidDomain {
		t.Errorf("nowhere.example: %+v", bad)
	}
	if moved.ErrorCode != autodiscover.RedirectURL || moved.RedirectTarget != "https://autodiscover.partner.example/autodiscover/autodiscover.svc" {
		t.Errorf("partner.example: %+v", moved)
	}
}
