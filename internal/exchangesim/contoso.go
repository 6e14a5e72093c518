package exchangesim

// Passwords of the built-in scenarios.
const (
	DefaultUserPassword    = "User-Pass-2026!" // every person in contoso and generated worlds
	DefaultServicePassword = "Svc-Pass-2026!"  // the svc-* service accounts
)

// Contoso returns the contoso scenario, a contract other tests rely on:
//
//   - domain contoso.com, NetBIOS CONTOSO;
//   - svc-sync@contoso.com (password DefaultServicePassword): mailbox and license,
//     ApplicationImpersonation over the management scope "Sales";
//   - svc-norole@contoso.com: mailbox, no role;
//   - svc-nombx@contoso.com: ApplicationImpersonation over "Sales", no mailbox, no license
//     (so GetRoomLists and GetRooms it calls as itself answer ErrorNameResolutionNoMailbox;
//     see roomsAllowed);
//   - alice, bob, carol, dave, erin @contoso.com (password DefaultUserPassword): Alice
//     Anderson, Bob Brown, Carol Clark, Dave Davis, Erin Evans, each with exactly 50 Inbox
//     messages, 10 Sent Items, 20 Calendar events and 10 Contacts; bob is outside "Sales";
//   - frank@contoso.com (Frank Foster): in the directory, no mailbox;
//   - distribution group sales@contoso.com: alice, bob, carol, dave, erin, frank;
//   - room list hq-rooms@contoso.com ("HQ Rooms"): room-atlas, room-borealis and
//     room-cygnus @contoso.com, room mailboxes with 12 bookings each;
//   - scope "Sales": alice, carol, dave, erin and the three rooms.
//
// The service accounts' mailboxes are empty. Content is deterministic (seed 2026).
func Contoso() *Scenario {
	no := false
	empty := &Content{}
	rooms := &Content{Counts: map[string]int{"calendar": 12}}
	person := func(local, given, surname, dept string) UserSpec {
		return UserSpec{SMTP: local + "@contoso.com", Password: DefaultUserPassword, GivenName: given, Surname: surname, Department: dept}
	}
	room := func(local, name string) UserSpec {
		return UserSpec{SMTP: local + "@contoso.com", DisplayName: name, Kind: RecipientRoomMailbox, Department: "Facilities", Content: rooms}
	}
	frank := person("frank", "Frank", "Foster", "Finance")
	frank.Mailbox = &no
	return &Scenario{
		Name:    "contoso",
		Seed:    2026,
		Domains: []Domain{{Name: "contoso.com", NetBIOS: "CONTOSO"}},
		Users: []UserSpec{
			{SMTP: "svc-sync@contoso.com", Password: DefaultServicePassword, DisplayName: "EWS Sync Service", Department: "IT", Content: empty},
			{SMTP: "svc-norole@contoso.com", Password: DefaultServicePassword, DisplayName: "EWS Service (no role)", Department: "IT", Content: empty},
			{SMTP: "svc-nombx@contoso.com", Password: DefaultServicePassword, DisplayName: "EWS Service (no mailbox)", Department: "IT", Mailbox: &no},
			person("alice", "Alice", "Anderson", "Sales"),
			person("bob", "Bob", "Brown", "Engineering"),
			person("carol", "Carol", "Clark", "Sales"),
			person("dave", "Dave", "Davis", "Sales"),
			person("erin", "Erin", "Evans", "Sales"),
			frank,
			room("room-atlas", "Atlas Room"),
			room("room-borealis", "Borealis Room"),
			room("room-cygnus", "Cygnus Room"),
		},
		Groups: []GroupSpec{
			{SMTP: "sales@contoso.com", DisplayName: "Sales", Members: []string{
				"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "frank@contoso.com"}},
			{SMTP: "hq-rooms@contoso.com", DisplayName: "HQ Rooms", RoomList: true, Members: []string{
				"room-atlas@contoso.com", "room-borealis@contoso.com", "room-cygnus@contoso.com"}},
		},
		Scopes: []ScopeSpec{{Name: "Sales", Members: []string{
			"alice@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com",
			"room-atlas@contoso.com", "room-borealis@contoso.com", "room-cygnus@contoso.com"}}},
		RoleAssignments: []RoleAssignment{
			{Name: "svc-sync-impersonation", Role: RoleApplicationImpersonation, User: "svc-sync@contoso.com", Scope: "Sales"},
			{Name: "svc-nombx-impersonation", Role: RoleApplicationImpersonation, User: "svc-nombx@contoso.com", Scope: "Sales"},
		},
		DefaultContent: &Content{Counts: map[string]int{"inbox": 50, "sentitems": 10, "calendar": 20, "contacts": 10}},
	}
}
