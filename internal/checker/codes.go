package checker

// CodesVersion is the version of the list of result codes below. Codes are a contract
// with the UI, the API and scripts that parse `mailbridge check --json`: a code is never
// renamed or given another meaning within a version; adding a code or retiring one
// increments the version. README.md lists them in a table.
const CodesVersion = 2

// Code is a stable, machine-readable result code.
type Code string

// The result codes of CodesVersion 2 (version 2 added Microsoft 365 app-only access's). Each names the check it belongs to and the status
// it carries (see CodeInfos for both, and README.md for the table).
const (
	// CodeOK: the check passed.
	CodeOK Code = "ok"

	// Service account: the endpoint, TLS, authentication, the server.

	// CodeUnreachable: no TCP connection (DNS name unknown, connection refused or timed
	// out). A failure for the service account; a warning for a user whose check lost its
	// connection after the endpoint had answered.
	CodeUnreachable Code = "unreachable"
	// CodeTLSInvalid: the TLS handshake failed (unknown CA, wrong host name, expired
	// certificate, or the port does not speak TLS).
	CodeTLSInvalid Code = "tls_invalid"
	// CodeTLSUnverified: certificate checks were turned off on purpose (a warning).
	CodeTLSUnverified Code = "tls_unverified"
	// CodePlainHTTP: the URL is http://, so mail travels unencrypted (a warning).
	CodePlainHTTP Code = "plain_http"
	// CodeNotEWS: something answered, but not EWS (404, an HTML page, a redirect).
	CodeNotEWS Code = "not_ews"
	// CodeEWSBlocked: HTTP 403, EWS turned off for the organization, the account or the
	// application (Exchange Online's EWS retirement, EwsEnabled, EwsApplicationAccessPolicy).
	CodeEWSBlocked Code = "ews_blocked"
	// CodeAuthFailed: the server refused the credentials (wrong password, unknown, disabled
	// or locked-out account: Exchange answers all of these with the same 401).
	CodeAuthFailed Code = "auth_failed"
	// CodeAuthMethodUnavailable: the server does not offer the chosen authentication
	// method; the credentials were never checked.
	CodeAuthMethodUnavailable Code = "auth_method_unavailable"
	// CodeServerVersionOld: the server is older than Exchange 2016 (a warning).
	CodeServerVersionOld Code = "server_version_old"
	// CodeVersionUnknown: the server never sent its ServerVersionInfo (a warning).
	CodeVersionUnknown Code = "version_unknown"
	// CodeEWSRetiring: Exchange Online, where EWS is being switched off (from 1 October
	// 2026, for good on 1 April 2027): a warning to move to Microsoft Graph.
	CodeEWSRetiring Code = "ews_retiring"
	// CodeServiceMailboxMissing: the service account has no mailbox (or no license), so
	// rooms and other resources cannot be retrieved (a warning: mail still syncs).
	CodeServiceMailboxMissing Code = "service_mailbox_missing"

	// Impersonation, inferred across users.

	// CodeImpersonationDenied: Exchange refused to let the account impersonate this user
	// (ErrorImpersonateUserDenied). Provisional in a full check, replaced by
	// CodeNoRoleLikely or CodeOutOfScope once every user is known; final in the
	// single-mailbox mode, where one mailbox cannot tell the two apart.
	CodeImpersonationDenied Code = "impersonation_denied"
	// CodeNoRoleLikely: every user whose impersonation could be tried was refused: the
	// account most likely lacks the ApplicationImpersonation role.
	CodeNoRoleLikely Code = "no_role_likely"
	// CodeOutOfScope: other users could be impersonated, so the role exists; this user is
	// outside the role's management scope.
	CodeOutOfScope Code = "out_of_scope"

	// Per user.

	// CodeInvalidAddress: the entry is not an SMTP address; nothing was sent.
	CodeInvalidAddress Code = "invalid_address"
	// CodeNoMailbox: the address is in the directory but has no mailbox
	// (ErrorNonExistentMailbox), or could not be told apart from CodeUnknownUser.
	CodeNoMailbox Code = "no_mailbox"
	// CodeUnknownUser: no directory entry has the address.
	CodeUnknownUser Code = "unknown_user"
	// CodeMailboxMoving: the mailbox is being moved (transient; a warning).
	CodeMailboxMoving Code = "mailbox_moving"
	// CodeMailboxUnavailable: the mailbox database is offline or failing over (transient;
	// a warning).
	CodeMailboxUnavailable Code = "mailbox_unavailable"
	// CodeAccessDenied: impersonation passed but Exchange denied access to the mailbox
	// (ErrorAccessDenied: EWS disabled for the mailbox, an application access policy).
	CodeAccessDenied Code = "access_denied"
	// CodeFolderUnreadable: Inbox, Calendar or Contacts could not be read.
	CodeFolderUnreadable Code = "folder_unreadable"
	// CodeSyncUnavailable: SyncFolderItems on the Inbox failed.
	CodeSyncUnavailable Code = "sync_unavailable"

	// Any check.

	// CodeThrottled: Exchange kept asking to slow down after every retry; the check could
	// not finish (a warning, not a verdict).
	CodeThrottled Code = "throttled"
	// CodeEWSError: an EWS error this list has no code for; evidence names it.
	CodeEWSError Code = "ews_error"

	// Microsoft 365 app-only access (AppChecker).

	// CodeTenantUnknown: Entra ID knows no such tenant (AADSTS90002).
	CodeTenantUnknown Code = "tenant_unknown"
	// CodeAppUnknown: the tenant has no app with this client ID (AADSTS700016).
	CodeAppUnknown Code = "app_unknown"
	// CodeSecretWrong: the client secret is not the app's (AADSTS7000215).
	CodeSecretWrong Code = "secret_wrong"
	// CodeSecretExpired: the client secret has expired (AADSTS7000222).
	CodeSecretExpired Code = "secret_expired"
	// CodeCertificateRefused: the certificate is not one of the app's, or expired
	// (AADSTS700027).
	CodeCertificateRefused Code = "certificate_refused"
	// CodeConsentMissing: no administrator granted the app its permissions.
	CodeConsentMissing Code = "consent_missing"
	// CodePermissionMissing: the app lacks an application permission (a failure for
	// Mail.Read, a warning for the others).
	CodePermissionMissing Code = "permission_missing"
	// CodeGraphError: a Microsoft Graph error with no code of its own.
	CodeGraphError Code = "graph_error"
)

