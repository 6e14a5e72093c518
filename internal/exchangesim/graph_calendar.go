package exchangesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// graphDateTime is Graph's dateTimeTimeZone.
type graphDateTime struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

const graphLocalLayout = "2006-01-02T15:04:05.0000000"

func utcDateTime(t time.Time) graphDateTime {
	return graphDateTime{DateTime: t.UTC().Format(graphLocalLayout), TimeZone: "UTC"}
}

// graphShowAs maps a LegacyFreeBusyStatus to Graph's freeBusyStatus.
func graphShowAs(s string) string {
	switch s {
	case "", ews.BusyBusy:
		return "busy"
	case ews.BusyFree:
		return "free"
	case ews.BusyTentative:
		return "tentative"
	case ews.BusyOOF:
		return "oof"
	case ews.BusyWorkingElsewhere:
		return "workingElsewhere"
	}
	return "unknown"
}

var graphResponses = map[string]string{
	"Unknown": "none", "Organizer": "organizer", "Tentative": "tentativelyAccepted",
	"Accept": "accepted", "Decline": "declined", "NoResponseReceived": "notResponded",
}

var graphEventTypes = map[string]string{
	"Single": "singleInstance", "Occurrence": "occurrence", "Exception": "exception", "RecurringMaster": "seriesMaster",
}

// graphEvent renders a calendar item as a Graph event.
func graphEvent(it *ews.Item) map[string]any {
	e := baseEntity(it, "#microsoft.graph.event")
	var attendees []map[string]any
	for _, l := range []struct {
		kind string
		as   *ews.Attendees
	}{{"required", it.RequiredAttendees}, {"optional", it.OptionalAttendees}, {"resource", it.Resources}} {
		if l.as == nil {
			continue
		}
		for _, a := range l.as.Attendees {
			resp := graphResponses[a.ResponseType]
			if resp == "" {
				resp = "none"
			}
			attendees = append(attendees, map[string]any{
				"type":         l.kind,
				"status":       map[string]any{"response": resp, "time": "0001-01-01T00:00:00Z"},
				"emailAddress": map[string]string{"name": a.Mailbox.Name, "address": a.Mailbox.EmailAddress},
			})
		}
	}
	if attendees == nil {
		attendees = []map[string]any{}
	}
	typ := graphEventTypes[it.CalendarItemType]
	if typ == "" {
		typ = "singleInstance"
	}
	sensitivity := "normal"
	if it.Sensitivity != "" {
		sensitivity = lowerFirst(it.Sensitivity)
	}
	e["subject"] = it.Subject
	e["bodyPreview"] = bodyPreview(it)
	e["body"] = graphBody(it.Body)
	e["start"] = utcDateTime(it.Start.Time)
	e["end"] = utcDateTime(it.End.Time)
	e["isAllDay"] = boolOf(it.IsAllDayEvent)
	e["isCancelled"] = boolOf(it.IsCancelled)
	e["isOrganizer"] = boolOf(it.IsOrganizer)
	e["showAs"] = graphShowAs(it.LegacyFreeBusyStatus)
	e["type"] = typ
	e["sensitivity"] = sensitivity
	e["iCalUId"] = nullIfEmpty(it.UID)
	e["location"] = map[string]any{"displayName": it.Location}
	e["organizer"] = graphRecipient(it.Organizer)
	e["attendees"] = attendees
	e["responseRequested"] = boolOf(it.IsResponseRequested)
	e["seriesMasterId"] = nil
	return e
}

