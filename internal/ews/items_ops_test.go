package ews_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
)

var (
	itT0 = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	itT1 = time.Date(2024, 5, 6, 8, 0, 0, 0, time.UTC)
	itT2 = time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)

	itAlice = ews.EmailAddress{Name: "Alice", EmailAddress: "alice@contoso.com", RoutingType: "SMTP", MailboxType: "Mailbox"}
	itBob   = ews.EmailAddress{Name: "Bob", EmailAddress: "bob@contoso.com", RoutingType: "SMTP", MailboxType: "Mailbox"}
)

func itHeader() *ews.RequestHeader {
	return &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"},
		ExchangeImpersonation: ews.Impersonate("alice@contoso.com")}
}

func itKind(k string) xml.Name { return xml.Name{Local: k} }

func itId(s, ck string) *ews.ItemId { return &ews.ItemId{Id: s, ChangeKey: ck} }

// The requests and responses below are what the golden files hold; every one is
// realistic for its operation and all of them validate against both schema sets.

func syncFolderHierarchyRequest() *ews.SyncFolderHierarchyRequest {
	return &ews.SyncFolderHierarchyRequest{
		FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{
			ews.Field("folder:DisplayName"), ews.Field("folder:FolderClass")}}},
		SyncFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("msgfolderroot")}},
		SyncState:    "H4sIAAAAAAAEAA==",
	}
}

func syncFolderHierarchyResponse() *ews.SyncFolderHierarchyResponse {
	return &ews.SyncFolderHierarchyResponse{ResponseMessages: []ews.SyncFolderHierarchyResponseMessage{{
		ResponseMessage:           ews.Success(),
		SyncState:                 "H4sIAAAAAAAEAB==",
		IncludesLastFolderInRange: ews.Bool(true),
		Changes: &ews.SyncFolderHierarchyChanges{Changes: []ews.SyncFolderHierarchyChange{
			ews.FolderCreated(ews.Folder{XMLName: itKind(ews.KindCalendarFolder), FolderId: &ews.FolderId{Id: "AAMkCal=", ChangeKey: "AgAAABQA"},
				ParentFolderId: &ews.FolderId{Id: "AAMkRoot=", ChangeKey: "AQAAAA=="}, FolderClass: "IPF.Appointment", DisplayName: "Calendar"}),
			ews.FolderUpdated(ews.Folder{XMLName: itKind(ews.KindFolder), FolderId: &ews.FolderId{Id: "AAMkInbox=", ChangeKey: "AQAAABQA"},
				FolderClass: "IPF.Note", DisplayName: "Inbox", TotalCount: ews.Int(12), ChildFolderCount: ews.Int(1), UnreadCount: ews.Int(3)}),
			ews.FolderDeleted(ews.FolderId{Id: "AAMkOld=", ChangeKey: "AQAAABQB"}),
		}},
	}}}
}

func syncFolderItemsRequest() *ews.SyncFolderItemsRequest {
	return &ews.SyncFolderItemsRequest{
		ItemShape:          ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("item:Subject")}}},
		SyncFolderId:       ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
		SyncState:          "H4sIAAAAAAAEAO29B2A=",
		Ignore:             &ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: "AAMkIgn=", ChangeKey: "CQAAAA=="})}},
		MaxChangesReturned: 100,
		SyncScope:          ews.SyncNormalItems,
	}
}

func syncFolderItemsResponse() *ews.SyncFolderItemsResponse {
	return &ews.SyncFolderItemsResponse{ResponseMessages: []ews.SyncFolderItemsResponseMessage{{
		ResponseMessage:         ews.Success(),
		SyncState:               "H4sIAAAAAAAEAO29B2B=",
		IncludesLastItemInRange: ews.Bool(false),
		Changes: &ews.SyncFolderItemsChanges{Changes: []ews.SyncFolderItemsChange{
			ews.ItemCreated(ews.Item{XMLName: itKind(ews.KindMessage), ItemId: itId("AAMkMsg1=", "CQAAAB=="), Subject: "Quarterly report", IsRead: ews.Bool(false)}),
			ews.ItemCreated(ews.Item{XMLName: itKind(ews.KindMeetingRequest), ItemId: itId("AAMkMr1=", "CwAAAB=="), Subject: "Weekly sync",
				Start: ews.Date(itT1), End: ews.Date(itT2), Location: "Room 1"}),
			ews.ItemUpdated(ews.Item{XMLName: itKind(ews.KindCalendarItem), ItemId: itId("AAMkCal1=", "DwAAAC=="), Subject: "Planning (moved)",
				IsResponseRequested: ews.Bool(true), CalendarItemType: "Single"}),
			ews.ItemDeleted(ews.ItemId{Id: "AAMkGone=", ChangeKey: "CQAAAC=="}),
			ews.ReadFlagChanged(ews.ItemId{Id: "AAMkMsg2=", ChangeKey: "CQAAAD=="}, true),
		}},
	}}}
}

func syncFolderItemsErrorResponse() *ews.SyncFolderItemsResponse {
	return &ews.SyncFolderItemsResponse{ResponseMessages: []ews.SyncFolderItemsResponseMessage{{
		ResponseMessage: ews.Failure(ews.ErrorInvalidSyncStateData, "Synchronization state data is corrupt or otherwise invalid."),
	}}}
}

func getItemRequest() *ews.GetItemRequest {
	return &ews.GetItemRequest{
		ItemShape: ews.ItemShape{BaseShape: ews.ShapeDefault, BodyType: "Text", AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{
			ews.Field("item:Categories"), ews.IndexedField("contacts:PhoneNumber", "MobilePhone"), ews.ExtendedTag("0x1090", "Integer")}}},
		ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{
			ews.ItemRef(ews.ItemId{Id: "AAMkMsg1=", ChangeKey: "CQAAAB=="}),
			ews.ItemRef(ews.ItemId{Id: "AAMkCal1="}),
			{XMLName: itKind("t:OccurrenceItemId"), RecurringMasterId: "AAMkMaster=", InstanceIndex: 3},
			ews.ItemRef(ews.ItemId{Id: "AAMkCon1="}),
			ews.ItemRef(ews.ItemId{Id: "AAMkGone="}),
		}},
	}
}

func getItemResponse() *ews.GetItemResponse {
	one := func(it ews.Item) ews.GetItemResponseMessage {
		return ews.GetItemResponseMessage{ResponseMessage: ews.Success(), Items: ews.Items{Items: []ews.Item{it}}}
	}
	return &ews.GetItemResponse{ResponseMessages: []ews.GetItemResponseMessage{
		one(ews.Item{XMLName: itKind(ews.KindMessage), ItemId: itId("AAMkMsg1=", "CQAAAB=="), ParentFolderId: &ews.FolderId{Id: "AAMkInbox=", ChangeKey: "AQAAAB=="},
			ItemClass: "IPM.Note", Subject: "Quarterly report", Body: &ews.Body{BodyType: "Text", Value: "Numbers & <figures>"},
			Attachments: &ews.Attachments{Attachments: []ews.Attachment{
				{XMLName: itKind(ews.KindFileAttachment), AttachmentId: &ews.AttachmentId{Id: "AAMkAtt1="}, Name: "report.pdf", ContentType: "application/pdf", Size: 52311, IsInline: ews.Bool(false), IsContactPhoto: ews.Bool(false)},
				{XMLName: itKind(ews.KindItemAttachment), AttachmentId: &ews.AttachmentId{Id: "AAMkAtt2="}, Name: "Fwd: numbers", Item: &ews.Item{XMLName: itKind(ews.KindMessage), Subject: "numbers"}},
			}},
			DateTimeReceived: ews.Date(itT0), Size: ews.Int(60122), Categories: &ews.Strings{Strings: []string{"CRM"}}, Importance: "High",
			HasAttachments:     ews.Bool(true),
			ExtendedProperties: []ews.ExtendedProperty{{ExtendedFieldURI: ews.ExtendedTag("0x1090", "Integer"), Value: "2"}},
			Sender:             &ews.SingleRecipient{Mailbox: itBob}, ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{itAlice}},
			From: &ews.SingleRecipient{Mailbox: itBob}, InternetMessageId: "<r1@contoso.com>", IsRead: ews.Bool(true)}),
		one(ews.Item{XMLName: itKind(ews.KindCalendarItem), ItemId: itId("AAMkCal1=", "DwAAAC=="), Subject: "Weekly sync",
			Start: ews.Date(itT1), End: ews.Date(itT2), IsAllDayEvent: ews.Bool(false), LegacyFreeBusyStatus: "Busy", Location: "Room 1",
			IsMeeting: ews.Bool(true), IsRecurring: ews.Bool(true), IsResponseRequested: ews.Bool(true), CalendarItemType: "RecurringMaster",
			MyResponseType: "Organizer", Organizer: &ews.SingleRecipient{Mailbox: itAlice},
			RequiredAttendees: &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: itBob, ResponseType: "Accept", LastResponseTime: ews.Date(itT0)}}},
			Recurrence: &ews.Recurrence{Weekly: &ews.RecurrencePattern{Interval: 1, DaysOfWeek: "Monday", FirstDayOfWeek: "Monday"},
				Numbered: &ews.RecurrenceRange{StartDate: "2024-05-06", NumberOfOccurrences: 10}},
			DeletedOccurrences: &ews.DeletedOccurrences{Occurrences: []ews.DeletedOccurrence{{Start: ews.Date(itT1.AddDate(0, 0, 7))}}},
			StartTimeZone:      &ews.TimeZoneDefinition{Id: "Romance Standard Time"}, EndTimeZone: &ews.TimeZoneDefinition{Id: "Romance Standard Time"}}),
		one(ews.Item{XMLName: itKind(ews.KindCalendarItem), ItemId: itId("AAMkOcc3=", "DwAAAD=="), Subject: "Weekly sync",
			RecurrenceId: ews.Date(itT1.AddDate(0, 0, 14)), Start: ews.Date(itT1.AddDate(0, 0, 14)), End: ews.Date(itT2.AddDate(0, 0, 14)),
			CalendarItemType: "Occurrence"}),
		one(ews.Item{XMLName: itKind(ews.KindContact), ItemId: itId("AAMkCon1=", "EQAAAA=="), Subject: "Dana Smith",
			FileAs: "Smith, Dana", DisplayName: "Dana Smith", GivenName: "Dana", CompanyName: "Contoso",
			EmailAddresses:    &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "dana@contoso.com"}}},
			PhysicalAddresses: &ews.PhysicalAddresses{Entries: []ews.PhysicalAddressEntry{{Key: "Business", Street: "1 Main St", City: "Aarhus", CountryOrRegion: "Denmark", PostalCode: "8000"}}},
			PhoneNumbers:      &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{{Key: "MobilePhone", Value: "+45 1234 5678"}}},
			Birthday:          ews.Date(time.Date(1990, 4, 1, 11, 59, 0, 0, time.UTC)), JobTitle: "Buyer", Surname: "Smith"}),
		{ResponseMessage: ews.Failure(ews.ErrorItemNotFound, "The specified object was not found in the store.")},
	}}
}

