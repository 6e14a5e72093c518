package exchangesim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// testClock is a fixed clock, so that dates in responses are stable.
func testClock() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

// simServer is a simulator on a real loopback listener, stopped at the end of the test.
type simServer struct {
	*exchangesim.Server
	Sim *exchangesim.Simulator
}

// startSim starts a simulator (Contoso unless opts.Scenario is set) on 127.0.0.1:0.
func startSim(t testing.TB, opts exchangesim.Options) *simServer {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = testClock
	}
	sim, err := exchangesim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := sim.Start(ctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &simServer{Server: srv, Sim: sim}
}

// ewsCaller sends EWS requests with Basic auth, optionally impersonating.
type ewsCaller struct {
	t           testing.TB
	url         string
	user, pass  string
	impersonate string
	// validate checks every response envelope against the Exchange 2016 schema (not for
	// streaming responses).
	validate bool
	// header holds extra HTTP request headers.
	header http.Header
	// lastHeader is the header of the last response (guarded by mu: parallel subtests
	// may share a caller).
	mu         sync.Mutex
	lastHeader http.Header
}

// responseHeader returns the header of the last response.
func (c *ewsCaller) responseHeader() http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastHeader
}

// as returns a caller authenticating as user with password pass and impersonating
// target ("" for none).
func (s *simServer) as(t testing.TB, user, pass, target string) *ewsCaller {
	return &ewsCaller{t: t, url: s.Info().EWSURL, user: user, pass: pass, impersonate: target, validate: true}
}

// svcAs is svc-sync@contoso.com impersonating target.
func (s *simServer) svcAs(t testing.TB, target string) *ewsCaller {
	return s.as(t, "svc-sync@contoso.com", "Svc-Pass-2026!", target)
}

// raw posts one request and returns the HTTP status and body.
func (c *ewsCaller) raw(op string, req any) (int, []byte) {
	c.t.Helper()
	h := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"}}
	if c.impersonate != "" {
		h.ExchangeImpersonation = ews.Impersonate(c.impersonate)
	}
	var buf bytes.Buffer
	if err := ews.EncodeRequest(&buf, h, op, req); err != nil {
		c.t.Fatal(err)
	}
	return c.post(buf.Bytes())
}

