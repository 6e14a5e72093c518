package exchangesim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// waitLimit bounds every wait for something the server sends; no test sleeps.
const waitLimit = 10 * time.Second

// subClock is a clock tests move forward by hand.
type subClock struct {
	mu sync.Mutex
	t  time.Time
}

func newSubClock() *subClock { return &subClock{t: testClock()} }

func (c *subClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *subClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func inbox() *ews.FolderIds {
	return &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}
}

var allEvents = []string{ews.EventNewMail, ews.EventCreated, ews.EventDeleted, ews.EventModified, ews.EventMoved, ews.EventCopied}

// subscribe creates a subscription and fails the test unless it succeeds.
func subscribe(t testing.TB, c *ewsCaller, req *ews.SubscribeRequest) ews.SubscribeResponseMessage {
	t.Helper()
	m := trySubscribe(t, c, req)
	if err := m.Err(); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	if m.SubscriptionId == "" {
		t.Fatal("Subscribe: no SubscriptionId")
	}
	return m
}

func trySubscribe(t testing.TB, c *ewsCaller, req *ews.SubscribeRequest) ews.SubscribeResponseMessage {
	t.Helper()
	var resp ews.SubscribeResponse
	c.mustCall(ews.OpSubscribe, req, &resp)
	if len(resp.ResponseMessages) != 1 {
		t.Fatalf("Subscribe: %d messages", len(resp.ResponseMessages))
	}
	return resp.ResponseMessages[0]
}

func pullInbox(watermark string, timeout int) *ews.SubscribeRequest {
	return &ews.SubscribeRequest{Pull: &ews.PullSubscriptionRequest{FolderIds: inbox(), EventTypes: allEvents, Watermark: watermark, Timeout: timeout}}
}

func streamingInbox() *ews.SubscribeRequest {
	return &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{FolderIds: inbox(), EventTypes: allEvents}}
}

func getEvents(t testing.TB, c *ewsCaller, id, watermark string) ews.GetEventsResponseMessage {
	t.Helper()
	var resp ews.GetEventsResponse
	c.mustCall(ews.OpGetEvents, &ews.GetEventsRequest{SubscriptionId: id, Watermark: watermark}, &resp)
	if len(resp.ResponseMessages) != 1 {
		t.Fatalf("GetEvents: %d messages", len(resp.ResponseMessages))
	}
	return resp.ResponseMessages[0]
}

// mustEvents polls and returns the notification, failing on an error message.
func mustEvents(t testing.TB, c *ewsCaller, id, watermark string) *ews.Notification {
	t.Helper()
	m := getEvents(t, c, id, watermark)
	if err := m.Err(); err != nil {
		t.Fatalf("GetEvents: %v", err)
	}
	n := m.Notification
	if n == nil || n.SubscriptionId != id || n.PreviousWatermark != watermark || n.MoreEvents == nil || len(n.Events) == 0 {
		t.Fatalf("GetEvents notification %+v", n)
	}
	return n
}

func wantMessageCode(t testing.TB, what string, m *ews.ResponseMessage, code string) {
	t.Helper()
	if got := ews.Code(m.Err()); got != code {
		t.Fatalf("%s: code %q (%s), want %s", what, got, m.MessageText, code)
	}
}

func eventTypes(evs []ews.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type())
	}
	return out
}

// deliver sends a message to the recipients and returns the new item's id in the first
// recipient's Inbox.
func deliver(t testing.TB, s *simServer, subject string, to ...string) ews.ItemId {
	t.Helper()
	msg := ews.Item{XMLName: xml.Name{Local: ews.KindMessage}, Subject: subject,
		Body: &ews.Body{BodyType: "Text", Value: "body of " + subject}, ToRecipients: &ews.Recipients{}}
	for _, a := range to {
		msg.ToRecipients.Mailboxes = append(msg.ToRecipients.Mailboxes, ews.EmailAddress{EmailAddress: a})
	}
	ctx := context.Background()
	if _, err := s.Sim.World().Deliver(ctx, msg); err != nil {
		t.Fatal(err)
	}
	mb, err := s.Sim.World().Mailbox(ctx, to[0])
	if err != nil {
		t.Fatal(err)
	}
	page, err := mb.FindItems(exchangesim.FolderByName("inbox"), exchangesim.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.Subject == subject && it.ItemId != nil {
			return *it.ItemId
		}
	}
	t.Fatalf("%q not in %s's Inbox", subject, to[0])
	return ews.ItemId{}
}

func folderID(t testing.TB, s *simServer, owner, name string) string {
	t.Helper()
	mb, err := s.Sim.World().Mailbox(context.Background(), owner)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mb.Folder(exchangesim.FolderByName(name))
	if err != nil {
		t.Fatal(err)
	}
	return f.FolderId.Id
}

