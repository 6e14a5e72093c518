package syncer

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Address is a person's name and email address.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// Attachment is an attachment's metadata (its content is not stored).
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size,omitempty"`
	Inline      bool   `json:"inline,omitempty"`
	IsItem      bool   `json:"is_item,omitempty"`
}

// Attendee is a meeting attendee and their answer.
type Attendee struct {
	Address
	Response string `json:"response,omitempty"`
}

// Phone is a contact's phone number.
type Phone struct {
	Kind   string `json:"kind"`
	Number string `json:"number"`
}

// Record is what mailbridge stores of an item (the JSON in store.ItemRecord.Data): for
// a message its headers, recipients, dates, body preview (and body, when configured) and
// attachment metadata; for an event its times, location, organizer, attendees and
// recurrence; for a contact its names, addresses and phone numbers.
type Record struct {
	Kind      string `json:"kind"` // message, event, contact
	ItemClass string `json:"item_class,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Preview   string `json:"preview,omitempty"`
	Body      string `json:"body,omitempty"`

	// Messages.
	From              *Address     `json:"from,omitempty"`
	Sender            *Address     `json:"sender,omitempty"`
	To                []Address    `json:"to,omitempty"`
	Cc                []Address    `json:"cc,omitempty"`
	Received          *time.Time   `json:"received,omitempty"`
	Sent              *time.Time   `json:"sent,omitempty"`
	InternetMessageID string       `json:"internet_message_id,omitempty"`
	ConversationID    string       `json:"conversation_id,omitempty"`
	Importance        string       `json:"importance,omitempty"`
	Categories        []string     `json:"categories,omitempty"`
	HasAttachments    bool         `json:"has_attachments,omitempty"`
	Attachments       []Attachment `json:"attachments,omitempty"`

	// Events.
	Start       *time.Time `json:"start,omitempty"`
	End         *time.Time `json:"end,omitempty"`
	AllDay      bool       `json:"all_day,omitempty"`
	Location    string     `json:"location,omitempty"`
	Organizer   *Address   `json:"organizer,omitempty"`
	Required    []Attendee `json:"required_attendees,omitempty"`
	Optional    []Attendee `json:"optional_attendees,omitempty"`
	Recurring   bool       `json:"recurring,omitempty"`
	Recurrence  string     `json:"recurrence,omitempty"` // the pattern, as EWS describes it (JSON)
	Cancelled   bool       `json:"cancelled,omitempty"`
	UID         string     `json:"uid,omitempty"`
	EventType   string     `json:"event_type,omitempty"` // Single, RecurringMaster, …
	ShowAs      string     `json:"show_as,omitempty"`
	IsMeeting   bool       `json:"is_meeting,omitempty"`
	MyResponse  string     `json:"my_response,omitempty"`
	Sensitivity string     `json:"sensitivity,omitempty"`

	// Contacts.
	DisplayName string   `json:"display_name,omitempty"`
	GivenName   string   `json:"given_name,omitempty"`
	Surname     string   `json:"surname,omitempty"`
	Company     string   `json:"company,omitempty"`
	JobTitle    string   `json:"job_title,omitempty"`
	Department  string   `json:"department,omitempty"`
	Emails      []string `json:"emails,omitempty"`
	Phones      []Phone  `json:"phones,omitempty"`
}

// kindOf tells which kind of record an EWS item element is.
func kindOf(it *ews.Item) string {
	switch it.XMLName.Local {
	case "t:CalendarItem":
		return "event"
	case "t:Contact", "t:DistributionList":
		return "contact"
	}
	return "message"
}

func addr(r *ews.SingleRecipient) *Address {
	if r == nil || r.Mailbox.EmailAddress == "" && r.Mailbox.Name == "" {
		return nil
	}
	return &Address{Name: r.Mailbox.Name, Address: strings.ToLower(r.Mailbox.EmailAddress)}
}

func addrs(r *ews.Recipients) []Address {
	if r == nil {
		return nil
	}
	out := make([]Address, 0, len(r.Mailboxes))
	for _, m := range r.Mailboxes {
		out = append(out, Address{Name: m.Name, Address: strings.ToLower(m.EmailAddress)})
	}
	return out
}

func attendees(a *ews.Attendees) []Attendee {
	if a == nil {
		return nil
	}
	out := make([]Attendee, 0, len(a.Attendees))
	for _, at := range a.Attendees {
		out = append(out, Attendee{Address: Address{Name: at.Mailbox.Name, Address: strings.ToLower(at.Mailbox.EmailAddress)}, Response: at.ResponseType})
	}
	return out
}

func when(d ews.DateTime) *time.Time {
	if d.IsZero() {
		return nil
	}
	t := d.Time.UTC()
	return &t
}

func flag(b *bool) bool { return b != nil && *b }

// toRecord converts a fetched EWS item into what is stored.
func toRecord(it *ews.Item) (store.ItemRecord, error) {
	r := Record{Kind: kindOf(it), ItemClass: it.ItemClass, Subject: it.Subject, Preview: it.Preview, Sensitivity: it.Sensitivity}
	if it.Body != nil {
		r.Body = it.Body.Value
	}
	rec := store.ItemRecord{ItemID: it.ItemId.Id, ChangeKey: it.ItemId.ChangeKey, Kind: r.Kind, Subject: it.Subject, IsRead: flag(it.IsRead)}
	switch r.Kind {
	case "message":
		r.From, r.Sender, r.To, r.Cc = addr(it.From), addr(it.Sender), addrs(it.ToRecipients), addrs(it.CcRecipients)
		r.Received, r.Sent = when(it.DateTimeReceived), when(it.DateTimeSent)
		r.InternetMessageID, r.Importance = it.InternetMessageId, it.Importance
		if it.ConversationId != nil {
			r.ConversationID = it.ConversationId.Id
		}
		if it.Categories != nil {
			r.Categories = it.Categories.Strings
		}
		r.HasAttachments = flag(it.HasAttachments)
		if it.Attachments != nil {
			for _, a := range it.Attachments.Attachments {
				r.Attachments = append(r.Attachments, Attachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size,
					Inline: flag(a.IsInline), IsItem: a.Kind() == ews.KindItemAttachment})
			}
		}
		if r.From != nil {
			rec.Sender = r.From.Address
		}
		rec.ItemTime = r.Received
	case "event":
		r.Start, r.End, r.AllDay, r.Location = when(it.Start), when(it.End), flag(it.IsAllDayEvent), it.Location
		r.Organizer, r.Required, r.Optional = addr(it.Organizer), attendees(it.RequiredAttendees), attendees(it.OptionalAttendees)
		r.Recurring, r.Cancelled, r.UID, r.EventType = flag(it.IsRecurring), flag(it.IsCancelled), it.UID, it.CalendarItemType
		r.ShowAs, r.IsMeeting, r.MyResponse = it.LegacyFreeBusyStatus, flag(it.IsMeeting), it.MyResponseType
		if it.Recurrence != nil {
			b, err := json.Marshal(it.Recurrence)
			if err != nil {
				return rec, err
			}
			r.Recurrence = string(b)
		}
		if r.Organizer != nil {
			rec.Sender = r.Organizer.Address
		}
		rec.ItemTime, rec.EndTime = r.Start, r.End
	case "contact":
		r.DisplayName, r.GivenName, r.Surname = it.DisplayName, it.GivenName, it.Surname
		r.Company, r.JobTitle, r.Department = it.CompanyName, it.JobTitle, it.Department
		if it.EmailAddresses != nil {
			for _, e := range it.EmailAddresses.Entries {
				if e.Value != "" {
					r.Emails = append(r.Emails, strings.ToLower(e.Value))
				}
			}
		}
		if it.PhoneNumbers != nil {
			for _, p := range it.PhoneNumbers.Entries {
				if p.Value != "" {
					r.Phones = append(r.Phones, Phone{Kind: p.Key, Number: p.Value})
				}
			}
		}
		if rec.Subject == "" {
			rec.Subject = it.DisplayName
		}
	}
	b, err := json.Marshal(r)
	rec.Data = b
	return rec, err
}
