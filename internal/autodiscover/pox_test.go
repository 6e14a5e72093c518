package autodiscover

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"testing/iotest"
)

func settingsResponse() *POXResponse {
	return &POXResponse{
		User: &POXUser{
			DisplayName:             "Alice Example",
			LegacyDN:                "/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice",
			AutoDiscoverSMTPAddress: "alice@example.com",
			DeploymentID:            "00000000-0000-0000-0000-000000000001",
		},
		Account: &POXAccount{
			AccountType:     "email",
			Action:          POXActionSettings,
			MicrosoftOnline: "False",
			Protocols: []POXProtocol{
				{
					Type:          POXProtocolEXCH,
					Server:        "5f0c5b8e-0000-4000-8000-000000000001@example.com",
					ServerDN:      "/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=5f0c5b8e-0000-4000-8000-000000000001@example.com",
					ServerVersion: "73C189CB",
					ASURL:         "https://mail.example.local/EWS/Exchange.asmx",
					EWSURL:        "https://mail.example.local/EWS/Exchange.asmx",
					EMWSURL:       "https://mail.example.local/EWS/Exchange.asmx",
					ECPURL:        "https://mail.example.local/ecp/",
					OOFURL:        "https://mail.example.local/EWS/Exchange.asmx",
				},
				{
					Type:                POXProtocolEXPR,
					Server:              "mail.example.com",
					SSL:                 "On",
					AuthPackage:         "Negotiate",
					ASURL:               "https://mail.example.com/EWS/Exchange.asmx",
					EWSURL:              "https://mail.example.com/EWS/Exchange.asmx",
					OOFURL:              "https://mail.example.com/EWS/Exchange.asmx",
					GroupingInformation: "Default-First-Site-Name",
				},
				{
					Type: POXProtocolWEB,
					Internal: &POXWebAccess{
						OWAURLs:   []POXOWAURL{{AuthenticationMethod: "Basic, Fba", URL: "https://mail.example.local/owa/"}},
						Protocols: []POXProtocol{{Type: POXProtocolEXCH, ASURL: "https://mail.example.local/EWS/Exchange.asmx"}},
					},
					External: &POXWebAccess{
						OWAURLs: []POXOWAURL{{AuthenticationMethod: "Fba", URL: "https://mail.example.com/owa/"}},
					},
				},
			},
		},
	}
}

func TestPOXGolden(t *testing.T) {
	t.Parallel()
	responses := []struct {
		name string
		resp *POXResponse
	}{
		{"pox.response.settings.golden.xml", settingsResponse()},
		{"pox.response.redirectAddr.golden.xml", &POXResponse{Account: &POXAccount{
			Action: POXActionRedirectAddr, RedirectAddr: "alice@other.example.com",
		}}},
		{"pox.response.redirectUrl.golden.xml", &POXResponse{Account: &POXAccount{
			Action: POXActionRedirectURL, RedirectURL: "https://autodiscover.other.example.com/autodiscover/autodiscover.xml",
		}}},
		{"pox.response.error.golden.xml", &POXResponse{Error: &POXError{
			Time: "10:15:04.1234567", ID: "1234567890", Code: POXUserNotFound, Message: "The e-mail address cannot be found.",
		}}},
	}
	for _, tc := range responses {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := EncodePOXResponse(&buf, tc.resp); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
			got, err := DecodePOXResponse(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.resp) {
				t.Errorf("round trip:\n got  %+v\n want %+v", got, tc.resp)
			}
		})
	}

	requests := []struct {
		name string
		req  POXRequest
	}{
		{"pox.request.golden.xml", POXRequest{EMailAddress: "alice@example.com"}},
		{"pox.request.legacydn.golden.xml", POXRequest{LegacyDN: "/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice"}},
	}
	for _, tc := range requests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := EncodePOXRequest(&buf, &tc.req); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
			got, err := DecodePOXRequest(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.req
			want.AcceptableResponseSchema = NSPOXOutlookResponse // filled in by the encoder
			got.XMLName = xml.Name{}
			if *got != want {
				t.Errorf("round trip: got %+v, want %+v", *got, want)
			}
		})
	}
}

