package control

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// Room is a room list or a room: its display name and address.
type Room struct {
	Name  string
	Email string
}

// ServiceMailboxError: Exchange refused to list rooms because the service account has
// no mailbox (or no license): GetRoomLists and GetRooms run against the caller's
// mailbox. Mail, calendars and contacts still sync; rooms and other resources cannot be
// retrieved until the account gets one (Fix says how).
type ServiceMailboxError struct {
	Account string // the service account's logon
	Code    string // Exchange's response code, e.g. ErrorNameResolutionNoMailbox
}

// ServiceMailboxFix is what to do about a ServiceMailboxError.
const ServiceMailboxFix = "Assign a mailbox and a license to the service account (Exchange admin center, or " +
	"Enable-Mailbox -Identity <account> on-premises; a Microsoft 365 license with Exchange Online in the cloud), then try again. " +
	"Mail, calendars and contacts sync without it."

func (e *ServiceMailboxError) Error() string {
	return "the service account " + e.Account + " has no mailbox or no license assigned (" + e.Code +
		"): rooms and other resources will not be retrieved via EWS"
}

// Limits of Exchange's availability service: a window of at most 42 days, at most 100
// mailboxes per request, merged free/busy intervals of 5 to 1440 minutes.
const (
	MaxAvailabilityWindow    = 42 * 24 * time.Hour
	MaxAvailabilityMailboxes = 100
	DefaultAvailabilityStep  = 30 // minutes
	minAvailabilityStep      = 5
	maxAvailabilityStep      = 1440
)

// roomsClient is the saved service account's EWS client, for the room operations, which
// the account makes as itself (no impersonation).
func (s *Service) roomsClient(ctx context.Context, p Principal, orgID int64) (*ewsclient.Client, resolvedConfig, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, resolvedConfig{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return nil, resolvedConfig{}, err
	}
	rc, err := s.savedConfig(ctx, orgID)
	if err != nil {
		return nil, rc, err
	}
	if rc.accessType == AccessMicrosoft365App {
		return nil, rc, inputErr("access_type", errRoomsWithApp)
	}
	c, err := s.ewsClient(rc)
	return c, rc, err
}

// roomsFailure explains an error of a room operation: a service account without a
// mailbox is a *ServiceMailboxError, anything else an *ExchangeError.
func roomsFailure(ctx context.Context, rc resolvedConfig, op string, err error) error {
	switch code := ews.Code(err); code {
	case ews.ErrorNameResolutionNoMailbox, ews.ErrorNonExistentMailbox:
		if ctx.Err() == nil {
			return &ServiceMailboxError{Account: rc.logon, Code: code}
		}
	}
	return exchangeFailure(ctx, op, err)
}

// rooms turns EWS addresses into Rooms, sorted by name.
func rooms(addrs []ews.EmailAddress) []Room {
	out := make([]Room, 0, len(addrs))
	for _, a := range addrs {
		if a.EmailAddress == "" {
			continue
		}
		out = append(out, Room{Name: a.Name, Email: strings.ToLower(a.EmailAddress)})
	}
	slices.SortStableFunc(out, func(a, b Room) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Email, b.Email)
	})
	return out
}

// RoomLists returns the organization's room lists (GetRoomLists through the saved
// service account). A service account without a mailbox is a *ServiceMailboxError;
// without a saved configuration, an *InputError on "email_config".
func (s *Service) RoomLists(ctx context.Context, p Principal, orgID int64) ([]Room, error) {
	c, rc, err := s.roomsClient(ctx, p, orgID)
	if err != nil {
		return nil, err
	}
	defer c.CloseIdleConnections()
	resp, err := c.GetRoomLists(ctx, "")
	if err != nil {
		return nil, roomsFailure(ctx, rc, "list the room lists", err)
	}
	if resp.RoomLists == nil {
		return []Room{}, nil
	}
	return rooms(resp.RoomLists.Addresses), nil
}

