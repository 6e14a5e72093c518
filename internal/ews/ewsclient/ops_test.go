package ewsclient_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// now is the target's time: the simulator's fixed clock, or the real one.
func (tg *target) now() time.Time {
	if tg.Sim != nil {
		return simClock()
	}
	return time.Now()
}

// skipUnsupported skips a test whose operation the target does not serve yet (the
// simulator answers an unknown operation with an ErrorInvalidRequest fault saying so).
func skipUnsupported(t *testing.T, err error) {
	t.Helper()
	var re *ews.ResponseError
	if errors.As(err, &re) && re.Code == ews.ErrorInvalidRequest && strings.Contains(re.Message, "not supported") {
		t.Skipf("the server does not support the operation yet: %v", err)
	}
}

func syncInboxReq(state string, max int) *ews.SyncFolderItemsRequest {
	return &ews.SyncFolderItemsRequest{
		ItemShape:          ews.ItemShape{BaseShape: ews.ShapeIdOnly},
		SyncFolderId:       ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
		SyncState:          state,
		MaxChangesReturned: max,
	}
}

func TestGetFolderBatch(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.ntlm(), ewsclient.Options{})
	ids := []ews.BaseFolderId{ews.DistinguishedFolder("inbox"), ews.DistinguishedFolder("calendar"), ews.DistinguishedFolder("contacts")}
	resp, err := c.GetFolder(t.Context(), tg.Mailbox, &ews.GetFolderRequest{
		FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault}, FolderIds: ews.FolderIds{Ids: ids}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{ews.KindFolder, ews.KindCalendarFolder, ews.KindContactsFolder}
	if len(resp.ResponseMessages) != 3 {
		t.Fatalf("%d messages", len(resp.ResponseMessages))
	}
	for i, m := range resp.ResponseMessages {
		if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if f := m.Folders.Folders[0]; f.Kind() != kinds[i] || f.DisplayName == "" {
			t.Errorf("folder %d: %s %q", i, f.Kind(), f.DisplayName)
		}
	}
	if tg.Sim != nil {
		if n := resp.ResponseMessages[0].Folders.Folders[0].TotalCount; n == nil || *n != 50 {
			t.Errorf("Inbox TotalCount %v, want 50", n)
		}
	}
}

func TestSyncFolderHierarchy(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	req := &ews.SyncFolderHierarchyRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault}}
	resp, err := c.SyncFolderHierarchy(t.Context(), tg.Mailbox, req)
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.ResponseMessages[0]
	if m.SyncState == "" || m.Changes == nil || len(m.Changes.Changes) == 0 {
		t.Fatalf("first sync: state %q, changes %+v", m.SyncState, m.Changes)
	}
	names := map[string]bool{}
	for _, ch := range m.Changes.Changes {
		if ch.Kind() != ews.ChangeCreate {
			t.Errorf("first sync change %s", ch.Kind())
		}
		if ch.Folder != nil {
			names[ch.Folder.DisplayName] = true
		}
	}
	if !names["Inbox"] || !names["Calendar"] {
		t.Errorf("folders %v", names)
	}
	req.SyncState = m.SyncState
	resp, err = c.SyncFolderHierarchy(t.Context(), tg.Mailbox, req)
	if err != nil {
		t.Fatal(err)
	}
	if m := resp.ResponseMessages[0]; m.Changes != nil && len(m.Changes.Changes) != 0 && tg.Sim != nil {
		t.Errorf("second sync: %d changes", len(m.Changes.Changes))
	}
}

