package exchangesim

import "fmt"

// Generate returns a scenario of the given size, for load tests and benchmarks: domain
// example.com (NetBIOS EXAMPLE); users user00001@example.com … (password
// DefaultUserPassword), each mailbox holding items items: 80% Inbox messages of about 2 KB,
// 10% Sent Items, 6% Calendar events, the rest Contacts; and svc-sync@example.com
// (DefaultServicePassword) with an empty mailbox and an organization-wide
// ApplicationImpersonation assignment. The same seed gives the same content, byte for
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
