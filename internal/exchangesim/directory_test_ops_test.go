package exchangesim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Tests of the directory and availability operations: ResolveNames, GetRoomLists,
// GetRooms, ExpandDL and GetUserAvailability. Expected values come from the World the
// simulator serves, not from hard-coded copies of generated content.

// callWithHeader sends op with the given SOAP headers (for TimeZoneContext), validates the
// response against the schema and decodes it.
func callWithHeader(t *testing.T, c *ewsCaller, h *ews.RequestHeader, op string, req, resp any) error {
	t.Helper()
	var buf bytes.Buffer
	if err := ews.EncodeRequest(&buf, h, op, req); err != nil {
		t.Fatal(err)
	}
	status, body := c.post(buf.Bytes())
	if status != http.StatusOK && status != http.StatusInternalServerError {
		t.Fatalf("HTTP %d", status)
	}
	ewsschema.Validate(t, ewsschema.Exchange2016, op, body)
	_, err := ews.DecodeResponse(bytes.NewReader(body), ews.ResponseName(op), resp)
	return err
}

// wantFault fails unless err is a SOAP fault with the given code.
func wantFault(t *testing.T, err error, code string) {
	t.Helper()
	var re *ews.ResponseError
	if !errors.As(err, &re) || !re.Fault || re.Code != code {
		t.Fatalf("err = %v, want fault %s", err, code)
	}
}

// wantMessage fails unless m has the given class and code.
func wantMessage(t *testing.T, m ews.ResponseMessage, class, code string) {
	t.Helper()
	if m.ResponseClass != class || m.ResponseCode != code {
		t.Fatalf("message %s/%s (%q), want %s/%s", m.ResponseClass, m.ResponseCode, m.MessageText, class, code)
	}
}

func addresses(rs []ews.Resolution) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Mailbox.EmailAddress
	}
	return out
}

// ---- ResolveNames ----

func TestDirectoryOpsResolveNamesDirectory(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	dir := s.Sim.World().Directory()
	display := func(addr string) string {
		u, ok := dir.Lookup(addr)
		if !ok {
			t.Fatalf("no %s in contoso", addr)
		}
		return u.DisplayName
	}
	cases := []struct {
		entry string
		class string
		code  string
		want  []string // addresses, in order (sorted by display name)
	}{
		{"alice@contoso.com", ews.ClassSuccess, ews.NoError, []string{"alice@contoso.com"}},
		{"smtp:carol@contoso.com", ews.ClassSuccess, ews.NoError, []string{"carol@contoso.com"}},
		{"Anderson", ews.ClassSuccess, ews.NoError, []string{"alice@contoso.com"}}, // surname
		{"dave", ews.ClassSuccess, ews.NoError, []string{"dave@contoso.com"}},      // given name, alias
		{"Erin Ev", ews.ClassSuccess, ews.NoError, []string{"erin@contoso.com"}},   // display name prefix
		{"frank", ews.ClassSuccess, ews.NoError, []string{"frank@contoso.com"}},    // mail user, no mailbox
		{"HQ", ews.ClassSuccess, ews.NoError, []string{"hq-rooms@contoso.com"}},    // a room list
		{"room-", ews.ClassWarning, ews.ErrorNameResolutionMultipleResults, []string{ // three rooms
			"room-atlas@contoso.com", "room-borealis@contoso.com", "room-cygnus@contoso.com"}},
		{"b", ews.ClassWarning, ews.ErrorNameResolutionMultipleResults, []string{"bob@contoso.com", "room-borealis@contoso.com"}},
		{"nobody-here", ews.ClassError, ews.ErrorNameResolutionNoResults, nil},
		{`foo\bar`, ews.ClassError, ews.ErrorNameResolutionNoResults, nil},
	}
	req := &ews.ResolveNamesRequest{SearchScope: ews.ScopeActiveDirectory}
	for _, c := range cases {
		req.UnresolvedEntries = append(req.UnresolvedEntries, c.entry)
	}
	var resp ews.ResolveNamesResponse
	s.svcAs(t, "alice@contoso.com").mustCall(ews.OpResolveNames, req, &resp)
	if len(resp.ResponseMessages) != len(cases) {
		t.Fatalf("%d messages for %d entries", len(resp.ResponseMessages), len(cases))
	}
	for i, c := range cases {
		t.Run(c.entry, func(t *testing.T) {
			m := resp.ResponseMessages[i]
			wantMessage(t, m.ResponseMessage, c.class, c.code)
			if c.want == nil {
				if m.ResolutionSet != nil {
					t.Fatalf("resolution set with an error: %+v", m.ResolutionSet)
				}
				return
			}
			set := m.ResolutionSet
			if got := addresses(set.Resolutions); !slices.Equal(got, c.want) {
				t.Fatalf("resolved %v, want %v", got, c.want)
			}
			if set.TotalItemsInView != len(c.want) || !set.IncludesLastItemInRange {
				t.Errorf("TotalItemsInView %d IncludesLastItemInRange %v", set.TotalItemsInView, set.IncludesLastItemInRange)
			}
			for _, r := range set.Resolutions {
				wantType := "Mailbox"
				if _, isGroup := dir.Group(r.Mailbox.EmailAddress); isGroup {
					wantType = "PublicDL"
				} else if r.Mailbox.Name != display(r.Mailbox.EmailAddress) {
					t.Errorf("%s named %q", r.Mailbox.EmailAddress, r.Mailbox.Name)
				}
				if r.Mailbox.RoutingType != "SMTP" || r.Mailbox.MailboxType != wantType || r.Contact != nil {
					t.Errorf("resolution %+v (contact %v), want %s without contact", r.Mailbox, r.Contact != nil, wantType)
				}
			}
		})
	}
}

