package exchangesim

import (
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
)

func TestCheckImpersonationContosoMatrix(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	const (
		ok     = ""
		denied = ews.ErrorImpersonateUserDenied
		nombx  = ews.ErrorNonExistentMailbox
	)
	targets := []string{
		"alice", "bob", "carol", "dave", "erin", "frank", "room-atlas", "room-borealis", "room-cygnus",
		"svc-sync", "svc-norole", "svc-nombx", "nobody",
	}
	want := map[string][]string{
		//             alice   bob     carol dave erin frank  atlas borealis cygnus svc-sync svc-norole svc-nombx nobody
		"svc-sync":   {ok, denied, ok, ok, ok, nombx, ok, ok, ok, denied, denied, nombx, nombx},
		"svc-nombx":  {ok, denied, ok, ok, ok, nombx, ok, ok, ok, denied, denied, nombx, nombx},
		"svc-norole": {denied, denied, denied, denied, denied, nombx, denied, denied, denied, denied, denied, nombx, nombx},
		"alice":      {denied, denied, denied, denied, denied, nombx, denied, denied, denied, denied, denied, nombx, nombx},
	}
	for caller, codes := range want {
		for i, target := range targets {
			t.Run(caller+"->"+target, func(t *testing.T) {
				u, err := w.CheckImpersonation(caller+"@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: target + "@contoso.com"})
				if codes[i] == ok {
					if err != nil {
						t.Fatalf("want allowed, got %v", err)
					}
					if u.PrimarySMTP != target+"@contoso.com" {
						t.Fatalf("target = %s", u.PrimarySMTP)
					}
					return
				}
				re := wantCode(t, err, codes[i])
				if !re.Fault {
					t.Fatal("impersonation errors must be faults")
				}
			})
		}
	}
}

func TestCheckImpersonationHeaderForms(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	alice, _ := w.Directory().Lookup("alice@contoso.com")
	tests := []struct {
		name   string
		caller string
		sid    ews.ConnectingSID
		code   string
		msg    string
	}{
		{"primary smtp", "svc-sync@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "alice@contoso.com"}, "", ""},
		{"smtp address, other case", "svc-sync@contoso.com", ews.ConnectingSID{SmtpAddress: "Alice@CONTOSO.com"}, "", ""},
		{"upn", "svc-sync@contoso.com", ews.ConnectingSID{PrincipalName: "alice@contoso.com"}, "", ""},
		{"sid", "svc-sync@contoso.com", ews.ConnectingSID{SID: alice.SID}, "", ""},
		{"caller as DOMAIN\\sam", `CONTOSO\svc-sync`, ews.ConnectingSID{PrimarySmtpAddress: "alice@contoso.com"}, "", ""},
		{"no identifier", "svc-sync@contoso.com", ews.ConnectingSID{}, ews.ErrorInvalidExchangeImpersonationHeaderData, ""},
		{"blank identifier", "svc-sync@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "  "}, ews.ErrorInvalidExchangeImpersonationHeaderData, ""},
		{"two identifiers", "svc-sync@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "alice@contoso.com", SID: alice.SID}, ews.ErrorInvalidExchangeImpersonationHeaderData, ""},
		{"malformed sid", "svc-sync@contoso.com", ews.ConnectingSID{SID: "S-1-5-x"}, ews.ErrorInvalidSid, ""},
		{"not a sid", "svc-sync@contoso.com", ews.ConnectingSID{SID: "alice"}, ews.ErrorInvalidSid, ""},
		{"unknown sid", "svc-sync@contoso.com", ews.ConnectingSID{SID: "S-1-5-21-1-2-3-999999"}, ews.ErrorNonExistentMailbox, msgNoMailbox},
		{"malformed upn", "svc-sync@contoso.com", ews.ConnectingSID{PrincipalName: "alice"}, ews.ErrorInvalidUserPrincipalName, ""},
		{"malformed upn two ats", "svc-sync@contoso.com", ews.ConnectingSID{PrincipalName: "a@b@c"}, ews.ErrorInvalidUserPrincipalName, ""},
		{"unknown upn", "svc-sync@contoso.com", ews.ConnectingSID{PrincipalName: "zed@contoso.com"}, ews.ErrorNonExistentMailbox, ""},
		{"unknown smtp", "svc-sync@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "nobody@contoso.com"}, ews.ErrorNonExistentMailbox, msgNoMailbox},
		{"out of scope", "svc-sync@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "bob@contoso.com"}, ews.ErrorImpersonateUserDenied, msgImpersonateUserDenied},
		{"no role", "svc-norole@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "alice@contoso.com"}, ews.ErrorImpersonateUserDenied, msgImpersonateUserDenied},
		{"unknown caller", "ghost@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "alice@contoso.com"}, ews.ErrorImpersonateUserDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := w.CheckImpersonation(tt.caller, tt.sid)
			if tt.code == "" {
				if err != nil || u.PrimarySMTP != "alice@contoso.com" {
					t.Fatalf("got %+v, %v; want alice", u.PrimarySMTP, err)
				}
				return
			}
			re := wantCode(t, err, tt.code)
			if !re.Fault {
				t.Error("not a fault")
			}
			if tt.msg != "" && re.Message != tt.msg {
				t.Errorf("message = %q, want %q", re.Message, tt.msg)
			}
		})
	}
}

func TestCheckImpersonationLegacyMode(t *testing.T) {
	t.Parallel()
	w, _ := newWorld(t, Contoso(), WorldConfig{LegacyImpersonationDenied: true})
	_, err := w.CheckImpersonation("svc-norole@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "alice@contoso.com"})
	wantCode(t, err, ews.ErrorImpersonationDenied)
	// Having the role but not the target is still ImpersonateUserDenied.
	_, err = w.CheckImpersonation("svc-sync@contoso.com", ews.ConnectingSID{PrimarySmtpAddress: "bob@contoso.com"})
	wantCode(t, err, ews.ErrorImpersonateUserDenied)
}

func TestRBACChangesTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	check := func(caller, target string) string {
		_, err := w.CheckImpersonation(caller, ews.ConnectingSID{PrimarySmtpAddress: target})
		return ews.Code(err)
	}
	if c := check("svc-sync@contoso.com", "bob@contoso.com"); c != ews.ErrorImpersonateUserDenied {
		t.Fatalf("before: %s", c)
	}
	if err := w.AddScopeMembers("sales", "bob@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if c := check("svc-sync@contoso.com", "bob@contoso.com"); c != "" {
		t.Fatalf("after adding bob to the scope: %s", c)
	}
	if err := w.RemoveScopeMembers("Sales", "CONTOSO\\bob", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"bob@contoso.com", "alice@contoso.com"} {
		if c := check("svc-sync@contoso.com", target); c != ews.ErrorImpersonateUserDenied {
			t.Fatalf("after removing %s: %s", target, c)
		}
	}
	// An organization-wide assignment covers everyone with a mailbox.
	if err := w.GrantRole(RoleAssignment{Name: "org", User: "svc-norole@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if c := check("svc-norole@contoso.com", "bob@contoso.com"); c != "" {
		t.Fatalf("org-wide: %s", c)
	}
	if c := check("svc-norole@contoso.com", "frank@contoso.com"); c != ews.ErrorNonExistentMailbox {
		t.Fatalf("org-wide, no mailbox: %s", c)
	}
	if err := w.RevokeRole("ORG"); err != nil {
		t.Fatal(err)
	}
	if c := check("svc-norole@contoso.com", "bob@contoso.com"); c != ews.ErrorImpersonateUserDenied {
		t.Fatalf("after revoke: %s", c)
	}
	if err := w.RevokeRole("org"); err == nil {
		t.Fatal("revoking twice succeeded")
	}
	if err := w.GrantRole(RoleAssignment{User: "svc-norole@contoso.com", Scope: "NoSuchScope"}); err == nil {
		t.Fatal("grant over an unknown scope succeeded")
	}
	if err := w.GrantRole(RoleAssignment{User: "svc-norole@contoso.com", Role: "MailboxSearch"}); err == nil {
		t.Fatal("grant of an unknown role succeeded")
	}
}

// TestRoomListsAndRooms covers the directory side of GetRoomLists and GetRooms; who may
// call them (ErrorNameResolutionNoMailbox for an acting account without a mailbox, such
// as svc-nombx calling as itself) is tested over the wire in directory_test_ops_test.go.
func TestRoomListsAndRooms(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	lists := w.Directory().RoomLists()
	if len(lists) != 1 || lists[0].PrimarySMTP != "hq-rooms@contoso.com" || lists[0].DisplayName != "HQ Rooms" {
		t.Fatalf("RoomLists = %+v", lists)
	}
	rooms, err := w.Directory().Rooms("HQ-Rooms@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rooms {
		if r.Kind != RecipientRoomMailbox || !r.HasMailbox {
			t.Errorf("room %s: kind %s, mailbox %v", r.PrimarySMTP, r.Kind, r.HasMailbox)
		}
		got = append(got, r.PrimarySMTP)
	}
	if want := "room-atlas@contoso.com room-borealis@contoso.com room-cygnus@contoso.com"; joinStr(got) != want {
		t.Fatalf("rooms = %s", joinStr(got))
	}
	_, err = w.Directory().Rooms("sales@contoso.com")
	wantCode(t, err, ews.ErrorNameResolutionNoResults)
}

func joinStr(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}
