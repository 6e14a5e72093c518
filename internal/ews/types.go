package ews

import "encoding/xml"

// ItemId identifies an item; ChangeKey identifies its version.
type ItemId struct {
	Id        string `xml:"Id,attr"`
	ChangeKey string `xml:"ChangeKey,attr,omitempty"`
}

// FolderId identifies a folder; ChangeKey identifies its version.
type FolderId struct {
	Id        string `xml:"Id,attr"`
	ChangeKey string `xml:"ChangeKey,attr,omitempty"`
}

// BaseFolderId is either a t:FolderId or a t:DistinguishedFolderId (XMLName tells which),
// kept in one type so that lists of mixed ids keep their order.
type BaseFolderId struct {
	XMLName   xml.Name
	Id        string        `xml:"Id,attr"`
	ChangeKey string        `xml:"ChangeKey,attr,omitempty"`
	Mailbox   *EmailAddress `xml:"t:Mailbox"`
}

// DistinguishedFolder returns the id of a well-known folder such as "inbox".
func DistinguishedFolder(name string) BaseFolderId {
	return BaseFolderId{XMLName: xml.Name{Local: "t:DistinguishedFolderId"}, Id: name}
}

// FolderRef returns the BaseFolderId form of a folder id.
func FolderRef(id FolderId) BaseFolderId {
	return BaseFolderId{XMLName: xml.Name{Local: "t:FolderId"}, Id: id.Id, ChangeKey: id.ChangeKey}
}

// IsDistinguished reports whether the id names a well-known folder.
func (f BaseFolderId) IsDistinguished() bool { return f.XMLName.Local == "t:DistinguishedFolderId" }

// FolderIds is a list of BaseFolderIds (NonEmptyArrayOfBaseFolderIdsType, TargetFolderIdType).
type FolderIds struct {
	Ids []BaseFolderId `xml:",any"`
}

// BaseItemId is a t:ItemId (or an occurrence/recurring-master id; XMLName tells which).
type BaseItemId struct {
	XMLName           xml.Name
	Id                string `xml:"Id,attr,omitempty"`
	ChangeKey         string `xml:"ChangeKey,attr,omitempty"`
	RecurringMasterId string `xml:"RecurringMasterId,attr,omitempty"`
	InstanceIndex     int    `xml:"InstanceIndex,attr,omitempty"`
	OccurrenceId      string `xml:"OccurrenceId,attr,omitempty"`
}

// ItemRef returns the BaseItemId form of an item id.
func ItemRef(id ItemId) BaseItemId {
	return BaseItemId{XMLName: xml.Name{Local: "t:ItemId"}, Id: id.Id, ChangeKey: id.ChangeKey}
}

// ItemIds is a list of BaseItemIds (NonEmptyArrayOfBaseItemIdsType).
type ItemIds struct {
	Ids []BaseItemId `xml:",any"`
}

// EmailAddress is a mailbox (EmailAddressType): used for recipients, senders and for
// t:Mailbox in requests.
type EmailAddress struct {
	Name         string  `xml:"t:Name,omitempty"`
	EmailAddress string  `xml:"t:EmailAddress,omitempty"`
	RoutingType  string  `xml:"t:RoutingType,omitempty"`
	MailboxType  string  `xml:"t:MailboxType,omitempty"`
	ItemId       *ItemId `xml:"t:ItemId"`
}

// SingleRecipient wraps one t:Mailbox (From, Sender, Organizer).
type SingleRecipient struct {
	Mailbox EmailAddress `xml:"t:Mailbox"`
}

// Recipients is a list of t:Mailbox (ToRecipients, CcRecipients, …).
type Recipients struct {
	Mailboxes []EmailAddress `xml:"t:Mailbox"`
}

// Attendee is a meeting attendee.
type Attendee struct {
	Mailbox          EmailAddress `xml:"t:Mailbox"`
	ResponseType     string       `xml:"t:ResponseType,omitempty"`
	LastResponseTime DateTime     `xml:"t:LastResponseTime"`
}