// Status is how bad a result is.
type Status string

// Statuses, from best to worst.
const (
	StatusOK      Status = "ok"
	StatusWarning Status = "warning"
	StatusFailure Status = "failure"
)

// rank orders statuses from best to worst.
func (s Status) rank() int {
	switch s {
	case StatusOK:
		return 0
	case StatusWarning:
		return 1
	}
	return 2
}

// worse returns the worse of two statuses.
func worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Confidence says how sure an inferred result is.
type Confidence string

// Confidence levels of inferred results (no_role_likely, out_of_scope).
const (
	ConfidenceHigh   Confidence = "high"
	ConfidenceMedium Confidence = "medium"
	ConfidenceLow    Confidence = "low"
)

// Check names what a result is about.
type Check = string

// Checks, in the order the single-mailbox mode runs them. A full check reports the
// service-account checks first (user absent), then one result per user naming the
// step that decided it (CheckAccess when every step passed), then the impersonation
// inference.
const (
	CheckEndpoint       Check = "endpoint"        // TCP connection to the EWS host
	CheckTLS            Check = "tls"             // TLS handshake and certificate
	CheckAuthentication Check = "authentication"  // the service account's credentials
	CheckEWS            Check = "ews"             // the URL serves EWS
	CheckServerVersion  Check = "server_version"  // ServerVersionInfo
	CheckServiceMailbox Check = "service_mailbox" // GetRoomLists as the account itself
	CheckAddress        Check = "address"         // the user's address is an SMTP address
	CheckMailbox        Check = "mailbox"         // the user's mailbox exists
	CheckImpersonation  Check = "impersonation"   // the account may impersonate the user
	CheckFolders        Check = "folders"         // Inbox, Calendar, Contacts readable
	CheckSync           Check = "sync"            // SyncFolderItems can start
	CheckAccess         Check = "access"          // every per-user step passed
)

// CodeInfo documents one code: the check it belongs to and its usual status.
type CodeInfo struct {
	Code    Code
	Status  Status // the status a result with this code carries (see Notes for exceptions)
	Checks  []Check
	Meaning string
}