func TestDirectoryOpsResolveNamesFullContactData(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	cases := []struct {
		shape string
		check func(t *testing.T, c *ews.Item)
	}{
		{"", func(t *testing.T, c *ews.Item) {
			if c.DisplayName != "Alice Anderson" || c.GivenName != "Alice" || c.Surname != "Anderson" || c.Department != "Sales" {
				t.Errorf("contact %+v", c)
			}
			if c.EmailAddresses == nil || len(c.EmailAddresses.Entries) == 0 ||
				c.EmailAddresses.Entries[0].Key != "EmailAddress1" || c.EmailAddresses.Entries[0].Value != "SMTP:alice@contoso.com" {
				t.Errorf("email addresses %+v", c.EmailAddresses)
			}
		}},
		{ews.ShapeIdOnly, func(t *testing.T, c *ews.Item) {
			if c.DirectoryId == "" || c.DisplayName != "" || c.EmailAddresses != nil {
				t.Errorf("IdOnly contact %+v", c)
			}
		}},
		{ews.ShapeAllProperties, func(t *testing.T, c *ews.Item) {
			if c.DirectoryId == "" || c.Alias != "alice" || c.DisplayName != "Alice Anderson" {
				t.Errorf("AllProperties contact %+v", c)
			}
		}},
	}
	for _, c := range cases {
		t.Run("shape="+c.shape, func(t *testing.T) {
			var resp ews.ResolveNamesResponse
			s.svcAs(t, "alice@contoso.com").mustCall(ews.OpResolveNames, &ews.ResolveNamesRequest{
				ReturnFullContactData: true, SearchScope: ews.ScopeActiveDirectory, ContactDataShape: c.shape,
				UnresolvedEntries: []string{"alice@contoso.com"},
			}, &resp)
			m := resp.ResponseMessages[0]
			wantMessage(t, m.ResponseMessage, ews.ClassSuccess, ews.NoError)
			r := m.ResolutionSet.Resolutions[0]
			if r.Contact == nil || r.Contact.Kind() != ews.KindContact || r.Contact.ContactSource != "ActiveDirectory" {
				t.Fatalf("contact %+v", r.Contact)
			}
			c.check(t, r.Contact)
		})
	}
}

func TestDirectoryOpsResolveNamesContacts(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	ctx := context.Background()
	mb, err := s.Sim.World().Mailbox(ctx, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	page, err := mb.FindItems(exchangesim.FolderByName("contacts"), exchangesim.ItemQuery{})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("alice's contacts: %v (%d)", err, len(page.Items))
	}
	contact := page.Items[0]
	email := strings.TrimPrefix(contact.EmailAddresses.Entries[0].Value, "SMTP:")

	for _, scope := range []string{ews.ScopeContacts, ews.ScopeContactsActiveDirectory, ews.ScopeActiveDirectoryContacts} {
		t.Run(scope, func(t *testing.T) {
			var resp ews.ResolveNamesResponse
			s.svcAs(t, "alice@contoso.com").mustCall(ews.OpResolveNames, &ews.ResolveNamesRequest{
				ReturnFullContactData: true, SearchScope: scope, UnresolvedEntries: []string{contact.DisplayName, email},
			}, &resp)
			for i, m := range resp.ResponseMessages {
				if m.ResponseMessage.ResponseClass == ews.ClassError {
					t.Fatalf("entry %d: %s", i, m.ResponseCode)
				}
				found := false
				for _, r := range m.ResolutionSet.Resolutions {
					if r.Mailbox.MailboxType != "Contact" || r.Mailbox.ItemId == nil || r.Contact != nil {
						t.Errorf("store resolution %+v (contact %v)", r.Mailbox, r.Contact != nil)
					}
					if !strings.HasPrefix(strings.ToLower(r.Mailbox.Name), strings.ToLower(contact.DisplayName)) && i == 0 {
						t.Errorf("%q matched %q", contact.DisplayName, r.Mailbox.Name)
					}
					if r.Mailbox.ItemId != nil && r.Mailbox.ItemId.Id == contact.ItemId.Id && r.Mailbox.EmailAddress == email {
						found = true
					}
				}
				if !found {
					t.Errorf("entry %d: contact %s (%s) not among %v", i, contact.DisplayName, email, addresses(m.ResolutionSet.Resolutions))
				}
			}
		})
	}

	t.Run("folder that is not a contacts folder", func(t *testing.T) {
		var resp ews.ResolveNamesResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpResolveNames, &ews.ResolveNamesRequest{
			SearchScope:       ews.ScopeContacts,
			ParentFolderIds:   &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
			UnresolvedEntries: []string{"a"},
		}, &resp)
		wantMessage(t, resp.ResponseMessages[0].ResponseMessage, ews.ClassError, "ErrorResolveNamesInvalidFolderType")
	})
	t.Run("two contacts folders", func(t *testing.T) {
		var resp ews.ResolveNamesResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpResolveNames, &ews.ResolveNamesRequest{
			SearchScope:       ews.ScopeContacts,
			ParentFolderIds:   &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("contacts"), ews.DistinguishedFolder("contacts")}},
			UnresolvedEntries: []string{"a"},
		}, &resp)
		wantMessage(t, resp.ResponseMessages[0].ResponseMessage, ews.ClassError, "ErrorResolveNamesOnlyOneContactsFolderAllowed")
	})
}

// An account without a mailbox can search the directory but not its (absent) contacts.
func TestDirectoryOpsResolveNamesWithoutMailbox(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	nombx := s.as(t, "svc-nombx@contoso.com", exchangesim.DefaultServicePassword, "")
	cases := []struct {
		scope string
		class string
		code  string
	}{
		{ews.ScopeActiveDirectory, ews.ClassSuccess, ews.NoError},
		{ews.ScopeActiveDirectoryContacts, ews.ClassError, ews.ErrorNonExistentMailbox},
		{"", ews.ClassError, ews.ErrorNonExistentMailbox}, // the default scope searches contacts
		{ews.ScopeContacts, ews.ClassError, ews.ErrorNonExistentMailbox},
	}
	for _, c := range cases {
		t.Run("scope="+c.scope, func(t *testing.T) {
			var resp ews.ResolveNamesResponse
			nombx.mustCall(ews.OpResolveNames, &ews.ResolveNamesRequest{SearchScope: c.scope, UnresolvedEntries: []string{"alice@contoso.com"}}, &resp)
			wantMessage(t, resp.ResponseMessages[0].ResponseMessage, c.class, c.code)
		})
	}
}