// graphCalendarViewDelta is GET /users/{id}/calendarView/delta?startDateTime&endDateTime:
// the events of the default calendar that overlap the window. The window is fixed by
// the first request and kept in the tokens, as Graph does; an event that moves out of
// it is reported as removed.
func (s *Simulator) graphCalendarViewDelta(w http.ResponseWriter, r *http.Request) error {
	mb, release, err := s.graphMailbox(r, PermCalendarsRead, PermCalendarsRW)
	if err != nil {
		return err
	}
	defer release()
	fresh := deltaToken{Kind: "event", Folder: "calendar", Dist: true}
	q := r.URL.Query()
	if q.Get("$deltatoken") == "" && q.Get("$skiptoken") == "" {
		start, end, err := windowOf(r)
		if err != nil {
			return err
		}
		fresh.Start, fresh.End = start.Unix(), end.Unix()
	}
	tok, err := s.deltaRequest(r, fresh)
	if err != nil {
		return err
	}
	start, end := time.Unix(tok.Start, 0), time.Unix(tok.End, 0)
	return s.graphDelta(w, r, mb, tok, "#microsoft.graph.event", func(c ItemChange) (map[string]any, bool, bool) {
		a, b := c.Item.Start.Time, c.Item.End.Time
		if b.Before(a) {
			b = a
		}
		inside := a.Before(end) && (b.After(start) || a.Equal(b) && !a.Before(start))
		if !inside {
			// A Create outside the window is none of the client's business; an update
			// may have moved a known event out of it.
			return nil, c.Kind != ChangeCreate, false
		}
		return graphEvent(&c.Item), false, true
	})
}

// ---- getSchedule ----

type scheduleRequest struct {
	Schedules                []string       `json:"schedules"`
	StartTime                *graphDateTime `json:"startTime"`
	EndTime                  *graphDateTime `json:"endTime"`
	AvailabilityViewInterval int            `json:"availabilityViewInterval"`
}

// graphZone resolves a dateTimeTimeZone's zone: UTC, a Windows zone name (as Graph
// uses) or an IANA name.
func graphZone(name string) (func(time.Time) time.Time, func(time.Time) time.Time, bool) {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "UTC") {
		id := func(t time.Time) time.Time { return t }
		return id, id, true
	}
	if z, ok := lookupWindowsZone(name); ok {
		az := availZone{tz: z.rules()}
		return az.toUTC, az.toLocal, true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, nil, false
	}
	toUTC := func(w time.Time) time.Time {
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).UTC()
	}
	toLocal := func(u time.Time) time.Time {
		l := u.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	}
	return toUTC, toLocal, true
}

// graphGetSchedule is POST /users/{id}/calendar/getSchedule: free/busy of up to 100
// users, rooms or groups over a window of at most 62 days, with an availabilityView of
// one digit per interval (0 free, 1 tentative, 2 busy, 3 oof, 4 working elsewhere).
func (s *Simulator) graphGetSchedule(w http.ResponseWriter, r *http.Request) error {
	_, release, err := s.graphMailbox(r, PermCalendarsRead, PermCalendarsRW)
	if err != nil {
		return err
	}
	defer release()
	var req scheduleRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err := dec.Decode(&req); err != nil {
		return &graphErr{status: http.StatusBadRequest, code: "RequestBodyRead", msg: "The request body is not valid JSON."}
	}
	if len(req.Schedules) == 0 || len(req.Schedules) > 100 || req.StartTime == nil || req.EndTime == nil {
		return &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter",
			msg: "schedules (1 to 100 addresses), startTime and endTime are required."}
	}
	toUTC, toLocal, ok := graphZone(req.StartTime.TimeZone)
	if !ok {
		return &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter", msg: fmt.Sprintf("The time zone '%s' is not valid.", req.StartTime.TimeZone)}
	}
	endToUTC, _, ok := graphZone(req.EndTime.TimeZone)
	if !ok {
		return &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter", msg: fmt.Sprintf("The time zone '%s' is not valid.", req.EndTime.TimeZone)}
	}
	parse := func(v string) (time.Time, error) {
		for _, layout := range []string{graphLocalLayout, "2006-01-02T15:04:05", time.RFC3339Nano} {
			if t, err := time.Parse(layout, v); err == nil {
				return t, nil
			}
		}
		return time.Time{}, &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter", msg: fmt.Sprintf("The dateTime '%s' is not valid.", v)}
	}
	ls, err := parse(req.StartTime.DateTime)
	if err != nil {
		return err
	}
	le, err := parse(req.EndTime.DateTime)
	if err != nil {
		return err
	}
	start, end := toUTC(ls), endToUTC(le)
	interval := req.AvailabilityViewInterval
	if interval == 0 {
		interval = 30
	}
	switch {
	case interval < 5 || interval > 1440:
		return &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidParameter", msg: "availabilityViewInterval must be between 5 and 1440 minutes."}
	case !end.After(start):
		return &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidTimeInterval", msg: "The end time must be after the start time."}
	case end.Sub(start) > 62*24*time.Hour:
		return &graphErr{status: http.StatusBadRequest, code: "ErrorInvalidTimeInterval", msg: "The requested time window is longer than 62 days."}
	}
	zoneName := req.StartTime.TimeZone
	if zoneName == "" {
		zoneName = "UTC"
	}
	local := func(t time.Time) graphDateTime {
		return graphDateTime{DateTime: toLocal(t.UTC()).Format(graphLocalLayout), TimeZone: zoneName}
	}
	slots := int((end.Sub(start) + time.Duration(interval)*time.Minute - 1) / (time.Duration(interval) * time.Minute))
	value := []map[string]any{}
	for _, addr := range req.Schedules {
		value = append(value, s.schedule(r, addr, start, end, interval, slots, local))
	}
	writeGraphJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)", "value": value})
	return nil
}