func findItemRequest() *ews.FindItemRequest {
	received := ews.Field("item:DateTimeReceived")
	return &ews.FindItemRequest{
		Traversal:           ews.TraversalShallow,
		ItemShape:           ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{received, ews.Field("item:Subject")}}},
		IndexedPageItemView: &ews.IndexedPageView{MaxEntriesReturned: 50, Offset: 100, BasePoint: ews.BasePointBeginning},
		Restriction: ews.Where(ews.And(
			ews.IsGreaterThanOrEqualTo(received, "2024-05-01T00:00:00Z"),
			ews.IsLessThan(received, "2024-06-01T00:00:00Z"),
			ews.Not(ews.IsEqualTo(ews.Field("item:Subject"), "Spam")),
			ews.Or(ews.Contains(ews.Field("item:Subject"), "report", "Substring", "IgnoreCase"), ews.Exists(ews.ExtendedTag("0x1090", "Integer"))),
		)),
		SortOrder:       ews.SortBy(ews.OrderBy(received, ews.Descending), ews.OrderBy(ews.Field("item:Subject"), ews.Ascending)),
		ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox"), ews.FolderRef(ews.FolderId{Id: "AAMkGone="})}},
	}
}

func findItemResponse() *ews.FindItemResponse {
	return &ews.FindItemResponse{ResponseMessages: []ews.FindItemResponseMessage{
		{ResponseMessage: ews.Success(), RootFolder: &ews.FindItemRootFolder{
			Paging: ews.Paging{IndexedPagingOffset: ews.Int(103), TotalItemsInView: 240, IncludesLastItemInRange: false},
			Items: ews.Items{Items: []ews.Item{
				{XMLName: itKind(ews.KindMessage), ItemId: itId("AAMkMsg1=", "CQAAAB=="), Subject: "Quarterly report", DateTimeReceived: ews.Date(itT0)},
				{XMLName: itKind(ews.KindMeetingRequest), ItemId: itId("AAMkMr1=", "CwAAAB=="), Subject: "Weekly sync report", DateTimeReceived: ews.Date(itT0.Add(-time.Hour))},
				{XMLName: itKind(ews.KindPostItem), ItemId: itId("AAMkPost=", "CgAAAB=="), Subject: "Posted report", DateTimeReceived: ews.Date(itT0.Add(-2 * time.Hour))},
			}},
		}},
		{ResponseMessage: ews.Failure(ews.ErrorFolderNotFound, "The specified folder could not be found in the store.")},
	}}
}

func findItemCalendarViewRequest() *ews.FindItemRequest {
	return &ews.FindItemRequest{
		Traversal: ews.TraversalShallow,
		ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{
			ews.Field("item:Subject"), ews.Field("calendar:Start"), ews.Field("calendar:End"), ews.Field("calendar:CalendarItemType")}}},
		CalendarView: &ews.CalendarView{MaxEntriesReturned: 500, StartDate: ews.Date(itT0), EndDate: ews.Date(itT0.AddDate(0, 1, 0))},
		ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{{XMLName: itKind("t:DistinguishedFolderId"), Id: "calendar",
			Mailbox: &ews.EmailAddress{EmailAddress: "alice@contoso.com"}}}},
	}
}

func findItemCalendarViewResponse() *ews.FindItemResponse {
	occ := func(n int) ews.Item {
		return ews.Item{XMLName: itKind(ews.KindCalendarItem), ItemId: itId("AAMkOcc"+string(rune('0'+n))+"=", "DwAAAB=="), Subject: "Weekly sync",
			Start: ews.Date(itT1.AddDate(0, 0, 7*n)), End: ews.Date(itT2.AddDate(0, 0, 7*n)), CalendarItemType: "Occurrence"}
	}
	return &ews.FindItemResponse{ResponseMessages: []ews.FindItemResponseMessage{{ResponseMessage: ews.Success(), RootFolder: &ews.FindItemRootFolder{
		Paging: ews.Paging{TotalItemsInView: 3, IncludesLastItemInRange: true},
		Items: ews.Items{Items: []ews.Item{
			{XMLName: itKind(ews.KindCalendarItem), ItemId: itId("AAMkCal2=", "DwAAAC=="), Subject: "Planning", Start: ews.Date(itT0), End: ews.Date(itT0.Add(time.Hour)), CalendarItemType: "Single"},
			occ(0), occ(1),
		}},
	}}}}
}

func findFolderRequest() *ews.FindFolderRequest {
	return &ews.FindFolderRequest{
		Traversal:             ews.TraversalDeep,
		FolderShape:           ews.FolderShape{BaseShape: ews.ShapeDefault, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("folder:FolderClass")}}},
		IndexedPageFolderView: &ews.IndexedPageView{MaxEntriesReturned: 100, Offset: 0, BasePoint: ews.BasePointBeginning},
		Restriction:           ews.Where(ews.IsEqualTo(ews.Field("folder:FolderClass"), "IPF.Note")),
		ParentFolderIds:       ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("msgfolderroot"), ews.DistinguishedFolder("publicfoldersroot")}},
	}
}

func findFolderResponse() *ews.FindFolderResponse {
	return &ews.FindFolderResponse{ResponseMessages: []ews.FindFolderResponseMessage{
		{ResponseMessage: ews.Success(), RootFolder: &ews.FindFolderRootFolder{
			Paging: ews.Paging{IndexedPagingOffset: ews.Int(2), TotalItemsInView: 2, IncludesLastItemInRange: true},
			Folders: &ews.Folders{Folders: []ews.Folder{
				{XMLName: itKind(ews.KindFolder), FolderId: &ews.FolderId{Id: "AAMkInbox=", ChangeKey: "AQAAABQA"}, FolderClass: "IPF.Note", DisplayName: "Inbox",
					TotalCount: ews.Int(12), ChildFolderCount: ews.Int(1), UnreadCount: ews.Int(3)},
				{XMLName: itKind(ews.KindFolder), FolderId: &ews.FolderId{Id: "AAMkProj=", ChangeKey: "AQAAABYA"}, ParentFolderId: &ews.FolderId{Id: "AAMkInbox=", ChangeKey: "AQAAABQA"},
					FolderClass: "IPF.Note", DisplayName: "Projects", TotalCount: ews.Int(0), ChildFolderCount: ews.Int(0), UnreadCount: ews.Int(0)},
			}},
		}},
		{ResponseMessage: ews.Failure(ews.ErrorInvalidOperation, "Deep traversal is not allowed for public folders.")},
	}}
}

