package checker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

var contosoUsers = []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "frank@contoso.com", "nobody@contoso.com"}

func TestContoso(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, false)
	for _, auth := range []checker.AuthMethod{checker.AuthNTLM, checker.AuthBasic} {
		t.Run(string(auth), func(t *testing.T) {
			t.Parallel()
			col, sum := run(t, config(srv, "svc-sync@contoso.com", svcPass, auth), checker.Options{}, contosoUsers...)
			wantCodes(t, col, map[string]checker.Code{
				"alice@contoso.com":  checker.CodeOK,
				"carol@contoso.com":  checker.CodeOK,
				"bob@contoso.com":    checker.CodeOutOfScope,
				"frank@contoso.com":  checker.CodeNoMailbox,
				"nobody@contoso.com": checker.CodeUnknownUser,
			})
			acct := col.account()
			for check, code := range map[string]checker.Code{
				checker.CheckEndpoint: checker.CodeOK, checker.CheckTLS: checker.CodePlainHTTP,
				checker.CheckAuthentication: checker.CodeOK, checker.CheckEWS: checker.CodeOK,
				checker.CheckServerVersion: checker.CodeOK, checker.CheckServiceMailbox: checker.CodeOK,
				checker.CheckImpersonation: checker.CodeOutOfScope,
			} {
				if acct[check].Code != code {
					t.Errorf("account %s: %q, want %q", check, acct[check].Code, code)
				}
			}
			imp := acct[checker.CheckImpersonation]
			if imp.Status != checker.StatusWarning || imp.Confidence != checker.ConfidenceHigh ||
				!strings.Contains(imp.Fix, "Set-ManagementScope") || !strings.Contains(imp.Fix, "bob@contoso.com") {
				t.Errorf("account impersonation result: %+v", imp)
			}
			if v := acct[checker.CheckServerVersion].Evidence.ServerVersion; !strings.HasPrefix(v, "15.1.") {
				t.Errorf("server version evidence %q", v)
			}
			bob := col.final()["bob@contoso.com"]
			if !bob.Refined || bob.Confidence != checker.ConfidenceHigh || bob.Evidence.ResponseCode != ews.ErrorImpersonateUserDenied ||
				bob.Evidence.HTTPStatus != 500 || !strings.Contains(bob.Fix, "(PrimarySmtpAddress -eq 'bob@contoso.com')") {
				t.Errorf("bob: %+v", bob)
			}
			// The order: account checks, then users (bob provisional), then refined, then
			// the account-level inference last.
			all := col.all()
			if all[0].Check != checker.CheckEndpoint || all[len(all)-1].Check != checker.CheckImpersonation || all[len(all)-1].User != "" {
				t.Errorf("order:\n%s", dump(all))
			}
			var provisional, refined int
			for i, r := range all {
				if r.User == "bob@contoso.com" && r.Code == checker.CodeImpersonationDenied {
					provisional = i
				}
				if r.User == "bob@contoso.com" && r.Refined {
					refined = i
				}
			}
			if provisional == 0 || refined <= provisional {
				t.Errorf("bob: provisional at %d, refined at %d:\n%s", provisional, refined, dump(all))
			}
			if sum.Users != 5 || sum.OK != 2 || sum.Failure != 3 || sum.ServiceAccount != checker.StatusWarning ||
				sum.Codes[checker.CodeOutOfScope] != 1 || sum.CodesVersion != checker.CodesVersion {
				t.Errorf("summary %+v", sum)
			}
			// One request for the account, two per user with a mailbox, one for bob
			// (refused), two for frank and nobody (GetFolder, ResolveNames).
			if sum.Requests != 1+2+2+1+2+2 {
				t.Errorf("requests %d, want 10", sum.Requests)
			}
			if r := col.final()["alice@contoso.com"]; r.Evidence.Requests != 2 || r.Check != checker.CheckAccess {
				t.Errorf("alice: %+v", r)
			}
		})
	}
}

