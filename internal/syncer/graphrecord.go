package syncer

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
)

// The record mapping of Graph's items: the same Record, in the same store fields, as
// the EWS items it stands for, so that consumers of the store and the change feed
// cannot tell which protocol read a mailbox.

func graphAddr(r *graph.Recipient) *Address {
	if r == nil || r.EmailAddress.Address == "" && r.EmailAddress.Name == "" {
		return nil
	}
	return &Address{Name: r.EmailAddress.Name, Address: strings.ToLower(r.EmailAddress.Address)}
}

func graphAddrs(rs []graph.Recipient) []Address {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Address, 0, len(rs))
	for _, r := range rs {
		out = append(out, Address{Name: r.EmailAddress.Name, Address: strings.ToLower(r.EmailAddress.Address)})
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// graphImportance spells Graph's importance (low, normal, high) as EWS does.
func graphImportance(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// GraphMessageRecord maps a Graph message onto what is stored.
func GraphMessageRecord(m *graph.Message) (store.ItemRecord, error) {
	r := Record{Kind: "message", ItemClass: "IPM.Note", Subject: m.Subject, Preview: m.BodyPreview,
		From: graphAddr(m.From), Sender: graphAddr(m.Sender), To: graphAddrs(m.ToRecipients), Cc: graphAddrs(m.CcRecipients),
		Received: utc(m.ReceivedDateTime), Sent: utc(m.SentDateTime), InternetMessageID: m.InternetMessageID,
		ConversationID: m.ConversationID, Importance: graphImportance(m.Importance), Categories: m.Categories,
		HasAttachments: m.HasAttachments}
	if m.Body != nil {
		r.Body = m.Body.Content
	}
	rec := store.ItemRecord{ItemID: m.ID, ChangeKey: m.ChangeKey, Kind: r.Kind, Subject: m.Subject,
		IsRead: m.IsRead != nil && *m.IsRead, ItemTime: r.Received}
	if r.From != nil {
		rec.Sender = r.From.Address
	}
	b, err := json.Marshal(r)
	rec.Data = b
	return rec, err
}

// graphShowAs spells Graph's showAs (free, busy, oof, …) as EWS's LegacyFreeBusyStatus.
var graphShowAs = map[string]string{"free": "Free", "tentative": "Tentative", "busy": "Busy", "oof": "OOF",
	"workingElsewhere": "WorkingElsewhere", "unknown": "NoData"}

// graphEventType spells Graph's event type as EWS's CalendarItemType.
var graphEventType = map[string]string{"singleInstance": "Single", "occurrence": "Occurrence", "exception": "Exception",
	"seriesMaster": "RecurringMaster"}

// GraphEventRecord maps a Graph event onto what is stored.
func GraphEventRecord(e *graph.Event) (store.ItemRecord, error) {
	r := Record{Kind: "event", ItemClass: "IPM.Appointment", Subject: e.Subject, Preview: e.BodyPreview,
		AllDay: e.IsAllDay, Organizer: graphAddr(e.Organizer), Cancelled: e.IsCancelled, UID: e.ICalUID,
		EventType: graphEventType[e.Type], ShowAs: graphShowAs[e.ShowAs], IsMeeting: len(e.Attendees) > 0,
		Recurring: e.Type == "seriesMaster" || e.Type == "occurrence" || e.Type == "exception"}
	if e.Sensitivity != "" {
		r.Sensitivity = graphImportance(e.Sensitivity)
	}
	if e.Body != nil {
		r.Body = e.Body.Content
	}
	if e.Location != nil {
		r.Location = e.Location.DisplayName
	}
	if e.ResponseStatus != nil {
		r.MyResponse = e.ResponseStatus.Response
	}
	if len(e.Recurrence) > 0 && string(e.Recurrence) != "null" {
		r.Recurrence = string(e.Recurrence)
	}
	for _, a := range e.Attendees {
		at := Attendee{Address: Address{Name: a.EmailAddress.Name, Address: strings.ToLower(a.EmailAddress.Address)}}
		if a.Status != nil {
			at.Response = a.Status.Response
		}
		if a.Type == "optional" {
			r.Optional = append(r.Optional, at)
		} else {
			r.Required = append(r.Required, at)
		}
	}
	var err error
	if e.Start != nil {
		var t time.Time
		if t, err = e.Start.Time(); err != nil {
			return store.ItemRecord{}, err
		}
		r.Start = &t
	}
	if e.End != nil {
		var t time.Time
		if t, err = e.End.Time(); err != nil {
			return store.ItemRecord{}, err
		}
		r.End = &t
	}
	rec := store.ItemRecord{ItemID: e.ID, ChangeKey: e.ChangeKey, Kind: r.Kind, Subject: e.Subject, ItemTime: r.Start, EndTime: r.End}
	if r.Organizer != nil {
		rec.Sender = r.Organizer.Address
	}
	b, err := json.Marshal(r)
	rec.Data = b
	return rec, err
}

// GraphContactRecord maps a Graph contact onto what is stored.
func GraphContactRecord(c *graph.Contact) (store.ItemRecord, error) {
	r := Record{Kind: "contact", ItemClass: "IPM.Contact", Subject: c.DisplayName, DisplayName: c.DisplayName,
		GivenName: c.GivenName, Surname: c.Surname, Company: c.CompanyName, JobTitle: c.JobTitle, Department: c.Department}
	for _, e := range c.EmailAddresses {
		if e.Address != "" {
			r.Emails = append(r.Emails, strings.ToLower(e.Address))
		}
	}
	// Phone kinds as EWS names them (PhoneNumberKeyType).
	for _, p := range c.BusinessPhones {
		r.Phones = append(r.Phones, Phone{Kind: "BusinessPhone", Number: p})
	}
	for _, p := range c.HomePhones {
		r.Phones = append(r.Phones, Phone{Kind: "HomePhone", Number: p})
	}
	if c.MobilePhone != "" {
		r.Phones = append(r.Phones, Phone{Kind: "MobilePhone", Number: c.MobilePhone})
	}
	rec := store.ItemRecord{ItemID: c.ID, ChangeKey: c.ChangeKey, Kind: r.Kind, Subject: c.DisplayName}
	b, err := json.Marshal(r)
	rec.Data = b
	return rec, err
}
