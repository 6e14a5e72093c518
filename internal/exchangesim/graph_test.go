package exchangesim_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
)

// movableClock is a clock tests can advance, to expire tokens.
type movableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *movableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startM365 starts Contoso with a clock the test can move.
func startM365(t *testing.T, opts exchangesim.Options) (*simServer, *movableClock) {
	t.Helper()
	clock := &movableClock{t: testClock()}
	opts.Clock = clock.Now
	return startSim(t, opts), clock
}

// doJSON sends a request and decodes a JSON answer (nil when the body is not JSON).
func doJSON(t *testing.T, req *http.Request) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header, out
}

// requestToken runs the client credentials flow against tenant.
func requestToken(t *testing.T, s *simServer, tenant, clientID, secret, scope string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {scope}}
	req, err := http.NewRequest(http.MethodPost, s.AuthorityURL()+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, body := doJSON(t, req)
	return status, body
}

// contosoToken returns an access token of the contoso app for resource.
func contosoToken(t *testing.T, s *simServer, resource string) string {
	t.Helper()
	status, body := requestToken(t, s, exchangesim.ContosoTenantID, exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret, resource+"/.default")
	tok, _ := body["access_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("token: %d %v", status, body)
	}
	return tok
}

// graph is a minimal Graph caller: a token and the base URL.
type graph struct {
	t    *testing.T
	base string
	tok  string
}

func newGraph(t *testing.T, s *simServer) *graph {
	return &graph{t: t, base: s.GraphURL(), tok: contosoToken(t, s, exchangesim.GraphResource)}
}

// do sends a request to a path under /v1.0 or to an absolute URL (a nextLink).
func (g *graph) do(method, path string, body any, header ...string) (int, http.Header, map[string]any) {
	g.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = g.base + path
	}
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+g.tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return doJSON(g.t, req)
}

func (g *graph) get(path string, header ...string) (int, http.Header, map[string]any) {
	g.t.Helper()
	return g.do(http.MethodGet, path, nil, header...)
}

// mustGet expects 200.
func (g *graph) mustGet(path string, header ...string) map[string]any {
	g.t.Helper()
	status, _, body := g.get(path, header...)
	if status != http.StatusOK {
		g.t.Fatalf("GET %s: %d %v", path, status, body)
	}
	return body
}

func graphCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func values(body map[string]any) []map[string]any {
	var out []map[string]any
	vs, _ := body["value"].([]any)
	for _, v := range vs {
		out = append(out, v.(map[string]any))
	}
	return out
}

// deltaRound follows nextLinks from start until a deltaLink and returns every entry and
// the deltaLink.
func (g *graph) deltaRound(start string, header ...string) (entries []map[string]any, pages int, deltaLink string) {
	g.t.Helper()
	link := start
	for range 1000 {
		body := g.mustGet(link, header...)
		entries = append(entries, values(body)...)
		pages++
		if d, ok := body["@odata.deltaLink"].(string); ok {
			if _, both := body["@odata.nextLink"]; both {
				g.t.Fatalf("page with both nextLink and deltaLink")
			}
			return entries, pages, d
		}
		next, ok := body["@odata.nextLink"].(string)
		if !ok {
			g.t.Fatalf("page without nextLink or deltaLink: %v", body)
		}
		link = next
	}
	g.t.Fatal("delta round does not end")
	return nil, 0, ""
}

func restID(ewsID string) string { return strings.NewReplacer("/", "-", "+", "_").Replace(ewsID) }

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	graphScope := exchangesim.GraphResource + "/.default"
	for _, tc := range []struct {
		name, tenant, client, secret, scope string
		status                              int
		oauthErr                            string
		code                                int
	}{
		{"good by id", exchangesim.ContosoTenantID, exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret, graphScope, 200, "", 0},
		{"good by domain", "contoso.com", exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret, graphScope, 200, "", 0},
		{"good for Exchange", exchangesim.ContosoInitialDomain, exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret, exchangesim.ExchangeResource + "/.default", 200, "", 0},
		{"unknown tenant", "fabrikam.com", exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret, graphScope, 400, "invalid_request", 90002},
		{"unknown app", exchangesim.ContosoTenantID, "11111111-2222-4333-8444-555555555555", exchangesim.ContosoAppSecret, graphScope, 400, "unauthorized_client", 700016},
		{"wrong secret", exchangesim.ContosoTenantID, exchangesim.ContosoAppClientID, "not-the-secret", graphScope, 401, "invalid_client", 7000215},
		{"expired secret", exchangesim.ContosoTenantID, exchangesim.ContosoExpiredAppClientID, exchangesim.ContosoExpiredAppSecret, graphScope, 401, "invalid_client", 7000222},
		{"no consent", exchangesim.ContosoTenantID, exchangesim.ContosoNoConsentAppClientID, exchangesim.ContosoNoConsentAppSecret, graphScope, 400, "invalid_grant", 65001},
		{"scope without .default", exchangesim.ContosoTenantID, exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret, "Mail.Read", 400, "invalid_scope", 1002012},
		{"unknown resource", exchangesim.ContosoTenantID, exchangesim.ContosoAppClientID, exchangesim.ContosoAppSecret, "https://example.com/.default", 400, "invalid_resource", 500011},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := requestToken(t, s, tc.tenant, tc.client, tc.secret, tc.scope)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.status == 200 {
				if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || body["access_token"] == "" {
					t.Errorf("token response %v", body)
				}
				return
			}
			desc, _ := body["error_description"].(string)
			codes, _ := body["error_codes"].([]any)
			if body["error"] != tc.oauthErr || !strings.HasPrefix(desc, fmt.Sprintf("AADSTS%d: ", tc.code)) ||
				len(codes) != 1 || codes[0] != float64(tc.code) || body["trace_id"] == "" || body["correlation_id"] == "" {
				t.Errorf("error %v", body)
			}
			if strings.Contains(desc, tc.secret) && tc.secret != "" {
				t.Errorf("the secret appears in the error: %s", desc)
			}
		})
	}
	t.Run("the Exchange token lacks Graph roles", func(t *testing.T) {
		g := &graph{t: t, base: s.GraphURL(), tok: contosoToken(t, s, exchangesim.ExchangeResource)}
		status, _, body := g.get("/users")
		if status != http.StatusUnauthorized || graphCode(body) != "InvalidAuthenticationToken" {
			t.Errorf("Graph with an Exchange token: %d %v", status, body)
		}
	})
}

