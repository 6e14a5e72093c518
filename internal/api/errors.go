package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Error codes: what a client branches on. The HTTP status says the same more coarsely.
const (
	codeInvalidInput     = "invalid_input"           // 400 (unreadable request) or 422 (values to fix)
	codeUnauthenticated  = "unauthenticated"         // 401
	codeForbidden        = "forbidden"               // 403
	codeNotFound         = "not_found"               // 404
	codeMethodNotAllowed = "method_not_allowed"      // 405
	codeConflict         = "conflict"                // 409
	codeTooLarge         = "too_large"               // 413
	codeUnsupportedMedia = "unsupported_media_type"  // 415
	codeExchange         = "exchange_error"          // 502: Exchange failed or refused
	codeServiceMailbox   = "service_mailbox_missing" // 409: the service account has no mailbox
	codeInternal         = "internal"                // 500
	internalMessage      = "Something went wrong on the server; it has been logged. Try again later."
)

// apiError is the body of every error response, under "error".
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Lines   []lineError       `json:"lines,omitempty"`
	Fix     string            `json:"fix,omitempty"`
}

// lineError is a line of an imported list that is not understood.
type lineError struct {
	Line    int    `json:"line,omitempty"`
	Text    string `json:"text,omitempty"`
	Message string `json:"message"`
}

// requestError is a problem with the request itself, found by the API before control
// was asked: a status and the error to send.
type requestError struct {
	status int
	body   apiError
}

func (e *requestError) Error() string { return "api: " + e.body.Code + ": " + e.body.Message }

func badRequest(msg string, fields map[string]string) error {
	return &requestError{http.StatusBadRequest, apiError{Code: codeInvalidInput, Message: msg, Fields: fields}}
}

// classify returns the status and body for an error.
func classify(err error) (int, apiError, bool) {
	var (
		ie  *control.InputError
		im  *control.ImportError
		re  *requestError
		mbe *http.MaxBytesError
		ee  *control.ExchangeError
		sme *control.ServiceMailboxError
		de  *store.DuplicateError
	)
	switch {
	case errors.As(err, &re):
		return re.status, re.body, false
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, apiError{Code: codeTooLarge, Message: fmt.Sprintf("The request body is larger than %s.", sizeWords(mbe.Limit))}, false
	case errors.Is(err, errBadToken):
		return http.StatusUnauthorized, apiError{Code: codeUnauthenticated, Message: "The API token is not valid (revoked, mistyped, or not an API token)."}, false
	case errors.Is(err, control.ErrUnauthenticated):
		return http.StatusUnauthorized, apiError{Code: codeUnauthenticated, Message: "Send an API token: Authorization: Bearer mbt_…"}, false
	case errors.Is(err, control.ErrForbidden):
		return http.StatusForbidden, apiError{Code: codeForbidden, Message: "This action needs an operator token."}, false
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, apiError{Code: codeNotFound, Message: "Not found."}, false
	case errors.As(err, &ie):
		// control reports a save over a newer version as an input error on "version".
		if _, ok := ie.Fields["version"]; ok && len(ie.Fields) == 1 {
			return http.StatusConflict, apiError{Code: codeConflict, Message: ie.Fields["version"], Fields: ie.Fields}, false
		}
		return http.StatusUnprocessableEntity, apiError{Code: codeInvalidInput, Message: inputMessage(ie), Fields: ie.Fields}, false
	case errors.As(err, &im):
		lines := make([]lineError, len(im.Lines))
		for i, l := range im.Lines {
			lines[i] = lineError{Line: l.Line, Text: l.Text, Message: l.Message}
		}
		return http.StatusUnprocessableEntity, apiError{Code: codeInvalidInput, Message: im.Error() + "; nothing was imported.", Lines: lines}, false
	case errors.As(err, &de), errors.Is(err, store.ErrConflict):
		return http.StatusConflict, apiError{Code: codeConflict, Message: "This exists already, or was changed meanwhile."}, false
	case errors.As(err, &sme):
		return http.StatusConflict, apiError{Code: codeServiceMailbox, Message: sentence(sme.Error()), Fix: control.ServiceMailboxFix}, false
	case errors.As(err, &ee):
		return http.StatusBadGateway, apiError{Code: codeExchange, Message: sentence(ee.Error())}, false
	case errors.Is(err, control.ErrSealedPasswordUnreadable):
		// The master key changed under the saved password: the operator must know, so it
		// is the server's failure, logged, like the store's.
		return http.StatusInternalServerError, apiError{Code: codeInternal, Message: internalMessage}, true
	}
	return http.StatusInternalServerError, apiError{Code: codeInternal, Message: internalMessage}, true
}

// fail writes the error response for err, logging it when it is the server's fault.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if ctxErr(r.Context(), err) {
		return // the client went away: nobody reads an answer
	}
	status, body, internal := classify(err)
	if internal {
		h.log.ErrorContext(r.Context(), "api request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if status == http.StatusUnauthorized {
		v := `Bearer realm="mailbridge"`
		if errors.Is(err, errBadToken) {
			v += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", v)
	}
	writeError(w, status, body)
}

// writeError writes an error response.
func writeError(w http.ResponseWriter, status int, e apiError) {
	writeJSON(w, status, struct {
		Error apiError `json:"error"`
	}{e})
}

// writeJSON writes v as the JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every response type marshals; this is a bug, not a request's fault.
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"`+internalMessage+`"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// inputMessage summarises the fields of an input error in one sentence.
func inputMessage(ie *control.InputError) string {
	if len(ie.Fields) == 1 {
		for _, m := range ie.Fields {
			return m
		}
	}
	return "Some values are not valid: see fields."
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// sizeWords says a byte count as people do.
func sizeWords(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