func TestNoRole(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, false)
	col, sum := run(t, config(srv, "svc-norole@contoso.com", svcPass, checker.AuthNTLM), checker.Options{}, contosoUsers...)
	wantCodes(t, col, map[string]checker.Code{
		"alice@contoso.com":  checker.CodeNoRoleLikely,
		"bob@contoso.com":    checker.CodeNoRoleLikely,
		"carol@contoso.com":  checker.CodeNoRoleLikely,
		"frank@contoso.com":  checker.CodeNoMailbox,
		"nobody@contoso.com": checker.CodeUnknownUser,
	})
	imp := col.account()[checker.CheckImpersonation]
	if imp.Code != checker.CodeNoRoleLikely || imp.Status != checker.StatusFailure || imp.Confidence != checker.ConfidenceMedium ||
		!strings.Contains(imp.Fix, `New-ManagementRoleAssignment -Name "mailbridge-impersonation" -Role ApplicationImpersonation -User "svc-norole@contoso.com"`) ||
		!strings.Contains(imp.Fix, "-CustomRecipientWriteScope") || !strings.Contains(imp.Message, "most likely lacks the ApplicationImpersonation role") {
		t.Errorf("account impersonation: %+v", imp)
	}
	if !sum.ServiceAccountFailed() {
		t.Errorf("summary %+v: the service account should have failed", sum)
	}
}

func TestNoRoleConfidence(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(12, 1, 1)}, false)
	// The generated organization's users, checked by an account without the role.
	var users []string
	for i := 1; i <= 12; i++ {
		users = append(users, fmt.Sprintf("user%05d@example.com", i))
	}
	// svc-sync@example.com has the role org-wide: remove it by checking as a user.
	col, _ := run(t, config(srv, "user00001@example.com", userPass, checker.AuthBasic), checker.Options{}, users[1:]...)
	imp := col.account()[checker.CheckImpersonation]
	if imp.Code != checker.CodeNoRoleLikely || imp.Confidence != checker.ConfidenceHigh {
		t.Errorf("11 users refused: %+v", imp)
	}
	col, _ = run(t, config(srv, "user00001@example.com", userPass, checker.AuthBasic), checker.Options{}, users[1])
	if imp := col.account()[checker.CheckImpersonation]; imp.Code != checker.CodeNoRoleLikely || imp.Confidence != checker.ConfidenceLow {
		t.Errorf("1 user refused: %+v", imp)
	}
}

func TestServiceMailboxMissing(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, false)
	col, sum := run(t, config(srv, "svc-nombx@contoso.com", svcPass, checker.AuthNTLM), checker.Options{}, "alice@contoso.com", "carol@contoso.com", "bob@contoso.com")
	mb := col.account()[checker.CheckServiceMailbox]
	if mb.Code != checker.CodeServiceMailboxMissing || mb.Status != checker.StatusWarning ||
		!strings.Contains(mb.Message, "rooms and other resources will not be retrieved") || !strings.Contains(mb.Fix, "mailbox and a license") {
		t.Errorf("service mailbox: %+v", mb)
	}
	wantCodes(t, col, map[string]checker.Code{
		"alice@contoso.com": checker.CodeOK,
		"carol@contoso.com": checker.CodeOK,
		"bob@contoso.com":   checker.CodeOutOfScope,
	})
	if sum.ServiceAccountFailed() {
		t.Errorf("a missing service mailbox is a warning: %+v", sum)
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, false)
	for _, tc := range []struct {
		auth  checker.AuthMethod
		posts int64 // HTTP requests one sign-in attempt takes
	}{{checker.AuthBasic, 1}, {checker.AuthNTLM, 2}} {
		t.Run(string(tc.auth), func(t *testing.T) {
			t.Parallel()
			const secret = "Wr0ng-Secret-Pa55"
			var dialer countingDialer
			sleeper := &noSleep{}
			cfg := config(srv, "svc-sync@contoso.com", secret, tc.auth)
			cfg.DialContext = dialer.DialContext
			col, sum := run(t, cfg, checker.Options{Sleep: sleeper.Sleep}, contosoUsers...)
			auth := col.account()[checker.CheckAuthentication]
			if auth.Code != checker.CodeAuthFailed || auth.Evidence.HTTPStatus != 401 ||
				!strings.Contains(auth.Message, "same answer for a wrong password, an account that does not exist") {
				t.Errorf("authentication: %+v", auth)
			}
			if len(col.final()) != 0 || !sum.ServiceAccountFailed() {
				t.Errorf("users were checked after the credentials failed:\n%s", dump(col.all()))
			}
			if n := dialer.posts.Load(); n != tc.posts || sleeper.calls.Load() != 0 {
				t.Errorf("%d requests and %d waits: a refused password must not be retried", n, sleeper.calls.Load())
			}
			j, _ := json.Marshal(col.all())
			if bytes.Contains(j, []byte(secret)) {
				t.Errorf("the password appears in the results: %s", j)
			}
		})
	}
}

