package checker

import "time"

// Result is the outcome of one check: for the service account (User empty) or for one
// user. It holds no secret: evidence is redacted of the password and of Authorization
// headers.
type Result struct {
	// User is the user's address; empty for service-account checks.
	User string `json:"user,omitempty"`
	// Check names what was checked (CheckEndpoint, CheckImpersonation, …).
	Check Check `json:"check"`
	// Status is ok, warning or failure.
	Status Status `json:"status"`
	// Code is the stable result code (CodesVersion).
	Code Code `json:"code"`
	// Message says what was found, in plain language.
	Message string `json:"message"`
	// Fix says what to do about it (PowerShell where it helps); empty when nothing needs
	// doing. It is always present in JSON, empty or not, so that consumers need not tell
	// a missing key from no fix.
	Fix string `json:"fix"`
	// Confidence and ConfidenceReason qualify inferred results (no_role_likely,
	// out_of_scope): Exchange answers a missing role and a user outside the role's scope
	// alike, so these are conclusions drawn across users.
	Confidence       Confidence `json:"confidence,omitempty"`
	ConfidenceReason string     `json:"confidence_reason,omitempty"`
	// Refined marks a result that replaces the one reported earlier for the same user and
	// check: the impersonation inference, made once every user's result is known.
	Refined bool `json:"refined,omitempty"`
	// Evidence is what the conclusion rests on.
	Evidence Evidence `json:"evidence"`
}

// Evidence is the redacted record behind a result.
type Evidence struct {
	// Operation is the EWS operation that produced the deciding answer, or "handshake"
	// for NTLM's sign-in before any operation.
	Operation string `json:"operation,omitempty"`
	// ResponseCode is the EWS response code (ErrorImpersonateUserDenied, …).
	ResponseCode string `json:"response_code,omitempty"`
	// HTTPStatus is the HTTP status of the deciding answer.
	HTTPStatus int `json:"http_status,omitempty"`
	// DurationMS is how long the check took, retries and back-off included.
	DurationMS int64 `json:"duration_ms"`
	// Requests counts the EWS calls the check made (retries excluded).
	Requests int `json:"requests,omitempty"`
	// Error is the error text, redacted.
	Error string `json:"error,omitempty"`
	// OfferedSchemes are the authentication schemes the server offered (on a 401).
	OfferedSchemes []string `json:"offered_schemes,omitempty"`
	// ServerVersion is the ServerVersionInfo, as major.minor.build.revision (schema).
	ServerVersion string `json:"server_version,omitempty"`
	// Folders names the folders concerned (folder_unreadable).
	Folders []string `json:"folders,omitempty"`
	// Users lists the users an account-level inference rests on.
	Users []string `json:"users,omitempty"`
}

// Summary totals a run.
type Summary struct {
	CodesVersion int `json:"codes_version"`
	// Users is the number of distinct users checked (invalid entries included).
	Users int `json:"users"`
	// OK, Warning and Failure count users by their final status.
	OK      int `json:"ok"`
	Warning int `json:"warning"`
	Failure int `json:"failure"`
	// ServiceAccount is the worst status of the account-level results.
	ServiceAccount Status `json:"service_account"`
	// Codes counts users by their final code.
	Codes map[Code]int `json:"codes"`
	// Requests counts EWS requests sent, the client's retries included.
	Requests int64 `json:"requests"`
	// Duration is the run's wall time.
	Duration time.Duration `json:"-"`
	// DurationMS is Duration in milliseconds, for JSON.
	DurationMS int64 `json:"duration_ms"`
	// ServerVersion is what the server reported, if anything.
	ServerVersion string `json:"server_version,omitempty"`
}

// UsersFailed reports whether any user's final status is a failure.
func (s Summary) UsersFailed() bool { return s.Failure > 0 }

// ServiceAccountFailed reports whether an account-level check failed: the endpoint,
// TLS, authentication, or impersonation for everyone (no_role_likely).
func (s Summary) ServiceAccountFailed() bool { return s.ServiceAccount == StatusFailure }
