package ews

import (
	"encoding/xml"
	"strings"
	"time"
)

// Attendee types of MailboxData (MeetingAttendeeType).
const (
	AttendeeOrganizer = "Organizer"
	AttendeeRequired  = "Required"
	AttendeeOptional  = "Optional"
	AttendeeRoom      = "Room"
	AttendeeResource  = "Resource"
)

// Free/busy views (FreeBusyViewType): what RequestedView asks for and what
// FreeBusyViewType reports (None for a mailbox that failed).
const (
	ViewNone           = "None"
	ViewMergedOnly     = "MergedOnly"
	ViewFreeBusy       = "FreeBusy"
	ViewFreeBusyMerged = "FreeBusyMerged"
	ViewDetailed       = "Detailed"
	ViewDetailedMerged = "DetailedMerged"
)

// Busy types of a CalendarEvent (LegacyFreeBusyType). See MergedFreeBusyDigit for their
// digits in MergedFreeBusy.
const (
	BusyFree             = "Free"
	BusyTentative        = "Tentative"
	BusyBusy             = "Busy"
	BusyOOF              = "OOF"
	BusyWorkingElsewhere = "WorkingElsewhere"
	BusyNoData           = "NoData"
)

// MergedFreeBusyDigit returns the digit that stands for busyType in MergedFreeBusy as
// Exchange 2013 and later write it for requests of those versions: 0 Free, 1 Tentative,
// 2 Busy, 3 OOF, 4 WorkingElsewhere, 5 NoData (LegacyFreeBusyStatus in the EWS Managed
// API). Exchange 2010 and older, which have no WorkingElsewhere, use 4 for NoData. An
// unknown type counts as NoData.
func MergedFreeBusyDigit(busyType string) byte {
	switch busyType {
	case BusyFree:
		return '0'
	case BusyTentative:
		return '1'
	case BusyBusy:
		return '2'
	case BusyOOF:
		return '3'
	case BusyWorkingElsewhere:
		return '4'
	}
	return '5'
}

// Response codes of GetUserAvailability.
const (
	ErrorMailRecipientNotFound    = "ErrorMailRecipientNotFound"
	ErrorFreeBusyGenerationFailed = "ErrorFreeBusyGenerationFailed"
	ErrorInvalidTimeInterval      = "ErrorInvalidTimeInterval"
)

// GetUserAvailabilityRequest is the m:GetUserAvailabilityRequest operation (the element
// name keeps the "Request" suffix; see OpGetUserAvailability): free/busy information for
// up to about 100 mailboxes over a time window. Times in FreeBusyViewOptions are in
// TimeZone; without TimeZone (ews-javascript-api sends none), in the TimeZoneContext
// header's zone.
type GetUserAvailabilityRequest struct {
	TimeZone               *SerializableTimeZone   `xml:"t:TimeZone"`
	MailboxDataArray       []MailboxData           `xml:"m:MailboxDataArray>t:MailboxData"`
	FreeBusyViewOptions    *FreeBusyViewOptions    `xml:"t:FreeBusyViewOptions"`
	SuggestionsViewOptions *SuggestionsViewOptions `xml:"t:SuggestionsViewOptions"`
}

// SerializableTimeZone is the availability service's time zone: Bias is minutes to add to
// local time to get UTC (UTC+1 is -60), and the standard and daylight transitions give
// their extra bias and the rule of when they start.
type SerializableTimeZone struct {
	Bias         int                      `xml:"t:Bias"`
	StandardTime SerializableTimeZoneTime `xml:"t:StandardTime"`
	DaylightTime SerializableTimeZoneTime `xml:"t:DaylightTime"`
}

// SerializableTimeZoneTime is a transition rule: at Time ("02:00:00") on the DayOrder-th
// (1–4, 5 = last) DayOfWeek of Month (1–12; 0 when the zone has no daylight time).
type SerializableTimeZoneTime struct {
	Bias      int    `xml:"t:Bias"`
	Time      string `xml:"t:Time"`
	DayOrder  int    `xml:"t:DayOrder"`
	Month     int    `xml:"t:Month"`
	DayOfWeek string `xml:"t:DayOfWeek"`
	Year      string `xml:"t:Year,omitempty"`
}

// MailboxData names one mailbox whose availability is asked for.
type MailboxData struct {
	Email            AvailabilityAddress `xml:"t:Email"`
	AttendeeType     string              `xml:"t:AttendeeType"`
	ExcludeConflicts *bool               `xml:"t:ExcludeConflicts"`
}