func TestOpenIDConfiguration(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	for _, name := range []string{"contoso.com", "CONTOSO.com", exchangesim.ContosoInitialDomain, exchangesim.ContosoTenantID} {
		req, _ := http.NewRequest(http.MethodGet, s.AuthorityURL()+"/"+name+"/v2.0/.well-known/openid-configuration", nil)
		status, _, body := doJSON(t, req)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", name, status, body)
		}
		wantIssuer := s.AuthorityURL() + "/" + exchangesim.ContosoTenantID + "/v2.0"
		if body["issuer"] != wantIssuer || body["token_endpoint"] != s.AuthorityURL()+"/"+exchangesim.ContosoTenantID+"/oauth2/v2.0/token" {
			t.Errorf("%s: issuer %v, token_endpoint %v", name, body["issuer"], body["token_endpoint"])
		}
	}
	req, _ := http.NewRequest(http.MethodGet, s.AuthorityURL()+"/fabrikam.com/v2.0/.well-known/openid-configuration", nil)
	status, _, body := doJSON(t, req)
	if desc, _ := body["error_description"].(string); status != http.StatusBadRequest || !strings.HasPrefix(desc, "AADSTS90002:") {
		t.Errorf("unknown domain: %d %v", status, body)
	}
}

func TestGraphAuthentication(t *testing.T) {
	t.Parallel()
	s, clock := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	if status, _, body := g.get("/users/alice@contoso.com"); status != http.StatusOK || body["mail"] != "alice@contoso.com" {
		t.Fatalf("valid token: %d %v", status, body)
	}
	for _, tc := range []struct{ name, tok, msg string }{
		{"none", "", "Access token is empty."},
		{"garbage", "abc.def.ghi", "Access token validation failure"},
	} {
		bad := &graph{t: t, base: g.base, tok: tc.tok}
		status, hdr, body := bad.get("/users")
		e, _ := body["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if status != http.StatusUnauthorized || graphCode(body) != "InvalidAuthenticationToken" || !strings.HasPrefix(msg, tc.msg) ||
			!strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %v", tc.name, status, body)
		}
		inner, _ := e["innerError"].(map[string]any)
		if inner["request-id"] == nil || inner["date"] == nil {
			t.Errorf("%s: innerError %v", tc.name, e)
		}
	}
	// A token is good for its lifetime (and five minutes of skew), then refused.
	clock.Advance(3599*time.Second + 6*time.Minute)
	status, _, body := g.get("/users")
	if e, _ := body["error"].(map[string]any); status != http.StatusUnauthorized || !strings.Contains(fmt.Sprint(e["message"]), "expired") {
		t.Errorf("expired token: %d %v", status, body)
	}
}

func TestGraphUsers(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	all := s.Sim.World().Directory().Users()
	var got []map[string]any
	link := "/users?$top=4&$select=displayName,mail,userPrincipalName,department"
	for pages := 0; link != ""; pages++ {
		if pages > len(all) {
			t.Fatal("paging does not end")
		}
		body := g.mustGet(link)
		page := values(body)
		if len(page) > 4 {
			t.Fatalf("page of %d", len(page))
		}
		got = append(got, page...)
		link, _ = body["@odata.nextLink"].(string)
	}
	if len(got) != len(all) {
		t.Fatalf("%d users, want %d", len(got), len(all))
	}
	ids := map[string]bool{}
	for _, u := range got {
		ids[u["id"].(string)] = true
		if _, ok := u["givenName"]; ok {
			t.Errorf("$select ignored: %v", u)
		}
	}
	if len(ids) != len(all) {
		t.Errorf("ids not unique: %d", len(ids))
	}
	alice := g.mustGet("/users/alice@contoso.com")
	if alice["displayName"] != "Alice Anderson" || alice["userPrincipalName"] != "alice@contoso.com" {
		t.Errorf("alice %v", alice)
	}
	byID := g.mustGet("/users/" + alice["id"].(string))
	if byID["mail"] != "alice@contoso.com" {
		t.Errorf("by id %v", byID)
	}
	if status, _, body := g.get("/users/nobody@contoso.com"); status != http.StatusNotFound || graphCode(body) != "Request_ResourceNotFound" {
		t.Errorf("unknown user: %d %v", status, body)
	}
	if status, _, body := g.get("/users/alice@contoso.com/nosuchthing"); status != http.StatusBadRequest || graphCode(body) != "BadRequest" {
		t.Errorf("unknown segment: %d %v", status, body)
	}
}