// Attendees is a list of t:Attendee.
type Attendees struct {
	Attendees []Attendee `xml:"t:Attendee"`
}

// Body is an item body: BodyType is "HTML" or "Text".
type Body struct {
	BodyType    string `xml:"BodyType,attr"`
	IsTruncated *bool  `xml:"IsTruncated,attr"`
	Value       string `xml:",chardata"`
}

// Strings is ArrayOfStringsType (t:String elements), used by Categories.
type Strings struct {
	Strings []string `xml:"t:String"`
}

// InternetMessageHeader is one header line of a message.
type InternetMessageHeader struct {
	HeaderName string `xml:"HeaderName,attr"`
	Value      string `xml:",chardata"`
}

// InternetMessageHeaders is the list of a message's Internet headers.
type InternetMessageHeaders struct {
	Headers []InternetMessageHeader `xml:"t:InternetMessageHeader"`
}

// Attachments lists attachments; each is a t:FileAttachment or t:ItemAttachment.
type Attachments struct {
	Attachments []Attachment `xml:",any"`
}

// Attachment kinds, as element names.
const (
	KindFileAttachment = "t:FileAttachment"
	KindItemAttachment = "t:ItemAttachment"
)

// Attachment is a t:FileAttachment or a t:ItemAttachment, as XMLName says: the
// AttachmentType fields, then FileAttachmentType's, then the attached item of an
// ItemAttachmentType. Items list attachment metadata only; Content and Item are filled
// where an attachment is created or fetched in full. Item takes any child element the
// other fields do not name, so t:ReferenceAttachment (Exchange Online) is not modelled.
type Attachment struct {
	XMLName               xml.Name
	AttachmentId          *AttachmentId `xml:"t:AttachmentId"`
	Name                  string        `xml:"t:Name,omitempty"`
	ContentType           string        `xml:"t:ContentType,omitempty"`
	ContentId             string        `xml:"t:ContentId,omitempty"`
	ContentLocation       string        `xml:"t:ContentLocation,omitempty"`
	AttachmentOriginalUrl string        `xml:"t:AttachmentOriginalUrl,omitempty"`
	Size                  int           `xml:"t:Size,omitempty"`
	LastModifiedTime      DateTime      `xml:"t:LastModifiedTime"`
	IsInline              *bool         `xml:"t:IsInline"`

	// FileAttachmentType
	IsContactPhoto *bool  `xml:"t:IsContactPhoto"`
	Content        string `xml:"t:Content,omitempty"` // base64

	// ItemAttachmentType: the attached item, any kind (its XMLName says which).
	Item *Item `xml:",any"`
}

// Kind returns the attachment's element name, KindFileAttachment or KindItemAttachment.
func (a *Attachment) Kind() string { return a.XMLName.Local }

// AttachmentId identifies an attachment; RootItemId names the item it belongs to.
type AttachmentId struct {
	Id                string `xml:"Id,attr"`
	RootItemId        string `xml:"RootItemId,attr,omitempty"`
	RootItemChangeKey string `xml:"RootItemChangeKey,attr,omitempty"`
}

// EmailAddressEntry is one entry of a contact's EmailAddresses (Key EmailAddress1..3).
type EmailAddressEntry struct {
	Key         string `xml:"Key,attr"`
	Name        string `xml:"Name,attr,omitempty"`
	RoutingType string `xml:"RoutingType,attr,omitempty"`
	MailboxType string `xml:"MailboxType,attr,omitempty"`
	Value       string `xml:",chardata"`
}

// EmailAddresses is a contact's EmailAddressDictionaryType.
type EmailAddresses struct {
	Entries []EmailAddressEntry `xml:"t:Entry"`
}

// PhoneNumberEntry is one entry of a contact's PhoneNumbers (Key BusinessPhone, MobilePhone, …).
type PhoneNumberEntry struct {
	Key   string `xml:"Key,attr"`
	Value string `xml:",chardata"`
}

// PhoneNumbers is a contact's PhoneNumberDictionaryType.
type PhoneNumbers struct {
	Entries []PhoneNumberEntry `xml:"t:Entry"`
}

