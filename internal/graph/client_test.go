package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/graph"
)

func TestUsersAndFolders(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	c := f.client(t, graph.Options{})
	ctx := context.Background()
	users, err := c.ListUsers(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 || users[2].UserPrincipalName != "carol@contoso.com" || *users[2].AccountEnabled {
		t.Errorf("users across two pages: %+v", users)
	}
	u, err := c.GetUser(ctx, "alice@contoso.com")
	if err != nil || u.ID != "u1" {
		t.Errorf("GetUser: %+v, %v", u, err)
	}
	folders, err := c.AllMailFolders(ctx, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fo := range folders {
		names = append(names, fo.DisplayName)
	}
	if got := strings.Join(names, ","); got != "Inbox,Sent Items,Projects,Receipts,Apollo" {
		t.Errorf("folders: %s", got)
	}
}

func TestErrorHelpers(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	c := f.client(t, graph.Options{})
	cases := []struct {
		user                                    string
		denied, notFound, notEnabled, throttled bool
		code                                    string
	}{
		{user: "bob@contoso.com", denied: true, code: "ErrorAccessDenied"},
		{user: "nobody@contoso.com", notFound: true, code: "Request_ResourceNotFound"},
		{user: "dave@contoso.com", notFound: true, notEnabled: true, code: "MailboxNotEnabledForRESTAPI"},
	}
	for _, tc := range cases {
		_, err := c.GetUser(context.Background(), tc.user)
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.Code != tc.code || ge.RequestID == "" {
			t.Errorf("%s: %v, want a *graph.Error %s with its request id", tc.user, err, tc.code)
			continue
		}
		if graph.IsAccessDenied(err) != tc.denied || graph.IsNotFound(err) != tc.notFound ||
			graph.IsMailboxNotEnabledForRESTAPI(err) != tc.notEnabled || graph.IsThrottled(err) || graph.IsSyncStateNotFound(err) {
			t.Errorf("%s: helpers disagree with %v", tc.user, err)
		}
	}
	// Graph also answers an expired token with 400 syncStateNotFound (directory resources).
	e := &graph.Error{Status: 400, Code: "syncStateNotFound"}
	if !graph.IsSyncStateNotFound(fmt.Errorf("wrapped: %w", e)) {
		t.Error("400 syncStateNotFound is not IsSyncStateNotFound")
	}
	if !graph.IsSyncStateNotFound(&graph.Error{Status: 400, Code: "resyncRequired"}) {
		t.Error("resyncRequired is not IsSyncStateNotFound")
	}
}

func TestMessagesDeltaRound(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	received := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 5; i++ {
		f.put(fmt.Sprintf("AAMkMsg%d", i), map[string]any{"subject": fmt.Sprintf("Message %d", i), "isRead": false,
			"receivedDateTime": received.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
			"from":             map[string]any{"emailAddress": map[string]any{"name": "Pat", "address": "pat@fabrikam.example"}},
			"toRecipients":     []map[string]any{{"emailAddress": map[string]any{"name": "Alice", "address": "alice@contoso.com"}}},
			"bodyPreview":      "Hello"})
	}
	f.put("AAMkGone", map[string]any{"subject": "deleted before the first round"})
	f.put("AAMkGone", nil)
	c := f.client(t, graph.Options{PageSize: 2, ImmutableIDs: true})
	ctx := context.Background()

	// Initial round: three pages of at most two, then a deltaLink.
	var items []graph.Message
	link, pages := "", 0
	for {
		p, err := c.MessagesDelta(ctx, "alice@contoso.com", "AAMkInbox", link, graph.MessagesDeltaOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(p.Removed) != 0 {
			t.Errorf("initial round reports removals: %+v", p.Removed)
		}
		items = append(items, p.Items...)
		link = p.Link()
		if p.Last() {
			if p.DeltaLink == "" {
				t.Fatal("last page without a deltaLink")
			}
			break
		}
	}
	if pages != 3 || len(items) != 5 || items[0].Subject != "Message 1" || items[0].From.EmailAddress.Address != "pat@fabrikam.example" ||
		items[0].ReceivedDateTime == nil || !items[0].ReceivedDateTime.Equal(received.Add(time.Hour)) || items[0].ChangeKey == "" ||
		items[0].ParentFolderID != "AAMkInbox" || len(items[0].ToRecipients) != 1 {
		t.Fatalf("initial round: %d pages, items %+v", pages, items)
	}
	for range pages {
		if p := <-f.prefers; !strings.Contains(p, "odata.maxpagesize=2") || !strings.Contains(p, `IdType="ImmutableId"`) {
			t.Errorf("Prefer %q on a delta request, want the page size and immutable ids on every page", p)
		}
	}

	// Incremental round: one new, one read, one deleted.
	f.put("AAMkMsg6", map[string]any{"subject": "Message 6", "isRead": false})
	f.put("AAMkMsg2", map[string]any{"subject": "Message 2", "isRead": true})
	f.put("AAMkMsg3", nil)
	p, err := c.MessagesDelta(ctx, "alice@contoso.com", "AAMkInbox", link, graph.MessagesDeltaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.NextLink != "" {
		p2, err := c.MessagesDelta(ctx, "alice@contoso.com", "AAMkInbox", p.NextLink, graph.MessagesDeltaOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.Items, p.Removed, p.DeltaLink = append(p.Items, p2.Items...), append(p.Removed, p2.Removed...), p2.DeltaLink
	}
	if len(p.Items) != 2 || p.Items[0].ID != "AAMkMsg2" || !*p.Items[0].IsRead || p.Items[1].ID != "AAMkMsg6" {
		t.Errorf("incremental items: %+v", p.Items)
	}
	if len(p.Removed) != 1 || p.Removed[0] != (graph.Removal{ID: "AAMkMsg3", Reason: "deleted"}) {
		t.Errorf("incremental removals: %+v", p.Removed)
	}

	// Nothing changed: an empty page and a deltaLink again.
	p3, err := c.MessagesDelta(ctx, "alice@contoso.com", "AAMkInbox", p.DeltaLink, graph.MessagesDeltaOptions{})
	if err != nil || len(p3.Items)+len(p3.Removed) != 0 || p3.DeltaLink == "" {
		t.Errorf("quiet round: %+v, %v", p3, err)
	}

	// The delta token expires: 410, and the caller must resync.
	f.expire(strings.SplitN(p3.DeltaLink, "$deltatoken=", 2)[1])
	_, err = c.MessagesDelta(ctx, "alice@contoso.com", "AAMkInbox", p3.DeltaLink, graph.MessagesDeltaOptions{})
	if !graph.IsSyncStateNotFound(err) || graph.IsNotFound(err) {
		t.Errorf("expired delta link: %v, want IsSyncStateNotFound", err)
	}
}

func TestMessagesDeltaSinceFilter(t *testing.T) {
	t.Parallel()
	var query atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query.Store(r.URL.Query())
		writeJSON(w, map[string]any{"value": []any{}, "@odata.deltaLink": "http://" + r.Host + "/v1.0/x?$deltatoken=1"})
	}))
	defer srv.Close()
	c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL + "/v1.0"})
	_, err := c.MessagesDelta(context.Background(), "alice@contoso.com", "inbox", "",
		graph.MessagesDeltaOptions{Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	q := query.Load().(interface{ Get(string) string })
	if q.Get("$filter") != "receivedDateTime ge 2026-11-01T00:00:00Z" || !strings.Contains(q.Get("$select"), "changeKey") {
		t.Errorf("query %v", q)
	}
}

func TestCalendarContactsPlacesSchedule(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	c := f.client(t, graph.Options{})
	ctx := context.Background()
	ev, err := c.CalendarViewDelta(ctx, "alice@contoso.com", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Items) != 1 || ev.DeltaLink == "" {
		t.Fatalf("calendar view: %+v", ev)
	}
	e := ev.Items[0]
	start, err1 := e.Start.Time()
	end, err2 := e.End.Time()
	if err1 != nil || err2 != nil || !start.Equal(time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)) || end.Sub(start) != 90*time.Minute ||
		e.Organizer.EmailAddress.Address != "alice@contoso.com" || e.Location.DisplayName != "Conf Room Rainier" ||
		e.Attendees[0].Status.Response != "accepted" {
		t.Errorf("event: %+v", e)
	}
	ev2, err := c.CalendarViewDelta(ctx, "alice@contoso.com", time.Time{}, time.Time{}, ev.DeltaLink)
	if err != nil || len(ev2.Removed) != 1 || ev2.Removed[0].ID != "AAMkEv1" {
		t.Errorf("calendar view round 2: %+v, %v", ev2, err)
	}

	ct, err := c.ContactsDelta(ctx, "alice@contoso.com", "AAMkContacts", "")
	if err != nil || len(ct.Items) != 1 || len(ct.Removed) != 1 || ct.Items[0].EmailAddresses[0].Address != "pavelb@fabrikam.example" ||
		ct.Items[0].MobilePhone == "" {
		t.Errorf("contacts: %+v, %v", ct, err)
	}

	rooms, err := c.Rooms(ctx)
	if err != nil || len(rooms) != 1 || rooms[0].EmailAddress != "cf100@contoso.com" || *rooms[0].Capacity != 50 {
		t.Errorf("rooms: %+v, %v", rooms, err)
	}
	lists, err := c.RoomLists(ctx)
	if err != nil || len(lists) != 1 || lists[0].EmailAddress != "bldg1@contoso.com" {
		t.Errorf("room lists: %+v, %v", lists, err)
	}

	sched, err := c.GetSchedule(ctx, "alice@contoso.com", []string{"bob@contoso.com", "nobody@contoso.com"},
		time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC), time.Hour)
	if err != nil || len(sched) != 2 {
		t.Fatalf("getSchedule: %+v, %v", sched, err)
	}
	if sched[0].AvailabilityView != "0220" || sched[0].ScheduleItems[0].Status != "busy" || sched[1].Error == nil ||
		sched[1].Error.ResponseCode != "ErrorMailRecipientNotFound" {
		t.Errorf("getSchedule: %+v", sched)
	}
}