func TestDirectoryOpsResolveNamesAtMostHundred(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(120, 0, 1)})
	users, _ := s.Sim.World().Directory().Search("user")
	if len(users) <= ews.MaxResolutions {
		t.Fatalf("scenario has only %d users matching", len(users))
	}
	var resp ews.ResolveNamesResponse
	s.as(t, "svc-sync@example.com", exchangesim.DefaultServicePassword, "").mustCall(ews.OpResolveNames,
		&ews.ResolveNamesRequest{SearchScope: ews.ScopeActiveDirectory, UnresolvedEntries: []string{"user"}}, &resp)
	m := resp.ResponseMessages[0]
	wantMessage(t, m.ResponseMessage, ews.ClassWarning, ews.ErrorNameResolutionMultipleResults)
	if set := m.ResolutionSet; len(set.Resolutions) != ews.MaxResolutions || set.TotalItemsInView != ews.MaxResolutions || set.IncludesLastItemInRange {
		t.Fatalf("%d resolutions, TotalItemsInView %d, IncludesLastItemInRange %v", len(set.Resolutions), set.TotalItemsInView, set.IncludesLastItemInRange)
	}
}

// ---- GetRoomLists and GetRooms ----

// Room lists and rooms are read as the effective caller, which must have a mailbox: a
// service account without one fails when it calls as itself, and succeeds when it
// impersonates a user (whose mailbox is then the one that counts), as in Exchange.
func TestDirectoryOpsRooms(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	svc := exchangesim.DefaultServicePassword
	callers := []struct {
		name   string
		caller *ewsCaller
		ok     bool
	}{
		{"svc-sync as itself", s.as(t, "svc-sync@contoso.com", svc, ""), true},
		{"svc-sync impersonating alice", s.svcAs(t, "alice@contoso.com"), true},
		{"svc-nombx as itself", s.as(t, "svc-nombx@contoso.com", svc, ""), false},
		{"svc-nombx impersonating alice", s.as(t, "svc-nombx@contoso.com", svc, "alice@contoso.com"), true},
		{"bob as himself", s.as(t, "bob@contoso.com", exchangesim.DefaultUserPassword, ""), true},
	}
	wantRooms := []string{"room-atlas@contoso.com", "room-borealis@contoso.com", "room-cygnus@contoso.com"}
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			var lists ews.GetRoomListsResponse
			c.caller.mustCall(ews.OpGetRoomLists, &ews.GetRoomListsRequest{}, &lists)
			var rooms ews.GetRoomsResponse
			c.caller.mustCall(ews.OpGetRooms, &ews.GetRoomsRequest{RoomList: ews.EmailAddress{EmailAddress: "hq-rooms@contoso.com"}}, &rooms)
			if !c.ok {
				wantMessage(t, lists.ResponseMessage, ews.ClassError, ews.ErrorNameResolutionNoMailbox)
				wantMessage(t, rooms.ResponseMessage, ews.ClassError, ews.ErrorNameResolutionNoMailbox)
				if lists.RoomLists != nil || rooms.Rooms != nil {
					t.Errorf("payload with an error: %+v %+v", lists.RoomLists, rooms.Rooms)
				}
				return
			}
			wantMessage(t, lists.ResponseMessage, ews.ClassSuccess, ews.NoError)
			want := ews.EmailAddress{Name: "HQ Rooms", EmailAddress: "hq-rooms@contoso.com", RoutingType: "SMTP", MailboxType: "PublicDL"}
			if lists.RoomLists == nil || len(lists.RoomLists.Addresses) != 1 || lists.RoomLists.Addresses[0] != want {
				t.Fatalf("room lists %+v", lists.RoomLists)
			}
			wantMessage(t, rooms.ResponseMessage, ews.ClassSuccess, ews.NoError)
			var got []string
			for _, r := range rooms.Rooms.Rooms {
				if r.Id.RoutingType != "SMTP" || r.Id.MailboxType != "Mailbox" || r.Id.Name == "" {
					t.Errorf("room %+v", r.Id)
				}
				got = append(got, r.Id.EmailAddress)
			}
			if !slices.Equal(got, wantRooms) {
				t.Errorf("rooms %v, want %v (sorted by display name)", got, wantRooms)
			}
		})
	}
	for _, list := range []string{"nowhere@contoso.com", "sales@contoso.com", "alice@contoso.com"} {
		t.Run("GetRooms "+list, func(t *testing.T) {
			var rooms ews.GetRoomsResponse
			s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetRooms, &ews.GetRoomsRequest{RoomList: ews.EmailAddress{EmailAddress: list}}, &rooms)
			wantMessage(t, rooms.ResponseMessage, ews.ClassError, ews.ErrorNameResolutionNoResults)
		})
	}
}

// ---- ExpandDL ----

