package control

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/graph"
)

// Rooms and availability of Microsoft 365 organizations: the places API (Place.Read.All)
// lists room lists and rooms, and getSchedule (Calendars.Read) gives free/busy times.
// App-only access has no mailbox of its own: getSchedule is asked through one of the
// organization's users' mailboxes in the app's scope.

// maxSchedules is how many addresses one getSchedule request carries.
const maxSchedules = 20

// graphFailure explains an error of a Graph call to an admin, as an *ExchangeError.
func graphFailure(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("control: %s: %w", op, err)
	}
	msg := ""
	switch {
	case graph.IsAccessDenied(err):
		msg = "Microsoft 365 refused the app access (403): the app lacks the permission (Place.Read.All for rooms, Calendars.Read for free/busy) or the mailbox is outside its scope"
	case graph.IsUnauthorized(err):
		msg = "Microsoft 365 refused the app's token: check the tenant, the client ID and the client secret on the Email Configuration tab"
	case graph.IsThrottled(err):
		msg = "Microsoft Graph is busy (throttling): try again in a minute"
	default:
		var ge *graph.Error
		if errors.As(err, &ge) {
			msg = fmt.Sprintf("Microsoft Graph answered %s: %s", ge.Code, ge.Message)
		} else {
			msg = "Microsoft Graph cannot be reached: " + err.Error()
		}
	}
	return &ExchangeError{Op: op, Err: &adminError{msg: msg, err: err}}
}

// appRoomLists is RoomLists for Microsoft 365 organizations.
func (s *Service) appRoomLists(ctx context.Context, orgID int64) ([]Room, error) {
	c, err := s.GraphClient(ctx, orgID)
	if err != nil {
		return nil, err
	}
	lists, err := c.RoomLists(ctx)
	if err != nil {
		return nil, graphFailure(ctx, "list the room lists", err)
	}
	out := make([]Room, 0, len(lists))
	for _, l := range lists {
		out = append(out, Room{Name: l.DisplayName, Email: strings.ToLower(l.EmailAddress)})
	}
	return sortRooms(out), nil
}

// appRooms is Rooms for Microsoft 365 organizations.
func (s *Service) appRooms(ctx context.Context, orgID int64, list string) ([]Room, error) {
	c, err := s.GraphClient(ctx, orgID)
	if err != nil {
		return nil, err
	}
	rs, err := c.RoomsInList(ctx, list)
	if graph.IsNotFound(err) {
		return nil, inputErr("list", "Microsoft 365 knows no room list "+list+".")
	}
	if err != nil {
		return nil, graphFailure(ctx, "list the rooms of "+list, err)
	}
	out := make([]Room, 0, len(rs))
	for _, r := range rs {
		out = append(out, Room{Name: r.DisplayName, Email: strings.ToLower(r.EmailAddress)})
	}
	return sortRooms(out), nil
}

// scheduleStatus maps getSchedule's statuses on EWS's BusyType names.
var scheduleStatus = map[string]string{"busy": "Busy", "tentative": "Tentative", "oof": "OOF", "workingElsewhere": "WorkingElsewhere"}

// appAvailability is Availability for Microsoft 365 organizations: getSchedule through
// the mailbox of the organization's first user the app may read.
func (s *Service) appAvailability(ctx context.Context, orgID int64, q AvailabilityQuery) (Availability, error) {
	c, err := s.GraphClient(ctx, orgID)
	if err != nil {
		return Availability{}, err
	}
	users, err := s.st.ListUsers(ctx, orgID)
	if err != nil {
		return Availability{}, err
	}
	if len(users) == 0 {
		return Availability{}, inputErr("emails", "Add a user first: with app-only access, free/busy times are read through one of the organization's mailboxes.")
	}
	out := Availability{Start: q.Start, End: q.End, Interval: q.Interval, Mailboxes: make([]MailboxAvailability, 0, len(q.Emails))}
	via := users[0].Email
	for start := 0; start < len(q.Emails); start += maxSchedules {
		chunk := q.Emails[start:min(start+maxSchedules, len(q.Emails))]
		infos, err := c.GetSchedule(ctx, via, chunk, q.Start, q.End, time.Duration(q.Interval)*time.Minute)
		if err != nil {
			return Availability{}, graphFailure(ctx, "read free/busy times through "+via, err)
		}
		byID := map[string]graph.ScheduleInformation{}
		for _, in := range infos {
			byID[strings.ToLower(in.ScheduleID)] = in
		}
		for _, e := range chunk {
			m := MailboxAvailability{Email: e, Busy: []BusySlot{}}
			in, ok := byID[e]
			switch {
			case !ok:
				m.Code, m.Error = "ErrorMailRecipientNotFound", "Microsoft 365 did not answer for this address."
			case in.Error != nil:
				m.Code, m.Error = in.Error.ResponseCode, in.Error.Message
			default:
				m.Merged = in.AvailabilityView
				for _, it := range in.ScheduleItems {
					status, busy := scheduleStatus[it.Status]
					if !busy {
						continue
					}
					st, err1 := it.Start.Time()
					en, err2 := it.End.Time()
					if err1 != nil || err2 != nil {
						continue
					}
					m.Busy = append(m.Busy, BusySlot{Start: st.UTC(), End: en.UTC(), Status: status})
				}
				slices.SortStableFunc(m.Busy, func(a, b BusySlot) int { return a.Start.Compare(b.Start) })
			}
			out.Mailboxes = append(out.Mailboxes, m)
		}
	}
	return out, nil
}
