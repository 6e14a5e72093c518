package ewsserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// dirBackend serves the directory, availability, id and notification operations with
// canned answers, and GetStreamingEvents with a scripted stream.
type dirBackend struct {
	testBackend
	// stream writes the GetStreamingEvents answer; nil writes one notification, one
	// keep-alive and the final Closed envelope.
	stream func(ctx context.Context, w *ewsserver.StreamWriter) error
}

func (b *dirBackend) ResolveNames(_ context.Context, _ *ewsserver.Call, req *ews.ResolveNamesRequest) (*ews.ResolveNamesResponse, error) {
	resp := &ews.ResolveNamesResponse{}
	for _, e := range req.UnresolvedEntries {
		resp.ResponseMessages = append(resp.ResponseMessages, ews.ResolveNamesResponseMessage{
			ResponseMessage: ews.Success(),
			ResolutionSet: &ews.ResolutionSet{TotalItemsInView: 1, IncludesLastItemInRange: true, Resolutions: []ews.Resolution{
				{Mailbox: ews.EmailAddress{Name: e, EmailAddress: e + "@example.com", RoutingType: "SMTP", MailboxType: "Mailbox"}},
			}},
		})
	}
	return resp, nil
}

func (b *dirBackend) GetRoomLists(context.Context, *ewsserver.Call, *ews.GetRoomListsRequest) (*ews.GetRoomListsResponse, error) {
	return &ews.GetRoomListsResponse{ResponseMessage: ews.Success(), RoomLists: &ews.EmailAddressList{}}, nil
}

func (b *dirBackend) GetRooms(context.Context, *ewsserver.Call, *ews.GetRoomsRequest) (*ews.GetRoomsResponse, error) {
	return &ews.GetRoomsResponse{ResponseMessage: ews.Failure(ews.ErrorNameResolutionNoResults, "No results were found.")}, nil
}

func (b *dirBackend) GetUserAvailability(_ context.Context, _ *ewsserver.Call, req *ews.GetUserAvailabilityRequest) (*ews.GetUserAvailabilityResponse, error) {
	resp := &ews.GetUserAvailabilityResponse{}
	for range req.MailboxDataArray {
		resp.FreeBusyResponses = append(resp.FreeBusyResponses, ews.FreeBusyResponse{
			ResponseMessage: ews.Success(),
			FreeBusyView:    &ews.FreeBusyView{FreeBusyViewType: ews.ViewDetailed, CalendarEventArray: &ews.CalendarEvents{}},
		})
	}
	return resp, nil
}

func (b *dirBackend) ExpandDL(context.Context, *ewsserver.Call, *ews.ExpandDLRequest) (*ews.ExpandDLResponse, error) {
	return &ews.ExpandDLResponse{ResponseMessages: []ews.ExpandDLResponseMessage{{
		ResponseMessage: ews.Success(), DLExpansion: &ews.DLExpansion{IncludesLastItemInRange: true},
	}}}, nil
}

func (b *dirBackend) ConvertId(_ context.Context, _ *ewsserver.Call, req *ews.ConvertIdRequest) (*ews.ConvertIdResponse, error) {
	resp := &ews.ConvertIdResponse{}
	for _, id := range req.SourceIds.Ids {
		if id.Id == "DUMMY" {
			resp.ResponseMessages = append(resp.ResponseMessages, ews.ConvertIdResponseMessage{
				ResponseMessage: ews.Failure(ews.ErrorInvalidIdMalformed, "Id is malformed.")})
			continue
		}
		resp.ResponseMessages = append(resp.ResponseMessages, ews.ConvertIdResponseMessage{
			ResponseMessage: ews.Success(), AlternateId: id.Converted(req.DestinationFormat)})
	}
	return resp, nil
}

func (b *dirBackend) Subscribe(_ context.Context, _ *ewsserver.Call, req *ews.SubscribeRequest) (*ews.SubscribeResponse, error) {
	m := ews.SubscribeResponseMessage{ResponseMessage: ews.Success(), SubscriptionId: "c3Vi"}
	if req.Streaming == nil {
		m.Watermark = "AQAAAA=="
	}
	return &ews.SubscribeResponse{ResponseMessages: []ews.SubscribeResponseMessage{m}}, nil
}