// checkItemEvent checks an item event's ids (and that watermarks are as expected).
func checkItemEvent(t testing.TB, e ews.Event, typ string, item ews.ItemId, parent string, withWatermark bool) {
	t.Helper()
	if e.Type() != typ || e.ItemId == nil || e.ItemId.Id != item.Id || e.ParentFolderId == nil || e.ParentFolderId.Id != parent ||
		e.TimeStamp.IsZero() || (e.Watermark != "") != withWatermark {
		t.Fatalf("event %+v, want %s of %s in %s (watermark %v)", e, typ, item.Id, parent, withWatermark)
	}
}

func TestPullSubscriptionInbox(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	svc := s.svcAs(t, "alice@contoso.com")
	sub := subscribe(t, svc, pullInbox("", 10))
	if sub.Watermark == "" {
		t.Fatal("pull subscription without a watermark")
	}
	all := subscribe(t, svc, &ews.SubscribeRequest{Pull: &ews.PullSubscriptionRequest{
		SubscribeToAllFolders: ews.Bool(true), EventTypes: []string{ews.EventCreated}, Timeout: 10}})

	// Nothing yet: a StatusEvent.
	n := mustEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	if len(n.Events) != 1 || n.Events[0].Type() != ews.EventStatus || n.Events[0].Watermark == "" || *n.MoreEvents {
		t.Fatalf("idle poll: %+v", n)
	}

	id := deliver(t, s, "pull 1", "alice@contoso.com", "carol@contoso.com")
	inboxID := folderID(t, s, "alice@contoso.com", "inbox")
	mb, _ := s.Sim.World().Mailbox(context.Background(), "alice@contoso.com")
	draft, err := mb.CreateItem(exchangesim.FolderByName("drafts"), ews.Item{XMLName: xml.Name{Local: ews.KindMessage}, Subject: "draft"})
	if err != nil {
		t.Fatal(err)
	}

	n = mustEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	if got := eventTypes(n.Events); strings.Join(got, ",") != "CreatedEvent,NewMailEvent" || *n.MoreEvents {
		t.Fatalf("events %v (more %v), want the delivery's Created and NewMail only", got, *n.MoreEvents)
	}
	checkItemEvent(t, n.Events[0], ews.EventCreated, id, inboxID, true)
	checkItemEvent(t, n.Events[1], ews.EventNewMail, id, inboxID, true)
	if n.Events[0].Watermark == n.Events[1].Watermark {
		t.Fatal("two events with one watermark")
	}

	// After the last event's watermark: nothing new, a StatusEvent.
	last := n.Events[1].Watermark
	n = mustEvents(t, svc, sub.SubscriptionId, last)
	if len(n.Events) != 1 || n.Events[0].Type() != ews.EventStatus {
		t.Fatalf("poll after the last event: %v", eventTypes(n.Events))
	}

	// The all-folders subscription sees the Inbox item and the draft, Created only.
	n = mustEvents(t, svc, all.SubscriptionId, all.Watermark)
	if got := eventTypes(n.Events); strings.Join(got, ",") != "CreatedEvent,CreatedEvent" {
		t.Fatalf("all folders: %v", got)
	}
	checkItemEvent(t, n.Events[1], ews.EventCreated, draft, folderID(t, s, "alice@contoso.com", "drafts"), true)

	// A watermark of another mailbox is not this subscription's.
	carol := subscribe(t, s.svcAs(t, "carol@contoso.com"), pullInbox("", 10))
	m := getEvents(t, svc, sub.SubscriptionId, carol.Watermark)
	wantMessageCode(t, "carol's watermark", &m.ResponseMessage, ews.ErrorInvalidWatermark)
}

func TestPullPagingAndReplay(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	svc := s.svcAs(t, "alice@contoso.com")
	sub := subscribe(t, svc, pullInbox("", 10))
	for i := range 30 {
		deliver(t, s, "page "+string(rune('A'+i)), "alice@contoso.com")
	}
	n := mustEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	if len(n.Events) != 50 || !*n.MoreEvents {
		t.Fatalf("first page: %d events, more %v; want 50, true", len(n.Events), *n.MoreEvents)
	}
	n2 := mustEvents(t, svc, sub.SubscriptionId, n.Events[49].Watermark)
	if len(n2.Events) != 10 || *n2.MoreEvents || n2.Events[0].Type() == ews.EventStatus {
		t.Fatalf("second page: %v, more %v", eventTypes(n2.Events), *n2.MoreEvents)
	}

	// Unsubscribe, miss a delivery, then resubscribe from an old watermark: the events
	// after it come back, including the one missed.
	var ur ews.UnsubscribeResponse
	svc.mustCall(ews.OpUnsubscribe, &ews.UnsubscribeRequest{SubscriptionId: sub.SubscriptionId}, &ur)
	if err := ur.ResponseMessages[0].Err(); err != nil {
		t.Fatal(err)
	}
	missed := deliver(t, s, "while away", "alice@contoso.com")
	from := n2.Events[7].Watermark // two deliveries (four events) before the end of page two
	again := subscribe(t, svc, pullInbox(from, 10))
	if again.Watermark != from {
		t.Errorf("resubscribed at %s, want %s", again.Watermark, from)
	}
	n3 := mustEvents(t, svc, again.SubscriptionId, again.Watermark)
	if len(n3.Events) != 4 || *n3.MoreEvents {
		t.Fatalf("replay: %v", eventTypes(n3.Events))
	}
	checkItemEvent(t, n3.Events[3], ews.EventNewMail, missed, folderID(t, s, "alice@contoso.com", "inbox"), true)

	for name, wm := range map[string]string{
		"garbage":         "AQAAAA==",
		"not base64":      "not a watermark",
		"other mailbox":   subscribe(t, s.svcAs(t, "dave@contoso.com"), pullInbox("", 10)).Watermark,
		"beyond the last": bumpWatermark(t, n3.Events[3].Watermark),
	} {
		m := trySubscribe(t, svc, pullInbox(wm, 10))
		wantMessageCode(t, "subscribe from "+name, &m.ResponseMessage, ews.ErrorInvalidWatermark)
	}
}

