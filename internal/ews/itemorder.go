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
	name  string // the element, "t:Subject"
	codec itemCodec
}

// itemCodec writes one Item field, or nothing when it is zero (unset): appendXML for the
// fast path (see fastxml.go), encode through an xml.Encoder. Both write what encoding/xml
// writes for the field's value. read reads the field's element on the fast decoding path
// (see fastdecode.go), as encoding/xml decodes it.
type itemCodec struct {
	appendXML func(b []byte, it *Item, name string) []byte
	encode    func(e *xml.Encoder, it *Item, start xml.StartElement) error
	read      func(d *xmlReader, it *Item)
}

func stringCodec(field func(*Item) *string) itemCodec {
	return itemCodec{
		appendXML: func(b []byte, it *Item, name string) []byte {
			return appendTextOmitEmpty(b, name, *field(it))
		},
		encode: func(e *xml.Encoder, it *Item, start xml.StartElement) error {
			if s := *field(it); s != "" {
				return e.EncodeElement(s, start)
			}
			return nil
		},
		read: func(d *xmlReader, it *Item) { *field(it) = d.textString() },
	}
}

func boolCodec(field func(*Item) **bool) itemCodec {
	return itemCodec{
		appendXML: func(b []byte, it *Item, name string) []byte {
			return appendBoolPtr(b, name, *field(it))
		},
		encode: func(e *xml.Encoder, it *Item, start xml.StartElement) error {
			if v := *field(it); v != nil {
				return e.EncodeElement(v, start)
			}
			return nil
		},
		read: func(d *xmlReader, it *Item) { readBool(d, field(it)) },
	}
}

func intCodec(field func(*Item) **int) itemCodec {
	return itemCodec{
		appendXML: func(b []byte, it *Item, name string) []byte {
			return appendIntPtr(b, name, *field(it))
		},
		encode: func(e *xml.Encoder, it *Item, start xml.StartElement) error {
			if v := *field(it); v != nil {
				return e.EncodeElement(v, start)
			}
			return nil
		},
		read: func(d *xmlReader, it *Item) { readInt(d, field(it)) },
	}
}

func dateCodec(field func(*Item) *DateTime) itemCodec {
	return itemCodec{
		appendXML: func(b []byte, it *Item, name string) []byte {
			return field(it).appendXMLElement(b, name)
		},
		encode: func(e *xml.Encoder, it *Item, start xml.StartElement) error {
			return field(it).MarshalXML(e, start)
		},
		read: func(d *xmlReader, it *Item) { field(it).readXMLElement(d) },
	}
}

// structCodec is the codec of a field pointing to a struct (nil is unset).
func structCodec[T any, P interface {
	*T
	appendXMLElement(b []byte, name string) []byte
	readXMLElement(d *xmlReader)
}](field func(*Item) **T) itemCodec {
	return itemCodec{
		appendXML: func(b []byte, it *Item, name string) []byte {
			return appendPtr[T, P](b, name, *field(it))
		},
		encode: func(e *xml.Encoder, it *Item, start xml.StartElement) error {
			if v := *field(it); v != nil {
				return e.EncodeElement(v, start)
			}
			return nil
		},
		read: func(d *xmlReader, it *Item) { readPtr[T, P](d, field(it)) },
	}
}

var extendedPropertiesCodec = itemCodec{
	appendXML: func(b []byte, it *Item, name string) []byte {
		for i := range it.ExtendedProperties {
			b = it.ExtendedProperties[i].appendXMLElement(b, name)
		}
		return b
	},
	encode: func(e *xml.Encoder, it *Item, start xml.StartElement) error {
		if len(it.ExtendedProperties) > 0 {
			return e.EncodeElement(it.ExtendedProperties, start)
		}
		return nil
	},
	read: func(d *xmlReader, it *Item) {
		it.ExtendedProperties = append(it.ExtendedProperties, ExtendedProperty{})
		it.ExtendedProperties[len(it.ExtendedProperties)-1].readXMLElement(d)
	},
}