// post sends a prepared request document.
func (c *ewsCaller) post(doc []byte) (int, []byte) {
	c.t.Helper()
	hr, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(doc))
	if err != nil {
		c.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.SetBasicAuth(c.user, c.pass)
	for k, v := range c.header {
		hr.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.lastHeader = resp.Header
	c.mu.Unlock()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// call sends op and decodes the response into resp; a SOAP fault or HTTP error is
// returned as an error (a fault as *ews.ResponseError).
func (c *ewsCaller) call(op string, req, resp any) error {
	c.t.Helper()
	status, body := c.raw(op, req)
	if status != http.StatusOK && status != http.StatusInternalServerError {
		return &httpStatusError{status}
	}
	if c.validate {
		collectForSchema(c.t, op, body)
	}
	_, err := ews.DecodeResponse(bytes.NewReader(body), ews.ResponseName(op), resp)
	if err == nil && status != http.StatusOK {
		return errors.New("HTTP 500 without a fault")
	}
	return err
}

// mustCall is call that fails the test on error.
func (c *ewsCaller) mustCall(op string, req, resp any) {
	c.t.Helper()
	if err := c.call(op, req, resp); err != nil {
		c.t.Fatalf("%s: %v", op, err)
	}
}

// schemaBatch collects one test's response envelopes, validated together against the
// Exchange 2016 schema in a single xmllint run when the test ends (one run per response
// would spend most of the suite's time compiling the schema).
type schemaBatch struct {
	mu    sync.Mutex
	dir   string
	paths []string
}

var schemaBatches sync.Map // testing.TB -> *schemaBatch

func collectForSchema(t testing.TB, op string, body []byte) {
	v, loaded := schemaBatches.LoadOrStore(t, &schemaBatch{})
	b := v.(*schemaBatch)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !loaded {
		b.dir = t.TempDir()
		t.Cleanup(func() {
			schemaBatches.Delete(t)
			b.mu.Lock()
			defer b.mu.Unlock()
			ewsschema.ValidateFiles(t, ewsschema.Exchange2016, b.paths...)
		})
	}
	p := filepath.Join(b.dir, fmt.Sprintf("%04d-%s.xml", len(b.paths), op))
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	b.paths = append(b.paths, p)
}

type httpStatusError struct{ status int }

func (e *httpStatusError) Error() string { return http.StatusText(e.status) }

func TestHarnessGetFolder(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	var resp ews.GetFolderResponse
	s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetFolder, &ews.GetFolderRequest{
		FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		FolderIds:   ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox"), ews.DistinguishedFolder("calendar"), ews.DistinguishedFolder("nosuchfolder")}},
	}, &resp)
	if len(resp.ResponseMessages) != 3 {
		t.Fatalf("%d messages", len(resp.ResponseMessages))
	}
	inbox := resp.ResponseMessages[0].Folders.Folders[0]
	if inbox.DisplayName != "Inbox" || inbox.TotalCount == nil || *inbox.TotalCount < 40 {
		t.Errorf("inbox %+v", inbox)
	}
	if k := resp.ResponseMessages[1].Folders.Folders[0].Kind(); k != ews.KindCalendarFolder {
		t.Errorf("calendar kind %s", k)
	}
	if resp.ResponseMessages[2].Err() == nil {
		t.Errorf("unknown distinguished folder: no error")
	}
}

func TestImpersonationAnswers(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	req := &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}
	cases := []struct {
		name            string
		user, pass, imp string
		wantCode        string
		wantStatus      int
	}{
		{"alice in scope", "svc-sync@contoso.com", "Svc-Pass-2026!", "alice@contoso.com", "", 200},
		{"bob outside the scope", "svc-sync@contoso.com", "Svc-Pass-2026!", "bob@contoso.com", ews.ErrorImpersonateUserDenied, 500},
		{"frank has no mailbox", "svc-sync@contoso.com", "Svc-Pass-2026!", "frank@contoso.com", ews.ErrorNonExistentMailbox, 500},
		{"nobody", "svc-sync@contoso.com", "Svc-Pass-2026!", "nobody@contoso.com", ews.ErrorNonExistentMailbox, 500},
		{"svc-norole", "svc-norole@contoso.com", "Svc-Pass-2026!", "alice@contoso.com", ews.ErrorImpersonateUserDenied, 500},
		{"svc-nombx may impersonate", "svc-nombx@contoso.com", "Svc-Pass-2026!", "alice@contoso.com", "", 200},
		{"wrong password", "svc-sync@contoso.com", "nope", "alice@contoso.com", "", 401},
		{"own mailbox", "bob@contoso.com", "User-Pass-2026!", "", "", 200},
		{"DOMAIN form", `CONTOSO\alice`, "User-Pass-2026!", "", "", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp ews.GetFolderResponse
			err := s.as(t, c.user, c.pass, c.imp).call(ews.OpGetFolder, req, &resp)
			switch {
			case c.wantStatus == 401:
				var he *httpStatusError
				if !errors.As(err, &he) || he.status != 401 {
					t.Fatalf("err %v, want HTTP 401", err)
				}
			case c.wantCode != "":
				var re *ews.ResponseError
				if !errors.As(err, &re) || !re.Fault || re.Code != c.wantCode {
					t.Fatalf("err %v, want fault %s", err, c.wantCode)
				}
			default:
				if err != nil || resp.ResponseMessages[0].Err() != nil {
					t.Fatalf("err %v / %v", err, resp.ResponseMessages)
				}
			}
		})
	}
}