func TestGraphMailFolders(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	var folders []map[string]any
	link := "/users/alice@contoso.com/mailFolders?$top=3"
	for link != "" {
		body := g.mustGet(link)
		folders = append(folders, values(body)...)
		link, _ = body["@odata.nextLink"].(string)
	}
	var names []string
	for _, f := range folders {
		names = append(names, f["displayName"].(string))
		if f["displayName"] == "Inbox" && (f["totalItemCount"] != float64(50) || f["unreadItemCount"] == nil) {
			t.Errorf("inbox %v", f)
		}
	}
	for _, want := range []string{"Inbox", "Sent Items", "Deleted Items", "Drafts"} {
		if !slices.Contains(names, want) {
			t.Errorf("mailFolders %v lack %s", names, want)
		}
	}
	if slices.Contains(names, "Calendar") || slices.Contains(names, "Contacts") {
		t.Errorf("mailFolders %v list non-mail folders", names)
	}
	inbox := g.mustGet("/users/alice@contoso.com/mailFolders/inbox")
	byID := g.mustGet("/users/alice@contoso.com/MailFolders/" + inbox["id"].(string))
	if byID["displayName"] != "Inbox" || inbox["totalItemCount"] != float64(50) {
		t.Errorf("inbox by id %v", byID)
	}
	if body := g.mustGet("/users/alice@contoso.com/mailFolders/inbox/childFolders"); len(values(body)) != 0 {
		t.Errorf("inbox children %v", body)
	}
	if status, _, body := g.get("/users/alice@contoso.com/mailFolders/nosuchfolder"); status != http.StatusNotFound || graphCode(body) != "ErrorItemNotFound" {
		t.Errorf("unknown folder: %d %v", status, body)
	}
}

// TestGraphMessagesDelta syncs alice's Inbox through Graph, changes it through the admin
// API and EWS, and sees the changes in the next round; then an expired state is 410.
func TestGraphMessagesDelta(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	start := "/users/alice@contoso.com/mailFolders/inbox/messages/delta?$select=subject,isRead,receivedDateTime"
	status, hdr, first := g.get(start, "Prefer", "odata.maxpagesize=20")
	if status != http.StatusOK || hdr.Get("Preference-Applied") != "odata.maxpagesize=20" || len(values(first)) != 20 {
		t.Fatalf("first page: %d %q %d", status, hdr.Get("Preference-Applied"), len(values(first)))
	}
	entries, pages, deltaLink := g.deltaRound(start, "Prefer", "odata.maxpagesize=20")
	if len(entries) != 50 || pages != 3 {
		t.Fatalf("initial round: %d entries in %d pages", len(entries), pages)
	}
	ids := map[string]bool{}
	read := map[string]bool{}
	for _, e := range entries {
		ids[e["id"].(string)] = true
		read[e["id"].(string)], _ = e["isRead"].(bool)
		if _, ok := e["body"]; ok {
			t.Fatalf("$select not applied: %v", e)
		}
		if e["subject"] == nil || e["isRead"] == nil {
			t.Fatalf("selected fields missing: %v", e)
		}
	}
	if len(ids) != 50 {
		t.Fatalf("%d distinct ids", len(ids))
	}
	// Nothing changed: an empty round.
	again, _, deltaLink := g.deltaRound(deltaLink)
	if len(again) != 0 {
		t.Fatalf("unchanged inbox: %v", again)
	}

	// Changes through the admin API: create, update, delete.
	var created, updated struct {
		ID string `json:"id"`
	}
	admin(t, s, "POST", "/mailboxes/alice@contoso.com/items", `{"folder":"inbox","subject":"Quarterly numbers","body":"see attached"}`, http.StatusCreated, &created)
	victims := []string{}
	for id := range ids {
		victims = append(victims, id)
	}
	slices.Sort(victims)
	ewsOf := func(rest string) string { return strings.NewReplacer("-", "/", "_", "+").Replace(rest) }
	admin(t, s, "PATCH", "/mailboxes/alice@contoso.com/items/"+url.PathEscape(ewsOf(victims[0])), `{"subject":"Renamed"}`, http.StatusOK, &updated)
	admin(t, s, "DELETE", "/mailboxes/alice@contoso.com/items/"+url.PathEscape(ewsOf(victims[1])), "", http.StatusNoContent, nil)
	// A read flag flipped: Graph reports the whole message again.
	admin(t, s, "PATCH", "/mailboxes/alice@contoso.com/items/"+url.PathEscape(ewsOf(victims[3])), fmt.Sprintf(`{"is_read":%v}`, !read[victims[3]]), http.StatusOK, nil)
	// And through EWS: svc-sync impersonating alice deletes a third message.
	msgs := iwDelete(t, s.svcAs(t, "alice@contoso.com"), &ews.DeleteItemRequest{DeleteType: ews.HardDelete, ItemIds: iwIDs(ewsOf(victims[2]))})
	iwWantOK(t, msgs[0].ResponseMessage)

	changes, _, deltaLink := g.deltaRound(deltaLink)
	byID := map[string]map[string]any{}
	for _, c := range changes {
		byID[c["id"].(string)] = c
	}
	if len(changes) != 5 {
		t.Fatalf("changes %v", changes)
	}
	if c := byID[victims[3]]; c == nil || c["isRead"] != !read[victims[3]] || c["subject"] == nil {
		t.Errorf("read flag change: %v", c)
	}
	if c := byID[restID(created.ID)]; c == nil || c["subject"] != "Quarterly numbers" {
		t.Errorf("created: %v", byID)
	}
	if c := byID[victims[0]]; c == nil || c["subject"] != "Renamed" {
		t.Errorf("updated: %v", c)
	}
	for _, v := range victims[1:3] {
		c := byID[v]
		removed, _ := c["@removed"].(map[string]any)
		if c == nil || removed["reason"] != "deleted" {
			t.Errorf("removed %s: %v", v, c)
		}
	}

	// Graph sees what EWS sees: the same item by the same (converted) id.
	var resp ews.GetItemResponse
	s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetItem, &ews.GetItemRequest{
		ItemShape: ews.ItemShape{BaseShape: ews.ShapeDefault}, ItemIds: iwIDs(created.ID)}, &resp)
	if it := resp.ResponseMessages[0].Items.Items; len(it) != 1 || it[0].Subject != "Quarterly numbers" {
		t.Errorf("EWS GetItem of the created message: %+v", resp.ResponseMessages[0])
	}

	// An expired state: 410 Gone, with where to start again.
	admin(t, s, "POST", "/mailboxes/alice@contoso.com/expire-sync-states", "", http.StatusNoContent, nil)
	status, hdr, body := g.get(deltaLink)
	if status != http.StatusGone || graphCode(body) != "syncStateNotFound" || !strings.HasSuffix(hdr.Get("Location"), "/users/alice@contoso.com/mailFolders/inbox/messages/delta") {
		t.Fatalf("expired token: %d %v %v", status, hdr, body)
	}
	// A tampered token is refused.
	if status, _, _ := g.get(deltaLink + "x"); status != http.StatusBadRequest {
		t.Errorf("tampered token: %d", status)
	}
	// Starting over gives the current content: 49 messages.
	fresh, _, _ := g.deltaRound(start, "Prefer", "odata.maxpagesize=100")
	if len(fresh) != 49 {
		t.Errorf("resync: %d messages", len(fresh))
	}
}

