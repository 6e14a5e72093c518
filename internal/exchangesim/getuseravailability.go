package exchangesim

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Limits of the availability service (Exchange 2016/2019 defaults).
const (
	availMaxMailboxes      = 100  // MailboxDataArray entries
	availMaxWindowDays     = 42   // TimeWindow and DetailedSuggestionsWindow
	availMaxResultSet      = 1000 // calendar entries per mailbox
	availMaxGroupMembers   = 100  // members of a distribution list asked for as one mailbox
	availDefaultInterval   = 30   // MergedFreeBusyIntervalInMinutes
	availMinInterval       = 5
	availMaxInterval       = 1440
	availWorkStartMinutes  = 8 * 60
	availWorkEndMinutes    = 17 * 60
	availWorkDays          = "Monday Tuesday Wednesday Thursday Friday"
	availSuggestionStep    = 30 * time.Minute
	availDefaultMeetingLen = 60
)

// Response codes of the availability service that the ews package has no constant for.
const (
	codeMailboxDataArrayEmpty          = "ErrorMailboxDataArrayEmpty"
	codeMailboxDataArrayTooBig         = "ErrorMailboxDataArrayTooBig"
	codeTimeIntervalTooBig             = "ErrorTimeIntervalTooBig"
	codeInvalidMergedFreeBusyInterval  = "ErrorInvalidMergedFreeBusyInterval"
	codeInvalidFreeBusyViewType        = "ErrorInvalidFreeBusyViewType"
	codeResultSetTooBig                = "ErrorResultSetTooBig"
	codeFreeBusyDLLimitReached         = "ErrorFreeBusyDLLimitReached"
	msgAvailabilityNeedsAView          = "The request must contain FreeBusyViewOptions or SuggestionsViewOptions."
	msgInvalidFreeBusyViewType         = "The FreeBusyViewType specified in the request is not valid."
	msgInvalidMergedFreeBusyIntervalFm = "The MergedFreeBusyIntervalInMinutes value is invalid: it must be between %d and %d minutes."
)

// availFault is a request-level failure of the availability service: Exchange turns its
// InvalidParameterException and AvailabilityException into SOAP faults.
func availFault(code, msg string) error {
	return &ews.ResponseError{Code: code, Message: msg, Fault: true}
}

// Free/busy views as Exchange orders them: bit 1 is "merged", and a view is returned as
// the smaller of what was asked for and what the caller may see.
const (
	availViewNone           = 0
	availViewMergedOnly     = 1
	availViewFreeBusy       = 2
	availViewFreeBusyMerged = 3
	availViewDetailed       = 4
	availViewDetailedMerged = 5
)

var availViewByName = map[string]int{
	ews.ViewNone: availViewNone, ews.ViewMergedOnly: availViewMergedOnly, ews.ViewFreeBusy: availViewFreeBusy,
	ews.ViewFreeBusyMerged: availViewFreeBusyMerged, ews.ViewDetailed: availViewDetailed, ews.ViewDetailedMerged: availViewDetailedMerged,
}

var availViewNames = [...]string{ews.ViewNone, ews.ViewMergedOnly, ews.ViewFreeBusy, ews.ViewFreeBusyMerged, ews.ViewDetailed, ews.ViewDetailedMerged}

// availPermission is a caller's free/busy access to a calendar (Exchange's
// FreeBusyPermissionLevel).
type availPermission int

const (
	availPermNone   availPermission = iota // no access: ErrorNoFreeBusyAccess
	availPermSimple                        // AvailabilityOnly ("FreeBusyTimeOnly"): times only
	availPermDetail                        // LimitedDetails and up: subject and location
	availPermOwner                         // the mailbox's owner (or FullAccess): private items too
)

// availReturnView is the view Exchange returns for a requested view and a permission
// level (CalendarQuery.GetReturnView).
func availReturnView(requested int, perm availPermission) int {
	allowed := availViewNone
	switch perm {
	case availPermSimple:
		allowed = availViewFreeBusy
	case availPermDetail, availPermOwner:
		allowed = availViewDetailed
	}
	if requested&availViewMergedOnly != 0 {
		requested |= availViewMergedOnly
		allowed |= availViewMergedOnly
	}
	return min(requested, allowed)
}

