package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// EmailAddress is a name and an SMTP address.
type EmailAddress struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address,omitempty"`
}

// Recipient is a message's sender or recipient, an event's organizer.
type Recipient struct {
	EmailAddress EmailAddress `json:"emailAddress"`
}

// ItemBody is a message's or event's body.
type ItemBody struct {
	ContentType string `json:"contentType"` // text, html
	Content     string `json:"content"`
}

// DateTimeTimeZone is a local time and its time zone, as Graph gives event times.
type DateTimeTimeZone struct {
	DateTime string `json:"dateTime"` // 2026-12-07T10:00:00.0000000
	TimeZone string `json:"timeZone"` // UTC, or an IANA or Windows zone name
}

// Time returns the instant. Zones other than UTC are looked up in the IANA database;
// ask for UTC (events are requested with Prefer: outlook.timezone="UTC") to avoid
// Windows zone names.
func (d DateTimeTimeZone) Time() (time.Time, error) {
	loc := time.UTC
	if tz := d.TimeZone; tz != "" && !strings.EqualFold(tz, "UTC") {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return time.Time{}, fmt.Errorf("graph: time zone %q: %w", tz, err)
		}
		loc = l
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", d.DateTime, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("graph: dateTime %q: %w", d.DateTime, err)
	}
	return t.UTC(), nil
}

// Removed marks an entry of a delta page as removed; Reason is "deleted" (gone for
// good) or "changed" (moved out of the folder, or out of the calendar view's range).
type Removed struct {
	Reason string `json:"reason"`
}

// User is a directory user.
type User struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName,omitempty"`
	Mail              string `json:"mail,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	AccountEnabled    *bool  `json:"accountEnabled,omitempty"`
}

// MailFolder is a mail folder.
type MailFolder struct {
	ID               string   `json:"id"`
	DisplayName      string   `json:"displayName,omitempty"`
	ParentFolderID   string   `json:"parentFolderId,omitempty"`
	ChildFolderCount int      `json:"childFolderCount,omitempty"`
	TotalItemCount   int      `json:"totalItemCount,omitempty"`
	UnreadItemCount  int      `json:"unreadItemCount,omitempty"`
	IsHidden         bool     `json:"isHidden,omitempty"`
	Removed          *Removed `json:"@removed,omitempty"`
}

// Message is a mail message, with the properties a sync reads.
type Message struct {
	ID                string      `json:"id"`
	ChangeKey         string      `json:"changeKey,omitempty"`
	Subject           string      `json:"subject,omitempty"`
	BodyPreview       string      `json:"bodyPreview,omitempty"`
	Body              *ItemBody   `json:"body,omitempty"`
	From              *Recipient  `json:"from,omitempty"`
	Sender            *Recipient  `json:"sender,omitempty"`
	ToRecipients      []Recipient `json:"toRecipients,omitempty"`
	CcRecipients      []Recipient `json:"ccRecipients,omitempty"`
	ReceivedDateTime  *time.Time  `json:"receivedDateTime,omitempty"`
	SentDateTime      *time.Time  `json:"sentDateTime,omitempty"`
	IsRead            *bool       `json:"isRead,omitempty"`
	IsDraft           bool        `json:"isDraft,omitempty"`
	ParentFolderID    string      `json:"parentFolderId,omitempty"`
	InternetMessageID string      `json:"internetMessageId,omitempty"`
	ConversationID    string      `json:"conversationId,omitempty"`
	Importance        string      `json:"importance,omitempty"`
	Categories        []string    `json:"categories,omitempty"`
	HasAttachments    bool        `json:"hasAttachments,omitempty"`
	Removed           *Removed    `json:"@removed,omitempty"`
}

// MessageSelect is the $select of message delta queries: what a sync stores.
var MessageSelect = []string{"id", "changeKey", "subject", "bodyPreview", "from", "sender", "toRecipients", "ccRecipients",
	"receivedDateTime", "sentDateTime", "isRead", "isDraft", "parentFolderId", "internetMessageId", "conversationId",
	"importance", "categories", "hasAttachments"}

// Location is an event's location.
type Location struct {
	DisplayName string `json:"displayName,omitempty"`
}

// ResponseStatus is an attendee's (or the mailbox owner's) answer to a meeting.
type ResponseStatus struct {
	Response string `json:"response,omitempty"` // none, organizer, accepted, declined, …
}

// Attendee is an event's attendee.
type Attendee struct {
	Type         string          `json:"type,omitempty"` // required, optional, resource
	EmailAddress EmailAddress    `json:"emailAddress"`
	Status       *ResponseStatus `json:"status,omitempty"`
}

// Event is a calendar event (an occurrence, when read through a calendar view).
type Event struct {
	ID             string            `json:"id"`
	ChangeKey      string            `json:"changeKey,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	BodyPreview    string            `json:"bodyPreview,omitempty"`
	Body           *ItemBody         `json:"body,omitempty"`
	Start          *DateTimeTimeZone `json:"start,omitempty"`
	End            *DateTimeTimeZone `json:"end,omitempty"`
	IsAllDay       bool              `json:"isAllDay,omitempty"`
	Location       *Location         `json:"location,omitempty"`
	Organizer      *Recipient        `json:"organizer,omitempty"`
	Attendees      []Attendee        `json:"attendees,omitempty"`
	IsCancelled    bool              `json:"isCancelled,omitempty"`
	IsOrganizer    bool              `json:"isOrganizer,omitempty"`
	Type           string            `json:"type,omitempty"` // singleInstance, occurrence, exception, seriesMaster
	SeriesMasterID string            `json:"seriesMasterId,omitempty"`
	ICalUID        string            `json:"iCalUId,omitempty"`
	ShowAs         string            `json:"showAs,omitempty"`
	Sensitivity    string            `json:"sensitivity,omitempty"`
	ResponseStatus *ResponseStatus   `json:"responseStatus,omitempty"`
	Recurrence     json.RawMessage   `json:"recurrence,omitempty"`
	Removed        *Removed          `json:"@removed,omitempty"`
}

