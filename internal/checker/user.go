package checker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// impState is what a user's check showed about impersonation.
type impState int

const (
	impUnknown      impState = iota // not reached (no mailbox, throttled, …)
	impAllowed                      // Exchange let the account act as the user
	impDenied                       // ErrorImpersonateUserDenied
	impDeniedLegacy                 // ErrorImpersonationDenied: may impersonate no one
)

// userOutcome is one user's check: the steps in order (the last one decides), and what
// it showed about impersonation.
type userOutcome struct {
	user  string
	steps []Result
	imp   impState
	// authFailed says the credentials stopped working: the run must stop, or it would
	// lock the account out.
	authFailed bool
}

// final returns the user's result: the failing step, or one CheckAccess result when
// every step passed.
func (o userOutcome) final() Result {
	last := o.steps[len(o.steps)-1]
	if last.Status != StatusOK {
		return last
	}
	ev := last.Evidence
	ev.Operation = ews.OpGetFolder + "+" + ews.OpSyncFolderItems
	return Result{User: o.user, Check: CheckAccess, Status: StatusOK, Code: CodeOK,
		Message:  "Impersonation works; Inbox, Calendar and Contacts are readable; a sync can start.",
		Evidence: ev}
}

// checkedFolders are the folders a user's check reads, in one batched GetFolder.
var checkedFolders = []string{"inbox", "calendar", "contacts"}

var folderNames = map[string]string{"inbox": "Inbox", "calendar": "Calendar", "contacts": "Contacts"}

// ValidAddress reports whether s is a bare SMTP address (local@domain, no display name),
// as a user's entry must be.
func ValidAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || !strings.EqualFold(a.Address, s) {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " <>")
}

// invalidOutcome is the outcome for an entry that is not an address.
func invalidOutcome(user string) userOutcome {
	return userOutcome{user: user, steps: []Result{{User: user, Check: CheckAddress, Status: StatusFailure, Code: CodeInvalidAddress,
		Message: fmt.Sprintf("%q is not an email address; it was not checked.", user),
		Fix:     "Enter the user's primary SMTP address, such as alice@contoso.com."}}}
}