// recorder is an Observer.
type recorder struct {
	mu       sync.Mutex
	statuses []int
	waits    []time.Duration
	onWait   func()
}

func (r *recorder) Request(op string, status int, d time.Duration) {
	r.mu.Lock()
	r.statuses = append(r.statuses, status)
	r.mu.Unlock()
}

func (r *recorder) ThrottleWait(op string, d time.Duration) {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	if r.onWait != nil {
		r.onWait()
	}
}

// scripted answers each request with the next of its answers (the last one repeats).
func scripted(t *testing.T, answers ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		answers[min(i, len(answers)-1)](w)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func throttle(status int, retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		graphError(w, status, "TooManyRequests", "Application is over its MailboxConcurrency limit.")
	}
}

func okUser(w http.ResponseWriter) {
	writeJSON(w, map[string]any{"id": "u1", "userPrincipalName": "alice@contoso.com"})
}

func TestThrottledRequestsAreRetried(t *testing.T) {
	t.Parallel()
	srv, n := scripted(t, throttle(429, "1"), throttle(503, "0"), okUser)
	obs := &recorder{}
	c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL, Observer: obs})
	u, err := c.GetUser(context.Background(), "alice@contoso.com")
	if err != nil || u.ID != "u1" {
		t.Fatalf("GetUser after throttling: %+v, %v", u, err)
	}
	if n.Load() != 3 || fmt.Sprint(obs.statuses) != "[429 503 200]" || fmt.Sprint(obs.waits) != "[1s]" {
		t.Errorf("requests %d, statuses %v, waits %v; want 3, [429 503 200], [1s]", n.Load(), obs.statuses, obs.waits)
	}
}