func TestDirectoryOpsExpandDL(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	w := s.Sim.World()
	if err := w.AddGroup(exchangesim.GroupSpec{SMTP: "everyone@contoso.com", DisplayName: "Everyone",
		Members: []string{"sales@contoso.com", "bob@contoso.com", "room-atlas@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	expected := func(group string) []ews.EmailAddress {
		g, ok := w.Directory().Group(group)
		if !ok {
			t.Fatalf("no group %s", group)
		}
		var out []ews.EmailAddress
		for _, m := range g.Members {
			if sub, ok := w.Directory().Group(m); ok {
				out = append(out, ews.EmailAddress{Name: sub.DisplayName, EmailAddress: m, RoutingType: "SMTP", MailboxType: "PublicDL"})
				continue
			}
			u, _ := w.Directory().Lookup(m)
			out = append(out, ews.EmailAddress{Name: u.DisplayName, EmailAddress: m, RoutingType: "SMTP", MailboxType: "Mailbox"})
		}
		return out
	}
	cases := []struct {
		name  string
		list  ews.EmailAddress
		group string // expected expansion; "" for an error
		code  string
	}{
		{"by address", ews.EmailAddress{EmailAddress: "sales@contoso.com", RoutingType: "SMTP", MailboxType: "PublicDL"}, "sales@contoso.com", ""},
		{"smtp: prefix", ews.EmailAddress{EmailAddress: "smtp:sales@contoso.com"}, "sales@contoso.com", ""},
		{"by alias", ews.EmailAddress{EmailAddress: "sales"}, "sales@contoso.com", ""},
		{"by display name", ews.EmailAddress{EmailAddress: "Everyone"}, "everyone@contoso.com", ""},
		{"nested list stays one level", ews.EmailAddress{EmailAddress: "everyone@contoso.com"}, "everyone@contoso.com", ""},
		{"unknown", ews.EmailAddress{EmailAddress: "nobody@contoso.com"}, "", ews.ErrorNameResolutionNoResults},
		{"a user is no list", ews.EmailAddress{EmailAddress: "alice@contoso.com"}, "", ews.ErrorNameResolutionNoResults},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp ews.ExpandDLResponse
			s.svcAs(t, "alice@contoso.com").mustCall(ews.OpExpandDL, &ews.ExpandDLRequest{Mailbox: c.list}, &resp)
			if len(resp.ResponseMessages) != 1 {
				t.Fatalf("%d messages", len(resp.ResponseMessages))
			}
			m := resp.ResponseMessages[0]
			if c.group == "" {
				wantMessage(t, m.ResponseMessage, ews.ClassError, c.code)
				return
			}
			wantMessage(t, m.ResponseMessage, ews.ClassSuccess, ews.NoError)
			want := expected(c.group)
			if !slices.Equal(m.DLExpansion.Mailboxes, want) {
				t.Fatalf("members\n%+v\nwant\n%+v", m.DLExpansion.Mailboxes, want)
			}
			if m.DLExpansion.TotalItemsInView != len(want) || !m.DLExpansion.IncludesLastItemInRange {
				t.Errorf("TotalItemsInView %d IncludesLastItemInRange %v", m.DLExpansion.TotalItemsInView, m.DLExpansion.IncludesLastItemInRange)
			}
		})
	}

	t.Run("sales has six members, frank a mail user", func(t *testing.T) {
		var resp ews.ExpandDLResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpExpandDL, &ews.ExpandDLRequest{Mailbox: ews.EmailAddress{EmailAddress: "sales@contoso.com"}}, &resp)
		got := resp.ResponseMessages[0].DLExpansion.Mailboxes
		want := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
		if len(got) != len(want) {
			t.Fatalf("%d members", len(got))
		}
		for i, m := range got {
			if m.EmailAddress != want[i]+"@contoso.com" || m.MailboxType != "Mailbox" {
				t.Errorf("member %d: %+v", i, m)
			}
		}
	})
	t.Run("caller without a mailbox", func(t *testing.T) {
		var resp ews.ExpandDLResponse
		s.as(t, "svc-nombx@contoso.com", exchangesim.DefaultServicePassword, "").mustCall(ews.OpExpandDL,
			&ews.ExpandDLRequest{Mailbox: ews.EmailAddress{EmailAddress: "sales@contoso.com"}}, &resp)
		wantMessage(t, resp.ResponseMessages[0].ResponseMessage, ews.ClassError, ews.ErrorNameResolutionNoMailbox)
	})
	t.Run("item id of a contact", func(t *testing.T) {
		mb, err := w.Mailbox(context.Background(), "alice@contoso.com")
		if err != nil {
			t.Fatal(err)
		}
		page, err := mb.FindItems(exchangesim.FolderByName("contacts"), exchangesim.ItemQuery{Max: 1})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("contacts: %v", err)
		}
		var resp ews.ExpandDLResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpExpandDL, &ews.ExpandDLRequest{Mailbox: ews.EmailAddress{ItemId: page.Items[0].ItemId}}, &resp)
		wantMessage(t, resp.ResponseMessages[0].ResponseMessage, ews.ClassError, "ErrorInvalidItemForOperationExpandDL")
	})
}

// ---- GetUserAvailability ----

// utcZone is UTC in the availability service's form.
var utcZone = ews.SerializableTimeZone{
	StandardTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOfWeek: "Sunday"},
	DaylightTime: ews.SerializableTimeZoneTime{Time: "00:00:00", DayOfWeek: "Sunday"},
}

// pacific is "Pacific Standard Time": UTC-8, daylight time (UTC-7) from the second Sunday
// of March to the first Sunday of November.
var pacific = ews.SerializableTimeZone{
	Bias:         480,
	StandardTime: ews.SerializableTimeZoneTime{Bias: 0, Time: "02:00:00", DayOrder: 1, Month: 11, DayOfWeek: "Sunday"},
	DaylightTime: ews.SerializableTimeZoneTime{Bias: -60, Time: "02:00:00", DayOrder: 2, Month: 3, DayOfWeek: "Sunday"},
}

func mailboxData(addrs ...string) []ews.MailboxData {
	out := make([]ews.MailboxData, len(addrs))
	for i, a := range addrs {
		out[i] = ews.MailboxData{Email: ews.AvailabilityAddress{Address: a}, AttendeeType: ews.AttendeeRequired}
	}
	return out
}

func availabilityRequest(tz *ews.SerializableTimeZone, start, end time.Time, interval int, view string, addrs ...string) *ews.GetUserAvailabilityRequest {
	return &ews.GetUserAvailabilityRequest{
		TimeZone:         tz,
		MailboxDataArray: mailboxData(addrs...),
		FreeBusyViewOptions: &ews.FreeBusyViewOptions{
			TimeWindow:                      ews.TimeWindow{StartTime: ews.Local(start), EndTime: ews.Local(end)},
			MergedFreeBusyIntervalInMinutes: &interval,
			RequestedView:                   view,
		},
	}
}

