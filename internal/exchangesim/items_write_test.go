package exchangesim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Tests of CreateItem, UpdateItem, DeleteItem and ConvertId. Results are checked in the
// world model itself, not through other operations.

func iwKind(kind string) xml.Name { return xml.Name{Local: kind} }

func iwAddr(smtp string) ews.EmailAddress { return ews.EmailAddress{EmailAddress: smtp} }

func iwMessage(subject string, to ...string) ews.Item {
	it := ews.Item{XMLName: iwKind(ews.KindMessage), Subject: subject, Body: &ews.Body{BodyType: "Text", Value: "Body of " + subject}}
	if len(to) > 0 {
		it.ToRecipients = &ews.Recipients{}
		for _, a := range to {
			it.ToRecipients.Mailboxes = append(it.ToRecipients.Mailboxes, iwAddr(a))
		}
	}
	return it
}

func iwMailbox(t *testing.T, s *simServer, owner string) *exchangesim.Mailbox {
	t.Helper()
	mb, err := s.Sim.World().Mailbox(context.Background(), owner)
	if err != nil {
		t.Fatalf("mailbox %s: %v", owner, err)
	}
	return mb
}

// iwFolder returns the items of a distinguished folder of owner's mailbox.
func iwFolder(t *testing.T, s *simServer, owner, dist string) []ews.Item {
	t.Helper()
	page, err := iwMailbox(t, s, owner).FindItems(exchangesim.FolderByName(dist), exchangesim.ItemQuery{})
	if err != nil {
		t.Fatalf("FindItems %s/%s: %v", owner, dist, err)
	}
	return page.Items
}

// iwWithSubject returns the items of a folder with the given subject.
func iwWithSubject(t *testing.T, s *simServer, owner, dist, subject string) []ews.Item {
	t.Helper()
	var out []ews.Item
	for _, it := range iwFolder(t, s, owner, dist) {
		if it.Subject == subject {
			out = append(out, it)
		}
	}
	return out
}

func iwOne(t *testing.T, s *simServer, owner, dist, subject string) ews.Item {
	t.Helper()
	items := iwWithSubject(t, s, owner, dist, subject)
	if len(items) != 1 {
		t.Fatalf("%s/%s: %d items with subject %q, want 1", owner, dist, len(items), subject)
	}
	return items[0]
}

func iwFolderID(t *testing.T, s *simServer, owner, dist string) string {
	t.Helper()
	f, err := iwMailbox(t, s, owner).Folder(exchangesim.FolderByName(dist))
	if err != nil {
		t.Fatal(err)
	}
	return f.FolderId.Id
}

func iwWantOK(t *testing.T, rm ews.ResponseMessage) {
	t.Helper()
	if err := rm.Err(); err != nil || rm.ResponseClass != ews.ClassSuccess {
		t.Fatalf("response %s: %v", rm.ResponseClass, err)
	}
}

func iwWantCode(t *testing.T, rm ews.ResponseMessage, code string) {
	t.Helper()
	if rm.ResponseClass != ews.ClassError || rm.ResponseCode != code {
		t.Fatalf("response %s %s (%s), want Error %s", rm.ResponseClass, rm.ResponseCode, rm.MessageText, code)
	}
}

func iwWantFault(t *testing.T, err error, code string) {
	t.Helper()
	var re *ews.ResponseError
	if !errors.As(err, &re) || !re.Fault || re.Code != code {
		t.Fatalf("err %v, want fault %s", err, code)
	}
}

// iwCreate creates items and returns the response messages.
func iwCreate(t *testing.T, c *ewsCaller, req *ews.CreateItemRequest) []ews.CreateItemResponseMessage {
	t.Helper()
	var resp ews.CreateItemResponse
	c.mustCall(ews.OpCreateItem, req, &resp)
	if len(resp.ResponseMessages) != len(req.Items.Items) {
		t.Fatalf("%d messages for %d items", len(resp.ResponseMessages), len(req.Items.Items))
	}
	return resp.ResponseMessages
}

// iwCreateOne creates one item and returns its id.
func iwCreateOne(t *testing.T, c *ewsCaller, disposition, invitations string, it ews.Item) ews.ItemId {
	t.Helper()
	msgs := iwCreate(t, c, &ews.CreateItemRequest{MessageDisposition: disposition, SendMeetingInvitations: invitations,
		Items: ews.Items{Items: []ews.Item{it}}})
	iwWantOK(t, msgs[0].ResponseMessage)
	items := msgs[0].Items.Items
	if len(items) != 1 || items[0].ItemId == nil || items[0].ItemId.Id == "" || items[0].ItemId.ChangeKey == "" {
		t.Fatalf("created items %+v", items)
	}
	if items[0].Kind() != it.Kind() {
		t.Errorf("created item is a %s, want %s", items[0].Kind(), it.Kind())
	}
	return *items[0].ItemId
}

func iwUpdate(t *testing.T, c *ewsCaller, req *ews.UpdateItemRequest) []ews.UpdateItemResponseMessage {
	t.Helper()
	var resp ews.UpdateItemResponse
	c.mustCall(ews.OpUpdateItem, req, &resp)
	if len(resp.ResponseMessages) != len(req.ItemChanges) {
		t.Fatalf("%d messages for %d changes", len(resp.ResponseMessages), len(req.ItemChanges))
	}
	return resp.ResponseMessages
}

func iwChange(id ews.ItemId, updates ...ews.ItemUpdate) ews.ItemChange {
	return ews.ItemChange{ItemId: &id, Updates: ews.ItemUpdates{Updates: updates}}
}

// iwUpdateOne applies updates to one item and returns its new id.
func iwUpdateOne(t *testing.T, c *ewsCaller, conflict, disposition, invitations string, id ews.ItemId, updates ...ews.ItemUpdate) ews.ItemId {
	t.Helper()
	msgs := iwUpdate(t, c, &ews.UpdateItemRequest{ConflictResolution: conflict, MessageDisposition: disposition,
		SendMeetingInvitationsOrCancellations: invitations, ItemChanges: []ews.ItemChange{iwChange(id, updates...)}})
	iwWantOK(t, msgs[0].ResponseMessage)
	if msgs[0].ConflictResults == nil || msgs[0].ConflictResults.Count != 0 {
		t.Errorf("ConflictResults %+v", msgs[0].ConflictResults)
	}
	items := msgs[0].Items.Items
	if len(items) != 1 || items[0].ItemId == nil || items[0].ItemId.Id != id.Id {
		t.Fatalf("updated items %+v", items)
	}
	return *items[0].ItemId
}