func (b *dirBackend) GetEvents(_ context.Context, _ *ewsserver.Call, req *ews.GetEventsRequest) (*ews.GetEventsResponse, error) {
	status := ews.NewEvent(ews.EventStatus)
	status.Watermark = req.Watermark
	return &ews.GetEventsResponse{ResponseMessages: []ews.GetEventsResponseMessage{{
		ResponseMessage: ews.Success(),
		Notification: &ews.Notification{SubscriptionId: req.SubscriptionId, PreviousWatermark: req.Watermark,
			MoreEvents: ews.Bool(false), Events: []ews.Event{status}},
	}}}, nil
}

func (b *dirBackend) Unsubscribe(context.Context, *ewsserver.Call, *ews.UnsubscribeRequest) (*ews.UnsubscribeResponse, error) {
	return &ews.UnsubscribeResponse{ResponseMessages: []ews.UnsubscribeResponseMessage{{ResponseMessage: ews.Success()}}}, nil
}

func (b *dirBackend) GetStreamingEvents(ctx context.Context, _ *ewsserver.Call, req *ews.GetStreamingEventsRequest, w *ewsserver.StreamWriter) error {
	if b.stream != nil {
		return b.stream(ctx, w)
	}
	name := ews.ResponseName(ews.OpGetStreamingEvents)
	created := ews.NewEvent(ews.EventCreated)
	created.Watermark = "AgAAAA=="
	created.ItemId = &ews.ItemId{Id: "AAMkAGI=", ChangeKey: "CQAAABYA"}
	created.ParentFolderId = &ews.FolderId{Id: "AAMkAGQ="}
	for _, env := range []*ews.GetStreamingEventsResponse{
		ews.StreamingEvents(ews.Notification{SubscriptionId: req.SubscriptionIds[0], Events: []ews.Event{created}}),
		ews.StreamingKeepAlive(),
		ews.StreamingClosed(),
	} {
		if err := w.Write(name, env); err != nil {
			return err
		}
	}
	return nil
}

// Every shared example request of these operations is served, and every answer but the
// streamed one validates against the Exchange 2016 schema.
func TestDirectoryOperations(t *testing.T) {
	h := ewsserver.New(&dirBackend{}, ewsserver.Options{})
	for _, op := range []string{ews.OpResolveNames, ews.OpGetRoomLists, ews.OpGetRooms, ews.OpGetUserAvailability, ews.OpExpandDL,
		ews.OpConvertId, ews.OpSubscribe, ews.OpGetEvents, ews.OpGetStreamingEvents, ews.OpUnsubscribe} {
		if !slices.Contains(h.Operations(), op) {
			t.Errorf("operation %s not registered", op)
		}
	}
	ts := serve(t, &dirBackend{})
	examples := []struct{ file, response string }{
		{"ResolveNames.request.xml", "ResolveNamesResponse"},
		{"GetRoomLists.request.xml", "GetRoomListsResponse"},
		{"GetRooms.request.xml", "GetRoomsResponse"},
		{"GetUserAvailability.request.xml", "GetUserAvailabilityResponse"},
		{"ConvertId.request.xml", "ConvertIdResponse"},
		{"Subscribe-Pull.request.xml", "SubscribeResponse"},
		{"Subscribe-Push.request.xml", "SubscribeResponse"},
		{"Subscribe-Streaming.request.xml", "SubscribeResponse"},
		{"GetEvents.request.xml", "GetEventsResponse"},
		{"Unsubscribe.request.xml", "UnsubscribeResponse"},
	}
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join(ewsschema.Dir(t), "examples", ex.file))
			if err != nil {
				t.Fatal(err)
			}
			resp, body := post(t, ts, "svc@example.com", string(doc))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if _, err := ews.DecodeResponse(bytes.NewReader(body), ex.response, &struct{}{}); err != nil {
				t.Fatal(err)
			}
			ewsschema.Validate(t, ewsschema.Exchange2016, ex.file, body)
		})
	}
}