// bumpWatermark returns the watermark of the event after wm (a watermark the mailbox has
// not reached yet). It relies on the simulator's watermark layout; only tests do that.
func bumpWatermark(t testing.TB, wm string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(wm)
	if err != nil || len(b) < 21 {
		t.Fatalf("watermark %q", wm)
	}
	b[20]++
	return base64.StdEncoding.EncodeToString(b)
}

func TestPullEventLogWindow(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{EventLog: 4})
	svc := s.svcAs(t, "alice@contoso.com")
	sub := subscribe(t, svc, pullInbox("", 10))
	for i := range 3 {
		deliver(t, s, "flood "+string(rune('A'+i)), "alice@contoso.com")
	}
	// Six events, four kept: the subscription's watermark fell out of the log.
	m := getEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	wantMessageCode(t, "GetEvents behind the log", &m.ResponseMessage, "ErrorEventNotFound")
	m = getEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	wantMessageCode(t, "GetEvents after ErrorEventNotFound", &m.ResponseMessage, ews.ErrorSubscriptionNotFound)
	r := trySubscribe(t, svc, pullInbox(sub.Watermark, 10))
	wantMessageCode(t, "resubscribe behind the log", &r.ResponseMessage, ews.ErrorInvalidWatermark)
}

func TestPullExpiry(t *testing.T) {
	t.Parallel()
	clock := newSubClock()
	s := startSim(t, exchangesim.Options{Clock: clock.Now})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{MaxSubscriptions: 1})
	svc := s.svcAs(t, "alice@contoso.com")
	sub := subscribe(t, svc, pullInbox("", 2))

	clock.Advance(2 * time.Minute) // idle for exactly the timeout: still alive; polling resets it
	mustEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	clock.Advance(2 * time.Minute)
	mustEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	if got := s.Sim.SubscriptionStats().Subscriptions; got != 1 {
		t.Fatalf("%d live subscriptions, want 1", got)
	}

	clock.Advance(2*time.Minute + time.Second)
	// The expired subscription no longer counts against EWSMaxSubscriptions (of 1); the new
	// one does.
	subscribe(t, svc, pullInbox("", 2))
	over := trySubscribe(t, svc, pullInbox("", 2))
	wantMessageCode(t, "second subscription", &over.ResponseMessage, ews.ErrorExceededSubscriptionCount)
	m := getEvents(t, svc, sub.SubscriptionId, sub.Watermark)
	wantMessageCode(t, "GetEvents on an expired subscription", &m.ResponseMessage, ews.ErrorSubscriptionNotFound)

	// The same when the limit check itself finds the expired subscription (no periodic
	// sweep since it expired).
	clock.Advance(90 * time.Second)
	if got := s.Sim.SubscriptionStats().Subscriptions; got != 1 {
		t.Fatalf("%d live subscriptions, want 1", got)
	}
	clock.Advance(31 * time.Second)
	subscribe(t, svc, pullInbox("", 2))
	over = trySubscribe(t, svc, pullInbox("", 2))
	wantMessageCode(t, "after the purge", &over.ResponseMessage, ews.ErrorExceededSubscriptionCount)
}