func iwDelete(t *testing.T, c *ewsCaller, req *ews.DeleteItemRequest) []ews.DeleteItemResponseMessage {
	t.Helper()
	var resp ews.DeleteItemResponse
	c.mustCall(ews.OpDeleteItem, req, &resp)
	if len(resp.ResponseMessages) != len(req.ItemIds.Ids) {
		t.Fatalf("%d messages for %d ids", len(resp.ResponseMessages), len(req.ItemIds.Ids))
	}
	return resp.ResponseMessages
}

func iwIDs(ids ...string) ews.ItemIds {
	var out ews.ItemIds
	for _, id := range ids {
		out.Ids = append(out.Ids, ews.ItemRef(ews.ItemId{Id: id}))
	}
	return out
}

func iwItem(t *testing.T, s *simServer, owner, id string) ews.Item {
	t.Helper()
	it, err := iwMailbox(t, s, owner).Item(id)
	if err != nil {
		t.Fatalf("Item: %v", err)
	}
	return it
}

func iwGone(t *testing.T, s *simServer, owner, id string) {
	t.Helper()
	if _, err := iwMailbox(t, s, owner).Item(id); ews.Code(err) != ews.ErrorItemNotFound {
		t.Fatalf("item still there (err %v)", err)
	}
}

func TestCreateItemSaveOnly(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")

	id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Quarterly draft", "carol@contoso.com"))
	it := iwItem(t, s, "alice@contoso.com", id.Id)
	if it.ParentFolderId.Id != iwFolderID(t, s, "alice@contoso.com", "drafts") {
		t.Errorf("draft saved in %s, want Drafts", it.ParentFolderId.Id)
	}
	if it.IsDraft == nil || !*it.IsDraft || it.Subject != "Quarterly draft" || it.DisplayTo != "Carol Clark" {
		t.Errorf("draft %+v", it)
	}
	if it.ItemId.ChangeKey != id.ChangeKey {
		t.Errorf("ChangeKey %s, response said %s", it.ItemId.ChangeKey, id.ChangeKey)
	}
	if len(iwWithSubject(t, s, "carol@contoso.com", "inbox", "Quarterly draft")) != 0 {
		t.Error("a draft was delivered")
	}

	// An import: PR_MESSAGE_FLAGS without MSGFLAG_UNSENT makes a received message, and
	// without MSGFLAG_READ an unread one.
	imported := iwMessage("Imported mail", "alice@contoso.com")
	imported.ExtendedProperties = []ews.ExtendedProperty{{ExtendedFieldURI: ews.ExtendedTag("0x0E07", "Integer"), Value: "0"}}
	msgs := iwCreate(t, alice, &ews.CreateItemRequest{MessageDisposition: ews.SaveOnly,
		SavedItemFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
		Items:             ews.Items{Items: []ews.Item{imported}}})
	iwWantOK(t, msgs[0].ResponseMessage)
	got := iwOne(t, s, "alice@contoso.com", "inbox", "Imported mail")
	if got.IsDraft == nil || *got.IsDraft || got.IsRead == nil || *got.IsRead || got.ExtendedProperties != nil {
		t.Errorf("imported message: IsDraft %v IsRead %v ext %v", got.IsDraft, got.IsRead, got.ExtendedProperties)
	}
}

func TestCreateItemSendAndSaveCopy(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	msg := iwMessage("Team offsite", "carol@contoso.com")
	msg.CcRecipients = &ews.Recipients{Mailboxes: []ews.EmailAddress{iwAddr("bob@contoso.com")}}
	drafts := len(iwFolder(t, s, "alice@contoso.com", "drafts"))

	msgs := iwCreate(t, alice, &ews.CreateItemRequest{MessageDisposition: ews.SendAndSaveCopy, Items: ews.Items{Items: []ews.Item{msg}}})
	iwWantOK(t, msgs[0].ResponseMessage)
	if len(msgs[0].Items.Items) != 0 {
		t.Errorf("SendAndSaveCopy returned items %+v; Exchange returns none", msgs[0].Items.Items)
	}
	sent := iwOne(t, s, "alice@contoso.com", "sentitems", "Team offsite")
	if sent.IsDraft == nil || *sent.IsDraft || sent.IsRead == nil || !*sent.IsRead || sent.IsFromMe == nil || !*sent.IsFromMe {
		t.Errorf("sent copy: IsDraft %v IsRead %v IsFromMe %v", sent.IsDraft, sent.IsRead, sent.IsFromMe)
	}
	// bob is outside svc-sync's impersonation scope: delivery does not care.
	for _, rcpt := range []string{"carol@contoso.com", "bob@contoso.com"} {
		got := iwOne(t, s, rcpt, "inbox", "Team offsite")
		if got.IsRead == nil || *got.IsRead || got.From == nil || got.From.Mailbox.EmailAddress != "alice@contoso.com" {
			t.Errorf("%s received %+v", rcpt, got)
		}
		if got.InternetMessageId == "" || got.InternetMessageId != sent.InternetMessageId {
			t.Errorf("%s: InternetMessageId %q, sender's copy %q", rcpt, got.InternetMessageId, sent.InternetMessageId)
		}
	}
	if n := len(iwFolder(t, s, "alice@contoso.com", "drafts")); n != drafts {
		t.Errorf("drafts %d -> %d", drafts, n)
	}
}

func TestCreateItemSendOnly(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	sent := len(iwFolder(t, s, "alice@contoso.com", "sentitems"))
	msgs := iwCreate(t, alice, &ews.CreateItemRequest{MessageDisposition: ews.SendOnly,
		Items: ews.Items{Items: []ews.Item{iwMessage("Quick note", "dave@contoso.com", "sales@contoso.com")}}})
	iwWantOK(t, msgs[0].ResponseMessage)
	if len(msgs[0].Items.Items) != 0 {
		t.Errorf("SendOnly returned items %+v", msgs[0].Items.Items)
	}
	// dave is addressed directly and through the group: one copy.
	iwOne(t, s, "dave@contoso.com", "inbox", "Quick note")
	iwOne(t, s, "erin@contoso.com", "inbox", "Quick note")
	if n := len(iwFolder(t, s, "alice@contoso.com", "sentitems")); n != sent {
		t.Errorf("SendOnly saved a copy: sent items %d -> %d", sent, n)
	}
	if len(iwWithSubject(t, s, "alice@contoso.com", "drafts", "Quick note")) != 0 {
		t.Error("SendOnly saved a draft")
	}
}