// AvailabilityAddress is the availability service's own t:EmailAddress type (Name,
// Address, RoutingType), not EmailAddressType.
type AvailabilityAddress struct {
	Name        string `xml:"t:Name,omitempty"`
	Address     string `xml:"t:Address"`
	RoutingType string `xml:"t:RoutingType,omitempty"`
}

// FreeBusyViewOptions says which window and view to return.
type FreeBusyViewOptions struct {
	TimeWindow                      TimeWindow `xml:"t:TimeWindow"`
	MergedFreeBusyIntervalInMinutes *int       `xml:"t:MergedFreeBusyIntervalInMinutes"`
	RequestedView                   string     `xml:"t:RequestedView,omitempty"`
}

// TimeWindow is a span of time (the schema's t:Duration type).
type TimeWindow struct {
	StartTime LocalDateTime `xml:"t:StartTime"`
	EndTime   LocalDateTime `xml:"t:EndTime"`
}

// SuggestionsViewOptions asks for meeting time suggestions.
type SuggestionsViewOptions struct {
	GoodThreshold                  *int          `xml:"t:GoodThreshold"`
	MaximumResultsByDay            *int          `xml:"t:MaximumResultsByDay"`
	MaximumNonWorkHourResultsByDay *int          `xml:"t:MaximumNonWorkHourResultsByDay"`
	MeetingDurationInMinutes       *int          `xml:"t:MeetingDurationInMinutes"`
	MinimumSuggestionQuality       string        `xml:"t:MinimumSuggestionQuality,omitempty"`
	DetailedSuggestionsWindow      TimeWindow    `xml:"t:DetailedSuggestionsWindow"`
	CurrentMeetingTime             LocalDateTime `xml:"t:CurrentMeetingTime"`
	GlobalObjectId                 string        `xml:"t:GlobalObjectId,omitempty"`
}

// GetUserAvailabilityResponse is the m:GetUserAvailabilityResponse element. It has no
// ResponseMessages: each mailbox gets a FreeBusyResponse, in request order, with its own
// ResponseMessage. SuggestionsResponse answers SuggestionsViewOptions; send one whenever
// the request had them (even with no suggestions): the EWS Managed API and
// ews-javascript-api fail on a response without it.
type GetUserAvailabilityResponse struct {
	FreeBusyResponses   []FreeBusyResponse   `xml:"m:FreeBusyResponseArray>m:FreeBusyResponse"`
	SuggestionsResponse *SuggestionsResponse `xml:"m:SuggestionsResponse"`
}

// FreeBusyResponse is the answer for one mailbox. A mailbox that failed (for example
// ErrorMailRecipientNotFound) gets an Error message and, as Exchange sends it, a
// FreeBusyView of type None.
type FreeBusyResponse struct {
	ResponseMessage ResponseMessage `xml:"m:ResponseMessage"`
	FreeBusyView    *FreeBusyView   `xml:"m:FreeBusyView"`
}

// FreeBusyView is a mailbox's availability in the requested window.
type FreeBusyView struct {
	FreeBusyViewType string `xml:"t:FreeBusyViewType"`
	// MergedFreeBusy has one digit per MergedFreeBusyIntervalInMinutes interval of the
	// window (see the Busy… constants), for the merged views.
	MergedFreeBusy     string          `xml:"t:MergedFreeBusy,omitempty"`
	CalendarEventArray *CalendarEvents `xml:"t:CalendarEventArray"`
	WorkingHours       *WorkingHours   `xml:"t:WorkingHours"`
}

// CalendarEvents is ArrayOfCalendarEvent.
type CalendarEvents struct {
	Events []CalendarEvent `xml:"t:CalendarEvent"`
}

// CalendarEvent is one busy period. Times are in the request's time zone, without a zone
// designator, as Exchange writes them.
type CalendarEvent struct {
	StartTime            LocalDateTime         `xml:"t:StartTime"`
	EndTime              LocalDateTime         `xml:"t:EndTime"`
	BusyType             string                `xml:"t:BusyType"`
	CalendarEventDetails *CalendarEventDetails `xml:"t:CalendarEventDetails"`
}

// CalendarEventDetails describes the event, for the Detailed views and callers allowed to
// see details.
type CalendarEventDetails struct {
	ID            string `xml:"t:ID,omitempty"`
	Subject       string `xml:"t:Subject,omitempty"`
	Location      string `xml:"t:Location,omitempty"`
	IsMeeting     bool   `xml:"t:IsMeeting"`
	IsRecurring   bool   `xml:"t:IsRecurring"`
	IsException   bool   `xml:"t:IsException"`
	IsReminderSet bool   `xml:"t:IsReminderSet"`
	IsPrivate     bool   `xml:"t:IsPrivate"`
}