// Contact is a personal contact.
type Contact struct {
	ID             string         `json:"id"`
	ChangeKey      string         `json:"changeKey,omitempty"`
	DisplayName    string         `json:"displayName,omitempty"`
	GivenName      string         `json:"givenName,omitempty"`
	Surname        string         `json:"surname,omitempty"`
	CompanyName    string         `json:"companyName,omitempty"`
	JobTitle       string         `json:"jobTitle,omitempty"`
	Department     string         `json:"department,omitempty"`
	EmailAddresses []EmailAddress `json:"emailAddresses,omitempty"`
	BusinessPhones []string       `json:"businessPhones,omitempty"`
	HomePhones     []string       `json:"homePhones,omitempty"`
	MobilePhone    string         `json:"mobilePhone,omitempty"`
	ParentFolderID string         `json:"parentFolderId,omitempty"`
	Removed        *Removed       `json:"@removed,omitempty"`
}

// ContactSelect is the $select of contact delta queries.
var ContactSelect = []string{"id", "changeKey", "displayName", "givenName", "surname", "companyName", "jobTitle", "department",
	"emailAddresses", "businessPhones", "homePhones", "mobilePhone", "parentFolderId"}

// ContactFolder is a contacts folder.
type ContactFolder struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName,omitempty"`
	ParentFolderID string `json:"parentFolderId,omitempty"`
}

// Room is a room resource (places API).
type Room struct {
	ID                     string `json:"id"`
	DisplayName            string `json:"displayName,omitempty"`
	EmailAddress           string `json:"emailAddress,omitempty"`
	Capacity               *int   `json:"capacity,omitempty"`
	Building               string `json:"building,omitempty"`
	FloorLabel             string `json:"floorLabel,omitempty"`
	FloorNumber            *int   `json:"floorNumber,omitempty"`
	BookingType            string `json:"bookingType,omitempty"`
	IsWheelChairAccessible bool   `json:"isWheelChairAccessible,omitempty"`
	Nickname               string `json:"nickname,omitempty"`
}

// RoomList is a room list (places API).
type RoomList struct {
	ID           string `json:"id"`
	DisplayName  string `json:"displayName,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
}

// item is what delta pages hold: entries that can be marked removed.
type item interface {
	MailFolder | Message | Event | Contact
}

// idAndRemoval reads the id and removal mark of any delta entry.
func idAndRemoval[T item](v *T) (string, *Removed) {
	switch x := any(v).(type) {
	case *MailFolder:
		return x.ID, x.Removed
	case *Message:
		return x.ID, x.Removed
	case *Event:
		return x.ID, x.Removed
	case *Contact:
		return x.ID, x.Removed
	}
	return "", nil
}