// TestPOXMatchesExamples decodes each shared example and encodes it again: the output
// must have the example's elements, namespaces, order, attributes and values.
func TestPOXMatchesExamples(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pox.response.settings.xml", "pox.response.redirectAddr.xml", "pox.response.error.xml"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			example := readExample(t, name)
			resp, err := DecodePOXResponse(bytes.NewReader(example))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := EncodePOXResponse(&buf, resp); err != nil {
				t.Fatal(err)
			}
			diffShapes(t, xmlShape(t, buf.Bytes()), xmlShape(t, example))
		})
	}
	t.Run("pox.request.xml", func(t *testing.T) {
		t.Parallel()
		example := readExample(t, "pox.request.xml")
		req, err := DecodePOXRequest(bytes.NewReader(example))
		if err != nil {
			t.Fatal(err)
		}
		if req.EMailAddress != "alice@example.com" || req.AcceptableResponseSchema != NSPOXOutlookResponse {
			t.Errorf("decoded %+v", req)
		}
		var buf bytes.Buffer
		if err := EncodePOXRequest(&buf, req); err != nil {
			t.Fatal(err)
		}
		diffShapes(t, xmlShape(t, buf.Bytes()), xmlShape(t, example))
	})
}

// readExample reads ews-schema/examples/autodiscover/name, the shared hand-written
// examples.
func readExample(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ewsschema.Dir(t), "examples", "autodiscover", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodePOXRequestForms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		doc       string
		email     string
		legacyDN  string
		malformed bool
	}{
		{
			name:  "prefixed",
			doc:   `<ad:Autodiscover xmlns:ad="` + NSPOXRequest + `"><ad:Request><ad:EMailAddress> bob@example.com </ad:EMailAddress><ad:AcceptableResponseSchema>` + NSPOXOutlookResponse + `</ad:AcceptableResponseSchema></ad:Request></ad:Autodiscover>`,
			email: "bob@example.com",
		},
		{
			name:     "legacy DN, no declaration, comment",
			doc:      `<!-- hi --><Autodiscover xmlns="` + NSPOXRequest + `"><Request><LegacyDN>/o=X/cn=bob</LegacyDN></Request></Autodiscover>`,
			legacyDN: "/o=X/cn=bob",
		},
		{
			name:  "unknown elements are ignored",
			doc:   `<Autodiscover xmlns="` + NSPOXRequest + `"><Request><Extra>1</Extra><EMailAddress>c@example.com</EMailAddress></Request></Autodiscover>`,
			email: "c@example.com",
		},
		{name: "empty body", doc: ``, malformed: true},
		{name: "not xml", doc: `alice@example.com`, malformed: true},
		{name: "truncated", doc: `<Autodiscover xmlns="` + NSPOXRequest + `"><Request><EMailAddress>a@example.com`, malformed: true},
		{name: "wrong root namespace", doc: `<Autodiscover xmlns="` + NSPOXResponse + `"><Request><EMailAddress>a@example.com</EMailAddress></Request></Autodiscover>`, malformed: true},
		{name: "mobilesync schema", doc: `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>a@example.com</EMailAddress></Request></Autodiscover>`, malformed: true},
		{name: "children in another namespace", doc: `<a:Autodiscover xmlns:a="` + NSPOXRequest + `"><Request><EMailAddress>a@example.com</EMailAddress></Request></a:Autodiscover>`, malformed: true},
		{name: "no address", doc: `<Autodiscover xmlns="` + NSPOXRequest + `"><Request><EMailAddress> </EMailAddress></Request></Autodiscover>`, malformed: true},
		{name: "DTD", doc: `<!DOCTYPE x [<!ENTITY e "a@example.com">]><Autodiscover xmlns="` + NSPOXRequest + `"><Request><EMailAddress>&e;</EMailAddress></Request></Autodiscover>`, malformed: true},
		{name: "trailing element", doc: `<Autodiscover xmlns="` + NSPOXRequest + `"><Request><EMailAddress>a@example.com</EMailAddress></Request></Autodiscover><x/>`, malformed: true},
		{name: "mismatched tags", doc: `<Autodiscover xmlns="` + NSPOXRequest + `"><Request><EMailAddress>a@example.com</Request></EMailAddress></Autodiscover>`, malformed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := DecodePOXRequest(strings.NewReader(tc.doc))
			if tc.malformed {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.EMailAddress != tc.email || req.LegacyDN != tc.legacyDN {
				t.Errorf("got %+v", req)
			}
		})
	}
}

func TestDecodeReaderErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := DecodePOXRequest(iotest.ErrReader(boom))
	if !errors.Is(err, boom) || errors.Is(err, ErrMalformed) {
		t.Errorf("reader error: got %v", err)
	}

	// A size limit shows through as *http.MaxBytesError, not as ErrMalformed.
	body := `<Autodiscover xmlns="` + NSPOXRequest + `"><Request><EMailAddress>` + strings.Repeat("a", 100) + `@example.com</EMailAddress></Request></Autodiscover>`
	limited := http.MaxBytesReader(httptest.NewRecorder(), nopCloser{strings.NewReader(body)}, 50)
	_, err = DecodePOXRequest(limited)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) || errors.Is(err, ErrMalformed) {
		t.Errorf("limited reader: got %v", err)
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestDecodePOXResponseForms(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		doc       string
		check     func(*POXResponse) bool
		malformed bool
	}{
		{
			name: "prefixed settings with RedirectURL spelling",
			doc:  `<r:Autodiscover xmlns:r="` + NSPOXResponse + `"><o:Response xmlns:o="` + NSPOXOutlookResponse + `"><o:Account><o:Action>redirectUrl</o:Action><o:RedirectURL>https://x.example.com/autodiscover/autodiscover.xml</o:RedirectURL></o:Account></o:Response></r:Autodiscover>`,
			check: func(r *POXResponse) bool {
				return r.Account.RedirectURL == "https://x.example.com/autodiscover/autodiscover.xml"
			},
		},
		{
			name:  "error inside the 2006a Response",
			doc:   `<Autodiscover xmlns="` + NSPOXResponse + `"><Response xmlns="` + NSPOXOutlookResponse + `"><Error><ErrorCode>603</ErrorCode><Message>x</Message></Error></Response></Autodiscover>`,
			check: func(r *POXResponse) bool { return r.Error != nil && r.Error.Code == 603 && r.Err() != nil },
		},
		{
			name:  "error inside Account",
			doc:   `<Autodiscover xmlns="` + NSPOXResponse + `"><Response xmlns="` + NSPOXOutlookResponse + `"><Account><Error><ErrorCode>501</ErrorCode></Error></Account></Response></Autodiscover>`,
			check: func(r *POXResponse) bool { return r.Error != nil && r.Error.Code == 501 },
		},
		{name: "no Response", doc: `<Autodiscover xmlns="` + NSPOXResponse + `"/>`, malformed: true},
		{name: "Response in a foreign namespace", doc: `<Autodiscover xmlns="` + NSPOXResponse + `"><Response xmlns="urn:x"><Account/></Response></Autodiscover>`, malformed: true},
		{name: "settings without Account", doc: `<Autodiscover xmlns="` + NSPOXResponse + `"><Response xmlns="` + NSPOXOutlookResponse + `"><User/></Response></Autodiscover>`, malformed: true},
		{name: "non-numeric code", doc: `<Autodiscover xmlns="` + NSPOXResponse + `"><Response><Error><ErrorCode>x</ErrorCode></Error></Response></Autodiscover>`, malformed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, err := DecodePOXResponse(strings.NewReader(tc.doc))
			if tc.malformed {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(resp) {
				t.Errorf("unexpected %+v (account %+v)", resp, resp.Account)
			}
		})
	}
}

func TestPOXErrorIsError(t *testing.T) {
	t.Parallel()
	resp := &POXResponse{Error: &POXError{Code: POXUserNotFound, Message: "The e-mail address cannot be found."}}
	var pe *POXError
	if err := resp.Err(); !errors.As(err, &pe) || pe.Code != 500 || !strings.Contains(err.Error(), "500") {
		t.Errorf("Err() = %v", err)
	}
	if (&POXResponse{Account: &POXAccount{}}).Err() != nil {
		t.Error("settings response has an error")
	}
}

func FuzzDecodePOXRequest(f *testing.F) {
	f.Add(readExampleF(f, "pox.request.xml"))
	f.Add([]byte(`<a:Autodiscover xmlns:a="` + NSPOXRequest + `"><a:Request><a:LegacyDN>/o=X</a:LegacyDN></a:Request></a:Autodiscover>`))
	f.Add([]byte(`<Autodiscover xmlns="` + NSPOXRequest + `"><Request><EMailAddress>&#x41;&amp;b@example.com</EMailAddress></Request></Autodiscover>`))
	f.Add([]byte(`<!DOCTYPE x><Autodiscover/>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodePOXRequest(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		// Whatever decodes must survive an encode/decode round trip unchanged.
		var buf bytes.Buffer
		if err := EncodePOXRequest(&buf, req); err != nil {
			t.Fatal(err)
		}
		again, err := DecodePOXRequest(&buf)
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, buf.Bytes())
		}
		want := *req
		if want.AcceptableResponseSchema == "" {
			want.AcceptableResponseSchema = NSPOXOutlookResponse
		}
		want.XMLName, again.XMLName = xml.Name{}, xml.Name{}
		if *again != want {
			t.Fatalf("round trip: got %+v, want %+v", *again, want)
		}
	})
}

func readExampleF(f *testing.F, name string) []byte { return readExample(f, name) }