func createItemRequest() *ews.CreateItemRequest {
	return &ews.CreateItemRequest{
		MessageDisposition:     ews.SendAndSaveCopy,
		SendMeetingInvitations: ews.SendToAllAndSaveCopy,
		SavedItemFolderId:      &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("sentitems")}},
		Items: ews.Items{Items: []ews.Item{
			{XMLName: itKind(ews.KindMessage), Subject: "Quarterly report", Body: &ews.Body{BodyType: "HTML", Value: "<p>Numbers</p>"},
				Categories: &ews.Strings{Strings: []string{"CRM"}}, Importance: "High",
				ExtendedProperties:     []ews.ExtendedProperty{{ExtendedFieldURI: ews.ExtendedTag("0x1090", "Integer"), Value: "2"}},
				ToRecipients:           &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: "bob@contoso.com"}}},
				IsReadReceiptRequested: ews.Bool(false), IsRead: ews.Bool(true), IsResponseRequested: ews.Bool(false)},
			{XMLName: itKind(ews.KindCalendarItem), Subject: "Weekly sync", Body: &ews.Body{BodyType: "Text", Value: "Agenda"},
				ReminderIsSet: ews.Bool(true), ReminderMinutesBeforeStart: "15",
				Start: ews.Date(itT1), End: ews.Date(itT2), IsAllDayEvent: ews.Bool(false), LegacyFreeBusyStatus: "Busy", Location: "Room 1",
				IsResponseRequested: ews.Bool(true),
				RequiredAttendees:   &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: ews.EmailAddress{EmailAddress: "bob@contoso.com"}}}},
				Resources:           &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: ews.EmailAddress{EmailAddress: "room1@contoso.com"}}}},
				Recurrence: &ews.Recurrence{Weekly: &ews.RecurrencePattern{Interval: 1, DaysOfWeek: "Monday Wednesday"},
					EndDate: &ews.RecurrenceRange{StartDate: "2024-05-06", EndDate: "2024-07-01"}},
				StartTimeZone: &ews.TimeZoneDefinition{Id: "Romance Standard Time"}, EndTimeZone: &ews.TimeZoneDefinition{Id: "Romance Standard Time"}},
			{XMLName: itKind(ews.KindContact), FileAs: "Smith, Dana", DisplayName: "Dana Smith", GivenName: "Dana", Surname: "Smith",
				EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "dana@contoso.com"}}},
				PhoneNumbers:   &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{{Key: "BusinessPhone", Value: "+45 8765 4321"}}}},
		}},
	}
}

func createItemResponse() *ews.CreateItemResponse {
	return &ews.CreateItemResponse{ResponseMessages: []ews.CreateItemResponseMessage{
		{ResponseMessage: ews.Success()}, // sent: no copy is returned
		{ResponseMessage: ews.Success(), Items: ews.Items{Items: []ews.Item{{XMLName: itKind(ews.KindCalendarItem), ItemId: itId("AAMkNew=", "DwAAABYC")}}}},
		{ResponseMessage: ews.Failure(ews.ErrorAccessDenied, "Access is denied. Check credentials and try again.")},
	}}
}

func updateItemRequest() *ews.UpdateItemRequest {
	return &ews.UpdateItemRequest{
		ConflictResolution:                    ews.AutoResolve,
		MessageDisposition:                    ews.SaveOnly,
		SendMeetingInvitationsOrCancellations: ews.SendToChangedAndSaveCopy,
		SuppressReadReceipts:                  ews.Bool(true),
		ItemChanges: []ews.ItemChange{
			{ItemId: itId("AAMkMsg1=", "CQAAAB=="), Updates: ews.ItemUpdates{Updates: []ews.ItemUpdate{
				ews.SetItemField(ews.Field("message:IsRead"), ews.Item{XMLName: itKind(ews.KindMessage), IsRead: ews.Bool(true)}),
				ews.SetItemField(ews.ExtendedTag("0x1090", "Integer"), ews.Item{XMLName: itKind(ews.KindMessage),
					ExtendedProperties: []ews.ExtendedProperty{{ExtendedFieldURI: ews.ExtendedTag("0x1090", "Integer"), Value: "2"}}}),
				ews.AppendToItemField(ews.Field("message:ToRecipients"), ews.Item{XMLName: itKind(ews.KindMessage),
					ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: "carol@contoso.com"}}}}),
			}}},
			{ItemId: itId("AAMkCal1=", "DwAAAC=="), Updates: ews.ItemUpdates{Updates: []ews.ItemUpdate{
				ews.SetItemField(ews.Field("calendar:Start"), ews.Item{XMLName: itKind(ews.KindCalendarItem), Start: ews.Date(itT1.Add(time.Hour))}),
				ews.SetItemField(ews.Field("calendar:IsResponseRequested"), ews.Item{XMLName: itKind(ews.KindCalendarItem), IsResponseRequested: ews.Bool(false)}),
				ews.DeleteItemField(ews.Field("calendar:Location")),
			}}},
			{OccurrenceItemId: &ews.OccurrenceItemId{RecurringMasterId: "AAMkCal1=", InstanceIndex: 2}, Updates: ews.ItemUpdates{Updates: []ews.ItemUpdate{
				ews.SetItemField(ews.Field("item:Subject"), ews.Item{XMLName: itKind(ews.KindCalendarItem), Subject: "Weekly sync (moved)"}),
			}}},
			{ItemId: itId("AAMkCon1=", "EQAAAA=="), Updates: ews.ItemUpdates{Updates: []ews.ItemUpdate{
				ews.SetItemField(ews.IndexedField("contacts:PhoneNumber", "MobilePhone"), ews.Item{XMLName: itKind(ews.KindContact),
					PhoneNumbers: &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{{Key: "MobilePhone", Value: "+45 1234 5678"}}}}),
				ews.DeleteItemField(ews.IndexedField("contacts:PhysicalAddress:City", "Business")),
			}}},
		},
	}
}

func updateItemResponse() *ews.UpdateItemResponse {
	ok := func(k, i, ck string) ews.UpdateItemResponseMessage {
		return ews.UpdateItemResponseMessage{ResponseMessage: ews.Success(),
			Items: ews.Items{Items: []ews.Item{{XMLName: itKind(k), ItemId: itId(i, ck)}}}, ConflictResults: &ews.ConflictResults{Count: 0}}
	}
	return &ews.UpdateItemResponse{ResponseMessages: []ews.UpdateItemResponseMessage{
		ok(ews.KindMessage, "AAMkMsg1=", "CQAAAC=="),
		ok(ews.KindCalendarItem, "AAMkCal1=", "DwAAAD=="),
		{ResponseMessage: ews.Failure(ews.ErrorIrresolvableConflict, "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."),
			ConflictResults: &ews.ConflictResults{Count: 1}},
		ok(ews.KindContact, "AAMkCon1=", "EQAAAB=="),
	}}
}

func deleteItemRequest() *ews.DeleteItemRequest {
	return &ews.DeleteItemRequest{
		DeleteType:               ews.MoveToDeletedItems,
		SendMeetingCancellations: ews.SendToAllAndSaveCopy,
		AffectedTaskOccurrences:  ews.AllOccurrences,
		ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{
			ews.ItemRef(ews.ItemId{Id: "AAMkMsg1=", ChangeKey: "CQAAAB=="}),
			ews.ItemRef(ews.ItemId{Id: "AAMkCal1="}),
			ews.ItemRef(ews.ItemId{Id: "AAMkGone="}),
		}},
	}
}

func deleteItemResponse() *ews.DeleteItemResponse {
	return &ews.DeleteItemResponse{ResponseMessages: []ews.DeleteItemResponseMessage{
		{ResponseMessage: ews.Success()},
		{ResponseMessage: ews.Success()},
		{ResponseMessage: ews.Failure(ews.ErrorItemNotFound, "The specified object was not found in the store.")},
	}}
}

// itemOpCase is one golden document: an operation's request or response.
type itemOpCase struct {
	file string
	op   string
	resp bool
	body any
}