// availCalendarPermission is the access the acting account has to owner's calendar.
// Mailboxes in the simulator keep Exchange's default calendar permissions: Default has
// AvailabilityOnly (FreeBusyTimeOnly) on every calendar, rooms included, so anyone but
// the owner sees times and busy types but no subject or location.
func availCalendarPermission(requester, owner string) availPermission {
	if requester != "" && requester == owner {
		return availPermOwner
	}
	return availPermSimple
}

// GetUserAvailability implements ewsserver.GetUserAvailabilityBackend.
//
// Request-level problems are SOAP faults, as Exchange sends them: an empty or oversized
// MailboxDataArray (ErrorMailboxDataArrayEmpty, ErrorMailboxDataArrayTooBig over 100),
// a window that is empty or reversed (ErrorInvalidTimeInterval) or longer than 42 days
// (ErrorTimeIntervalTooBig), a MergedFreeBusyIntervalInMinutes outside 5–1440
// (ErrorInvalidMergedFreeBusyInterval) and a RequestedView of None
// (ErrorInvalidFreeBusyViewType). Per-mailbox problems are Error messages in that
// mailbox's FreeBusyResponse, with a FreeBusyView of type None: an address that is no
// mailbox (ErrorMailRecipientNotFound), more than 1000 calendar entries in the window
// (ErrorResultSetTooBig).
//
// Times: the request's time zone is the TimeZoneContext header's when it names a known
// Windows zone other than UTC (Exchange prefers it), else t:TimeZone (Bias, StandardTime,
// DaylightTime, with its DST rule), else UTC. TimeWindow times without a zone are wall
// times in that zone; CalendarEvent times are written as wall times in it, without a zone.
// Events overlapping the window are returned whole.
//
// Views and permissions: the requester is the effective caller (the impersonated user, or
// the signed-in account). The owner sees Detailed views in full (private items included);
// everyone else has the default AvailabilityOnly permission, so Detailed becomes FreeBusy
// and DetailedMerged FreeBusyMerged, without CalendarEventDetails. MergedFreeBusy has one
// digit per interval from the window's start (the last interval may be partial): 0 Free,
// 1 Tentative, 2 Busy, 3 OOF, and for RequestServerVersion Exchange2013 and later 4
// WorkingElsewhere and 5 NoData (before it, 4 NoData, and WorkingElsewhere reads as Free);
// overlapping events give the stronger status (OOF > Busy > Tentative > Free). A
// distribution list asked for as one mailbox gives its members' statuses merged
// (MergedOnly). WorkingHours is Monday–Friday 08:00–17:00 in the request's zone.
//
// SuggestionsViewOptions, when present, get a SuggestionsResponse (ews-javascript-api
// fails without one): a SuggestionDayResult per day of the DetailedSuggestionsWindow with
// meeting times in working hours, rated by how many attendees are free.
func (s *Simulator) GetUserAvailability(ctx context.Context, c *ewsserver.Call, req *ews.GetUserAvailabilityRequest) (*ews.GetUserAvailabilityResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch n := len(req.MailboxDataArray); {
	case n == 0:
		return nil, availFault(codeMailboxDataArrayEmpty, "The MailboxDataArray element must contain at least one mailbox.")
	case n > availMaxMailboxes:
		return nil, availFault(codeMailboxDataArrayTooBig,
			fmt.Sprintf("There are too many target mailboxes requested: %d. The maximum allowed is %d.", n, availMaxMailboxes))
	}
	if req.FreeBusyViewOptions == nil && req.SuggestionsViewOptions == nil {
		return nil, availFault(ews.ErrorInvalidRequest, msgAvailabilityNeedsAView)
	}
	q := &availQuery{
		s:       s,
		zone:    availRequestZone(c, req),
		pre2013: availPre2013(c.Version),
	}
	if u, ok := s.world.Directory().Lookup(c.Mailbox); ok {
		q.requester = u.PrimarySMTP
	}
	resp := &ews.GetUserAvailabilityResponse{}
	if fb := req.FreeBusyViewOptions; fb != nil {
		if err := q.setFreeBusyOptions(fb); err != nil {
			return nil, err
		}
		resp.FreeBusyResponses = make([]ews.FreeBusyResponse, 0, len(req.MailboxDataArray))
		for _, md := range req.MailboxDataArray {
			r, err := q.freeBusy(ctx, md)
			if err != nil {
				return nil, err
			}
			resp.FreeBusyResponses = append(resp.FreeBusyResponses, r)
		}
	}
	if so := req.SuggestionsViewOptions; so != nil {
		sr, err := q.suggestions(ctx, so, req.MailboxDataArray)
		if err != nil {
			return nil, err
		}
		resp.SuggestionsResponse = sr
	}
	return resp, nil
}