func TestAuthMethodUnavailable(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{Auth: exchangesim.AuthOptions{NTLM: true}}, false)
	col, _ := run(t, config(srv, "svc-sync@contoso.com", svcPass, checker.AuthBasic), checker.Options{}, "alice@contoso.com")
	auth := col.account()[checker.CheckAuthentication]
	if auth.Code != checker.CodeAuthMethodUnavailable || !strings.Contains(strings.Join(auth.Evidence.OfferedSchemes, ","), "NTLM") ||
		!strings.Contains(auth.Fix, "NTLM") {
		t.Errorf("authentication: %+v", auth)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	cfg := checker.Config{EWSURL: "http://" + closedPort(t) + "/EWS/Exchange.asmx", ServiceAccount: "svc-sync@contoso.com", Password: svcPass}
	col, sum := run(t, cfg, checker.Options{}, "alice@contoso.com")
	if ep := col.account()[checker.CheckEndpoint]; ep.Code != checker.CodeUnreachable || !strings.Contains(ep.Message, "connection refused") {
		t.Errorf("endpoint: %+v", ep)
	}
	if len(col.all()) != 1 || !sum.ServiceAccountFailed() {
		t.Errorf("results:\n%s", dump(col.all()))
	}

	// A name that does not resolve (through the dial hook, so no DNS is needed).
	cfg.EWSURL = "https://mail.contoso.invalid/EWS/Exchange.asmx"
	cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "mail.contoso.invalid", IsNotFound: true}}
	}
	col, _ = run(t, cfg, checker.Options{}, "alice@contoso.com")
	if ep := col.account()[checker.CheckEndpoint]; ep.Code != checker.CodeUnreachable || !strings.Contains(ep.Message, "does not resolve") {
		t.Errorf("endpoint: %+v", ep)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, true)
	trusted := config(srv, "svc-sync@contoso.com", svcPass, checker.AuthNTLM)
	untrusted := trusted
	untrusted.RootCAs = nil
	skip := untrusted
	skip.InsecureSkipVerify = true
	for _, tc := range []struct {
		name string
		cfg  checker.Config
		tls  checker.Code
		user checker.Code
	}{
		{"trusted CA", trusted, checker.CodeOK, checker.CodeOK},
		{"unknown CA", untrusted, checker.CodeTLSInvalid, ""},
		{"verification off", skip, checker.CodeTLSUnverified, checker.CodeOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			col, _ := run(t, tc.cfg, checker.Options{}, "alice@contoso.com")
			if r := col.account()[checker.CheckTLS]; r.Code != tc.tls {
				t.Errorf("tls: %+v", r)
			}
			if r := col.final()["alice@contoso.com"]; r.Code != tc.user {
				t.Errorf("alice: %+v", r)
			}
		})
	}
}