func itemOpCases() []itemOpCase {
	return []itemOpCase{
		{"SyncFolderHierarchy.request.xml", ews.OpSyncFolderHierarchy, false, syncFolderHierarchyRequest()},
		{"SyncFolderHierarchy.response.xml", ews.OpSyncFolderHierarchy, true, syncFolderHierarchyResponse()},
		{"SyncFolderItems.request.xml", ews.OpSyncFolderItems, false, syncFolderItemsRequest()},
		{"SyncFolderItems.response.xml", ews.OpSyncFolderItems, true, syncFolderItemsResponse()},
		{"SyncFolderItems-ErrorInvalidSyncStateData.response.xml", ews.OpSyncFolderItems, true, syncFolderItemsErrorResponse()},
		{"GetItem.request.xml", ews.OpGetItem, false, getItemRequest()},
		{"GetItem.response.xml", ews.OpGetItem, true, getItemResponse()},
		{"FindItem.request.xml", ews.OpFindItem, false, findItemRequest()},
		{"FindItem.response.xml", ews.OpFindItem, true, findItemResponse()},
		{"FindItem-CalendarView.request.xml", ews.OpFindItem, false, findItemCalendarViewRequest()},
		{"FindItem-CalendarView.response.xml", ews.OpFindItem, true, findItemCalendarViewResponse()},
		{"FindFolder.request.xml", ews.OpFindFolder, false, findFolderRequest()},
		{"FindFolder.response.xml", ews.OpFindFolder, true, findFolderResponse()},
		{"CreateItem.request.xml", ews.OpCreateItem, false, createItemRequest()},
		{"CreateItem.response.xml", ews.OpCreateItem, true, createItemResponse()},
		{"UpdateItem.request.xml", ews.OpUpdateItem, false, updateItemRequest()},
		{"UpdateItem.response.xml", ews.OpUpdateItem, true, updateItemResponse()},
		{"DeleteItem.request.xml", ews.OpDeleteItem, false, deleteItemRequest()},
		{"DeleteItem.response.xml", ews.OpDeleteItem, true, deleteItemResponse()},
	}
}

func (c itemOpCase) encode(b *bytes.Buffer) error {
	if c.resp {
		return ews.EncodeResponse(b, &ews.Exchange2016, ews.ResponseName(c.op), c.body)
	}
	return ews.EncodeRequest(b, itHeader(), c.op, c.body)
}

// newItemOpRequest is the bodyFor of DecodeRequest for the operations of this file.
func newItemOpRequest(op string) any {
	switch op {
	case ews.OpSyncFolderHierarchy:
		return new(ews.SyncFolderHierarchyRequest)
	case ews.OpSyncFolderItems:
		return new(ews.SyncFolderItemsRequest)
	case ews.OpGetItem:
		return new(ews.GetItemRequest)
	case ews.OpFindItem:
		return new(ews.FindItemRequest)
	case ews.OpFindFolder:
		return new(ews.FindFolderRequest)
	case ews.OpCreateItem:
		return new(ews.CreateItemRequest)
	case ews.OpUpdateItem:
		return new(ews.UpdateItemRequest)
	case ews.OpDeleteItem:
		return new(ews.DeleteItemRequest)
	case ews.OpSendItem:
		return new(ews.SendItemRequest)
	}
	return nil
}

// newItemOpResponse returns an empty response value for op.
func newItemOpResponse(op string) any {
	switch op {
	case ews.OpSyncFolderHierarchy:
		return new(ews.SyncFolderHierarchyResponse)
	case ews.OpSyncFolderItems:
		return new(ews.SyncFolderItemsResponse)
	case ews.OpGetItem:
		return new(ews.GetItemResponse)
	case ews.OpFindItem:
		return new(ews.FindItemResponse)
	case ews.OpFindFolder:
		return new(ews.FindFolderResponse)
	case ews.OpCreateItem:
		return new(ews.CreateItemResponse)
	case ews.OpUpdateItem:
		return new(ews.UpdateItemResponse)
	case ews.OpDeleteItem:
		return new(ews.DeleteItemResponse)
	}
	return nil
}

func TestItemOpsGolden(t *testing.T) {
	var paths []string
	for _, c := range itemOpCases() {
		t.Run(c.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.encode(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, c.file, b.Bytes())
		})
		paths = append(paths, filepath.Join("testdata", c.file))
	}
	ewsschema.ValidateFiles(t, ewsschema.Primary, paths...)
	ewsschema.ValidateFiles(t, ewsschema.Exchange2016, paths...)
}

func TestItemOpsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range itemOpCases() {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := c.encode(&b); err != nil {
				t.Fatal(err)
			}
			var got any
			if c.resp {
				got = newItemOpResponse(c.op)
				if _, err := ews.DecodeResponse(&b, ews.ResponseName(c.op), got); err != nil {
					t.Fatal(err)
				}
			} else {
				h, op, body, err := ews.DecodeRequest(&b, newItemOpRequest)
				if err != nil {
					t.Fatal(err)
				}
				if op != c.op || h.ExchangeImpersonation.ConnectingSID.PrimarySmtpAddress != "alice@contoso.com" {
					t.Fatalf("op %q, header %+v", op, h)
				}
				got = body
			}
			if !reflect.DeepEqual(got, c.body) {
				t.Errorf("round trip differs:\ngot  %+v\nwant %+v", got, c.body)
			}
		})
	}
}

// The errors of batch responses decode into typed errors, per message.
func TestItemOpsMessageErrors(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := ews.EncodeResponse(&b, &ews.Exchange2016, ews.ResponseName(ews.OpGetItem), getItemResponse()); err != nil {
		t.Fatal(err)
	}
	var got ews.GetItemResponse
	if _, err := ews.DecodeResponse(&b, ews.ResponseName(ews.OpGetItem), &got); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range got.ResponseMessages {
		codes = append(codes, ews.Code(m.Err()))
	}
	want := []string{"", "", "", "", ews.ErrorItemNotFound}
	if !slices.Equal(codes, want) {
		t.Errorf("codes %q, want %q", codes, want)
	}
	if got.ResponseMessages[4].Items.Items != nil {
		t.Errorf("error message carries items: %+v", got.ResponseMessages[4].Items)
	}
}

