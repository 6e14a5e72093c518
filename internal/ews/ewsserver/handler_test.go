package ewsserver_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// testBackend serves GetFolder for the distinguished folder "inbox" only, and lets each
// test choose what Begin answers.
type testBackend struct {
	begin func(c *ewsserver.Call) error
	panic bool
}

func (b *testBackend) ServerVersion() ews.ServerVersionInfo { return ews.Exchange2019 }

func (b *testBackend) Begin(_ context.Context, c *ewsserver.Call) (func(), error) {
	if b.begin != nil {
		if err := b.begin(c); err != nil {
			return nil, err
		}
	}
	c.Mailbox = c.Caller
	return func() {}, nil
}

func (b *testBackend) GetFolder(_ context.Context, c *ewsserver.Call, req *ews.GetFolderRequest) (*ews.GetFolderResponse, error) {
	if b.panic {
		panic("boom")
	}
	resp := &ews.GetFolderResponse{}
	for _, id := range req.FolderIds.Ids {
		if id.IsDistinguished() && id.Id == "inbox" {
			resp.ResponseMessages = append(resp.ResponseMessages, ews.GetFolderResponseMessage{
				ResponseMessage: ews.Success(),
				Folders: &ews.Folders{Folders: []ews.Folder{{XMLName: xml.Name{Local: ews.KindFolder},
					FolderId: &ews.FolderId{Id: "AAA=", ChangeKey: "CK"}, DisplayName: "Inbox of " + c.Mailbox}}},
			})
			continue
		}
		resp.ResponseMessages = append(resp.ResponseMessages, ews.GetFolderResponseMessage{
			ResponseMessage: ews.Failure(ews.ErrorFolderNotFound, "The specified folder could not be found in the store."),
			Folders:         &ews.Folders{},
		})
	}
	return resp, nil
}