// Rooms returns the rooms of a room list (GetRooms through the saved service account);
// an address that is no room list is an *InputError on "list".
func (s *Service) Rooms(ctx context.Context, p Principal, orgID int64, list string) ([]Room, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	addr, msg := NormalizeEmail(list)
	if msg != "" {
		return nil, inputErr("list", "Name a room list by its address: "+msg)
	}
	c, rc, err := s.roomsClient(ctx, p, orgID)
	if err != nil {
		return nil, err
	}
	defer c.CloseIdleConnections()
	resp, err := c.GetRooms(ctx, "", &ews.GetRoomsRequest{RoomList: ews.EmailAddress{EmailAddress: addr}})
	if err != nil {
		if ews.Code(err) == ews.ErrorNameResolutionNoResults {
			return nil, inputErr("list", "Exchange knows no room list "+addr+".")
		}
		return nil, roomsFailure(ctx, rc, "list the rooms of "+addr, err)
	}
	if resp.Rooms == nil {
		return []Room{}, nil
	}
	addrs := make([]ews.EmailAddress, 0, len(resp.Rooms.Rooms))
	for _, r := range resp.Rooms.Rooms {
		if r.Id != nil {
			addrs = append(addrs, *r.Id)
		}
	}
	return rooms(addrs), nil
}

// AvailabilityQuery asks for the free/busy times of rooms or people.
type AvailabilityQuery struct {
	Emails     []string
	Start, End time.Time // at most MaxAvailabilityWindow apart
	// Interval is the length of a merged free/busy slot, in minutes (5 to 1440);
	// 0 means DefaultAvailabilityStep.
	Interval int
}

// BusySlot is a time a mailbox is not free.
type BusySlot struct {
	Start, End time.Time // UTC
	Status     string    // Busy, Tentative, OOF, WorkingElsewhere (Exchange's BusyType)
}

// MailboxAvailability is one mailbox's free/busy in the window.
type MailboxAvailability struct {
	Email string
	// Busy are its calendar entries that are not free, by start; whole, even when they
	// reach outside the window.
	Busy []BusySlot
	// Merged has one digit per Interval from Start (the last slot may be shorter):
	// 0 free, 1 tentative, 2 busy, 3 out of office, 4 working elsewhere, 5 no data.
	Merged string
	// Code and Error are Exchange's when it could not answer for this mailbox
	// (ErrorMailRecipientNotFound for an address that is no mailbox); Busy is then empty.
	Code  string
	Error string
}

// Availability is the answer of an AvailabilityQuery, in the order asked.
type Availability struct {
	Start, End time.Time
	Interval   int
	Mailboxes  []MailboxAvailability
}

// utcZone is UTC in the availability service's form: no bias, no daylight time.
var utcZone = ews.SerializableTimeZone{
	StandardTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOrder: 1, DayOfWeek: "Sunday"},
	DaylightTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOrder: 1, DayOfWeek: "Sunday"},
}

// checkAvailability validates a query, returning it normalized.
func checkAvailability(q AvailabilityQuery) (AvailabilityQuery, error) {
	ie := inputErr()
	var emails []string
	for _, e := range q.Emails {
		if strings.TrimSpace(e) == "" {
			continue
		}
		addr, msg := NormalizeEmail(e)
		if msg != "" {
			ie.Fields["emails"] = msg
			break
		}
		if !slices.Contains(emails, addr) {
			emails = append(emails, addr)
		}
	}
	switch {
	case ie.Fields["emails"] != "":
	case len(emails) == 0:
		ie.Fields["emails"] = "Name at least one room or person by email address."
	case len(emails) > MaxAvailabilityMailboxes:
		ie.Fields["emails"] = fmt.Sprintf("Ask for at most %d addresses at once (Exchange's limit).", MaxAvailabilityMailboxes)
	}
	switch {
	case q.Start.IsZero():
		ie.Fields["start"] = "Give the start of the window."
	case q.End.IsZero():
		ie.Fields["end"] = "Give the end of the window."
	case !q.End.After(q.Start):
		ie.Fields["end"] = "The end must be later than the start."
	case q.End.Sub(q.Start) > MaxAvailabilityWindow:
		ie.Fields["end"] = fmt.Sprintf("The window may be at most %d days long (Exchange's limit); this one is %.1f days. Ask for several windows.",
			int(MaxAvailabilityWindow/(24*time.Hour)), q.End.Sub(q.Start).Hours()/24)
	}
	if q.Interval == 0 {
		q.Interval = DefaultAvailabilityStep
	}
	if q.Interval < minAvailabilityStep || q.Interval > maxAvailabilityStep {
		ie.Fields["interval"] = fmt.Sprintf("The interval is %d to %d minutes.", minAvailabilityStep, maxAvailabilityStep)
	}
	if len(ie.Fields) > 0 {
		return q, ie
	}
	q.Emails, q.Start, q.End = emails, q.Start.UTC(), q.End.UTC()
	return q, nil
}