// WorkingHours is a mailbox's working time: its time zone and its working periods.
type WorkingHours struct {
	TimeZone       SerializableTimeZone `xml:"t:TimeZone"`
	WorkingPeriods []WorkingPeriod      `xml:"t:WorkingPeriodArray>t:WorkingPeriod"`
}

// WorkingPeriod is a span of working minutes after midnight on the listed days
// (DayOfWeek is a space-separated list such as "Monday Tuesday Wednesday").
type WorkingPeriod struct {
	DayOfWeek          string `xml:"t:DayOfWeek"`
	StartTimeInMinutes int    `xml:"t:StartTimeInMinutes"`
	EndTimeInMinutes   int    `xml:"t:EndTimeInMinutes"`
}

// SuggestionsResponse carries meeting time suggestions, one SuggestionDayResult per day
// of the DetailedSuggestionsWindow.
type SuggestionsResponse struct {
	ResponseMessage ResponseMessage       `xml:"m:ResponseMessage"`
	Days            []SuggestionDayResult `xml:"m:SuggestionDayResultArray>t:SuggestionDayResult"`
}

// SuggestionDayResult is the suggestions for one day. DayQuality and SuggestionQuality
// are Excellent, Good, Fair or Poor.
type SuggestionDayResult struct {
	Date            LocalDateTime `xml:"t:Date"`
	DayQuality      string        `xml:"t:DayQuality"`
	SuggestionArray *Suggestions  `xml:"t:SuggestionArray"`
}

// Suggestions is ArrayOfSuggestion.
type Suggestions struct {
	Suggestions []Suggestion `xml:"t:Suggestion"`
}

// Suggestion is one suggested meeting start. (Its AttendeeConflictDataArray is not
// modelled.)
type Suggestion struct {
	MeetingTime       LocalDateTime `xml:"t:MeetingTime"`
	IsWorkTime        bool          `xml:"t:IsWorkTime"`
	SuggestionQuality string        `xml:"t:SuggestionQuality"`
}

// LocalDateTime is an xs:dateTime that may lack a zone designator, as availability times
// do: Exchange writes CalendarEvent times, and clients such as ews-javascript-api write
// the TimeWindow, as wall-clock times in the request's time zone. The zero value is
// omitted when encoding.
type LocalDateTime struct {
	time.Time
	// Zoned reports whether the value carries a zone ("Z" or an offset). When false, Time's
	// wall clock is what counts and its location (UTC) is only a placeholder.
	Zoned bool
}

// Local returns the wall-clock time t, to be written without a zone.
func Local(t time.Time) LocalDateTime { return LocalDateTime{Time: t} }

// In returns the instant the value denotes: itself when zoned, else its wall clock read in
// loc.
func (l LocalDateTime) In(loc *time.Location) time.Time {
	if l.Zoned {
		return l.Time
	}
	y, mo, d := l.Date()
	h, mi, s := l.Clock()
	return time.Date(y, mo, d, h, mi, s, l.Nanosecond(), loc)
}

// String formats the value: with its offset ("Z" for UTC) when zoned, else without a zone.
func (l LocalDateTime) String() string {
	switch {
	case l.IsZero():
		return ""
	case !l.Zoned:
		return l.Format("2006-01-02T15:04:05")
	case l.Location() == time.UTC:
		return l.Format(dateTimeLayout)
	}
	return l.Format(time.RFC3339)
}

// MarshalXML writes the element, or nothing for the zero value.
func (l LocalDateTime) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if l.IsZero() {
		return nil
	}
	return e.EncodeElement(l.String(), start)
}

// UnmarshalXML reads an xs:dateTime with or without a zone and fractional seconds.
func (l *LocalDateTime) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := d.DecodeElement(&s, &start); err != nil {
		return err
	}
	t, err := ParseDateTime(s)
	if err != nil {
		return err
	}
	*l = LocalDateTime{Time: t, Zoned: hasZone(s)}
	return nil
}

// hasZone reports whether an xs:dateTime lexical value ends in a zone designator ("Z",
// "+hh:mm" or "-hh:mm").
func hasZone(s string) bool {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "Z") {
		return true
	}
	if len(s) < 6 {
		return false
	}
	off := s[len(s)-6:]
	return (off[0] == '+' || off[0] == '-') && off[3] == ':'
}
