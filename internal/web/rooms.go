package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
)

// roomsData is the Rooms tab: the room lists, the chosen list's rooms, and their
// free/busy over one day (UTC), an hour a column.
type roomsData struct {
	Lists     []control.Room
	List      string // the chosen list's address
	ListName  string
	Rooms     []roomRow
	Date      string // the day shown, 2006-01-02
	DateLabel string
	DateError string
	PrevURL   string
	NextURL   string
	Hours     []string // the columns' labels, "00" … "23"
	// Problem, when set, is why rooms cannot be shown, with what to do.
	Problem *roomsProblem
}

// roomRow is a room with its day.
type roomRow struct {
	control.Room
	Slots []roomSlot
	Busy  []control.BusySlot
	Error string // Exchange's, for this room
}

// roomSlot is an hour of a room's day.
type roomSlot struct {
	Class string // slot-free, slot-busy, …
	Label string // "10:00–11:00 Busy", for screen readers and tooltips
}

// roomsProblem explains why rooms cannot be listed.
type roomsProblem struct {
	Title   string
	Message string
	Fix     string
	Link    string // where to fix it, if here
	LinkTo  string
}

// roomsPage is the Rooms tab: GET with ?list=<address>&date=<YYYY-MM-DD>; without
// them, the first room list and today (UTC).
func (h *Handler) roomsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	today := h.now().UTC().Truncate(24 * time.Hour)
	day := today
	d := roomsData{}
	if s := strings.TrimSpace(q.Get("date")); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			d.DateError = "Enter a date as YYYY-MM-DD; today is shown."
		} else {
			day = t
		}
	}
	d.Date, d.DateLabel = day.Format(time.DateOnly), day.Format("Monday 2 January 2006")
	for i := range 24 {
		d.Hours = append(d.Hours, fmt.Sprintf("%02d", i))
	}
	render := func() error {
		return h.render(w, http.StatusOK, "rooms", h.page(w, r, c, "Rooms · "+c.org.Name, "rooms", d))
	}
	ctx, p := r.Context(), c.principal()
	lists, err := h.svc.RoomLists(ctx, p, c.org.ID)
	if d.Problem, err = roomsTrouble(c, err); err != nil || d.Problem != nil {
		if err != nil {
			return err
		}
		return render()
	}
	d.Lists = lists
	if len(lists) == 0 {
		return render()
	}
	d.List = strings.ToLower(strings.TrimSpace(q.Get("list")))
	if d.List == "" {
		d.List = lists[0].Email
	}
	for _, l := range lists {
		if l.Email == d.List {
			d.ListName = l.Name
		}
	}
	d.PrevURL, d.NextURL = roomsURL(c, d.List, day.AddDate(0, 0, -1)), roomsURL(c, d.List, day.AddDate(0, 0, 1))
	rooms, err := h.svc.Rooms(ctx, p, c.org.ID, d.List)
	if d.Problem, err = roomsTrouble(c, err); err != nil || d.Problem != nil || len(rooms) == 0 {
		if err != nil {
			return err
		}
		return render()
	}
	emails := make([]string, len(rooms))
	for i, rm := range rooms {
		emails[i] = rm.Email
	}
	a, err := h.svc.Availability(ctx, p, c.org.ID, control.AvailabilityQuery{Emails: emails, Start: day, End: day.Add(24 * time.Hour), Interval: 60})
	if d.Problem, err = roomsTrouble(c, err); err != nil || d.Problem != nil {
		if err != nil {
			return err
		}
		return render()
	}
	for i, rm := range rooms {
		row := roomRow{Room: rm}
		if i < len(a.Mailboxes) {
			m := a.Mailboxes[i]
			row.Busy, row.Error = m.Busy, m.Error
			for hr := range 24 {
				digit := byte('5')
				if hr < len(m.Merged) {
					digit = m.Merged[hr]
				}
				if m.Error != "" {
					digit = '5'
				}
				class, word := slotOf(digit)
				row.Slots = append(row.Slots, roomSlot{Class: class, Label: fmt.Sprintf("%02d:00–%02d:00 %s", hr, (hr+1)%24, word)})
			}
		}
		d.Rooms = append(d.Rooms, row)
	}
	return render()
}

// slotOf is a merged free/busy digit's class and word.
func slotOf(d byte) (string, string) {
	switch d {
	case '0':
		return "slot-free", "Free"
	case '1':
		return "slot-tentative", "Tentative"
	case '2':
		return "slot-busy", "Busy"
	case '3':
		return "slot-oof", "Out of office"
	case '4':
		return "slot-elsewhere", "Working elsewhere"
	}
	return "slot-nodata", "No information"
}

// roomsURL is the Rooms tab for a list and a day.
func roomsURL(c *call, list string, day time.Time) string {
	v := url.Values{"list": {list}, "date": {day.Format(time.DateOnly)}}
	return orgPath(c, "/rooms") + "?" + v.Encode()
}

// roomsTrouble turns what keeps rooms from being listed into words for the page; other
// errors are returned.
func roomsTrouble(c *call, err error) (*roomsProblem, error) {
	var (
		sme *control.ServiceMailboxError
		ee  *control.ExchangeError
		ie  *control.InputError
	)
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &sme):
		return &roomsProblem{Title: "The service account has no mailbox", Message: sentence(sme.Error()), Fix: control.ServiceMailboxFix,
			Link: orgPath(c, "/email"), LinkTo: "Open the Email Configuration"}, nil
	case errors.As(err, &ee):
		return &roomsProblem{Title: "Exchange did not answer", Message: sentence(ee.Error()),
			Fix: "Try again in a minute; if it persists, run the check on the Email Configuration tab.", Link: orgPath(c, "/email"), LinkTo: "Open the Email Configuration"}, nil
	case errors.As(err, &ie) && ie.Fields["email_config"] != "":
		return &roomsProblem{Title: "No Email Configuration yet", Message: ie.Fields["email_config"],
			Link: orgPath(c, "/email"), LinkTo: "Open the Email Configuration"}, nil
	case errors.As(err, &ie) && ie.Fields["access_type"] != "":
		return &roomsProblem{Title: "Rooms need Exchange Impersonation for now", Message: ie.Fields["access_type"],
			Link: orgPath(c, "/email"), LinkTo: "Open the Email Configuration"}, nil
	case errors.As(err, &ie) && ie.Fields["list"] != "":
		return &roomsProblem{Title: "No such room list", Message: ie.Fields["list"], Link: orgPath(c, "/rooms"), LinkTo: "Show the first room list"}, nil
	}
	return nil, err
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
