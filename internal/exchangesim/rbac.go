package exchangesim

import (
	"slices"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Exchange's texts for the impersonation failures.
const (
	msgBadImpersonationHeader = "The ExchangeImpersonation SOAP header must contain exactly one of PrincipalName, SID, PrimarySmtpAddress or SmtpAddress."
	msgInvalidUPN             = "The user principal name (UPN) is invalid."
	msgInvalidSID             = "The SID is invalid."
	msgNoMailbox              = "The SMTP address has no mailbox associated with it."
	msgImpersonateUserDenied  = "The account does not have permission to impersonate the requested user."
	msgImpersonationDenied    = "The server to which the application is connected cannot impersonate the requested user due to insufficient permission."
)

func fault(code, msg string) *ews.ResponseError {
	return &ews.ResponseError{Code: code, Message: msg, Fault: true}
}

// CheckImpersonation decides whether the signed-in caller (any name LookupAccount
// accepts) may act as the account the ExchangeImpersonation header names, and returns that
// account. Every failure is an *ews.ResponseError with Fault set, as Exchange answers it:
//
//   - not exactly one identifier in ConnectingSID: ErrorInvalidExchangeImpersonationHeaderData
//   - a PrincipalName that is not a UPN: ErrorInvalidUserPrincipalName
//   - a SID that is not a SID: ErrorInvalidSid
//   - no such account, or an account without a mailbox: ErrorNonExistentMailbox
//   - the caller has no ApplicationImpersonation assignment, or the target is outside the
//     scope of every assignment it has: ErrorImpersonateUserDenied (ErrorImpersonationDenied
//     for the no-role case in legacy mode, WorldConfig.LegacyImpersonationDenied)
//
// The target is resolved before the caller's rights are checked, as Exchange does.
// PrimarySmtpAddress and SmtpAddress match any of the target's SMTP addresses.
func (w *World) CheckImpersonation(caller string, sid ews.ConnectingSID) (User, error) {
	d := w.dir
	d.mu.RLock()
	defer d.mu.RUnlock()
	target, err := d.impersonationTarget(sid)
	if err != nil {
		return User{}, err
	}
	if !d.mayImpersonate(caller, target) {
		code, msg := ews.ErrorImpersonateUserDenied, msgImpersonateUserDenied
		if w.cfg.LegacyImpersonationDenied && !d.hasImpersonationRole(caller) {
			code, msg = ews.ErrorImpersonationDenied, msgImpersonationDenied
		}
		return User{}, fault(code, msg)
	}
	return cloneUser(target), nil
}

// impersonationTarget resolves the account an ExchangeImpersonation header names, with
// the faults CheckImpersonation documents. d.mu must be held.
func (d *Directory) impersonationTarget(sid ews.ConnectingSID) (*User, error) {
	ids := map[string]string{}
	for k, v := range map[string]string{"upn": sid.PrincipalName, "sid": sid.SID, "primary": sid.PrimarySmtpAddress, "smtp": sid.SmtpAddress} {
		if v = strings.TrimSpace(v); v != "" {
			ids[k] = v
		}
	}
	if len(ids) != 1 {
		return nil, fault(ews.ErrorInvalidExchangeImpersonationHeaderData, msgBadImpersonationHeader)
	}
	var target *User
	switch {
	case ids["upn"] != "":
		upn := normAddr(ids["upn"])
		if !validAddr(upn) {
			return nil, fault(ews.ErrorInvalidUserPrincipalName, msgInvalidUPN)
		}
		target = d.byUPN[upn]
	case ids["sid"] != "":
		s := strings.ToUpper(ids["sid"])
		if !validSID(s) {
			return nil, fault(ews.ErrorInvalidSid, msgInvalidSID)
		}
		target = d.bySID[s]
	default:
		target = d.byAddr[normAddr(ids["primary"]+ids["smtp"])]
	}
	if target == nil || !target.HasMailbox {
		return nil, fault(ews.ErrorNonExistentMailbox, msgNoMailbox)
	}
	return target, nil
}

func (d *Directory) hasImpersonationRole(caller string) bool {
	u := d.lookup(caller)
	if u == nil {
		return false
	}
	return slices.ContainsFunc(d.assignments, func(a RoleAssignment) bool {
		return a.User == u.PrimarySMTP && a.Role == RoleApplicationImpersonation
	})
}

func (d *Directory) mayImpersonate(caller string, target *User) bool {
	u := d.lookup(caller)
	if u == nil {
		return false
	}
	for _, a := range d.assignments {
		if a.User != u.PrimarySMTP || a.Role != RoleApplicationImpersonation {
			continue
		}
		if a.Scope == "" {
			return true
		}
		if s := d.scopes[strings.ToLower(a.Scope)]; s != nil && slices.Contains(s.Members, target.PrimarySMTP) {
			return true
		}
	}
	return false
}

// validSID reports whether s has the form S-1-<authority>(-<subauthority>)+.
func validSID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || parts[0] != "S" || parts[1] != "1" || len(parts) > 17 {
		return false
	}
	for _, p := range parts[2:] {
		if p == "" || len(p) > 15 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// RoomLists returns the room lists (GetRoomLists), sorted by SMTP address.
func (d *Directory) RoomLists() []Group {
	var out []Group
	for _, g := range d.Groups() {
		if g.RoomList {
			out = append(out, g)
		}
	}
	return out
}

// Rooms returns the rooms of a room list (GetRooms). An address that is not a room list
// gives ErrorNameResolutionNoResults.
func (d *Directory) Rooms(list string) ([]User, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	g := d.groups[normAddr(list)]
	if g == nil || !g.RoomList {
		return nil, &ews.ResponseError{Code: ews.ErrorNameResolutionNoResults, Message: "No results were found."}
	}
	out := make([]User, 0, len(g.Members))
	for _, m := range g.Members {
		if u := d.users[m]; u != nil {
			out = append(out, cloneUser(u))
		}
	}
	return out, nil
}
