package exchangesim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
)

func TestLookupAccountForms(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	if _, err := w.AddUser(UserSpec{SMTP: "Gina@Contoso.com", Password: "pw", UPN: "gina.g@contoso.com", SAM: "GinaG",
		ProxyAddresses: []string{"smtp:G.Green@contoso.com"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, login, smtp, password string
	}{
		{"smtp", "alice@contoso.com", "alice@contoso.com", DefaultUserPassword},
		{"smtp any case", "ALICE@Contoso.COM", "alice@contoso.com", DefaultUserPassword},
		{"netbios\\sam", `CONTOSO\alice`, "alice@contoso.com", DefaultUserPassword},
		{"netbios lower", `contoso\Alice`, "alice@contoso.com", DefaultUserPassword},
		{"dns\\sam", `contoso.com\bob`, "bob@contoso.com", DefaultUserPassword},
		{"bare sam", "carol", "carol@contoso.com", DefaultUserPassword},
		{"service", "svc-sync@contoso.com", "svc-sync@contoso.com", DefaultServicePassword},
		{"no mailbox still signs in", "svc-nombx@contoso.com", "svc-nombx@contoso.com", DefaultServicePassword},
		{"upn", "gina.g@contoso.com", "gina@contoso.com", "pw"},
		{"proxy", "g.green@contoso.com", "gina@contoso.com", "pw"},
		{"custom sam", `CONTOSO\ginag`, "gina@contoso.com", "pw"},
		{"room", "room-atlas@contoso.com", "", ""},
		{"unknown", "zed@contoso.com", "", ""},
		{"wrong domain", `FABRIKAM\alice`, "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			smtp, pw, ok := w.LookupAccount(tt.login)
			if ok != (tt.smtp != "") || smtp != tt.smtp || pw != tt.password {
				t.Fatalf("LookupAccount(%q) = %q, %q, %v; want %q, %q", tt.login, smtp, pw, ok, tt.smtp, tt.password)
			}
		})
	}
	alice, _ := w.Directory().Lookup("alice")
	if _, _, ok := w.LookupAccount(alice.SID); ok {
		t.Error("a SID signed in")
	}
	if u, ok := w.Directory().Lookup(alice.SID); !ok || u.PrimarySMTP != "alice@contoso.com" {
		t.Error("Lookup by SID failed")
	}
	// Password changes apply at once.
	if err := w.SetPassword(`CONTOSO\alice`, "New-Pass-1!"); err != nil {
		t.Fatal(err)
	}
	if _, pw, _ := w.LookupAccount("alice@contoso.com"); pw != "New-Pass-1!" {
		t.Fatalf("password after change = %q", pw)
	}
	if err := w.SetPassword("nobody", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetPassword(nobody) = %v", err)
	}
}

func TestContosoDirectory(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	d := w.Directory()
	if doms := d.Domains(); len(doms) != 1 || doms[0].Name != "contoso.com" || doms[0].NetBIOS != "CONTOSO" {
		t.Fatalf("domains = %+v", doms)
	}
	want := map[string]struct {
		display           string
		mailbox, licensed bool
		kind              RecipientKind
		password          string
	}{
		"svc-sync@contoso.com":      {"EWS Sync Service", true, true, RecipientUserMailbox, DefaultServicePassword},
		"svc-norole@contoso.com":    {"EWS Service (no role)", true, true, RecipientUserMailbox, DefaultServicePassword},
		"svc-nombx@contoso.com":     {"EWS Service (no mailbox)", false, false, RecipientUser, DefaultServicePassword},
		"alice@contoso.com":         {"Alice Anderson", true, true, RecipientUserMailbox, DefaultUserPassword},
		"bob@contoso.com":           {"Bob Brown", true, true, RecipientUserMailbox, DefaultUserPassword},
		"carol@contoso.com":         {"Carol Clark", true, true, RecipientUserMailbox, DefaultUserPassword},
		"dave@contoso.com":          {"Dave Davis", true, true, RecipientUserMailbox, DefaultUserPassword},
		"erin@contoso.com":          {"Erin Evans", true, true, RecipientUserMailbox, DefaultUserPassword},
		"frank@contoso.com":         {"Frank Foster", false, false, RecipientUser, DefaultUserPassword},
		"room-atlas@contoso.com":    {"Atlas Room", true, true, RecipientRoomMailbox, ""},
		"room-borealis@contoso.com": {"Borealis Room", true, true, RecipientRoomMailbox, ""},
		"room-cygnus@contoso.com":   {"Cygnus Room", true, true, RecipientRoomMailbox, ""},
	}
	users := d.Users()
	if len(users) != len(want) {
		t.Fatalf("%d users, want %d", len(users), len(want))
	}
	sids := map[string]bool{}
	for _, u := range users {
		x, ok := want[u.PrimarySMTP]
		if !ok {
			t.Errorf("unexpected user %s", u.PrimarySMTP)
			continue
		}
		if u.DisplayName != x.display || u.HasMailbox != x.mailbox || u.Licensed != x.licensed || u.Kind != x.kind || u.Password != x.password {
			t.Errorf("%s = %+v", u.PrimarySMTP, u)
		}
		if !validSID(u.SID) || !strings.HasPrefix(u.SID, "S-1-5-21-") || sids[u.SID] {
			t.Errorf("%s: bad or duplicate SID %q", u.PrimarySMTP, u.SID)
		}
		sids[u.SID] = true
		if u.UPN != u.PrimarySMTP {
			t.Errorf("%s: UPN %s", u.PrimarySMTP, u.UPN)
		}
	}
	// SIDs are deterministic.
	w2, _ := contosoWorld(t)
	a1, _ := d.Lookup("alice")
	a2, _ := w2.Directory().Lookup("alice")
	if a1.SID != a2.SID {
		t.Errorf("SIDs differ between identical worlds: %s %s", a1.SID, a2.SID)
	}
	g, ok := d.Group("sales@contoso.com")
	if !ok || joinStr(g.Members) != "alice@contoso.com bob@contoso.com carol@contoso.com dave@contoso.com erin@contoso.com frank@contoso.com" || g.RoomList {
		t.Fatalf("sales group = %+v", g)
	}
	scopes := d.Scopes()
	if len(scopes) != 1 || scopes[0].Name != "Sales" ||
		joinStr(scopes[0].Members) != "alice@contoso.com carol@contoso.com dave@contoso.com erin@contoso.com room-atlas@contoso.com room-borealis@contoso.com room-cygnus@contoso.com" {
		t.Fatalf("scopes = %+v", scopes)
	}
	ras := d.RoleAssignments()
	if len(ras) != 2 || ras[0].User != "svc-sync@contoso.com" || ras[0].Scope != "Sales" || ras[1].User != "svc-nombx@contoso.com" || ras[1].Scope != "Sales" {
		t.Fatalf("role assignments = %+v", ras)
	}
}

func TestDirectorySearch(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	users, groups := w.Directory().Search("a")
	var names []string
	for _, u := range users {
		names = append(names, u.DisplayName)
	}
	if joinStr(names) != "Alice Anderson Atlas Room" || len(groups) != 0 {
		t.Fatalf("Search(a) = %v, %v", names, groups)
	}
	users, _ = w.Directory().Search("smtp:Bob@contoso.com")
	if len(users) != 1 || users[0].PrimarySMTP != "bob@contoso.com" {
		t.Fatalf("Search(smtp:bob) = %+v", users)
	}
	_, groups = w.Directory().Search("hq")
	if len(groups) != 1 || !groups[0].RoomList {
		t.Fatalf("Search(hq) groups = %+v", groups)
	}
	if u, g := w.Directory().Search("zzz"); len(u)+len(g) != 0 {
		t.Fatal("Search(zzz) matched")
	}
}

func TestDirectoryMutationErrors(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	no := false
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"duplicate smtp", second(w.AddUser(UserSpec{SMTP: "ALICE@contoso.com"})), ErrExists},
		{"smtp taken as proxy", second(w.AddUser(UserSpec{SMTP: "x@contoso.com", ProxyAddresses: []string{"bob@contoso.com"}})), ErrExists},
		{"group address taken", second(w.AddUser(UserSpec{SMTP: "sales@contoso.com"})), ErrExists},
		{"unknown domain", second(w.AddUser(UserSpec{SMTP: "x@fabrikam.com"})), ErrInvalid},
		{"bad address", second(w.AddUser(UserSpec{SMTP: "not an address"})), ErrInvalid},
		{"room without mailbox", second(w.AddUser(UserSpec{SMTP: "r@contoso.com", Kind: RecipientRoomMailbox, Mailbox: &no})), ErrInvalid},
		{"duplicate sam", second(w.AddUser(UserSpec{SMTP: "alice2@contoso.com", SAM: "ALICE"})), ErrExists},
		{"room list with a person", w.AddGroup(GroupSpec{SMTP: "rl@contoso.com", RoomList: true, Members: []string{"alice@contoso.com"}}), ErrInvalid},
		{"group with unknown member", w.AddGroup(GroupSpec{SMTP: "g@contoso.com", Members: []string{"zed@contoso.com"}}), ErrNotFound},
		{"scope exists", w.AddScope(ScopeSpec{Name: "sales"}), ErrExists},
		{"scope member unknown", w.AddScopeMembers("Sales", "zed@contoso.com"), ErrNotFound},
		{"unknown scope", w.AddScopeMembers("Nope", "alice"), ErrNotFound},
		{"remove unknown user", w.RemoveUser("zed@contoso.com"), ErrNotFound},
		{"grant to unknown user", w.GrantRole(RoleAssignment{User: "zed@contoso.com"}), ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	// A failed AddGroup leaves nothing behind.
	if _, ok := w.Directory().Group("g@contoso.com"); ok {
		t.Error("failed group was created")
	}
}

func second[T any](_ T, err error) error { return err }

func TestRemoveUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, _ := contosoWorld(t)
	alice := mailbox(t, w, "alice@contoso.com")
	old := folderItems(t, alice, FolderByName("inbox"))[0]
	oldSID := alice.Owner().SID
	if err := w.RemoveUser("alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	_, err := alice.Item(old.ItemId.Id)
	wantCode(t, err, ews.ErrorNonExistentMailbox)
	_, err = w.Mailbox(ctx, "alice@contoso.com")
	wantCode(t, err, ews.ErrorNonExistentMailbox)
	if _, _, ok := w.LookupAccount("alice"); ok {
		t.Fatal("removed user signs in")
	}
	g, _ := w.Directory().Group("sales@contoso.com")
	if strings.Contains(joinStr(g.Members), "alice") || strings.Contains(joinStr(w.Directory().Scopes()[0].Members), "alice") {
		t.Fatal("removed user still in a group or scope")
	}
	_, err = w.CheckImpersonation("svc-sync@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "alice@contoso.com"})
	wantCode(t, err, ews.ErrorNonExistentMailbox)
	// Added again: a new mailbox, in which the old ids mean nothing.
	u, err := w.AddUser(UserSpec{SMTP: "alice@contoso.com", Password: "x", GivenName: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	if u.SID == oldSID {
		t.Fatal("SID reused")
	}
	again := mailbox(t, w, "alice@contoso.com")
	if n := len(folderItems(t, again, FolderByName("inbox"))); n != 0 {
		t.Fatalf("new mailbox has %d inbox items", n)
	}
	_, err = again.Item(old.ItemId.Id)
	wantCode(t, err, ews.ErrorItemNotFound)
	_, err = again.Folder(FolderByID(old.ParentFolderId.Id))
	wantCode(t, err, ews.ErrorFolderNotFound)
}
