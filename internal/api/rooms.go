package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
)

// roomJSON is a room list or a room.
type roomJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func roomViews(rs []control.Room) []roomJSON {
	out := make([]roomJSON, len(rs))
	for i, r := range rs {
		out[i] = roomJSON{Name: r.Name, Email: r.Email}
	}
	return out
}

func (h *Handler) listRoomLists(w http.ResponseWriter, r *http.Request, c *call) error {
	lists, err := h.svc.RoomLists(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RoomLists []roomJSON `json:"room_lists"`
	}{roomViews(lists)})
	return nil
}

func (h *Handler) listRooms(w http.ResponseWriter, r *http.Request, c *call) error {
	list := strings.TrimSpace(r.URL.Query().Get("list"))
	if list == "" {
		return badRequest("Query parameter “list” is required: the address of a room list (GET …/rooms/lists names them).",
			map[string]string{"list": "required"})
	}
	rooms, err := h.svc.Rooms(r.Context(), c.p, c.org.ID, list)
	if err != nil {
		return queryError(err, "list")
	}
	writeJSON(w, http.StatusOK, struct {
		List  string     `json:"list"`
		Rooms []roomJSON `json:"rooms"`
	}{strings.ToLower(list), roomViews(rooms)})
	return nil
}

// busyJSON is a time a mailbox is not free.
type busyJSON struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Status string    `json:"status"`
}

// mailboxAvailabilityJSON is one mailbox's free/busy.
type mailboxAvailabilityJSON struct {
	Email  string     `json:"email"`
	Busy   []busyJSON `json:"busy"`
	Merged string     `json:"merged"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (h *Handler) availability(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	var emails []string
	for _, v := range q["emails"] {
		emails = append(emails, strings.Split(v, ",")...)
	}
	aq := control.AvailabilityQuery{Emails: emails}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"start", &aq.Start}, {"end", &aq.End}} {
		t, err := queryTime(r, p.name)
		if err != nil {
			return err
		}
		if t == nil {
			return badRequest("Query parameter “"+p.name+"” is required (RFC 3339, such as 2026-12-01T09:00:00Z).", map[string]string{p.name: "required"})
		}
		*p.dst = *t
	}
	if s := q.Get("interval"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return badRequest("Query parameter “interval” must be a number of minutes.", map[string]string{"interval": "must be a number of minutes"})
		}
		aq.Interval = n
	}
	a, err := h.svc.Availability(r.Context(), c.p, c.org.ID, aq)
	if err != nil {
		return queryError(err, "emails", "start", "end", "interval")
	}
	out := struct {
		Start     time.Time                 `json:"start"`
		End       time.Time                 `json:"end"`
		Interval  int                       `json:"interval"`
		Mailboxes []mailboxAvailabilityJSON `json:"mailboxes"`
	}{a.Start, a.End, a.Interval, make([]mailboxAvailabilityJSON, len(a.Mailboxes))}
	for i, m := range a.Mailboxes {
		mj := mailboxAvailabilityJSON{Email: m.Email, Merged: m.Merged, Busy: make([]busyJSON, len(m.Busy))}
		for j, b := range m.Busy {
			mj.Busy[j] = busyJSON{Start: b.Start.UTC(), End: b.End.UTC(), Status: b.Status}
		}
		if m.Code != "" {
			mj.Error = &struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}{m.Code, m.Error}
		}
		out.Mailboxes[i] = mj
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