var statusDigit = map[string]byte{"free": '0', "tentative": '1', "busy": '2', "oof": '3', "workingElsewhere": '4'}
var digitWeight = map[byte]int{'0': 0, '4': 1, '1': 2, '2': 3, '3': 4}

// schedule answers one address of getSchedule.
func (s *Simulator) schedule(r *http.Request, addr string, start, end time.Time, interval, slots int, local func(time.Time) graphDateTime) map[string]any {
	out := map[string]any{"scheduleId": addr}
	fail := func(err error) map[string]any {
		out["availabilityView"] = ""
		out["scheduleItems"] = []any{}
		out["error"] = map[string]string{"message": err.Error(), "responseCode": ews.Code(err)}
		return out
	}
	dir := s.world.Directory()
	var owners []string
	if members, ok := dir.ExpandGroup(addr); ok {
		for _, m := range members {
			if m.HasMailbox {
				owners = append(owners, m.PrimarySMTP)
			}
		}
	} else if u, ok := dir.Lookup(addr); ok && u.HasMailbox && strings.Contains(addr, "@") {
		owners = []string{u.PrimarySMTP}
	} else {
		return fail(errMailRecipientNotFound(addr))
	}
	view := []byte(strings.Repeat("0", slots))
	items := []map[string]any{}
	for _, owner := range owners {
		mb, err := s.world.Mailbox(r.Context(), owner)
		if err != nil {
			continue
		}
		page, err := mb.FindItems(FolderByName("calendar"), ItemQuery{Start: start, End: end})
		if err != nil {
			var re *ews.ResponseError
			if errors.As(err, &re) && len(owners) == 1 {
				return fail(err)
			}
			continue
		}
		for i := range page.Items {
			it := &page.Items[i]
			status := graphShowAs(it.LegacyFreeBusyStatus)
			if status == "unknown" {
				status = "tentative"
			}
			a, b := it.Start.Time.UTC(), it.End.Time.UTC()
			for k := range slots {
				ss := start.Add(time.Duration(k*interval) * time.Minute)
				se := ss.Add(time.Duration(interval) * time.Minute)
				if a.Before(se) && b.After(ss) && digitWeight[statusDigit[status]] > digitWeight[view[k]] {
					view[k] = statusDigit[status]
				}
			}
			if len(owners) > 1 {
				continue // a group's members are merged into the view only
			}
			private := it.Sensitivity != "" && it.Sensitivity != "Normal"
			entry := map[string]any{
				"isPrivate": private, "status": status,
				"start": local(a), "end": local(b),
				"isMeeting": boolOf(it.IsMeeting), "isRecurring": it.CalendarItemType == "Occurrence" || it.CalendarItemType == "Exception",
				"isException": it.CalendarItemType == "Exception", "isReminderSet": boolOf(it.ReminderIsSet),
			}
			if !private {
				entry["subject"] = it.Subject
				entry["location"] = it.Location
			}
			items = append(items, entry)
		}
	}
	out["availabilityView"] = string(view)
	out["scheduleItems"] = items
	out["workingHours"] = map[string]any{
		"daysOfWeek": []string{"monday", "tuesday", "wednesday", "thursday", "friday"},
		"startTime":  "08:00:00.0000000", "endTime": "17:00:00.0000000",
		"timeZone": map[string]string{"name": "UTC"},
	}
	return out
}