// PhysicalAddressEntry is one postal address of a contact (Key Business, Home or Other).
type PhysicalAddressEntry struct {
	Key             string `xml:"Key,attr"`
	Street          string `xml:"t:Street,omitempty"`
	City            string `xml:"t:City,omitempty"`
	State           string `xml:"t:State,omitempty"`
	CountryOrRegion string `xml:"t:CountryOrRegion,omitempty"`
	PostalCode      string `xml:"t:PostalCode,omitempty"`
}

// PhysicalAddresses is a contact's PhysicalAddressDictionaryType.
type PhysicalAddresses struct {
	Entries []PhysicalAddressEntry `xml:"t:Entry"`
}

// ImAddressEntry is one instant-messaging address of a contact (Key ImAddress1..3).
type ImAddressEntry struct {
	Key   string `xml:"Key,attr"`
	Value string `xml:",chardata"`
}

// ImAddresses is a contact's ImAddressDictionaryType.
type ImAddresses struct {
	Entries []ImAddressEntry `xml:"t:Entry"`
}

// ExtendedProperty is a MAPI property outside the EWS schema, named by ExtendedFieldURI.
// Single-valued properties use Value, multi-valued ones Values; one of them must be set.
type ExtendedProperty struct {
	ExtendedFieldURI PropertyPath    `xml:"t:ExtendedFieldURI"`
	Value            string          `xml:"t:Value,omitempty"`
	Values           *PropertyValues `xml:"t:Values"`
}

// PropertyValues are the values of a multi-valued extended property.
type PropertyValues struct {
	Values []string `xml:"t:Value"`
}

// TimeZoneDefinition names a time zone by its Windows id (t:StartTimeZone,
// t:EndTimeZone). Clients may send the full definition (Periods, Transitions); only the
// id and name are kept, and Exchange resolves the id.
type TimeZoneDefinition struct {
	Id   string `xml:"Id,attr,omitempty"`
	Name string `xml:"Name,attr,omitempty"`
}

// Recurrence is a calendar item's recurrence (RecurrenceType): exactly one pattern and
// exactly one range are set.
type Recurrence struct {
	RelativeYearly  *RecurrencePattern `xml:"t:RelativeYearlyRecurrence"`
	AbsoluteYearly  *RecurrencePattern `xml:"t:AbsoluteYearlyRecurrence"`
	RelativeMonthly *RecurrencePattern `xml:"t:RelativeMonthlyRecurrence"`
	AbsoluteMonthly *RecurrencePattern `xml:"t:AbsoluteMonthlyRecurrence"`
	Weekly          *RecurrencePattern `xml:"t:WeeklyRecurrence"`
	Daily           *RecurrencePattern `xml:"t:DailyRecurrence"`

	NoEnd    *RecurrenceRange `xml:"t:NoEndRecurrence"`
	EndDate  *RecurrenceRange `xml:"t:EndDateRecurrence"`
	Numbered *RecurrenceRange `xml:"t:NumberedRecurrence"`
}

// RecurrencePattern holds the fields of every recurrence pattern, in schema order; each
// pattern uses its own subset:
//
//	Daily            Interval
//	Weekly           Interval, DaysOfWeek ("Monday Wednesday"), FirstDayOfWeek
//	RelativeMonthly  Interval, DaysOfWeek (one day), DayOfWeekIndex (First…Last)
//	AbsoluteMonthly  Interval, DayOfMonth
//	RelativeYearly   DaysOfWeek, DayOfWeekIndex, Month ("January"…)
//	AbsoluteYearly   DayOfMonth, Month
type RecurrencePattern struct {
	Interval       int    `xml:"t:Interval,omitempty"`
	DaysOfWeek     string `xml:"t:DaysOfWeek,omitempty"`
	FirstDayOfWeek string `xml:"t:FirstDayOfWeek,omitempty"`
	DayOfWeekIndex string `xml:"t:DayOfWeekIndex,omitempty"`
	DayOfMonth     int    `xml:"t:DayOfMonth,omitempty"`
	Month          string `xml:"t:Month,omitempty"`
}