// calendarItems returns the calendar items of owner that overlap [start, end), from the
// World.
func calendarItems(t *testing.T, s *simServer, owner string, start, end time.Time) []ews.Item {
	t.Helper()
	mb, err := s.Sim.World().Mailbox(context.Background(), owner)
	if err != nil {
		t.Fatal(err)
	}
	page, err := mb.FindItems(exchangesim.FolderByName("calendar"), exchangesim.ItemQuery{Start: start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

var mergedDigit = map[string]byte{"Free": '0', "Tentative": '1', "Busy": '2', "OOF": '3', "WorkingElsewhere": '4'}
var mergedWeight = map[byte]int{'0': 1, '1': 2, '2': 3, '3': 4, '4': 1}

// expectedMerged computes a MergedFreeBusy string for Exchange 2013+ requests: a slot shows
// the strongest status of the events overlapping it (OOF > Busy > Tentative > Free).
func expectedMerged(items []ews.Item, start, end time.Time, interval time.Duration) string {
	n := int((end.Sub(start) + interval - 1) / interval)
	out := bytes.Repeat([]byte{'0'}, n)
	for i := range out {
		from, to := start.Add(time.Duration(i)*interval), start.Add(time.Duration(i+1)*interval)
		for _, it := range items {
			status := it.LegacyFreeBusyStatus
			if status == "" {
				status = "Busy"
			}
			if it.Start.Before(to) && it.End.After(from) && mergedWeight[mergedDigit[status]] > mergedWeight[out[i]] {
				out[i] = mergedDigit[status]
			}
		}
	}
	return string(out)
}

// Availability of a user (seen by herself: full details) and a room (seen by someone
// else: times only), over a window around a room booking, against the World's calendars.
func TestDirectoryOpsAvailabilityAliceAndRoom(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	now := testClock()
	upcoming := calendarItems(t, s, "room-atlas@contoso.com", now, now.Add(90*24*time.Hour))
	if len(upcoming) == 0 {
		t.Fatal("room-atlas has no booking in the next 90 days")
	}
	day := upcoming[0].Start.UTC().Truncate(24 * time.Hour)
	start, end := day.Add(-20*24*time.Hour), day.Add(20*24*time.Hour)

	var resp ews.GetUserAvailabilityResponse
	s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability,
		availabilityRequest(&utcZone, start, end, 30, ews.ViewDetailedMerged, "alice@contoso.com", "room-atlas@contoso.com"), &resp)
	if len(resp.FreeBusyResponses) != 2 || resp.SuggestionsResponse != nil {
		t.Fatalf("%d free/busy responses, suggestions %v", len(resp.FreeBusyResponses), resp.SuggestionsResponse)
	}
	for i, c := range []struct {
		owner    string
		view     string
		detailed bool
	}{
		{"alice@contoso.com", ews.ViewDetailedMerged, true},
		{"room-atlas@contoso.com", ews.ViewFreeBusyMerged, false},
	} {
		t.Run(c.owner, func(t *testing.T) {
			r := resp.FreeBusyResponses[i]
			wantMessage(t, r.ResponseMessage, ews.ClassSuccess, ews.NoError)
			v := r.FreeBusyView
			if v.FreeBusyViewType != c.view {
				t.Errorf("view %s, want %s", v.FreeBusyViewType, c.view)
			}
			items := calendarItems(t, s, c.owner, start, end)
			if len(items) == 0 {
				t.Fatalf("%s has no event in the window", c.owner)
			}
			if v.CalendarEventArray == nil || len(v.CalendarEventArray.Events) != len(items) {
				t.Fatalf("events %+v, want %d", v.CalendarEventArray, len(items))
			}
			for j, ev := range v.CalendarEventArray.Events {
				it := items[j]
				wantStatus := it.LegacyFreeBusyStatus
				if ev.StartTime.Zoned || !ev.StartTime.Time.Equal(it.Start.UTC()) || !ev.EndTime.Time.Equal(it.End.UTC()) || ev.BusyType != wantStatus {
					t.Errorf("event %d: %s–%s %s, want %s–%s %s", j, ev.StartTime, ev.EndTime, ev.BusyType, it.Start.UTC(), it.End.UTC(), wantStatus)
				}
				d := ev.CalendarEventDetails
				switch {
				case !c.detailed && d != nil:
					t.Errorf("event %d: details for a caller with AvailabilityOnly: %+v", j, d)
				case c.detailed && (d == nil || d.Subject != it.Subject || d.Location != it.Location || d.IsMeeting != *it.IsMeeting || d.ID == ""):
					t.Errorf("event %d: details %+v, want subject %q location %q", j, d, it.Subject, it.Location)
				}
			}
			if want := expectedMerged(items, start, end, 30*time.Minute); v.MergedFreeBusy != want {
				t.Errorf("merged free/busy\n%s\nwant\n%s", v.MergedFreeBusy, want)
			}
			wh := v.WorkingHours
			if wh == nil || len(wh.WorkingPeriods) != 1 || wh.WorkingPeriods[0].StartTimeInMinutes != 480 || wh.WorkingPeriods[0].EndTimeInMinutes != 1020 ||
				wh.WorkingPeriods[0].DayOfWeek != "Monday Tuesday Wednesday Thursday Friday" || wh.TimeZone.Bias != 0 {
				t.Errorf("working hours %+v", wh)
			}
		})
	}

	t.Run("FreeBusy view has no merged string", func(t *testing.T) {
		var resp ews.GetUserAvailabilityResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability,
			availabilityRequest(&utcZone, start, end, 30, ews.ViewFreeBusy, "alice@contoso.com"), &resp)
		v := resp.FreeBusyResponses[0].FreeBusyView
		if v.FreeBusyViewType != ews.ViewFreeBusy || v.MergedFreeBusy != "" || v.CalendarEventArray == nil ||
			v.CalendarEventArray.Events[0].CalendarEventDetails != nil {
			t.Errorf("view %+v", v)
		}
	})
	t.Run("a distribution list is merged", func(t *testing.T) {
		var resp ews.GetUserAvailabilityResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability,
			availabilityRequest(&utcZone, start, end, 60, ews.ViewFreeBusyMerged, "sales@contoso.com"), &resp)
		v := resp.FreeBusyResponses[0].FreeBusyView
		if v.FreeBusyViewType != ews.ViewMergedOnly || v.CalendarEventArray != nil {
			t.Fatalf("view %+v", v)
		}
		want := bytes.Repeat([]byte{'5'}, int(end.Sub(start)/time.Hour))
		members, _ := s.Sim.World().Directory().ExpandGroup("sales@contoso.com")
		for _, m := range members {
			if !m.HasMailbox {
				continue
			}
			member := expectedMerged(calendarItems(t, s, m.PrimarySMTP, start, end), start, end, time.Hour)
			for i := range want {
				if mergedWeight[member[i]] > mergedWeight[want[i]] {
					want[i] = member[i]
				}
			}
		}
		if v.MergedFreeBusy != string(want) {
			t.Errorf("merged\n%s\nwant\n%s", v.MergedFreeBusy, want)
		}
	})
}

