package ews

import (
	"encoding/xml"
	"fmt"
	"reflect"
	"strings"
)

// The elements of each item schema type that Item models, in the type's sequence order
// (types.xsd). A kind's elements are its base types' elements followed by its own.
// items_ops_test.go checks these lists against the schema.
var (
	itemTypeElements = strings.Fields(`MimeContent ItemId ParentFolderId ItemClass Subject
		Sensitivity Body Attachments DateTimeReceived Size Categories Importance InReplyTo
		IsSubmitted IsDraft IsFromMe IsResend IsUnmodified InternetMessageHeaders DateTimeSent
		DateTimeCreated ReminderDueBy ReminderIsSet ReminderMinutesBeforeStart DisplayCc
		DisplayTo DisplayBcc HasAttachments ExtendedProperty Culture LastModifiedName
		LastModifiedTime IsAssociated ConversationId UniqueBody Preview`)
	messageElements = strings.Fields(`Sender ToRecipients CcRecipients BccRecipients
		IsReadReceiptRequested IsDeliveryReceiptRequested ConversationIndex ConversationTopic
		From InternetMessageId IsRead IsResponseRequested References ReplyTo ReceivedBy
		ReceivedRepresenting`)
	meetingMessageElements = strings.Fields(`AssociatedCalendarItemId IsDelegated IsOutOfDate
		HasBeenProcessed ResponseType UID RecurrenceId DateTimeStamp IsOrganizer`)
	meetingRequestElements = strings.Fields(`MeetingRequestType IntendedFreeBusyStatus Start End
		OriginalStart IsAllDayEvent LegacyFreeBusyStatus Location When IsMeeting IsCancelled
		IsRecurring MeetingRequestWasSent CalendarItemType MyResponseType Organizer
		RequiredAttendees OptionalAttendees Resources ConflictingMeetingCount
		AdjacentMeetingCount Duration TimeZone AppointmentReplyTime AppointmentSequenceNumber
		AppointmentState Recurrence FirstOccurrence LastOccurrence ModifiedOccurrences
		DeletedOccurrences StartTimeZone EndTimeZone ConferenceType AllowNewTimeProposal
		IsOnlineMeeting MeetingWorkspaceUrl NetShowUrl StartTimeZoneId EndTimeZoneId`)
	meetingResponseElements     = strings.Fields(`Start End Location Recurrence CalendarItemType ProposedStart ProposedEnd`)
	meetingCancellationElements = strings.Fields(`Start End Location Recurrence CalendarItemType`)
	calendarItemElements        = strings.Fields(`UID RecurrenceId DateTimeStamp Start End
		OriginalStart IsAllDayEvent LegacyFreeBusyStatus Location When IsMeeting IsCancelled
		IsRecurring MeetingRequestWasSent IsResponseRequested CalendarItemType MyResponseType
		Organizer RequiredAttendees OptionalAttendees Resources ConflictingMeetingCount
		AdjacentMeetingCount Duration TimeZone AppointmentReplyTime AppointmentSequenceNumber
		AppointmentState Recurrence FirstOccurrence LastOccurrence ModifiedOccurrences
		DeletedOccurrences StartTimeZone EndTimeZone ConferenceType AllowNewTimeProposal
		IsOnlineMeeting MeetingWorkspaceUrl NetShowUrl StartTimeZoneId EndTimeZoneId
		IntendedFreeBusyStatus IsOrganizer`)
	contactElements = strings.Fields(`FileAs FileAsMapping DisplayName GivenName Initials
		MiddleName Nickname CompanyName EmailAddresses PhysicalAddresses PhoneNumbers
		AssistantName Birthday BusinessHomePage Children Companies ContactSource Department
		Generation ImAddresses JobTitle Manager OfficeLocation PostalAddressIndex Profession
		SpouseName Surname WeddingAnniversary HasPicture Alias Notes DirectoryId
		ManagerMailbox DirectReports`)
	distributionListElements = strings.Fields(`DisplayName FileAs ContactSource`)
	taskElements             = strings.Fields(`Companies IsRecurring Recurrence`)
	postItemElements         = strings.Fields(`ConversationIndex ConversationTopic From
		InternetMessageId IsRead PostedTime References Sender`)
)

// itemField is one Item field as a kind writes it.
type itemField struct {
	index int
	name  xml.Name
}

// itemKinds maps each kind to its fields in schema order. Kinds not listed (such as
// t:SharingMessage) are written with the ItemType elements only.
var itemKinds = func() map[string][]itemField {
	fields := make(map[string]int)
	typ := reflect.TypeFor[Item]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("xml"), ",")
		if local, ok := strings.CutPrefix(name, "t:"); ok {
			fields[local] = i
		}
	}
	kind := func(lists ...[]string) []itemField {
		var out []itemField
		for _, l := range lists {
			for _, name := range l {
				i, ok := fields[name]
				if !ok {
					panic("ews: Item has no field for t:" + name)
				}
				out = append(out, itemField{index: i, name: xml.Name{Local: "t:" + name}})
			}
		}
		return out
	}
	return map[string][]itemField{
		KindItem:                kind(itemTypeElements),
		KindMessage:             kind(itemTypeElements, messageElements),
		KindMeetingMessage:      kind(itemTypeElements, messageElements, meetingMessageElements),
		KindMeetingRequest:      kind(itemTypeElements, messageElements, meetingMessageElements, meetingRequestElements),
		KindMeetingResponse:     kind(itemTypeElements, messageElements, meetingMessageElements, meetingResponseElements),
		KindMeetingCancellation: kind(itemTypeElements, messageElements, meetingMessageElements, meetingCancellationElements),
		KindCalendarItem:        kind(itemTypeElements, calendarItemElements),
		KindContact:             kind(itemTypeElements, contactElements),
		KindDistributionList:    kind(itemTypeElements, distributionListElements),
		KindTask:                kind(itemTypeElements, taskElements),
		KindPostItem:            kind(itemTypeElements, postItemElements),
	}
}()

// MarshalXML writes the item as its kind's schema type orders it: the elements that type
// has, in its sequence order; fields the kind does not have are left out, as Exchange
// leaves out properties a type lacks. The element name is XMLName, or the name of the
// field holding the item (t:Contact in a t:Resolution).
func (it Item) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if it.XMLName.Local != "" {
		start.Name = it.XMLName
	} else if start.Name.Local == "Item" && start.Name.Space == "" {
		start.Name.Local = KindItem // an untagged Item in an ",any" list
	}
	fields, ok := itemKinds[start.Name.Local]
	if !ok {
		fields = itemKinds[KindItem]
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	v := reflect.ValueOf(it)
	for _, f := range fields {
		fv := v.Field(f.index)
		if fv.IsZero() {
			continue
		}
		if err := e.EncodeElement(fv.Interface(), xml.StartElement{Name: f.name}); err != nil {
			return fmt.Errorf("%s: %w", f.name.Local, err)
		}
	}
	return e.EncodeToken(start.End())
}

// KindHasElement reports whether items of kind (e.g. KindMessage) carry the element
// t:<local> in their schema type, as Item writes them. Unknown kinds have the ItemType
// elements only.
func KindHasElement(kind, local string) bool {
	fields, ok := itemKinds[kind]
	if !ok {
		fields = itemKinds[KindItem]
	}
	for _, f := range fields {
		if f.name.Local == "t:"+local {
			return true
		}
	}
	return false
}
