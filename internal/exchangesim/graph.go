package exchangesim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The simulator's Microsoft Graph: the v1.0 endpoints a mail sync needs, over the same
// World the EWS endpoint serves, so that one change is visible through both protocols.
// Ids are Exchange's REST ids: the EWS id with "/" and "+" made URL-safe ("-" and "_"),
// which is what Exchange Online's translateExchangeIds returns for restId.
//
// Every request needs a bearer token from the simulator's token endpoint for
// https://graph.microsoft.com; its "roles" claim decides what the app may do, and the
// app's RBAC for Applications scope which mailboxes it may read. Errors are Graph's
// JSON: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.

// GraphPrefix is where the simulator serves Microsoft Graph v1.0.
const GraphPrefix = "/v1.0/"

// Microsoft365Options configure the Microsoft 365 side of the simulator: Graph, the
// Entra ID token endpoint and the Exchange Online mode of EWS.
type Microsoft365Options struct {
	// ExchangeOnline makes the EWS endpoint behave as Exchange Online's: OAuth bearer
	// tokens only (Basic and NTLM are refused), tokens for https://outlook.office365.com
	// carrying full_access_as_app, an ExchangeImpersonation header on every request, and
	// the tenant's EWSEnabled switch.
	ExchangeOnline bool
	// TokenLifetime is the lifetime of issued access tokens; 0 means 3599 s, as Entra ID.
	TokenLifetime time.Duration
	// GraphThrottle limits Graph requests; the zero value limits nothing.
	GraphThrottle GraphThrottlePolicy
	// NotificationClient sends change notifications and validation requests to
	// subscribers' endpoints; nil means a client with Graph's 10-second timeout that
	// follows no redirects.
	NotificationClient *http.Client
}

// GraphThrottlePolicy models Graph's Outlook-service limits. Zero fields are off.
type GraphThrottlePolicy struct {
	// MailboxConcurrency is the number of requests an app may have in flight against one
	// mailbox (Exchange Online: 4). Excess requests get 429 ApplicationThrottled.
	MailboxConcurrency int `json:"mailbox_concurrency"`
	// Requests is the number of requests an app may make per Window (Exchange Online:
	// 10,000 per 10 minutes, per app and mailbox). Excess requests get 429 TooManyRequests
	// with Retry-After until the window ends.
	Requests int `json:"requests"`
	// WindowSeconds is the length of the request window; 0 means 600.
	WindowSeconds int `json:"window_seconds"`
}

// GraphThrottleStats counts what the Graph throttle did.
type GraphThrottleStats struct {
	Admitted          int64 `json:"admitted"`
	ConcurrencyDenied int64 `json:"concurrency_denied"`
	BudgetDenied      int64 `json:"budget_denied"`
}

type graphThrottle struct {
	now func() time.Time

	mu       sync.Mutex
	policy   GraphThrottlePolicy
	inFlight map[string]int
	windows  map[string]*graphWindow
	stats    GraphThrottleStats
}

type graphWindow struct {
	start time.Time
	count int
}

func newGraphThrottle(now func() time.Time, p GraphThrottlePolicy) *graphThrottle {
	return &graphThrottle{now: now, policy: p, inFlight: map[string]int{}, windows: map[string]*graphWindow{}}
}

func (t *graphThrottle) window() time.Duration {
	if t.policy.WindowSeconds > 0 {
		return time.Duration(t.policy.WindowSeconds) * time.Second
	}
	return 10 * time.Minute
}

// request charges one request to an app's budget; on refusal it returns how long to
// wait.
func (t *graphThrottle) request(app string) (retryAfter time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.policy.Requests <= 0 {
		t.stats.Admitted++
		return 0, true
	}
	now := t.now()
	win := t.windows[app]
	if win == nil || !now.Before(win.start.Add(t.window())) {
		win = &graphWindow{start: now}
		t.windows[app] = win
	}
	if win.count >= t.policy.Requests {
		t.stats.BudgetDenied++
		return win.start.Add(t.window()).Sub(now), false
	}
	win.count++
	t.stats.Admitted++
	return 0, true
}

// enter takes one of an app's concurrent slots on a mailbox.
func (t *graphThrottle) enter(app, mailbox string) (release func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.policy.MailboxConcurrency <= 0 {
		return func() {}, true
	}
	key := app + "\x00" + mailbox
	if t.inFlight[key] >= t.policy.MailboxConcurrency {
		t.stats.ConcurrencyDenied++
		return nil, false
	}
	t.inFlight[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.inFlight[key]--; t.inFlight[key] <= 0 {
				delete(t.inFlight, key)
			}
		})
	}, true
}

