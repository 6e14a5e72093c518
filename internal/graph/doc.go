// Package graph is a thin Microsoft Graph client for app-only access to mailboxes:
// users, mail folders, per-folder message delta queries, calendar view and contact
// delta queries, rooms and room lists (places), getSchedule, and JSON batching. It is
// plain net/http and encoding/json, not the Graph SDK, whose compile cost is out of
// proportion to the dozen calls a sync needs.
//
// # Mailboxes and throttling
//
// Every call that reads a mailbox names it (user ID or userPrincipalName). Graph
// limits an app to four concurrent requests per mailbox and answers beyond with 429;
// the client keeps a semaphore per mailbox (Options.MaxConcurrentPerMailbox) so that
// it does not send a fifth. Throttled answers (429, 503, 504) are retried up to
// Options.MaxRetries times after the Retry-After the server named (or an exponential
// delay when it named none); waits end with the context, and a wait longer than
// Options.MaxRetryWait, or than the context has left, is not taken: the *Error is
// returned for the caller to reschedule. Options.Budget, when set, spreads all the
// client's requests so that the app throttles itself before Graph does: Graph allows
// 10,000 requests per 10 minutes per app and mailbox for Outlook resources, and a
// budget over the whole app (DefaultBudget) is the stricter, simpler bound.
//
// # Paging and delta queries
//
// List calls follow @odata.nextLink to the end. Delta calls return one page at a time
// (a *DeltaPage): its items, the ids it reports removed (@removed), and either a
// NextLink (more pages follow) or a DeltaLink (the round is over; keep it for the next
// round). The caller passes either link back as it was given. The client follows links
// only to the scheme and host of its base URL: a link elsewhere is refused
// (ErrForeignLink), so that a bearer token never travels to another host.
//
// # Errors
//
// An answer other than 2xx is an *Error with Graph's error code and message. Helpers
// classify it: IsThrottled, IsSyncStateNotFound (the delta link expired: resync the
// folder), IsAccessDenied (the mailbox is outside the app's RBAC scope or the app lacks
// the permission), IsNotFound, IsMailboxNotEnabledForRESTAPI. Answers larger than
// Options.MaxResponseBytes fail with ErrResponseTooLarge.
package graph