func TestSyncFolderItems(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.ntlm(), ewsclient.Options{})
	state, total, pages := "", 0, 0
	var ids []ews.BaseItemId
	for {
		resp, err := c.SyncFolderItems(t.Context(), tg.Mailbox, syncInboxReq(state, 20))
		skipUnsupported(t, err)
		if err != nil {
			t.Fatal(err)
		}
		m := resp.ResponseMessages[0]
		if m.SyncState == "" || m.IncludesLastItemInRange == nil {
			t.Fatalf("page %d: state %q, IncludesLastItemInRange %v", pages, m.SyncState, m.IncludesLastItemInRange)
		}
		pages++
		if m.Changes != nil {
			for _, ch := range m.Changes.Changes {
				total++
				if ch.Item != nil && ch.Item.ItemId != nil && len(ids) < 3 {
					ids = append(ids, ews.ItemRef(*ch.Item.ItemId))
				}
			}
		}
		state = m.SyncState
		if *m.IncludesLastItemInRange || pages > 100 {
			break
		}
	}
	if tg.Sim != nil && (total != 50 || pages != 3) {
		t.Errorf("%d changes in %d pages, want 50 in 3", total, pages)
	}
	if len(ids) == 0 {
		t.Fatal("no item ids")
	}

	// GetItem of the synced ids, plus a malformed id: the batch succeeds, the bad id's
	// message fails alone.
	req := &ews.GetItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeDefault},
		ItemIds: ews.ItemIds{Ids: append(ids, ews.ItemRef(ews.ItemId{Id: "not-an-id"}))}}
	resp, err := c.GetItem(t.Context(), tg.Mailbox, req)
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ResponseMessages) != len(ids)+1 {
		t.Fatalf("%d messages", len(resp.ResponseMessages))
	}
	for i, m := range resp.ResponseMessages[:len(ids)] {
		if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil || len(m.Items.Items) != 1 || m.Items.Items[0].Subject == "" {
			t.Errorf("item %d: %v %+v", i, err, m.Items)
		}
	}
	last := resp.ResponseMessages[len(ids)]
	if code := ews.Code(ewsclient.MessageErr(&last.ResponseMessage)); code != ews.ErrorInvalidIdMalformed {
		t.Errorf("malformed id: %q", code)
	}
}

// An error message of a single-message operation is the call's error.
func TestSyncFolderItemsInvalidState(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	_, err := c.SyncFolderItems(t.Context(), tg.Mailbox, syncInboxReq("H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvVK1+B0oQiAYBMk2JBAEOzBiM3mkuwdaUcjKasqgcplVmVdZhZAzO2dvPfee++999577733", 10))
	skipUnsupported(t, err)
	var re *ews.ResponseError
	if !errors.As(err, &re) || re.Code != ews.ErrorInvalidSyncStateData || re.Fault {
		t.Fatalf("err %v, want the ErrorInvalidSyncStateData message", err)
	}
}

func TestFindItem(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	resp, err := c.FindItem(t.Context(), tg.Mailbox, &ews.FindItemRequest{
		Traversal:           ews.TraversalShallow,
		ItemShape:           ews.ItemShape{BaseShape: ews.ShapeDefault},
		IndexedPageItemView: &ews.IndexedPageView{MaxEntriesReturned: 5, BasePoint: ews.BasePointBeginning},
		ParentFolderIds:     ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
	})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.ResponseMessages[0]
	if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
		t.Fatal(err)
	}
	if n := len(m.RootFolder.Items.Items); n > 5 || (tg.Sim != nil && (n != 5 || m.RootFolder.TotalItemsInView != 50 || m.RootFolder.IncludesLastItemInRange)) {
		t.Errorf("%d items of %d, last %v", n, m.RootFolder.TotalItemsInView, m.RootFolder.IncludesLastItemInRange)
	}

	now := tg.now()
	resp, err = c.FindItem(t.Context(), tg.Mailbox, &ews.FindItemRequest{
		Traversal:       ews.TraversalShallow,
		ItemShape:       ews.ItemShape{BaseShape: ews.ShapeDefault},
		CalendarView:    &ews.CalendarView{StartDate: ews.Date(now.AddDate(0, 0, -100)), EndDate: ews.Date(now.AddDate(0, 0, 100))},
		ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("calendar")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m = resp.ResponseMessages[0]
	if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
		t.Fatal(err)
	}
	for _, it := range m.RootFolder.Items.Items {
		if it.Kind() != ews.KindCalendarItem {
			t.Errorf("calendar view item %s", it.Kind())
		}
	}
	if tg.Sim != nil && len(m.RootFolder.Items.Items) < 20 {
		t.Errorf("%d calendar items, want at least 20", len(m.RootFolder.Items.Items))
	}
}

