// Package checker tells an organization's admin whether mailbridge can reach every
// mailbox through the service account, and if not, exactly what is wrong and how to fix
// it: the "Check Users Exchange Impersonated Access" button and `mailbridge check`.
//
// A Checker is built from the organization's email configuration (Config: the EWS URL,
// the service account and its password, the authentication method, TLS options and a
// dial hook). Check runs:
//
//   - the service-account checks, with one GetRoomLists request as the account itself:
//     endpoint reachable, TLS valid, credentials accepted, the URL an EWS endpoint, the
//     server's version, and whether the account has a mailbox (without one, rooms and
//     resources cannot be retrieved: the product guide's warning, made into a check);
//   - then every user, concurrently and bounded (Options.Concurrency, default 24, just
//     under Exchange's EWSMaxConcurrency of 27, the service account's own request
//     included). With NTLM the handshake tests the credentials first, alone, and the
//     users' checks start as soon as it succeeds, while GetRoomLists runs; a wrong
//     password costs one failed logon either way. Each user takes two requests when all
//     is well: a batched GetFolder of Inbox, Calendar and Contacts, impersonating the
//     user (which also shows that the mailbox exists and that impersonation is allowed),
//     and a SyncFolderItems of the Inbox without a state (a sync can start). A user
//     Exchange says has no mailbox costs one more: ResolveNames in the directory tells a
//     user without a mailbox from an unknown address;
//   - then the impersonation inference. Exchange answers ErrorImpersonateUserDenied both
//     for an account without the ApplicationImpersonation role and for a user outside the
//     role's management scope, so the checker compares users: everyone refused means the
//     role is most likely missing (no_role_likely), some allowed means the refused ones
//     are outside the scope (out_of_scope). Each conclusion says how sure it is.
//
// Results are streamed to a callback as they are known; the order is documented on
// Check. Every result carries a stable Code (CodesVersion; CodeInfos lists them), a
// Status, a plain-language Message, a Fix and redacted Evidence: the password and
// Authorization headers never appear in results.
//
// Throttling is not failure: the EWS client retries ErrorServerBusy,
// ErrorExceededConnectionCount and HTTP 503 with back-off; meanwhile the checker halves
// its concurrency and gives the waiting request's slot back, and grows it again once
// Exchange stops pushing back. A call still throttled after that is reported as a
// throttled warning, never as a failure of the user's access. A refused password is never
// retried.
//
// CheckMailbox is the single-mailbox, step-by-step mode, equivalent to Microsoft's
// "Service Account Access (Developers)" test.
//
// ParseUserList reads the lists of users admins upload or pass to `mailbridge check
// --users`: one address a line, or CSV as spreadsheets and PowerShell's Export-Csv write
// it.
//
// The package does no logging; the caller owns cancellation through the context.
package checker