// checkUser checks one user with the fewest requests: a batched GetFolder of Inbox,
// Calendar and Contacts (which also shows that the mailbox exists and that impersonation
// is allowed), then SyncFolderItems on the Inbox without a state. A user Exchange says
// has no mailbox costs one more request: ResolveNames, as the service account, to tell
// a user without a mailbox from an unknown address.
func (r *run) checkUser(ctx context.Context, user string) (userOutcome, error) {
	out := userOutcome{user: user}
	start := r.c.opts.Now()
	requests := 0
	step := func(res Result) {
		res.User = user
		res.Evidence.DurationMS = r.c.opts.Now().Sub(start).Milliseconds()
		res.Evidence.Requests = requests
		out.steps = append(out.steps, res)
	}
	svc := r.c.cfg.ServiceAccount

	// 1. GetFolder: mailbox, impersonation, folders.
	var gf *ews.GetFolderResponse
	err := r.call(ctx, &requests, func(ctx context.Context) error {
		var err error
		gf, err = r.client.GetFolder(ctx, user, &ews.GetFolderRequest{
			FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly},
			FolderIds:   ews.FolderIds{Ids: distinguished(checkedFolders)},
		})
		if err != nil {
			return err
		}
		return throttledBatch(gf)
	})
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	ev := evidenceOf(ews.OpGetFolder, err)
	if err != nil {
		kind, code := classify(err), ews.Code(err)
		switch {
		case kind == kindEWS && (code == ews.ErrorImpersonateUserDenied || code == ews.ErrorImpersonationDenied):
			out.imp = impDenied
			if code == ews.ErrorImpersonationDenied {
				out.imp = impDeniedLegacy
			}
			// Exchange checks that the mailbox exists before it checks the right.
			step(Result{Check: CheckMailbox, Status: StatusOK, Code: CodeOK, Message: "The mailbox exists.", Evidence: ev})
			step(deniedResult(user, svc, code, ev, r.c.online))
		case kind == kindEWS && code == ews.ErrorNonExistentMailbox:
			step(r.noMailbox(ctx, user, ev, &requests))
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
		default:
			out.authFailed = kind == kindAuth
			step(r.userError(err, ev, CheckMailbox))
		}
		return out, nil
	}
	out.imp = impAllowed
	step(Result{Check: CheckMailbox, Status: StatusOK, Code: CodeOK, Message: "The mailbox exists.", Evidence: ev})
	step(Result{Check: CheckImpersonation, Status: StatusOK, Code: CodeOK,
		Message: svc + " may impersonate " + user + ".", Evidence: ev})
	res, readable := r.folderResult(user, gf, ev)
	step(res)
	if !readable {
		return out, nil
	}

	// 2. SyncFolderItems: a sync can start.
	var sync *ews.SyncFolderItemsResponse
	err = r.call(ctx, &requests, func(ctx context.Context) error {
		var err error
		sync, err = r.client.SyncFolderItems(ctx, user, &ews.SyncFolderItemsRequest{
			ItemShape:          ews.ItemShape{BaseShape: ews.ShapeIdOnly},
			SyncFolderId:       ews.FolderIds{Ids: distinguished([]string{"inbox"})},
			MaxChangesReturned: 1,
		})
		return err
	})
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	ev = evidenceOf(ews.OpSyncFolderItems, err)
	switch {
	case err == nil && (len(sync.ResponseMessages) == 0 || sync.ResponseMessages[0].SyncState == ""):
		step(Result{Check: CheckSync, Status: StatusFailure, Code: CodeSyncUnavailable,
			Message: "SyncFolderItems on the Inbox returned no sync state, so an incremental sync cannot start.",
			Fix:     "Check the mailbox with Test-MAPIConnectivity -Identity " + user + ".", Evidence: ev})
	case err == nil:
		step(Result{Check: CheckSync, Status: StatusOK, Code: CodeOK, Message: "A sync of the Inbox can start.", Evidence: ev})
	case classify(err) == kindEWS:
		switch res := r.userError(err, ev, CheckSync); res.Code {
		case CodeEWSError:
			res.Code = CodeSyncUnavailable
			res.Message = "SyncFolderItems on the Inbox failed with " + ews.Code(err) + ", so a sync cannot start."
			res.Fix = "Check the mailbox with Test-MAPIConnectivity -Identity " + user + "; " + ews.Code(err) + " is explained in the EWS documentation."
			step(res)
		default:
			step(res)
		}
	default:
		out.authFailed = classify(err) == kindAuth
		step(r.userError(err, ev, CheckSync))
	}
	return out, nil
}

// distinguished returns DistinguishedFolderIds.
func distinguished(names []string) []ews.BaseFolderId {
	ids := make([]ews.BaseFolderId, len(names))
	for i, n := range names {
		ids[i] = ews.DistinguishedFolder(n)
	}
	return ids
}

// throttledBatch returns a *ThrottledError when a batch's failed messages were all
// throttled (a read-only batch can safely be sent again), else nil.
func throttledBatch(gf *ews.GetFolderResponse) error {
	var te error
	for i := range gf.ResponseMessages {
		err := ewsclient.MessageErr(&gf.ResponseMessages[i].ResponseMessage)
		var t *ewsclient.ThrottledError
		switch {
		case err == nil:
		case errors.As(err, &t):
			te = t
		default:
			return nil
		}
	}
	return te
}

// folderResult judges the GetFolder messages: ok is false when a folder is unreadable.
func (r *run) folderResult(user string, gf *ews.GetFolderResponse, ev Evidence) (Result, bool) {
	var bad, codes []string
	var throttled error
	for i, name := range checkedFolders {
		var err error
		if i < len(gf.ResponseMessages) {
			err = ewsclient.MessageErr(&gf.ResponseMessages[i].ResponseMessage)
		} else {
			err = errors.New("no response message")
		}
		if err == nil {
			continue
		}
		var te *ewsclient.ThrottledError
		if errors.As(err, &te) {
			throttled = err
			continue
		}
		bad = append(bad, folderNames[name])
		if c := ews.Code(err); c != "" {
			codes = append(codes, c)
		} else {
			codes = append(codes, err.Error())
		}
	}
	switch {
	case len(bad) > 0:
		ev.Folders, ev.ResponseCode = bad, codes[0]
		return Result{Check: CheckFolders, Status: StatusFailure, Code: CodeFolderUnreadable,
			Message: fmt.Sprintf("%s cannot be read (%s).", strings.Join(bad, ", "), strings.Join(codes, ", ")),
			Fix: "Check that the folders exist and are not damaged (Get-MailboxFolderStatistics " + user + "), and that no " +
				"folder permission or retention lock blocks the service account; a mailbox repair (New-MailboxRepairRequest) may be needed.",
			Evidence: ev}, false
	case throttled != nil:
		ev.Error = throttled.Error()
		return r.throttledResult(CheckFolders, ev), false
	}
	ev.Folders = []string{"Inbox", "Calendar", "Contacts"}
	return Result{Check: CheckFolders, Status: StatusOK, Code: CodeOK, Message: "Inbox, Calendar and Contacts are readable.", Evidence: ev}, true
}