// The requests exchangelib builds (../testdata/exchangelib) are served too, schema
// departures included.
func TestDirectoryOperationsExchangelib(t *testing.T) {
	ts := serve(t, &dirBackend{})
	files, err := filepath.Glob(filepath.Join("..", "testdata", "exchangelib", "*.request.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no exchangelib requests: %v", err)
	}
	for _, f := range files {
		op, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".request.xml"), "-")
		if op == ews.OpGetStreamingEvents {
			continue // streamed; see TestGetStreamingEventsStream
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			resp, body := post(t, ts, "svc@example.com", string(doc))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if _, err := ews.DecodeResponse(bytes.NewReader(body), ews.ResponseName(op), &struct{}{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// serve starts a handler over b on a real listener, authenticating as start does.
func serve(t *testing.T, b ewsserver.Backend) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(ewsserver.New(b, ewsserver.Options{
		Identify: func(r *http.Request) (string, bool) {
			u := r.Header.Get("X-Test-User")
			return u, u != ""
		},
	}))
	t.Cleanup(ts.Close)
	return ts
}

// envelopes splits a streamed answer into its complete envelopes. Exchange writes them
// without an XML declaration, as <Envelope …>…</Envelope>; a cut-off tail is dropped.
func envelopes(body []byte) [][]byte {
	const end = `</Envelope>`
	var out [][]byte
	rest := string(body)
	for {
		i := strings.Index(rest, end)
		if i < 0 {
			return out
		}
		out = append(out, []byte(rest[:i+len(end)]))
		rest = rest[i+len(end):]
	}
}

func TestGetStreamingEventsStream(t *testing.T) {
	ts := serve(t, &dirBackend{})
	doc := request("GetStreamingEvents", version2016, `<m:SubscriptionIds><t:SubscriptionId>JgBk</t:SubscriptionId></m:SubscriptionIds><m:ConnectionTimeout>1</m:ConnectionTimeout>`)
	resp, body := post(t, ts, "alice@example.com", doc)
	if resp.StatusCode != http.StatusOK || resp.ContentLength != -1 {
		t.Fatalf("status %d, length %d: %s", resp.StatusCode, resp.ContentLength, body)
	}
	envs := envelopes(body)
	if len(envs) != 3 {
		t.Fatalf("%d envelopes: %s", len(envs), body)
	}
	var statuses []string
	for i, env := range envs {
		var r ews.GetStreamingEventsResponse
		v, err := ews.DecodeResponse(bytes.NewReader(env), "GetStreamingEventsResponse", &r)
		if err != nil || v == nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
		m := r.ResponseMessages[0]
		statuses = append(statuses, m.ConnectionStatus)
		if i == 0 && (m.Notifications == nil || m.Notifications.Notifications[0].SubscriptionId != "JgBk" ||
			m.Notifications.Notifications[0].Events[0].Type() != ews.EventCreated) {
			t.Errorf("first envelope %+v", m)
		}
		if i > 0 {
			ewsschema.Validate(t, ewsschema.Exchange2016, "keep-alive or closed", env)
		}
	}
	if !slices.Equal(statuses, []string{ews.ConnectionOK, ews.ConnectionOK, ews.ConnectionClosed}) {
		t.Errorf("connection statuses %v", statuses)
	}
	if !strings.Contains(string(envs[0]), "<m:Notification>") {
		t.Errorf("notification not in the messages namespace: %s", envs[0])
	}
}

func TestGetStreamingEventsFailures(t *testing.T) {
	doc := request("GetStreamingEvents", version2016, `<m:SubscriptionIds><t:SubscriptionId>JgBk</t:SubscriptionId></m:SubscriptionIds><m:ConnectionTimeout>1</m:ConnectionTimeout>`)
	t.Run("before the first envelope: a fault", func(t *testing.T) {
		ts := serve(t, &dirBackend{stream: func(context.Context, *ewsserver.StreamWriter) error {
			return &ews.ResponseError{Code: ews.ErrorExceededConnectionCount, Message: "Too many concurrent connections.", Fault: true}
		}})
		resp, body := post(t, ts, "alice@example.com", doc)
		_, err := ews.DecodeResponse(bytes.NewReader(body), "GetStreamingEventsResponse", &ews.GetStreamingEventsResponse{})
		if resp.StatusCode != http.StatusInternalServerError || ews.Code(err) != ews.ErrorExceededConnectionCount {
			t.Fatalf("status %d, err %v", resp.StatusCode, err)
		}
	})
	t.Run("after an envelope: the response is cut short", func(t *testing.T) {
		ts := serve(t, &dirBackend{stream: func(_ context.Context, w *ewsserver.StreamWriter) error {
			if err := w.Write("GetStreamingEventsResponse", ews.StreamingKeepAlive()); err != nil {
				return err
			}
			return errors.New("store went away")
		}})
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/EWS/Exchange.asmx", strings.NewReader(doc))
		req.Header.Set("X-Test-User", "alice@example.com")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("stream ended cleanly: %s", body)
		}
		if n := len(envelopes(body)); n != 1 || strings.Contains(string(body), "Fault") {
			t.Errorf("got %d envelopes: %s", n, body)
		}
	})
}
