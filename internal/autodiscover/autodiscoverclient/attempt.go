package autodiscoverclient

import (
	"encoding/json"
	"time"
)

// Method names a way of looking for the EWS URL.
type Method string

// Methods, in the order Discover tries them.
const (
	// MethodPOX is an authenticated POST of an Outlook request to autodiscover.xml.
	MethodPOX Method = "pox"
	// MethodHTTPRedirect is the unauthenticated GET of
	// http://autodiscover.<domain>/autodiscover/autodiscover.xml, where only a 302 to an
	// https URL counts.
	MethodHTTPRedirect Method = "http_redirect"
	// MethodSRV is the DNS lookup of _autodiscover._tcp.<domain>.
	MethodSRV Method = "srv"
	// MethodSOAP is an authenticated GetUserSettings request to autodiscover.svc.
	MethodSOAP Method = "soap"
	// MethodStandardURL is a guessed https://<host>/EWS/Exchange.asmx: a suggestion,
	// never contacted.
	MethodStandardURL Method = "standard_url"
)

// Outcome is what one attempt came to. The values are stable: the admin panel and the
// CLI's JSON show them.
type Outcome string

// Outcomes of an attempt.
const (
	// OutcomeOK: the answer named the EWS URL.
	OutcomeOK Outcome = "ok"
	// OutcomeRedirect: the answer pointed elsewhere (redirectAddr, redirectUrl, an HTTP
	// redirect, an SRV record), and Discover followed it (see Attempt.RedirectTo).
	OutcomeRedirect Outcome = "redirect"
	// OutcomeUnauthorized: HTTP 401. Not final: another endpoint may accept the
	// credentials; several of them suggest a wrong user name or password.
	OutcomeUnauthorized Outcome = "unauthorized"
	// OutcomeNotFound: nothing there (HTTP 404 or 405, no such DNS name or record).
	OutcomeNotFound Outcome = "not_found"
	// OutcomeUserNotFound: the endpoint works but does not know the address (POX error
	// 500, SOAP InvalidUser).
	OutcomeUserNotFound Outcome = "user_not_found"
	// OutcomeAutodiscoverError: an Autodiscover error answer (POX Error, SOAP error
	// code or fault), or settings without an EWS URL.
	OutcomeAutodiscoverError Outcome = "autodiscover_error"
	// OutcomeHTTPError: another HTTP status (403, 500, 503, an unexpected redirect…).
	OutcomeHTTPError Outcome = "http_error"
	// OutcomeInvalidResponse: HTTP 200 with something that is not an Autodiscover
	// answer (a login page, broken XML) or an answer larger than the limit.
	OutcomeInvalidResponse Outcome = "invalid_response"
	// OutcomeTLSError: the TLS handshake failed (untrusted or mismatched certificate).
	OutcomeTLSError Outcome = "tls_error"
	// OutcomeUnreachable: the host name does not resolve or the connection failed.
	OutcomeUnreachable Outcome = "unreachable"
	// OutcomeTimeout: the attempt outlasted Options.AttemptTimeout.
	OutcomeTimeout Outcome = "timeout"
	// OutcomeNoRedirect: the HTTP redirect method's GET answered something else than a
	// 302.
	OutcomeNoRedirect Outcome = "no_redirect"
	// OutcomeRefused: Discover refused what it was told: a redirect to an http URL, a
	// redirectAddr to the same address, a redirect past the limit.
	OutcomeRefused Outcome = "refused"
	// OutcomeSkipped: this URL was already tried for this address (a redirect loop, or
	// two methods leading to the same URL).
	OutcomeSkipped Outcome = "skipped"
	// OutcomeCanceled: the context ended during the attempt; discovery stopped.
	OutcomeCanceled Outcome = "canceled"
	// OutcomeError: any other failure (a DNS server error, a malformed URL…).
	OutcomeError Outcome = "error"
	// OutcomeSuggestion: a standard URL offered without contacting it.
	OutcomeSuggestion Outcome = "suggestion"
)

// Attempt is one step of the trail: one request (or DNS lookup, or suggestion) and what
// came of it. It never holds credentials.
type Attempt struct {
	// Method is how this attempt looked.
	Method Method `json:"method"`
	// URL is the URL asked (credentials in it redacted), or for MethodSRV the DNS name
	// looked up.
	URL string `json:"url"`
	// Email is the address asked about: the one Discover was given, or the one a
	// redirectAddr led to. Empty for attempts that do not depend on it.
	Email string `json:"email,omitempty"`
	// Outcome is what the attempt came to.
	Outcome Outcome `json:"outcome"`
	// HTTPStatus is the answer's status code; 0 when there was no HTTP answer.
	HTTPStatus int `json:"http_status,omitempty"`
	// Err explains a failure or a refusal, in words fit for an admin (redacted).
	Err string `json:"error,omitempty"`
	// RedirectTo is where the answer pointed: an address (redirectAddr,
	// RedirectAddress) or a URL (redirectUrl, RedirectUrl, HTTP Location, SRV target).
	RedirectTo string `json:"redirect_to,omitempty"`
	// EWSURL is the EWS URL this attempt found (or suggests).
	EWSURL string `json:"ews_url,omitempty"`
	// Duration is how long the attempt took, by Options.Now.
	Duration time.Duration `json:"-"`
}

// attemptJSON is Attempt's JSON form: Duration in milliseconds.
type attemptJSON struct {
	plainAttempt
	DurationMS float64 `json:"duration_ms"`
}

type plainAttempt Attempt

// MarshalJSON writes the attempt with its duration as duration_ms.
func (a Attempt) MarshalJSON() ([]byte, error) {
	return json.Marshal(attemptJSON{plainAttempt: plainAttempt(a), DurationMS: float64(a.Duration.Microseconds()) / 1000})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (a *Attempt) UnmarshalJSON(b []byte) error {
	var v attemptJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = Attempt(v.plainAttempt)
	a.Duration = time.Duration(v.DurationMS * float64(time.Millisecond))
	return nil
}

// Result is what Discover found, and how.
type Result struct {
	// Email is the address Discover was given.
	Email string `json:"email"`
	// Mailbox is the address the answer was for: Email, or where redirectAddr answers
	// led.
	Mailbox string `json:"mailbox,omitempty"`
	// EWSURL is the EWS URL Autodiscover gave (Verified), or, when none did, the first
	// standard URL as a suggestion to check before use. Empty when discovery was
	// canceled.
	EWSURL string `json:"ews_url,omitempty"`
	// Verified says an authenticated Autodiscover answer named EWSURL. False means
	// EWSURL is only a guess.
	Verified bool `json:"verified"`
	// Method is how EWSURL was found (MethodStandardURL for a suggestion).
	Method Method `json:"method,omitempty"`
	// FoundBy is the index in Attempts of the attempt that gave EWSURL, or -1.
	FoundBy int `json:"found_by"`
	// Suggestions are the standard URLs, most likely first, when nothing was verified.
	Suggestions []string `json:"suggestions,omitempty"`
	// Unauthorized counts the attempts answered HTTP 401.
	Unauthorized int `json:"unauthorized"`
	// Attempts is the whole trail, in order.
	Attempts []Attempt `json:"attempts"`
}
