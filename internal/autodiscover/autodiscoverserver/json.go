package autodiscoverserver

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// serveJSON answers Autodiscover v2, anonymously: 200 {"Protocol","Url"}; a redirect
// (configured or from the Backend) is a 302 to the same endpoint, for the other
// address or on the other server; bad parameters are 400, an unknown user 404 [verify:
// Exchange Online answers unknown users with a 302 elsewhere], a busy Backend 503.
func (h *Handler) serveJSON(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, "GET")
		return
	}
	req, err := autodiscover.ParseJSONRequest(r.URL)
	if err != nil {
		notFound(w)
		return
	}
	switch {
	case req.Protocol == "":
		writeJSONError(w, http.StatusBadRequest, "MandatoryParameterMissing", "A valid value must be provided for the query parameter 'Protocol'.")
		return
	case req.Email == "" || !strings.Contains(req.Email, "@"):
		writeJSONError(w, http.StatusBadRequest, "MandatoryParameterMissing", "A valid value must be provided for the query parameter 'Email'.")
		return
	}
	protocol, ok := canonicalJSONProtocol(req.Protocol)
	if !ok {
		writeJSONError(w, http.StatusBadRequest, "InvalidProtocol", fmt.Sprintf(
			"The given protocol value '%s' is invalid. Supported values are '%s, %s, %s'.", req.Protocol,
			autodiscover.JSONProtocolEWS, autodiscover.JSONProtocolAutodiscoverV1, autodiscover.JSONProtocolActiveSync))
		return
	}

	out := h.resolve(r.Context(), req.Email)
	switch {
	case out.redirectAddress != "":
		http.Redirect(w, r, requestBase(r)+autodiscover.JSONRequestPath(out.redirectAddress, protocol), http.StatusFound)
	case out.redirectURL != "":
		http.Redirect(w, r, siblingURL(out.redirectURL, autodiscover.JSONRequestPath(req.Email, protocol)), http.StatusFound)
	case errors.Is(out.err, ErrUserNotFound):
		writeJSONError(w, http.StatusNotFound, "UserNotFound", fmt.Sprintf("The user '%s' was not found.", req.Email))
	case errors.Is(out.err, ErrServerBusy):
		w.Header().Set("Retry-After", "30")
		writeJSONError(w, http.StatusServiceUnavailable, "ServerBusy", "The server is too busy to process the request.")
	case out.err != nil:
		writeJSONError(w, http.StatusInternalServerError, "InternalServerError", "The server encountered an internal error.")
	default:
		u := out.user
		ews := u.external
		if ews == "" {
			ews = u.internal
		}
		resp := &autodiscover.JSONResponse{Protocol: protocol}
		switch protocol {
		case autodiscover.JSONProtocolEWS:
			resp.URL = ews
		case autodiscover.JSONProtocolAutodiscoverV1:
			resp.URL = requestBase(r) + autodiscover.POXPath
		case autodiscover.JSONProtocolActiveSync:
			resp.URL = siblingURL(ews, "/Microsoft-Server-ActiveSync")
		}
		writeJSON(w, http.StatusOK, func(b *bytes.Buffer) error { return autodiscover.EncodeJSONResponse(b, resp) })
	}
}

func canonicalJSONProtocol(p string) (string, bool) {
	for _, known := range []string{autodiscover.JSONProtocolEWS, autodiscover.JSONProtocolAutodiscoverV1, autodiscover.JSONProtocolActiveSync} {
		if strings.EqualFold(p, known) {
			return known, true
		}
	}
	return "", false
}

// requestBase is the scheme and host the request reached this server by.
func requestBase(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	e := &autodiscover.JSONError{ErrorCode: code, ErrorMessage: msg}
	writeJSON(w, status, func(b *bytes.Buffer) error { return autodiscover.EncodeJSONError(b, e) })
}

func writeJSON(w http.ResponseWriter, status int, encode func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// serveHTTPRedirect answers the unauthenticated plain-HTTP GET with a 302 to the https
// POX endpoint, as the redirect site of the "HTTP redirect method" does.
func (h *Handler) serveHTTPRedirect(w http.ResponseWriter, r *http.Request) {
	target := h.opts.HTTPRedirectURL
	if target == "" {
		target = (&url.URL{Scheme: "https", Host: hostWithoutPort(r), Path: autodiscover.POXPath}).String()
	}
	w.Header().Set("Location", target)
	w.WriteHeader(http.StatusFound)
}