func TestFindFolder(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	resp, err := c.FindFolder(t.Context(), tg.Mailbox, &ews.FindFolderRequest{
		Traversal:       ews.TraversalDeep,
		FolderShape:     ews.FolderShape{BaseShape: ews.ShapeDefault},
		ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("msgfolderroot")}},
	})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.ResponseMessages[0]
	if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range m.RootFolder.Folders.Folders {
		found = found || f.DisplayName == "Inbox"
	}
	if !found {
		t.Errorf("no Inbox among %d folders", len(m.RootFolder.Folders.Folders))
	}
}

// CreateItem, UpdateItem, GetItem and DeleteItem on a draft of the suite's own.
func TestItemLifecycle(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.ntlm(), ewsclient.Options{})
	ctx := t.Context()
	subject := "mailbridge ewsclient test " + tg.now().Format(time.RFC3339Nano)
	created, err := c.CreateItem(ctx, tg.Mailbox, &ews.CreateItemRequest{
		MessageDisposition: ews.SaveOnly,
		SavedItemFolderId:  &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("drafts")}},
		Items: ews.Items{Items: []ews.Item{{XMLName: xmlName(ews.KindMessage), Subject: subject,
			Body:         &ews.Body{BodyType: "Text", Value: "hello"},
			ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: tg.Mailbox}}}}}},
	})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	cm := created.ResponseMessages[0]
	if err := ewsclient.MessageErr(&cm.ResponseMessage); err != nil || len(cm.Items.Items) != 1 || cm.Items.Items[0].ItemId == nil {
		t.Fatalf("create: %v %+v", err, cm.Items)
	}
	id := *cm.Items.Items[0].ItemId
	defer func() {
		resp, err := c.DeleteItem(ctx, tg.Mailbox, &ews.DeleteItemRequest{DeleteType: ews.HardDelete,
			ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: id.Id})}}})
		if err != nil {
			t.Fatalf("delete: %v", err)
		}
		if err := ewsclient.MessageErr(&resp.ResponseMessages[0].ResponseMessage); err != nil {
			t.Errorf("delete: %v", err)
		}
		got, err := c.GetItem(ctx, tg.Mailbox, &ews.GetItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly},
			ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: id.Id})}}})
		if err != nil {
			t.Fatal(err)
		}
		if code := ews.Code(ewsclient.MessageErr(&got.ResponseMessages[0].ResponseMessage)); code != ews.ErrorItemNotFound {
			t.Errorf("after delete: %q, want ErrorItemNotFound", code)
		}
	}()

	updated, err := c.UpdateItem(ctx, tg.Mailbox, &ews.UpdateItemRequest{
		ConflictResolution: ews.AlwaysOverwrite, MessageDisposition: ews.SaveOnly,
		ItemChanges: []ews.ItemChange{{ItemId: &id, Updates: ews.ItemUpdates{Updates: []ews.ItemUpdate{
			ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: xmlName(ews.KindMessage), Subject: subject + " (edited)"}),
		}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ewsclient.MessageErr(&updated.ResponseMessages[0].ResponseMessage); err != nil {
		t.Fatalf("update: %v", err)
	}
	got, err := c.GetItem(ctx, tg.Mailbox, &ews.GetItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeDefault},
		ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: id.Id})}}})
	if err != nil {
		t.Fatal(err)
	}
	if m := got.ResponseMessages[0]; ewsclient.MessageErr(&m.ResponseMessage) != nil || m.Items.Items[0].Subject != subject+" (edited)" {
		t.Errorf("after update: %+v", m)
	}
}

func TestResolveNames(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	resp, err := c.ResolveNames(t.Context(), tg.Mailbox, &ews.ResolveNamesRequest{
		SearchScope: ews.ScopeActiveDirectory, UnresolvedEntries: []string{tg.Mailbox}})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.ResponseMessages[0]
	if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
		t.Fatal(err)
	}
	if m.ResolutionSet == nil || len(m.ResolutionSet.Resolutions) == 0 ||
		!strings.EqualFold(m.ResolutionSet.Resolutions[0].Mailbox.EmailAddress, tg.Mailbox) {
		t.Errorf("resolutions %+v", m.ResolutionSet)
	}
}