// itemCodecs holds the codec of every Item field, by element local name.
var itemCodecs = map[string]itemCodec{
	// ItemType
	"MimeContent":                structCodec(func(it *Item) **MimeContent { return &it.MimeContent }),
	"ItemId":                     structCodec(func(it *Item) **ItemId { return &it.ItemId }),
	"ParentFolderId":             structCodec(func(it *Item) **FolderId { return &it.ParentFolderId }),
	"ItemClass":                  stringCodec(func(it *Item) *string { return &it.ItemClass }),
	"Subject":                    stringCodec(func(it *Item) *string { return &it.Subject }),
	"Sensitivity":                stringCodec(func(it *Item) *string { return &it.Sensitivity }),
	"Body":                       structCodec(func(it *Item) **Body { return &it.Body }),
	"Attachments":                structCodec(func(it *Item) **Attachments { return &it.Attachments }),
	"DateTimeReceived":           dateCodec(func(it *Item) *DateTime { return &it.DateTimeReceived }),
	"Size":                       intCodec(func(it *Item) **int { return &it.Size }),
	"Categories":                 structCodec(func(it *Item) **Strings { return &it.Categories }),
	"Importance":                 stringCodec(func(it *Item) *string { return &it.Importance }),
	"InReplyTo":                  stringCodec(func(it *Item) *string { return &it.InReplyTo }),
	"IsSubmitted":                boolCodec(func(it *Item) **bool { return &it.IsSubmitted }),
	"IsDraft":                    boolCodec(func(it *Item) **bool { return &it.IsDraft }),
	"IsFromMe":                   boolCodec(func(it *Item) **bool { return &it.IsFromMe }),
	"IsResend":                   boolCodec(func(it *Item) **bool { return &it.IsResend }),
	"IsUnmodified":               boolCodec(func(it *Item) **bool { return &it.IsUnmodified }),
	"InternetMessageHeaders":     structCodec(func(it *Item) **InternetMessageHeaders { return &it.InternetMessageHeaders }),
	"DateTimeSent":               dateCodec(func(it *Item) *DateTime { return &it.DateTimeSent }),
	"DateTimeCreated":            dateCodec(func(it *Item) *DateTime { return &it.DateTimeCreated }),
	"ReminderDueBy":              dateCodec(func(it *Item) *DateTime { return &it.ReminderDueBy }),
	"ReminderIsSet":              boolCodec(func(it *Item) **bool { return &it.ReminderIsSet }),
	"ReminderMinutesBeforeStart": stringCodec(func(it *Item) *string { return &it.ReminderMinutesBeforeStart }),
	"DisplayCc":                  stringCodec(func(it *Item) *string { return &it.DisplayCc }),
	"DisplayTo":                  stringCodec(func(it *Item) *string { return &it.DisplayTo }),
	"DisplayBcc":                 stringCodec(func(it *Item) *string { return &it.DisplayBcc }),
	"HasAttachments":             boolCodec(func(it *Item) **bool { return &it.HasAttachments }),
	"ExtendedProperty":           extendedPropertiesCodec,
	"Culture":                    stringCodec(func(it *Item) *string { return &it.Culture }),
	"LastModifiedName":           stringCodec(func(it *Item) *string { return &it.LastModifiedName }),
	"LastModifiedTime":           dateCodec(func(it *Item) *DateTime { return &it.LastModifiedTime }),
	"IsAssociated":               boolCodec(func(it *Item) **bool { return &it.IsAssociated }),
	"ConversationId":             structCodec(func(it *Item) **ItemId { return &it.ConversationId }),
	"UniqueBody":                 structCodec(func(it *Item) **Body { return &it.UniqueBody }),
	"Preview":                    stringCodec(func(it *Item) *string { return &it.Preview }),

	// MessageType
	"Sender":                     structCodec(func(it *Item) **SingleRecipient { return &it.Sender }),
	"ToRecipients":               structCodec(func(it *Item) **Recipients { return &it.ToRecipients }),
	"CcRecipients":               structCodec(func(it *Item) **Recipients { return &it.CcRecipients }),
	"BccRecipients":              structCodec(func(it *Item) **Recipients { return &it.BccRecipients }),
	"IsReadReceiptRequested":     boolCodec(func(it *Item) **bool { return &it.IsReadReceiptRequested }),
	"IsDeliveryReceiptRequested": boolCodec(func(it *Item) **bool { return &it.IsDeliveryReceiptRequested }),
	"ConversationIndex":          stringCodec(func(it *Item) *string { return &it.ConversationIndex }),
	"ConversationTopic":          stringCodec(func(it *Item) *string { return &it.ConversationTopic }),
	"From":                       structCodec(func(it *Item) **SingleRecipient { return &it.From }),
	"InternetMessageId":          stringCodec(func(it *Item) *string { return &it.InternetMessageId }),
	"IsRead":                     boolCodec(func(it *Item) **bool { return &it.IsRead }),
	"IsResponseRequested":        boolCodec(func(it *Item) **bool { return &it.IsResponseRequested }),
	"References":                 stringCodec(func(it *Item) *string { return &it.References }),
	"ReplyTo":                    structCodec(func(it *Item) **Recipients { return &it.ReplyTo }),
	"ReceivedBy":                 structCodec(func(it *Item) **SingleRecipient { return &it.ReceivedBy }),
	"ReceivedRepresenting":       structCodec(func(it *Item) **SingleRecipient { return &it.ReceivedRepresenting }),

	// PostItemType
	"PostedTime": dateCodec(func(it *Item) *DateTime { return &it.PostedTime }),

	// the meeting message types
	"AssociatedCalendarItemId": structCodec(func(it *Item) **ItemId { return &it.AssociatedCalendarItemId }),
	"IsDelegated":              boolCodec(func(it *Item) **bool { return &it.IsDelegated }),
	"IsOutOfDate":              boolCodec(func(it *Item) **bool { return &it.IsOutOfDate }),
	"HasBeenProcessed":         boolCodec(func(it *Item) **bool { return &it.HasBeenProcessed }),
	"ResponseType":             stringCodec(func(it *Item) *string { return &it.ResponseType }),
	"MeetingRequestType":       stringCodec(func(it *Item) *string { return &it.MeetingRequestType }),
	"ProposedStart":            dateCodec(func(it *Item) *DateTime { return &it.ProposedStart }),
	"ProposedEnd":              dateCodec(func(it *Item) *DateTime { return &it.ProposedEnd }),

	// CalendarItemType
	"UID":                       stringCodec(func(it *Item) *string { return &it.UID }),
	"RecurrenceId":              dateCodec(func(it *Item) *DateTime { return &it.RecurrenceId }),
	"DateTimeStamp":             dateCodec(func(it *Item) *DateTime { return &it.DateTimeStamp }),
	"Start":                     dateCodec(func(it *Item) *DateTime { return &it.Start }),
	"End":                       dateCodec(func(it *Item) *DateTime { return &it.End }),
	"OriginalStart":             dateCodec(func(it *Item) *DateTime { return &it.OriginalStart }),
	"IsAllDayEvent":             boolCodec(func(it *Item) **bool { return &it.IsAllDayEvent }),
	"LegacyFreeBusyStatus":      stringCodec(func(it *Item) *string { return &it.LegacyFreeBusyStatus }),
	"Location":                  stringCodec(func(it *Item) *string { return &it.Location }),
	"When":                      stringCodec(func(it *Item) *string { return &it.When }),
	"IsMeeting":                 boolCodec(func(it *Item) **bool { return &it.IsMeeting }),
	"IsCancelled":               boolCodec(func(it *Item) **bool { return &it.IsCancelled }),
	"IsRecurring":               boolCodec(func(it *Item) **bool { return &it.IsRecurring }),
	"MeetingRequestWasSent":     boolCodec(func(it *Item) **bool { return &it.MeetingRequestWasSent }),
	"CalendarItemType":          stringCodec(func(it *Item) *string { return &it.CalendarItemType }),
	"MyResponseType":            stringCodec(func(it *Item) *string { return &it.MyResponseType }),
	"Organizer":                 structCodec(func(it *Item) **SingleRecipient { return &it.Organizer }),
	"RequiredAttendees":         structCodec(func(it *Item) **Attendees { return &it.RequiredAttendees }),
	"OptionalAttendees":         structCodec(func(it *Item) **Attendees { return &it.OptionalAttendees }),
	"Resources":                 structCodec(func(it *Item) **Attendees { return &it.Resources }),
	"ConflictingMeetingCount":   intCodec(func(it *Item) **int { return &it.ConflictingMeetingCount }),
	"AdjacentMeetingCount":      intCodec(func(it *Item) **int { return &it.AdjacentMeetingCount }),
	"Duration":                  stringCodec(func(it *Item) *string { return &it.Duration }),
	"TimeZone":                  stringCodec(func(it *Item) *string { return &it.TimeZone }),
	"AppointmentReplyTime":      dateCodec(func(it *Item) *DateTime { return &it.AppointmentReplyTime }),
	"AppointmentSequenceNumber": intCodec(func(it *Item) **int { return &it.AppointmentSequenceNumber }),
	"AppointmentState":          intCodec(func(it *Item) **int { return &it.AppointmentState }),
	"Recurrence":                structCodec(func(it *Item) **Recurrence { return &it.Recurrence }),
	"FirstOccurrence":           structCodec(func(it *Item) **OccurrenceInfo { return &it.FirstOccurrence }),
	"LastOccurrence":            structCodec(func(it *Item) **OccurrenceInfo { return &it.LastOccurrence }),
	"ModifiedOccurrences":       structCodec(func(it *Item) **Occurrences { return &it.ModifiedOccurrences }),
	"DeletedOccurrences":        structCodec(func(it *Item) **DeletedOccurrences { return &it.DeletedOccurrences }),
	"StartTimeZone":             structCodec(func(it *Item) **TimeZoneDefinition { return &it.StartTimeZone }),
	"EndTimeZone":               structCodec(func(it *Item) **TimeZoneDefinition { return &it.EndTimeZone }),
	"ConferenceType":            intCodec(func(it *Item) **int { return &it.ConferenceType }),
	"AllowNewTimeProposal":      boolCodec(func(it *Item) **bool { return &it.AllowNewTimeProposal }),
	"IsOnlineMeeting":           boolCodec(func(it *Item) **bool { return &it.IsOnlineMeeting }),
	"MeetingWorkspaceUrl":       stringCodec(func(it *Item) *string { return &it.MeetingWorkspaceUrl }),
	"NetShowUrl":                stringCodec(func(it *Item) *string { return &it.NetShowUrl }),
	"StartTimeZoneId":           stringCodec(func(it *Item) *string { return &it.StartTimeZoneId }),
	"EndTimeZoneId":             stringCodec(func(it *Item) *string { return &it.EndTimeZoneId }),
	"IntendedFreeBusyStatus":    stringCodec(func(it *Item) *string { return &it.IntendedFreeBusyStatus }),
	"IsOrganizer":               boolCodec(func(it *Item) **bool { return &it.IsOrganizer }),

	// ContactItemType
	"FileAs":             stringCodec(func(it *Item) *string { return &it.FileAs }),
	"FileAsMapping":      stringCodec(func(it *Item) *string { return &it.FileAsMapping }),
	"DisplayName":        stringCodec(func(it *Item) *string { return &it.DisplayName }),
	"GivenName":          stringCodec(func(it *Item) *string { return &it.GivenName }),
	"Initials":           stringCodec(func(it *Item) *string { return &it.Initials }),
	"MiddleName":         stringCodec(func(it *Item) *string { return &it.MiddleName }),
	"Nickname":           stringCodec(func(it *Item) *string { return &it.Nickname }),
	"CompanyName":        stringCodec(func(it *Item) *string { return &it.CompanyName }),
	"EmailAddresses":     structCodec(func(it *Item) **EmailAddresses { return &it.EmailAddresses }),
	"PhysicalAddresses":  structCodec(func(it *Item) **PhysicalAddresses { return &it.PhysicalAddresses }),
	"PhoneNumbers":       structCodec(func(it *Item) **PhoneNumbers { return &it.PhoneNumbers }),
	"AssistantName":      stringCodec(func(it *Item) *string { return &it.AssistantName }),
	"Birthday":           dateCodec(func(it *Item) *DateTime { return &it.Birthday }),
	"BusinessHomePage":   stringCodec(func(it *Item) *string { return &it.BusinessHomePage }),
	"Children":           structCodec(func(it *Item) **Strings { return &it.Children }),
	"Companies":          structCodec(func(it *Item) **Strings { return &it.Companies }),
	"ContactSource":      stringCodec(func(it *Item) *string { return &it.ContactSource }),
	"Department":         stringCodec(func(it *Item) *string { return &it.Department }),
	"Generation":         stringCodec(func(it *Item) *string { return &it.Generation }),
	"ImAddresses":        structCodec(func(it *Item) **ImAddresses { return &it.ImAddresses }),
	"JobTitle":           stringCodec(func(it *Item) *string { return &it.JobTitle }),
	"Manager":            stringCodec(func(it *Item) *string { return &it.Manager }),
	"OfficeLocation":     stringCodec(func(it *Item) *string { return &it.OfficeLocation }),
	"PostalAddressIndex": stringCodec(func(it *Item) *string { return &it.PostalAddressIndex }),
	"Profession":         stringCodec(func(it *Item) *string { return &it.Profession }),
	"SpouseName":         stringCodec(func(it *Item) *string { return &it.SpouseName }),
	"Surname":            stringCodec(func(it *Item) *string { return &it.Surname }),
	"WeddingAnniversary": dateCodec(func(it *Item) *DateTime { return &it.WeddingAnniversary }),
	"HasPicture":         boolCodec(func(it *Item) **bool { return &it.HasPicture }),
	"Alias":              stringCodec(func(it *Item) *string { return &it.Alias }),
	"Notes":              stringCodec(func(it *Item) *string { return &it.Notes }),
	"DirectoryId":        stringCodec(func(it *Item) *string { return &it.DirectoryId }),
	"ManagerMailbox":     structCodec(func(it *Item) **SingleRecipient { return &it.ManagerMailbox }),
	"DirectReports":      structCodec(func(it *Item) **Recipients { return &it.DirectReports }),
}