func itRead(t *testing.T, dir, name string) []byte {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func itDecodeRequest(t *testing.T, doc []byte) any {
	t.Helper()
	_, _, body, err := ews.DecodeRequest(bytes.NewReader(doc), newItemOpRequest)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func itDecodeResponse(t *testing.T, doc []byte, op string) any {
	t.Helper()
	body := newItemOpResponse(op)
	if _, err := ews.DecodeResponse(bytes.NewReader(doc), ews.ResponseName(op), body); err != nil {
		t.Fatal(err)
	}
	return body
}

func itCheck(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// The hand-written examples in the shared schema directory decode into these types.
func TestDecodeSharedItemExamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(ewsschema.Dir(t), "examples")
	cases := []struct {
		file  string
		op    string
		check func(t *testing.T, body any)
	}{
		{"SyncFolderHierarchy.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.SyncFolderHierarchyRequest)
			itCheck(t, "shape", r.FolderShape.BaseShape, ews.ShapeIdOnly)
			itCheck(t, "folder", r.SyncFolderId.Ids[0].Id, "msgfolderroot")
			itCheck(t, "state", r.SyncState, "H4sIAAAAAAAEAA==")
		}},
		{"SyncFolderHierarchy.response.xml", ews.OpSyncFolderHierarchy, func(t *testing.T, body any) {
			m := body.(*ews.SyncFolderHierarchyResponse).ResponseMessages[0]
			itCheck(t, "state", m.SyncState, "H4sIAAAAAAAEAB==")
			itCheck(t, "last", *m.IncludesLastFolderInRange, true)
			ch := m.Changes.Changes
			itCheck(t, "kinds", []string{ch[0].Kind(), ch[1].Kind(), ch[2].Kind()}, []string{ews.ChangeCreate, ews.ChangeUpdate, ews.ChangeDelete})
			itCheck(t, "created", ch[0].Folder.Kind(), ews.KindCalendarFolder)
			itCheck(t, "created id", ch[0].Folder.FolderId.Id, "AAMkAGQ=")
			itCheck(t, "updated", ch[1].Folder.Kind(), ews.KindFolder)
			itCheck(t, "deleted", *ch[2].FolderId, ews.FolderId{Id: "AAMkAGS=", ChangeKey: "AQAAABQB"})
		}},
		{"SyncFolderItems.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.SyncFolderItemsRequest)
			itCheck(t, "folder", r.SyncFolderId.Ids[0].Id, "calendar")
			itCheck(t, "max", r.MaxChangesReturned, 100)
			itCheck(t, "state", r.SyncState, "")
		}},
		{"SyncFolderItems.response.xml", ews.OpSyncFolderItems, func(t *testing.T, body any) {
			m := body.(*ews.SyncFolderItemsResponse).ResponseMessages[0]
			itCheck(t, "state", m.SyncState, "H4sIAAAAAAAEAO29B2A=")
			ch := m.Changes.Changes
			itCheck(t, "create", ch[0].Kind(), ews.ChangeCreate)
			itCheck(t, "created", ch[0].Item.Kind(), ews.KindCalendarItem)
			itCheck(t, "created id", *ch[0].Item.ItemId, ews.ItemId{Id: "AAMkAGI=", ChangeKey: "DwAAABYA"})
			itCheck(t, "delete", ch[1].Kind(), ews.ChangeDelete)
			itCheck(t, "deleted id", ch[1].ItemId.Id, "AAMkAGJ=")
		}},
		{"GetItem.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.GetItemRequest)
			itCheck(t, "ids", len(r.ItemIds.Ids), 2)
			p := r.ItemShape.AdditionalProperties.Paths
			itCheck(t, "paths", len(p), 4)
			itCheck(t, "extended", p[3], ews.ExtendedTag("0x0E08", "Integer"))
		}},
		{"GetItem.response.xml", ews.OpGetItem, func(t *testing.T, body any) {
			ms := body.(*ews.GetItemResponse).ResponseMessages
			it := ms[0].Items.Items[0]
			itCheck(t, "kind", it.Kind(), ews.KindCalendarItem)
			itCheck(t, "subject", it.Subject, "Standup")
			itCheck(t, "start", it.Start.String(), "2024-05-01T09:00:00Z")
			itCheck(t, "extended", it.ExtendedProperties[0].Value, "4231")
			itCheck(t, "error", ews.Code(ms[1].Err()), ews.ErrorItemNotFound)
		}},
		{"FindItem-CalendarView.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.FindItemRequest)
			itCheck(t, "traversal", r.Traversal, ews.TraversalShallow)
			itCheck(t, "view", *r.CalendarView, ews.CalendarView{MaxEntriesReturned: 100,
				StartDate: ews.Date(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)), EndDate: ews.Date(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))})
			itCheck(t, "mailbox", r.ParentFolderIds.Ids[0].Mailbox.EmailAddress, "alice@example.com")
		}},
		{"FindItem-CalendarView.response.xml", ews.OpFindItem, func(t *testing.T, body any) {
			root := body.(*ews.FindItemResponse).ResponseMessages[0].RootFolder
			itCheck(t, "paging", root.Paging, ews.Paging{TotalItemsInView: 1, IncludesLastItemInRange: true})
			itCheck(t, "item", root.Items.Items[0].Subject, "Standup")
		}},
		{"FindFolder.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.FindFolderRequest)
			itCheck(t, "traversal", r.Traversal, ews.TraversalDeep)
			itCheck(t, "view", *r.IndexedPageFolderView, ews.IndexedPageView{MaxEntriesReturned: 100, BasePoint: ews.BasePointBeginning})
		}},
		{"FindFolder.response.xml", ews.OpFindFolder, func(t *testing.T, body any) {
			root := body.(*ews.FindFolderResponse).ResponseMessages[0].RootFolder
			itCheck(t, "paging", root.Paging, ews.Paging{IndexedPagingOffset: ews.Int(1), TotalItemsInView: 1, IncludesLastItemInRange: true})
			itCheck(t, "folder", root.Folders.Folders[0].DisplayName, "Projects")
		}},
		{"CreateItem.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.CreateItemRequest)
			itCheck(t, "disposition", r.MessageDisposition, ews.SaveOnly)
			itCheck(t, "invitations", r.SendMeetingInvitations, ews.SendToNone)
			itCheck(t, "folder", r.SavedItemFolderId.Ids[0].Id, "calendar")
			it := r.Items.Items[0]
			itCheck(t, "kind", it.Kind(), ews.KindCalendarItem)
			itCheck(t, "body", *it.Body, ews.Body{BodyType: "Text", Value: "Agenda"})
			itCheck(t, "location", it.Location, "Room 1")
		}},
		{"CreateItem.response.xml", ews.OpCreateItem, func(t *testing.T, body any) {
			itCheck(t, "id", body.(*ews.CreateItemResponse).ResponseMessages[0].Items.Items[0].ItemId.Id, "AAMkAGU=")
		}},
		{"UpdateItem.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.UpdateItemRequest)
			itCheck(t, "conflicts", r.ConflictResolution, ews.AutoResolve)
			c := r.ItemChanges[0]
			itCheck(t, "target", c.Target(), ews.ItemRef(ews.ItemId{Id: "AAMkAGU=", ChangeKey: "DwAAABYC"}))
			u := c.Updates.Updates
			itCheck(t, "set", u[0].Kind(), ews.UpdateSet)
			itCheck(t, "set path", *u[0].Path(), ews.Field("item:Subject"))
			itCheck(t, "set value", u[0].Item.Subject, "Planning (moved)")
			itCheck(t, "delete", u[1].Kind(), ews.UpdateDelete)
			itCheck(t, "delete path", *u[1].Path(), ews.Field("calendar:Location"))
		}},
		{"UpdateItem.response.xml", ews.OpUpdateItem, func(t *testing.T, body any) {
			m := body.(*ews.UpdateItemResponse).ResponseMessages[0]
			itCheck(t, "change key", m.Items.Items[0].ItemId.ChangeKey, "DwAAABYD")
			itCheck(t, "conflicts", *m.ConflictResults, ews.ConflictResults{Count: 0})
		}},
		{"DeleteItem.request.xml", "", func(t *testing.T, body any) {
			r := body.(*ews.DeleteItemRequest)
			itCheck(t, "type", r.DeleteType, ews.MoveToDeletedItems)
			itCheck(t, "cancellations", r.SendMeetingCancellations, ews.SendToNone)
			itCheck(t, "id", r.ItemIds.Ids[0].Id, "AAMkAGU=")
		}},
		{"DeleteItem.response.xml", ews.OpDeleteItem, func(t *testing.T, body any) {
			itCheck(t, "class", body.(*ews.DeleteItemResponse).ResponseMessages[0].ResponseClass, ews.ClassSuccess)
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			doc := itRead(t, dir, c.file)
			if c.op == "" {
				c.check(t, itDecodeRequest(t, doc))
			} else {
				c.check(t, itDecodeResponse(t, doc, c.op))
			}
		})
	}
}