func TestSubscriptionErrors(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	svc := s.svcAs(t, "alice@contoso.com")
	pull := subscribe(t, svc, pullInbox("", 10))
	streaming := subscribe(t, svc, streamingInbox())
	if streaming.Watermark != "" {
		t.Errorf("streaming subscription with a watermark")
	}
	gone := subscribe(t, svc, pullInbox("", 10))
	var ur ews.UnsubscribeResponse
	svc.mustCall(ews.OpUnsubscribe, &ews.UnsubscribeRequest{SubscriptionId: gone.SubscriptionId}, &ur)
	if err := ur.ResponseMessages[0].Err(); err != nil {
		t.Fatal(err)
	}
	bob := s.as(t, "bob@contoso.com", "User-Pass-2026!", "")
	carolAsSvc := s.svcAs(t, "carol@contoso.com")
	unknown := "JgBFWENIMDEuY29udG9zby5jb20QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

	getCases := []struct {
		name   string
		caller *ewsCaller
		id, wm string
		code   string
	}{
		{"unknown id", svc, unknown, pull.Watermark, ews.ErrorSubscriptionNotFound},
		{"not an id", svc, "nonsense", pull.Watermark, ews.ErrorSubscriptionNotFound},
		{"unsubscribed", svc, gone.SubscriptionId, gone.Watermark, ews.ErrorSubscriptionNotFound},
		{"another account", bob, pull.SubscriptionId, pull.Watermark, ews.ErrorSubscriptionAccessDenied},
		{"streaming id", svc, streaming.SubscriptionId, pull.Watermark, ews.ErrorInvalidPullSubscriptionId},
		{"empty watermark", svc, pull.SubscriptionId, "", ews.ErrorInvalidWatermark},
	}
	for _, c := range getCases {
		t.Run("GetEvents "+c.name, func(t *testing.T) {
			m := getEvents(t, c.caller, c.id, c.wm)
			wantMessageCode(t, c.name, &m.ResponseMessage, c.code)
		})
	}
	// The owner is the service account, whichever mailbox it impersonates now.
	mustEvents(t, carolAsSvc, pull.SubscriptionId, pull.Watermark)

	unsubCases := []struct {
		name   string
		caller *ewsCaller
		id     string
		code   string
	}{
		{"unknown id", svc, unknown, ews.ErrorSubscriptionNotFound},
		{"twice", svc, gone.SubscriptionId, ews.ErrorSubscriptionNotFound},
		{"another account", bob, pull.SubscriptionId, ews.ErrorSubscriptionAccessDenied},
	}
	for _, c := range unsubCases {
		t.Run("Unsubscribe "+c.name, func(t *testing.T) {
			var resp ews.UnsubscribeResponse
			c.caller.mustCall(ews.OpUnsubscribe, &ews.UnsubscribeRequest{SubscriptionId: c.id}, &resp)
			wantMessageCode(t, c.name, &resp.ResponseMessages[0].ResponseMessage, c.code)
		})
	}

	subCases := []struct {
		name string
		req  *ews.SubscribeRequest
		code string
	}{
		{"no folders", &ews.SubscribeRequest{Pull: &ews.PullSubscriptionRequest{EventTypes: allEvents, Timeout: 5}}, "ErrorInvalidSubscriptionRequest"},
		{"folders and all folders", &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{
			SubscribeToAllFolders: ews.Bool(true), FolderIds: inbox(), EventTypes: allEvents}}, "ErrorInvalidSubscriptionRequest"},
		{"another user's folder", &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{
			FolderIds: &ews.FolderIds{Ids: []ews.BaseFolderId{{XMLName: xml.Name{Local: "t:DistinguishedFolderId"}, Id: "inbox",
				Mailbox: &ews.EmailAddress{EmailAddress: "carol@contoso.com"}}}}, EventTypes: allEvents}}, ews.ErrorSubscriptionDelegateAccessNotSupported},
		{"unknown folder", &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{
			FolderIds: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("nosuchfolder")}}, EventTypes: allEvents}}, "*"},
		{"push", &ews.SubscribeRequest{Push: &ews.PushSubscriptionRequest{FolderIds: inbox(), EventTypes: allEvents,
			StatusFrequency: 1, URL: "https://listener.example.com/ews"}}, "ErrorInvalidSubscriptionRequest"},
	}
	for _, c := range subCases {
		t.Run("Subscribe "+c.name, func(t *testing.T) {
			m := trySubscribe(t, svc, c.req)
			if c.code == "*" {
				if m.Err() == nil || m.SubscriptionId != "" {
					t.Fatalf("no error: %+v", m)
				}
				return
			}
			wantMessageCode(t, c.name, &m.ResponseMessage, c.code)
		})
	}

	faultCases := []struct {
		name   string
		caller *ewsCaller
		op     string
		req    any
		code   string
	}{
		{"impersonating bob", s.svcAs(t, "bob@contoso.com"), ews.OpSubscribe, pullInbox("", 10), ews.ErrorImpersonateUserDenied},
		{"timeout 0", svc, ews.OpSubscribe, pullInbox("", 0), ews.ErrorSchemaValidation},
		{"timeout 1441", svc, ews.OpSubscribe, pullInbox("", 1441), ews.ErrorSchemaValidation},
		{"status event", svc, ews.OpSubscribe, &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{
			FolderIds: inbox(), EventTypes: []string{ews.EventStatus}}}, ews.ErrorSchemaValidation},
		{"streaming timeout 31", svc, ews.OpGetStreamingEvents, &ews.GetStreamingEventsRequest{
			SubscriptionIds: []string{streaming.SubscriptionId}, ConnectionTimeout: 31}, ews.ErrorSchemaValidation},
		{"streaming as bob", s.svcAs(t, "bob@contoso.com"), ews.OpGetStreamingEvents, &ews.GetStreamingEventsRequest{
			SubscriptionIds: []string{streaming.SubscriptionId}, ConnectionTimeout: 1}, ews.ErrorImpersonateUserDenied},
	}
	for _, c := range faultCases {
		t.Run("fault "+c.name, func(t *testing.T) {
			var resp ews.SubscribeResponse
			err := c.caller.call(c.op, c.req, &resp)
			var re *ews.ResponseError
			if !errors.As(err, &re) || !re.Fault || re.Code != c.code {
				t.Fatalf("err %v, want fault %s", err, c.code)
			}
		})
	}
}