// itemKinds maps each kind to its fields in schema order. Kinds not listed (such as
// t:SharingMessage) are written with the ItemType elements only.
var itemKinds = func() map[string][]itemField {
	typ := reflect.TypeFor[Item]()
	tagged := 0
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("xml"), ",")
		if local, ok := strings.CutPrefix(name, "t:"); ok {
			tagged++
			if _, ok := itemCodecs[local]; !ok {
				panic("ews: Item field " + typ.Field(i).Name + " has no codec")
			}
		}
	}
	if tagged != len(itemCodecs) {
		panic("ews: itemCodecs has codecs for fields Item does not have")
	}
	kind := func(lists ...[]string) []itemField {
		var out []itemField
		for _, l := range lists {
			for _, name := range l {
				c, ok := itemCodecs[name]
				if !ok {
					panic("ews: Item has no field for t:" + name)
				}
				out = append(out, itemField{name: "t:" + name, codec: c})
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

// kindFields returns the fields items of kind write; unknown kinds write ItemType's.
func kindFields(kind string) []itemField {
	if fields, ok := itemKinds[kind]; ok {
		return fields
	}
	return itemKinds[KindItem]
}

// elementName returns the item's element name: XMLName, or the name of the field holding
// the item (t:Contact in a t:Resolution), or t:Item where encoding/xml names the element
// after the type or a field called Item (an untagged ",any" field).
func (it *Item) elementName(name xml.Name) xml.Name {
	if it.XMLName.Local != "" {
		return it.XMLName
	}
	if name.Local == "Item" && name.Space == "" {
		name.Local = KindItem
	}
	return name
}

// MarshalXML writes the item as its kind's schema type orders it: the elements that type
// has, in its sequence order; fields the kind does not have are left out, as Exchange
// leaves out properties a type lacks. The element name is XMLName, or the name of the
// field holding the item (t:Contact in a t:Resolution).
func (it Item) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return it.marshalXML(e, start)
}

func (it *Item) marshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name = it.elementName(start.Name)
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, f := range kindFields(start.Name.Local) {
		if err := f.codec.encode(e, it, xml.StartElement{Name: xml.Name{Local: f.name}}); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return e.EncodeToken(start.End())
}

// appendXMLElement appends the item as MarshalXML writes it, name being the name
// encoding/xml would give MarshalXML: the tag's, or the Go field's for an ",any" field.
func (it *Item) appendXMLElement(b []byte, name string) []byte {
	n := it.elementName(xml.Name{Local: name})
	b = appendStartTag(b, n.Local, n.Space)
	b = append(b, '>')
	for _, f := range kindFields(n.Local) {
		b = f.codec.appendXML(b, it, f.name)
	}
	return appendEnd(b, n.Local)
}

// KindHasElement reports whether items of kind (e.g. KindMessage) carry the element
// t:<local> in their schema type, as Item writes them. Unknown kinds have the ItemType
// elements only.
func KindHasElement(kind, local string) bool {
	for _, f := range kindFields(kind) {
		if f.name == "t:"+local {
			return true
		}
	}
	return false
}