func TestCreateItemErrors(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	carolInbox := iwFolderID(t, s, "carol@contoso.com", "inbox")
	in := func(id ews.BaseFolderId) *ews.FolderIds { return &ews.FolderIds{Ids: []ews.BaseFolderId{id}} }
	fromBob := iwMessage("Spoofed", "carol@contoso.com")
	fromBob.From = &ews.SingleRecipient{Mailbox: iwAddr("bob@contoso.com")}
	backdated := iwMessage("Backdated", "carol@contoso.com")
	backdated.DateTimeReceived = ews.Date(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	cases := []struct {
		name string
		req  ews.CreateItemRequest
		code string
	}{
		{"message without disposition", ews.CreateItemRequest{Items: ews.Items{Items: []ews.Item{iwMessage("x", "carol@contoso.com")}}},
			"ErrorMessageDispositionRequired"},
		{"send without recipients", ews.CreateItemRequest{MessageDisposition: ews.SendAndSaveCopy, Items: ews.Items{Items: []ews.Item{iwMessage("x")}}},
			"ErrorInvalidRecipients"},
		{"send as someone else", ews.CreateItemRequest{MessageDisposition: ews.SendOnly, Items: ews.Items{Items: []ews.Item{fromBob}}},
			"ErrorSendAsDenied"},
		{"malformed folder id", ews.CreateItemRequest{MessageDisposition: ews.SaveOnly, SavedItemFolderId: in(ews.FolderRef(ews.FolderId{Id: "AAMkAAAA"})),
			Items: ews.Items{Items: []ews.Item{iwMessage("x")}}}, ews.ErrorInvalidIdMalformed},
		{"another mailbox's folder", ews.CreateItemRequest{MessageDisposition: ews.SaveOnly, SavedItemFolderId: in(ews.FolderRef(ews.FolderId{Id: carolInbox})),
			Items: ews.Items{Items: []ews.Item{iwMessage("x")}}}, "ErrorSavedItemFolderNotFound"},
		{"contact in the inbox", ews.CreateItemRequest{SavedItemFolderId: in(ews.DistinguishedFolder("inbox")),
			Items: ews.Items{Items: []ews.Item{{XMLName: iwKind(ews.KindContact), GivenName: "X"}}}}, "ErrorCannotCreateContactInNonContactFolder"},
		{"calendar item without SendMeetingInvitations", ews.CreateItemRequest{
			Items: ews.Items{Items: []ews.Item{{XMLName: iwKind(ews.KindCalendarItem), Subject: "x"}}}}, "ErrorSendMeetingInvitationsRequired"},
		{"appointment in the inbox", ews.CreateItemRequest{SendMeetingInvitations: ews.SendToNone, SavedItemFolderId: in(ews.DistinguishedFolder("inbox")),
			Items: ews.Items{Items: []ews.Item{{XMLName: iwKind(ews.KindCalendarItem), Subject: "x"}}}}, "ErrorCannotCreateCalendarItemInNonCalendarFolder"},
		{"read-only property", ews.CreateItemRequest{MessageDisposition: ews.SaveOnly, Items: ews.Items{Items: []ews.Item{backdated}}},
			ews.ErrorInvalidPropertySet},
		{"response object", ews.CreateItemRequest{MessageDisposition: ews.SendAndSaveCopy, Items: ews.Items{Items: []ews.Item{{XMLName: iwKind("t:AcceptItem")}}}},
			ews.ErrorInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs := iwCreate(t, alice, &tc.req)
			iwWantCode(t, msgs[0].ResponseMessage, tc.code)
			if len(msgs[0].Items.Items) != 0 {
				t.Errorf("error with items %+v", msgs[0].Items.Items)
			}
		})
	}
	t.Run("per-item messages in order", func(t *testing.T) {
		msgs := iwCreate(t, alice, &ews.CreateItemRequest{MessageDisposition: ews.SaveOnly, Items: ews.Items{Items: []ews.Item{
			iwMessage("first"), backdated, iwMessage("third")}}})
		iwWantOK(t, msgs[0].ResponseMessage)
		iwWantCode(t, msgs[1].ResponseMessage, ews.ErrorInvalidPropertySet)
		iwWantOK(t, msgs[2].ResponseMessage)
		iwOne(t, s, "alice@contoso.com", "drafts", "third")
	})
	t.Run("invalid disposition is a schema fault", func(t *testing.T) {
		var resp ews.CreateItemResponse
		err := alice.call(ews.OpCreateItem, &ews.CreateItemRequest{MessageDisposition: "SaveEverywhere",
			Items: ews.Items{Items: []ews.Item{iwMessage("x")}}}, &resp)
		iwWantFault(t, err, ews.ErrorSchemaValidation)
	})
}

func TestCreateItemImpersonationDenied(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	before := len(iwFolder(t, s, "bob@contoso.com", "drafts"))
	var resp ews.CreateItemResponse
	err := s.svcAs(t, "bob@contoso.com").call(ews.OpCreateItem, &ews.CreateItemRequest{MessageDisposition: ews.SaveOnly,
		Items: ews.Items{Items: []ews.Item{iwMessage("Not allowed")}}}, &resp)
	iwWantFault(t, err, ews.ErrorImpersonateUserDenied)
	if n := len(iwFolder(t, s, "bob@contoso.com", "drafts")); n != before {
		t.Errorf("bob's drafts %d -> %d", before, n)
	}
}

func TestCreateItemAppointmentAndContact(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	start := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	evID := iwCreateOne(t, alice, "", ews.SendToNone, ews.Item{XMLName: iwKind(ews.KindCalendarItem), Subject: "Dentist",
		Start: ews.Date(start), End: ews.Date(start.Add(90 * time.Minute)), Location: "Main St"})
	ev := iwItem(t, s, "alice@contoso.com", evID.Id)
	if ev.ParentFolderId.Id != iwFolderID(t, s, "alice@contoso.com", "calendar") || ev.Kind() != ews.KindCalendarItem {
		t.Errorf("appointment in %s as %s", ev.ParentFolderId.Id, ev.Kind())
	}
	if !ev.Start.Equal(start) || ev.Duration != "PT1H30M" || ev.Location != "Main St" || ev.MyResponseType != "Organizer" ||
		ev.IsMeeting == nil || *ev.IsMeeting {
		t.Errorf("appointment %+v", ev)
	}

	ctID := iwCreateOne(t, alice, "", "", ews.Item{XMLName: iwKind(ews.KindContact), GivenName: "Zoe", Surname: "Zimmer",
		CompanyName: "Fabrikam", EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "zoe@fabrikam.com"}}}})
	ct := iwItem(t, s, "alice@contoso.com", ctID.Id)
	if ct.ParentFolderId.Id != iwFolderID(t, s, "alice@contoso.com", "contacts") || ct.DisplayName != "Zoe Zimmer" || ct.FileAs != "Zimmer, Zoe" {
		t.Errorf("contact %+v", ct)
	}
}