// withEvents returns contoso with alice's mailbox holding exactly the given calendar
// items.
func withEvents(items ...exchangesim.ItemSpec) *exchangesim.Scenario {
	sc := exchangesim.Contoso()
	for i := range sc.Users {
		if sc.Users[i].SMTP == "alice@contoso.com" {
			sc.Users[i].Content = &exchangesim.Content{Items: items}
		}
	}
	return sc
}

func event(subject, start, end, status string) exchangesim.ItemSpec {
	return exchangesim.ItemSpec{Folder: "calendar", Subject: subject, Start: start, End: end, FreeBusy: status, Location: "Room 1"}
}

// The window and the event times are read in the request's zone, daylight saving time
// included: Pacific time switches from UTC-7 to UTC-8 on 1 November 2026 at 02:00.
func TestDirectoryOpsAvailabilityDaylightSaving(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{Scenario: withEvents(
		event("Before", "2026-10-30T16:00:00Z", "2026-10-30T17:00:00Z", "Busy"),                // 09:00 PDT
		event("After", "2026-11-02T17:00:00Z", "2026-11-02T18:00:00Z", "Tentative"),            // 09:00 PST
		event("Too early", "2026-10-30T06:00:00Z", "2026-10-30T06:30:00Z", "Busy"),             // 23:00 PDT the day before
		event("Across the end", "2026-11-03T07:30:00Z", "2026-11-03T08:30:00Z", "OOF"),         // 23:30–00:30 PST
		event("Too late", "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z", "Busy"),              // 01:00 PST on the 3rd
		event("Free", "2026-11-01T08:30:00Z", "2026-11-01T10:30:00Z", "Free"),                  // 01:30 PDT – 02:30 PST
		event("Elsewhere", "2026-10-31T19:00:00Z", "2026-10-31T20:00:00Z", "WorkingElsewhere"), // noon PDT
	)})
	local := func(s string) time.Time { t, _ := time.Parse("2006-01-02T15:04", s); return t }
	start, end := local("2026-10-30T00:00"), local("2026-11-03T00:00")
	// WorkingElsewhere is new in Exchange 2013: older request versions see it as Free. It
	// weighs like Free in the merged string.
	want := func(elsewhere string) []struct{ subject, start, end, busy string } {
		return []struct{ subject, start, end, busy string }{
			{"Before", "2026-10-30T09:00", "2026-10-30T10:00", "Busy"},
			{"Elsewhere", "2026-10-31T12:00", "2026-10-31T13:00", elsewhere},
			{"Free", "2026-11-01T01:30", "2026-11-01T02:30", "Free"},
			{"After", "2026-11-02T09:00", "2026-11-02T10:00", "Tentative"},
			{"Across the end", "2026-11-02T23:30", "2026-11-03T00:30", "OOF"},
		}
	}
	// 24 + 24 + 25 (the day the clocks go back) + 24 hours, one digit each.
	wantMerged := []byte(strings.Repeat("0", 97))
	wantMerged[9] = '2'          // Before, 09:00 on the 30th
	wantMerged[24+24+25+9] = '1' // After, 09:00 on the 2nd
	wantMerged[96] = '3'         // Across the end, from 23:30 on the 2nd

	check := func(t *testing.T, resp *ews.GetUserAvailabilityResponse, elsewhere string) {
		t.Helper()
		r := resp.FreeBusyResponses[0]
		wantMessage(t, r.ResponseMessage, ews.ClassSuccess, ews.NoError)
		var got []struct{ subject, start, end, busy string }
		for _, ev := range r.FreeBusyView.CalendarEventArray.Events {
			got = append(got, struct{ subject, start, end, busy string }{ev.CalendarEventDetails.Subject,
				ev.StartTime.Format("2006-01-02T15:04"), ev.EndTime.Format("2006-01-02T15:04"), ev.BusyType})
		}
		if !slices.Equal(got, want(elsewhere)) {
			t.Errorf("events\n%v\nwant\n%v", got, want(elsewhere))
		}
		if r.FreeBusyView.MergedFreeBusy != string(wantMerged) {
			t.Errorf("merged\n%s\nwant\n%s", r.FreeBusyView.MergedFreeBusy, wantMerged)
		}
	}
	t.Run("TimeZone element", func(t *testing.T) {
		var resp ews.GetUserAvailabilityResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability,
			availabilityRequest(&pacific, start, end, 60, ews.ViewDetailedMerged, "alice@contoso.com"), &resp)
		check(t, &resp, "WorkingElsewhere")
		if tz := resp.FreeBusyResponses[0].FreeBusyView.WorkingHours.TimeZone; tz != pacific {
			t.Errorf("working hours zone %+v, want the request's", tz)
		}
	})
	t.Run("TimeZoneContext header, as ews-javascript-api sends it", func(t *testing.T) {
		h := &ews.RequestHeader{
			RequestServerVersion:  &ews.RequestServerVersion{Version: "Exchange2013"},
			ExchangeImpersonation: ews.Impersonate("alice@contoso.com"),
			TimeZoneContext:       &ews.TimeZoneContext{},
		}
		h.TimeZoneContext.TimeZoneDefinition.ID = "Pacific Standard Time"
		var resp ews.GetUserAvailabilityResponse
		if err := callWithHeader(t, s.svcAs(t, ""), h, ews.OpGetUserAvailability,
			availabilityRequest(nil, start, end, 60, ews.ViewDetailedMerged, "alice@contoso.com"), &resp); err != nil {
			t.Fatal(err)
		}
		check(t, &resp, "WorkingElsewhere")
	})
	t.Run("Exchange2010_SP2 request", func(t *testing.T) {
		h := &ews.RequestHeader{
			RequestServerVersion:  &ews.RequestServerVersion{Version: "Exchange2010_SP2"},
			ExchangeImpersonation: ews.Impersonate("alice@contoso.com"),
		}
		var resp ews.GetUserAvailabilityResponse
		if err := callWithHeader(t, s.svcAs(t, ""), h, ews.OpGetUserAvailability,
			availabilityRequest(&pacific, start, end, 60, ews.ViewDetailedMerged, "alice@contoso.com"), &resp); err != nil {
			t.Fatal(err)
		}
		check(t, &resp, "Free")
	})
	t.Run("zoned window times are instants", func(t *testing.T) {
		req := availabilityRequest(&pacific, start, end, 60, ews.ViewDetailedMerged, "alice@contoso.com")
		req.FreeBusyViewOptions.TimeWindow = ews.TimeWindow{
			StartTime: ews.LocalDateTime{Time: time.Date(2026, 10, 30, 7, 0, 0, 0, time.UTC), Zoned: true},
			EndTime:   ews.LocalDateTime{Time: time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC), Zoned: true},
		}
		var resp ews.GetUserAvailabilityResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability, req, &resp)
		check(t, &resp, "WorkingElsewhere")
	})
}