func TestGraphRBACForApplications(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	for _, path := range []string{
		"/users/bob@contoso.com/mailFolders",
		"/users/bob@contoso.com/mailFolders/inbox/messages/delta",
		"/users/bob@contoso.com/calendarView/delta?startDateTime=2026-11-01T00:00:00Z&endDateTime=2026-12-01T00:00:00Z",
		"/users/bob@contoso.com/contacts/delta",
	} {
		if status, _, body := g.get(path); status != http.StatusForbidden || graphCode(body) != "ErrorAccessDenied" {
			t.Errorf("%s: %d %v", path, status, body)
		}
	}
	g.mustGet("/users/carol@contoso.com/mailFolders/inbox/messages/delta")
	if status, _, body := g.get("/users/frank@contoso.com/mailFolders"); status != http.StatusNotFound || graphCode(body) != "MailboxNotEnabledForRESTAPI" {
		t.Errorf("frank: %d %v", status, body)
	}
	if status, _, body := g.get("/users/nobody@contoso.com/mailFolders"); status != http.StatusNotFound || graphCode(body) != "ErrorInvalidUser" {
		t.Errorf("unknown user: %d %v", status, body)
	}
	// Widening the scope to the sales group (bob is a member) lets the app read bob's
	// mailbox at once, with the same token.
	admin(t, s, "PUT", "/apps/"+exchangesim.ContosoAppClientID+"/scope", `{"scope":"sales@contoso.com"}`, http.StatusOK, nil)
	g.mustGet("/users/bob@contoso.com/mailFolders")
	// A group that does not hold a mailbox keeps it out.
	admin(t, s, "PUT", "/apps/"+exchangesim.ContosoAppClientID+"/scope", `{"scope":"hq-rooms@contoso.com"}`, http.StatusOK, nil)
	if status, _, _ := g.get("/users/bob@contoso.com/mailFolders"); status != http.StatusForbidden {
		t.Errorf("bob outside the room list scope: %d", status)
	}
	// An app without Mail.Read gets ErrorAccessDenied for every mailbox.
	admin(t, s, "PUT", "/apps/"+exchangesim.ContosoAppClientID+"/permissions", `{"permissions":["User.Read.All"]}`, http.StatusOK, nil)
	narrow := newGraph(t, s)
	if status, _, body := narrow.get("/users/room-atlas@contoso.com/mailFolders"); status != http.StatusForbidden || graphCode(body) != "ErrorAccessDenied" {
		t.Errorf("no Mail.Read: %d %v", status, body)
	}
	if status, _, body := narrow.get("/places/microsoft.graph.roomlist"); status != http.StatusForbidden {
		t.Errorf("no Place.Read.All: %d %v", status, body)
	}
}