func TestNotEWS(t *testing.T) {
	t.Parallel()
	const secret = "S3cret-For-Echo"
	mux := http.NewServeMux()
	mux.HandleFunc("/EWS/Exchange.asmx", func(w http.ResponseWriter, r *http.Request) {
		// A sign-in page that echoes what it was sent, credentials included.
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html><body>Please sign in. %s</body></html>", r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/forbidden/EWS/Exchange.asmx", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "EWS is disabled", http.StatusForbidden)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	for _, tc := range []struct {
		path string
		code checker.Code
	}{
		{"/EWS/Exchange.asmx", checker.CodeNotEWS},
		{"/wrong/EWS/Exchange.asmx", checker.CodeNotEWS},
		{"/forbidden/EWS/Exchange.asmx", checker.CodeEWSBlocked},
	} {
		cfg := checker.Config{EWSURL: ts.URL + tc.path, ServiceAccount: "svc@contoso.com", Password: secret, Auth: checker.AuthBasic}
		col, _ := run(t, cfg, checker.Options{}, "alice@contoso.com")
		if r := col.account()[checker.CheckEWS]; r.Code != tc.code {
			t.Errorf("%s: %+v", tc.path, r)
		}
		j, _ := json.Marshal(col.all())
		if bytes.Contains(j, []byte(secret)) || bytes.Contains(j, []byte("Basic c3Zj")) {
			t.Errorf("%s: credentials in the results: %s", tc.path, j)
		}
	}
}

// TestThrottlingStorm: half the requests fail with ErrorServerBusy, or the account may
// have only 2 requests in flight while the checker starts with 24. Every user must end
// ok or throttled, none falsely failed, and back-off must have been used.
func TestThrottlingStorm(t *testing.T) {
	t.Parallel()
	users := make([]string, 60)
	for i := range users {
		users[i] = fmt.Sprintf("user%05d@example.com", i+1)
	}
	// needed is what the check sends when nothing is refused: GetRoomLists, then
	// GetFolder and SyncFolderItems per user.
	needed := int64(1 + 2*len(users))
	for _, tc := range []struct {
		name string
		opts exchangesim.Options
		// rejected counts the requests the simulator turned away. Injected faults are
		// answered after admission: every request admitted beyond those needed is a
		// retry of one the simulator refused.
		rejected func(simStats) int64
	}{
		{"error rate 0.5", exchangesim.Options{Faults: exchangesim.Faults{ErrorRate: map[string]float64{"*": 0.5}, BackOffMS: 20}},
			func(s simStats) int64 { return s.Admitted - needed }},
		{"503 rate 0.3", exchangesim.Options{Faults: exchangesim.Faults{ErrorRate: map[string]float64{"*": 0.3}, ErrorCode: "HTTP503"}},
			func(s simStats) int64 { return s.Admitted - needed }},
		{"max concurrency 2 charged to the caller", exchangesim.Options{Faults: exchangesim.Faults{LatencyMS: 5},
			Throttle: exchangesim.ThrottlePolicy{MaxConcurrency: 2, ChargeTo: exchangesim.ChargeCaller}},
			func(s simStats) int64 { return s.ExceededConcurrency }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Scenario = exchangesim.Generate(len(users), 2, 1)
			srv := startSim(t, tc.opts, false)
			sleeper := &noSleep{}
			col, sum := run(t, config(srv, "svc-sync@example.com", svcPass, checker.AuthNTLM),
				checker.Options{Concurrency: 24, Sleep: sleeper.Sleep}, users...)
			final := col.final()
			if len(final) != len(users) {
				t.Fatalf("%d users reported, want %d", len(final), len(users))
			}
			throttled := 0
			for u, r := range final {
				switch r.Code {
				case checker.CodeOK:
				case checker.CodeThrottled:
					throttled++
					if r.Status != checker.StatusWarning {
						t.Errorf("%s: throttled must be a warning: %+v", u, r)
					}
				default:
					t.Errorf("%s: %s (%s): falsely failed", u, r.Code, r.Message)
				}
			}
			if sleeper.calls.Load() == 0 {
				t.Error("no back-off was waited")
			}
			if sum.Failure != 0 || sum.ServiceAccountFailed() {
				t.Errorf("summary %+v", sum)
			}
			// Back-off must get nearly everyone through, not merely avoid false failures.
			if ok := len(users) - throttled; ok*10 < len(users)*9 {
				t.Errorf("%d of %d users ok, want at least 90%%", ok, len(users))
			}
			stats := throttleStats(t, srv)
			if n := tc.rejected(stats); n <= 0 {
				t.Errorf("the simulator refused nothing (%+v): the storm did not happen", stats)
			}
			t.Logf("%d/%d users throttled, %d requests, %d waits, simulator %+v", throttled, len(users), sum.Requests, sleeper.calls.Load(), stats)
		})
	}
}

func TestMailboxMoving(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{Faults: exchangesim.Faults{MovingMailboxes: []string{"dave@contoso.com"}}}, false)
	col, sum := run(t, config(srv, "svc-sync@contoso.com", svcPass, checker.AuthNTLM), checker.Options{}, "alice@contoso.com", "dave@contoso.com")
	wantCodes(t, col, map[string]checker.Code{"alice@contoso.com": checker.CodeOK, "dave@contoso.com": checker.CodeMailboxMoving})
	if sum.Warning != 1 || sum.Failure != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestInvalidAndDuplicateAddresses(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, false)
	col, sum := run(t, config(srv, "svc-sync@contoso.com", svcPass, checker.AuthBasic), checker.Options{},
		"alice@contoso.com", "ALICE@contoso.com", "not an address", "Bob <bob@contoso.com>")
	wantCodes(t, col, map[string]checker.Code{
		"alice@contoso.com":     checker.CodeOK,
		"not an address":        checker.CodeInvalidAddress,
		"Bob <bob@contoso.com>": checker.CodeInvalidAddress,
	})
	if sum.Users != 3 {
		t.Errorf("summary %+v: duplicates are checked once", sum)
	}
}