func TestThrottlingGivesUp(t *testing.T) {
	t.Parallel()
	t.Run("retries exhausted", func(t *testing.T) {
		t.Parallel()
		srv, n := scripted(t, throttle(429, "0"))
		c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL, MaxRetries: 2})
		_, err := c.GetUser(context.Background(), "alice@contoso.com")
		var ge *graph.Error
		if !graph.IsThrottled(err) || !errors.As(err, &ge) || ge.Attempts != 3 || n.Load() != 3 {
			t.Errorf("error %v after %d requests, want IsThrottled after 3", err, n.Load())
		}
	})
	t.Run("wait longer than allowed", func(t *testing.T) {
		t.Parallel()
		srv, n := scripted(t, throttle(429, "600"))
		c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL, MaxRetryWait: time.Minute})
		_, err := c.GetUser(context.Background(), "alice@contoso.com")
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.RetryAfter != 10*time.Minute || n.Load() != 1 {
			t.Errorf("error %v after %d requests, want the 429 at once with its Retry-After", err, n.Load())
		}
	})
	t.Run("context ends while waiting", func(t *testing.T) {
		t.Parallel()
		srv, n := scripted(t, throttle(429, "60"))
		ctx, cancel := context.WithCancel(context.Background())
		obs := &recorder{onWait: cancel}
		c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL, Observer: obs})
		_, err := c.GetUser(ctx, "alice@contoso.com")
		if !errors.Is(err, context.Canceled) || !graph.IsThrottled(err) || n.Load() != 1 {
			t.Errorf("error %v after %d requests, want context.Canceled wrapping the 429", err, n.Load())
		}
	})
	t.Run("deadline before the wait ends", func(t *testing.T) {
		t.Parallel()
		srv, n := scripted(t, throttle(429, "60"))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL})
		_, err := c.GetUser(ctx, "alice@contoso.com")
		if !graph.IsThrottled(err) || n.Load() != 1 {
			t.Errorf("error %v after %d requests, want the 429 at once", err, n.Load())
		}
	})
}

