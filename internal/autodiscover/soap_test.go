package autodiscover

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var testVersion = &ServerVersionInfo{MajorVersion: 15, MinorVersion: 1, MajorBuildNumber: 2507, MinorBuildNumber: 6, Version: "Exchange2013_SP1"}

func TestSOAPRequestGolden(t *testing.T) {
	t.Parallel()
	h := SOAPRequestHeader{RequestedServerVersion: "Exchange2013", To: "https://autodiscover.example.com/autodiscover/autodiscover.svc"}

	t.Run("GetUserSettings", func(t *testing.T) {
		t.Parallel()
		req := &GetUserSettingsRequest{
			Mailboxes:         []string{"alice@example.com", "bob@example.com"},
			RequestedSettings: []string{"AutoDiscoverSMTPAddress", "ExternalEwsUrl", "InternalEwsUrl", "EwsSupportedSchemas"},
		}
		var buf bytes.Buffer
		if err := EncodeGetUserSettingsRequest(&buf, h, req); err != nil {
			t.Fatal(err)
		}
		golden(t, "soap.GetUserSettings.request.golden.xml", buf.Bytes())
		got, err := DecodeSOAPRequest(&buf)
		if err != nil {
			t.Fatal(err)
		}
		wantH := h
		wantH.Action = ActionGetUserSettings
		if got.Header != wantH || got.Operation != OpGetUserSettings || got.OperationNamespace != NSAutodiscover ||
			got.GetDomainSettings != nil || !reflect.DeepEqual(got.GetUserSettings, req) {
			t.Errorf("round trip: %+v %+v", got, got.GetUserSettings)
		}
	})

	t.Run("GetDomainSettings", func(t *testing.T) {
		t.Parallel()
		req := &GetDomainSettingsRequest{
			Domains:           []string{"example.com"},
			RequestedSettings: []string{"ExternalEwsUrl", "ExternalEwsVersion"},
			RequestedVersion:  "Exchange2013",
		}
		var buf bytes.Buffer
		if err := EncodeGetDomainSettingsRequest(&buf, h, req); err != nil {
			t.Fatal(err)
		}
		golden(t, "soap.GetDomainSettings.request.golden.xml", buf.Bytes())
		got, err := DecodeSOAPRequest(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got.Header.Action != ActionGetDomainSettings || got.Operation != OpGetDomainSettings || !reflect.DeepEqual(got.GetDomainSettings, req) {
			t.Errorf("round trip: %+v %+v", got, got.GetDomainSettings)
		}
	})
}

func TestSOAPResponseGolden(t *testing.T) {
	t.Parallel()
	users := []struct {
		name string
		resp *GetUserSettingsResponse
	}{
		{"soap.GetUserSettings.response.golden.xml", &GetUserSettingsResponse{
			ServerVersionInfo: testVersion,
			ErrorCode:         NoError,
			UserResponses: []UserResponse{{
				ErrorCode:    NoError,
				ErrorMessage: "No error.",
				UserSettingErrors: []SettingError{
					{ErrorCode: SettingIsNotAvailable, ErrorMessage: "User setting 'InternalEwsUrl' is not available.", SettingName: "InternalEwsUrl"},
					{ErrorCode: InvalidSetting, ErrorMessage: "The requested setting 'Bogus' is invalid.", SettingName: "Bogus"},
				},
				UserSettings: []Setting{
					{Type: StringSetting, Name: "AutoDiscoverSMTPAddress", Value: "alice@example.com"},
					{Type: StringSetting, Name: "ExternalEwsUrl", Value: "https://mail.example.com/EWS/Exchange.asmx"},
					{Type: StringSetting, Name: "CasVersion", Value: "15.01.2507.006"},
				},
			}},
		}},
		{"soap.GetUserSettings.response.redirect.golden.xml", &GetUserSettingsResponse{
			ServerVersionInfo: testVersion,
			ErrorCode:         NoError,
			UserResponses: []UserResponse{
				{ErrorCode: RedirectAddress, ErrorMessage: "Redirection address.", RedirectTarget: "alice@other.example.com"},
				{ErrorCode: RedirectURL, ErrorMessage: "Redirection URL.", RedirectTarget: "https://autodiscover.other.example.com/autodiscover/autodiscover.svc"},
				{ErrorCode: InvalidUser, ErrorMessage: "Invalid user: 'nobody@example.com'"},
			},
		}},
		{"soap.GetUserSettings.response.invalidrequest.golden.xml", &GetUserSettingsResponse{
			ServerVersionInfo: testVersion,
			ErrorCode:         InvalidRequest,
			ErrorMessage:      "The request is invalid.",
		}},
	}
	for _, tc := range users {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := EncodeGetUserSettingsResponse(&buf, tc.resp); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
			got, err := DecodeGetUserSettingsResponse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.resp) {
				t.Errorf("round trip:\n got  %+v\n want %+v", got, tc.resp)
			}
		})
	}

	t.Run("GetDomainSettings", func(t *testing.T) {
		t.Parallel()
		resp := &GetDomainSettingsResponse{
			ServerVersionInfo: testVersion,
			ErrorCode:         NoError,
			DomainResponses: []DomainResponse{
				{ErrorCode: NoError, ErrorMessage: "No error.", DomainSettings: []Setting{
					{Type: DomainStringSetting, Name: "ExternalEwsUrl", Value: "https://mail.example.com/EWS/Exchange.asmx"},
				}},
				{ErrorCode: InvalidDomain, ErrorMessage: "The domain 'nowhere.example' is invalid."},
			},
		}
		var buf bytes.Buffer
		if err := EncodeGetDomainSettingsResponse(&buf, resp); err != nil {
			t.Fatal(err)
		}
		golden(t, "soap.GetDomainSettings.response.golden.xml", buf.Bytes())
		got, err := DecodeGetDomainSettingsResponse(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, resp) {
			t.Errorf("round trip:\n got  %+v\n want %+v", got, resp)
		}
	})

	t.Run("fault", func(t *testing.T) {
		t.Parallel()
		for _, f := range []*SOAPFault{
			{Code: "ActionNotSupported", CodeNamespace: NSWCFAddressingNone, String: "The message with Action 'x' cannot be processed at the receiver, due to a ContractFilter mismatch at the EndpointDispatcher."},
			{Code: "Client", CodeNamespace: NSSoap, String: "The request is not a well-formed SOAP message."},
		} {
			var buf bytes.Buffer
			if err := EncodeSOAPFault(&buf, f); err != nil {
				t.Fatal(err)
			}
			golden(t, "soap.fault."+f.Code+".golden.xml", buf.Bytes())
			_, err := DecodeGetUserSettingsResponse(&buf)
			var got *SOAPFault
			if !errors.As(err, &got) || *got != *f {
				t.Errorf("decoded fault %v (%+v), want %+v", err, got, f)
			}
		}
	})
}

