package exchangesim

import "strings"

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

// ContosoAppCertificatePEM is a certificate (valid 2026 to 2036) with its private key,
// whose public part is registered on the ContosoAppClientID app: certificate credentials
// instead of ContosoAppSecret. ContosoExpiredCertificatePEM's certificate, also
// registered, expired on 1 January 2025. For the simulator only.
const (
	ContosoAppCertificatePEM = `-----BEGIN CERTIFICATE-----
MIIC4DCCAcigAwIBAgIIGO765NJCMPAwDQYJKoZIhvcNAQELBQAwJjEkMCIGA1UE
AxMbbWFpbGJyaWRnZSBzeW5jIChzaW11bGF0b3IpMB4XDTI2MDEwMTAwMDAwMFoX
DTM2MDEwMTAwMDAwMFowJjEkMCIGA1UEAxMbbWFpbGJyaWRnZSBzeW5jIChzaW11
bGF0b3IpMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtcN86GYUabSQ
tYrOCbHu1O50pb/PWkxmb70D4CNdCx7nvPq6wNIk8ghejPpXHbNjJ+zcrEnZBqWe
ANpJwH9EdtOm6QOkpcNenApcb3OLMJ3gM8qK2A0dRIP5KqEhYenOSTtZeZdZ7Qbr
mkzhMVZWVJZYH6JrCGu6HJmku56JZouftPDa2I63r6i0gcLyQWIfy1h2WIvk8FDm
gR0oytz9AivUqb6mJXoHUCykLO0O3iE4kVOrey3pHFXGuW6QczwPPzIEwfwnLdkx
q+QGiRuT1SV0rKtKIRxKqzRyWKBhQi4I2xX0lsLjRuXt3GlXpCCD5VC0XW+pb7WZ
0KGtjlWyIwIDAQABoxIwEDAOBgNVHQ8BAf8EBAMCB4AwDQYJKoZIhvcNAQELBQAD
ggEBAGvcx6PBbZeYwTAwbiNI+GQ5WUzI2EScUssvLzwcnr3WyZbUSNmFl0kYA7TI
fQMsRZDQBrt1T5AyeJqkI1mKSV9wNMtsxe/aFjxb+RmT+3dIdhYsijZ1dhJ8CeKx
lw1fnCzAa6IoUxFfBuYT4E8C6rnsZUIgpqHhw9RCQXFVW+QW5Fny4CyQraopKcSO
X1Cnbs3W066QoWMIk5IRyGqXdDIaJl5Zf9aBZb5C8xGodXQAdX+gEAyAnsIiI9ll
P1nRRsbnCzkgV9KWP8FHpki+wFGUSMSb35haIzMKcJ8qOIYj3V5ciuY3N+E39jpD
M0sATZPFnivd5Lqf0xFu5nCrywA=
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC1w3zoZhRptJC1
is4Jse7U7nSlv89aTGZvvQPgI10LHue8+rrA0iTyCF6M+lcds2Mn7NysSdkGpZ4A
2knAf0R206bpA6Slw16cClxvc4swneAzyorYDR1Eg/kqoSFh6c5JO1l5l1ntBuua
TOExVlZUllgfomsIa7ocmaS7nolmi5+08NrYjrevqLSBwvJBYh/LWHZYi+TwUOaB
HSjK3P0CK9SpvqYlegdQLKQs7Q7eITiRU6t7LekcVca5bpBzPA8/MgTB/Cct2TGr
5AaJG5PVJXSsq0ohHEqrNHJYoGFCLgjbFfSWwuNG5e3caVekIIPlULRdb6lvtZnQ
oa2OVbIjAgMBAAECggEABVDW9wJVQn98uUfP8sn4uX19J9kjj/kqsxs3YSISTIr2
LWQKe4J/K3JB4aRIpp5ic1PNYwnd26s9ow9p7MP2v/WSAhU7MXs0lHexGwlUCXNJ
5U8ydFMd3K0cvQ8X/NcWU19K+fAKjztj6eVUXgRaY1WU9N05KCE5FjEKzPnmptBj
QT7xi32YQMILmbZvbtK6A3nGY3PBsL7X+HMIyWnbWTI3VoUtKTeOCJA4HyF5X5oc
ESHmBRyOdwx9pPmriCUMHruvhPi6OG23eMUiYDgkYAlmmAYyC1c+5gVzKWZemn5/
/S8uJWseVoHRFB32aTT/eGEdz1Og+mJsdtDP09gSkQKBgQDQMgAE4dZi4w/BrsXR
MRa5v0cPS/ciDSEThJLrUEC/WwP8dz+cx2hqHpNkyTM1jbndahNnbVZ1i1e2PrRU
wqn+Cw4R+O7BpwmUb1EjUdUVOPCTxHi2SeEVzjYQUvFlkdsWKtFBdr/NnDsYc/mL
V70kS3FS5g23nmi0wJyddIy/PQKBgQDff8w47A+KAAZVyKesKNlmdyBhRoduI9mf
nSEXwPUuuyjXecBZGQ21Cqcizet3wbxv0tep9oY2Fw2kuBS4/6cimLJLkB7eNEat
u9MztWF8AQig9ik4AoMfJUAd9/HD69X0mcMkTvJ3Tu6P37R4Fctf84zP6PztuEUf
qm3H+hlM3wKBgQCcUM4+3CmROZZ8/3I7LLY5ZGpAC/NTt7Pb6bA9yZWzluyZRBeY
6Qd2ldpo08AFN5ITsi87epZtzt9eUBopgbcMrNQ1nkf1UisZLbMn56srMgM/j0Zq
53F+Y8On4f6pGif6rs9KbZR5FhIwu/LjMk8qzxIZAe3OrbtD61IrznRWqQKBgGLc
R7yCBpmXSzYUzL4lT4y4cvU0WmGIsBGfUm0MaCekl/tAGqoOn/aN4MJPbbGKW8zm
6Yh/yHwSlHFhD6GJTCfMfUlZVZ4aZ40fwNtlhtpwJp30ZOUmj1Nuib731tQ/9GL+
xMfBuBS4MGQpos1fbpdhxs6Mk5yfXswT+f10Dk7nAoGATIH40RvzxvpbKq/d34b8
lPtz4kC2/pEVkZP5VYLAG46M3F+84cyBCqex2qenDCJ2sQRXp0dnNPZ6QBbwilWT
v5rqQ9uZend/5obXNKM5yyMzaZ0K50hXw/N9/sy/vr7PexdC7de3YgrqZVlVjpac
BeoVGU7vCYdcbcOzK22dGZA=
-----END PRIVATE KEY-----
`
	ContosoExpiredCertificatePEM = `-----BEGIN CERTIFICATE-----
MIIC8jCCAdqgAwIBAgIIGO765OIQXa8wDQYJKoZIhvcNAQELBQAwLzEtMCsGA1UE
AxMkbWFpbGJyaWRnZSBzeW5jIChzaW11bGF0b3IsIGV4cGlyZWQpMB4XDTI0MDEw
MTAwMDAwMFoXDTI1MDEwMTAwMDAwMFowLzEtMCsGA1UEAxMkbWFpbGJyaWRnZSBz
eW5jIChzaW11bGF0b3IsIGV4cGlyZWQpMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A
MIIBCgKCAQEA2btZzp8kswnrozLbFCqKYnbuGdDY9hIMQtXmORiJHsENEfezm6x4
5Npp7TXaPz+3XEF9VXO8bvAka7nxlapzWozOVUPw5jHWR3K5qMbN6rUxyrhCDcAC
mEqJrBYPFaJ8g4PBK7l4VdE+o6YHU9LFMCWkBtEcC/nx//JAPCm/uQ8ro/9C+VJD
LEGcXwTwPAWK6AYY7O0udJZGW9P/hCv+m3T+luuQ5lndfl8R0/DuoEw+7MxWg0yb
qx0u4uvrtTcwZJvYNEkb2QmyCE7uehbDrs1Kxder9yUn/I1hE3kUaN3H0vNfICs3
iq6wdPurSziDSpEQrU8z9d9UdjJa+5NvdQIDAQABoxIwEDAOBgNVHQ8BAf8EBAMC
B4AwDQYJKoZIhvcNAQELBQADggEBABVuPpNTYSlEDLXRwnSIk4RFpJEYCCQZNVXm
nxA6HzGpCFBO7YMNcluMXHMtCAd8t6E+1mWe52H97Xa+9vVliaZx8ejv44jrUjXp
1u0bsn4rS/uyOsL0adyExiOLquKGARO9ZP/TF8txzD1ZDmrAcbtCXsZgeKxTe/wo
VMkpKTP/6LTY4eMZvotyYvClrX36JZTxyapBgzzbAl6+5JTKyA0hWp0IZlNmT0z6
Z2TCgPn5XE93BKGs3eiAEYp6bi3KpJaiKFjkFCSmXaml2UQnxqsPZlvWJ2g/5H3m
hRu6ZiNF7izsiypsdUmYaBH8V/j0RJ1MgODdCctepAHey429wMQ=
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDZu1nOnySzCeuj
MtsUKopidu4Z0Nj2EgxC1eY5GIkewQ0R97ObrHjk2mntNdo/P7dcQX1Vc7xu8CRr
ufGVqnNajM5VQ/DmMdZHcrmoxs3qtTHKuEINwAKYSomsFg8VonyDg8EruXhV0T6j
pgdT0sUwJaQG0RwL+fH/8kA8Kb+5Dyuj/0L5UkMsQZxfBPA8BYroBhjs7S50lkZb
0/+EK/6bdP6W65DmWd1+XxHT8O6gTD7szFaDTJurHS7i6+u1NzBkm9g0SRvZCbII
Tu56FsOuzUrF16v3JSf8jWETeRRo3cfS818gKzeKrrB0+6tLOINKkRCtTzP131R2
Mlr7k291AgMBAAECggEATpJfbELd2YZA9JnLmVFosvO8JLDLOrF0n0HVXNFP2jtM
XimHNSxeTCfNhf6jDaQOpUo00nt7ioU6f22QkrP6ALlDVF26NzfQ3eO2wANOF97f
YwpvO8sIpLBxUhp7wxDp4gPP19mMZVunQSMPDd7HrgJHWPZpKqE+BWEEcTGXsE3w
lNzQTeCIHKKwXK3vjJxkn6DL6emUuptKuaHeAPqY99BmhjNQ54HNxCa0vY2xaO1o
N2sRYCtV0nnSCiJqSUole18Q2PVrjBNxuZEiWHixKga975x8+dePw7FaFjduvAzd
IjiO6Wh1RjlPOcet3THu0wck1uYkDNk2vqZGAv7aWQKBgQDgt7LfcipMxhJAi4Mg
dgW1l3eUeBbq+i/qQOSOt+qsB2SEP0Dj6758DmdO/4rjt+ZuhR025l1IXHZVsZsG
drdewY2nczMrb8IPLPGkhKqymYChnX8J77XA8vOq2Kq2B/Y07iafENKlgBaARp1F
qn8HG6n8mAjjLzGl8Fi4kLRAfwKBgQD4CrNAn0kmjj+r2RFSGEQwBiIwxnANLibT
ulSyeNAvanYz/4j/3T5BGBxhsAYExj+RyXsG/BMiDsTvXJvyvBSrXdvwzXzaa9hn
zxoMQ15/KSye3tfWHPLRBIXA+OlgWqyLscxIiTGSug2/na2ocvBjCcvpC1lKnfbs
w+23tNZWCwKBgBzt6Tw04Vcy5KSkkUP7ja6cCkv1zdWAUezRX9szuCVfakRQNFVj
QwmLfSdBZKr+QM8XmfQ4Yefv51gO3ktNuzuapVbaUMsVvyDfA1jPr34AnvuvX+xy
jK6DWHU1IXz/t2WHBzfRHZ0qyTrIXHTchy/uEssu823z5Gtdbr6L+niXAoGBAIGr
blxJKT+7u7OGDhUB1JvaiQNAqhFp4Chtz5thp0wydsrmOuOv8Lys8yFqmSrjzRXU
47kaDJKQcAnGO0yhYJjZv4JamnvBR2e1kCN7EKqfhtEjJGitx47Xs2jXd4HExVFe
SLJe7oiLNWbH8qIOPHc6Bty07yAgBpduMhcItchTAoGAdxSII1s9u6ybn4QBaMUy
nh2c+7L8zo9tc96l4vzAbyieL00tHW6nZs0cZzI0M4OOG7LTRD4G74XeIfEGOLpQ
n+Wc2GmX31TqHuv9aiiFwTRgEAIJy9vnUE1V+IZlo7ojpCq4zxWzosBShK0qo62P
havaCAgI6FYO7OhHf2IWtU0=
-----END PRIVATE KEY-----
`
)

// certificatePart returns the CERTIFICATE block of a PEM with a certificate and a key.
func certificatePart(p string) string {
	end := "-----END CERTIFICATE-----\n"
	i := strings.Index(p, end)
	return p[:i+len(end)]
}

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
					AdminConsent: true, Scope: "Sales", Secrets: []SecretSpec{{Value: ContosoAppSecret, Expires: "+730d"}},
					Certificates: []string{certificatePart(ContosoAppCertificatePEM), certificatePart(ContosoExpiredCertificatePEM)}},
				{ClientID: ContosoNoConsentAppClientID, DisplayName: "mailbridge (no consent)", Permissions: allPerms,
					Secrets: []SecretSpec{{Value: ContosoNoConsentAppSecret, Expires: "+730d"}}},
				{ClientID: ContosoExpiredAppClientID, DisplayName: "mailbridge (expired secret)", Permissions: allPerms,
					AdminConsent: true, Scope: "Sales", Secrets: []SecretSpec{{Value: ContosoExpiredAppSecret, Expires: "-1d"}}},
			},
		},
	}
}