func TestCreateMeetingAndCancel(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	evID := iwCreateOne(t, alice, "", ews.SendToAllAndSaveCopy, ews.Item{XMLName: iwKind(ews.KindCalendarItem), Subject: "Pipeline review",
		Start: ews.Date(start), End: ews.Date(start.Add(time.Hour)),
		RequiredAttendees: &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: iwAddr("carol@contoso.com")}}},
		Resources:         &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: iwAddr("room-atlas@contoso.com")}}}})
	ev := iwItem(t, s, "alice@contoso.com", evID.Id)
	if ev.IsMeeting == nil || !*ev.IsMeeting || ev.MeetingRequestWasSent == nil || !*ev.MeetingRequestWasSent || ev.UID == "" {
		t.Fatalf("meeting %+v", ev)
	}
	req := iwOne(t, s, "carol@contoso.com", "inbox", "Pipeline review")
	if req.Kind() != ews.KindMeetingRequest || req.AssociatedCalendarItemId == nil || req.UID != ev.UID {
		t.Fatalf("carol's request %+v", req)
	}
	carolEv := iwItem(t, s, "carol@contoso.com", req.AssociatedCalendarItemId.Id)
	if carolEv.UID != ev.UID || carolEv.LegacyFreeBusyStatus != "Tentative" || !carolEv.Start.Equal(start) ||
		carolEv.Organizer == nil || carolEv.Organizer.Mailbox.EmailAddress != "alice@contoso.com" {
		t.Errorf("carol's copy %+v", carolEv)
	}
	roomEv := iwOne(t, s, "room-atlas@contoso.com", "calendar", "Pipeline review")
	if roomEv.MyResponseType != "Accept" || roomEv.LegacyFreeBusyStatus != "Busy" {
		t.Errorf("room's copy %+v", roomEv)
	}
	if len(iwWithSubject(t, s, "room-atlas@contoso.com", "inbox", "Pipeline review")) != 0 {
		t.Error("the room got a request to answer")
	}
	if sentReq := iwOne(t, s, "alice@contoso.com", "sentitems", "Pipeline review"); sentReq.Kind() != ews.KindMeetingRequest {
		t.Error("no meeting request in alice's Sent Items")
	}

	// Without SendMeetingCancellations the delete is refused.
	msgs := iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.MoveToDeletedItems, ItemIds: iwIDs(evID.Id)})
	iwWantCode(t, msgs[0].ResponseMessage, "ErrorSendMeetingCancellationsRequired")
	iwItem(t, s, "alice@contoso.com", evID.Id)

	msgs = iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.MoveToDeletedItems, SendMeetingCancellations: ews.SendToAllAndSaveCopy,
		ItemIds: iwIDs(evID.Id)})
	iwWantOK(t, msgs[0].ResponseMessage)
	iwGone(t, s, "alice@contoso.com", evID.Id)
	iwOne(t, s, "alice@contoso.com", "deleteditems", "Pipeline review")
	cancelled := iwItem(t, s, "carol@contoso.com", req.AssociatedCalendarItemId.Id)
	if cancelled.IsCancelled == nil || !*cancelled.IsCancelled || cancelled.Subject != "Canceled: Pipeline review" {
		t.Errorf("carol's copy after the cancellation %+v", cancelled)
	}
	if cancellation := iwOne(t, s, "carol@contoso.com", "inbox", "Canceled: Pipeline review"); cancellation.Kind() != ews.KindMeetingCancellation {
		t.Error("carol got no cancellation")
	}
	if len(iwWithSubject(t, s, "room-atlas@contoso.com", "calendar", "Pipeline review")) != 0 {
		t.Error("the room kept the cancelled booking")
	}
}