// RecurrenceRange bounds a recurrence. Dates are xs:date values ("2024-05-01", possibly
// with a zone suffix). NoEnd uses StartDate only, EndDate adds EndDate, Numbered adds
// NumberOfOccurrences.
type RecurrenceRange struct {
	StartDate           string `xml:"t:StartDate"`
	EndDate             string `xml:"t:EndDate,omitempty"`
	NumberOfOccurrences int    `xml:"t:NumberOfOccurrences,omitempty"`
}

// OccurrenceInfo describes one occurrence of a recurring series (first, last or modified).
type OccurrenceInfo struct {
	ItemId        ItemId   `xml:"t:ItemId"`
	Start         DateTime `xml:"t:Start"`
	End           DateTime `xml:"t:End"`
	OriginalStart DateTime `xml:"t:OriginalStart"`
}

// Occurrences is NonEmptyArrayOfOccurrenceInfoType (ModifiedOccurrences).
type Occurrences struct {
	Occurrences []OccurrenceInfo `xml:"t:Occurrence"`
}

// DeletedOccurrence is one deleted occurrence of a recurring series, by its start.
type DeletedOccurrence struct {
	Start DateTime `xml:"t:Start"`
}

// DeletedOccurrences is NonEmptyArrayOfDeletedOccurrencesType.
type DeletedOccurrences struct {
	Occurrences []DeletedOccurrence `xml:"t:DeletedOccurrence"`
}

