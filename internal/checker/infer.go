package checker

import (
	"fmt"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Exchange answers ErrorImpersonateUserDenied both when the service account lacks the
// ApplicationImpersonation role and when the user is outside the management scope the
// role is limited to. One user's answer cannot tell the two apart; the answers of all
// users can: if anyone could be impersonated the role exists, and the refused users are
// outside its scope; if everyone was refused, the role is most likely missing.

// deniedResult is a user's provisional impersonation result (final in the single-mailbox
// mode, which sees one user only).
func deniedResult(user, svc, code string, ev Evidence, online bool) Result {
	res := Result{User: user, Check: CheckImpersonation, Status: StatusFailure, Code: CodeImpersonationDenied, Evidence: ev}
	if code == ews.ErrorImpersonationDenied {
		res.Message = fmt.Sprintf("Exchange refused to let %s impersonate anyone (ErrorImpersonationDenied): the account has no right to impersonate.", svc)
		res.Fix = roleFix(svc, online)
		return res
	}
	res.Message = fmt.Sprintf("Exchange refused to let %s impersonate %s (ErrorImpersonateUserDenied). Exchange gives this same answer "+
		"when the account lacks the ApplicationImpersonation role and when the user is outside the management scope the role is "+
		"limited to; one mailbox cannot tell which (checking several users can).", svc, user)
	res.Fix = "If the account has no ApplicationImpersonation role:\n" + roleFix(svc, online) +
		"\nIf it has one, limited to a management scope:\n" + scopeFix(svc, []string{user})
	return res
}

// infer draws the impersonation conclusions from every user's outcome (in input order):
// refined results that replace the provisional impersonation_denied ones, then one
// account-level result. It returns nothing when no user got as far as impersonation.
func (r *run) infer(outcomes []userOutcome) (refined []Result, account *Result) {
	svc, online := r.c.cfg.ServiceAccount, r.c.online
	var denied, allowed []string
	legacy := false
	var evs []Evidence
	for _, o := range outcomes {
		switch o.imp {
		case impAllowed:
			allowed = append(allowed, o.user)
		case impDenied, impDeniedLegacy:
			denied = append(denied, o.user)
			evs = append(evs, o.steps[len(o.steps)-1].Evidence)
			legacy = legacy || o.imp == impDeniedLegacy
		}
	}
	switch {
	case len(denied) == 0 && len(allowed) == 0:
		return nil, nil
	case len(denied) == 0:
		return nil, &Result{Check: CheckImpersonation, Status: StatusOK, Code: CodeOK,
			Message:  fmt.Sprintf("%s may impersonate every user whose mailbox could be reached (%d).", svc, len(allowed)),
			Evidence: Evidence{Operation: ews.OpGetFolder}}
	case len(allowed) == 0:
		conf, why := noRoleConfidence(len(denied), legacy)
		msg := fmt.Sprintf("%s most likely lacks the ApplicationImpersonation role: Exchange refused to let it impersonate every one of the %d users it tried. "+
			"(Exchange answers a missing role and a user outside the role's scope alike; a role whose scope includes none of these users would look the same.)",
			svc, len(denied))
		if legacy {
			msg = fmt.Sprintf("%s lacks the right to impersonate: Exchange answered ErrorImpersonationDenied, which means it may impersonate no one.", svc)
		}
		fix := roleFix(svc, online)
		for i, u := range denied {
			refined = append(refined, Result{User: u, Check: CheckImpersonation, Status: StatusFailure, Code: CodeNoRoleLikely,
				Message: msg, Fix: fix, Confidence: conf, ConfidenceReason: why, Refined: true, Evidence: evs[i]})
		}
		return refined, &Result{Check: CheckImpersonation, Status: StatusFailure, Code: CodeNoRoleLikely,
			Message: msg, Fix: fix, Confidence: conf, ConfidenceReason: why,
			Evidence: Evidence{Operation: ews.OpGetFolder, ResponseCode: evs[0].ResponseCode, HTTPStatus: evs[0].HTTPStatus, Users: capList(denied)}}
	}
	why := fmt.Sprintf("Exchange let %s impersonate %d other user(s), so the role exists; only its management scope can exclude these.", svc, len(allowed))
	for i, u := range denied {
		refined = append(refined, Result{User: u, Check: CheckImpersonation, Status: StatusFailure, Code: CodeOutOfScope,
			Message: fmt.Sprintf("%s is outside the management scope of %s's ApplicationImpersonation role: Exchange refused to let it impersonate this user "+
				"(ErrorImpersonateUserDenied) while it allowed %d other user(s).", u, svc, len(allowed)),
			Fix: scopeFix(svc, []string{u}), Confidence: ConfidenceHigh, ConfidenceReason: why, Refined: true, Evidence: evs[i]})
	}
	return refined, &Result{Check: CheckImpersonation, Status: StatusWarning, Code: CodeOutOfScope,
		Message: fmt.Sprintf("%s has the ApplicationImpersonation role, but the role's management scope leaves out %d of the %d users it tried: %s.",
			svc, len(denied), len(denied)+len(allowed), strings.Join(capList(denied), ", ")),
		Fix: scopeFix(svc, denied), Confidence: ConfidenceHigh, ConfidenceReason: why,
		Evidence: Evidence{Operation: ews.OpGetFolder, ResponseCode: evs[0].ResponseCode, HTTPStatus: evs[0].HTTPStatus, Users: capList(denied)}}
}

// noRoleConfidence says how sure "the role is missing" is, when n users were all refused.
func noRoleConfidence(n int, legacy bool) (Confidence, string) {
	switch {
	case legacy:
		return ConfidenceHigh, "Exchange answered ErrorImpersonationDenied, its answer for an account that may impersonate no one."
	case n >= 10:
		return ConfidenceHigh, fmt.Sprintf("The %d users checked were all refused; a scope that excludes every one of them is unlikely.", n)
	case n >= 2:
		return ConfidenceMedium, fmt.Sprintf("The %d users checked were all refused, but that is few: a role scoped to other users would look the same. Check more users to be surer.", n)
	}
	return ConfidenceLow, "Only one user could be tried: a role scoped to other users would look the same. Check more users to be surer."
}

// capList keeps the first 20 names of a list, noting how many more there are.
func capList(users []string) []string {
	const n = 20
	if len(users) <= n {
		return users
	}
	return append(users[:n:n], fmt.Sprintf("… and %d more", len(users)-n))
}

// quote quotes a PowerShell argument.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, "`\"") + `"` }

// roleFix is the PowerShell that grants the role, organization-wide or over a scope.
func roleFix(svc string, online bool) string {
	if online {
		return "Exchange Online retired the ApplicationImpersonation role in 2025: use the Microsoft 365 (app-only) access type — an Entra " +
			"application with the full_access_as_app permission (EWS, until 1 April 2027) or Microsoft Graph application permissions, " +
			"limited to the users' group with an application access policy or RBAC for Applications."
	}
	return fmt.Sprintf("Grant the role in the Exchange Management Shell, for every mailbox:\n"+
		"  New-ManagementRoleAssignment -Name \"mailbridge-impersonation\" -Role ApplicationImpersonation -User %s\n"+
		"or only for the mailboxes of a management scope:\n"+
		"  New-ManagementScope -Name \"mailbridge-users\" -RecipientRestrictionFilter {MemberOfGroup -eq \"%s\"}\n"+
		"  New-ManagementRoleAssignment -Name \"mailbridge-impersonation\" -Role ApplicationImpersonation -User %s -CustomRecipientWriteScope \"mailbridge-users\"\n"+
		"Check with Get-ManagementRoleAssignment -Role ApplicationImpersonation -GetEffectiveUsers; role changes can take a while to apply.",
		quote(svc), groupDN(svc), quote(svc))
}

// scopeFix is the PowerShell that brings users into the role's scope.
func scopeFix(svc string, users []string) string {
	cond := make([]string, 0, len(users))
	for _, u := range capList(users) {
		if strings.HasPrefix(u, "…") {
			break
		}
		cond = append(cond, "(PrimarySmtpAddress -eq '"+u+"')")
	}
	return fmt.Sprintf("Find the scope the role is limited to:\n"+
		"  Get-ManagementRoleAssignment -Role ApplicationImpersonation -RoleAssignee %s | Format-List Name,CustomRecipientWriteScope\n"+
		"  Get-ManagementScope \"<scope>\" | Format-List RecipientRestrictionFilter\n"+
		"then bring the user(s) into it: add them to the group its filter names (Add-DistributionGroupMember \"<group>\" -Member <user>), or widen the filter:\n"+
		"  Set-ManagementScope \"<scope>\" -RecipientRestrictionFilter {(<current filter>) -or %s}\n"+
		"or, to cover every mailbox, assign the role without a scope:\n"+
		"  New-ManagementRoleAssignment -Name \"mailbridge-impersonation\" -Role ApplicationImpersonation -User %s\n"+
		"Role changes can take a while to apply.",
		quote(svc), strings.Join(cond, " -or "), quote(svc))
}

// groupDN returns an example group DN in the service account's domain.
func groupDN(svc string) string {
	dc := "DC=contoso,DC=com"
	if _, domain, ok := strings.Cut(svc, "@"); ok && domain != "" {
		parts := strings.Split(domain, ".")
		for i, p := range parts {
			parts[i] = "DC=" + p
		}
		dc = strings.Join(parts, ",")
	}
	return "CN=Mailbridge Users,OU=Groups," + dc
}