func TestUpdateItemFields(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	msgKind := iwKind(ews.KindMessage)

	t.Run("subject, body, recipients", func(t *testing.T) {
		id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Old subject"))
		nid := iwUpdateOne(t, alice, ews.AutoResolve, ews.SaveOnly, "", id,
			ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: msgKind, Subject: "New subject"}),
			ews.SetItemField(ews.Field("item:Body"), ews.Item{XMLName: msgKind, Body: &ews.Body{BodyType: "HTML", Value: "<p>Hi</p>"}}),
			ews.AppendToItemField(ews.Field("message:ToRecipients"), ews.Item{XMLName: msgKind,
				ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{iwAddr("carol@contoso.com")}}}),
			ews.SetItemField(ews.Field("item:Importance"), ews.Item{XMLName: msgKind, Importance: "High"}),
			ews.SetItemField(ews.Field("item:Categories"), ews.Item{XMLName: msgKind, Categories: &ews.Strings{Strings: []string{"Red"}}}))
		if nid.ChangeKey == id.ChangeKey {
			t.Error("ChangeKey unchanged")
		}
		it := iwItem(t, s, "alice@contoso.com", id.Id)
		if it.Subject != "New subject" || it.Body.Value != "<p>Hi</p>" || it.DisplayTo != "Carol Clark" || it.Importance != "High" ||
			it.Categories == nil || len(it.Categories.Strings) != 1 || it.ItemId.ChangeKey != nid.ChangeKey {
			t.Errorf("updated %+v", it)
		}
		iwUpdateOne(t, alice, ews.AutoResolve, ews.SaveOnly, "", nid, ews.DeleteItemField(ews.Field("item:Categories")),
			ews.AppendToItemField(ews.Field("item:Body"), ews.Item{XMLName: msgKind, Body: &ews.Body{BodyType: "HTML", Value: "<p>Bye</p>"}}))
		it = iwItem(t, s, "alice@contoso.com", id.Id)
		if it.Categories != nil || it.Body.Value != "<p>Hi</p><p>Bye</p>" {
			t.Errorf("after delete and append: categories %v body %q", it.Categories, it.Body.Value)
		}
	})

	t.Run("extended properties", func(t *testing.T) {
		id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Stamped"))
		tag := ews.ExtendedTag("0x1090", "Integer")
		named := ews.PropertyPath{XMLName: xml.Name{Local: "t:ExtendedFieldURI"}, PropertySetId: "C11FF724-AA03-4555-9952-8FA248A11C3E",
			PropertyName: "SyncStamp", PropertyType: "String"}
		setExt := func(p ews.PropertyPath, v string) ews.ItemUpdate {
			return ews.SetItemField(p, ews.Item{XMLName: msgKind, ExtendedProperties: []ews.ExtendedProperty{{ExtendedFieldURI: p, Value: v}}})
		}
		id = iwUpdateOne(t, alice, ews.AutoResolve, ews.SaveOnly, "", id, setExt(tag, "2"), setExt(named, "a"))
		// The same tag spelled in decimal, the same set GUID in lower case: the same properties.
		tag10, named10 := ews.ExtendedTag("4240", "Integer"), named
		named10.PropertySetId = strings.ToLower(named.PropertySetId)
		id = iwUpdateOne(t, alice, ews.AutoResolve, ews.SaveOnly, "", id, setExt(tag10, "1"), setExt(named10, "b"))
		it := iwItem(t, s, "alice@contoso.com", id.Id)
		if len(it.ExtendedProperties) != 2 || it.ExtendedProperties[0].Value != "1" || it.ExtendedProperties[1].Value != "b" {
			t.Errorf("extended properties %+v", it.ExtendedProperties)
		}
		iwUpdateOne(t, alice, ews.AutoResolve, ews.SaveOnly, "", id, ews.DeleteItemField(tag))
		if it := iwItem(t, s, "alice@contoso.com", id.Id); len(it.ExtendedProperties) != 1 || it.ExtendedProperties[0].Value != "b" {
			t.Errorf("after delete: %+v", it.ExtendedProperties)
		}
	})

	t.Run("read flag is a ReadFlagChange", func(t *testing.T) {
		mb := iwMailbox(t, s, "alice@contoso.com")
		var unread *ews.Item
		for _, it := range iwFolder(t, s, "alice@contoso.com", "inbox") {
			if it.IsRead != nil && !*it.IsRead {
				unread = &it
				break
			}
		}
		if unread == nil {
			t.Fatal("no unread message in alice's inbox")
		}
		state := ""
		for {
			_, next, last, err := mb.SyncItems(exchangesim.FolderByName("inbox"), state, 512, nil)
			if err != nil {
				t.Fatal(err)
			}
			state = next
			if last {
				break
			}
		}
		iwUpdateOne(t, alice, ews.AlwaysOverwrite, ews.SaveOnly, "", *unread.ItemId,
			ews.SetItemField(ews.Field("message:IsRead"), ews.Item{XMLName: msgKind, IsRead: ews.Bool(true)}))
		changes, _, _, err := mb.SyncItems(exchangesim.FolderByName("inbox"), state, 512, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Kind != exchangesim.ChangeReadFlag || !changes[0].IsRead || changes[0].ItemId.Id != unread.ItemId.Id {
			t.Fatalf("changes after marking read: %+v", changes)
		}
	})

	t.Run("start time", func(t *testing.T) {
		start := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		calKind := iwKind(ews.KindCalendarItem)
		id := iwCreateOne(t, alice, "", ews.SendToNone, ews.Item{XMLName: calKind, Subject: "Standup", Start: ews.Date(start), End: ews.Date(start.Add(15 * time.Minute))})
		moved := start.Add(26 * time.Hour)
		iwUpdateOne(t, alice, ews.AutoResolve, "", ews.SendToNone, id,
			ews.SetItemField(ews.Field("calendar:Start"), ews.Item{XMLName: calKind, Start: ews.Date(moved)}),
			ews.SetItemField(ews.Field("calendar:End"), ews.Item{XMLName: calKind, End: ews.Date(moved.Add(30 * time.Minute))}),
			ews.SetItemField(ews.Field("calendar:Location"), ews.Item{XMLName: calKind, Location: "Room 2"}),
			ews.SetItemField(ews.Field("calendar:LegacyFreeBusyStatus"), ews.Item{XMLName: calKind, LegacyFreeBusyStatus: "OOF"}))
		ev := iwItem(t, s, "alice@contoso.com", id.Id)
		if !ev.Start.Equal(moved) || ev.Duration != "PT30M" || ev.Location != "Room 2" || ev.LegacyFreeBusyStatus != "OOF" {
			t.Errorf("moved event %+v", ev)
		}
		msgs := iwUpdate(t, alice, &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve, SendMeetingInvitationsOrCancellations: ews.SendToNone,
			ItemChanges: []ews.ItemChange{iwChange(ews.ItemId{Id: id.Id},
				ews.SetItemField(ews.Field("calendar:End"), ews.Item{XMLName: calKind, End: ews.Date(moved.Add(-time.Hour))}))}})
		iwWantCode(t, msgs[0].ResponseMessage, "ErrorCalendarEndDateIsEarlierThanStartDate")
		if ev := iwItem(t, s, "alice@contoso.com", id.Id); !ev.End.Equal(moved.Add(30 * time.Minute)) {
			t.Errorf("failed update changed End to %v", ev.End)
		}
	})

	t.Run("contact email, phone and name", func(t *testing.T) {
		ctKind := iwKind(ews.KindContact)
		id := iwCreateOne(t, alice, "", "", ews.Item{XMLName: ctKind, GivenName: "Yann", Surname: "Young",
			EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "yann@old.example"}}}})
		iwUpdateOne(t, alice, ews.AutoResolve, "", "", id,
			ews.SetItemField(ews.IndexedField("contacts:EmailAddress", "EmailAddress1"), ews.Item{XMLName: ctKind,
				EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "yann@new.example"}}}}),
			ews.SetItemField(ews.IndexedField("contacts:PhoneNumber", "MobilePhone"), ews.Item{XMLName: ctKind,
				PhoneNumbers: &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{{Key: "MobilePhone", Value: "+1 555 0100"}}}}),
			ews.SetItemField(ews.IndexedField("contacts:PhysicalAddress:City", "Business"), ews.Item{XMLName: ctKind,
				PhysicalAddresses: &ews.PhysicalAddresses{Entries: []ews.PhysicalAddressEntry{{Key: "Business", City: "Oslo"}}}}),
			ews.SetItemField(ews.Field("contacts:GivenName"), ews.Item{XMLName: ctKind, GivenName: "Yannick"}),
			ews.SetItemField(ews.Field("contacts:JobTitle"), ews.Item{XMLName: ctKind, JobTitle: "CFO"}))
		ct := iwItem(t, s, "alice@contoso.com", id.Id)
		if ct.EmailAddresses == nil || len(ct.EmailAddresses.Entries) != 1 || ct.EmailAddresses.Entries[0].Value != "yann@new.example" {
			t.Errorf("email addresses %+v", ct.EmailAddresses)
		}
		if ct.PhoneNumbers == nil || ct.PhoneNumbers.Entries[0].Value != "+1 555 0100" || ct.PhysicalAddresses == nil ||
			ct.PhysicalAddresses.Entries[0].City != "Oslo" || ct.JobTitle != "CFO" {
			t.Errorf("contact %+v", ct)
		}
		if ct.DisplayName != "Yannick Young" || ct.FileAs != "Young, Yannick" {
			t.Errorf("names: DisplayName %q FileAs %q", ct.DisplayName, ct.FileAs)
		}
		iwUpdateOne(t, alice, ews.AutoResolve, "", "", ews.ItemId{Id: id.Id},
			ews.DeleteItemField(ews.IndexedField("contacts:EmailAddress", "EmailAddress1")))
		if ct := iwItem(t, s, "alice@contoso.com", id.Id); ct.EmailAddresses != nil {
			t.Errorf("email address not deleted: %+v", ct.EmailAddresses)
		}
	})
}