func start(t *testing.T, b *testBackend) *httptest.Server {
	t.Helper()
	h := ewsserver.New(b, ewsserver.Options{
		MaxRequestBytes: 64 << 10,
		Identify: func(r *http.Request) (string, bool) {
			u := r.Header.Get("X-Test-User")
			return u, u != ""
		},
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func request(op, header, body string) string {
	return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header>` +
		header + `</soap:Header><soap:Body><m:` + op + `>` + body + `</m:` + op + `></soap:Body></soap:Envelope>`
}

const getInbox = `<m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/><t:DistinguishedFolderId Id="calendar"/></m:FolderIds>`
const version2016 = `<t:RequestServerVersion Version="Exchange2016"/>`

func post(t *testing.T, ts *httptest.Server, user, doc string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/EWS/Exchange.asmx", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestGetFolder(t *testing.T) {
	ts := start(t, &testBackend{})
	resp, body := post(t, ts, "alice@contoso.com", request("GetFolder", version2016, getInbox))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
		t.Fatalf("status %d, content type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var got ews.GetFolderResponse
	v, err := ews.DecodeResponse(bytes.NewReader(body), "GetFolderResponse", &got)
	if err != nil {
		t.Fatal(err)
	}
	if *v != ews.Exchange2019 {
		t.Errorf("ServerVersionInfo %+v", v)
	}
	if len(got.ResponseMessages) != 2 || got.ResponseMessages[0].Folders.Folders[0].DisplayName != "Inbox of alice@contoso.com" ||
		ews.Code(got.ResponseMessages[1].Err()) != ews.ErrorFolderNotFound {
		t.Errorf("response %+v", got)
	}
	ewsschema.Validate(t, ewsschema.Exchange2016, "GetFolder", body)
}

func TestRequestLevelErrors(t *testing.T) {
	cases := []struct {
		name   string
		b      *testBackend
		doc    string
		status int
		code   string
	}{
		{"malformed XML", &testBackend{}, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:GetFolder`, 500, ews.ErrorSchemaValidation},
		{"wrong operation namespace", &testBackend{}, strings.Replace(request("GetFolder", version2016, getInbox), `xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"`, `xmlns:m="urn:other"`, 1), 500, ews.ErrorSchemaValidation},
		{"undeclared operation", &testBackend{}, request("FlyToTheMoon", version2016, ""), 500, ews.ErrorSchemaValidation},
		{"operation not implemented", &testBackend{}, request("MoveItem", version2016, ""), 500, ews.ErrorInvalidRequest},
		{"empty body", &testBackend{}, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body></soap:Body></soap:Envelope>`, 500, ews.ErrorInvalidRequest},
		{"invalid server version", &testBackend{}, request("GetFolder", `<t:RequestServerVersion Version="Exchange2099"/>`, getInbox), 500, ews.ErrorInvalidServerVersion},
		{"two impersonation ids", &testBackend{}, request("GetFolder", version2016+`<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>a@x</t:PrimarySmtpAddress><t:SmtpAddress>b@x</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`, getInbox), 500, ews.ErrorInvalidExchangeImpersonationHeaderData},
		{"empty impersonation", &testBackend{}, request("GetFolder", version2016+`<t:ExchangeImpersonation><t:ConnectingSID/></t:ExchangeImpersonation>`, getInbox), 500, ews.ErrorInvalidExchangeImpersonationHeaderData},
		{"backend denies", &testBackend{begin: func(*ewsserver.Call) error {
			return &ews.ResponseError{Code: ews.ErrorImpersonateUserDenied, Message: "The account does not have permission to impersonate the requested user.", Fault: true}
		}}, request("GetFolder", version2016, getInbox), 500, ews.ErrorImpersonateUserDenied},
		{"backend fails", &testBackend{begin: func(*ewsserver.Call) error { return errors.New("disk on fire") }}, request("GetFolder", version2016, getInbox), 500, ews.ErrorInternalServerError},
		{"operation panics", &testBackend{panic: true}, request("GetFolder", version2016, getInbox), 500, ews.ErrorInternalServerError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := start(t, c.b)
			resp, body := post(t, ts, "alice@contoso.com", c.doc)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			_, err := ews.DecodeResponse(bytes.NewReader(body), "GetFolderResponse", &ews.GetFolderResponse{})
			var re *ews.ResponseError
			if !errors.As(err, &re) || !re.Fault || re.Code != c.code {
				t.Fatalf("error %v, want fault %s", err, c.code)
			}
			if strings.Contains(string(body), "disk on fire") || strings.Contains(string(body), "boom") {
				t.Errorf("internal detail leaked to the client: %s", body)
			}
			ewsschema.Validate(t, ewsschema.Primary, c.name, body)
		})
	}
}

func TestSchemaFaultHasPosition(t *testing.T) {
	ts := start(t, &testBackend{})
	_, body := post(t, ts, "alice@contoso.com", "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n<soap:Body>\n<oops>\n</soap:Body></soap:Envelope>")
	_, err := ews.DecodeResponse(bytes.NewReader(body), "GetFolderResponse", &ews.GetFolderResponse{})
	var re *ews.ResponseError
	if !errors.As(err, &re) || re.Code != ews.ErrorSchemaValidation {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(string(body), "<t:LineNumber>") || !strings.Contains(string(body), "<t:Violation>") {
		t.Errorf("no position in fault: %s", body)
	}
}

// TestUnknownOperations: a Body child Exchange's schema does not declare fails schema
// validation, as on Exchange, with its position; an operation of the schema that this
// server does not implement gets ErrorInvalidRequest naming it.
func TestUnknownOperations(t *testing.T) {
	ts := start(t, &testBackend{})
	cases := []struct {
		op, code string
		want     []string // substrings of the fault
	}{
		{"FlyToTheMoon", ews.ErrorSchemaValidation, []string{
			"<t:Violation>The &#39;http://schemas.microsoft.com/exchange/services/2006/messages:FlyToTheMoon&#39; element is not declared.</t:Violation>",
			"<t:LineNumber>1</t:LineNumber>"}},
		{"GetFolderResponse", ews.ErrorSchemaValidation, []string{"GetFolderResponse&#39; element is not declared."}},
		{"UpdateExtensionUsage", ews.ErrorSchemaValidation, []string{"not declared"}}, // Exchange Online only
		{"MoveItem", ews.ErrorInvalidRequest, []string{"the EWS operation MoveItem is not implemented by this server"}},
		{"GetAttachment", ews.ErrorInvalidRequest, []string{"the EWS operation GetAttachment is not implemented by this server"}},
		{"GetUserOofSettingsRequest", ews.ErrorInvalidRequest, []string{"GetUserOofSettingsRequest is not implemented"}},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			resp, body := post(t, ts, "alice@contoso.com", request(c.op, version2016, ""))
			_, err := ews.DecodeResponse(bytes.NewReader(body), "GetFolderResponse", &ews.GetFolderResponse{})
			var re *ews.ResponseError
			if resp.StatusCode != http.StatusInternalServerError || !errors.As(err, &re) || !re.Fault || re.Code != c.code {
				t.Fatalf("status %d, error %v; want a %s fault", resp.StatusCode, err, c.code)
			}
			for _, w := range c.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("fault lacks %q: %s", w, body)
				}
			}
			ewsschema.Validate(t, ewsschema.Exchange2016, c.op, body)
		})
	}
}

func TestHTTPLevelAnswers(t *testing.T) {
	busy := &testBackend{begin: func(*ewsserver.Call) error {
		return &ewsserver.StatusError{Status: http.StatusServiceUnavailable, RetryAfter: 1500 * time.Millisecond}
	}}
	t.Run("503 with Retry-After", func(t *testing.T) {
		resp, _ := post(t, start(t, busy), "alice@contoso.com", request("GetFolder", version2016, getInbox))
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		resp, _ := post(t, start(t, &testBackend{}), "", request("GetFolder", version2016, getInbox))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(start(t, &testBackend{}).URL + "/EWS/Exchange.asmx")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("huge body", func(t *testing.T) {
		huge := request("GetFolder", version2016, getInbox+strings.Repeat("<!-- padding -->", 10000))
		resp, _ := post(t, start(t, &testBackend{}), "alice@contoso.com", huge)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("huge body without length", func(t *testing.T) {
		ts := start(t, &testBackend{})
		pr, pw := io.Pipe()
		go func() {
			head, _, _ := strings.Cut(request("GetFolder", version2016, getInbox), "<m:FolderIds>")
			pw.Write([]byte(head))
			for i := 0; i < 10000; i++ {
				if _, err := pw.Write([]byte("<!-- padding -->")); err != nil {
					return
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/EWS/Exchange.asmx", pr)
		req.Header.Set("X-Test-User", "alice@contoso.com")
		resp, err := ts.Client().Do(req)
		pr.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("body slower than the read deadline", func(t *testing.T) {
		h := ewsserver.New(&testBackend{}, ewsserver.Options{Identify: func(*http.Request) (string, bool) { return "alice@contoso.com", true }})
		ts := httptest.NewUnstartedServer(h)
		ts.Config.ReadTimeout = 100 * time.Millisecond
		ts.Start()
		defer ts.Close()
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		doc := request("GetFolder", version2016, getInbox)
		fmt.Fprintf(conn, "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(doc), doc[:len(doc)/2])
		// Stall: the handler must give up at the deadline and close the connection
		// without an answer (this test's own deadline only guards against a hang).
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		got, err := io.ReadAll(conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the connection stayed open")
		}
		if len(got) != 0 {
			t.Fatalf("answered %q", got)
		}
	})
	t.Run("dropped connection", func(t *testing.T) {
		drop := &testBackend{begin: func(*ewsserver.Call) error { return ewsserver.ErrDropConnection }}
		ts := start(t, drop)
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/EWS/Exchange.asmx", strings.NewReader(request("GetFolder", version2016, getInbox)))
		req.Header.Set("X-Test-User", "alice@contoso.com")
		resp, err := ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got status %d, want a dropped connection", resp.StatusCode)
		}
	})
}

func TestCallCarriesHeaders(t *testing.T) {
	var seen *ewsserver.Call
	b := &testBackend{begin: func(c *ewsserver.Call) error { seen = c; return nil }}
	ts := start(t, b)
	hdr := version2016 + `<t:ExchangeImpersonation><t:ConnectingSID><t:PrincipalName>alice@contoso.com</t:PrincipalName></t:ConnectingSID></t:ExchangeImpersonation>`
	resp, body := post(t, ts, "svc-sync@contoso.com", request("GetFolder", hdr, getInbox))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if seen.Caller != "svc-sync@contoso.com" || seen.Operation != "GetFolder" || seen.Version != "Exchange2016" ||
		!seen.Impersonating() || seen.Header.ExchangeImpersonation.ConnectingSID.PrincipalName != "alice@contoso.com" {
		t.Errorf("call %+v", seen)
	}
}