func (t *graphThrottle) set(p GraphThrottlePolicy) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.policy = p
	clear(t.windows)
}

func (t *graphThrottle) snapshot() (GraphThrottlePolicy, GraphThrottleStats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.policy, t.stats
}

// ---- errors ----

// graphErr is a Graph error answer.
type graphErr struct {
	status     int
	code, msg  string
	retryAfter time.Duration
	location   string
}

func (e *graphErr) Error() string { return e.code + ": " + e.msg }

func errAccessDenied() *graphErr {
	return &graphErr{status: http.StatusForbidden, code: "ErrorAccessDenied", msg: "Access is denied. Check credentials and try again."}
}

func errInsufficientPrivileges() *graphErr {
	return &graphErr{status: http.StatusForbidden, code: "Authorization_RequestDenied", msg: "Insufficient privileges to complete the operation."}
}

func errBadRequest(msg string) *graphErr {
	return &graphErr{status: http.StatusBadRequest, code: "BadRequest", msg: msg}
}

func errGraphNotFound(msg string) *graphErr {
	return &graphErr{status: http.StatusNotFound, code: "ResourceNotFound", msg: msg}
}

func (s *Simulator) writeGraphError(w http.ResponseWriter, r *http.Request, err error) {
	var ge *graphErr
	if !errors.As(err, &ge) {
		ge = &graphErr{status: http.StatusInternalServerError, code: "InternalServerError", msg: err.Error()}
	}
	reqID := randomGUID()
	clientID := r.Header.Get("client-request-id")
	if clientID == "" {
		clientID = reqID
	}
	h := w.Header()
	h.Set("request-id", reqID)
	h.Set("client-request-id", clientID)
	if ge.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((ge.retryAfter+time.Second-1)/time.Second)))
	}
	if ge.location != "" {
		h.Set("Location", ge.location)
	}
	if ge.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="`+graphAppID+`"`)
	}
	writeJSON(w, ge.status, map[string]any{"error": map[string]any{
		"code": ge.code, "message": ge.msg,
		"innerError": map[string]string{
			"date":              s.world.Now().Format("2006-01-02T15:04:05"),
			"request-id":        reqID,
			"client-request-id": clientID,
		},
	}})
}

// ---- authentication ----

type graphCallerKey struct{}

// graphCaller returns the validated token of the request.
func graphCaller(ctx context.Context) tokenClaims {
	c, _ := ctx.Value(graphCallerKey{}).(tokenClaims)
	return c
}

// bearer extracts a bearer token from the Authorization header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// graphAuthenticate validates the request's token as Graph does.
func (s *Simulator) graphAuthenticate(r *http.Request) (tokenClaims, error) {
	unauth := func(msg string) error {
		return &graphErr{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", msg: msg}
	}
	tok, ok := bearer(r)
	if !ok {
		return tokenClaims{}, unauth("Access token is empty.")
	}
	c, err := parseToken(s.tokenKey, tok, s.world.Now())
	switch {
	case errors.Is(err, errTokenExpired):
		return c, unauth("Lifetime validation failed, the token is expired.")
	case errors.Is(err, errTokenNotYet):
		return c, unauth("Lifetime validation failed, the token is not yet valid.")
	case err != nil:
		return c, unauth("Access token validation failure. Invalid audience.")
	case !c.audienceIs(GraphResource):
		return c, unauth("Access token validation failure. Invalid audience.")
	}
	if t, ok := s.world.Tenant(); !ok || t.ID != c.Tid {
		return c, unauth("Access token validation failure. Invalid issuer.")
	}
	if _, ok := s.world.App(c.AppID); !ok {
		return c, unauth("Access token validation failure. The application no longer exists.")
	}
	return c, nil
}

// ---- routing ----

// graphSegments are Graph's path keywords in canonical case: Graph matches them
// case-insensitively, the router exactly.
var graphSegments = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{"v1.0", "users", "mailFolders", "childFolders", "messages", "delta",
		"calendarView", "contacts", "contactFolders", "calendar", "getSchedule", "places",
		"microsoft.graph.roomlist", "microsoft.graph.room", "rooms", "$batch", "groups", "transitiveMembers", "subscriptions", "reauthorize"} {
		m[strings.ToLower(s)] = s
	}
	m["microsoft.graph.delta"] = "delta"
	m["microsoft.graph.getschedule"] = "getSchedule"
	return m
}()

// canonicalGraphPath rewrites the keywords of a Graph path in their canonical case.
func canonicalGraphPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if c, ok := graphSegments[strings.ToLower(s)]; ok {
			segs[i] = c
		}
	}
	return strings.Join(segs, "/")
}

// graphHandler serves /v1.0/…: authentication, the app's request budget, then the
// endpoint. $batch runs its requests through the same pipeline.
func (s *Simulator) graphHandler() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				s.writeGraphError(w, r, err)
			}
		})
	}
	handle("GET /v1.0/users", s.graphListUsers)
	handle("GET /v1.0/groups", s.graphListGroups)
	handle("GET /v1.0/groups/{group}/transitiveMembers", s.graphGroupMembers)
	handle("GET /v1.0/users/{user}", s.graphGetUser)
	handle("GET /v1.0/users/{user}/mailFolders", s.graphMailFolders)
	handle("GET /v1.0/users/{user}/mailFolders/delta", s.graphMailFoldersDelta)
	handle("GET /v1.0/users/{user}/mailFolders/{folder}", s.graphMailFolder)
	handle("GET /v1.0/users/{user}/mailFolders/{folder}/childFolders", s.graphChildFolders)
	handle("GET /v1.0/users/{user}/mailFolders/{folder}/messages/delta", s.graphMessagesDelta)
	handle("GET /v1.0/users/{user}/calendarView/delta", s.graphCalendarViewDelta)
	handle("GET /v1.0/users/{user}/contacts/delta", s.graphContactsDelta)
	handle("GET /v1.0/users/{user}/contactFolders/{folder}/contacts/delta", s.graphContactsDelta)
	handle("POST /v1.0/users/{user}/calendar/getSchedule", s.graphGetSchedule)
	handle("GET /v1.0/places/microsoft.graph.roomlist", s.graphRoomLists)
	handle("GET /v1.0/places/microsoft.graph.room", s.graphRooms)
	handle("GET /v1.0/places/{list}/microsoft.graph.roomlist/rooms", s.graphRooms)
	handle("POST /v1.0/subscriptions", s.graphCreateSubscription)
	handle("GET /v1.0/subscriptions", s.graphListSubscriptions)
	handle("GET /v1.0/subscriptions/{id}", s.graphGetSubscription)
	handle("PATCH /v1.0/subscriptions/{id}", s.graphUpdateSubscription)
	handle("DELETE /v1.0/subscriptions/{id}", s.graphDeleteSubscription)
	handle("POST /v1.0/subscriptions/{id}/reauthorize", s.graphReauthorizeSubscription)

	var serve http.HandlerFunc
	serve = func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path, r.URL.RawPath = canonicalGraphPath(r.URL.Path), ""
		c, err := s.graphAuthenticate(r)
		if err != nil {
			s.writeGraphError(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), graphCallerKey{}, c))
		if r.URL.Path == "/v1.0/$batch" {
			if r.Method != http.MethodPost {
				s.writeGraphError(w, r, &graphErr{status: http.StatusMethodNotAllowed, code: "BadRequest", msg: "$batch accepts POST only."})
				return
			}
			s.graphBatch(w, r, serve)
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			seg := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
			s.writeGraphError(w, r, errBadRequest(fmt.Sprintf("Resource not found for the segment '%s'.", seg)))
			return
		}
		if wait, ok := s.graphThrottle.request(c.AppID); !ok {
			s.writeGraphError(w, r, &graphErr{status: http.StatusTooManyRequests, code: "TooManyRequests",
				msg: "Too many requests from this application. Retry after the interval in the Retry-After header.", retryAfter: max(wait, time.Second)})
			return
		}
		w.Header().Set("request-id", randomGUID())
		mux.ServeHTTP(w, r)
	}
	return serve
}

// ---- helpers ----

// graphUserByKey finds a user by Entra object ID, UPN or any SMTP address.
func (s *Simulator) graphUserByKey(key string) (User, bool) {
	key = strings.TrimSpace(key)
	if validGUID(key) {
		id := normGUID(key)
		// Object IDs are HMACs of SIDs: remember which address each belongs to, so
		// that a lookup by id costs one HMAC, not one per user. The cached address is
		// checked again, as the user may have been removed and another added.
		if smtp, ok := s.userIDs.Load(id); ok {
			if u, ok := s.world.Directory().Lookup(smtp.(string)); ok && s.world.UserObjectID(u) == id {
				return u, true
			}
		}
		var found User
		ok := false
		for _, u := range s.world.Directory().Users() {
			uid := s.world.UserObjectID(u)
			s.userIDs.Store(uid, u.PrimarySMTP)
			if uid == id {
				found, ok = u, true
			}
		}
		return found, ok
	}
	if !strings.Contains(key, "@") {
		return User{}, false
	}
	return s.world.Directory().Lookup(key)
}

// graphMailbox authorizes mailbox access for the request's {user}: the token needs one of
// perms, the user a mailbox, the mailbox must be in the app's scope, and the app must
// have a free concurrent slot on it. release must be called when the request ends.
func (s *Simulator) graphMailbox(r *http.Request, perms ...string) (*Mailbox, func(), error) {
	c := graphCaller(r.Context())
	if !c.hasRole(perms...) {
		return nil, nil, errAccessDenied()
	}
	key := r.PathValue("user")
	u, ok := s.graphUserByKey(key)
	if !ok {
		return nil, nil, &graphErr{status: http.StatusNotFound, code: "ErrorInvalidUser", msg: fmt.Sprintf("The requested user '%s' is invalid.", key)}
	}
	if !u.HasMailbox {
		return nil, nil, &graphErr{status: http.StatusNotFound, code: "MailboxNotEnabledForRESTAPI", msg: "The mailbox is either inactive, soft-deleted, or is hosted on-premise."}
	}
	if !s.world.appMayAccess(c.AppID, u.PrimarySMTP) {
		return nil, nil, errAccessDenied()
	}
	release, ok := s.graphThrottle.enter(c.AppID, u.PrimarySMTP)
	if !ok {
		return nil, nil, &graphErr{status: http.StatusTooManyRequests, code: "ApplicationThrottled",
			msg: "Application is over its MailboxConcurrency limit.", retryAfter: time.Second}
	}
	mb, err := s.world.Mailbox(r.Context(), u.PrimarySMTP)
	if err != nil {
		release()
		return nil, nil, &graphErr{status: http.StatusNotFound, code: "MailboxNotEnabledForRESTAPI", msg: "The mailbox is either inactive, soft-deleted, or is hosted on-premise."}
	}
	return mb, release, nil
}

// GraphID returns the id Graph gives an item or folder of EWS id ewsID (its REST form),
// for tests that compare what was synced through Graph with the World.
func GraphID(ewsID string) string { return restID(ewsID) }

// restID converts an EWS id to Graph's REST form, and ewsID back.
func restID(ewsID string) string {
	return strings.NewReplacer("/", "-", "+", "_").Replace(ewsID)
}

func ewsID(rest string) string {
	return strings.NewReplacer("-", "/", "_", "+").Replace(rest)
}

// graphTime formats an instant as Graph's DateTimeOffset.
func graphTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// selectFields applies $select to an entity: id, @odata.type and @odata.etag always stay.
func selectFields(entity map[string]any, sel []string) map[string]any {
	if len(sel) == 0 {
		return entity
	}
	out := map[string]any{}
	for k, v := range entity {
		if k == "id" || strings.HasPrefix(k, "@odata.") {
			out[k] = v
		}
	}
	for _, f := range sel {
		for k, v := range entity {
			if strings.EqualFold(k, f) {
				out[k] = v
			}
		}
	}
	return out
}

func parseSelect(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// pageSize reads Prefer: odata.maxpagesize=N (or $top, for endpoints that take it),
// bounded by limit; def when neither is given. applied says whether the preference was
// honoured, for the Preference-Applied header.
func pageSize(r *http.Request, def, limit int) (n int, applied bool, err error) {
	n = def
	for _, pref := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(pref, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "odata.maxpagesize") {
				m, err := strconv.Atoi(strings.Trim(strings.TrimSpace(v), `"`))
				if err != nil || m < 1 {
					return 0, false, errBadRequest("The value of the odata.maxpagesize preference is invalid.")
				}
				n, applied = min(m, limit), true
			}
		}
	}
	if top := r.URL.Query().Get("$top"); top != "" {
		m, err := strconv.Atoi(top)
		if err != nil || m < 1 {
			return 0, false, errBadRequest(fmt.Sprintf("Invalid value '%s' for $top query option found.", top))
		}
		n = min(m, limit)
	}
	return n, applied, nil
}

// writeGraphJSON answers a Graph entity or collection.
func writeGraphJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