// Item is any item, as XMLName says: t:Message, t:CalendarItem, t:Contact,
// t:DistributionList, t:MeetingRequest, t:Task, plain t:Item, … (the Kind… constants).
// The fields of every kind are in one struct, grouped by the schema type that declares
// them and in that type's sequence order: ItemType, MessageType, PostItemType, the
// meeting message types, CalendarItemType, ContactItemType. An element that several
// types declare (Start, IsResponseRequested, DisplayName, …) is one field, listed with
// the first type that declares it.
//
// Because those types order their shared elements differently, Item encodes itself (see
// MarshalXML): it writes the elements its kind's schema type has, in that type's order,
// and leaves out fields its kind does not have. Decoding is plain encoding/xml and
// accepts the elements in any order. Fields are optional: zero values are not written.
type Item struct {
	XMLName xml.Name

	// ItemType
	MimeContent                *MimeContent            `xml:"t:MimeContent"`
	ItemId                     *ItemId                 `xml:"t:ItemId"`
	ParentFolderId             *FolderId               `xml:"t:ParentFolderId"`
	ItemClass                  string                  `xml:"t:ItemClass,omitempty"`
	Subject                    string                  `xml:"t:Subject,omitempty"`
	Sensitivity                string                  `xml:"t:Sensitivity,omitempty"`
	Body                       *Body                   `xml:"t:Body"`
	Attachments                *Attachments            `xml:"t:Attachments"`
	DateTimeReceived           DateTime                `xml:"t:DateTimeReceived"`
	Size                       *int                    `xml:"t:Size"`
	Categories                 *Strings                `xml:"t:Categories"`
	Importance                 string                  `xml:"t:Importance,omitempty"`
	InReplyTo                  string                  `xml:"t:InReplyTo,omitempty"`
	IsSubmitted                *bool                   `xml:"t:IsSubmitted"`
	IsDraft                    *bool                   `xml:"t:IsDraft"`
	IsFromMe                   *bool                   `xml:"t:IsFromMe"`
	IsResend                   *bool                   `xml:"t:IsResend"`
	IsUnmodified               *bool                   `xml:"t:IsUnmodified"`
	InternetMessageHeaders     *InternetMessageHeaders `xml:"t:InternetMessageHeaders"`
	DateTimeSent               DateTime                `xml:"t:DateTimeSent"`
	DateTimeCreated            DateTime                `xml:"t:DateTimeCreated"`
	ReminderDueBy              DateTime                `xml:"t:ReminderDueBy"`
	ReminderIsSet              *bool                   `xml:"t:ReminderIsSet"`
	ReminderMinutesBeforeStart string                  `xml:"t:ReminderMinutesBeforeStart,omitempty"`
	DisplayCc                  string                  `xml:"t:DisplayCc,omitempty"`
	DisplayTo                  string                  `xml:"t:DisplayTo,omitempty"`
	DisplayBcc                 string                  `xml:"t:DisplayBcc,omitempty"`
	HasAttachments             *bool                   `xml:"t:HasAttachments"`
	ExtendedProperties         []ExtendedProperty      `xml:"t:ExtendedProperty"`
	Culture                    string                  `xml:"t:Culture,omitempty"`
	LastModifiedName           string                  `xml:"t:LastModifiedName,omitempty"`
	LastModifiedTime           DateTime                `xml:"t:LastModifiedTime"`
	IsAssociated               *bool                   `xml:"t:IsAssociated"`
	ConversationId             *ItemId                 `xml:"t:ConversationId"`
	UniqueBody                 *Body                   `xml:"t:UniqueBody"`
	Preview                    string                  `xml:"t:Preview,omitempty"`

	// MessageType (and the meeting messages, which extend it)
	Sender                     *SingleRecipient `xml:"t:Sender"`
	ToRecipients               *Recipients      `xml:"t:ToRecipients"`
	CcRecipients               *Recipients      `xml:"t:CcRecipients"`
	BccRecipients              *Recipients      `xml:"t:BccRecipients"`
	IsReadReceiptRequested     *bool            `xml:"t:IsReadReceiptRequested"`
	IsDeliveryReceiptRequested *bool            `xml:"t:IsDeliveryReceiptRequested"`
	ConversationIndex          string           `xml:"t:ConversationIndex,omitempty"`
	ConversationTopic          string           `xml:"t:ConversationTopic,omitempty"`
	From                       *SingleRecipient `xml:"t:From"`
	InternetMessageId          string           `xml:"t:InternetMessageId,omitempty"`
	IsRead                     *bool            `xml:"t:IsRead"`
	IsResponseRequested        *bool            `xml:"t:IsResponseRequested"` // also CalendarItemType
	References                 string           `xml:"t:References,omitempty"`
	ReplyTo                    *Recipients      `xml:"t:ReplyTo"`
	ReceivedBy                 *SingleRecipient `xml:"t:ReceivedBy"`
	ReceivedRepresenting       *SingleRecipient `xml:"t:ReceivedRepresenting"`

	// PostItemType
	PostedTime DateTime `xml:"t:PostedTime"`

	// MeetingMessageType, MeetingRequestMessageType, MeetingResponseMessageType; the
	// calendar fields they share (UID, Start, Location, …) are with CalendarItemType's.
	AssociatedCalendarItemId *ItemId  `xml:"t:AssociatedCalendarItemId"`
	IsDelegated              *bool    `xml:"t:IsDelegated"`
	IsOutOfDate              *bool    `xml:"t:IsOutOfDate"`
	HasBeenProcessed         *bool    `xml:"t:HasBeenProcessed"`
	ResponseType             string   `xml:"t:ResponseType,omitempty"`
	MeetingRequestType       string   `xml:"t:MeetingRequestType,omitempty"`
	ProposedStart            DateTime `xml:"t:ProposedStart"`
	ProposedEnd              DateTime `xml:"t:ProposedEnd"`

	// CalendarItemType
	UID                       string              `xml:"t:UID,omitempty"`
	RecurrenceId              DateTime            `xml:"t:RecurrenceId"`
	DateTimeStamp             DateTime            `xml:"t:DateTimeStamp"`
	Start                     DateTime            `xml:"t:Start"`
	End                       DateTime            `xml:"t:End"`
	OriginalStart             DateTime            `xml:"t:OriginalStart"`
	IsAllDayEvent             *bool               `xml:"t:IsAllDayEvent"`
	LegacyFreeBusyStatus      string              `xml:"t:LegacyFreeBusyStatus,omitempty"`
	Location                  string              `xml:"t:Location,omitempty"`
	When                      string              `xml:"t:When,omitempty"`
	IsMeeting                 *bool               `xml:"t:IsMeeting"`
	IsCancelled               *bool               `xml:"t:IsCancelled"`
	IsRecurring               *bool               `xml:"t:IsRecurring"`
	MeetingRequestWasSent     *bool               `xml:"t:MeetingRequestWasSent"`
	CalendarItemType          string              `xml:"t:CalendarItemType,omitempty"`
	MyResponseType            string              `xml:"t:MyResponseType,omitempty"`
	Organizer                 *SingleRecipient    `xml:"t:Organizer"`
	RequiredAttendees         *Attendees          `xml:"t:RequiredAttendees"`
	OptionalAttendees         *Attendees          `xml:"t:OptionalAttendees"`
	Resources                 *Attendees          `xml:"t:Resources"`
	ConflictingMeetingCount   *int                `xml:"t:ConflictingMeetingCount"`
	AdjacentMeetingCount      *int                `xml:"t:AdjacentMeetingCount"`
	Duration                  string              `xml:"t:Duration,omitempty"`
	TimeZone                  string              `xml:"t:TimeZone,omitempty"`
	AppointmentReplyTime      DateTime            `xml:"t:AppointmentReplyTime"`
	AppointmentSequenceNumber *int                `xml:"t:AppointmentSequenceNumber"`
	AppointmentState          *int                `xml:"t:AppointmentState"`
	Recurrence                *Recurrence         `xml:"t:Recurrence"`
	FirstOccurrence           *OccurrenceInfo     `xml:"t:FirstOccurrence"`
	LastOccurrence            *OccurrenceInfo     `xml:"t:LastOccurrence"`
	ModifiedOccurrences       *Occurrences        `xml:"t:ModifiedOccurrences"`
	DeletedOccurrences        *DeletedOccurrences `xml:"t:DeletedOccurrences"`
	StartTimeZone             *TimeZoneDefinition `xml:"t:StartTimeZone"`
	EndTimeZone               *TimeZoneDefinition `xml:"t:EndTimeZone"`
	ConferenceType            *int                `xml:"t:ConferenceType"`
	AllowNewTimeProposal      *bool               `xml:"t:AllowNewTimeProposal"`
	IsOnlineMeeting           *bool               `xml:"t:IsOnlineMeeting"`
	MeetingWorkspaceUrl       string              `xml:"t:MeetingWorkspaceUrl,omitempty"`
	NetShowUrl                string              `xml:"t:NetShowUrl,omitempty"`
	StartTimeZoneId           string              `xml:"t:StartTimeZoneId,omitempty"`
	EndTimeZoneId             string              `xml:"t:EndTimeZoneId,omitempty"`
	IntendedFreeBusyStatus    string              `xml:"t:IntendedFreeBusyStatus,omitempty"`
	IsOrganizer               *bool               `xml:"t:IsOrganizer"`

	// ContactItemType (DistributionListType has DisplayName, FileAs and ContactSource)
	FileAs             string             `xml:"t:FileAs,omitempty"`
	FileAsMapping      string             `xml:"t:FileAsMapping,omitempty"`
	DisplayName        string             `xml:"t:DisplayName,omitempty"`
	GivenName          string             `xml:"t:GivenName,omitempty"`
	Initials           string             `xml:"t:Initials,omitempty"`
	MiddleName         string             `xml:"t:MiddleName,omitempty"`
	Nickname           string             `xml:"t:Nickname,omitempty"`
	CompanyName        string             `xml:"t:CompanyName,omitempty"`
	EmailAddresses     *EmailAddresses    `xml:"t:EmailAddresses"`
	PhysicalAddresses  *PhysicalAddresses `xml:"t:PhysicalAddresses"`
	PhoneNumbers       *PhoneNumbers      `xml:"t:PhoneNumbers"`
	AssistantName      string             `xml:"t:AssistantName,omitempty"`
	Birthday           DateTime           `xml:"t:Birthday"`
	BusinessHomePage   string             `xml:"t:BusinessHomePage,omitempty"`
	Children           *Strings           `xml:"t:Children"`
	Companies          *Strings           `xml:"t:Companies"`
	ContactSource      string             `xml:"t:ContactSource,omitempty"`
	Department         string             `xml:"t:Department,omitempty"`
	Generation         string             `xml:"t:Generation,omitempty"`
	ImAddresses        *ImAddresses       `xml:"t:ImAddresses"`
	JobTitle           string             `xml:"t:JobTitle,omitempty"`
	Manager            string             `xml:"t:Manager,omitempty"`
	OfficeLocation     string             `xml:"t:OfficeLocation,omitempty"`
	PostalAddressIndex string             `xml:"t:PostalAddressIndex,omitempty"`
	Profession         string             `xml:"t:Profession,omitempty"`
	SpouseName         string             `xml:"t:SpouseName,omitempty"`
	Surname            string             `xml:"t:Surname,omitempty"`
	WeddingAnniversary DateTime           `xml:"t:WeddingAnniversary"`
	HasPicture         *bool              `xml:"t:HasPicture"`
	Alias              string             `xml:"t:Alias,omitempty"`
	Notes              string             `xml:"t:Notes,omitempty"`
	DirectoryId        string             `xml:"t:DirectoryId,omitempty"`
	ManagerMailbox     *SingleRecipient   `xml:"t:ManagerMailbox"`
	DirectReports      *Recipients        `xml:"t:DirectReports"`
}