func TestUpdateItemConflictsAndErrors(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	msgKind := iwKind(ews.KindMessage)
	v1 := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Versioned"))
	v2 := iwUpdateOne(t, alice, ews.AutoResolve, ews.SaveOnly, "", v1,
		ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: msgKind, Subject: "Versioned 2"}))

	setSubject := func(subject string) ews.ItemUpdate {
		return ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: msgKind, Subject: subject})
	}
	t.Run("stale ChangeKey with NeverOverwrite", func(t *testing.T) {
		msgs := iwUpdate(t, alice, &ews.UpdateItemRequest{ConflictResolution: ews.NeverOverwrite, MessageDisposition: ews.SaveOnly,
			ItemChanges: []ews.ItemChange{iwChange(v1, setSubject("Lost update"))}})
		iwWantCode(t, msgs[0].ResponseMessage, ews.ErrorIrresolvableConflict)
		if len(msgs[0].Items.Items) != 0 || msgs[0].ConflictResults != nil {
			t.Errorf("error message with payload %+v", msgs[0])
		}
		if it := iwItem(t, s, "alice@contoso.com", v1.Id); it.Subject != "Versioned 2" {
			t.Errorf("subject %q after a refused update", it.Subject)
		}
	})
	t.Run("current ChangeKey with NeverOverwrite", func(t *testing.T) {
		iwUpdateOne(t, alice, ews.NeverOverwrite, ews.SaveOnly, "", v2, setSubject("Versioned 3"))
	})
	t.Run("stale ChangeKey with AlwaysOverwrite", func(t *testing.T) {
		iwUpdateOne(t, alice, ews.AlwaysOverwrite, ews.SaveOnly, "", v1, setSubject("Overwritten"))
		if it := iwItem(t, s, "alice@contoso.com", v1.Id); it.Subject != "Overwritten" {
			t.Errorf("subject %q", it.Subject)
		}
	})

	cases := []struct {
		name   string
		update ews.ItemUpdate
		code   string
	}{
		{"two properties in one SetItemField", ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: msgKind, Subject: "a", Importance: "Low"}),
			ews.ErrorIncorrectUpdatePropertyCount},
		{"property other than the path's", ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: msgKind, Importance: "Low"}),
			"ErrorUpdatePropertyMismatch"},
		{"read-only property", ews.SetItemField(ews.Field("item:DateTimeReceived"), ews.Item{XMLName: msgKind, DateTimeReceived: ews.Date(time.Now())}),
			ews.ErrorInvalidPropertySet},
		{"calendar property of a message", ews.SetItemField(ews.Field("calendar:Location"), ews.Item{XMLName: msgKind, Location: "x"}),
			"ErrorInvalidPropertyRequest"},
		{"append to the subject", ews.AppendToItemField(ews.Field("item:Subject"), ews.Item{XMLName: msgKind, Subject: "x"}),
			"ErrorInvalidPropertyAppend"},
		{"delete the read flag", ews.DeleteItemField(ews.Field("message:IsRead")), "ErrorInvalidPropertyDelete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msgs := iwUpdate(t, alice, &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve, MessageDisposition: ews.SaveOnly,
				ItemChanges: []ews.ItemChange{iwChange(ews.ItemId{Id: v1.Id}, setSubject("Partial"), tc.update)}})
			iwWantCode(t, msgs[0].ResponseMessage, tc.code)
			if it := iwItem(t, s, "alice@contoso.com", v1.Id); it.Subject == "Partial" {
				t.Error("a failed change was partly applied")
			}
		})
	}
	t.Run("message without MessageDisposition", func(t *testing.T) {
		msgs := iwUpdate(t, alice, &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve,
			ItemChanges: []ews.ItemChange{iwChange(ews.ItemId{Id: v1.Id}, setSubject("x"))}})
		iwWantCode(t, msgs[0].ResponseMessage, "ErrorMessageDispositionRequired")
	})
	t.Run("ids", func(t *testing.T) {
		msgs := iwUpdate(t, alice, &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve, MessageDisposition: ews.SaveOnly,
			ItemChanges: []ews.ItemChange{
				iwChange(ews.ItemId{Id: "bm90IGFuIGlk"}, setSubject("x")),
				iwChange(ews.ItemId{Id: iwFolderID(t, s, "carol@contoso.com", "inbox")}, setSubject("x")),
				iwChange(ews.ItemId{Id: v1.Id}, setSubject("Fine")),
			}})
		iwWantCode(t, msgs[0].ResponseMessage, ews.ErrorInvalidIdMalformed)
		iwWantCode(t, msgs[1].ResponseMessage, "ErrorCannotUseFolderIdForItemId")
		iwWantOK(t, msgs[2].ResponseMessage)
	})
	t.Run("unknown FieldURI is a schema fault", func(t *testing.T) {
		var resp ews.UpdateItemResponse
		err := alice.call(ews.OpUpdateItem, &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve, MessageDisposition: ews.SaveOnly,
			ItemChanges: []ews.ItemChange{iwChange(ews.ItemId{Id: v1.Id},
				ews.SetItemField(ews.Field("item:IsRead"), ews.Item{XMLName: msgKind, IsRead: ews.Bool(true)}))}}, &resp)
		iwWantFault(t, err, ews.ErrorSchemaValidation)
	})
}

func TestUpdateItemSendsDraft(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Send me later"))
	msgs := iwUpdate(t, alice, &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve, MessageDisposition: ews.SendAndSaveCopy,
		ItemChanges: []ews.ItemChange{iwChange(id, ews.SetItemField(ews.Field("message:ToRecipients"), ews.Item{XMLName: iwKind(ews.KindMessage),
			ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{iwAddr("erin@contoso.com")}}}))}})
	iwWantOK(t, msgs[0].ResponseMessage)
	if len(msgs[0].Items.Items) != 0 {
		t.Errorf("sent draft reported as %+v", msgs[0].Items.Items)
	}
	iwGone(t, s, "alice@contoso.com", id.Id)
	if sent := iwOne(t, s, "alice@contoso.com", "sentitems", "Send me later"); sent.IsDraft == nil || *sent.IsDraft {
		t.Errorf("sent copy %+v", sent)
	}
	iwOne(t, s, "erin@contoso.com", "inbox", "Send me later")

	// A received message is no draft: it cannot be sent.
	received := iwOne(t, s, "erin@contoso.com", "inbox", "Send me later")
	msgs = iwUpdate(t, s.svcAs(t, "erin@contoso.com"), &ews.UpdateItemRequest{ConflictResolution: ews.AutoResolve, MessageDisposition: ews.SendOnly,
		ItemChanges: []ews.ItemChange{iwChange(*received.ItemId, ews.SetItemField(ews.Field("item:Subject"),
			ews.Item{XMLName: iwKind(ews.KindMessage), Subject: "Again"}))}})
	iwWantCode(t, msgs[0].ResponseMessage, ews.ErrorInvalidOperation)
}