// TestFolderAndSyncFailures uses a fake EWS server: the simulator's mailboxes always
// have their folders.
func TestFolderAndSyncFailures(t *testing.T) {
	t.Parallel()
	write := func(w http.ResponseWriter, op string, body any) {
		var buf bytes.Buffer
		v := ews.Exchange2019
		if err := ews.EncodeResponse(&buf, &v, ews.ResponseName(op), body); err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(buf.Bytes())
	}
	folder := func() ews.GetFolderResponseMessage {
		return ews.GetFolderResponseMessage{ResponseMessage: ews.Success(),
			Folders: &ews.Folders{Folders: []ews.Folder{{XMLName: xmlName("t:Folder"), FolderId: &ews.FolderId{Id: "AAA="}}}}}
	}
	ts := httptest.NewServer(fakeEWS{
		ews.OpGetRoomLists: func(w http.ResponseWriter, r *http.Request) {
			write(w, ews.OpGetRoomLists, &ews.GetRoomListsResponse{ResponseMessage: ews.Success(), RoomLists: &ews.EmailAddressList{}})
		},
		ews.OpGetFolder: func(w http.ResponseWriter, r *http.Request) {
			msgs := []ews.GetFolderResponseMessage{folder(), folder(), folder()}
			if r.Header.Get("X-AnchorMailbox") == "carol@contoso.com" {
				msgs[2] = ews.GetFolderResponseMessage{ResponseMessage: ews.Failure(ews.ErrorFolderNotFound, "The specified folder could not be found in the store.")}
			}
			write(w, ews.OpGetFolder, &ews.GetFolderResponse{ResponseMessages: msgs})
		},
		ews.OpSyncFolderItems: func(w http.ResponseWriter, r *http.Request) {
			m := ews.SyncFolderItemsResponseMessage{ResponseMessage: ews.Failure("ErrorSyncFolderNotFound", "The folder to sync could not be found.")}
			write(w, ews.OpSyncFolderItems, &ews.SyncFolderItemsResponse{ResponseMessages: []ews.SyncFolderItemsResponseMessage{m}})
		},
	})
	t.Cleanup(ts.Close)
	cfg := checker.Config{EWSURL: ts.URL + "/EWS/Exchange.asmx", ServiceAccount: "svc@contoso.com", Password: "Fake-Pass-1", Auth: checker.AuthBasic}
	col, _ := run(t, cfg, checker.Options{}, "alice@contoso.com", "carol@contoso.com")
	wantCodes(t, col, map[string]checker.Code{
		"alice@contoso.com": checker.CodeSyncUnavailable,
		"carol@contoso.com": checker.CodeFolderUnreadable,
	})
	if r := col.final()["carol@contoso.com"]; len(r.Evidence.Folders) != 1 || r.Evidence.Folders[0] != "Contacts" ||
		r.Evidence.ResponseCode != ews.ErrorFolderNotFound || !strings.Contains(r.Message, "Contacts") {
		t.Errorf("carol: %+v", r)
	}
	if r := col.account()[checker.CheckServerVersion]; !strings.Contains(r.Message, "Exchange 2019") {
		t.Errorf("server version: %+v", r)
	}
}