// noMailbox tells a user without a mailbox from an unknown address, with ResolveNames
// in the directory as the service account itself (directory lookups need no mailbox).
func (r *run) noMailbox(ctx context.Context, user string, ev Evidence, requests *int) Result {
	res := Result{Check: CheckMailbox, Status: StatusFailure, Code: CodeNoMailbox, Evidence: ev}
	var rn *ews.ResolveNamesResponse
	err := r.call(ctx, requests, func(ctx context.Context) error {
		var err error
		rn, err = r.client.ResolveNames(ctx, "", &ews.ResolveNamesRequest{
			SearchScope:       ews.ScopeActiveDirectory,
			UnresolvedEntries: []string{"smtp:" + user},
		})
		return err
	})
	if err == nil && len(rn.ResponseMessages) == 0 {
		err = errors.New("no response message")
	}
	if err != nil {
		res.Message = user + " has no mailbox Exchange can open (ErrorNonExistentMailbox): either the user has no mailbox " +
			"(or no license), or no one in the directory has this address. Looking the address up failed (" + err.Error() + "), so the check cannot tell which."
		res.Fix = "Check the address; if it is right, give the user a mailbox and a license (Enable-Mailbox " + user + ")."
		return res
	}
	m := rn.ResponseMessages[0]
	if ews.Code(m.Err()) == ews.ErrorNameResolutionNoResults || m.ResolutionSet == nil || len(m.ResolutionSet.Resolutions) == 0 {
		res.Code = CodeUnknownUser
		res.Message = "No one in the directory has the address " + user + " (ErrorNonExistentMailbox, and ResolveNames found no entry)."
		res.Fix = "Check the spelling, and use the user's primary SMTP address; remove the user from the organization if they have left."
		return res
	}
	var found *ews.EmailAddress
	for i := range m.ResolutionSet.Resolutions {
		if a := &m.ResolutionSet.Resolutions[i].Mailbox; strings.EqualFold(a.EmailAddress, user) {
			found = a
			break
		}
	}
	if found == nil {
		found = &m.ResolutionSet.Resolutions[0].Mailbox
		res.Message = fmt.Sprintf("%s resolves to %s <%s>, whose primary address differs, and Exchange found no mailbox for it (ErrorNonExistentMailbox).",
			user, found.Name, found.EmailAddress)
		res.Fix = "Use the primary SMTP address " + found.EmailAddress + "."
		return res
	}
	who := user
	if found.Name != "" {
		who = found.Name + " <" + user + ">"
	}
	switch found.MailboxType {
	case "PublicDL", "PrivateDL":
		res.Message = who + " is a distribution group, not a mailbox."
		res.Fix = "Check the group's members instead; remove the group from the organization's users."
	case "Contact":
		res.Message = who + " is a mail contact (an address outside this Exchange organization), not a mailbox."
		res.Fix = "Remove it from the organization's users, or check the mailbox where it really lives."
	default:
		res.Message = who + " is in the directory but has no mailbox (or no license), so there is nothing to sync."
		res.Fix = "Give the user a mailbox and a license (Exchange admin center, or Enable-Mailbox " + user +
			" on-premises), or remove the user from the organization."
	}
	return res
}