func TestSOAPMatchesExamples(t *testing.T) {
	t.Parallel()
	t.Run("request", func(t *testing.T) {
		t.Parallel()
		example := readExample(t, "soap.GetUserSettings.request.xml")
		req, err := DecodeSOAPRequest(bytes.NewReader(example))
		if err != nil {
			t.Fatal(err)
		}
		if len(req.GetUserSettings.RequestedSettings) != 7 || req.GetUserSettings.Mailboxes[0] != "alice@example.com" {
			t.Errorf("decoded %+v", req.GetUserSettings)
		}
		var buf bytes.Buffer
		if err := EncodeGetUserSettingsRequest(&buf, req.Header, req.GetUserSettings); err != nil {
			t.Fatal(err)
		}
		diffShapes(t, xmlShape(t, buf.Bytes()), xmlShape(t, example))
	})
	t.Run("response", func(t *testing.T) {
		t.Parallel()
		example := readExample(t, "soap.GetUserSettings.response.xml")
		resp, err := DecodeGetUserSettingsResponse(bytes.NewReader(example))
		if err != nil {
			t.Fatal(err)
		}
		if *resp.ServerVersionInfo != *testVersion {
			t.Errorf("ServerVersionInfo = %+v", resp.ServerVersionInfo)
		}
		if v, ok := resp.UserResponses[0].Setting("CasVersion"); !ok || v != testVersion.CasVersion() {
			t.Errorf("CasVersion = %q, %v; want %q", v, ok, testVersion.CasVersion())
		}
		var buf bytes.Buffer
		if err := EncodeGetUserSettingsResponse(&buf, resp); err != nil {
			t.Fatal(err)
		}
		diffShapes(t, xmlShape(t, buf.Bytes()), xmlShape(t, example))
	})
}

