// Package ewsclient is the EWS client: one Client per endpoint and service account,
// one method per operation (one file per operation, named as in internal/ews and
// internal/ews/ewsserver), each taking a context and the mailbox it acts on.
//
// # Impersonation
//
// Every call names a mailbox: its primary SMTP address goes into the
// ExchangeImpersonation header (ConnectingSID/PrimarySmtpAddress) and into
// X-AnchorMailbox, which routes the request to the mailbox's server directly. An empty
// mailbox makes the call as the authenticated account itself. RequestServerVersion is
// Options.ServerVersion.
//
// # Authentication
//
// Basic and NTLM implement Authenticator; an OAuth bearer source can implement it too,
// and SecretHolder, so that its token is redacted from traces and errors as the
// passwords of Basic and NTLM are. NTLM authenticates connections, not requests: the
// client keeps each connection in its own HTTP/1.1 transport and gives it to one request
// at a time, so that each connection is authenticated once, whatever the concurrency.
// Client.Handshake verifies NTLM credentials before any operation is sent.
//
// # Errors
//
// Errors are wrapped with the operation's name; branch on them with errors.As:
//
//   - *ews.ResponseError: a SOAP fault (Fault true), or the error message of an
//     operation answered by one message (SyncFolderItems, SyncFolderHierarchy, Subscribe,
//     GetEvents, Unsubscribe, ExpandDL, GetRoomLists, GetRooms, GetServerTimeZones).
//     ews.Code(err) gives its code. Batch operations (GetFolder, GetItem, FindItem,
//     FindFolder, CreateItem, UpdateItem, DeleteItem, SendItem, ConvertId, ResolveNames,
//     GetUserAvailability) return the response whenever the request as a whole
//     succeeded: read each message's error with MessageErr.
//   - *ThrottledError: ErrorServerBusy, ErrorExceededConnectionCount or HTTP 503 after
//     the retries; it carries the back-off the server asked for and unwraps to the
//     *ews.ResponseError (or *HTTPError).
//   - *AuthError: HTTP 401. Exchange answers a wrong password and an unknown account
//     alike; AuthError.SchemeOffered tells apart a server that does not offer the scheme.
//   - *HTTPError: any other HTTP answer that is not SOAP (403, 404, redirects, error
//     pages).
//   - ErrResponseTooLarge (errors.Is): a response over Options.MaxResponseBytes.
//   - TLS and network errors from net/http, unwrappable (for example
//     *tls.CertificateVerificationError).
//
// # Retries
//
// Throttled requests (a fault or single response message with ErrorServerBusy or
// ErrorExceededConnectionCount, or HTTP 503) are retried up to Options.MaxRetries times,
// after the longer of the server's back-off (BackOffMilliseconds, Retry-After) and an
// exponential delay, plus jitter. A wait that would outlast the context's deadline or
// Options.MaxRetryWait is not slept: the *ThrottledError is returned at once. Batches are
// never retried because some of their messages were throttled: the others may have been
// carried out, so the caller decides (MessageErr returns a *ThrottledError for those
// messages). A 401 is never retried: repeated wrong passwords lock accounts out.
//
// # Tests against a real Exchange
//
// The package's tests run against the Exchange simulator on a loopback listener. Set
// MAILBRIDGE_TEST_EWS_URL, MAILBRIDGE_TEST_EWS_USER, MAILBRIDGE_TEST_EWS_PASSWORD and
// MAILBRIDGE_TEST_EWS_MAILBOX (the mailbox to impersonate) to run the same suite against
// a real server instead (optionally MAILBRIDGE_TEST_EWS_CA_FILE for a private CA); tests
// that need the simulator's scenario or fault injection are then skipped. The suite
// creates one draft in the mailbox's Drafts folder and deletes it again.
package ewsclient