func TestSubscriptionLimit(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{MaxSubscriptions: 2})
	alice := s.svcAs(t, "alice@contoso.com")
	first := subscribe(t, alice, pullInbox("", 10))
	subscribe(t, alice, streamingInbox())
	m := trySubscribe(t, alice, pullInbox("", 10))
	wantMessageCode(t, "third subscription", &m.ResponseMessage, ews.ErrorExceededSubscriptionCount)
	// Impersonating carol charges carol's budget.
	subscribe(t, s.svcAs(t, "carol@contoso.com"), pullInbox("", 10))
	// Unsubscribing frees a place.
	var ur ews.UnsubscribeResponse
	alice.mustCall(ews.OpUnsubscribe, &ews.UnsubscribeRequest{SubscriptionId: first.SubscriptionId}, &ur)
	subscribe(t, alice, pullInbox("", 10))
	if got := s.Sim.SubscriptionStats().Subscriptions; got != 3 {
		t.Fatalf("%d subscriptions, want 3", got)
	}
}

// ---- streaming ----

// streamClient reads a GetStreamingEvents response envelope by envelope, as clients do:
// it cuts the chunked body after each end tag of an Envelope, whatever its prefix.
type streamClient struct {
	t       testing.TB
	status  int
	envs    chan ews.GetStreamingEventsResponse
	done    chan struct{}
	cancel  context.CancelFunc
	readErr error
}

var envelopeEnd = regexp.MustCompile(`</(?:[A-Za-z_][\w.-]*:)?Envelope\s*>`)

// openStream starts GetStreamingEvents for ids as c; the response is read in the
// background until it ends or the test does.
func openStream(t testing.TB, c *ewsCaller, client *http.Client, ids []string, timeout int) *streamClient {
	t.Helper()
	h := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"}}
	if c.impersonate != "" {
		h.ExchangeImpersonation = ews.Impersonate(c.impersonate)
	}
	var buf bytes.Buffer
	if err := ews.EncodeRequest(&buf, h, ews.OpGetStreamingEvents, &ews.GetStreamingEventsRequest{SubscriptionIds: ids, ConnectionTimeout: timeout}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, &buf)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.SetBasicAuth(c.user, c.pass)
	resp, err := client.Do(hr)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	sc := &streamClient{t: t, status: resp.StatusCode, envs: make(chan ews.GetStreamingEventsResponse, 64), done: make(chan struct{}), cancel: cancel}
	go sc.read(ctx, resp.Body)
	t.Cleanup(sc.close)
	return sc
}

func (sc *streamClient) read(ctx context.Context, body io.ReadCloser) {
	defer close(sc.done)
	defer close(sc.envs)
	defer body.Close()
	var pending []byte
	chunk := make([]byte, 4096)
	for {
		n, err := body.Read(chunk)
		pending = append(pending, chunk[:n]...)
		for {
			loc := envelopeEnd.FindIndex(pending)
			if loc == nil {
				break
			}
			doc := pending[:loc[1]]
			pending = pending[loc[1]:]
			var env ews.GetStreamingEventsResponse
			if _, derr := ews.DecodeResponse(bytes.NewReader(doc), ews.ResponseName(ews.OpGetStreamingEvents), &env); derr != nil {
				sc.readErr = derr
				return
			}
			select {
			case sc.envs <- env:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				sc.readErr = err
			} else if len(bytes.TrimSpace(pending)) > 0 {
				sc.readErr = errors.New("stream ended inside an envelope: " + string(pending))
			}
			return
		}
	}
}

// close abandons the stream, as a client that goes away, and waits for the reader.
func (sc *streamClient) close() {
	sc.cancel()
	<-sc.done
}

// next returns the next envelope's message, failing if none comes in time.
func (sc *streamClient) next() ews.GetStreamingEventsResponseMessage {
	sc.t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case env, ok := <-sc.envs:
		if !ok {
			sc.t.Fatalf("stream ended (%v), want another envelope", sc.readErr)
		}
		if len(env.ResponseMessages) != 1 {
			sc.t.Fatalf("envelope with %d messages", len(env.ResponseMessages))
		}
		return env.ResponseMessages[0]
	case <-timer.C:
		sc.t.Fatal("no envelope in time")
	}
	panic("unreachable")
}