// Availability returns the free/busy times of rooms or people over a window of at most
// 42 days (GetUserAvailability through the saved service account, as itself): for each
// address its busy slots and a merged view. An address Exchange cannot answer for gets
// its error, not the whole call; a window, address list or interval out of bounds is an
// *InputError.
func (s *Service) Availability(ctx context.Context, p Principal, orgID int64, q AvailabilityQuery) (Availability, error) {
	if err := orgAccess(p, orgID); err != nil {
		return Availability{}, err
	}
	q, err := checkAvailability(q)
	if err != nil {
		return Availability{}, err
	}
	c, rc, err := s.roomsClient(ctx, p, orgID)
	if err != nil {
		return Availability{}, err
	}
	defer c.CloseIdleConnections()
	req := &ews.GetUserAvailabilityRequest{
		TimeZone: &utcZone,
		FreeBusyViewOptions: &ews.FreeBusyViewOptions{
			TimeWindow:                      ews.TimeWindow{StartTime: ews.Local(q.Start), EndTime: ews.Local(q.End)},
			MergedFreeBusyIntervalInMinutes: &q.Interval,
			RequestedView:                   ews.ViewFreeBusyMerged,
		},
	}
	for _, e := range q.Emails {
		req.MailboxDataArray = append(req.MailboxDataArray, ews.MailboxData{Email: ews.AvailabilityAddress{Address: e}, AttendeeType: ews.AttendeeRequired})
	}
	resp, err := c.GetUserAvailability(ctx, "", req)
	if err != nil {
		return Availability{}, roomsFailure(ctx, rc, "read free/busy times", err)
	}
	if len(resp.FreeBusyResponses) != len(q.Emails) {
		return Availability{}, exchangeFailure(ctx, "read free/busy times",
			fmt.Errorf("Exchange answered for %d mailboxes of %d", len(resp.FreeBusyResponses), len(q.Emails)))
	}
	out := Availability{Start: q.Start, End: q.End, Interval: q.Interval, Mailboxes: make([]MailboxAvailability, len(q.Emails))}
	for i, r := range resp.FreeBusyResponses {
		m := MailboxAvailability{Email: q.Emails[i], Busy: []BusySlot{}}
		if err := r.ResponseMessage.Err(); err != nil {
			m.Code, m.Error = ews.Code(err), responseText(err)
			out.Mailboxes[i] = m
			continue
		}
		if v := r.FreeBusyView; v != nil {
			m.Merged = v.MergedFreeBusy
			if v.CalendarEventArray != nil {
				for _, ev := range v.CalendarEventArray.Events {
					if ev.BusyType == ews.BusyFree || ev.BusyType == ews.BusyNoData {
						continue
					}
					m.Busy = append(m.Busy, BusySlot{Start: ev.StartTime.In(time.UTC).UTC(), End: ev.EndTime.In(time.UTC).UTC(), Status: ev.BusyType})
				}
			}
		}
		slices.SortStableFunc(m.Busy, func(a, b BusySlot) int { return a.Start.Compare(b.Start) })
		out.Mailboxes[i] = m
	}
	return out, nil
}

// responseText is an EWS error's message, or its code.
func responseText(err error) string {
	var re *ews.ResponseError
	if errors.As(err, &re) && re.Message != "" {
		return re.Message
	}
	return ews.Code(err)
}