// availPre2013 reports whether a RequestServerVersion predates Exchange 2013, whose schema
// added WorkingElsewhere.
func availPre2013(version string) bool {
	return strings.HasPrefix(version, "Exchange2007") || strings.HasPrefix(version, "Exchange2010")
}

// availQuery is one GetUserAvailability request being answered.
type availQuery struct {
	s         *Simulator
	zone      availZone
	pre2013   bool
	requester string // the effective caller's primary SMTP address ("" if not a directory user)

	start, end time.Time // the free/busy window, as instants
	view       int       // the requested view
	interval   int       // minutes per MergedFreeBusy digit
}

// window converts a TimeWindow into instants and checks it as Exchange does.
func (q *availQuery) window(w ews.TimeWindow, property string) (time.Time, time.Time, error) {
	start, end := q.zone.instant(w.StartTime), q.zone.instant(w.EndTime)
	if !end.After(start) {
		return start, end, availFault(ews.ErrorInvalidTimeInterval,
			fmt.Sprintf("The time duration specified for %s is invalid.", property))
	}
	if d := end.Sub(start); d > availMaxWindowDays*24*time.Hour {
		days := int(math.Ceil(d.Hours() / 24))
		return start, end, availFault(codeTimeIntervalTooBig,
			fmt.Sprintf("The requested time duration specified for %s is too long. The allowed limit = %d days; the actual limit = %d days.", property, availMaxWindowDays, days))
	}
	return start, end, nil
}

func (q *availQuery) setFreeBusyOptions(fb *ews.FreeBusyViewOptions) error {
	view, ok := availViewByName[fb.RequestedView]
	if !ok || view == availViewNone {
		return availFault(codeInvalidFreeBusyViewType, msgInvalidFreeBusyViewType)
	}
	q.view = view
	q.interval = availDefaultInterval
	if fb.MergedFreeBusyIntervalInMinutes != nil {
		q.interval = *fb.MergedFreeBusyIntervalInMinutes
	}
	if q.interval < availMinInterval || q.interval > availMaxInterval {
		return availFault(codeInvalidMergedFreeBusyInterval, fmt.Sprintf(msgInvalidMergedFreeBusyIntervalFm, availMinInterval, availMaxInterval))
	}
	var err error
	q.start, q.end, err = q.window(fb.TimeWindow, "FreeBusyViewOptions.TimeWindow")
	return err
}

// availFailure is the FreeBusyResponse of a mailbox that failed.
func availFailure(err error) ews.FreeBusyResponse {
	return ews.FreeBusyResponse{ResponseMessage: ews.FailureFrom(err), FreeBusyView: &ews.FreeBusyView{FreeBusyViewType: ews.ViewNone}}
}

func errMailRecipientNotFound(addr string) error {
	return &ews.ResponseError{Code: ews.ErrorMailRecipientNotFound,
		Message: fmt.Sprintf("Unable to resolve e-mail address %s to an Active Directory object.", addr)}
}

// availTarget resolves a MailboxData address: a user with a mailbox, or a group.
func (q *availQuery) availTarget(addr string) (User, *Group, error) {
	dir := q.s.world.Directory()
	addr = strings.TrimSpace(addr)
	if !strings.Contains(addr, "@") {
		return User{}, nil, errMailRecipientNotFound(addr)
	}
	if g, ok := dir.Group(addr); ok {
		return User{}, &g, nil
	}
	u, ok := dir.Lookup(addr)
	if !ok || !u.HasMailbox {
		return User{}, nil, errMailRecipientNotFound(addr)
	}
	return u, nil, nil
}

// calendar returns the calendar items of a mailbox that overlap [start, end).
func (q *availQuery) calendar(ctx context.Context, owner string, start, end time.Time) ([]ews.Item, error) {
	mb, err := q.s.world.Mailbox(ctx, owner)
	if err != nil {
		return nil, err
	}
	page, err := mb.FindItems(FolderByName("calendar"), ItemQuery{Start: start, End: end})
	if err != nil {
		return nil, err
	}
	if len(page.Items) > availMaxResultSet {
		return nil, &ews.ResponseError{Code: codeResultSetTooBig,
			Message: fmt.Sprintf("The result set contains too many calendar entries. The allowed size = %d; the actual size = %d.", availMaxResultSet, len(page.Items))}
	}
	return page.Items, nil
}