func isKeepAlive(m *ews.GetStreamingEventsResponseMessage) bool {
	return m.ResponseClass == ews.ClassSuccess && m.Notifications == nil && m.ErrorSubscriptionIds == nil && m.ConnectionStatus == ews.ConnectionOK
}

// nextNews skips keep-alives and returns the next other message.
func (sc *streamClient) nextNews() ews.GetStreamingEventsResponseMessage {
	sc.t.Helper()
	for {
		if m := sc.next(); !isKeepAlive(&m) {
			return m
		}
	}
}

// wantEnd fails unless the response ends cleanly, with no envelope but keep-alives first.
func (sc *streamClient) wantEnd() {
	sc.t.Helper()
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		select {
		case env, ok := <-sc.envs:
			if !ok {
				if sc.readErr != nil {
					sc.t.Fatalf("stream read: %v", sc.readErr)
				}
				return
			}
			if m := env.ResponseMessages[0]; !isKeepAlive(&m) {
				sc.t.Fatalf("envelope %+v, want the end of the stream", m)
			}
		case <-timer.C:
			sc.t.Fatal("the stream did not end in time")
		}
	}
}

// wantClosed reads up to the final Closed envelope and the end of the response.
func (sc *streamClient) wantClosed() {
	sc.t.Helper()
	m := sc.nextNews()
	if m.ConnectionStatus != ews.ConnectionClosed || m.ResponseClass != ews.ClassSuccess || m.Notifications != nil {
		sc.t.Fatalf("message %+v, want Closed", m)
	}
	sc.wantEnd()
}

// drainToClosed reads whatever comes up to the final Closed envelope and the end.
func (sc *streamClient) drainToClosed() {
	sc.t.Helper()
	for {
		if m := sc.next(); m.ConnectionStatus == ews.ConnectionClosed {
			if m.ResponseClass != ews.ClassSuccess {
				sc.t.Fatalf("last message %+v", m)
			}
			sc.wantEnd()
			return
		}
	}
}

func wantStreamError(t testing.TB, m ews.GetStreamingEventsResponseMessage, code, status string, ids ...string) {
	t.Helper()
	wantMessageCode(t, "stream message", &m.ResponseMessage, code)
	var got []string
	if m.ErrorSubscriptionIds != nil {
		got = m.ErrorSubscriptionIds.Ids
	}
	if strings.Join(got, " ") != strings.Join(ids, " ") || m.ConnectionStatus != status {
		t.Fatalf("ErrorSubscriptionIds %v status %s, want %v %s", got, m.ConnectionStatus, ids, status)
	}
}

// testClient is an HTTP client of its own, so that its connections end with the test.
func testClient(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

func TestStreamingNotifications(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{KeepAlive: time.Hour})
	svc := s.svcAs(t, "alice@contoso.com")
	client := testClient(t)
	sub := subscribe(t, svc, streamingInbox())
	carolSub := subscribe(t, s.svcAs(t, "carol@contoso.com"), streamingInbox())

	// One connection for two mailboxes, opened impersonating a third (as the affinity
	// guidance says); the subscriptions belong to the service account.
	st := openStream(t, s.svcAs(t, "dave@contoso.com"), client, []string{sub.SubscriptionId, carolSub.SubscriptionId}, 30)
	if st.status != http.StatusOK {
		t.Fatalf("HTTP %d", st.status)
	}
	if m := st.next(); !isKeepAlive(&m) {
		t.Fatalf("first envelope %+v, want a keep-alive", m)
	}

	// Between a delivery's Created and NewMail events, give the stream every chance to
	// run: the two must still arrive together.
	remove := s.Sim.World().AddListener(func(e exchangesim.Event) {
		if e.Kind == exchangesim.EventCreated {
			for range 2000 {
				runtime.Gosched()
			}
		}
	})
	id := deliver(t, s, "streamed", "alice@contoso.com")
	remove()
	m := st.nextNews()
	if m.ResponseClass != ews.ClassSuccess || m.ConnectionStatus != ews.ConnectionOK || m.Notifications == nil || len(m.Notifications.Notifications) != 1 {
		t.Fatalf("message %+v, want one notification", m)
	}
	n := m.Notifications.Notifications[0]
	if n.SubscriptionId != sub.SubscriptionId || len(n.Events) != 2 {
		t.Fatalf("notification %+v, want alice's Created and NewMail together", n)
	}
	inboxID := folderID(t, s, "alice@contoso.com", "inbox")
	checkItemEvent(t, n.Events[0], ews.EventCreated, id, inboxID, false)
	checkItemEvent(t, n.Events[1], ews.EventNewMail, id, inboxID, false)

	// A delivery to both: one envelope per mailbox operation, each with its subscription.
	deliver(t, s, "to both", "carol@contoso.com", "alice@contoso.com")
	seen := map[string]int{}
	for len(seen) < 2 {
		m := st.nextNews()
		for _, n := range m.Notifications.Notifications {
			seen[n.SubscriptionId] += len(n.Events)
		}
	}
	if seen[sub.SubscriptionId] != 2 || seen[carolSub.SubscriptionId] != 2 {
		t.Fatalf("events per subscription %v", seen)
	}

	// Unsubscribing both ends the connection.
	for _, c := range []struct {
		caller *ewsCaller
		id     string
	}{{svc, sub.SubscriptionId}, {svc, carolSub.SubscriptionId}} {
		var ur ews.UnsubscribeResponse
		c.caller.mustCall(ews.OpUnsubscribe, &ews.UnsubscribeRequest{SubscriptionId: c.id}, &ur)
		if err := ur.ResponseMessages[0].Err(); err != nil {
			t.Fatal(err)
		}
	}
	st.wantClosed()
}

