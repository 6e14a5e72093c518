package exchangesim

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// docExample extracts the JSON example from Scenario's doc comment, so that the
// documented format is the tested one.
func docExample(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("scenario.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		switch {
		case line == "//\t{":
			in = true
		case !in:
			continue
		}
		b.WriteString(strings.TrimPrefix(line, "//\t") + "\n")
		if line == "//\t}" {
			break
		}
	}
	if b.Len() == 0 {
		t.Fatal("no example in the doc comment")
	}
	return b.String()
}

func TestLoadScenarioDocExample(t *testing.T) {
	t.Parallel()
	sc, err := LoadScenario(strings.NewReader(docExample(t)))
	if err != nil {
		t.Fatal(err)
	}
	w, clock := newWorld(t, sc, WorldConfig{})
	now := clock.Now()
	d := w.Directory()
	if _, pw, ok := w.LookupAccount(`ACME\ann`); !ok || pw != "User-Pass-2026!" {
		t.Fatal("ann cannot sign in")
	}
	if u, ok := d.Lookup("a.lee@acme.test"); !ok || u.PrimarySMTP != "ann@acme.test" || u.DisplayName != "Ann Lee" {
		t.Fatalf("proxy lookup: %+v", u)
	}
	if u, _ := d.Lookup("svc-nomb@acme.test"); u.HasMailbox || u.Licensed {
		t.Fatal("svc-nomb has a mailbox")
	}
	if _, err := w.CheckImpersonation("svc-ews@acme.test", ews.ConnectingSID{SmtpAddress: "a.lee@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CheckImpersonation("svc-ews@acme.test", ews.ConnectingSID{SmtpAddress: "svc-ews@acme.test"}); ews.Code(err) != ews.ErrorImpersonateUserDenied {
		t.Fatalf("out of scope: %v", err)
	}
	if rooms, err := d.Rooms("rooms@acme.test"); err != nil || len(rooms) != 1 || rooms[0].DisplayName != "Room 1" {
		t.Fatalf("rooms %+v, %v", rooms, err)
	}
	ann := mailbox(t, w, "ann@acme.test")
	count := func(ref FolderRef) int { return *must[ews.Folder](t)(ann.Folder(ref)).TotalCount }
	if n := count(FolderByName("inbox")); n != 201 {
		t.Fatalf("inbox %d", n)
	}
	if n := count(FolderByName("calendar")); n != 41 {
		t.Fatalf("calendar %d", n)
	}
	top := must[[]ews.Folder](t)(ann.FindFolders(FolderByName("msgfolderroot"), true))
	paths := map[string]ews.Folder{}
	for _, f := range top {
		paths[f.DisplayName] = f
	}
	if p, ok := paths["Projects"]; !ok || *p.TotalCount != 20 {
		t.Fatalf("inbox/Projects: %+v", p)
	}
	if _, ok := paths["2025"]; !ok || paths["Archive"].ChildFolderCount == nil || *paths["Archive"].ChildFolderCount != 1 {
		t.Fatal("Archive/2025 missing")
	}
	welcome := folderItems(t, ann, FolderByName("inbox"))[0]
	if welcome.Subject != "Welcome" || *welcome.IsRead || welcome.From.Mailbox.Name != "EWS service" ||
		!welcome.DateTimeReceived.Equal(now.Add(-2*time.Hour)) || welcome.Body.BodyType != "HTML" ||
		welcome.ToRecipients.Mailboxes[0].EmailAddress != "ann@acme.test" {
		t.Fatalf("welcome %+v", welcome)
	}
	var kickoff, raj *ews.Item
	for _, it := range folderItems(t, ann, FolderByName("calendar")) {
		if it.Subject == "Kickoff" {
			kickoff = &it
		}
	}
	for _, it := range folderItems(t, ann, FolderByName("contacts")) {
		if it.Surname == "Patel" {
			raj = &it
		}
	}
	if kickoff == nil || !kickoff.Start.Equal(now.Add(24*time.Hour)) || !kickoff.End.Equal(now.Add(25*time.Hour)) || kickoff.Location != "Room 1" {
		t.Fatalf("kickoff %+v", kickoff)
	}
	if raj == nil || raj.DisplayName != "Raj Patel" || raj.EmailAddresses.Entries[0].Value != "raj@fabrikam.test" || raj.CompanyName != "Fabrikam" {
		t.Fatalf("contact %+v", raj)
	}
	if n := len(folderItems(t, mailbox(t, w, "room-1@acme.test"), FolderByName("calendar"))); n != 15 {
		t.Fatalf("room calendar %d", n)
	}
	if n := count(FolderByName("sentitems")); n != 30 {
		t.Fatalf("sent %d", n)
	}
	// The default content goes to users without content of their own.
	if n := *must[ews.Folder](t)(mailbox(t, w, "svc-ews@acme.test").Folder(FolderByName("inbox"))).TotalCount; n != 50 {
		t.Fatalf("svc-ews inbox %d", n)
	}
}

func TestLoadScenarioErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"unknown field":  `{"domains":[{"name":"a.test"}],"users":[{"smtp":"x@a.test","pasword":"p"}]}`,
		"trailing data":  `{"domains":[]} {}`,
		"not json":       `domains: a.test`,
		"negative count": `{"users":[{"smtp":"x@a.test","content":{"counts":{"inbox":-1}}}]}`,
		"empty path":     `{"defaultContent":{"counts":{"/":3}}}`,
		"empty segment":  `{"defaultContent":{"folders":["inbox//x"]}}`,
		"bad time":       `{"defaultContent":{"items":[{"folder":"inbox","received":"yesterday"}]}}`,
		"bad kind":       `{"defaultContent":{"items":[{"folder":"inbox","kind":"fax"}]}}`,
		"bad free busy":  `{"defaultContent":{"items":[{"folder":"calendar","freeBusy":"Maybe"}]}}`,
		"wrong type":     `{"seed":"seven"}`,
	}
	for name, js := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadScenario(strings.NewReader(js)); err == nil {
				t.Fatal("loaded")
			}
		})
	}
	// Errors the directory finds surface from NewWorld.
	for name, js := range map[string]string{
		"unknown domain":     `{"domains":[{"name":"a.test"}],"users":[{"smtp":"x@b.test"}]}`,
		"duplicate user":     `{"domains":[{"name":"a.test"}],"users":[{"smtp":"x@a.test"},{"smtp":"X@a.test"}]}`,
		"unknown member":     `{"domains":[{"name":"a.test"}],"groups":[{"smtp":"g@a.test","members":["y@a.test"]}]}`,
		"unknown scope":      `{"domains":[{"name":"a.test"}],"users":[{"smtp":"x@a.test"}],"roleAssignments":[{"user":"x@a.test","scope":"S"}]}`,
		"person in roomlist": `{"domains":[{"name":"a.test"}],"users":[{"smtp":"x@a.test"}],"groups":[{"smtp":"r@a.test","roomList":true,"members":["x@a.test"]}]}`,
		"duplicate domain":   `{"domains":[{"name":"a.test"},{"name":"A.test"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			sc, err := LoadScenario(strings.NewReader(js))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := NewWorld(sc, WorldConfig{Clock: newTestClock().Now}); err == nil {
				t.Fatal("built")
			}
		})
	}
}

func TestNestedGroups(t *testing.T) {
	t.Parallel()
	sc, err := LoadScenario(strings.NewReader(`{"domains":[{"name":"a.test"}],
		"users":[{"smtp":"x@a.test"},{"smtp":"y@a.test"},{"smtp":"z@a.test","mailbox":false}],
		"groups":[{"smtp":"outer@a.test","members":["inner@a.test","x@a.test"]},{"smtp":"inner@a.test","members":["y@a.test","z@a.test","outer@a.test"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := newWorld(t, sc, WorldConfig{})
	users, ok := w.Directory().ExpandGroup("outer@a.test")
	var got []string
	for _, u := range users {
		got = append(got, u.PrimarySMTP)
	}
	if !ok || joinStr(got) != "y@a.test z@a.test x@a.test" {
		t.Fatalf("expanded %v", got)
	}
	msg := newMessage("hi")
	msg.ToRecipients = &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: "outer@a.test"}}}
	if to := must[[]string](t)(w.Deliver(t.Context(), msg)); joinStr(to) != "y@a.test x@a.test" {
		t.Fatalf("delivered to %v", to)
	}
}

func TestContosoScenarioRoundTripsThroughJSON(t *testing.T) {
	t.Parallel()
	js, err := json.Marshal(Contoso())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := LoadScenario(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := newWorld(t, sc, WorldConfig{Seed: 1})
	b, _ := contosoWorld(t)
	for _, u := range []string{"alice@contoso.com", "room-atlas@contoso.com"} {
		for _, f := range []string{"inbox", "calendar"} {
			if !bytes.Equal(marshalFolder(t, mailbox(t, a, u), f), marshalFolder(t, mailbox(t, b, u), f)) {
				t.Fatalf("%s %s differs after a JSON round trip", u, f)
			}
		}
	}
	if joinStr(userNames(a)) != joinStr(userNames(b)) {
		t.Fatal("directories differ")
	}
}

func userNames(w *World) []string {
	var out []string
	for _, u := range w.Directory().Users() {
		out = append(out, u.PrimarySMTP+"/"+u.SID+"/"+u.DisplayName)
	}
	return out
}
