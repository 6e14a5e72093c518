package ews_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:  %s\nwant: %s", name, got, want)
	}
}

func getFolderResponse() *ews.GetFolderResponse {
	return &ews.GetFolderResponse{ResponseMessages: []ews.GetFolderResponseMessage{
		{ResponseMessage: ews.Success(), Folders: &ews.Folders{Folders: []ews.Folder{{
			XMLName:          xml.Name{Local: ews.KindFolder},
			FolderId:         &ews.FolderId{Id: "AAMkAGQ=", ChangeKey: "AQAAABYA"},
			FolderClass:      "IPF.Note",
			DisplayName:      "Inbox & <Archive>",
			TotalCount:       ews.Int(50),
			ChildFolderCount: ews.Int(0),
			UnreadCount:      ews.Int(7),
		}, {
			XMLName:     xml.Name{Local: ews.KindCalendarFolder},
			FolderId:    &ews.FolderId{Id: "AAMkAGR=", ChangeKey: "AgAAABQA"},
			DisplayName: "Calendar",
		}}}},
		{ResponseMessage: ews.Failure(ews.ErrorFolderNotFound, "The specified folder could not be found in the store."), Folders: &ews.Folders{}},
	}}
}

func TestEncodeGolden(t *testing.T) {
	cases := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"GetFolder.request.xml", func(b *bytes.Buffer) error {
			h := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"},
				ExchangeImpersonation: ews.Impersonate("alice@contoso.com")}
			return ews.EncodeRequest(b, h, ews.OpGetFolder, &ews.GetFolderRequest{
				FolderShape: ews.FolderShape{BaseShape: ews.ShapeAllProperties},
				FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{
					ews.DistinguishedFolder("inbox"),
					ews.FolderRef(ews.FolderId{Id: "AAMkAGR=", ChangeKey: "AgAAABQA"}),
				}},
			})
		}},
		{"GetFolder.response.xml", func(b *bytes.Buffer) error {
			return ews.EncodeResponse(b, &ews.Exchange2016, ews.ResponseName(ews.OpGetFolder), getFolderResponse())
		}},
		{"Fault-ErrorImpersonateUserDenied.xml", func(b *bytes.Buffer) error {
			return ews.EncodeFault(b, nil, ews.FaultFor(&ews.ResponseError{Code: ews.ErrorImpersonateUserDenied,
				Message: "The account does not have permission to impersonate the requested user.", Fault: true}))
		}},
		{"Fault-ErrorServerBusy.xml", func(b *bytes.Buffer) error {
			return ews.EncodeFault(b, nil, ews.FaultFor(&ews.ResponseError{Code: ews.ErrorServerBusy,
				Message: "The server cannot service this request right now. Try again later.", Fault: true,
				Values: map[string]string{"BackOffMilliseconds": "30000"}}))
		}},
		{"Fault-ErrorSchemaValidation.xml", func(b *bytes.Buffer) error {
			return ews.EncodeFault(b, nil, ews.FaultFor(&ews.SchemaError{Line: 3, Column: 14, Violation: "unexpected element"}))
		}},
	}
	var paths []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, b.Bytes())
		})
		paths = append(paths, filepath.Join("testdata", c.name))
	}
	ewsschema.ValidateFiles(t, ewsschema.Primary, paths...)
	ewsschema.ValidateFiles(t, ewsschema.Exchange2016, paths...)
}

func TestResponseRoundTrip(t *testing.T) {
	want := getFolderResponse()
	var b bytes.Buffer
	if err := ews.EncodeResponse(&b, &ews.Exchange2016, "GetFolderResponse", want); err != nil {
		t.Fatal(err)
	}
	var got ews.GetFolderResponse
	v, err := ews.DecodeResponse(&b, "GetFolderResponse", &got)
	if err != nil {
		t.Fatal(err)
	}
	if *v != ews.Exchange2016 {
		t.Errorf("ServerVersionInfo = %+v, want %+v", *v, ews.Exchange2016)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got, *want)
	}
	if err := got.ResponseMessages[1].Err(); ews.Code(err) != ews.ErrorFolderNotFound {
		t.Errorf("second message error = %v, want ErrorFolderNotFound", err)
	}
}

func TestFaultRoundTrip(t *testing.T) {
	var b bytes.Buffer
	sent := &ews.ResponseError{Code: ews.ErrorServerBusy, Message: "busy", Fault: true,
		Values: map[string]string{"BackOffMilliseconds": "1500"}}
	if err := ews.EncodeFault(&b, nil, ews.FaultFor(sent)); err != nil {
		t.Fatal(err)
	}
	_, err := ews.DecodeResponse(&b, "GetItemResponse", &struct{}{})
	var re *ews.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want *ews.ResponseError", err)
	}
	if re.Code != ews.ErrorServerBusy || !re.Fault || re.BackOff().Milliseconds() != 1500 {
		t.Errorf("got %+v (back-off %v)", re, re.BackOff())
	}
}