func TestStreamingKeepAliveAndTimeout(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	// One "minute" of ConnectionTimeout lasts 300ms; keep-alives every 10ms.
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{KeepAlive: 10 * time.Millisecond, ConnectionTimeoutUnit: 300 * time.Millisecond})
	svc := s.svcAs(t, "alice@contoso.com")
	sub := subscribe(t, svc, streamingInbox())
	st := openStream(t, svc, testClient(t), []string{sub.SubscriptionId}, 1)
	for range 3 {
		if m := st.next(); !isKeepAlive(&m) {
			t.Fatalf("envelope %+v, want a keep-alive", m)
		}
	}
	st.wantClosed()
	waitFor(t, "the connection to be released", func() bool { return s.Sim.SubscriptionStats().Streams == 0 })

	// The subscription outlives the connection; events in between wait for the next one.
	id := deliver(t, s, "between connections", "alice@contoso.com")
	st = openStream(t, svc, testClient(t), []string{sub.SubscriptionId}, 1)
	m := st.nextNews()
	if m.Notifications == nil || len(m.Notifications.Notifications) != 1 || len(m.Notifications.Notifications[0].Events) != 2 ||
		m.Notifications.Notifications[0].Events[0].ItemId.Id != id.Id {
		t.Fatalf("message %+v, want the delivery made between connections", m)
	}
	st.wantClosed()
}

func TestStreamingRefusals(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	svc := s.svcAs(t, "alice@contoso.com")
	client := testClient(t)
	good := subscribe(t, svc, streamingInbox())
	pull := subscribe(t, svc, pullInbox("", 10))
	unknown := "JgBFWENIMDEuY29udG9zby5jb20QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
	bob := s.as(t, "bob@contoso.com", "User-Pass-2026!", "")

	cases := []struct {
		name   string
		caller *ewsCaller
		ids    []string
		want   [][]string // per envelope: code, then ids
	}{
		{"unknown id among good ones", svc, []string{good.SubscriptionId, unknown},
			[][]string{{ews.ErrorSubscriptionNotFound, unknown}}},
		{"pull subscription", svc, []string{pull.SubscriptionId},
			[][]string{{ews.ErrorInvalidSubscription, pull.SubscriptionId}}},
		{"another account's", bob, []string{good.SubscriptionId, "junk"},
			[][]string{{ews.ErrorSubscriptionAccessDenied, good.SubscriptionId}, {ews.ErrorSubscriptionNotFound, "junk"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStream(t, c.caller, client, c.ids, 1)
			for _, w := range c.want {
				wantStreamError(t, st.next(), w[0], ews.ConnectionClosed, w[1:]...)
			}
			st.wantEnd()
		})
	}
	// The refused requests attached nothing: the good subscription still streams.
	st := openStream(t, svc, client, []string{good.SubscriptionId}, 1)
	if m := st.next(); !isKeepAlive(&m) {
		t.Fatalf("envelope %+v, want a keep-alive", m)
	}
}

func TestStreamingTakeover(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{KeepAlive: time.Hour})
	svc := s.svcAs(t, "alice@contoso.com")
	client := testClient(t)
	a := subscribe(t, svc, streamingInbox())
	b := subscribe(t, svc, streamingInbox())
	first := openStream(t, svc, client, []string{a.SubscriptionId, b.SubscriptionId}, 30)
	first.next()

	// A second connection takes a over; the first keeps b.
	second := openStream(t, svc, client, []string{a.SubscriptionId}, 30)
	second.next()
	wantStreamError(t, first.nextNews(), "ErrorNewEventStreamConnectionOpened", ews.ConnectionOK, a.SubscriptionId)
	deliver(t, s, "after takeover", "alice@contoso.com")
	for _, c := range []struct {
		st *streamClient
		id string
	}{{first, b.SubscriptionId}, {second, a.SubscriptionId}} {
		m := c.st.nextNews()
		if m.Notifications == nil || len(m.Notifications.Notifications) != 1 || m.Notifications.Notifications[0].SubscriptionId != c.id {
			t.Fatalf("message %+v, want a notification for %s only", m, c.id)
		}
	}

	// Taking b too leaves the first connection nothing: the takeover message is its last.
	third := openStream(t, svc, client, []string{b.SubscriptionId}, 30)
	third.next()
	wantStreamError(t, first.nextNews(), "ErrorNewEventStreamConnectionOpened", ews.ConnectionClosed, b.SubscriptionId)
	first.wantEnd()
}