// freeBusy answers one MailboxData. Only a cancelled context is returned as an error;
// everything else is the mailbox's own Error message.
func (q *availQuery) freeBusy(ctx context.Context, md ews.MailboxData) (ews.FreeBusyResponse, error) {
	u, group, err := q.availTarget(md.Email.Address)
	if err != nil {
		return availFailure(err), nil
	}
	if group != nil {
		return q.groupFreeBusy(ctx, group)
	}
	items, err := q.calendar(ctx, u.PrimarySMTP, q.start, q.end)
	if err != nil {
		if ctx.Err() != nil {
			return ews.FreeBusyResponse{}, ctx.Err()
		}
		var re *ews.ResponseError
		if errors.As(err, &re) && re.Code == ews.ErrorNonExistentMailbox {
			err = errMailRecipientNotFound(md.Email.Address) // removed meanwhile
		}
		return availFailure(err), nil
	}
	perm := availCalendarPermission(q.requester, u.PrimarySMTP)
	view := availReturnView(q.view, perm)
	fbv := &ews.FreeBusyView{FreeBusyViewType: availViewNames[view]}
	spans := make([]availSpan, 0, len(items))
	if len(items) > 0 {
		fbv.CalendarEventArray = &ews.CalendarEvents{}
	}
	for i := range items {
		ev, span := q.calendarEvent(&items[i], view >= availViewDetailed, perm == availPermOwner)
		fbv.CalendarEventArray.Events = append(fbv.CalendarEventArray.Events, ev)
		spans = append(spans, span)
	}
	if view&availViewMergedOnly != 0 {
		fbv.MergedFreeBusy = q.merged(spans, '0')
	}
	fbv.WorkingHours = &ews.WorkingHours{TimeZone: q.zone.tz, WorkingPeriods: []ews.WorkingPeriod{
		{DayOfWeek: availWorkDays, StartTimeInMinutes: availWorkStartMinutes, EndTimeInMinutes: availWorkEndMinutes}}}
	return ews.FreeBusyResponse{ResponseMessage: ews.Success(), FreeBusyView: fbv}, nil
}

// groupFreeBusy answers a distribution list asked for as one mailbox: its members'
// free/busy merged into one MergedOnly stream (slots no member has data for are NoData).
func (q *availQuery) groupFreeBusy(ctx context.Context, g *Group) (ews.FreeBusyResponse, error) {
	members, _ := q.s.world.Directory().ExpandGroup(g.PrimarySMTP)
	var owners []string
	for _, m := range members {
		if m.HasMailbox {
			owners = append(owners, m.PrimarySMTP)
		}
	}
	if len(owners) > availMaxGroupMembers {
		return availFailure(&ews.ResponseError{Code: codeFreeBusyDLLimitReached,
			Message: fmt.Sprintf("The distribution list %s has more than %d members; its free/busy information cannot be merged.", g.PrimarySMTP, availMaxGroupMembers)}), nil
	}
	noData := byte('5')
	if q.pre2013 {
		noData = '4'
	}
	merged := []byte(q.merged(nil, noData))
	for _, owner := range owners {
		items, err := q.calendar(ctx, owner, q.start, q.end)
		if err != nil {
			if ctx.Err() != nil {
				return ews.FreeBusyResponse{}, ctx.Err()
			}
			continue // a member without data adds nothing
		}
		spans := make([]availSpan, 0, len(items))
		for i := range items {
			_, span := q.calendarEvent(&items[i], false, false)
			spans = append(spans, span)
		}
		for i, d := range []byte(q.merged(spans, '0')) {
			if q.weight(merged[i]) < q.weight(d) {
				merged[i] = d
			}
		}
	}
	return ews.FreeBusyResponse{ResponseMessage: ews.Success(),
		FreeBusyView: &ews.FreeBusyView{FreeBusyViewType: ews.ViewMergedOnly, MergedFreeBusy: string(merged)}}, nil
}

