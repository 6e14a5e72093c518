package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// The Rooms tab, server-rendered: contoso's room list and rooms; a day's free/busy
// shows a booking made in Exchange, an hour a cell; the date is chosen with a plain GET
// form; a service account without a mailbox gets the seed's warning and the fix; no
// configuration says what to do.
func TestRoomsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)

	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 120)
	room, err := e.World.Mailbox(ctx, "room-atlas@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := room.CreateItem(exchangesim.FolderByName("calendar"), ews.Item{Subject: "Pipeline review",
		Start: ews.Date(day.Add(10 * time.Hour)), End: ews.Date(day.Add(11*time.Hour + 30*time.Minute)), LegacyFreeBusyStatus: ews.BusyBusy}); err != nil {
		t.Fatal(err)
	}

	page := b.get(base + "/rooms")
	wantStatus(t, page, http.StatusOK)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	wantContains(t, page, `href="`+base+`/rooms" aria-current="page">Rooms</a>`, `<form method="get" action="`+base+`/rooms"`,
		`<option value="hq-rooms@contoso.com" selected>HQ Rooms</option>`, `<label for="rooms-date" class="sr-only">Day</label>`,
		`data-room="room-atlas@contoso.com"`, `data-room="room-borealis@contoso.com"`, `data-room="room-cygnus@contoso.com"`, "Times are UTC")

	page = b.get(base + "/rooms?list=hq-rooms%40contoso.com&date=" + day.Format(time.DateOnly))
	wantStatus(t, page, http.StatusOK)
	atlas := roomRow(t, page.body, "room-atlas@contoso.com")
	for _, want := range []string{`class="slot slot-busy" title="10:00–11:00 Busy"`, `class="slot slot-busy" title="11:00–12:00 Busy"`,
		`class="slot slot-free" title="09:00–10:00 Free"`, "10:00–11:30 Busy", "Atlas Room"} {
		if !strings.Contains(atlas, want) {
			t.Errorf("atlas's row lacks %q:\n%s", want, atlas)
		}
	}
	if borealis := roomRow(t, page.body, "room-borealis@contoso.com"); strings.Contains(borealis, "slot-busy") || !strings.Contains(borealis, "Free all day") {
		t.Errorf("borealis's row:\n%s", borealis)
	}
	next := day.AddDate(0, 0, 1).Format(time.DateOnly)
	wantContains(t, page, `href="`+base+`/rooms?date=`+next+`&amp;list=hq-rooms%40contoso.com" rel="next">Next day</a>`, `value="`+day.Format(time.DateOnly)+`"`)

	bad := b.get(base + "/rooms?date=someday")
	wantStatus(t, bad, http.StatusOK)
	wantContains(t, bad, `id="rooms-date-error"`, "Enter a date as YYYY-MM-DD")
	unknown := b.get(base + "/rooms?list=sales%40contoso.com")
	wantContains(t, unknown, `id="rooms-problem"`, "No such room list", "Exchange knows no room list sales@contoso.com.")

	// A service account without a mailbox.
	nombx := e.Org(t, "No Mailbox", "alice@contoso.com")
	cfg := controltest.ContosoConfig()
	cfg.AccountLogon = "svc-nombx@contoso.com"
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, nombx, cfg); err != nil {
		t.Fatal(err)
	}
	page = e.signedIn(t, nombx).get("/orgs/" + itoa(nombx) + "/rooms")
	wantStatus(t, page, http.StatusOK)
	if err := checkHTML(page.body); err != nil {
		t.Fatal(err)
	}
	wantContains(t, page, `id="rooms-problem"`, "The service account has no mailbox",
		"svc-nombx@contoso.com has no mailbox or no license assigned (ErrorNameResolutionNoMailbox): rooms and other resources will not be retrieved via EWS.",
		"Assign a mailbox and a license to the service account")

	// No configuration yet.
	none := e.Org(t, "Empty")
	page = e.signedIn(t, none).get("/orgs/" + itoa(none) + "/rooms")
	wantStatus(t, page, http.StatusOK)
	wantContains(t, page, "No Email Configuration yet", "Save the Email Configuration first")

	// Another organization's rooms: not found.
	wantStatus(t, b.get("/orgs/"+itoa(nombx)+"/rooms"), http.StatusNotFound)
}

// roomRow returns the table row of a room.
func roomRow(t *testing.T, page, room string) string {
	t.Helper()
	i := strings.Index(page, `data-room="`+room+`"`)
	if i < 0 {
		t.Fatalf("no row for %s", room)
	}
	end := strings.Index(page[i:], "</tr>")
	return page[i : i+end]
}