func TestResolveNamesBatch(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	resp, err := c.ResolveNames(t.Context(), "alice@contoso.com", &ews.ResolveNamesRequest{
		SearchScope: ews.ScopeActiveDirectory, UnresolvedEntries: []string{"Bob Brown", "zzz-nobody"}})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ResponseMessages) != 2 {
		t.Fatalf("%d messages", len(resp.ResponseMessages))
	}
	if m := resp.ResponseMessages[0]; ewsclient.MessageErr(&m.ResponseMessage) != nil || m.ResolutionSet.Resolutions[0].Mailbox.EmailAddress != "bob@contoso.com" {
		t.Errorf("Bob Brown: %+v", m)
	}
	if code := ews.Code(ewsclient.MessageErr(&resp.ResponseMessages[1].ResponseMessage)); code != ews.ErrorNameResolutionNoResults {
		t.Errorf("zzz-nobody: %q", code)
	}
}

func TestRooms(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, tg.ntlm(), ewsclient.Options{})
	lists, err := c.GetRoomLists(t.Context(), "")
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if lists.RoomLists == nil || len(lists.RoomLists.Addresses) != 1 || lists.RoomLists.Addresses[0].EmailAddress != "hq-rooms@contoso.com" {
		t.Fatalf("room lists %+v", lists.RoomLists)
	}
	rooms, err := c.GetRooms(t.Context(), "", &ews.GetRoomsRequest{RoomList: ews.EmailAddress{EmailAddress: "hq-rooms@contoso.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if rooms.Rooms == nil || len(rooms.Rooms.Rooms) != 3 {
		t.Fatalf("rooms %+v", rooms.Rooms)
	}

	// svc-nombx has no mailbox: as itself, it cannot retrieve rooms (the seed's
	// warning), and the root's error is the call's error.
	nombx := tg.client(t, ewsclient.Basic("svc-nombx@contoso.com", "Svc-Pass-2026!"), ewsclient.Options{})
	_, err = nombx.GetRoomLists(t.Context(), "")
	if code := ews.Code(err); code != ews.ErrorNameResolutionNoMailbox {
		t.Errorf("svc-nombx: %v", err)
	}
}

func TestGetUserAvailability(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	start := simClock().Truncate(24 * time.Hour)
	interval := 30
	var data []ews.MailboxData
	for _, a := range []string{"alice@contoso.com", "room-atlas@contoso.com", "nobody@contoso.com"} {
		data = append(data, ews.MailboxData{Email: ews.AvailabilityAddress{Address: a}, AttendeeType: ews.AttendeeRequired})
	}
	resp, err := c.GetUserAvailability(t.Context(), "alice@contoso.com", &ews.GetUserAvailabilityRequest{
		TimeZone: &ews.SerializableTimeZone{StandardTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOrder: 1, Month: 0, DayOfWeek: "Sunday"},
			DaylightTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOrder: 1, Month: 0, DayOfWeek: "Sunday"}},
		MailboxDataArray: data,
		FreeBusyViewOptions: &ews.FreeBusyViewOptions{
			TimeWindow:                      ews.TimeWindow{StartTime: ews.Local(start), EndTime: ews.Local(start.AddDate(0, 0, 7))},
			MergedFreeBusyIntervalInMinutes: &interval,
			RequestedView:                   ews.ViewFreeBusyMerged,
		},
	})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.FreeBusyResponses) != 3 {
		t.Fatalf("%d responses", len(resp.FreeBusyResponses))
	}
	for i, r := range resp.FreeBusyResponses[:2] {
		if err := ewsclient.MessageErr(&r.ResponseMessage); err != nil || r.FreeBusyView == nil || len(r.FreeBusyView.MergedFreeBusy) != 7*48 {
			t.Errorf("mailbox %d: %v %+v", i, err, r.FreeBusyView)
		}
	}
	if err := ewsclient.MessageErr(&resp.FreeBusyResponses[2].ResponseMessage); err == nil {
		t.Errorf("nobody@contoso.com: no error")
	}
}

