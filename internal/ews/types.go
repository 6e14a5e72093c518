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

// Attachment is attachment metadata (AttachmentType); content is not carried here.
type Attachment struct {
	XMLName          xml.Name
	AttachmentId     *AttachmentId `xml:"t:AttachmentId"`
	Name             string        `xml:"t:Name,omitempty"`
	ContentType      string        `xml:"t:ContentType,omitempty"`
	ContentId        string        `xml:"t:ContentId,omitempty"`
	Size             int           `xml:"t:Size,omitempty"`
	LastModifiedTime DateTime      `xml:"t:LastModifiedTime"`
	IsInline         *bool         `xml:"t:IsInline"`
}

// AttachmentId identifies an attachment.
type AttachmentId struct {
	Id string `xml:"Id,attr"`
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

// Item is any item: a t:Message, t:CalendarItem, t:Contact, t:Task or plain t:Item, as
// XMLName says. The fields of every kind are in one struct, in schema order: the ItemType
// fields, then MessageType's, then CalendarItemType's, then ContactItemType's. A kind
// never sets another kind's fields, so the encoded order is always valid.
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
	HasAttachments             *bool                   `xml:"t:HasAttachments"`
	Culture                    string                  `xml:"t:Culture,omitempty"`
	LastModifiedName           string                  `xml:"t:LastModifiedName,omitempty"`
	LastModifiedTime           DateTime                `xml:"t:LastModifiedTime"`
	IsAssociated               *bool                   `xml:"t:IsAssociated"`
	ConversationId             *ItemId                 `xml:"t:ConversationId"`

	// MessageType
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
	IsResponseRequested        *bool            `xml:"t:IsResponseRequested"`
	References                 string           `xml:"t:References,omitempty"`
	ReplyTo                    *Recipients      `xml:"t:ReplyTo"`

	// CalendarItemType
	UID                   string           `xml:"t:UID,omitempty"`
	DateTimeStamp         DateTime         `xml:"t:DateTimeStamp"`
	Start                 DateTime         `xml:"t:Start"`
	End                   DateTime         `xml:"t:End"`
	IsAllDayEvent         *bool            `xml:"t:IsAllDayEvent"`
	LegacyFreeBusyStatus  string           `xml:"t:LegacyFreeBusyStatus,omitempty"`
	Location              string           `xml:"t:Location,omitempty"`
	IsMeeting             *bool            `xml:"t:IsMeeting"`
	IsCancelled           *bool            `xml:"t:IsCancelled"`
	IsRecurring           *bool            `xml:"t:IsRecurring"`
	MeetingRequestWasSent *bool            `xml:"t:MeetingRequestWasSent"`
	CalendarItemType      string           `xml:"t:CalendarItemType,omitempty"`
	MyResponseType        string           `xml:"t:MyResponseType,omitempty"`
	Organizer             *SingleRecipient `xml:"t:Organizer"`
	RequiredAttendees     *Attendees       `xml:"t:RequiredAttendees"`
	OptionalAttendees     *Attendees       `xml:"t:OptionalAttendees"`
	Resources             *Attendees       `xml:"t:Resources"`
	Duration              string           `xml:"t:Duration,omitempty"`
	TimeZone              string           `xml:"t:TimeZone,omitempty"`

	// ContactItemType
	FileAs         string          `xml:"t:FileAs,omitempty"`
	DisplayName    string          `xml:"t:DisplayName,omitempty"`
	GivenName      string          `xml:"t:GivenName,omitempty"`
	CompanyName    string          `xml:"t:CompanyName,omitempty"`
	EmailAddresses *EmailAddresses `xml:"t:EmailAddresses"`
	PhoneNumbers   *PhoneNumbers   `xml:"t:PhoneNumbers"`
	JobTitle       string          `xml:"t:JobTitle,omitempty"`
	Surname        string          `xml:"t:Surname,omitempty"`
}

// Item kinds, as element names.
const (
	KindItem         = "t:Item"
	KindMessage      = "t:Message"
	KindCalendarItem = "t:CalendarItem"
	KindContact      = "t:Contact"
	KindTask         = "t:Task"
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
