package exchangesim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Tests of the EWS endpoint as a whole: its path, the request forms it accepts, the
// operations it does not serve, and clients that misbehave at the HTTP level.

// envelope is a request document with the given SOAP header children and body.
func envelope(header, body string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">` +
		`<soap:Header><t:RequestServerVersion Version="Exchange2016"/>` + header + `</soap:Header>` +
		`<soap:Body>` + body + `</soap:Body></soap:Envelope>`)
}

const getInboxBody = `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>` +
	`<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`

// decodeGetFolder decodes a GetFolder answer; a fault comes back as the error.
func decodeGetFolder(t *testing.T, status int, body []byte) (*ews.GetFolderResponse, error) {
	t.Helper()
	var resp ews.GetFolderResponse
	_, err := ews.DecodeResponse(bytes.NewReader(body), ews.ResponseName(ews.OpGetFolder), &resp)
	if err == nil && status != http.StatusOK {
		t.Fatalf("HTTP %d without a fault: %s", status, body)
	}
	return &resp, err
}

// IIS matches paths case-insensitively; clients use both spellings.
func TestEWSPathIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	base := s.Info().BaseURL
	for _, path := range []string{"/EWS/Exchange.asmx", "/ews/exchange.asmx", "/EWS/EXCHANGE.ASMX"} {
		t.Run(path, func(t *testing.T) {
			c := s.svcAs(t, "alice@contoso.com")
			c.url = base + path
			var resp ews.GetFolderResponse
			c.mustCall(ews.OpGetFolder, inboxOnly, &resp)
			if err := resp.ResponseMessages[0].Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The ExchangeImpersonation header may name the target by SID (the form the EWS Managed
// API sends for ConnectingIdType.SID); the same rules apply as for an SMTP address.
func TestImpersonationBySID(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	sidOf := func(addr string) string {
		u, ok := s.Sim.World().Directory().Lookup(addr)
		if !ok || !strings.HasPrefix(u.SID, "S-1-5-21-") {
			t.Fatalf("%s: SID %q", addr, u.SID)
		}
		return u.SID
	}
	cases := []struct {
		name, sid, code, owner string
	}{
		{"alice", sidOf("alice@contoso.com"), "", "alice@contoso.com"},
		{"alice, lower case", strings.ToLower(sidOf("alice@contoso.com")), "", "alice@contoso.com"},
		{"bob is outside the scope", sidOf("bob@contoso.com"), ews.ErrorImpersonateUserDenied, ""},
		{"frank has no mailbox", sidOf("frank@contoso.com"), ews.ErrorNonExistentMailbox, ""},
		{"no such SID", "S-1-5-21-1-2-3-999999", ews.ErrorNonExistentMailbox, ""},
		{"not a SID", "alice@contoso.com", ews.ErrorInvalidSid, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			caller := s.as(t, "svc-sync@contoso.com", exchangesim.DefaultServicePassword, "")
			status, body := caller.post(envelope(
				`<t:ExchangeImpersonation><t:ConnectingSID><t:SID>`+c.sid+`</t:SID></t:ConnectingSID></t:ExchangeImpersonation>`,
				getInboxBody))
			resp, err := decodeGetFolder(t, status, body)
			if c.code != "" {
				var re *ews.ResponseError
				if status != http.StatusInternalServerError || !errors.As(err, &re) || !re.Fault || re.Code != c.code {
					t.Fatalf("HTTP %d, %v; want a %s fault", status, err, c.code)
				}
				return
			}
			if err != nil || resp.ResponseMessages[0].Err() != nil {
				t.Fatalf("HTTP %d, %v, %+v", status, err, resp.ResponseMessages)
			}
			// The Inbox answered is the target's, as when she is named by address.
			var want ews.GetFolderResponse
			s.svcAs(t, c.owner).mustCall(ews.OpGetFolder, inboxOnly, &want)
			if got, want := resp.ResponseMessages[0].Folders.Folders[0].FolderId.Id, want.ResponseMessages[0].Folders.Folders[0].FolderId.Id; got != want {
				t.Errorf("Inbox %s, want %s's %s", got, c.owner, want)
			}
		})
	}
}

// A Body child that Exchange's schema does not declare fails schema validation, as on
// Exchange; a real EWS operation the simulator does not implement gets ErrorInvalidRequest
// naming it. Neither reaches authorization or throttling.
func TestOperationsNotServed(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	cases := []struct {
		name, body, code, text string
	}{
		{"FlyToTheMoon", `<m:FlyToTheMoon/>`, ews.ErrorSchemaValidation, "FlyToTheMoon&#39; element is not declared."},
		{"MoveItem", `<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="deleteditems"/></m:ToFolderId><m:ItemIds><t:ItemId Id="AAA="/></m:ItemIds></m:MoveItem>`,
			ews.ErrorInvalidRequest, "the EWS operation MoveItem is not implemented by this server"},
		{"GetAttachment", `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="AAA="/></m:AttachmentIds></m:GetAttachment>`,
			ews.ErrorInvalidRequest, "the EWS operation GetAttachment is not implemented by this server"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := s.svcAs(t, "alice@contoso.com").post(envelope("", c.body))
			_, err := decodeGetFolder(t, status, body)
			var re *ews.ResponseError
			if status != http.StatusInternalServerError || !errors.As(err, &re) || !re.Fault || re.Code != c.code ||
				!strings.Contains(string(body), c.text) {
				t.Fatalf("HTTP %d, %v; want a %s fault saying %q: %s", status, err, c.code, c.text, body)
			}
		})
	}
}

// A client that sends its request body too slowly has its connection closed without an
// answer once the body read deadline passes, instead of holding a handler forever.
func TestSlowBodyIsCut(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{BodyReadTimeout: 100 * time.Millisecond})
	u, err := url.Parse(s.Info().EWSURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	doc := envelope("", getInboxBody)
	auth := base64.StdEncoding.EncodeToString([]byte("alice@contoso.com:" + exchangesim.DefaultUserPassword))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
		u.Path, u.Host, auth, len(doc))
	if _, err := conn.Write(doc[:len(doc)/2]); err != nil {
		t.Fatal(err)
	}
	// Stall. The server must close the connection; this test's own deadline only keeps a
	// broken server from hanging the suite.
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open with half a body")
	}
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("answered %q, want the connection closed without an answer", got)
	}
}

// The body read deadline ends with the body: a request whose processing outlasts it (here
// by injected latency, as for a GetStreamingEvents response) is answered in full.
func TestBodyDeadlineDoesNotCutSlowAnswers(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{BodyReadTimeout: 50 * time.Millisecond, Faults: exchangesim.Faults{LatencyMS: 300}})
	var resp ews.GetFolderResponse
	s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetFolder, inboxOnly, &resp)
	if len(resp.ResponseMessages) != 1 || resp.ResponseMessages[0].Err() != nil {
		t.Fatalf("%+v", resp.ResponseMessages)
	}
}

// --state-dir may name a directory that does not exist yet: it is created, private to
// the user, and receives ca.pem.
func TestStateDirIsCreated(t *testing.T) {
	t.Parallel()
	sim, err := exchangesim.New(exchangesim.Options{Clock: testClock})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "state", "sim")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0", TLS: true, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if want := filepath.Join(dir, "ca.pem"); srv.Info().CACert != want {
		t.Fatalf("ca_cert %q, want %q", srv.Info().CACert, want)
	}
	pem, err := os.ReadFile(srv.Info().CACert)
	if err != nil || !bytes.Equal(pem, srv.CAPEM()) {
		t.Fatalf("ca.pem: %v", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("state directory mode %v, want 0700", fi.Mode().Perm())
	}
}