func TestExpandDL(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	resp, err := c.ExpandDL(t.Context(), "alice@contoso.com", &ews.ExpandDLRequest{Mailbox: ews.EmailAddress{EmailAddress: "sales@contoso.com"}})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if x := resp.ResponseMessages[0].DLExpansion; x == nil || len(x.Mailboxes) != 6 {
		t.Errorf("expansion %+v", x)
	}
	_, err = c.ExpandDL(t.Context(), "alice@contoso.com", &ews.ExpandDLRequest{Mailbox: ews.EmailAddress{EmailAddress: "no-such-list@contoso.com"}})
	var re *ews.ResponseError
	if !errors.As(err, &re) || re.Fault || re.Code == "" {
		t.Errorf("unknown list: %v", err)
	}
}

// ConvertId: exchangelib's DUMMY probe answers with an error message and the server's
// version; a real id converts.
func TestConvertId(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	resp, err := c.ConvertId(t.Context(), "", &ews.ConvertIdRequest{DestinationFormat: ews.IdFormatEntryId,
		SourceIds: ews.AlternateIds{Ids: []ews.AlternateId{ews.NewAlternateId(ews.IdFormatEwsId, "DUMMY", "DUMMY")}}})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ResponseMessages) != 1 || ewsclient.MessageErr(&resp.ResponseMessages[0].ResponseMessage) == nil {
		t.Errorf("DUMMY: %+v", resp.ResponseMessages)
	}
	if v := c.ServerVersion(); v == nil || v.MajorVersion != 15 {
		t.Errorf("ServerVersion %+v", v)
	}

	id := mustInbox(t, c, tg.Mailbox)
	resp, err = c.ConvertId(t.Context(), tg.Mailbox, &ews.ConvertIdRequest{DestinationFormat: ews.IdFormatHexEntryId,
		SourceIds: ews.AlternateIds{Ids: []ews.AlternateId{ews.NewAlternateId(ews.IdFormatEwsId, id, tg.Mailbox)}}})
	if err != nil {
		t.Fatal(err)
	}
	m := resp.ResponseMessages[0]
	if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil || m.AlternateId == nil || m.AlternateId.Format != ews.IdFormatHexEntryId || m.AlternateId.Id == "" {
		t.Errorf("convert: %v %+v", err, m.AlternateId)
	}
}

func TestPullSubscription(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	ctx := t.Context()
	sub, err := c.Subscribe(ctx, tg.Mailbox, &ews.SubscribeRequest{Pull: &ews.PullSubscriptionRequest{
		FolderIds:  &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
		EventTypes: []string{ews.EventCreated, ews.EventNewMail},
		Timeout:    10,
	}})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	sm := sub.ResponseMessages[0]
	if sm.SubscriptionId == "" || sm.Watermark == "" {
		t.Fatalf("subscription %+v", sm)
	}
	ev, err := c.GetEvents(ctx, tg.Mailbox, &ews.GetEventsRequest{SubscriptionId: sm.SubscriptionId, Watermark: sm.Watermark})
	if err != nil {
		t.Fatal(err)
	}
	n := ev.ResponseMessages[0].Notification
	if n == nil || n.SubscriptionId != sm.SubscriptionId || len(n.Events) == 0 {
		t.Errorf("notification %+v", n)
	}
	if _, err := c.Unsubscribe(ctx, tg.Mailbox, &ews.UnsubscribeRequest{SubscriptionId: sm.SubscriptionId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetEvents(ctx, tg.Mailbox, &ews.GetEventsRequest{SubscriptionId: sm.SubscriptionId, Watermark: sm.Watermark})
	var re *ews.ResponseError
	if !errors.As(err, &re) || re.Fault {
		t.Errorf("GetEvents after Unsubscribe: %v, want an error message", err)
	}
}