func TestGraphCalendarViewDelta(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	now := testClock()
	wide := fmt.Sprintf("/users/alice@contoso.com/calendarView/delta?startDateTime=%s&endDateTime=%s",
		now.Add(-120*24*time.Hour).Format(time.RFC3339), now.Add(120*24*time.Hour).Format(time.RFC3339))
	all, _, _ := g.deltaRound(wide, "Prefer", "odata.maxpagesize=7")
	if len(all) != 20 {
		t.Fatalf("wide window: %d events", len(all))
	}
	for _, e := range all {
		start, _ := e["start"].(map[string]any)
		if e["@odata.type"] != "#microsoft.graph.event" || start["timeZone"] != "UTC" || e["subject"] == "" {
			t.Fatalf("event %v", e)
		}
	}
	narrowStart, narrowEnd := now, now.Add(30*24*time.Hour)
	narrow := fmt.Sprintf("/users/alice@contoso.com/calendarView/delta?startDateTime=%s&endDateTime=%s",
		narrowStart.Format(time.RFC3339), narrowEnd.Format(time.RFC3339))
	some, _, deltaLink := g.deltaRound(narrow)
	if len(some) >= 20 {
		t.Fatalf("narrow window: %d events", len(some))
	}
	for _, e := range some {
		a, _ := time.Parse("2006-01-02T15:04:05.0000000", e["start"].(map[string]any)["dateTime"].(string))
		b, _ := time.Parse("2006-01-02T15:04:05.0000000", e["end"].(map[string]any)["dateTime"].(string))
		if !a.Before(narrowEnd) || b.Before(narrowStart) {
			t.Errorf("event outside the window: %v", e)
		}
	}
	// An event created inside the window appears; one outside does not.
	admin(t, s, "POST", "/mailboxes/alice@contoso.com/items", `{"folder":"calendar","subject":"Inside","start":"+48h","end":"+49h"}`, http.StatusCreated, nil)
	admin(t, s, "POST", "/mailboxes/alice@contoso.com/items", `{"folder":"calendar","subject":"Outside","start":"+1440h","end":"+1441h"}`, http.StatusCreated, nil)
	changes, _, _ := g.deltaRound(deltaLink)
	if len(changes) != 1 || changes[0]["subject"] != "Inside" {
		t.Errorf("changes %v", changes)
	}
	if status, _, body := g.get("/users/alice@contoso.com/calendarView/delta"); status != http.StatusBadRequest || graphCode(body) != "ErrorInvalidParameter" {
		t.Errorf("no window: %d %v", status, body)
	}
}

func TestGraphContactsDelta(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	for _, path := range []string{"/users/dave@contoso.com/contacts/delta", "/users/dave@contoso.com/contactFolders/contacts/contacts/delta"} {
		contacts, _, _ := g.deltaRound(path)
		if len(contacts) != 10 {
			t.Fatalf("%s: %d contacts", path, len(contacts))
		}
		c := contacts[0]
		emails, _ := c["emailAddresses"].([]any)
		if c["@odata.type"] != "#microsoft.graph.contact" || c["displayName"] == "" || len(emails) != 1 {
			t.Errorf("contact %v", c)
		}
	}
}

func TestGraphPlaces(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	lists := values(g.mustGet("/places/microsoft.graph.roomlist"))
	if len(lists) != 1 || lists[0]["emailAddress"] != "hq-rooms@contoso.com" || lists[0]["displayName"] != "HQ Rooms" {
		t.Fatalf("room lists %v", lists)
	}
	for _, path := range []string{
		"/places/hq-rooms@contoso.com/microsoft.graph.roomlist/rooms",
		"/places/" + lists[0]["id"].(string) + "/microsoft.graph.roomList/rooms",
		"/places/microsoft.graph.room",
	} {
		rooms := values(g.mustGet(path))
		var addrs []string
		for _, r := range rooms {
			addrs = append(addrs, r["emailAddress"].(string))
		}
		slices.Sort(addrs)
		if strings.Join(addrs, " ") != "room-atlas@contoso.com room-borealis@contoso.com room-cygnus@contoso.com" {
			t.Errorf("%s: %v", path, addrs)
		}
	}
	if status, _, _ := g.get("/places/sales@contoso.com/microsoft.graph.roomlist/rooms"); status != http.StatusNotFound {
		t.Errorf("rooms of a group that is no room list: %d", status)
	}
}

func TestGraphGetSchedule(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	now := testClock()
	req := map[string]any{
		"schedules":                []string{"room-atlas@contoso.com", "nobody@contoso.com", "alice@contoso.com"},
		"startTime":                map[string]string{"dateTime": now.Format("2006-01-02T15:04:05"), "timeZone": "UTC"},
		"endTime":                  map[string]string{"dateTime": now.Add(14 * 24 * time.Hour).Format("2006-01-02T15:04:05"), "timeZone": "UTC"},
		"availabilityViewInterval": 60,
	}
	status, _, body := g.do(http.MethodPost, "/users/alice@contoso.com/calendar/getSchedule", req)
	if status != http.StatusOK {
		t.Fatalf("getSchedule: %d %v", status, body)
	}
	got := values(body)
	if len(got) != 3 {
		t.Fatalf("%d schedules", len(got))
	}
	for _, i := range []int{0, 2} {
		view, _ := got[i]["availabilityView"].(string)
		items, _ := got[i]["scheduleItems"].([]any)
		if len(view) != 14*24 || strings.Trim(view, "01234") != "" {
			t.Errorf("%v: view %q", got[i]["scheduleId"], view)
		}
		busy := strings.Count(view, "1") + strings.Count(view, "2") + strings.Count(view, "3")
		if (len(items) == 0) != (busy == 0) {
			t.Errorf("%v: %d items but view %q", got[i]["scheduleId"], len(items), view)
		}
	}
	if e, _ := got[1]["error"].(map[string]any); e == nil || e["responseCode"] != "ErrorMailRecipientNotFound" {
		t.Errorf("unknown address: %v", got[1])
	}
	if status, _, _ := g.do(http.MethodPost, "/users/bob@contoso.com/calendar/getSchedule", req); status != http.StatusForbidden {
		t.Errorf("getSchedule as bob: %d", status)
	}
}