// Requests exactly as exchangelib writes them (testdata/exchangelib-items) decode with
// every modelled element in place.
func TestDecodeExchangelibItemRequests(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "exchangelib-items")
	cases := map[string]func(t *testing.T, body any){
		"SyncFolderHierarchy.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.SyncFolderHierarchyRequest)
			itCheck(t, "folder", r.SyncFolderId.Ids[0], ews.FolderRef(ews.FolderId{Id: "AAMkRoot=", ChangeKey: "AQAAAA=="}))
			itCheck(t, "paths", len(r.FolderShape.AdditionalProperties.Paths), 2)
		},
		"SyncFolderItems.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.SyncFolderItemsRequest)
			itCheck(t, "ignore", r.Ignore.Ids, []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: "AAMkIgn=", ChangeKey: "CQAAAA=="})})
			itCheck(t, "max", r.MaxChangesReturned, 100)
			itCheck(t, "scope", r.SyncScope, ews.SyncNormalItems)
			itCheck(t, "state", r.SyncState, "H4sIAAAAAAAEAO29B2A=")
		},
		"GetItem.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.GetItemRequest)
			itCheck(t, "ids", len(r.ItemIds.Ids), 2)
			itCheck(t, "extended", r.ItemShape.AdditionalProperties.Paths[0], ews.ExtendedTag("0x1090", "Integer"))
		},
		"FindItem.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.FindItemRequest)
			itCheck(t, "view", *r.IndexedPageItemView, ews.IndexedPageView{MaxEntriesReturned: 50, Offset: 100, BasePoint: ews.BasePointBeginning})
			received := ews.PathTo(ews.Field("item:DateTimeReceived"))
			and := r.Restriction.Expression
			itCheck(t, "top", and.Operator(), ews.ExprAnd)
			inner := and.Operands[0].Operands[0]
			ge, lt := inner.Operands[0], inner.Operands[1]
			itCheck(t, "ge", ge.Operator(), ews.ExprIsGreaterThanOrEqualTo)
			itCheck(t, "ge path", ge.PathChoice, received)
			v, _ := ge.Value()
			itCheck(t, "ge value", v, "2024-05-01T00:00:00Z")
			itCheck(t, "lt", lt.Operator(), ews.ExprIsLessThan)
			ne := and.Operands[0].Operands[1]
			itCheck(t, "ne", ne.Operator(), ews.ExprIsNotEqualTo)
			itCheck(t, "ne path", *ne.Path(), ews.Field("item:Subject"))
			contains := and.Operands[1]
			itCheck(t, "contains", []string{contains.Operator(), contains.ContainmentMode, contains.ContainmentComparison},
				[]string{ews.ExprContains, "Substring", "IgnoreCase"})
			v, _ = contains.Value()
			itCheck(t, "contains value", v, "report")
			itCheck(t, "sort", r.SortOrder, ews.SortBy(ews.OrderBy(ews.Field("item:DateTimeReceived"), ews.Descending)))
			itCheck(t, "parent", r.ParentFolderIds.Ids[0].Id, "AAMkInbox=")
		},
		"FindItem-CalendarView.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.FindItemRequest)
			// exchangelib sends local times with offsets.
			itCheck(t, "start", r.CalendarView.StartDate.String(), "2024-04-30T22:00:00Z")
			itCheck(t, "end", r.CalendarView.EndDate.String(), "2024-05-31T22:00:00Z")
			itCheck(t, "max", r.CalendarView.MaxEntriesReturned, 500)
		},
		"FindFolder.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.FindFolderRequest)
			itCheck(t, "traversal", r.Traversal, ews.TraversalDeep)
			e := r.Restriction.Expression
			v, _ := e.Value()
			itCheck(t, "restriction", []string{e.Operator(), e.Path().FieldURI, v}, []string{ews.ExprIsEqualTo, "folder:FolderClass", "IPF.Note"})
		},
		"CreateItem-Message.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.CreateItemRequest)
			itCheck(t, "disposition", r.MessageDisposition, ews.SendAndSaveCopy)
			m := r.Items.Items[0]
			itCheck(t, "kind", m.Kind(), ews.KindMessage)
			itCheck(t, "body", *m.Body, ews.Body{BodyType: "HTML", Value: "<p>Numbers</p>"})
			itCheck(t, "to", m.ToRecipients.Mailboxes[0].EmailAddress, "bob@example.com")
			itCheck(t, "cc", m.CcRecipients.Mailboxes[0].EmailAddress, "carol@example.com")
			itCheck(t, "extended", m.ExtendedProperties, []ews.ExtendedProperty{{ExtendedFieldURI: ews.ExtendedTag("0x1090", "Integer"), Value: "2"}})
			// exchangelib writes booleans as 0 and 1.
			itCheck(t, "flags", []bool{*m.IsRead, *m.IsResponseRequested, *m.ReminderIsSet}, []bool{false, false, false})
		},
		"CreateItem-CalendarItem.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.CreateItemRequest)
			itCheck(t, "invitations", r.SendMeetingInvitations, ews.SendToAllAndSaveCopy)
			c := r.Items.Items[0]
			itCheck(t, "start", c.Start.String(), "2024-05-06T08:00:00Z")
			itCheck(t, "attendee", c.RequiredAttendees.Attendees[0].Mailbox.EmailAddress, "bob@example.com")
			itCheck(t, "recurrence", *c.Recurrence, ews.Recurrence{
				Weekly:   &ews.RecurrencePattern{Interval: 1, DaysOfWeek: "Monday", FirstDayOfWeek: "Monday"},
				Numbered: &ews.RecurrenceRange{StartDate: "2024-05-06", NumberOfOccurrences: 10}})
			itCheck(t, "zone", *c.StartTimeZone, ews.TimeZoneDefinition{Id: "Romance Standard Time"})
			itCheck(t, "reminder", c.ReminderMinutesBeforeStart, "15")
		},
		"CreateItem-Contact.request.xml": func(t *testing.T, body any) {
			c := body.(*ews.CreateItemRequest).Items.Items[0]
			itCheck(t, "kind", c.Kind(), ews.KindContact)
			itCheck(t, "name", []string{c.DisplayName, c.GivenName, c.Surname, c.CompanyName}, []string{"Dana Smith", "Dana", "Smith", "Contoso"})
			itCheck(t, "address", c.PhysicalAddresses.Entries[0], ews.PhysicalAddressEntry{Key: "Business", Street: "1 Main St", City: "Aarhus", CountryOrRegion: "Denmark", PostalCode: "8000"})
			itCheck(t, "phone", c.PhoneNumbers.Entries[0], ews.PhoneNumberEntry{Key: "MobilePhone", Value: "+45 1234 5678"})
			itCheck(t, "email", c.EmailAddresses.Entries[0], ews.EmailAddressEntry{Key: "EmailAddress1", Value: "dana@contoso.com"})
			itCheck(t, "birthday", c.Birthday.String(), "1990-04-01T11:59:00Z")
			itCheck(t, "postal index", c.PostalAddressIndex, "None")
		},
		"UpdateItem.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.UpdateItemRequest)
			itCheck(t, "attrs", []string{r.ConflictResolution, r.MessageDisposition, r.SendMeetingInvitationsOrCancellations},
				[]string{ews.AutoResolve, ews.SaveOnly, ews.SendToChangedAndSaveCopy})
			itCheck(t, "suppress", *r.SuppressReadReceipts, true)
			msg := r.ItemChanges[0].Updates.Updates
			itCheck(t, "extended path", *msg[2].Path(), ews.ExtendedTag("0x1090", "Integer"))
			itCheck(t, "extended value", msg[2].Item.ExtendedProperties[0].Value, "2")
			itCheck(t, "is read", *msg[3].Item.IsRead, false)
			cal := r.ItemChanges[1].Updates.Updates
			itCheck(t, "start", cal[0].Item.Start.String(), "2024-05-06T08:00:00Z")
			itCheck(t, "delete", []string{cal[2].Kind(), cal[2].Path().FieldURI}, []string{ews.UpdateDelete, "calendar:Location"})
			itCheck(t, "zone", *cal[3].Item.StartTimeZone, ews.TimeZoneDefinition{Id: "Romance Standard Time"})
			con := r.ItemChanges[2].Updates.Updates
			itCheck(t, "indexed", *con[0].Path(), ews.IndexedField("contacts:PhoneNumber", "MobilePhone"))
			itCheck(t, "phone", con[0].Item.PhoneNumbers.Entries, []ews.PhoneNumberEntry{{Key: "MobilePhone", Value: "+45 1234 5678"}})
			itCheck(t, "deletes", len(con), 19)
		},
		"DeleteItem.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.DeleteItemRequest)
			itCheck(t, "attrs", []string{r.DeleteType, r.SendMeetingCancellations, r.AffectedTaskOccurrences},
				[]string{ews.MoveToDeletedItems, ews.SendToNone, ews.AllOccurrences})
			itCheck(t, "ids", len(r.ItemIds.Ids), 2)
		},
		// Message.send() on a saved draft: its id and change key, Sent Items by folder id.
		"SendItem.request.xml": func(t *testing.T, body any) {
			r := body.(*ews.SendItemRequest)
			itCheck(t, "save", r.SaveItemToFolder, ews.Bool(true))
			itCheck(t, "ids", r.ItemIds.Ids, []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: "AAMkDraft=", ChangeKey: "CQAAAC=="})})
			itCheck(t, "saved in", r.SavedItemFolderId.Ids, []ews.BaseFolderId{ews.FolderRef(ews.FolderId{Id: "AAMkSent=", ChangeKey: "AQAAAE=="})})
		},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.request.xml"))
	if err != nil || len(files) != len(cases) {
		t.Fatalf("%d exchangelib requests for %d cases (%v)", len(files), len(cases), err)
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, itDecodeRequest(t, itRead(t, dir, name)))
		})
	}
}