func TestDecodeSOAPRequestForms(t *testing.T) {
	t.Parallel()
	env := func(body string) string {
		return `<S:Envelope xmlns:S="` + NSSoap + `"><S:Body>` + body + `</S:Body></S:Envelope>`
	}
	cases := []struct {
		name      string
		doc       string
		op        string
		mailboxes int
		settings  int
		malformed bool
	}{
		{name: "default namespace, no header", doc: env(`<GetUserSettingsRequestMessage xmlns="` + NSAutodiscover + `"><Request><Users><User><Mailbox>a@example.com</Mailbox></User></Users><RequestedSettings><Setting>UserDN</Setting></RequestedSettings></Request></GetUserSettingsRequestMessage>`),
			op: OpGetUserSettings, mailboxes: 1, settings: 1},
		{name: "no users", doc: env(`<x:GetUserSettingsRequestMessage xmlns:x="` + NSAutodiscover + `"><x:Request/></x:GetUserSettingsRequestMessage>`), op: OpGetUserSettings},
		{name: "unknown operation", doc: env(`<x:GetFederationInformationRequestMessage xmlns:x="` + NSAutodiscover + `"/>`), op: "GetFederationInformationRequestMessage"},
		{name: "operation in a foreign namespace", doc: env(`<GetUserSettingsRequestMessage xmlns="urn:x"/>`), op: "GetUserSettingsRequestMessage"},
		{name: "empty body", doc: env(``), malformed: true},
		{name: "no body", doc: `<S:Envelope xmlns:S="` + NSSoap + `"><S:Header/></S:Envelope>`, malformed: true},
		{name: "SOAP 1.2", doc: `<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body/></S:Envelope>`, malformed: true},
		{name: "not xml", doc: `{"a":1}`, malformed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := DecodeSOAPRequest(strings.NewReader(tc.doc))
			if tc.malformed {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Operation != tc.op {
				t.Errorf("Operation = %q, want %q", req.Operation, tc.op)
			}
			if g := req.GetUserSettings; g != nil && (len(g.Mailboxes) != tc.mailboxes || len(g.RequestedSettings) != tc.settings) {
				t.Errorf("decoded %+v", g)
			}
			if tc.op != OpGetUserSettings && req.GetUserSettings != nil {
				t.Error("GetUserSettings set for another operation")
			}
		})
	}
}

func TestDecodeSOAPResponseErrors(t *testing.T) {
	t.Parallel()
	// The other operation's response is not mistaken for this one.
	var buf bytes.Buffer
	if err := EncodeGetDomainSettingsResponse(&buf, &GetDomainSettingsResponse{ServerVersionInfo: testVersion}); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeGetUserSettingsResponse(&buf); !errors.Is(err, ErrMalformed) {
		t.Errorf("domain response decoded as user response: %v", err)
	}
	empty := `<s:Envelope xmlns:s="` + NSSoap + `"><s:Body/></s:Envelope>`
	if _, err := DecodeGetUserSettingsResponse(strings.NewReader(empty)); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty body: %v", err)
	}
}

func TestServerVersionFormats(t *testing.T) {
	t.Parallel()
	v := ServerVersionInfo{MajorVersion: 15, MinorVersion: 2, MajorBuildNumber: 1118, MinorBuildNumber: 7}
	if got := v.CasVersion(); got != "15.02.1118.007" {
		t.Errorf("CasVersion = %q", got)
	}
	// The layout exchangelib's Build.from_hex_string reads: bits 4-9 major, 10-15 minor,
	// 17-31 build.
	hex := v.POXServerVersion()
	var n uint32
	for _, c := range hex {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= uint32(c - '0')
		default:
			n |= uint32(c-'A') + 10
		}
	}
	if len(hex) != 8 || n>>22&0x3f != 15 || n>>16&0x3f != 2 || n&0x7fff != 1118 {
		t.Errorf("POXServerVersion = %s", hex)
	}
}