func TestPerMailboxConcurrency(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	inflight, maxInflight := map[string]int{}, map[string]int{}
	gates := map[string]chan struct{}{"alice@contoso.com": make(chan struct{}), "bob@contoso.com": make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mbox := strings.Split(r.URL.Path, "/")[2]
		mu.Lock()
		inflight[mbox]++
		maxInflight[mbox] = max(maxInflight[mbox], inflight[mbox])
		if inflight[mbox] == 4 {
			select {
			case <-gates[mbox]:
			default:
				close(gates[mbox]) // four in flight: let them all go
			}
		}
		mu.Unlock()
		<-gates[mbox]
		mu.Lock()
		inflight[mbox]--
		mu.Unlock()
		writeJSON(w, map[string]any{"id": "AAMkInbox", "displayName": "Inbox"})
	}))
	defer srv.Close()
	c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 24 {
		mbox := "alice@contoso.com"
		if i%2 == 1 {
			mbox = "bob@contoso.com"
		}
		wg.Go(func() {
			if _, err := c.MailFolder(ctx, mbox, "inbox"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if maxInflight["alice@contoso.com"] != 4 || maxInflight["bob@contoso.com"] != 4 {
		t.Errorf("most requests in flight per mailbox: %v, want 4 each", maxInflight)
	}
}

func TestBatch(t *testing.T) {
	t.Parallel()
	var got struct {
		Requests []graph.BatchRequest `json:"requests"`
	}
	srv, n := scripted(t, func(w http.ResponseWriter) {
		writeJSON(w, map[string]any{"responses": []map[string]any{
			{"id": "3", "status": 429, "headers": map[string]string{"Retry-After": "5", "Content-Type": "application/json"},
				"body": map[string]any{"error": map[string]any{"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency limit."}}},
			{"id": "1", "status": 200, "headers": map[string]string{"Content-Type": "application/json"},
				"body": map[string]any{"id": "AAMkMsg1", "subject": "Hello"}},
			{"id": "2", "status": 404, "headers": map[string]string{"Content-Type": "application/json"},
				"body": map[string]any{"error": map[string]any{"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}},
		}})
	})
	var body atomic.Value
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1.0/$batch" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "not a batch", 400)
			return
		}
		var b struct {
			Requests []graph.BatchRequest `json:"requests"`
		}
		json.NewDecoder(r.Body).Decode(&b)
		body.Store(b)
		inner.ServeHTTP(w, r)
	})
	c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL + "/v1.0"})
	reqs := []graph.BatchRequest{
		{Method: "GET", URL: "/users/alice@contoso.com/messages/AAMkMsg1?$select=id,subject"},
		{Method: "GET", URL: "/users/alice@contoso.com/messages/AAMkMsg2"},
		{Method: "GET", URL: "/users/alice@contoso.com/messages/AAMkMsg3"},
	}
	res, err := c.Batch(context.Background(), "alice@contoso.com", reqs)
	if err != nil {
		t.Fatal(err)
	}
	got = body.Load().(struct {
		Requests []graph.BatchRequest `json:"requests"`
	})
	if len(got.Requests) != 3 || got.Requests[0].ID != "1" || got.Requests[2].URL != reqs[2].URL {
		t.Errorf("sent %+v", got.Requests)
	}
	var m graph.Message
	if err := res["1"].Decode(&m); err != nil || m.Subject != "Hello" {
		t.Errorf("response 1: %+v, %v", m, err)
	}
	if err := res["2"].Err(time.Now()); !graph.IsNotFound(err) {
		t.Errorf("response 2: %v, want IsNotFound", err)
	}
	err = res["3"].Err(time.Now())
	var ge *graph.Error
	if !graph.IsThrottled(err) || !errors.As(err, &ge) || ge.RetryAfter != 5*time.Second {
		t.Errorf("response 3: %v, want IsThrottled with Retry-After 5s", err)
	}
	if _, err := c.Batch(context.Background(), "alice@contoso.com", make([]graph.BatchRequest, 21)); !errors.Is(err, graph.ErrBatchTooLarge) {
		t.Errorf("21 requests: %v, want ErrBatchTooLarge", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d batches sent, want 1", n.Load())
	}
}

func TestForeignLinksRefused(t *testing.T) {
	t.Parallel()
	var foreign atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Add(1)
		writeJSON(w, map[string]any{"value": []any{}})
	}))
	defer other.Close()
	srv, n := scripted(t, func(w http.ResponseWriter) {
		writeJSON(w, map[string]any{"value": []map[string]any{{"id": "u1"}},
			"@odata.nextLink": other.URL + "/v1.0/users?$skiptoken=x"})
	})
	c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL + "/v1.0"})
	if _, err := c.ListUsers(context.Background(), ""); !errors.Is(err, graph.ErrForeignLink) {
		t.Errorf("nextLink to another host: %v, want ErrForeignLink", err)
	}
	if _, err := c.MessagesDelta(context.Background(), "alice@contoso.com", "inbox", other.URL+"/v1.0/x?$deltatoken=1", graph.MessagesDeltaOptions{}); !errors.Is(err, graph.ErrForeignLink) {
		t.Errorf("deltaLink to another host: %v, want ErrForeignLink", err)
	}
	if foreign.Load() != 0 || n.Load() != 1 {
		t.Errorf("requests: %d to the other host, %d to Graph; want 0 and 1", foreign.Load(), n.Load())
	}
}