// Item kinds, as element names.
const (
	KindItem                = "t:Item"
	KindMessage             = "t:Message"
	KindCalendarItem        = "t:CalendarItem"
	KindContact             = "t:Contact"
	KindDistributionList    = "t:DistributionList"
	KindMeetingMessage      = "t:MeetingMessage"
	KindMeetingRequest      = "t:MeetingRequest"
	KindMeetingResponse     = "t:MeetingResponse"
	KindMeetingCancellation = "t:MeetingCancellation"
	KindTask                = "t:Task"
	KindPostItem            = "t:PostItem"
)

// Kind returns the item's element name, e.g. KindMessage.
func (it *Item) Kind() string { return it.XMLName.Local }

// MimeContent is an item's MIME content, base64 encoded.
type MimeContent struct {
	CharacterSet string `xml:"CharacterSet,attr,omitempty"`
	Value        string `xml:",chardata"`
}

// Items is a list of items of any kind, in document order (ArrayOfRealItemsType).
type Items struct {
	Items []Item `xml:",any"`
}

// Folder is any folder: t:Folder, t:CalendarFolder, t:ContactsFolder, t:TasksFolder or
// t:SearchFolder, as XMLName says.
type Folder struct {
	XMLName          xml.Name
	FolderId         *FolderId `xml:"t:FolderId"`
	ParentFolderId   *FolderId `xml:"t:ParentFolderId"`
	FolderClass      string    `xml:"t:FolderClass,omitempty"`
	DisplayName      string    `xml:"t:DisplayName,omitempty"`
	TotalCount       *int      `xml:"t:TotalCount"`
	ChildFolderCount *int      `xml:"t:ChildFolderCount"`
	// UnreadCount exists on t:Folder, t:TasksFolder and t:SearchFolder only.
	UnreadCount *int `xml:"t:UnreadCount"`
}