// userError describes a failed call of a user's check; step is the check it belongs to.
func (r *run) userError(err error, ev Evidence, step Check) Result {
	host, hostport, _ := r.c.hostPort()
	res := Result{Check: step, Status: StatusFailure, Code: CodeEWSError, Evidence: ev}
	switch classify(err) {
	case kindThrottled:
		return r.throttledResult(step, ev)
	case kindAuth:
		res.Check, res.Code = CheckAuthentication, CodeAuthFailed
		res.Message = "Exchange refused the service account's credentials (HTTP 401) during the check, after accepting them at its start; " +
			"the check stopped so as not to lock the account out."
		res.Fix = "Check whether the password was changed or the account locked out meanwhile."
	case kindNet:
		what, fix := netReason(err, hostport)
		res.Status, res.Code = StatusWarning, CodeUnreachable
		res.Message = "This user's check lost its connection: " + what + "; the result is unknown."
		res.Fix = fix + " Then check this user again."
	case kindTLS:
		what, fix := tlsReason(err, host)
		res.Check, res.Code, res.Message, res.Fix = CheckTLS, CodeTLSInvalid, "TLS failed: "+what+".", fix
	case kindHTTP:
		var he *ewsclient.HTTPError
		errors.As(err, &he)
		res = httpResult(he, r.c.cfg.EWSURL)
		res.Evidence = ev
		if he.Status == http.StatusForbidden {
			res.Check = step
			res.Message = "The server refused EWS for this mailbox with HTTP 403: EWS is turned off for the user or the application."
			res.Fix = "Get-CASMailbox <user> | Format-List EwsEnabled,EwsApplicationAccessPolicy,EwsAllowList,EwsBlockList; allow EWS for the user."
		}
	case kindEWS:
		code := ews.Code(err)
		switch code {
		case ews.ErrorMailboxMoveInProgress:
			res.Check, res.Status, res.Code = CheckMailbox, StatusWarning, CodeMailboxMoving
			res.Message = "The mailbox is being moved to another database or server (ErrorMailboxMoveInProgress); it cannot be checked now."
			res.Fix = "Check again once the move has finished (Get-MoveRequest -Identity <user>)."
		case "ErrorMailboxStoreUnavailable", "ErrorMailboxFailover", "ErrorConnectionFailed":
			res.Check, res.Status, res.Code = CheckMailbox, StatusWarning, CodeMailboxUnavailable
			res.Message = "The mailbox's database is not available (" + code + "); this is usually temporary."
			res.Fix = "Check again later; if it persists, check the database's health (Get-MailboxDatabaseCopyStatus)."
		case ews.ErrorAccessDenied:
			res.Code = CodeAccessDenied
			res.Message = "Exchange let the service account in, but denied access to the mailbox (ErrorAccessDenied): EWS may be turned off for the user, or an application access policy excludes it."
			res.Fix = "Get-CASMailbox <user> | Format-List EwsEnabled,EwsApplicationAccessPolicy,EwsAllowList,EwsBlockList; allow EWS for the user."
		case ews.ErrorInvalidSmtpAddress, ews.ErrorInvalidUserPrincipalName:
			res.Check, res.Code = CheckAddress, CodeInvalidAddress
			res.Message = "Exchange does not accept this address (" + code + ")."
			res.Fix = "Enter the user's primary SMTP address."
		default:
			res.Message = "The check failed with " + code + ": " + err.Error()
			res.Fix = code + " is explained in the EWS documentation (ResponseCode); check the mailbox's health."
		}
	case kindNotSOAP:
		res.Code, res.Message, res.Fix = CodeNotEWS, "The answer was not EWS: "+err.Error(), notEWSFix
	default:
		res.Message = "The check failed: " + err.Error()
		res.Fix = "Check again; if it persists, look at the Exchange server's EWS logs."
	}
	return res
}

// throttledResult is the honest outcome of a call Exchange kept throttling.
func (r *run) throttledResult(step Check, ev Evidence) Result {
	why := ev.ResponseCode
	if why == "" {
		why = fmt.Sprintf("HTTP %d", ev.HTTPStatus)
	}
	return Result{Check: step, Status: StatusWarning, Code: CodeThrottled, Evidence: ev,
		Message: "Exchange kept asking to slow down (" + why + ") after every retry, so this step could not be checked; this is not a failure of the user's access.",
		Fix: "Check again later or with a lower --concurrency. If it happens often, give the service account a throttling policy " +
			"with higher EWS limits (New-ThrottlingPolicy … -EwsMaxConcurrency; Set-ThrottlingPolicyAssociation <account> -ThrottlingPolicy <policy>)."}
}