func TestStreamingHangingConnectionLimit(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{HangingConnectionLimit: 2, KeepAlive: time.Hour})
	alice := s.svcAs(t, "alice@contoso.com")
	client := testClient(t)
	var streams []*streamClient
	for range 2 {
		sub := subscribe(t, alice, streamingInbox())
		st := openStream(t, alice, client, []string{sub.SubscriptionId}, 30)
		st.next()
		streams = append(streams, st)
	}
	extra := subscribe(t, alice, streamingInbox())
	st := openStream(t, alice, client, []string{extra.SubscriptionId}, 30)
	wantStreamError(t, st.next(), ews.ErrorExceededConnectionCount, ews.ConnectionClosed)
	st.wantEnd()

	// Impersonating carol charges carol's budget.
	carolSub := subscribe(t, s.svcAs(t, "carol@contoso.com"), streamingInbox())
	other := openStream(t, s.svcAs(t, "carol@contoso.com"), client, []string{carolSub.SubscriptionId}, 30)
	if m := other.next(); !isKeepAlive(&m) {
		t.Fatalf("carol's connection: %+v", m)
	}

	// A client that goes away frees its place.
	streams[0].close()
	waitFor(t, "the abandoned connection to be released", func() bool { return s.Sim.SubscriptionStats().Streams == 2 })
	st = openStream(t, alice, client, []string{extra.SubscriptionId}, 30)
	if m := st.next(); !isKeepAlive(&m) {
		t.Fatalf("after a place was freed: %+v", m)
	}
}

func TestStreamingMissedEvents(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{EventLog: 3, KeepAlive: time.Hour})
	svc := s.svcAs(t, "alice@contoso.com")
	sub := subscribe(t, svc, streamingInbox())
	for i := range 3 {
		deliver(t, s, "unread "+string(rune('A'+i)), "alice@contoso.com")
	}
	st := openStream(t, svc, testClient(t), []string{sub.SubscriptionId}, 30)
	wantStreamError(t, st.nextNews(), ews.ErrorMissedNotificationEvents, ews.ConnectionOK, sub.SubscriptionId)
	// The subscription carries on.
	id := deliver(t, s, "after the gap", "alice@contoso.com")
	m := st.nextNews()
	if m.Notifications == nil || len(m.Notifications.Notifications[0].Events) != 2 || m.Notifications.Notifications[0].Events[0].ItemId.Id != id.Id {
		t.Fatalf("message %+v, want the new delivery", m)
	}
}

func TestStreamingExpiry(t *testing.T) {
	t.Parallel()
	clock := newSubClock()
	s := startSim(t, exchangesim.Options{Clock: clock.Now})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{KeepAlive: time.Hour})
	svc := s.svcAs(t, "alice@contoso.com")
	client := testClient(t)
	kept := subscribe(t, svc, streamingInbox())
	idle := subscribe(t, svc, streamingInbox())
	st := openStream(t, svc, client, []string{kept.SubscriptionId}, 30)
	st.next()
	// An open connection keeps its subscription alive; one without expires.
	clock.Advance(31 * time.Minute)
	if got := s.Sim.SubscriptionStats().Subscriptions; got != 1 {
		t.Fatalf("%d subscriptions, want 1", got)
	}
	st2 := openStream(t, svc, client, []string{idle.SubscriptionId}, 30)
	wantStreamError(t, st2.next(), ews.ErrorSubscriptionNotFound, ews.ConnectionClosed, idle.SubscriptionId)
	st2.wantEnd()
}

func TestStreamingEndsOnShutdown(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{KeepAlive: time.Hour})
	svc := s.svcAs(t, "alice@contoso.com")
	sub := subscribe(t, svc, streamingInbox())
	st := openStream(t, svc, testClient(t), []string{sub.SubscriptionId}, 30)
	st.next()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an open stream: %v", err)
	}
	st.wantClosed()
}

// TestStreamingNoGoroutineLeak is not parallel: it counts the process's goroutines.
func TestStreamingNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		s := startSim(t, exchangesim.Options{})
		s.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{KeepAlive: 5 * time.Millisecond, ConnectionTimeoutUnit: 50 * time.Millisecond})
		svc := s.svcAs(t, "alice@contoso.com")
		client := testClient(t)
		var ids []string
		for range 3 {
			ids = append(ids, subscribe(t, svc, streamingInbox()).SubscriptionId)
		}
		timedOut := openStream(t, svc, client, ids[:1], 1)
		abandoned := openStream(t, svc, client, ids[1:2], 30)
		open := openStream(t, svc, client, ids[2:], 30)
		deliver(t, s, "leak check", "alice@contoso.com")
		timedOut.drainToClosed()
		abandoned.next()
		abandoned.close()
		open.next()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		open.drainToClosed()
		client.Transport.(*http.Transport).CloseIdleConnections()
	}()
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}
