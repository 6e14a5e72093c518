package exchangesim

import "fmt"

// The generated worlds' Microsoft 365 tenant and app registration, so that the same
// mailboxes can be synced through Graph as through EWS (benchmarks, crash tests).
// Secrets are for the simulator only.
const (
	// GeneratedTenantID is the tenant ID of every generated world; its verified domains
	// are example.com and example.onmicrosoft.com.
	GeneratedTenantID = "5b2e8c41-7d3a-4f6e-9b10-2c4d6e8f0a13"
	// GeneratedAppClientID is an app with Mail.Read, Calendars.Read, Contacts.Read,
	// Place.Read.All, User.Read.All and full_access_as_app, admin consent, and no RBAC
	// scope: it reads every mailbox, as svc-sync impersonates every user.
	GeneratedAppClientID = "9d4f2a6b-3c1e-4b8d-a7f0-5e2c9b1d3a64"
	GeneratedAppSecret   = "Sim~AppSecret.Example-2026"
)

// Generate returns a scenario of the given size, for load tests and benchmarks: domain
// example.com (NetBIOS EXAMPLE); users user00001@example.com … (password
// DefaultUserPassword), each mailbox holding items items: 80% Inbox messages of about 2 KB,
// 10% Sent Items, 6% Calendar events, the rest Contacts; and svc-sync@example.com
// (DefaultServicePassword) with an empty mailbox and an organization-wide
// ApplicationImpersonation assignment; the Entra ID tenant GeneratedTenantID with the
// app GeneratedAppClientID (secret GeneratedAppSecret), consented and unscoped. The same seed gives the same content, byte for
// byte; mailboxes are only filled when first used, so a World of 1,000 × 1,000 starts at
// once.
func Generate(users, items int, seed int64) *Scenario {
	users, items = max(users, 0), max(items, 0)
	inbox, sent, calendar := items*80/100, items*10/100, items*6/100
	counts := map[string]int{}
	for k, v := range map[string]int{"inbox": inbox, "sentitems": sent, "calendar": calendar, "contacts": items - inbox - sent - calendar} {
		if v > 0 {
			counts[k] = v
		}
	}
	depts := []string{"Sales", "Engineering", "Finance", "Marketing", "Support", "Operations"}
	sc := &Scenario{
		Name:    fmt.Sprintf("generated-%dx%d", users, items),
		Seed:    seed,
		Domains: []Domain{{Name: "example.com", NetBIOS: "EXAMPLE"}},
		Users: []UserSpec{
			{SMTP: "svc-sync@example.com", Password: DefaultServicePassword, DisplayName: "EWS Sync Service", Department: "IT", Content: &Content{}},
		},
		RoleAssignments: []RoleAssignment{
			{Name: "svc-sync-impersonation", Role: RoleApplicationImpersonation, User: "svc-sync@example.com"},
		},
		DefaultContent: &Content{Counts: counts},
		Tenant: &TenantSpec{ID: GeneratedTenantID, DisplayName: "Example", Apps: []AppSpec{{
			ClientID: GeneratedAppClientID, DisplayName: "mailbridge sync",
			Permissions:  []string{PermMailRead, PermCalendarsRead, PermContactsRead, PermPlaceReadAll, PermUserReadAll, PermFullAccessAsApp},
			AdminConsent: true, Secrets: []SecretSpec{{Value: GeneratedAppSecret}},
		}}},
	}
	sc.Users = append(sc.Users, make([]UserSpec, 0, users)...)
	for i := 1; i <= users; i++ {
		given := firstNames[(i-1)%len(firstNames)]
		surname := lastNames[((i-1)/len(firstNames))%len(lastNames)]
		sc.Users = append(sc.Users, UserSpec{
			SMTP:        fmt.Sprintf("user%05d@example.com", i),
			Password:    DefaultUserPassword,
			GivenName:   given,
			Surname:     surname,
			DisplayName: fmt.Sprintf("%s %s (%05d)", given, surname, i),
			Department:  depts[(i-1)%len(depts)],
		})
	}
	return sc
}
