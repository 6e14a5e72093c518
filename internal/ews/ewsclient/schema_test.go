package ewsclient_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// recorder keeps the body of every request sent through it.
type recorder struct {
	base   http.RoundTripper
	mu     sync.Mutex
	bodies map[string][]byte // by SOAPAction's operation
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			op := strings.Trim(req.Header.Get("SOAPAction"), `"`)
			op = op[strings.LastIndex(op, "/")+1:]
			r.mu.Lock()
			r.bodies[op] = b
			r.mu.Unlock()
		}
	}
	return r.base.RoundTrip(req)
}

// Every request the client writes, headers included, validates against Microsoft's
// schemas, in both the versions the client can ask for.
func TestRequestsValidate(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	for _, version := range []string{"Exchange2016", "Exchange2013_SP1"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{base: http.DefaultTransport.(*http.Transport).Clone(), bodies: map[string][]byte{}}
			c := tg.client(t, tg.basic(), ewsclient.Options{Transport: rec, ServerVersion: version})
			ctx := t.Context()
			const mb = "alice@contoso.com"
			inbox := ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}
			idOnly := ews.ItemShape{BaseShape: ews.ShapeIdOnly}
			item := ews.ItemRef(ews.ItemId{Id: "AAMkAGI2TG93AAA="})
			start := simClock()
			interval := 30
			// Errors do not matter here: only what was sent.
			c.GetFolder(ctx, mb, inboxReq())
			c.SyncFolderHierarchy(ctx, mb, &ews.SyncFolderHierarchyRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly}})
			c.SyncFolderItems(ctx, mb, syncInboxReq("", 10))
			c.GetItem(ctx, mb, &ews.GetItemRequest{ItemShape: idOnly, ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{item}}})
			c.FindItem(ctx, mb, &ews.FindItemRequest{Traversal: ews.TraversalShallow, ItemShape: idOnly,
				IndexedPageItemView: &ews.IndexedPageView{MaxEntriesReturned: 10, BasePoint: ews.BasePointBeginning}, ParentFolderIds: inbox})
			c.FindFolder(ctx, mb, &ews.FindFolderRequest{Traversal: ews.TraversalDeep, FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly}, ParentFolderIds: inbox})
			c.CreateItem(ctx, mb, &ews.CreateItemRequest{MessageDisposition: ews.SaveOnly,
				Items: ews.Items{Items: []ews.Item{{XMLName: xmlName(ews.KindMessage), Subject: "s"}}}})
			c.UpdateItem(ctx, mb, &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve, MessageDisposition: ews.SaveOnly,
				ItemChanges: []ews.ItemChange{{ItemId: &ews.ItemId{Id: item.Id}, Updates: ews.ItemUpdates{Updates: []ews.ItemUpdate{
					ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: xmlName(ews.KindMessage), Subject: "t"})}}}}})
			c.DeleteItem(ctx, mb, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{item}}})
			c.ResolveNames(ctx, mb, &ews.ResolveNamesRequest{UnresolvedEntries: []string{"alice"}})
			c.GetRoomLists(ctx, "")
			c.GetRooms(ctx, "", &ews.GetRoomsRequest{RoomList: ews.EmailAddress{EmailAddress: "hq-rooms@contoso.com"}})
			c.GetUserAvailability(ctx, mb, &ews.GetUserAvailabilityRequest{
				TimeZone: &ews.SerializableTimeZone{StandardTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOrder: 1, DayOfWeek: "Sunday"},
					DaylightTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOrder: 1, DayOfWeek: "Sunday"}},
				MailboxDataArray: []ews.MailboxData{{Email: ews.AvailabilityAddress{Address: mb}, AttendeeType: ews.AttendeeRequired}},
				FreeBusyViewOptions: &ews.FreeBusyViewOptions{TimeWindow: ews.TimeWindow{StartTime: ews.Local(start), EndTime: ews.Local(start.Add(24 * time.Hour))},
					MergedFreeBusyIntervalInMinutes: &interval, RequestedView: ews.ViewFreeBusy}})
			c.GetServerTimeZones(ctx, mb, &ews.GetServerTimeZonesRequest{Ids: []string{"W. Europe Standard Time"}})
			c.SendItem(ctx, mb, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{item}},
				SavedItemFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("sentitems")}}})
			c.ExpandDL(ctx, mb, &ews.ExpandDLRequest{Mailbox: ews.EmailAddress{EmailAddress: "sales@contoso.com"}})
			c.ConvertId(ctx, mb, &ews.ConvertIdRequest{DestinationFormat: ews.IdFormatHexEntryId,
				SourceIds: ews.AlternateIds{Ids: []ews.AlternateId{ews.NewAlternateId(ews.IdFormatEwsId, item.Id, mb)}}})
			c.Subscribe(ctx, mb, &ews.SubscribeRequest{Pull: &ews.PullSubscriptionRequest{FolderIds: &inbox, EventTypes: []string{ews.EventNewMail}, Timeout: 5}})
			c.GetEvents(ctx, mb, &ews.GetEventsRequest{SubscriptionId: "AAAA", Watermark: "AQAA"})
			c.Unsubscribe(ctx, mb, &ews.UnsubscribeRequest{SubscriptionId: "AAAA"})
			if s, err := c.StreamingEvents(ctx, mb, &ews.GetStreamingEventsRequest{SubscriptionIds: []string{"AAAA"}, ConnectionTimeout: 1}); err == nil {
				s.Close()
			}

			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.bodies) != 21 {
				t.Errorf("%d operations recorded, want 21", len(rec.bodies))
			}
			dir := t.TempDir()
			var paths []string
			for op, b := range rec.bodies {
				if !strings.Contains(string(b), `Version="`+version+`"`) {
					t.Errorf("%s: RequestServerVersion is not %s", op, version)
				}
				p := filepath.Join(dir, op+".xml")
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			ewsschema.ValidateFiles(t, ewsschema.Exchange2016, paths...)
			ewsschema.ValidateFiles(t, ewsschema.Primary, paths...)
		})
	}
}