// TestCancel cancels a check of a slow organization after its first user result: Check
// must return promptly, with ctx's error, and leave no goroutine behind.
func TestCancel(t *testing.T) {
	srv := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(300, 1, 1), Faults: exchangesim.Faults{LatencyMS: 200}}, false)
	users := make([]string, 300)
	for i := range users {
		users[i] = fmt.Sprintf("user%05d@example.com", i+1)
	}
	c, err := checker.New(config(srv, "svc-sync@example.com", svcPass, checker.AuthNTLM), checker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	userResults := 0
	done := make(chan error, 1)
	go func() {
		_, err := c.Check(ctx, users, func(r checker.Result) {
			if r.User != "" {
				userResults++
				if userResults == 1 {
					cancelledAt = time.Now()
					cancel()
				}
			}
		})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Check returned %v, want context.Canceled", err)
		}
		if d := time.Since(cancelledAt); d > 2*time.Second {
			t.Errorf("Check took %v to return after cancellation", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Check did not return after cancellation")
	}
	if userResults >= len(users) {
		t.Errorf("every user was reported: nothing was cancelled")
	}
	noLeaks(t)
}

func TestCheckMailbox(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, false)
	svc := []string{checker.CheckEndpoint, checker.CheckTLS, checker.CheckAuthentication, checker.CheckEWS, checker.CheckServerVersion, checker.CheckServiceMailbox}
	steps := func(user ...string) []string { return append(append([]string(nil), svc...), user...) }
	for _, tc := range []struct {
		name, svc, pass, user string
		steps                 []string
		last                  checker.Code
	}{
		{"alice", "svc-sync@contoso.com", svcPass, "alice@contoso.com",
			steps(checker.CheckAddress, checker.CheckMailbox, checker.CheckImpersonation, checker.CheckFolders, checker.CheckSync), checker.CodeOK},
		{"bob out of scope", "svc-sync@contoso.com", svcPass, "bob@contoso.com",
			steps(checker.CheckAddress, checker.CheckMailbox, checker.CheckImpersonation), checker.CodeImpersonationDenied},
		{"frank without mailbox", "svc-sync@contoso.com", svcPass, "frank@contoso.com",
			steps(checker.CheckAddress, checker.CheckMailbox), checker.CodeNoMailbox},
		{"unknown user", "svc-sync@contoso.com", svcPass, "nobody@contoso.com",
			steps(checker.CheckAddress, checker.CheckMailbox), checker.CodeUnknownUser},
		{"no service mailbox, alice", "svc-nombx@contoso.com", svcPass, "alice@contoso.com",
			steps(checker.CheckAddress, checker.CheckMailbox, checker.CheckImpersonation, checker.CheckFolders, checker.CheckSync), checker.CodeOK},
		{"wrong password", "svc-sync@contoso.com", "nope", "alice@contoso.com",
			[]string{checker.CheckEndpoint, checker.CheckTLS, checker.CheckAuthentication}, checker.CodeAuthFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := checker.New(config(srv, tc.svc, tc.pass, checker.AuthNTLM), checker.Options{Sleep: (&noSleep{}).Sleep})
			if err != nil {
				t.Fatal(err)
			}
			col := &collector{}
			if _, err := c.CheckMailbox(context.Background(), tc.user, col.emit); err != nil {
				t.Fatal(err)
			}
			all := col.all()
			var got []string
			for _, r := range all {
				got = append(got, r.Check)
			}
			if strings.Join(got, ",") != strings.Join(tc.steps, ",") || all[len(all)-1].Code != tc.last {
				t.Errorf("steps %v, last %q; want %v, %q\n%s", got, all[len(all)-1].Code, tc.steps, tc.last, dump(all))
			}
			for _, r := range all[:len(all)-1] {
				if r.Status == checker.StatusFailure {
					t.Errorf("did not stop at the first failure:\n%s", dump(all))
				}
			}
		})
	}
}

func TestCodesDocumented(t *testing.T) {
	t.Parallel()
	seen := map[checker.Code]bool{}
	for _, ci := range checker.CodeInfos() {
		if seen[ci.Code] || ci.Meaning == "" {
			t.Errorf("code %q listed twice or undocumented", ci.Code)
		}
		seen[ci.Code] = true
	}
	for _, c := range []checker.Code{checker.CodeOK, checker.CodeAuthFailed, checker.CodeAuthMethodUnavailable, checker.CodeNoRoleLikely,
		checker.CodeOutOfScope, checker.CodeNoMailbox, checker.CodeUnknownUser, checker.CodeServiceMailboxMissing, checker.CodeTLSInvalid,
		checker.CodeUnreachable, checker.CodeNotEWS, checker.CodeThrottled, checker.CodeFolderUnreadable, checker.CodeSyncUnavailable,
		checker.CodeMailboxMoving} {
		if !seen[c] {
			t.Errorf("code %q missing from CodeInfos", c)
		}
	}
}

