package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// availabilityJSON is the availability answer.
type availabilityJSON struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Interval  int       `json:"interval"`
	Mailboxes []struct {
		Email string `json:"email"`
		Busy  []struct {
			Start  time.Time `json:"start"`
			End    time.Time `json:"end"`
			Status string    `json:"status"`
		} `json:"busy"`
		Merged string `json:"merged"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"mailboxes"`
}

// Rooms through the saved service account: contoso's room list and its rooms; a room's
// free/busy shows a booking made in Exchange; an address that is no mailbox has its own
// error; windows over 42 days, missing or bad parameters are 400; a service account
// without a mailbox gets the seed's warning with the fix; another organization's rooms
// are 404.
func TestRooms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso", "alice@contoso.com")
	v := ids{org: org}
	// Before the Email Configuration is saved: what to do.
	er := e.do(t, tok, "GET", path("/api/v1/orgs/{org}/rooms/lists", v), nil).wantErr(t, 422, "invalid_input")
	if !strings.Contains(er.Error.Message, "Save the Email Configuration first") {
		t.Fatalf("no configuration: %+v", er.Error)
	}
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", v), contosoConfig()).want(t, 200)

	var lists struct {
		RoomLists []struct{ Name, Email string } `json:"room_lists"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/rooms/lists", v), nil).want(t, 200).decode(t, &lists)
	if len(lists.RoomLists) != 1 || lists.RoomLists[0].Email != "hq-rooms@contoso.com" || lists.RoomLists[0].Name != "HQ Rooms" {
		t.Fatalf("room lists %+v", lists)
	}
	var rooms struct {
		List  string                         `json:"list"`
		Rooms []struct{ Name, Email string } `json:"rooms"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/rooms?list=HQ-Rooms%40contoso.com", v), nil).want(t, 200).decode(t, &rooms)
	var got []string
	for _, r := range rooms.Rooms {
		got = append(got, r.Name+" <"+r.Email+">")
	}
	if want := "Atlas Room <room-atlas@contoso.com>, Borealis Room <room-borealis@contoso.com>, Cygnus Room <room-cygnus@contoso.com>"; strings.Join(got, ", ") != want || rooms.List != "hq-rooms@contoso.com" {
		t.Fatalf("rooms %s %q", rooms.List, got)
	}

	// A day beyond the rooms' generated bookings (±90 days): free, until booked.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 120)
	avail := func(query string) availabilityJSON {
		t.Helper()
		var a availabilityJSON
		e.do(t, tok, "GET", path("/api/v1/orgs/{org}/availability", v)+"?"+query, nil).want(t, 200).decode(t, &a)
		return a
	}
	dayQuery := "emails=room-atlas@contoso.com,ROOM-BOREALIS@contoso.com&emails=nobody@contoso.com&interval=60&start=" +
		url.QueryEscape(day.Format(time.RFC3339)) + "&end=" + url.QueryEscape(day.AddDate(0, 0, 1).Format(time.RFC3339))
	a := avail(dayQuery)
	if len(a.Mailboxes) != 3 || a.Interval != 60 || !a.Start.Equal(day) || a.Mailboxes[0].Email != "room-atlas@contoso.com" ||
		a.Mailboxes[1].Email != "room-borealis@contoso.com" || len(a.Mailboxes[0].Busy) != 0 || a.Mailboxes[0].Merged != strings.Repeat("0", 24) {
		t.Fatalf("before the booking: %+v", a)
	}
	if nb := a.Mailboxes[2]; nb.Error == nil || nb.Error.Code != "ErrorMailRecipientNotFound" || nb.Busy == nil || len(nb.Busy) != 0 {
		t.Fatalf("an address that is no mailbox: %+v", nb)
	}
	room, err := e.World.Mailbox(ctx, "room-atlas@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	from, to := day.Add(10*time.Hour), day.Add(11*time.Hour+30*time.Minute)
	if _, err := room.CreateItem(exchangesim.FolderByName("calendar"), ews.Item{Subject: "Pipeline review", Start: ews.Date(from), End: ews.Date(to),
		LegacyFreeBusyStatus: ews.BusyBusy}); err != nil {
		t.Fatal(err)
	}
	a = avail(dayQuery)
	atlas := a.Mailboxes[0]
	if len(atlas.Busy) != 1 || !atlas.Busy[0].Start.Equal(from) || !atlas.Busy[0].End.Equal(to) || atlas.Busy[0].Status != "Busy" ||
		atlas.Merged != strings.Repeat("0", 10)+"22"+strings.Repeat("0", 12) || atlas.Error != nil {
		t.Fatalf("after the booking: %+v", atlas)
	}
	if len(a.Mailboxes[1].Busy) != 0 {
		t.Fatalf("borealis: %+v", a.Mailboxes[1])
	}
	// A window of exactly 42 days is Exchange's maximum, and fine.
	start := day.Format(time.RFC3339)
	a = avail("emails=room-atlas@contoso.com&start=" + url.QueryEscape(start) + "&end=" + url.QueryEscape(day.AddDate(0, 0, 42).Format(time.RFC3339)))
	if len(a.Mailboxes) != 1 || len(a.Mailboxes[0].Busy) != 1 || a.Interval != 30 {
		t.Fatalf("42 days: %+v", a)
	}

	bad := []struct {
		name, query, field, msg string
	}{
		{"window over 42 days", "emails=room-atlas@contoso.com&start=" + start + "&end=" + day.AddDate(0, 0, 42).Add(time.Minute).Format(time.RFC3339), "end", "at most 42 days"},
		{"a year", "emails=room-atlas@contoso.com&start=2026-01-01&end=2027-01-01", "end", "42 days"},
		{"reversed window", "emails=room-atlas@contoso.com&start=2026-12-02&end=2026-12-01", "end", "later than the start"},
		{"no emails", "start=2026-12-01&end=2026-12-02", "emails", "at least one"},
		{"bad email", "emails=room-atlas&start=2026-12-01&end=2026-12-02", "emails", "not an email address"},
		{"too many emails", "emails=" + manyAddresses(101) + "&start=2026-12-01&end=2026-12-02", "emails", "at most 100"},
		{"no start", "emails=room-atlas@contoso.com&end=2026-12-02", "start", "required"},
		{"bad end", "emails=room-atlas@contoso.com&start=2026-12-01&end=tomorrow", "end", "RFC 3339"},
		{"interval too short", "emails=room-atlas@contoso.com&start=2026-12-01&end=2026-12-02&interval=1", "interval", "5 to 1440"},
		{"interval not a number", "emails=room-atlas@contoso.com&start=2026-12-01&end=2026-12-02&interval=half", "interval", "minutes"},
	}
	for _, b := range bad {
		er := e.do(t, tok, "GET", path("/api/v1/orgs/{org}/availability", v)+"?"+b.query, nil).wantErr(t, 400, "invalid_input")
		if er.Error.Fields[b.field] == "" || !strings.Contains(er.Error.Message, b.msg) {
			t.Errorf("%s: %+v", b.name, er.Error)
		}
	}
	er = e.do(t, tok, "GET", path("/api/v1/orgs/{org}/rooms", v), nil).wantErr(t, 400, "invalid_input")
	if er.Error.Fields["list"] == "" {
		t.Fatalf("no list: %+v", er.Error)
	}
	er = e.do(t, tok, "GET", path("/api/v1/orgs/{org}/rooms?list=sales%40contoso.com", v), nil).wantErr(t, 400, "invalid_input")
	if !strings.Contains(er.Error.Message, "no room list sales@contoso.com") {
		t.Fatalf("not a room list: %+v", er.Error)
	}

	// Another organization: 404, whatever its own configuration.
	other, otherTok := e.org(t, "Fabrikam")
	e.do(t, otherTok, "PUT", path("/api/v1/orgs/{org}/email-config", ids{org: other}), contosoConfig()).want(t, 200)
	for _, p := range []string{"/rooms/lists", "/rooms?list=hq-rooms%40contoso.com", "/availability?" + dayQuery} {
		e.do(t, otherTok, "GET", path("/api/v1/orgs/{org}", v)+p, nil).wantErr(t, 404, "not_found")
	}

	// A service account without a mailbox: the seed's warning, with the fix.
	nombx, nombxTok := e.org(t, "No Mailbox")
	cfg := contosoConfig()
	cfg["account_logon"] = "svc-nombx@contoso.com"
	e.do(t, nombxTok, "PUT", path("/api/v1/orgs/{org}/email-config", ids{org: nombx}), cfg).want(t, 200)
	for _, p := range []string{"/rooms/lists", "/rooms?list=hq-rooms%40contoso.com"} {
		r := e.do(t, nombxTok, "GET", path("/api/v1/orgs/{org}", ids{org: nombx})+p, nil)
		er := r.wantErr(t, 409, "service_mailbox_missing")
		var fix struct {
			Error struct {
				Fix string `json:"fix"`
			} `json:"error"`
		}
		r.decode(t, &fix)
		if !strings.Contains(er.Error.Message, "svc-nombx@contoso.com has no mailbox") || !strings.Contains(er.Error.Message, "rooms and other resources will not be retrieved") ||
			!strings.Contains(er.Error.Message, "ErrorNameResolutionNoMailbox") || !strings.Contains(fix.Error.Fix, "mailbox and a license") {
			t.Fatalf("%s: %s", p, r.body)
		}
	}
}

// manyAddresses is n addresses, comma-separated.
func manyAddresses(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("room%d@contoso.com", i)
	}
	return strings.Join(out, ",")
}