func TestDeleteItem(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	deleted := len(iwFolder(t, s, "alice@contoso.com", "deleteditems"))
	for _, tc := range []struct {
		deleteType   string
		inDeletedBox bool
	}{{ews.HardDelete, false}, {ews.SoftDelete, false}, {ews.MoveToDeletedItems, true}} {
		t.Run(tc.deleteType, func(t *testing.T) {
			subject := "Delete me " + tc.deleteType
			id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage(subject))
			msgs := iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: tc.deleteType, ItemIds: iwIDs(id.Id)})
			iwWantOK(t, msgs[0].ResponseMessage)
			iwGone(t, s, "alice@contoso.com", id.Id)
			if got := len(iwWithSubject(t, s, "alice@contoso.com", "deleteditems", subject)); got != map[bool]int{true: 1}[tc.inDeletedBox] {
				t.Errorf("%d copies in Deleted Items", got)
			}
		})
	}
	if n := len(iwFolder(t, s, "alice@contoso.com", "deleteditems")); n != deleted+1 {
		t.Errorf("Deleted Items %d -> %d", deleted, n)
	}

	t.Run("per-id messages", func(t *testing.T) {
		keep := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Keep deleting"))
		gone := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Already gone"))
		iwWantOK(t, iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, ItemIds: iwIDs(gone.Id)})[0].ResponseMessage)
		msgs := iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete,
			ItemIds: iwIDs(keep.Id, "bm90IGFuIGlk", gone.Id, "", iwFolderID(t, s, "alice@contoso.com", "inbox"))})
		iwWantOK(t, msgs[0].ResponseMessage)
		iwWantCode(t, msgs[1].ResponseMessage, ews.ErrorInvalidIdMalformed)
		iwWantCode(t, msgs[2].ResponseMessage, ews.ErrorItemNotFound)
		iwWantCode(t, msgs[3].ResponseMessage, ews.ErrorInvalidIdEmpty)
		iwWantCode(t, msgs[4].ResponseMessage, "ErrorCannotUseFolderIdForItemId")
	})

	t.Run("another mailbox's item", func(t *testing.T) {
		carolItem := iwFolder(t, s, "carol@contoso.com", "inbox")[0]
		msgs := iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, ItemIds: iwIDs(carolItem.ItemId.Id)})
		iwWantCode(t, msgs[0].ResponseMessage, ews.ErrorItemNotFound)
		iwItem(t, s, "carol@contoso.com", carolItem.ItemId.Id)
	})

	t.Run("calendar item needs SendMeetingCancellations", func(t *testing.T) {
		ev := iwFolder(t, s, "alice@contoso.com", "calendar")[0]
		msgs := iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, ItemIds: iwIDs(ev.ItemId.Id)})
		iwWantCode(t, msgs[0].ResponseMessage, "ErrorSendMeetingCancellationsRequired")
		iwItem(t, s, "alice@contoso.com", ev.ItemId.Id)
		msgs = iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, SendMeetingCancellations: ews.SendToNone, ItemIds: iwIDs(ev.ItemId.Id)})
		iwWantOK(t, msgs[0].ResponseMessage)
		iwGone(t, s, "alice@contoso.com", ev.ItemId.Id)
	})

	t.Run("task needs AffectedTaskOccurrences", func(t *testing.T) {
		id := iwCreateOne(t, alice, "", "", ews.Item{XMLName: iwKind(ews.KindTask), Subject: "File report"})
		msgs := iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, ItemIds: iwIDs(id.Id)})
		iwWantCode(t, msgs[0].ResponseMessage, "ErrorAffectedTaskOccurrencesRequired")
		msgs = iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, AffectedTaskOccurrences: ews.AllOccurrences, ItemIds: iwIDs(id.Id)})
		iwWantOK(t, msgs[0].ResponseMessage)
	})
}

// TestConvertIdDummyProbe sends exchangelib's first request to a server.
func TestConvertIdDummyProbe(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	for _, caller := range []*ewsCaller{
		s.as(t, "svc-sync@contoso.com", exchangesim.DefaultServicePassword, ""),
		s.as(t, "svc-nombx@contoso.com", exchangesim.DefaultServicePassword, ""), // no mailbox of its own
	} {
		status, body := caller.raw(ews.OpConvertId, &ews.ConvertIdRequest{DestinationFormat: ews.IdFormatEntryId,
			SourceIds: ews.AlternateIds{Ids: []ews.AlternateId{ews.NewAlternateId(ews.IdFormatEwsId, "DUMMY", "DUMMY")}}})
		if status != http.StatusOK {
			t.Fatalf("HTTP %d: %s", status, body)
		}
		ewsschema.Validate(t, ewsschema.Exchange2016, ews.OpConvertId, body)
		var resp ews.ConvertIdResponse
		v, err := ews.DecodeResponse(bytes.NewReader(body), ews.ResponseName(ews.OpConvertId), &resp)
		if err != nil {
			t.Fatal(err)
		}
		if v == nil || *v != ews.Exchange2016 {
			t.Errorf("ServerVersionInfo %+v", v)
		}
		if len(resp.ResponseMessages) != 1 {
			t.Fatalf("%d messages", len(resp.ResponseMessages))
		}
		iwWantCode(t, resp.ResponseMessages[0].ResponseMessage, ews.ErrorInvalidSmtpAddress)
	}
}