// Folder kinds, as element names.
const (
	KindFolder         = "t:Folder"
	KindCalendarFolder = "t:CalendarFolder"
	KindContactsFolder = "t:ContactsFolder"
	KindTasksFolder    = "t:TasksFolder"
	KindSearchFolder   = "t:SearchFolder"
)

// Kind returns the folder's element name, e.g. KindCalendarFolder.
func (f *Folder) Kind() string { return f.XMLName.Local }

// Folders is a list of folders of any kind, in document order.
type Folders struct {
	Folders []Folder `xml:",any"`
}

// PropertyPath is one requested property: t:FieldURI, t:IndexedFieldURI or
// t:ExtendedFieldURI, as XMLName says.
type PropertyPath struct {
	XMLName                    xml.Name
	FieldURI                   string `xml:"FieldURI,attr,omitempty"`
	FieldIndex                 string `xml:"FieldIndex,attr,omitempty"`
	DistinguishedPropertySetId string `xml:"DistinguishedPropertySetId,attr,omitempty"`
	PropertySetId              string `xml:"PropertySetId,attr,omitempty"`
	PropertyTag                string `xml:"PropertyTag,attr,omitempty"`
	PropertyName               string `xml:"PropertyName,attr,omitempty"`
	PropertyId                 string `xml:"PropertyId,attr,omitempty"`
	PropertyType               string `xml:"PropertyType,attr,omitempty"`
}