// availSpan is an event's time and status, for merging.
type availSpan struct {
	start, end time.Time
	busy       string
}

// busyType returns the BusyType Exchange reports for a calendar item.
func (q *availQuery) busyType(it *ews.Item) string {
	switch b := it.LegacyFreeBusyStatus; b {
	case "":
		return ews.BusyBusy
	case ews.BusyWorkingElsewhere:
		if q.pre2013 {
			return ews.BusyFree
		}
		return b
	case ews.BusyFree, ews.BusyTentative, ews.BusyBusy, ews.BusyOOF, ews.BusyNoData:
		return b
	}
	return ews.BusyTentative
}

// calendarEvent renders a calendar item as a CalendarEvent in the request's time zone,
// with details when the view has them.
func (q *availQuery) calendarEvent(it *ews.Item, details, owner bool) (ews.CalendarEvent, availSpan) {
	start, end := it.Start.Time.UTC(), it.End.Time.UTC()
	if end.Before(start) {
		end = start
	}
	busy := q.busyType(it)
	ev := ews.CalendarEvent{StartTime: ews.Local(q.zone.toLocal(start)), EndTime: ews.Local(q.zone.toLocal(end)), BusyType: busy}
	if details {
		d := &ews.CalendarEventDetails{IsPrivate: it.Sensitivity != "" && it.Sensitivity != "Normal"}
		if !d.IsPrivate || owner {
			d.ID = availEntryID(it)
			d.Subject = it.Subject
			d.Location = it.Location
			d.IsReminderSet = it.ReminderIsSet != nil && *it.ReminderIsSet
			d.IsMeeting = it.IsMeeting != nil && *it.IsMeeting
			switch it.CalendarItemType {
			case "Occurrence":
				d.IsRecurring = true
			case "Exception":
				d.IsRecurring, d.IsException = true, true
			}
		}
		ev.CalendarEventDetails = d
	}
	return ev, availSpan{start: start, end: end, busy: busy}
}