func TestConvertIdRoundTrips(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, "alice@contoso.com")
	convert := func(t *testing.T, dest string, src ...ews.AlternateId) []ews.ConvertIdResponseMessage {
		t.Helper()
		var resp ews.ConvertIdResponse
		c.mustCall(ews.OpConvertId, &ews.ConvertIdRequest{DestinationFormat: dest, SourceIds: ews.AlternateIds{Ids: src}}, &resp)
		if len(resp.ResponseMessages) != len(src) {
			t.Fatalf("%d messages for %d ids", len(resp.ResponseMessages), len(src))
		}
		return resp.ResponseMessages
	}
	// convertAll converts ids from one format to another in one request.
	convertAll := func(t *testing.T, format, dest string, ids ...string) []string {
		t.Helper()
		var src []ews.AlternateId
		for _, id := range ids {
			src = append(src, ews.NewAlternateId(format, id, "Alice@Contoso.com"))
		}
		var out []string
		for _, m := range convert(t, dest, src...) {
			iwWantOK(t, m.ResponseMessage)
			if m.AlternateId == nil || m.AlternateId.Format != dest || m.AlternateId.Mailbox != "Alice@Contoso.com" || m.AlternateId.Id == "" {
				t.Fatalf("converted %+v", m.AlternateId)
			}
			out = append(out, m.AlternateId.Id)
		}
		return out
	}
	item := iwFolder(t, s, "alice@contoso.com", "inbox")[3].ItemId.Id
	folder := iwFolderID(t, s, "alice@contoso.com", "inbox")
	formats := []string{ews.IdFormatEntryId, ews.IdFormatHexEntryId, ews.IdFormatEwsLegacyId, ews.IdFormatStoreId, ews.IdFormatOwaId, ews.IdFormatEwsId}
	t.Run("round trips", func(t *testing.T) {
		for _, f := range formats {
			alt := convertAll(t, ews.IdFormatEwsId, f, item, folder)
			if back := convertAll(t, f, ews.IdFormatEwsId, alt...); back[0] != item || back[1] != folder {
				t.Errorf("%s round trip: %s, %s -> %v -> %v", f, item, folder, alt, back)
			}
			if f != ews.IdFormatEwsId && (alt[0] == item || alt[1] == folder) {
				t.Errorf("%s ids %v are the EwsIds", f, alt)
			}
			if f == ews.IdFormatEntryId {
				for i, want := range []int{70, 46} { // MAPI message and folder entry ids
					if b, err := base64.StdEncoding.DecodeString(alt[i]); err != nil || len(b) != want || !bytes.Equal(b[:4], []byte{0, 0, 0, 0}) {
						t.Errorf("EntryId %s: %x (%v)", alt[i], b, err)
					}
				}
			}
			if f == ews.IdFormatHexEntryId && (len(alt[0]) != 140 || len(alt[1]) != 92 || alt[0] != strings.ToUpper(alt[0])) {
				t.Errorf("HexEntryIds %v", alt)
			}
		}
	})
	t.Run("chain", func(t *testing.T) {
		// From format to format without passing through EwsId.
		ids, from := []string{item, folder}, ews.IdFormatEwsId
		for _, f := range formats {
			ids, from = convertAll(t, from, f, ids...), f
		}
		if ids[0] != item || ids[1] != folder {
			t.Errorf("chain of conversions ends at %v, want %s, %s", ids, item, folder)
		}
	})

	t.Run("errors", func(t *testing.T) {
		msgs := convert(t, ews.IdFormatEwsId,
			ews.NewAlternateId(ews.IdFormatHexEntryId, "ZZ", "alice@contoso.com"),
			ews.NewAlternateId(ews.IdFormatEntryId, item, "alice@contoso.com"), // an EwsId is no EntryId
			ews.NewAlternateId(ews.IdFormatEwsId, "", "alice@contoso.com"),
			ews.NewAlternateId(ews.IdFormatEwsId, item, "not an address"),
			ews.NewAlternateId(ews.IdFormatEwsId, item, "alice@contoso.com"))
		iwWantCode(t, msgs[0].ResponseMessage, ews.ErrorInvalidIdMalformed)
		iwWantCode(t, msgs[1].ResponseMessage, ews.ErrorInvalidIdMalformed)
		iwWantCode(t, msgs[2].ResponseMessage, ews.ErrorInvalidIdEmpty)
		iwWantCode(t, msgs[3].ResponseMessage, ews.ErrorInvalidSmtpAddress)
		iwWantOK(t, msgs[4].ResponseMessage)
		if msgs[0].AlternateId != nil {
			t.Error("error message with an id")
		}
		var resp ews.ConvertIdResponse
		err := c.call(ews.OpConvertId, &ews.ConvertIdRequest{DestinationFormat: "Base64",
			SourceIds: ews.AlternateIds{Ids: []ews.AlternateId{ews.NewAlternateId(ews.IdFormatEwsId, item, "alice@contoso.com")}}}, &resp)
		iwWantFault(t, err, ews.ErrorSchemaValidation)
	})
}

// TestCreatedItemsAreSchemaValid fetches what the write operations stored (sent and saved
// messages, meetings with their requests, copies and cancellations, contacts, tasks) with
// GetItem AllProperties: the harness validates every response against the schema.
func TestCreatedItemsAreSchemaValid(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	evID := iwCreateOne(t, alice, "", ews.SendToAllAndSaveCopy, ews.Item{XMLName: iwKind(ews.KindCalendarItem), Subject: "Pipeline review",
		Start: ews.Date(start), End: ews.Date(start.Add(time.Hour)), Body: &ews.Body{BodyType: "Text", Value: "Agenda"},
		RequiredAttendees: &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: iwAddr("carol@contoso.com")}, {Mailbox: iwAddr("ext@fabrikam.com")}}},
		OptionalAttendees: &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: iwAddr("sales@contoso.com")}}},
		Resources:         &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: iwAddr("room-atlas@contoso.com")}}}})
	msg := iwMessage("Hello", "carol@contoso.com", "ext@fabrikam.com")
	iwCreateOne(t, alice, ews.SaveOnly, "", msg)
	iwWantOK(t, iwCreate(t, alice, &ews.CreateItemRequest{MessageDisposition: ews.SendAndSaveCopy, Items: ews.Items{Items: []ews.Item{msg}}})[0].ResponseMessage)
	iwCreateOne(t, alice, "", "", ews.Item{XMLName: iwKind(ews.KindContact), GivenName: "Zoe", Surname: "Zimmer",
		EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "zoe@fabrikam.com"}}},
		PhoneNumbers:   &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{{Key: "MobilePhone", Value: "+47 555 0100"}}}})
	iwCreateOne(t, alice, "", "", ews.Item{XMLName: iwKind(ews.KindTask), Subject: "File report"})

	getAll := func(owner string, folders ...string) {
		t.Helper()
		var ids []string
		for _, f := range folders {
			for _, it := range iwFolder(t, s, owner, f) {
				ids = append(ids, it.ItemId.Id)
			}
		}
		var resp ews.GetItemResponse
		s.svcAs(t, owner).mustCall(ews.OpGetItem, &ews.GetItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeAllProperties},
			ItemIds: iwIDs(ids...)}, &resp)
		for _, m := range resp.ResponseMessages {
			iwWantOK(t, m.ResponseMessage)
		}
	}
	getAll("alice@contoso.com", "drafts", "sentitems", "calendar", "contacts", "tasks")
	getAll("carol@contoso.com", "inbox", "calendar")
	iwWantOK(t, iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, SendMeetingCancellations: ews.SendToAllAndSaveCopy,
		ItemIds: iwIDs(evID.Id)})[0].ResponseMessage)
	getAll("carol@contoso.com", "inbox", "calendar")
	getAll("alice@contoso.com", "sentitems")
}