// The SerializableTimeZone rules agree with the time zone database around the spring and
// autumn transitions of northern and southern zones.
func TestDirectoryOpsAvailabilityZoneRules(t *testing.T) {
	t.Parallel()
	europe := ews.SerializableTimeZone{Bias: -60,
		StandardTime: ews.SerializableTimeZoneTime{Bias: 0, Time: "03:00:00", DayOrder: 5, Month: 10, DayOfWeek: "Sunday"},
		DaylightTime: ews.SerializableTimeZoneTime{Bias: -60, Time: "02:00:00", DayOrder: 5, Month: 3, DayOfWeek: "Sunday"}}
	sydney := ews.SerializableTimeZone{Bias: -600,
		StandardTime: ews.SerializableTimeZoneTime{Bias: 0, Time: "03:00:00", DayOrder: 1, Month: 4, DayOfWeek: "Sunday"},
		DaylightTime: ews.SerializableTimeZoneTime{Bias: -60, Time: "02:00:00", DayOrder: 1, Month: 10, DayOfWeek: "Sunday"}}
	cases := []struct {
		name string
		tz   ews.SerializableTimeZone
		iana string
		day  time.Time // the transition day
	}{
		{"W. Europe spring", europe, "Europe/Berlin", time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)},
		{"W. Europe autumn", europe, "Europe/Berlin", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)},
		{"Sydney autumn", sydney, "Australia/Sydney", time.Date(2026, 4, 5, 0, 0, 0, 0, time.UTC)},
		{"Sydney spring", sydney, "Australia/Sydney", time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC)},
		{"Pacific spring", pacific, "America/Los_Angeles", time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)},
	}
	var items []exchangesim.ItemSpec
	for _, c := range cases {
		for _, offset := range []time.Duration{-36 * time.Hour, -14 * time.Hour, 10 * time.Hour, 34 * time.Hour} {
			at := c.day.Add(offset)
			items = append(items, event(c.name, at.Format(time.RFC3339), at.Add(90*time.Minute).Format(time.RFC3339), "Busy"))
		}
	}
	s := startSim(t, exchangesim.Options{Scenario: withEvents(items...)})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc, err := time.LoadLocation(c.iana)
			if err != nil {
				t.Skip("no time zone database:", err)
			}
			wallStart, wallEnd := c.day.AddDate(0, 0, -2), c.day.AddDate(0, 0, 2)
			inLoc := func(w time.Time) time.Time {
				return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, loc)
			}
			var want []string
			for _, it := range calendarItems(t, s, "alice@contoso.com", inLoc(wallStart), inLoc(wallEnd)) {
				if it.Subject == c.name {
					want = append(want, it.Start.In(loc).Format("2006-01-02T15:04")+"/"+it.End.In(loc).Format("2006-01-02T15:04"))
				}
			}
			if len(want) < 3 {
				t.Fatalf("only %d events of %s in the window", len(want), c.name)
			}
			tz := c.tz
			var resp ews.GetUserAvailabilityResponse
			s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability,
				availabilityRequest(&tz, wallStart, wallEnd, 30, ews.ViewDetailed, "alice@contoso.com"), &resp)
			var got []string
			for _, ev := range resp.FreeBusyResponses[0].FreeBusyView.CalendarEventArray.Events {
				if ev.CalendarEventDetails.Subject == c.name {
					got = append(got, ev.StartTime.Format("2006-01-02T15:04")+"/"+ev.EndTime.Format("2006-01-02T15:04"))
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("events %v, want %v", got, want)
			}
		})
	}
}