// availEntryID is the ID of CalendarEventDetails: Exchange writes the item's store entry
// id in hexadecimal; the simulator uses the bytes of the EWS item id.
func availEntryID(it *ews.Item) string {
	if it.ItemId == nil {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(it.ItemId.Id)
	if err != nil {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// digit is the MergedFreeBusy digit of a busy type.
func (q *availQuery) digit(busy string) byte {
	switch busy {
	case ews.BusyFree:
		return '0'
	case ews.BusyTentative:
		return '1'
	case ews.BusyBusy:
		return '2'
	case ews.BusyOOF:
		return '3'
	case ews.BusyWorkingElsewhere:
		return '4'
	}
	if q.pre2013 {
		return '4' // NoData before Exchange 2013
	}
	return '5'
}

// weight orders digits when events overlap a slot: the heavier one shows.
func (q *availQuery) weight(d byte) int {
	switch d {
	case '0':
		return 1
	case '1':
		return 2
	case '2':
		return 3
	case '3':
		return 4
	case '4':
		if q.pre2013 {
			return 0 // NoData
		}
		return 1 // WorkingElsewhere counts as free
	}
	return 0
}

// merged builds a MergedFreeBusy string over the window: one digit per interval, fill
// where no event is, and each event raising the slots it touches to its status (as
// Exchange's MergedFreeBusy.AddAppointmentToFreeBusyString does).
func (q *availQuery) merged(spans []availSpan, fill byte) string {
	iv := float64(q.interval)
	n := int(math.Ceil(q.end.Sub(q.start).Minutes() / iv))
	out := make([]byte, n)
	for i := range out {
		out[i] = fill
	}
	for _, sp := range spans {
		from := sp.start.Sub(q.start).Minutes()
		to := sp.end.Sub(q.start).Minutes()
		first := int(from) / q.interval
		last := int(to/iv) - 1
		if math.Mod(to, iv) > 0 {
			last++
		}
		first = max(first, 0)
		last = min(last, n-1)
		d := q.digit(sp.busy)
		for i := first; i <= last; i++ {
			if q.weight(out[i]) < q.weight(d) {
				out[i] = d
			}
		}
	}
	return string(out)
}

// ---- suggestions ----

// availQualities are the SuggestionQuality values, worst first.
var availQualities = []string{"Poor", "Fair", "Good", "Excellent"}

// suggestions answers SuggestionsViewOptions: for each day of the window, meeting starts
// every 30 minutes within working hours (Monday–Friday 08:00–17:00 in the request's zone),
// rated Excellent when every attendee is free, Good when at most GoodThreshold percent
// have a conflict, Fair up to half, else Poor; at most MaximumResultsByDay per day, none
// below MinimumSuggestionQuality. Attendees that are not mailboxes are left out.
func (q *availQuery) suggestions(ctx context.Context, so *ews.SuggestionsViewOptions, mds []ews.MailboxData) (*ews.SuggestionsResponse, error) {
	start, end, err := q.window(so.DetailedSuggestionsWindow, "SuggestionsViewOptions.DetailedSuggestionsWindow")
	if err != nil {
		return nil, err
	}
	good, perDay, minutes := 25, 10, availDefaultMeetingLen
	if so.GoodThreshold != nil && *so.GoodThreshold > 0 {
		good = *so.GoodThreshold
	}
	if so.MaximumResultsByDay != nil && *so.MaximumResultsByDay >= 0 {
		perDay = *so.MaximumResultsByDay
	}
	if so.MeetingDurationInMinutes != nil && *so.MeetingDurationInMinutes > 0 {
		minutes = *so.MeetingDurationInMinutes
	}
	minQuality := slices.Index(availQualities, so.MinimumSuggestionQuality)
	if minQuality < 0 {
		minQuality = slices.Index(availQualities, "Fair")
	}
	meeting := time.Duration(minutes) * time.Minute

	// Busy spans of every attendee that is a mailbox, over the window and one meeting more.
	var attendees [][]availSpan
	for _, md := range mds {
		u, group, err := q.availTarget(md.Email.Address)
		if err != nil || group != nil {
			continue
		}
		items, err := q.calendar(ctx, u.PrimarySMTP, start, end.Add(meeting))
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		var busy []availSpan
		for i := range items {
			if _, sp := q.calendarEvent(&items[i], false, false); sp.busy == ews.BusyTentative || sp.busy == ews.BusyBusy || sp.busy == ews.BusyOOF {
				busy = append(busy, sp)
			}
		}
		attendees = append(attendees, busy)
	}

	resp := &ews.SuggestionsResponse{ResponseMessage: ews.Success()}
	first := q.zone.toLocal(start)
	day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	for ; q.zone.toUTC(day).Before(end); day = day.AddDate(0, 0, 1) {
		res := ews.SuggestionDayResult{Date: ews.Local(day), DayQuality: "Poor"}
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			best := -1
			var list []ews.Suggestion
			workEnd := day.Add(availWorkEndMinutes * time.Minute)
			for t := day.Add(availWorkStartMinutes * time.Minute); !t.Add(meeting).After(workEnd) && len(list) < perDay; t = t.Add(availSuggestionStep) {
				from := q.zone.toUTC(t)
				if from.Before(start) || !from.Before(end) {
					continue
				}
				to := from.Add(meeting)
				conflicts := 0
				for _, busy := range attendees {
					for _, sp := range busy {
						if sp.start.Before(to) && sp.end.After(from) {
							conflicts++
							break
						}
					}
				}
				quality := 0 // Poor
				switch pct := 100 * conflicts / max(len(attendees), 1); {
				case conflicts == 0:
					quality = 3 // Excellent
				case pct <= good:
					quality = 2 // Good
				case pct <= 50:
					quality = 1 // Fair
				}
				if quality < minQuality {
					continue
				}
				best = max(best, quality)
				list = append(list, ews.Suggestion{MeetingTime: ews.Local(t), IsWorkTime: true, SuggestionQuality: availQualities[quality]})
			}
			if best >= 0 {
				res.DayQuality = availQualities[best]
			}
			if len(list) > 0 {
				res.SuggestionArray = &ews.Suggestions{Suggestions: list}
			}
		}
		resp.Days = append(resp.Days, res)
	}
	return resp, nil
}

// ---- time zones ----

// availZone is the availability service's time zone (SerializableTimeZone): UTC = local
// + Bias + (DaylightTime.Bias while daylight time is in effect, else StandardTime.Bias).
// Daylight time starts at DaylightTime's rule (Time in standard local time) and ends at
// StandardTime's (Time in daylight local time), each "the DayOrder-th DayOfWeek of Month"
// (DayOrder 5, or anything outside 1–4, meaning the last). A zone with Month 0 in either
// rule has no daylight time. Southern-hemisphere zones, whose daylight time spans the new
// year, are handled.
type availZone struct{ tz ews.SerializableTimeZone }

func (z availZone) hasDST() bool {
	valid := func(m int) bool { return m >= 1 && m <= 12 }
	return valid(z.tz.StandardTime.Month) && valid(z.tz.DaylightTime.Month)
}

// offset returns what to add to local time to get UTC.
func (z availZone) offset(daylight bool) time.Duration {
	b := z.tz.Bias + z.tz.StandardTime.Bias
	if daylight {
		b = z.tz.Bias + z.tz.DaylightTime.Bias
	}
	return time.Duration(b) * time.Minute
}

// availWeekdays maps DayOfWeek names.
var availWeekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// transition returns the wall-clock time (in a UTC-located time.Time) at which rule r
// fires in year y.
func availTransition(r ews.SerializableTimeZoneTime, y int) time.Time {
	var h, m, sec int
	fmt.Sscanf(strings.TrimSpace(r.Time), "%d:%d:%d", &h, &m, &sec)
	wd := availWeekdays[strings.ToLower(strings.TrimSpace(r.DayOfWeek))]
	month := time.Month(r.Month)
	var day int
	if r.DayOrder >= 1 && r.DayOrder <= 4 {
		first := time.Date(y, month, 1, 0, 0, 0, 0, time.UTC)
		day = 1 + (int(wd)-int(first.Weekday())+7)%7 + (r.DayOrder-1)*7
	} else {
		last := time.Date(y, month+1, 0, 0, 0, 0, 0, time.UTC)
		day = last.Day() - (int(last.Weekday())-int(wd)+7)%7
	}
	return time.Date(y, month, day, h, m, sec, 0, time.UTC)
}

// daylightAtWall reports whether daylight time is in effect at a local wall time. Wall
// times skipped at the spring transition count as daylight time; those repeated in the
// autumn, as their first (daylight) occurrence.
func (z availZone) daylightAtWall(w time.Time) bool {
	if !z.hasDST() {
		return false
	}
	start, end := availTransition(z.tz.DaylightTime, w.Year()), availTransition(z.tz.StandardTime, w.Year())
	if start.Before(end) {
		return !w.Before(start) && w.Before(end)
	}
	return !w.Before(start) || w.Before(end)
}

// toUTC converts a wall time (read from a time.Time's clock, whatever its location) to
// the instant it denotes in the zone.
func (z availZone) toUTC(w time.Time) time.Time {
	w = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
	return w.Add(z.offset(z.daylightAtWall(w)))
}

// toLocal converts an instant to the zone's wall time (in a UTC-located time.Time).
func (z availZone) toLocal(u time.Time) time.Time {
	u = u.UTC()
	if !z.hasDST() {
		return u.Add(-z.offset(false))
	}
	y := u.Add(-z.offset(false)).Year()
	start := availTransition(z.tz.DaylightTime, y).Add(z.offset(false))
	end := availTransition(z.tz.StandardTime, y).Add(z.offset(true))
	var daylight bool
	if start.Before(end) {
		daylight = !u.Before(start) && u.Before(end)
	} else {
		daylight = !u.Before(start) || u.Before(end)
	}
	return u.Add(-z.offset(daylight))
}

// instant returns the instant a request time denotes: itself when it has a zone, else its
// wall time in the zone.
func (z availZone) instant(l ews.LocalDateTime) time.Time {
	if l.Zoned {
		return l.Time.UTC()
	}
	return z.toUTC(l.Time)
}

// availRequestZone picks the request's time zone as Exchange does: the TimeZoneContext
// header's when it names a known Windows zone (timezones.go) other than UTC, else the
// t:TimeZone element, else UTC.
func availRequestZone(c *ewsserver.Call, req *ews.GetUserAvailabilityRequest) availZone {
	if c.Header != nil && c.Header.TimeZoneContext != nil {
		if z, ok := lookupWindowsZone(c.Header.TimeZoneContext.TimeZoneDefinition.ID); ok && z.id != "UTC" {
			return availZone{z.rules()}
		}
	}
	if req.TimeZone != nil {
		return availZone{*req.TimeZone}
	}
	return availZone{zoneNoDST(0)}
}