func TestOversizeResponseRefused(t *testing.T) {
	t.Parallel()
	big := `{"value":[{"id":"` + strings.Repeat("x", 8192) + `"}]}`
	for name, h := range map[string]http.HandlerFunc{
		"announced": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			w.Write([]byte(big))
		},
		"chunked": func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(big[:100]))
			w.(http.Flusher).Flush()
			w.Write([]byte(big[100:]))
		},
	} {
		srv := httptest.NewServer(h)
		defer srv.Close()
		c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL, MaxResponseBytes: 4096})
		if _, err := c.ListUsers(context.Background(), ""); !errors.Is(err, graph.ErrResponseTooLarge) {
			t.Errorf("%s: %v, want ErrResponseTooLarge", name, err)
		}
	}
}

func TestUnauthorizedRenewsTokenOnce(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	tokens := &staticTokens{tokens: []string{"expired-token-value", goodToken}}
	c, _ := graph.New(tokens, graph.Options{BaseURL: f.srv.URL + "/v1.0"})
	if _, err := c.GetUser(context.Background(), "alice@contoso.com"); err != nil || tokens.invalidated != 1 {
		t.Errorf("GetUser with an expired token: %v after %d invalidations, want success after 1", err, tokens.invalidated)
	}
	bad := &staticTokens{tokens: []string{"wrong-audience-token"}}
	c2, _ := graph.New(bad, graph.Options{BaseURL: f.srv.URL + "/v1.0"})
	before := f.requests.Load()
	_, err := c2.GetUser(context.Background(), "alice@contoso.com")
	if !graph.IsUnauthorized(err) || f.requests.Load()-before != 2 {
		t.Errorf("wrong token: %v after %d requests, want IsUnauthorized after 2", err, f.requests.Load()-before)
	}
	if strings.Contains(err.Error(), "wrong-audience-token") {
		t.Errorf("the token shows in %v", err)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	srv, _ := scripted(t, func(w http.ResponseWriter) {
		// An error page echoing the request's Authorization header.
		graphError(w, 400, "BadRequest", "Invalid header: Bearer "+goodToken)
	})
	c, _ := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL})
	_, err := c.GetUser(context.Background(), "alice@contoso.com")
	if err == nil || strings.Contains(err.Error(), goodToken) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %v: want the token redacted", err)
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	srv, n := scripted(t, okUser)
	c, err := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: srv.URL,
		Budget: &graph.Budget{Requests: 2, Per: time.Hour, Burst: 2}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 2 {
		if _, err := c.GetUser(ctx, "alice@contoso.com"); err != nil {
			t.Fatal(err)
		}
	}
	// The third would wait about half an hour for the budget: longer than the context.
	if _, err := c.GetUser(ctx, "alice@contoso.com"); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Errorf("third request: %v, want the budget's refusal", err)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests reached the server, want 2", n.Load())
	}
	// Graph counts per mailbox: another mailbox has a budget of its own.
	if _, err := c.MailFolder(ctx, "carol@contoso.com", "inbox"); err != nil && strings.Contains(err.Error(), "budget") {
		t.Errorf("another mailbox: %v", err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests reached the server, want 3", n.Load())
	}
}

func TestNewRefusesBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ftp://graph.example", "https://user:pw@graph.example", "https://graph.example/v1.0?x=1", "://"} {
		if _, err := graph.New(&staticTokens{tokens: []string{goodToken}}, graph.Options{BaseURL: u}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// WithPageSize sizes one caller's pages without touching the client it came from.
func TestWithPageSize(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	for i := 1; i <= 5; i++ {
		f.put(fmt.Sprintf("AAMkMsg%d", i), map[string]any{"subject": fmt.Sprintf("Message %d", i)})
	}
	c := f.client(t, graph.Options{PageSize: 2})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		client *graph.Client
		want   int
		prefer string
	}{
		{"sized", c.WithPageSize(4), 4, "odata.maxpagesize=4"},
		{"zero keeps the client's", c.WithPageSize(0), 2, "odata.maxpagesize=2"},
		{"the original is untouched", c, 2, "odata.maxpagesize=2"},
	} {
		p, err := tc.client.MessagesDelta(ctx, "alice@contoso.com", "AAMkInbox", "", graph.MessagesDeltaOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := <-f.prefers; len(p.Items) != tc.want || !strings.Contains(got, tc.prefer) {
			t.Errorf("%s: %d items with Prefer %q, want %d with %s", tc.name, len(p.Items), got, tc.want, tc.prefer)
		}
	}
}
