package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors matched with errors.Is.
var (
	// ErrResponseTooLarge: an answer exceeded Options.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("graph: response too large")
	// ErrForeignLink: a nextLink or deltaLink pointed at another host than the base URL.
	ErrForeignLink = errors.New("graph: link to another host refused")
	// ErrBatchTooLarge: a $batch of more than MaxBatch requests.
	ErrBatchTooLarge = errors.New("graph: too many requests in one batch")
)

// Error is an answer of Graph other than 2xx.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code and Message are Graph's error.code and error.message ("ErrorAccessDenied",
	// "Access is denied. Check credentials and try again.").
	Code, Message string
	// InnerCode is error.innerError.code, when Graph gives one.
	InnerCode string
	// RequestID and Date identify the request for Microsoft support.
	RequestID, Date string
	// RetryAfter is the wait the server asked for (Retry-After), 0 if none.
	RetryAfter time.Duration
	// Attempts is the number of requests sent for the call, retries included.
	Attempts int
	// Body is the start of an answer that is not Graph's error JSON.
	Body string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: HTTP %d", e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	} else if e.Body != "" {
		fmt.Fprintf(&b, ": %s", e.Body)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// errorJSON is Graph's error body.
type errorJSON struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Code      string `json:"code"`
			Date      string `json:"date"`
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// newError builds an *Error from a status, headers and body.
func newError(status int, h http.Header, body []byte, now time.Time) *Error {
	e := &Error{Status: status, RequestID: h.Get("request-id")}
	e.RetryAfter, _ = retryAfter(h, now)
	var ej errorJSON
	if json.Unmarshal(body, &ej) == nil && ej.Error.Code != "" {
		e.Code, e.Message = ej.Error.Code, ej.Error.Message
		e.InnerCode, e.Date = ej.Error.InnerError.Code, ej.Error.InnerError.Date
		if ej.Error.InnerError.RequestID != "" {
			e.RequestID = ej.Error.InnerError.RequestID
		}
		return e
	}
	s := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	e.Body = s
	return e
}

// retryAfter parses Retry-After: seconds or an HTTP date. ok is false when the header
// is missing or unreadable.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// asError returns the *Error in err's chain, or nil.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func codeIs(e *Error, codes ...string) bool {
	for _, c := range codes {
		if strings.EqualFold(e.Code, c) || strings.EqualFold(e.InnerCode, c) {
			return true
		}
	}
	return false
}

// IsThrottled reports an answer asking the client to slow down: 429, or 503/504 (the
// service is busy), after the client's own retries.
func IsThrottled(err error) bool {
	e := asError(err)
	return e != nil && (e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable ||
		e.Status == http.StatusGatewayTimeout || codeIs(e, "TooManyRequests", "ApplicationThrottled", "ErrorServerBusy"))
}

// IsSyncStateNotFound reports an expired or unknown delta link (410 Gone,
// syncStateNotFound, resyncRequired, syncStateInvalid): the caller must start the
// folder's delta round again from scratch and reconcile.
func IsSyncStateNotFound(err error) bool {
	e := asError(err)
	return e != nil && (e.Status == http.StatusGone ||
		codeIs(e, "syncStateNotFound", "resyncRequired", "syncStateInvalid", "ErrorInvalidSyncStateData"))
}

// IsAccessDenied reports a 403: the mailbox is outside the app's RBAC for Applications
// scope (or application access policy), or the app lacks the permission.
func IsAccessDenied(err error) bool {
	e := asError(err)
	return e != nil && (e.Status == http.StatusForbidden ||
		codeIs(e, "ErrorAccessDenied", "AccessDenied", "Authorization_RequestDenied"))
}

// IsNotFound reports a 404: no such user, mailbox, folder or item.
func IsNotFound(err error) bool {
	e := asError(err)
	return e != nil && (e.Status == http.StatusNotFound ||
		codeIs(e, "ErrorItemNotFound", "ResourceNotFound", "Request_ResourceNotFound", "ErrorInvalidUser", "MailboxNotFound"))
}

// IsMailboxNotEnabledForRESTAPI reports a user without an Exchange Online mailbox
// (unlicensed, on-premises, or inactive): Graph cannot read it.
func IsMailboxNotEnabledForRESTAPI(err error) bool {
	e := asError(err)
	return e != nil && codeIs(e, "MailboxNotEnabledForRESTAPI", "MailboxNotSupportedForRESTAPI")
}

// IsUnauthorized reports a 401: the token was refused (expired, wrong audience).
func IsUnauthorized(err error) bool {
	e := asError(err)
	return e != nil && e.Status == http.StatusUnauthorized
}