// itEveryField is an item with every field set to a schema-valid value.
func itEveryField() ews.Item {
	at := ews.Date(itT0)
	box := &ews.SingleRecipient{Mailbox: itBob}
	list := &ews.Recipients{Mailboxes: []ews.EmailAddress{itAlice, itBob}}
	attendees := &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: itBob, ResponseType: "Accept", LastResponseTime: at}}}
	occurrence := &ews.OccurrenceInfo{ItemId: ews.ItemId{Id: "AAMkOcc=", ChangeKey: "DwAAAA=="}, Start: ews.Date(itT1), End: ews.Date(itT2), OriginalStart: ews.Date(itT1)}
	zone := &ews.TimeZoneDefinition{Id: "Romance Standard Time", Name: "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris"}
	return ews.Item{
		MimeContent: &ews.MimeContent{CharacterSet: "UTF-8", Value: "U3ViamVjdDogaGk="}, ItemId: itId("AAMkAll=", "CQAAAA=="),
		ParentFolderId: &ews.FolderId{Id: "AAMkInbox="}, ItemClass: "IPM.Note", Subject: "Everything", Sensitivity: "Normal",
		Body: &ews.Body{BodyType: "HTML", IsTruncated: ews.Bool(false), Value: "<p>hi</p>"},
		Attachments: &ews.Attachments{Attachments: []ews.Attachment{
			{XMLName: itKind(ews.KindFileAttachment), AttachmentId: &ews.AttachmentId{Id: "AAMkAtt=", RootItemId: "AAMkAll=", RootItemChangeKey: "CQAAAA=="},
				Name: "a.txt", ContentType: "text/plain", ContentId: "a1", ContentLocation: "a.txt", AttachmentOriginalUrl: "https://files.example.com/a.txt",
				Size: 2, LastModifiedTime: at, IsInline: ews.Bool(false), IsContactPhoto: ews.Bool(false), Content: "aGk="},
			{XMLName: itKind(ews.KindItemAttachment), Name: "forwarded", Item: &ews.Item{XMLName: itKind(ews.KindCalendarItem), Subject: "inner", Start: ews.Date(itT1)}},
		}},
		DateTimeReceived: at, Size: ews.Int(2048), Categories: &ews.Strings{Strings: []string{"CRM", "Blue"}}, Importance: "High",
		InReplyTo: "<m0@contoso.com>", IsSubmitted: ews.Bool(false), IsDraft: ews.Bool(false), IsFromMe: ews.Bool(false), IsResend: ews.Bool(false),
		IsUnmodified: ews.Bool(true), InternetMessageHeaders: &ews.InternetMessageHeaders{Headers: []ews.InternetMessageHeader{{HeaderName: "X-Mailer", Value: "mailbridge"}}},
		DateTimeSent: at, DateTimeCreated: at, ReminderDueBy: ews.Date(itT1), ReminderIsSet: ews.Bool(true), ReminderMinutesBeforeStart: "15",
		DisplayCc: "Carol", DisplayTo: "Bob", DisplayBcc: "Dave", HasAttachments: ews.Bool(true),
		ExtendedProperties: []ews.ExtendedProperty{
			{ExtendedFieldURI: ews.ExtendedTag("0x1090", "Integer"), Value: "2"},
			{ExtendedFieldURI: ews.PropertyPath{XMLName: itKind("t:ExtendedFieldURI"), DistinguishedPropertySetId: "PublicStrings", PropertyName: "Keywords", PropertyType: "StringArray"}, Values: &ews.PropertyValues{Values: []string{"a", "b"}}},
		},
		Culture: "en-US", LastModifiedName: "Alice", LastModifiedTime: at, IsAssociated: ews.Bool(false), ConversationId: &ews.ItemId{Id: "AAQkConv="},
		UniqueBody: &ews.Body{BodyType: "Text", Value: "hi"}, Preview: "hi",

		Sender: box, ToRecipients: list, CcRecipients: list, BccRecipients: list, IsReadReceiptRequested: ews.Bool(false),
		IsDeliveryReceiptRequested: ews.Bool(false), ConversationIndex: "AQHZ", ConversationTopic: "Everything", From: box,
		InternetMessageId: "<m1@contoso.com>", IsRead: ews.Bool(true), IsResponseRequested: ews.Bool(true), References: "<m0@contoso.com>",
		ReplyTo: list, ReceivedBy: box, ReceivedRepresenting: box,

		PostedTime: at,

		AssociatedCalendarItemId: &ews.ItemId{Id: "AAMkCal="}, IsDelegated: ews.Bool(false), IsOutOfDate: ews.Bool(false),
		HasBeenProcessed: ews.Bool(true), ResponseType: "Accept", MeetingRequestType: "NewMeetingRequest",
		ProposedStart: ews.Date(itT1), ProposedEnd: ews.Date(itT2),

		UID: "040000008200E00074C5B7101A82E008", RecurrenceId: ews.Date(itT1), DateTimeStamp: at, Start: ews.Date(itT1), End: ews.Date(itT2),
		OriginalStart: ews.Date(itT1), IsAllDayEvent: ews.Bool(false), LegacyFreeBusyStatus: "Busy", Location: "Room 1", When: "Mondays at 10",
		IsMeeting: ews.Bool(true), IsCancelled: ews.Bool(false), IsRecurring: ews.Bool(true), MeetingRequestWasSent: ews.Bool(true),
		CalendarItemType: "RecurringMaster", MyResponseType: "Organizer", Organizer: &ews.SingleRecipient{Mailbox: itAlice},
		RequiredAttendees: attendees, OptionalAttendees: attendees, Resources: attendees, ConflictingMeetingCount: ews.Int(0),
		AdjacentMeetingCount: ews.Int(1), Duration: "PT1H", TimeZone: "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris",
		AppointmentReplyTime: at, AppointmentSequenceNumber: ews.Int(0), AppointmentState: ews.Int(1),
		Recurrence: &ews.Recurrence{Weekly: &ews.RecurrencePattern{Interval: 1, DaysOfWeek: "Monday Wednesday", FirstDayOfWeek: "Monday"},
			Numbered: &ews.RecurrenceRange{StartDate: "2024-05-06", NumberOfOccurrences: 10}},
		FirstOccurrence: occurrence, LastOccurrence: occurrence, ModifiedOccurrences: &ews.Occurrences{Occurrences: []ews.OccurrenceInfo{*occurrence}},
		DeletedOccurrences: &ews.DeletedOccurrences{Occurrences: []ews.DeletedOccurrence{{Start: ews.Date(itT2)}}},
		StartTimeZone:      zone, EndTimeZone: zone, ConferenceType: ews.Int(0), AllowNewTimeProposal: ews.Bool(true), IsOnlineMeeting: ews.Bool(false),
		MeetingWorkspaceUrl: "https://workspace.example.com/", NetShowUrl: "https://netshow.example.com/",
		StartTimeZoneId: "Romance Standard Time", EndTimeZoneId: "Romance Standard Time", IntendedFreeBusyStatus: "Busy", IsOrganizer: ews.Bool(true),

		FileAs: "Smith, Dana", FileAsMapping: "LastCommaFirst", DisplayName: "Dana Smith", GivenName: "Dana", Initials: "D.S.", MiddleName: "Q",
		Nickname: "Dee", CompanyName: "Contoso",
		EmailAddresses:    &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Name: "Dana", RoutingType: "SMTP", MailboxType: "Contact", Value: "dana@contoso.com"}}},
		PhysicalAddresses: &ews.PhysicalAddresses{Entries: []ews.PhysicalAddressEntry{{Key: "Business", Street: "1 Main St", City: "Aarhus", State: "Midtjylland", CountryOrRegion: "Denmark", PostalCode: "8000"}}},
		PhoneNumbers:      &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{{Key: "MobilePhone", Value: "+45 1234 5678"}}},
		AssistantName:     "Eve", Birthday: ews.Date(time.Date(1990, 4, 1, 0, 0, 0, 0, time.UTC)), BusinessHomePage: "https://contoso.com/",
		Children: &ews.Strings{Strings: []string{"Kim"}}, Companies: &ews.Strings{Strings: []string{"Contoso"}}, ContactSource: "Store",
		Department: "Purchasing", Generation: "Jr.", ImAddresses: &ews.ImAddresses{Entries: []ews.ImAddressEntry{{Key: "ImAddress1", Value: "dana@im.contoso.com"}}},
		JobTitle: "Buyer", Manager: "Frank", OfficeLocation: "B1", PostalAddressIndex: "Business", Profession: "Purchasing", SpouseName: "Lee",
		Surname: "Smith", WeddingAnniversary: ews.Date(time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)), HasPicture: ews.Bool(false),
		Alias: "dana", Notes: "Met at the fair", DirectoryId: "5b8f5e1c-0000-0000-0000-000000000001",
		ManagerMailbox: box, DirectReports: list,
	}
}

// xsdSchema is the part of an XML Schema document the order test needs.
type itXSDNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr  `xml:",any,attr"`
	Children []itXSDNode `xml:",any"`
}