func TestConfigHidesPassword(t *testing.T) {
	t.Parallel()
	cfg := checker.Config{EWSURL: "https://mail.contoso.com/EWS/Exchange.asmx", ServiceAccount: "svc", Password: "hunter2"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("password in %q", s)
		}
	}
}

// TestPasswordChangedMidCheck: once Exchange starts refusing the credentials, the check
// stops instead of sending a failed sign-in per user (which would lock the account out).
func TestPasswordChangedMidCheck(t *testing.T) {
	t.Parallel()
	const n = 200
	srv := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(n, 1, 1), Faults: exchangesim.Faults{LatencyMS: 5}}, false)
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("user%05d@example.com", i+1)
	}
	c, err := checker.New(config(srv, "svc-sync@example.com", svcPass, checker.AuthBasic), checker.Options{Concurrency: 4, Sleep: (&noSleep{}).Sleep})
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	changed := false
	sum, err := c.Check(context.Background(), users, func(r checker.Result) {
		col.emit(r)
		if r.User != "" && !changed {
			changed = true
			req, _ := http.NewRequest(http.MethodPut, srv.Info().AdminURL+"/users/svc-sync@example.com/password", strings.NewReader(`{"password":"Changed-2026!"}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	auth := col.account()[checker.CheckAuthentication]
	if auth.Code != checker.CodeAuthFailed || !sum.ServiceAccountFailed() {
		t.Errorf("authentication %+v, summary %+v", auth, sum)
	}
	failedSignIns := 0
	for _, r := range col.final() {
		if r.Code == checker.CodeAuthFailed {
			failedSignIns++
		}
	}
	if failedSignIns == 0 || failedSignIns > 4 || len(col.final()) >= n {
		t.Errorf("%d users refused sign-in, %d of %d users reported: the check should stop at once", failedSignIns, len(col.final()), n)
	}
}

// TestMaxInFlight: with the default options, the server never has more than 24 of the
// service account's requests in flight (the default concurrency), service account's
// own GetRoomLists included, although it would accept any number.
func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	const n = 200
	srv := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(n, 1, 1), Faults: exchangesim.Faults{LatencyMS: 20},
		Throttle: exchangesim.ThrottlePolicy{MaxConcurrency: -1, ChargeTo: exchangesim.ChargeCaller}}, false)
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("user%05d@example.com", i+1)
	}
	for _, auth := range []checker.AuthMethod{checker.AuthNTLM, checker.AuthBasic} {
		before := throttleStats(t, srv).Admitted
		_, sum := run(t, config(srv, "svc-sync@example.com", svcPass, auth), checker.Options{}, users...)
		if sum.OK != n {
			t.Fatalf("%s: summary %+v", auth, sum)
		}
		if got := throttleStats(t, srv).Admitted - before; got != 1+2*n {
			t.Errorf("%s: the simulator saw %d requests, want %d", auth, got, 1+2*n)
		}
	}
	stats := throttleStats(t, srv)
	if stats.MaxInFlight > checker.DefaultConcurrency || stats.MaxInFlight < 2 {
		t.Errorf("at most %d requests in flight for the service account, want 2 to %d", stats.MaxInFlight, checker.DefaultConcurrency)
	}
}

// TestUnknownServiceAccount: Exchange answers an account that does not exist as it
// answers a wrong password, and the result says honestly that it cannot tell which.
func TestUnknownServiceAccount(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{}, false)
	for _, auth := range []checker.AuthMethod{checker.AuthNTLM, checker.AuthBasic} {
		t.Run(string(auth), func(t *testing.T) {
			t.Parallel()
			results := map[string]checker.Result{}
			for _, account := range []string{"svc-sync@contoso.com", "ghost@contoso.com"} {
				col, sum := run(t, config(srv, account, "Not-The-Password-1", auth), checker.Options{}, contosoUsers...)
				r := col.account()[checker.CheckAuthentication]
				if r.Code != checker.CodeAuthFailed || r.Status != checker.StatusFailure || r.Evidence.HTTPStatus != 401 ||
					len(col.final()) != 0 || !sum.ServiceAccountFailed() {
					t.Errorf("%s: authentication %+v, %d users checked\n%s", account, r, len(col.final()), dump(col.all()))
				}
				results[account] = r
			}
			wrong, ghost := results["svc-sync@contoso.com"], results["ghost@contoso.com"]
			for _, s := range []string{"wrong password", "an account that does not exist", "cannot tell which"} {
				if !strings.Contains(ghost.Message, s) {
					t.Errorf("message %q does not say %q", ghost.Message, s)
				}
			}
			if strings.ReplaceAll(ghost.Message, "ghost@", "svc-sync@") != wrong.Message || ghost.Fix != wrong.Fix {
				t.Errorf("an unknown account and a wrong password are told apart:\n%+v\n%+v", ghost, wrong)
			}
		})
	}
}

// anchorDialer signals the first request that impersonates a user (it carries
// X-AnchorMailbox, which the service account's own requests do not).
type anchorDialer struct {
	once sync.Once
	seen chan struct{}
}

func (d *anchorDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &anchorConn{Conn: conn, d: d}, nil
}

type anchorConn struct {
	net.Conn
	d *anchorDialer
}

func (c *anchorConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("X-Anchormailbox:")) {
		c.d.once.Do(func() { close(c.d.seen) })
	}
	return c.Conn.Write(p)
}

// TestUsersStartAfterHandshake: with NTLM, the users' checks start once the handshake
// has shown the credentials work, while the service account's GetRoomLists is still
// under way. Here GetRoomLists is throttled, and its back-off waits until a user's
// request has gone out: a checker that waited for GetRoomLists would never get there.
// The results keep their order: the service account's first.
func TestUsersStartAfterHandshake(t *testing.T) {
	t.Parallel()
	srv := startSim(t, exchangesim.Options{Faults: exchangesim.Faults{ErrorRate: map[string]float64{ews.OpGetRoomLists: 1}, BackOffMS: 10}}, false)
	d := &anchorDialer{seen: make(chan struct{})}
	cfg := config(srv, "svc-sync@contoso.com", svcPass, checker.AuthNTLM)
	cfg.DialContext = d.DialContext
	sleep := func(ctx context.Context, _ time.Duration) error {
		select {
		case <-d.seen:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Second):
			t.Error("no user's check started while GetRoomLists waited")
			return errors.New("gave up waiting")
		}
	}
	col, sum := run(t, cfg, checker.Options{Sleep: sleep}, "alice@contoso.com", "carol@contoso.com")
	wantCodes(t, col, map[string]checker.Code{"alice@contoso.com": checker.CodeOK, "carol@contoso.com": checker.CodeOK})
	if r := col.account()[checker.CheckServiceMailbox]; r.Code != checker.CodeThrottled {
		t.Errorf("service mailbox %+v, want throttled", r)
	}
	all := col.all()
	first := slices.IndexFunc(all, func(r checker.Result) bool { return r.User != "" })
	if first < 0 || !slices.ContainsFunc(all[:first], func(r checker.Result) bool { return r.Check == checker.CheckServiceMailbox }) {
		t.Errorf("a user's result before the service account's:\n%s", dump(all))
	}
	if sum.ServiceAccountFailed() || sum.OK != 2 {
		t.Errorf("summary %+v", sum)
	}
}

// TestServiceFailureStopsUsers: the users' checks started after the handshake are
// stopped, and reported nothing, when the service account's request ends the check.
func TestServiceFailureStopsUsers(t *testing.T) {
	const n = 100
	srv := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(n, 1, 1),
		Faults: exchangesim.Faults{LatencyMS: 20, ErrorRate: map[string]float64{ews.OpGetRoomLists: 1}, ErrorCode: "ErrorInvalidServerVersion"}}, false)
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("user%05d@example.com", i+1)
	}
	col, sum := run(t, config(srv, "svc-sync@example.com", svcPass, checker.AuthNTLM), checker.Options{}, users...)
	if r := col.account()[checker.CheckServerVersion]; r.Code != checker.CodeServerVersionOld || r.Status != checker.StatusFailure {
		t.Errorf("server version %+v", r)
	}
	if len(col.final()) != 0 || !sum.ServiceAccountFailed() || sum.Users != 0 {
		t.Errorf("users reported after the service account failed (summary %+v):\n%s", sum, dump(col.all()))
	}
	if sum.Requests >= 1+2*n {
		t.Errorf("%d requests: the users' checks were not stopped", sum.Requests)
	}
	noLeaks(t)
}