func TestGraphBatch(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	status, _, body := g.do(http.MethodPost, "/$batch", map[string]any{"requests": []map[string]any{
		{"id": "1", "method": "GET", "url": "/users/alice@contoso.com?$select=mail"},
		{"id": "2", "method": "GET", "url": "/users/bob@contoso.com/mailFolders"},
		{"id": "3", "method": "GET", "url": "/users/carol@contoso.com/mailFolders/inbox", "dependsOn": []string{"2"}},
		{"id": "4", "method": "GET", "url": "users/carol@contoso.com/mailFolders/inbox"},
		{"id": "5", "method": "POST", "url": "/users/alice@contoso.com/calendar/getSchedule", "headers": map[string]string{"Content-Type": "application/json"},
			"body": map[string]any{"schedules": []string{"alice@contoso.com"},
				"startTime": map[string]string{"dateTime": "2026-11-25T00:00:00", "timeZone": "Pacific Standard Time"},
				"endTime":   map[string]string{"dateTime": "2026-11-26T00:00:00", "timeZone": "Pacific Standard Time"}}},
	}})
	if status != http.StatusOK {
		t.Fatalf("batch: %d %v", status, body)
	}
	resps, _ := body["responses"].([]any)
	got := map[string]map[string]any{}
	for _, r := range resps {
		m := r.(map[string]any)
		got[m["id"].(string)] = m
	}
	want := map[string]float64{"1": 200, "2": 403, "3": 424, "4": 200, "5": 200}
	for id, st := range want {
		if got[id] == nil || got[id]["status"] != st {
			t.Errorf("request %s: %v, want status %v", id, got[id], st)
		}
	}
	if b, _ := got["1"]["body"].(map[string]any); b["mail"] != "alice@contoso.com" {
		t.Errorf("request 1 body %v", got["1"])
	}
	if b, _ := got["4"]["body"].(map[string]any); b["displayName"] != "Inbox" {
		t.Errorf("request 4 body %v", got["4"])
	}
	many := []map[string]any{}
	for i := range 21 {
		many = append(many, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/users"})
	}
	if status, _, body := g.do(http.MethodPost, "/$batch", map[string]any{"requests": many}); status != http.StatusBadRequest || graphCode(body) != "BadRequest" {
		t.Errorf("21 requests: %d %v", status, body)
	}
}

func TestGraphThrottling(t *testing.T) {
	t.Parallel()
	s, clock := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	admin(t, s, "PUT", "/graph/throttle", `{"requests":3,"window_seconds":600}`, http.StatusOK, nil)
	for i := range 3 {
		if status, _, body := g.get("/users/alice@contoso.com"); status != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, status, body)
		}
	}
	status, hdr, body := g.get("/users/alice@contoso.com")
	if status != http.StatusTooManyRequests || graphCode(body) != "TooManyRequests" || hdr.Get("Retry-After") != "600" {
		t.Fatalf("4th request: %d %q %v", status, hdr.Get("Retry-After"), body)
	}
	// Inside a batch, a throttled request answers 429 with its Retry-After.
	status, _, body = g.do(http.MethodPost, "/$batch", map[string]any{"requests": []map[string]any{{"id": "1", "method": "GET", "url": "/users"}}})
	r0, _ := body["responses"].([]any)
	if status != http.StatusOK || len(r0) != 1 || r0[0].(map[string]any)["status"] != float64(429) {
		t.Errorf("batch under throttling: %d %v", status, body)
	}
	clock.Advance(10 * time.Minute)
	if status, _, body := g.get("/users/alice@contoso.com"); status != http.StatusOK {
		t.Errorf("after the window: %d %v", status, body)
	}
	var st struct {
		Stats exchangesim.GraphThrottleStats `json:"stats"`
	}
	admin(t, s, "GET", "/graph/throttle", "", http.StatusOK, &st)
	if st.Stats.BudgetDenied != 2 {
		t.Errorf("stats %+v", st.Stats)
	}
}