// Field returns a t:FieldURI path such as "item:Subject".
func Field(uri string) PropertyPath {
	return PropertyPath{XMLName: xml.Name{Local: "t:FieldURI"}, FieldURI: uri}
}

// IndexedField returns a t:IndexedFieldURI path such as ("contacts:PhoneNumber",
// "MobilePhone").
func IndexedField(uri, index string) PropertyPath {
	return PropertyPath{XMLName: xml.Name{Local: "t:IndexedFieldURI"}, FieldURI: uri, FieldIndex: index}
}

// ExtendedTag returns a t:ExtendedFieldURI path naming a MAPI property by tag, such as
// ("0x0E08", "Integer").
func ExtendedTag(tag, propertyType string) PropertyPath {
	return PropertyPath{XMLName: xml.Name{Local: "t:ExtendedFieldURI"}, PropertyTag: tag, PropertyType: propertyType}
}

// PathChoice holds one property path in the element its form requires: the t:Path
// substitution group (t:FieldURI, t:IndexedFieldURI or t:ExtendedFieldURI) where a
// schema type has exactly one path, as in restrictions, sort orders and item updates.
// Use PathTo to fill it and Path to read it.
type PathChoice struct {
	FieldURI         *PropertyPath `xml:"t:FieldURI"`
	IndexedFieldURI  *PropertyPath `xml:"t:IndexedFieldURI"`
	ExtendedFieldURI *PropertyPath `xml:"t:ExtendedFieldURI"`
}

// PathTo returns p in the element its XMLName names (t:FieldURI when unset).
func PathTo(p PropertyPath) PathChoice {
	switch p.XMLName.Local {
	case "t:IndexedFieldURI":
		return PathChoice{IndexedFieldURI: &p}
	case "t:ExtendedFieldURI":
		return PathChoice{ExtendedFieldURI: &p}
	}
	p.XMLName = xml.Name{Local: "t:FieldURI"}
	return PathChoice{FieldURI: &p}
}

// Path returns the path, or nil if none is set.
func (c PathChoice) Path() *PropertyPath {
	switch {
	case c.FieldURI != nil:
		return c.FieldURI
	case c.IndexedFieldURI != nil:
		return c.IndexedFieldURI
	}
	return c.ExtendedFieldURI
}

// PropertyPaths is NonEmptyArrayOfPathsToElementType.
type PropertyPaths struct {
	Paths []PropertyPath `xml:",any"`
}

// Base shapes.
const (
	ShapeIdOnly        = "IdOnly"
	ShapeDefault       = "Default"
	ShapeAllProperties = "AllProperties"
)

// ItemShape says which item properties a response carries.
type ItemShape struct {
	BaseShape            string         `xml:"t:BaseShape"`
	IncludeMimeContent   *bool          `xml:"t:IncludeMimeContent"`
	BodyType             string         `xml:"t:BodyType,omitempty"`
	FilterHtmlContent    *bool          `xml:"t:FilterHtmlContent"`
	MaximumBodySize      int            `xml:"t:MaximumBodySize,omitempty"`
	AdditionalProperties *PropertyPaths `xml:"t:AdditionalProperties"`
}

// FolderShape says which folder properties a response carries.
type FolderShape struct {
	BaseShape            string         `xml:"t:BaseShape"`
	AdditionalProperties *PropertyPaths `xml:"t:AdditionalProperties"`
}