func (n *itXSDNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// itXSDSequence returns the element names of a complex type's content, its base types'
// first, as types.xsd declares them.
func itXSDSequence(t *testing.T, types map[string]*itXSDNode, name string) []string {
	t.Helper()
	n, ok := types[name]
	if !ok {
		t.Fatalf("types.xsd has no complex type %s", name)
	}
	var out []string
	var walk func(n *itXSDNode)
	walk = func(n *itXSDNode) {
		for i := range n.Children {
			c := &n.Children[i]
			switch c.XMLName.Local {
			case "element":
				out = append(out, c.attr("name"))
			case "extension":
				out = append(out, itXSDSequence(t, types, strings.TrimPrefix(c.attr("base"), "t:"))...)
				walk(c)
			case "complexContent", "sequence", "choice":
				walk(c)
			}
		}
	}
	walk(n)
	return out
}

// Every itKind writes exactly the Item fields its schema type has, in the type's order,
// and the result validates against both schema sets.
func TestItemKindsFollowSchemaOrder(t *testing.T) {
	var root itXSDNode
	if err := xml.Unmarshal(itRead(t, ewsschema.Dir(t), "types.xsd"), &root); err != nil {
		t.Fatal(err)
	}
	types := make(map[string]*itXSDNode)
	for i := range root.Children {
		if c := &root.Children[i]; c.XMLName.Local == "complexType" {
			types[c.attr("name")] = c
		}
	}
	modelled := make(map[string]bool)
	typ := reflect.TypeFor[ews.Item]()
	all := reflect.ValueOf(itEveryField())
	for i := 1; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("xml"), ",")
		modelled[strings.TrimPrefix(name, "t:")] = true
		if all.Field(i).IsZero() {
			t.Errorf("everyField leaves %s unset", typ.Field(i).Name)
		}
	}
	kinds := []struct{ kind, schemaType string }{
		{ews.KindItem, "ItemType"},
		{ews.KindMessage, "MessageType"},
		{ews.KindMeetingMessage, "MeetingMessageType"},
		{ews.KindMeetingRequest, "MeetingRequestMessageType"},
		{ews.KindMeetingResponse, "MeetingResponseMessageType"},
		{ews.KindMeetingCancellation, "MeetingCancellationMessageType"},
		{ews.KindCalendarItem, "CalendarItemType"},
		{ews.KindContact, "ContactItemType"},
		{ews.KindDistributionList, "DistributionListType"},
		{ews.KindTask, "TaskType"},
		{ews.KindPostItem, "PostItemType"},
	}
	used := make(map[string]bool)
	resp := &ews.GetItemResponse{}
	for _, k := range kinds {
		it := itEveryField()
		it.XMLName = itKind(k.kind)
		out, err := xml.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		var got itXSDNode
		if err := xml.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got.Children {
			// The t: prefix is unbound here, so it lands in Space; ExtendedProperty repeats.
			n := c.XMLName.Local
			if len(names) == 0 || names[len(names)-1] != n {
				names = append(names, n)
			}
			used[n] = true
		}
		var want []string
		for _, n := range itXSDSequence(t, types, k.schemaType) {
			if modelled[n] {
				want = append(want, n)
			}
		}
		if got.XMLName != (xml.Name{Space: "t", Local: strings.TrimPrefix(k.kind, "t:")}) || !slices.Equal(names, want) {
			t.Errorf("%s writes\n%v\nwant\n%v", k.kind, names, want)
		}
		resp.ResponseMessages = append(resp.ResponseMessages, ews.GetItemResponseMessage{ResponseMessage: ews.Success(), Items: ews.Items{Items: []ews.Item{it}}})
	}
	for n := range modelled {
		if !used[n] {
			t.Errorf("no itKind writes t:%s", n)
		}
	}
	var b bytes.Buffer
	if err := ews.EncodeResponse(&b, &ews.Exchange2016, ews.ResponseName(ews.OpGetItem), resp); err != nil {
		t.Fatal(err)
	}
	golden(t, "GetItem-AllKinds.response.xml", b.Bytes())
	p := filepath.Join("testdata", "GetItem-AllKinds.response.xml")
	ewsschema.ValidateFiles(t, ewsschema.Primary, p)
	ewsschema.ValidateFiles(t, ewsschema.Exchange2016, p)
}

// An Item held in a named field (t:Contact of a ResolveNames resolution) takes that
// name when its XMLName is unset, and leaves out fields its itKind lacks.
func TestItemNameFromField(t *testing.T) {
	t.Parallel()
	v := struct {
		XMLName xml.Name  `xml:"t:Resolution"`
		Contact *ews.Item `xml:"t:Contact"`
	}{Contact: &ews.Item{DisplayName: "Dana", Start: ews.Date(itT1), IsRead: ews.Bool(true)}}
	out, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<t:Resolution><t:Contact><t:DisplayName>Dana</t:DisplayName></t:Contact></t:Resolution>`; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

// exchangelib's own response parsing accepts the golden responses and reads from them
// what the simulator meant (testdata/exchangelib-items/parse_responses.py).
func TestExchangelibParsesItemResponses(t *testing.T) {
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import exchangelib").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		t.Skip("exchangelib is not installed")
	}
	out, err := exec.Command(python, filepath.Join("testdata", "exchangelib-items", "parse_responses.py"), "testdata").CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
}

// Shapes the EWS Managed API family (ews-javascript-api 0.15) writes: an empty
// m:SyncState for a first sync, m:NumberOfDays (not in the schema), ISO dates with
// milliseconds, and an OccurrenceItemId target.
func TestDecodeManagedAPIItemRequests(t *testing.T) {
	t.Parallel()
	const env = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header><soap:Body>%s</soap:Body></soap:Envelope>`
	doc := func(body string) []byte { return []byte(strings.Replace(env, "%s", body, 1)) }

	sync := itDecodeRequest(t, doc(`<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId><m:SyncState></m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned><m:SyncScope>NormalItems</m:SyncScope><m:NumberOfDays>30</m:NumberOfDays></m:SyncFolderItems>`)).(*ews.SyncFolderItemsRequest)
	itCheck(t, "sync", []any{sync.SyncState, sync.MaxChangesReturned, sync.Ignore == nil}, []any{"", ews.MaxSyncChanges, true})

	find := itDecodeRequest(t, doc(`<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:CalendarView StartDate="2024-05-01T00:00:00.000Z" EndDate="2024-05-08T00:00:00.000Z" MaxEntriesReturned="10"/><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`)).(*ews.FindItemRequest)
	itCheck(t, "calendar view", *find.CalendarView, ews.CalendarView{MaxEntriesReturned: 10,
		StartDate: ews.Date(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)), EndDate: ews.Date(time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC))})

	update := itDecodeRequest(t, doc(`<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges><t:ItemChange><t:OccurrenceItemId RecurringMasterId="AAMkMaster=" InstanceIndex="3"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>2024-05-06T09:30:00.000Z</t:Start></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`)).(*ews.UpdateItemRequest)
	c := update.ItemChanges[0]
	itCheck(t, "target", c.Target(), ews.BaseItemId{XMLName: itKind("t:OccurrenceItemId"), RecurringMasterId: "AAMkMaster=", InstanceIndex: 3})
	itCheck(t, "start", c.Updates.Updates[0].Item.Start.String(), "2024-05-06T09:30:00Z")
}

// The views and filters the goldens do not show also encode schema-valid requests and
// decode back unchanged.
func TestFindVariants(t *testing.T) {
	shape := ews.ItemShape{BaseShape: ews.ShapeIdOnly}
	inbox := ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}
	cases := map[string]any{
		"fractional view and AQS": &ews.FindItemRequest{Traversal: ews.TraversalShallow, ItemShape: shape,
			FractionalPageItemView: &ews.FractionalPageView{MaxEntriesReturned: 20, Numerator: 1, Denominator: 4},
			ParentFolderIds:        inbox,
			QueryString:            &ews.QueryString{ResetCache: ews.Bool(true), Query: "subject:report"}},
		"contacts view": &ews.FindItemRequest{Traversal: ews.TraversalShallow, ItemShape: shape,
			ContactsView:    &ews.ContactsView{MaxEntriesReturned: 50, InitialName: "A", FinalName: "M"},
			SortOrder:       ews.SortBy(ews.OrderBy(ews.Field("contacts:DisplayName"), ews.Ascending)),
			ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("contacts")}}},
		"seek to condition, excludes, field comparison": &ews.FindItemRequest{Traversal: ews.TraversalAssociated, ItemShape: shape,
			SeekToConditionPageItemView: &ews.SeekToConditionPageView{MaxEntriesReturned: 10, BasePoint: ews.BasePointBeginning,
				Condition: *ews.Where(ews.IsGreaterThan(ews.Field("item:DateTimeReceived"), "2024-05-01T00:00:00Z"))},
			Restriction: ews.Where(ews.And(
				ews.SearchExpression{XMLName: itKind(ews.ExprExcludes), PathChoice: ews.PathTo(ews.ExtendedTag("0x0E07", "Integer")), Bitmask: &ews.Constant{Value: "0x1"}},
				ews.SearchExpression{XMLName: itKind(ews.ExprIsNotEqualTo), PathChoice: ews.PathTo(ews.Field("item:DateTimeSent")),
					FieldURIOrConstant: &ews.FieldURIOrConstant{PathChoice: ews.PathTo(ews.Field("item:DateTimeCreated"))}},
				ews.IsLessThanOrEqualTo(ews.IndexedField("contacts:EmailAddress", "EmailAddress1"), "z"),
			)),
			ParentFolderIds: inbox},
		"fractional folder view": &ews.FindFolderRequest{Traversal: ews.TraversalShallow, FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly},
			FractionalPageFolderView: &ews.FractionalPageView{Numerator: 0, Denominator: 1},
			ParentFolderIds:          ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("msgfolderroot")}}},
	}
	dir := t.TempDir()
	var paths []string
	for name, req := range cases {
		op := ews.OpFindItem
		if _, ok := req.(*ews.FindFolderRequest); ok {
			op = ews.OpFindFolder
		}
		var b bytes.Buffer
		if err := ews.EncodeRequest(&b, itHeader(), op, req); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".xml")
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		if got := itDecodeRequest(t, b.Bytes()); !reflect.DeepEqual(got, req) {
			t.Errorf("%s: round trip differs:\ngot  %+v\nwant %+v", name, got, req)
		}
	}
	ewsschema.ValidateFiles(t, ewsschema.Primary, paths...)
	ewsschema.ValidateFiles(t, ewsschema.Exchange2016, paths...)
}