func TestAdminApps(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	const id = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"
	const secret = "Fresh-Secret-Value-1"
	admin(t, s, "POST", "/apps", `{"clientId":"`+id+`","displayName":"new app","permissions":["Mail.Read"],"secrets":[{"value":"`+secret+`","expires":"+1d"}]}`, http.StatusCreated, nil)
	if status, body := requestToken(t, s, "contoso.com", id, secret, exchangesim.GraphResource+"/.default"); status != http.StatusBadRequest || body["error_codes"].([]any)[0] != float64(65001) {
		t.Fatalf("before consent: %d %v", status, body)
	}
	admin(t, s, "PUT", "/apps/"+id+"/consent", `{"granted":true}`, http.StatusOK, nil)
	if status, body := requestToken(t, s, "contoso.com", id, secret, exchangesim.GraphResource+"/.default"); status != http.StatusOK {
		t.Fatalf("after consent: %d %v", status, body)
	}
	if status, body := requestToken(t, s, "contoso.com", id, secret, exchangesim.ExchangeResource+"/.default"); status != http.StatusBadRequest || body["error_codes"].([]any)[0] != float64(650056) {
		t.Errorf("no Exchange permission: %d %v", status, body)
	}
	var raw json.RawMessage
	admin(t, s, "GET", "/apps/"+id, "", http.StatusOK, &raw)
	if strings.Contains(string(raw), secret) || !strings.Contains(string(raw), `"hint":"Fre"`) {
		t.Errorf("app as shown: %s", raw)
	}
	admin(t, s, "DELETE", "/apps/"+id, "", http.StatusNoContent, nil)
	if status, _ := requestToken(t, s, "contoso.com", id, secret, exchangesim.GraphResource+"/.default"); status != http.StatusBadRequest {
		t.Errorf("removed app: %d", status)
	}
	admin(t, s, "POST", "/apps", `{"clientId":"not-a-guid"}`, http.StatusBadRequest, nil)
	admin(t, s, "PUT", "/apps/"+id+"/consent", `{"granted":true}`, http.StatusNotFound, nil)
}

// TestExchangeOnlineEWS runs the EWS endpoint in Exchange Online mode: bearer tokens
// with full_access_as_app and impersonation, Basic and NTLM refused, the tenant's EWS
// switch honoured.
func TestExchangeOnlineEWS(t *testing.T) {
	t.Parallel()
	s, clock := startM365(t, exchangesim.Options{Microsoft365: exchangesim.Microsoft365Options{ExchangeOnline: true}})
	ewsTok := contosoToken(t, s, exchangesim.ExchangeResource)
	bearerAs := func(tok, target string) *ewsCaller {
		c := s.as(t, "", "", target)
		c.header = http.Header{"Authorization": {"Bearer " + tok}}
		return c
	}
	getInbox := &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}

	var resp ews.GetFolderResponse
	bearerAs(ewsTok, "alice@contoso.com").mustCall(ews.OpGetFolder, getInbox, &resp)
	if f := resp.ResponseMessages[0].Folders.Folders; len(f) != 1 || f[0].TotalCount == nil || *f[0].TotalCount != 50 {
		t.Fatalf("alice's inbox with a bearer token: %+v", resp.ResponseMessages[0])
	}
	// Outside the app's RBAC scope, and without an impersonation header: faults.
	err := bearerAs(ewsTok, "bob@contoso.com").call(ews.OpGetFolder, getInbox, &resp)
	if ews.Code(err) != ews.ErrorImpersonateUserDenied {
		t.Errorf("bob: %v", err)
	}
	err = bearerAs(ewsTok, "").call(ews.OpGetFolder, getInbox, &resp)
	if ews.Code(err) != ews.ErrorInvalidExchangeImpersonationHeaderData {
		t.Errorf("no impersonation header: %v", err)
	}

	// Basic (as the service account) and NTLM are refused with a Bearer challenge only.
	basic := s.svcAs(t, "alice@contoso.com")
	status, _ := basic.raw(ews.OpGetFolder, getInbox)
	if ch := basic.responseHeader().Values("WWW-Authenticate"); status != http.StatusUnauthorized || len(ch) != 1 || !strings.HasPrefix(ch[0], "Bearer ") {
		t.Errorf("Basic: %d %v", status, ch)
	}
	ntlm := s.as(t, "", "", "alice@contoso.com")
	ntlm.header = http.Header{"Authorization": {"NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=="}}
	status, _ = ntlm.raw(ews.OpGetFolder, getInbox)
	challenges := ntlm.responseHeader().Values("WWW-Authenticate")
	if status != http.StatusUnauthorized || len(challenges) != 1 || !strings.HasPrefix(challenges[0], "Bearer ") {
		t.Errorf("NTLM: %d %v", status, challenges)
	}
	// A Graph token is for another audience; a token without full_access_as_app has no
	// usable permission.
	graphTok := bearerAs(contosoToken(t, s, exchangesim.GraphResource), "alice@contoso.com")
	status, _ = graphTok.raw(ews.OpGetFolder, getInbox)
	if diag := graphTok.responseHeader().Get("x-ms-diagnostics"); status != http.StatusUnauthorized || !strings.HasPrefix(diag, "2000003;") {
		t.Errorf("Graph token: %d %q", status, diag)
	}
	// The tenant turns EWS off: 403 with the reason.
	admin(t, s, "PUT", "/tenant", `{"ews_enabled":false}`, http.StatusOK, nil)
	status, body := bearerAs(ewsTok, "alice@contoso.com").raw(ews.OpGetFolder, getInbox)
	if status != http.StatusForbidden || !strings.Contains(string(body), "EWSEnabled") {
		t.Errorf("EWS disabled: %d %s", status, body)
	}
	admin(t, s, "PUT", "/tenant", `{"ews_enabled":true}`, http.StatusOK, nil)
	bearerAs(ewsTok, "carol@contoso.com").mustCall(ews.OpGetFolder, getInbox, &resp)
	// An expired token is refused.
	clock.Advance(2 * time.Hour)
	expired := bearerAs(ewsTok, "carol@contoso.com")
	status, _ = expired.raw(ews.OpGetFolder, getInbox)
	if diag := expired.responseHeader().Get("x-ms-diagnostics"); status != http.StatusUnauthorized || !strings.Contains(diag, "expired") {
		t.Errorf("expired token: %d %q", status, diag)
	}
}

