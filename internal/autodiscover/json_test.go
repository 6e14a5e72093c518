package autodiscover

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestJSONGolden(t *testing.T) {
	t.Parallel()
	resp := &JSONResponse{Protocol: JSONProtocolEWS, URL: "https://mail.example.com/EWS/Exchange.asmx"}
	var buf bytes.Buffer
	if err := EncodeJSONResponse(&buf, resp); err != nil {
		t.Fatal(err)
	}
	golden(t, "json.response.golden.json", buf.Bytes())
	got, err := DecodeJSONResponse(&buf)
	if err != nil || *got != *resp {
		t.Errorf("round trip: %+v, %v", got, err)
	}

	jerr := &JSONError{ErrorCode: "InvalidProtocol", ErrorMessage: "The given protocol value 'Foo' is invalid."}
	buf.Reset()
	if err := EncodeJSONError(&buf, jerr); err != nil {
		t.Fatal(err)
	}
	golden(t, "json.error.golden.json", buf.Bytes())
	_, err = DecodeJSONResponse(&buf)
	var gotErr *JSONError
	if !errors.As(err, &gotErr) || *gotErr != *jerr {
		t.Errorf("error round trip: %v", err)
	}
}

func TestJSONMatchesExample(t *testing.T) {
	t.Parallel()
	example := string(readExample(t, "v2.json.txt"))
	_, body, ok := strings.Cut(example, "\n\n{")
	if !ok {
		t.Fatal("no JSON body in the example")
	}
	body = "{" + strings.SplitN(body, "\n", 2)[0]
	resp, err := DecodeJSONResponse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodeJSONResponse(&buf, resp); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) != body {
		t.Errorf("encoded %s, example %s", buf.String(), body)
	}
	// The example's request line is the v1.0 form JSONRequestPath builds.
	if !strings.Contains(example, "GET "+JSONRequestPath("alice@example.com", JSONProtocolEWS)+" HTTP/1.1") {
		t.Errorf("JSONRequestPath = %s does not match the example", JSONRequestPath("alice@example.com", JSONProtocolEWS))
	}
}

func TestParseJSONRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url      string
		email    string
		protocol string
		bad      bool
	}{
		{url: "/autodiscover/autodiscover.json/v1.0/alice@example.com?Protocol=EWS", email: "alice@example.com", protocol: "EWS"},
		{url: "/AutoDiscover/AutoDiscover.JSON/V1.0/alice%40example.com?protocol=ews", email: "alice@example.com", protocol: "ews"},
		{url: "/autodiscover/autodiscover.json?Email=alice%40example.com&Protocol=AutodiscoverV1&RedirectCount=1", email: "alice@example.com", protocol: "AutodiscoverV1"},
		{url: "/autodiscover/autodiscover.json/v1.0/bob@example.com", email: "bob@example.com"},
		{url: "/autodiscover/autodiscover.json", email: ""},
		{url: "/autodiscover/autodiscover.json/v1.0/", bad: true},
		{url: "/autodiscover/autodiscover.xml", bad: true},
		{url: "/autodiscover/autodiscover.json/v2.0/a@example.com", bad: true},
	}
	for _, tc := range cases {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		req, err := ParseJSONRequest(u)
		if tc.bad {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: err = %v, want ErrMalformed", tc.url, err)
			}
			continue
		}
		if err != nil || req.Email != tc.email || req.Protocol != tc.protocol {
			t.Errorf("%s: got %+v, %v", tc.url, req, err)
		}
	}
}

func TestDecodeJSONResponseMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `{`, `[]`, `{"Protocol":"EWS"}`, `<html/>`} {
		if _, err := DecodeJSONResponse(strings.NewReader(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", body, err)
		}
	}
}
