package ews

import (
	"encoding/xml"
	"strings"
)

// Notification event types: the values of t:EventType in a subscription request and, with
// the t: prefix, the element names of the events in a notification.
const (
	EventCopied          = "CopiedEvent"
	EventCreated         = "CreatedEvent"
	EventDeleted         = "DeletedEvent"
	EventModified        = "ModifiedEvent"
	EventMoved           = "MovedEvent"
	EventNewMail         = "NewMailEvent"
	EventFreeBusyChanged = "FreeBusyChangedEvent"
	// EventStatus is the event a notification carries when nothing changed (a keep-alive
	// with the current watermark). It cannot be subscribed to.
	EventStatus = "StatusEvent"
)

// SubscribableEvent reports whether typ is a t:EventType value a subscription may name.
func SubscribableEvent(typ string) bool {
	switch typ {
	case EventCopied, EventCreated, EventDeleted, EventModified, EventMoved, EventNewMail, EventFreeBusyChanged:
		return true
	}
	return false
}

// Notification is a t:NotificationType: the events of one subscription since
// PreviousWatermark, in the order they happened. GetEvents answers with one; streaming
// responses carry several (see StreamingNotifications).
type Notification struct {
	SubscriptionId    string  `xml:"t:SubscriptionId"`
	PreviousWatermark string  `xml:"t:PreviousWatermark,omitempty"`
	MoreEvents        *bool   `xml:"t:MoreEvents"`
	Events            []Event `xml:",any"`
}

// Event is one notification event of any type; XMLName says which (t:CreatedEvent, …; see
// Type and NewEvent). The fields of every event type are in one struct, in schema order:
// BaseNotificationEventType (Watermark), BaseObjectChangedEventType (TimeStamp, FolderId
// or ItemId, ParentFolderId), MovedCopiedEventType (OldFolderId or OldItemId,
// OldParentFolderId) and ModifiedEventType (UnreadCount). A StatusEvent carries only its
// Watermark; only moves and copies carry the Old… ids; only a folder's ModifiedEvent
// carries UnreadCount.
type Event struct {
	XMLName           xml.Name
	Watermark         string    `xml:"t:Watermark,omitempty"`
	TimeStamp         DateTime  `xml:"t:TimeStamp"`
	FolderId          *FolderId `xml:"t:FolderId"`
	ItemId            *ItemId   `xml:"t:ItemId"`
	ParentFolderId    *FolderId `xml:"t:ParentFolderId"`
	OldFolderId       *FolderId `xml:"t:OldFolderId"`
	OldItemId         *ItemId   `xml:"t:OldItemId"`
	OldParentFolderId *FolderId `xml:"t:OldParentFolderId"`
	UnreadCount       *int      `xml:"t:UnreadCount"`
}

// NewEvent returns an empty event of type typ (EventCreated, EventStatus, …).
func NewEvent(typ string) Event {
	return Event{XMLName: xml.Name{Local: "t:" + typ}}
}

// Type returns the event type, e.g. EventCreated.
func (e *Event) Type() string { return strings.TrimPrefix(e.XMLName.Local, "t:") }

// IsFolderEvent reports whether the event is about a folder rather than an item.
func (e *Event) IsFolderEvent() bool { return e.FolderId != nil }

// StreamingNotifications is the m:Notifications element of a GetStreamingEvents response
// message. Exchange writes its children as m:Notification, in the messages namespace, and
// clients (exchangelib, the EWS Managed API) look for exactly that, although types.xsd
// declares t:Notification. This type encodes m:Notification like Exchange and decodes both.
type StreamingNotifications struct {
	Notifications []Notification `xml:"m:Notification"`
}

// UnmarshalXML reads m:Notification and t:Notification children alike, in order.
func (n *StreamingNotifications) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return decodeChildren(d, "Notification", func(se *xml.StartElement) error {
		var x Notification
		if err := d.DecodeElement(&x, se); err != nil {
			return err
		}
		n.Notifications = append(n.Notifications, x)
		return nil
	})
}

// ErrorSubscriptionIds is the m:ErrorSubscriptionIds element of a GetStreamingEvents
// response message: the subscriptions the error applies to. Exchange writes the ids as
// m:SubscriptionId, where types.xsd says t:SubscriptionId; the EWS Managed API and
// exchangelib read m:. This type encodes m: like Exchange and decodes both.
type ErrorSubscriptionIds struct {
	Ids []string `xml:"m:SubscriptionId"`
}

// UnmarshalXML reads m:SubscriptionId and t:SubscriptionId children alike, in order.
func (e *ErrorSubscriptionIds) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return decodeChildren(d, "SubscriptionId", func(se *xml.StartElement) error {
		var id string
		if err := d.DecodeElement(&id, se); err != nil {
			return err
		}
		e.Ids = append(e.Ids, id)
		return nil
	})
}

// decodeChildren reads the children of the element just started, up to its end, calling fn
// for each child named local in the messages or the types namespace and skipping any
// other. It serves the places where Exchange and its clients use a namespace other than
// the schema's.
func decodeChildren(d *xml.Decoder, local string, fn func(*xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "m:"+local || t.Name.Local == "t:"+local {
				if err := fn(&t); err != nil {
					return err
				}
			} else if err := d.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}
