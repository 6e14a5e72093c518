package ewsclient

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// ErrResponseTooLarge is returned (wrapped) when a response, or one envelope of a
// streaming response, exceeds Options.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response too large")

// AuthError is an HTTP 401 that ended an exchange: the server did not accept the
// credentials, or does not offer the authentication scheme the client uses. It is never
// retried: repeating a wrong password locks accounts out.
type AuthError struct {
	// Scheme is the scheme the client used: "Basic", "NTLM", …
	Scheme string
	// User is the account name the client presented (never its password), when the
	// Authenticator has one.
	User string
	// Offered lists the schemes the server offered in its WWW-Authenticate headers, in
	// order, without parameters or tokens: for example "Negotiate", "NTLM", "Basic".
	Offered []string
}

// SchemeOffered reports whether the server offers the scheme the client used. When it
// does not, the credentials were never checked: the fix is another authentication
// method, not another password. NTLM counts as offered when the server offers either
// NTLM or Negotiate.
func (e *AuthError) SchemeOffered() bool {
	for _, s := range e.Offered {
		if strings.EqualFold(s, e.Scheme) {
			return true
		}
		if strings.EqualFold(e.Scheme, "NTLM") && strings.EqualFold(s, "Negotiate") {
			return true
		}
	}
	return false
}

func (e *AuthError) Error() string {
	who := ""
	if e.User != "" {
		who = " for " + e.User
	}
	offered := "none"
	if len(e.Offered) > 0 {
		offered = strings.Join(e.Offered, ", ")
	}
	if !e.SchemeOffered() {
		return fmt.Sprintf("authentication failed (HTTP 401)%s: the server does not offer %s authentication (it offers: %s)",
			who, e.Scheme, offered)
	}
	if strings.EqualFold(e.Scheme, "Bearer") {
		return "authentication failed (HTTP 401) with an OAuth token: Exchange Online refused the app's token " +
			"(the app needs the full_access_as_app permission with admin consent, and a token for https://outlook.office365.com)"
	}
	return fmt.Sprintf("authentication failed (HTTP 401)%s with %s: the user name or password is wrong, "+
		"or the account does not exist, is disabled or locked out; Exchange answers all of these alike", who, e.Scheme)
}

// HTTPError is an HTTP answer that is neither a SOAP response nor a fault the client
// understands: 403 (EWS disabled for the tenant, user or app), 404 (wrong URL), a
// redirect (EWS requests are never redirected), a 500 without a SOAP fault, or a 200 that
// is not XML (such as a reverse proxy's login page).
type HTTPError struct {
	Status      int    // HTTP status code
	ContentType string // Content-Type of the answer
	Location    string // Location header of a redirect
	// Body is the start of the answer's body, truncated and with credentials redacted.
	Body string
	// EWSDisabled marks a 403 to a bearer-authenticated request: Exchange Online's answer
	// when EWS is switched off (the error then unwraps to ErrEWSDisabled).
	EWSDisabled bool
}

// Unwrap returns ErrEWSDisabled for Exchange Online's "EWS is off" answer.
func (e *HTTPError) Unwrap() error {
	if e.EWSDisabled {
		return ErrEWSDisabled
	}
	return nil
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Status == 200 {
		fmt.Fprintf(&b, " with %q, not a SOAP response", e.ContentType)
	}
	if e.Location != "" {
		fmt.Fprintf(&b, " redirecting to %s (EWS requests are not redirected: use that URL, or Autodiscover)", e.Location)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %s", e.Body)
	}
	if e.EWSDisabled {
		fmt.Fprintf(&b, " (%v)", ErrEWSDisabled)
	}
	return b.String()
}

// ThrottledError says the server asked the client to slow down: ErrorServerBusy (as a
// SOAP fault or as a response message), ErrorExceededConnectionCount, or HTTP 503. The
// client returns it once its retries are exhausted, when the wait would outlast the
// context's deadline or Options.MaxRetryWait, or, for a response message of a batch,
// through MessageErr. It unwraps to the *ews.ResponseError (or, for a 503, the
// *HTTPError) it came from.
type ThrottledError struct {
	// Code is ErrorServerBusy or ErrorExceededConnectionCount; empty for HTTP 503.
	Code string
	// HTTPStatus is 500 for a fault, 200 for a response message, 503 for the bare status.
	HTTPStatus int
	// BackOff is the wait the server asked for (BackOffMilliseconds, Retry-After), or 0 if
	// it named none.
	BackOff time.Duration
	// Attempts is the number of requests sent (0 for a response message read with
	// MessageErr).
	Attempts int
	// Err is the underlying *ews.ResponseError or *HTTPError.
	Err error
}

func (e *ThrottledError) Error() string {
	what := e.Code
	if what == "" {
		what = fmt.Sprintf("HTTP %d", e.HTTPStatus)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "throttled by the server (%s)", what)
	if e.BackOff > 0 {
		fmt.Fprintf(&b, ", asked to wait %v", e.BackOff)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, ", after %d attempts", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the underlying *ews.ResponseError or *HTTPError.
func (e *ThrottledError) Unwrap() error { return e.Err }

// MessageErr returns the error of one response message: nil for Success and Warning, a
// *ThrottledError (wrapping the *ews.ResponseError) for ErrorServerBusy and
// ErrorExceededConnectionCount, and the *ews.ResponseError otherwise.
//
// Batch operations (GetFolder, GetItem, CreateItem, …) return their response even when
// some messages failed; the client never retries a batch because some of its messages
// were throttled, since the others may have been carried out. The caller decides: for
// example, retry the throttled ids alone after the BackOff.
func MessageErr(m *ews.ResponseMessage) error {
	err := m.Err()
	if err == nil {
		return nil
	}
	re := err.(*ews.ResponseError)
	if ews.IsThrottling(re.Code) {
		return &ThrottledError{Code: re.Code, HTTPStatus: 200, BackOff: re.BackOff(), Err: re}
	}
	return re
}

// throttled converts err into a *ThrottledError when it is one of the throttling
// answers, and returns nil otherwise.
func throttled(err error, status int) *ThrottledError {
	var re *ews.ResponseError
	if errors.As(err, &re) && ews.IsThrottling(re.Code) {
		return &ThrottledError{Code: re.Code, HTTPStatus: status, BackOff: re.BackOff(), Err: re}
	}
	return nil
}