// CodeInfos returns the documented list of CodesVersion, in README order.
func CodeInfos() []CodeInfo {
	return []CodeInfo{
		{CodeOK, StatusOK, nil, "the check passed"},
		{CodeUnreachable, StatusFailure, []Check{CheckEndpoint}, "no connection: DNS name unknown, connection refused or timed out (a warning for one user's check that lost its connection)"},
		{CodeTLSInvalid, StatusFailure, []Check{CheckTLS}, "TLS handshake failed: unknown CA, wrong host name, expired certificate, or not TLS on that port"},
		{CodeTLSUnverified, StatusWarning, []Check{CheckTLS}, "certificate checks were turned off (--insecure-skip-verify)"},
		{CodePlainHTTP, StatusWarning, []Check{CheckTLS}, "the URL is http://: mail travels unencrypted"},
		{CodeNotEWS, StatusFailure, []Check{CheckEWS}, "something answered, but not EWS (404, an HTML page, a redirect)"},
		{CodeEWSBlocked, StatusFailure, []Check{CheckEWS}, "HTTP 403: EWS is turned off for the organization, the account or the application"},
		{CodeAuthFailed, StatusFailure, []Check{CheckAuthentication}, "credentials refused: wrong password, unknown, disabled or locked-out account (Exchange answers all alike)"},
		{CodeAuthMethodUnavailable, StatusFailure, []Check{CheckAuthentication}, "the server does not offer the chosen authentication method"},
		{CodeServerVersionOld, StatusWarning, []Check{CheckServerVersion}, "older than Exchange 2016 (a failure when the server rejects the RequestServerVersion sent)"},
		{CodeVersionUnknown, StatusWarning, []Check{CheckServerVersion}, "the server did not report its version"},
		{CodeEWSRetiring, StatusWarning, []Check{CheckServerVersion}, "Exchange Online: EWS is being switched off (for good on 1 April 2027); plan the move to Microsoft Graph"},
		{CodeServiceMailboxMissing, StatusWarning, []Check{CheckServiceMailbox}, "the service account has no mailbox or license: rooms and resources cannot be retrieved"},
		{CodeImpersonationDenied, StatusFailure, []Check{CheckImpersonation}, "impersonation refused (provisional in a full check; final in the single-mailbox mode)"},
		{CodeNoRoleLikely, StatusFailure, []Check{CheckImpersonation}, "every user refused: the account most likely lacks the ApplicationImpersonation role"},
		{CodeOutOfScope, StatusFailure, []Check{CheckImpersonation, CheckAccess}, "others allowed, this user refused: outside the role's management scope (a warning on the account-level summary); Microsoft 365: outside the app's RBAC for Applications scope"},
		{CodeInvalidAddress, StatusFailure, []Check{CheckAddress}, "not an SMTP address; nothing was sent"},
		{CodeNoMailbox, StatusFailure, []Check{CheckMailbox}, "in the directory without a mailbox (ErrorNonExistentMailbox)"},
		{CodeUnknownUser, StatusFailure, []Check{CheckMailbox}, "no directory entry has this address"},
		{CodeMailboxMoving, StatusWarning, []Check{CheckMailbox}, "the mailbox is being moved; try again later"},
		{CodeMailboxUnavailable, StatusWarning, []Check{CheckMailbox}, "the mailbox database is offline or failing over; try again later"},
		{CodeAccessDenied, StatusFailure, []Check{CheckMailbox, CheckSync}, "Exchange denied access to the mailbox (EWS disabled for it, an application access policy)"},
		{CodeFolderUnreadable, StatusFailure, []Check{CheckFolders}, "Inbox, Calendar or Contacts cannot be read"},
		{CodeSyncUnavailable, StatusFailure, []Check{CheckSync}, "SyncFolderItems on the Inbox failed"},
		{CodeThrottled, StatusWarning, nil, "Exchange kept throttling after every retry: not checked, not failed"},
		{CodeEWSError, StatusFailure, nil, "an EWS error with no code of its own; evidence names it"},
		{CodeTenantUnknown, StatusFailure, []Check{CheckAuthentication}, "Microsoft 365: Entra ID knows no such tenant (AADSTS90002)"},
		{CodeAppUnknown, StatusFailure, []Check{CheckAuthentication}, "Microsoft 365: the tenant has no application with this client ID (AADSTS700016)"},
		{CodeSecretWrong, StatusFailure, []Check{CheckAuthentication}, "Microsoft 365: the client secret is not one of the app's (AADSTS7000215)"},
		{CodeSecretExpired, StatusFailure, []Check{CheckAuthentication}, "Microsoft 365: the client secret has expired (AADSTS7000222)"},
		{CodeCertificateRefused, StatusFailure, []Check{CheckAuthentication}, "Microsoft 365: the certificate is not one of the app's, or has expired (AADSTS700027)"},
		{CodeConsentMissing, StatusFailure, []Check{CheckPermissions}, "Microsoft 365: no administrator granted the app its permissions; the fix is the admin-consent URL"},
		{CodePermissionMissing, StatusWarning, []Check{CheckPermissions}, "Microsoft 365: the app lacks an application permission (a failure for Mail.Read)"},
		{CodeGraphError, StatusFailure, nil, "a Microsoft Graph error with no code of its own; evidence names it"},
	}
}