// TestGraphGenericClient drives the simulator as a client that knows only Microsoft's
// documentation would: over HTTPS to login.microsoftonline.com and graph.microsoft.com
// (mapped to the simulator), discovering the tenant ID from the domain, getting a token
// by the client credentials flow and following @odata.nextLink and @odata.deltaLink.
func TestGraphGenericClient(t *testing.T) {
	t.Parallel()
	sim, err := exchangesim.New(exchangesim.Options{Clock: testClock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := sim.Start(ctx, exchangesim.ListenConfig{Addr: "127.0.0.1:0", TLS: true, StateDir: t.TempDir(), MicrosoftHosts: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		srv.Shutdown(sctx)
	})
	ov, err := hostoverride.Parse(srv.ResolveSpecs())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CAPEM())
	dialer := &net.Dialer{}
	client := &http.Client{Transport: &http.Transport{
		DialContext:     ov.DialContext(dialer.DialContext),
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	getJSON := func(req *http.Request, out any) int {
		t.Helper()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s: %v", req.URL, err)
		}
		return resp.StatusCode
	}

	// 1. OpenID configuration by domain: the token endpoint carries the tenant ID.
	var oidc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	req, _ := http.NewRequest(http.MethodGet, "https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration", nil)
	if getJSON(req, &oidc) != http.StatusOK || oidc.TokenEndpoint != "https://login.microsoftonline.com/"+exchangesim.ContosoTenantID+"/oauth2/v2.0/token" {
		t.Fatalf("openid configuration %+v", oidc)
	}
	// 2. Client credentials, with the secret in the Authorization header
	// (client_secret_basic) as some OAuth libraries send it.
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}
	req, _ = http.NewRequest(http.MethodPost, oidc.TokenEndpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(exchangesim.ContosoAppClientID), url.QueryEscape(exchangesim.ContosoAppSecret))
	var tok struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	if getJSON(req, &tok) != http.StatusOK || tok.TokenType != "Bearer" || tok.AccessToken == "" {
		t.Fatalf("token %+v", tok)
	}
	get := func(u string, out any) int {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Prefer", "odata.maxpagesize=25")
		return getJSON(req, out)
	}
	// 3. Users, then a delta round over a Sales mailbox's Inbox.
	var users struct {
		Value []struct {
			ID   string `json:"id"`
			Mail string `json:"mail"`
		} `json:"value"`
	}
	if get("https://graph.microsoft.com/v1.0/users", &users) != http.StatusOK || len(users.Value) == 0 {
		t.Fatalf("users %+v", users)
	}
	var erin string
	for _, u := range users.Value {
		if u.Mail == "erin@contoso.com" {
			erin = u.ID
		}
	}
	link, n := "https://graph.microsoft.com/v1.0/users/"+erin+"/mailFolders/inbox/messages/delta", 0
	for link != "" {
		var page struct {
			Value []struct {
				ID      string `json:"id"`
				Subject string `json:"subject"`
			} `json:"value"`
			NextLink  string `json:"@odata.nextLink"`
			DeltaLink string `json:"@odata.deltaLink"`
		}
		if status := get(link, &page); status != http.StatusOK {
			t.Fatalf("%s: %d", link, status)
		}
		if !strings.HasPrefix(page.NextLink+page.DeltaLink, "https://graph.microsoft.com/v1.0/users/") {
			t.Fatalf("links %q %q", page.NextLink, page.DeltaLink)
		}
		n += len(page.Value)
		link = page.NextLink
	}
	if n != 50 {
		t.Errorf("erin's inbox: %d messages", n)
	}
	// bob is outside the app's scope.
	var gerr struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if status := get("https://graph.microsoft.com/v1.0/users/bob@contoso.com/mailFolders/inbox/messages/delta", &gerr); status != http.StatusForbidden || gerr.Error.Code != "ErrorAccessDenied" {
		t.Errorf("bob: %d %+v", status, gerr)
	}
}

// A generated world has a tenant whose app reads every mailbox through Graph: the same
// Inbox as EWS shows, through the delta query.
func TestGraphGeneratedWorld(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(2, 50, 1)})
	if s.Info().TenantID != exchangesim.GeneratedTenantID {
		t.Fatalf("tenant %q, want %q", s.Info().TenantID, exchangesim.GeneratedTenantID)
	}
	status, body := requestToken(t, s, "example.com", exchangesim.GeneratedAppClientID, exchangesim.GeneratedAppSecret, exchangesim.GraphResource+"/.default")
	tok, _ := body["access_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("token: %d %v", status, body)
	}
	g := &graph{t: t, base: s.GraphURL(), tok: tok}
	for _, user := range []string{"user00001@example.com", "user00002@example.com"} {
		page := g.mustGet("/users/"+user+"/mailFolders/inbox/messages/delta", "Prefer", "odata.maxpagesize=100")
		if n := len(page["value"].([]any)); n != 40 { // 80 % of 50
			t.Fatalf("%s: %d Inbox messages through Graph, want 40", user, n)
		}
	}
}
