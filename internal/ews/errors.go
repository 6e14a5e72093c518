package ews

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Response codes this project produces or branches on. The full list is
// ResponseCodeType in messages.xsd.
const (
	NoError                                     = "NoError"
	ErrorAccessDenied                           = "ErrorAccessDenied"
	ErrorBatchProcessingStopped                 = "ErrorBatchProcessingStopped"
	ErrorExceededConnectionCount                = "ErrorExceededConnectionCount"
	ErrorExceededSubscriptionCount              = "ErrorExceededSubscriptionCount"
	ErrorFolderNotFound                         = "ErrorFolderNotFound"
	ErrorImpersonateUserDenied                  = "ErrorImpersonateUserDenied"
	ErrorImpersonationDenied                    = "ErrorImpersonationDenied"
	ErrorIncorrectUpdatePropertyCount           = "ErrorIncorrectUpdatePropertyCount"
	ErrorInternalServerError                    = "ErrorInternalServerError"
	ErrorInvalidExchangeImpersonationHeaderData = "ErrorInvalidExchangeImpersonationHeaderData"
	ErrorInvalidIdMalformed                     = "ErrorInvalidIdMalformed"
	ErrorInvalidOperation                       = "ErrorInvalidOperation"
	ErrorInvalidRequest                         = "ErrorInvalidRequest"
	ErrorInvalidServerVersion                   = "ErrorInvalidServerVersion"
	ErrorInvalidSid                             = "ErrorInvalidSid"
	ErrorInvalidSmtpAddress                     = "ErrorInvalidSmtpAddress"
	ErrorInvalidSubscription                    = "ErrorInvalidSubscription"
	ErrorInvalidSyncStateData                   = "ErrorInvalidSyncStateData"
	ErrorInvalidUserPrincipalName               = "ErrorInvalidUserPrincipalName"
	ErrorItemNotFound                           = "ErrorItemNotFound"
	ErrorMailboxMoveInProgress                  = "ErrorMailboxMoveInProgress"
	ErrorNameResolutionMultipleResults          = "ErrorNameResolutionMultipleResults"
	ErrorNameResolutionNoResults                = "ErrorNameResolutionNoResults"
	ErrorNonExistentMailbox                     = "ErrorNonExistentMailbox"
	ErrorSchemaValidation                       = "ErrorSchemaValidation"
	ErrorServerBusy                             = "ErrorServerBusy"
	ErrorSubscriptionNotFound                   = "ErrorSubscriptionNotFound"
)

// Response classes.
const (
	ClassSuccess = "Success"
	ClassWarning = "Warning"
	ClassError   = "Error"
)

// IsThrottling reports whether code means "slow down and retry".
func IsThrottling(code string) bool {
	return code == ErrorServerBusy || code == ErrorExceededConnectionCount
}

// ResponseError is an EWS error: a ResponseMessage whose class is Error, or a SOAP fault
// (Fault true) that failed the whole request.
type ResponseError struct {
	Code    string            // ResponseCode, e.g. ErrorItemNotFound
	Message string            // MessageText or the fault string
	Fault   bool              // delivered as a SOAP fault (HTTP 500)
	Values  map[string]string // t:Value entries of MessageXml, e.g. BackOffMilliseconds
}

func (e *ResponseError) Error() string {
	kind := "error"
	if e.Fault {
		kind = "fault"
	}
	if e.Message == "" {
		return fmt.Sprintf("ews: %s %s", kind, e.Code)
	}
	return fmt.Sprintf("ews: %s %s: %s", kind, e.Code, e.Message)
}

// BackOff returns the wait Exchange asked for in BackOffMilliseconds, or 0.
func (e *ResponseError) BackOff() time.Duration {
	ms, err := strconv.Atoi(e.Values["BackOffMilliseconds"])
	if err != nil || ms < 0 {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// Code returns the EWS response code carried by err, or "" if err is not an EWS error.
func Code(err error) string {
	var re *ResponseError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

// SchemaError is a request that does not match the EWS schema: malformed XML, a wrong
// namespace, an unexpected element. Exchange answers it with an ErrorSchemaValidation
// fault carrying the position.
type SchemaError struct {
	Line, Column int
	Violation    string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("ews: schema validation failed at line %d, position %d: %s", e.Line, e.Column, e.Violation)
}

// UnknownOperationError is a request whose body names no operation this endpoint serves.
type UnknownOperationError struct {
	Operation string
}

func (e *UnknownOperationError) Error() string {
	return fmt.Sprintf("ews: unknown operation %q", e.Operation)
}