// The shared examples use soap:/m:/t: prefixes declared on the envelope; the same
// request with other prefixes or default namespaces must decode identically.
func TestDecodeRequestAnyPrefix(t *testing.T) {
	docs := map[string]string{
		"conventional": `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/><t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>alice@contoso.com</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header>
<soap:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/><t:FolderId Id="AAA=" ChangeKey="CK"/></m:FolderIds></m:GetFolder></soap:Body></soap:Envelope>`,
		"other prefixes":     `<?xml version='1.0' encoding='utf-8'?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header><x:RequestServerVersion xmlns:x="http://schemas.microsoft.com/exchange/services/2006/types" Version="Exchange2013_SP1"/><types:ExchangeImpersonation xmlns:types="http://schemas.microsoft.com/exchange/services/2006/types"><types:ConnectingSID><types:SmtpAddress>alice@contoso.com</types:SmtpAddress></types:ConnectingSID></types:ExchangeImpersonation></S:Header><S:Body><msg:GetFolder xmlns:msg="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:typ="http://schemas.microsoft.com/exchange/services/2006/types"><msg:FolderShape><typ:BaseShape>IdOnly</typ:BaseShape></msg:FolderShape><msg:FolderIds><typ:DistinguishedFolderId Id="inbox"/><typ:FolderId Id="AAA=" ChangeKey="CK"/></msg:FolderIds></msg:GetFolder></S:Body></S:Envelope>`,
		"default namespaces": `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header><RequestServerVersion xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Version="Exchange2013_SP1"/><ExchangeImpersonation xmlns="http://schemas.microsoft.com/exchange/services/2006/types"><ConnectingSID><SmtpAddress>alice@contoso.com</SmtpAddress></ConnectingSID></ExchangeImpersonation></Header><Body><GetFolder xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><FolderShape><BaseShape xmlns="http://schemas.microsoft.com/exchange/services/2006/types">IdOnly</BaseShape></FolderShape><FolderIds><DistinguishedFolderId xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Id="inbox"/><FolderId xmlns="http://schemas.microsoft.com/exchange/services/2006/types" Id="AAA=" ChangeKey="CK"/></FolderIds></GetFolder></Body></Envelope>`,
	}
	var first *ews.GetFolderRequest
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			h, op, body, err := ews.DecodeRequest(strings.NewReader(doc), func(op string) any {
				if op == ews.OpGetFolder {
					return new(ews.GetFolderRequest)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if op != ews.OpGetFolder || h.RequestServerVersion.Version != "Exchange2013_SP1" ||
				h.ExchangeImpersonation.ConnectingSID.SmtpAddress != "alice@contoso.com" {
				t.Fatalf("op %q header %+v", op, h)
			}
			req := body.(*ews.GetFolderRequest)
			ids := req.FolderIds.Ids
			if req.FolderShape.BaseShape != "IdOnly" || len(ids) != 2 || !ids[0].IsDistinguished() || ids[0].Id != "inbox" ||
				ids[1].IsDistinguished() || ids[1].Id != "AAA=" || ids[1].ChangeKey != "CK" {
				t.Fatalf("decoded %+v", req)
			}
			if first == nil {
				first = req
			} else if !reflect.DeepEqual(first, req) {
				t.Errorf("decoded differently:\n%+v\n%+v", first, req)
			}
		})
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	const env = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>%s</s:Body></s:Envelope>`
	body := func(s string) string { return strings.Replace(env, "%s", s, 1) }
	cases := []struct {
		name, doc string
		check     func(error) bool
	}{
		{"not xml", "hello", isSchema},
		{"empty", "", isSchema},
		{"truncated", body(`<m:GetFolder><m:FolderShape>`)[:120], isSchema},
		{"soap 1.2", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`, isSchema},
		{"operation in types namespace", body(`<t:GetFolder/>`), isSchema},
		{"operation in unknown namespace", body(`<GetFolder xmlns="urn:wrong"/>`), isSchema},
		{"empty body", body(``), func(err error) bool { return ews.Code(err) == ews.ErrorInvalidRequest }},
		{"unknown operation", body(`<m:NoSuchThing/>`), func(err error) bool {
			var u *ews.UnknownOperationError
			return errors.As(err, &u) && u.Operation == "NoSuchThing"
		}},
		{"bad integer", body(`<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:FolderId Id="x"/></m:FolderIds></m:GetFolder>`)[:0] +
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><t:RequestServerVersion xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" Version="Exchange2016"/></s:Header><s:Body><m:GetFolder xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"></m:GetFolder><m:GetFolder xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"/></s:Body></s:Envelope>`, isSchema},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "b">]>` + body(`<m:GetFolder/>`), isSchema},
		{"undeclared prefix", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetFolder/></s:Body></s:Envelope>`, isSchema},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, err := ews.DecodeRequest(strings.NewReader(c.doc), func(op string) any {
				if op == ews.OpGetFolder {
					return new(ews.GetFolderRequest)
				}
				return nil
			})
			if err == nil || !c.check(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
		})
	}
}

func isSchema(err error) bool {
	var s *ews.SchemaError
	return errors.As(err, &s) && s.Line >= 1
}

// Every request example in the shared schema directory decodes, and its operation name
// matches the file name.
func TestDecodeSharedExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ewsschema.Dir(t), "examples", "*.request.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, op, _, err := ews.DecodeRequest(bytes.NewReader(doc), func(string) any { return new(anyBody) })
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		want, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".request.xml"), "-")
		if op != want && op != want+"Request" {
			t.Errorf("%s: operation %q", filepath.Base(f), op)
		}
	}
}

type anyBody struct {
	Inner []byte `xml:",innerxml"`
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetFolder xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"/></s:Body></s:Envelope>`))
	if files, _ := filepath.Glob("testdata/*.xml"); len(files) > 0 {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		_, _, _, err := ews.DecodeRequest(bytes.NewReader(doc), func(op string) any {
			if op == ews.OpGetFolder {
				return new(ews.GetFolderRequest)
			}
			return nil
		})
		if err == nil {
			return
		}
		var s *ews.SchemaError
		var u *ews.UnknownOperationError
		var re *ews.ResponseError
		if !errors.As(err, &s) && !errors.As(err, &u) && !errors.As(err, &re) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}