func TestDirectoryOpsAvailabilityPerMailboxErrors(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	start := testClock().Truncate(24 * time.Hour)
	var resp ews.GetUserAvailabilityResponse
	s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability,
		availabilityRequest(&utcZone, start, start.Add(48*time.Hour), 30, ews.ViewFreeBusy,
			"nobody@contoso.com", "bob@contoso.com", "frank@contoso.com", "not-an-address"), &resp)
	want := []string{ews.ErrorMailRecipientNotFound, ews.NoError, ews.ErrorMailRecipientNotFound, ews.ErrorMailRecipientNotFound}
	if len(resp.FreeBusyResponses) != len(want) {
		t.Fatalf("%d responses", len(resp.FreeBusyResponses))
	}
	for i, code := range want {
		r := resp.FreeBusyResponses[i]
		if code == ews.NoError {
			wantMessage(t, r.ResponseMessage, ews.ClassSuccess, ews.NoError)
			if r.FreeBusyView.FreeBusyViewType != ews.ViewFreeBusy {
				t.Errorf("bob's view %s", r.FreeBusyView.FreeBusyViewType)
			}
			continue
		}
		wantMessage(t, r.ResponseMessage, ews.ClassError, code)
		if r.FreeBusyView == nil || r.FreeBusyView.FreeBusyViewType != ews.ViewNone || r.FreeBusyView.CalendarEventArray != nil {
			t.Errorf("response %d: view %+v", i, r.FreeBusyView)
		}
	}
}

func TestDirectoryOpsAvailabilityRequestFaults(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	start := testClock().Truncate(24 * time.Hour)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("user%d@contoso.com", i)
	}
	cases := []struct {
		name string
		req  *ews.GetUserAvailabilityRequest
		code string
	}{
		{"101 mailboxes", availabilityRequest(&utcZone, start, start.Add(24*time.Hour), 30, ews.ViewFreeBusy, many...), "ErrorMailboxDataArrayTooBig"},
		{"no mailbox", availabilityRequest(&utcZone, start, start.Add(24*time.Hour), 30, ews.ViewFreeBusy), "ErrorMailboxDataArrayEmpty"},
		{"43 days", availabilityRequest(&utcZone, start, start.Add(43*24*time.Hour), 30, ews.ViewFreeBusy, "alice@contoso.com"), "ErrorTimeIntervalTooBig"},
		{"end before start", availabilityRequest(&utcZone, start, start.Add(-time.Hour), 30, ews.ViewFreeBusy, "alice@contoso.com"), ews.ErrorInvalidTimeInterval},
		{"empty window", availabilityRequest(&utcZone, start, start, 30, ews.ViewFreeBusy, "alice@contoso.com"), ews.ErrorInvalidTimeInterval},
		{"4-minute interval", availabilityRequest(&utcZone, start, start.Add(24*time.Hour), 4, ews.ViewFreeBusyMerged, "alice@contoso.com"), "ErrorInvalidMergedFreeBusyInterval"},
		{"view None", availabilityRequest(&utcZone, start, start.Add(24*time.Hour), 30, ews.ViewNone, "alice@contoso.com"), "ErrorInvalidFreeBusyViewType"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp ews.GetUserAvailabilityResponse
			wantFault(t, s.svcAs(t, "alice@contoso.com").call(ews.OpGetUserAvailability, c.req, &resp), c.code)
		})
	}
	t.Run("42 days is allowed", func(t *testing.T) {
		var resp ews.GetUserAvailabilityResponse
		s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability,
			availabilityRequest(&utcZone, start, start.Add(42*24*time.Hour), 1440, ews.ViewFreeBusyMerged, "alice@contoso.com"), &resp)
		if got := len(resp.FreeBusyResponses[0].FreeBusyView.MergedFreeBusy); got != 42 {
			t.Errorf("%d digits for 42 days of 1440 minutes", got)
		}
	})
}

// Meeting suggestions avoid the attendees' busy times and keep to working hours.
func TestDirectoryOpsAvailabilitySuggestions(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{Scenario: withEvents(
		event("Busy Monday morning", "2026-11-30T08:00:00Z", "2026-11-30T12:00:00Z", "Busy"),
		event("Free Tuesday", "2026-12-01T08:00:00Z", "2026-12-01T17:00:00Z", "Free"),
	)})
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	duration, perDay := 60, 5
	req := &ews.GetUserAvailabilityRequest{
		TimeZone:         &utcZone,
		MailboxDataArray: mailboxData("alice@contoso.com"),
		SuggestionsViewOptions: &ews.SuggestionsViewOptions{
			MeetingDurationInMinutes:  &duration,
			MaximumResultsByDay:       &perDay,
			DetailedSuggestionsWindow: ews.TimeWindow{StartTime: ews.Local(monday), EndTime: ews.Local(monday.AddDate(0, 0, 7))},
		},
	}
	var resp ews.GetUserAvailabilityResponse
	s.svcAs(t, "alice@contoso.com").mustCall(ews.OpGetUserAvailability, req, &resp)
	sr := resp.SuggestionsResponse
	if sr == nil || len(resp.FreeBusyResponses) != 0 {
		t.Fatalf("suggestions %+v, free/busy %d", sr, len(resp.FreeBusyResponses))
	}
	wantMessage(t, sr.ResponseMessage, ews.ClassSuccess, ews.NoError)
	if len(sr.Days) != 7 {
		t.Fatalf("%d days", len(sr.Days))
	}
	busy := calendarItems(t, s, "alice@contoso.com", monday, monday.AddDate(0, 0, 7))
	for i, d := range sr.Days {
		day := monday.AddDate(0, 0, i)
		if !d.Date.Time.Equal(day) {
			t.Errorf("day %d dated %s", i, d.Date)
		}
		weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
		if weekend != (d.SuggestionArray == nil) {
			t.Errorf("%s: suggestions %+v", day.Weekday(), d.SuggestionArray)
		}
		if d.SuggestionArray == nil {
			continue
		}
		if n := len(d.SuggestionArray.Suggestions); n == 0 || n > perDay {
			t.Errorf("%s: %d suggestions", day.Weekday(), n)
		}
		for _, sg := range d.SuggestionArray.Suggestions {
			at := sg.MeetingTime.Time
			if at.Hour() < 8 || at.Add(time.Hour).After(day.Add(17*time.Hour)) || sg.SuggestionQuality != "Excellent" {
				t.Errorf("%s: suggestion %+v", day.Weekday(), sg)
			}
			for _, it := range busy {
				if it.LegacyFreeBusyStatus == "Busy" && it.Start.Before(at.Add(time.Hour)) && it.End.After(at) {
					t.Errorf("suggestion at %s overlaps %q", at, it.Subject)
				}
			}
		}
	}
}
