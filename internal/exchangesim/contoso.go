package exchangesim

// Passwords of the built-in scenarios.
const (
	DefaultUserPassword    = "User-Pass-2026!" // every person in contoso and generated worlds
	DefaultServicePassword = "Svc-Pass-2026!"  // the svc-* service accounts
)

// Contoso's Microsoft 365 tenant and app registrations, for Graph and Exchange Online
// mode (see the package documentation). Secrets are for the simulator only.
const (
	// ContosoTenantID is contoso's Entra ID tenant ID; its verified domains are
	// contoso.com and ContosoInitialDomain.
	ContosoTenantID      = "3f5c2a1e-8d4b-4c7a-9e21-6b0d4f8a1c25"
	ContosoInitialDomain = "contoso.onmicrosoft.com"
	// ContosoAppClientID is the "mailbridge sync" app: Mail.Read, Calendars.Read,
	// Contacts.Read, Place.Read.All, User.Read.All, GroupMember.Read.All and full_access_as_app with admin
	// consent, limited by RBAC for Applications to the management scope "Sales" (alice,
	// carol, dave, erin and the rooms; not bob).
	ContosoAppClientID = "8a1f6c3d-2b7e-4f90-a5c4-1d9e7b3a6f02"
	ContosoAppSecret   = "Sim~AppSecret.Contoso-2026"
	// ContosoNoConsentAppClientID has the same permissions but no admin consent: the
	// token endpoint answers AADSTS65001.
	ContosoNoConsentAppClientID = "c4e9b2a7-5d1f-4a86-b3e0-7f2c8d6a9e14"
	ContosoNoConsentAppSecret   = "Sim~NoConsent.Contoso-2026"
	// ContosoExpiredAppClientID's only secret expired a day before the World started:
	// the token endpoint answers AADSTS7000222.
	ContosoExpiredAppClientID = "e7d3a9f1-6c2b-4e58-8a1d-3b5f9c0e2d47"
	ContosoExpiredAppSecret   = "Sim~Expired.Contoso-2026"
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
//   - scope "Sales": alice, carol, dave, erin and the three rooms;
//   - Entra ID tenant ContosoTenantID with the apps ContosoAppClientID (consented,
//     scoped to "Sales"), ContosoNoConsentAppClientID and ContosoExpiredAppClientID.
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
	allPerms := []string{PermMailRead, PermCalendarsRead, PermContactsRead, PermPlaceReadAll, PermUserReadAll, PermGroupMemberReadAll, PermFullAccessAsApp}
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
		Tenant: &TenantSpec{
			ID: ContosoTenantID, DisplayName: "Contoso", InitialDomain: ContosoInitialDomain,
			Apps: []AppSpec{
				{ClientID: ContosoAppClientID, DisplayName: "mailbridge sync", Permissions: allPerms,
					AdminConsent: true, Scope: "Sales", Secrets: []SecretSpec{{Value: ContosoAppSecret, Expires: "+730d"}}},
				{ClientID: ContosoNoConsentAppClientID, DisplayName: "mailbridge (no consent)", Permissions: allPerms,
					Secrets: []SecretSpec{{Value: ContosoNoConsentAppSecret, Expires: "+730d"}}},
				{ClientID: ContosoExpiredAppClientID, DisplayName: "mailbridge (expired secret)", Permissions: allPerms,
					AdminConsent: true, Scope: "Sales", Secrets: []SecretSpec{{Value: ContosoExpiredAppSecret, Expires: "-1d"}}},
			},
		},
	}
}
