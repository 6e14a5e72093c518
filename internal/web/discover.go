package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/control"
)

// discoverRequest is the wand's input: the form's service account as it stands (an
// empty password means the saved one).
type discoverRequest struct {
	AccountLogon string `json:"account_logon"`
	Password     string `json:"password"`
	AuthMethod   string `json:"auth_method"`
	Email        string `json:"email"`
}

// discoverResponse is the wand's answer to the page's script.
type discoverResponse struct {
	Type string `json:"type"` // "discover", or "error" for input errors
	// OK: EWSURL may fill the field — verified, or a suggestion when nothing refused
	// the credentials.
	OK       bool   `json:"ok"`
	Verified bool   `json:"verified"`
	EWSURL   string `json:"ews_url,omitempty"`
	// Message is the sentence to show: verified, only a suggestion, or why it failed.
	Message string            `json:"message"`
	Error   string            `json:"error,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Trail is the whole result, for the form's hidden field (saved with the
	// configuration); TrailHTML is it rendered for the page.
	Trail     *autodiscoverclient.Result `json:"trail,omitempty"`
	TrailHTML string                     `json:"trail_html,omitempty"`
}

// discover is the magic wand: Autodiscover with the form's credentials. It saves nothing.
func (h *Handler) discover(w http.ResponseWriter, r *http.Request, c *call) error {
	var in discoverRequest
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, jsonError{Type: "error", Message: "The request cannot be read."})
			return nil
		}
	} else {
		if err := parseForm(r); err != nil {
			return err
		}
		in = discoverRequest{AccountLogon: r.PostForm.Get("account_logon"), Password: r.PostForm.Get("password"),
			AuthMethod: r.PostForm.Get("auth_method"), Email: r.PostForm.Get("email")}
	}
	res, err := h.svc.Discover(r.Context(), c.principal(), c.org.ID, control.DiscoverInput{
		AccountLogon: in.AccountLogon, Password: in.Password, AuthMethod: in.AuthMethod, Email: in.Email})
	err = h.unreadablePassword(r, c, err, "password", "enter the password again.")
	var ie *control.InputError
	if errors.As(err, &ie) {
		fields := map[string]string{}
		for k, msg := range ie.Fields {
			if id, ok := emailFields[k]; ok {
				fields[id] = msg
			} else {
				fields["account_logon"] = msg
			}
		}
		writeJSON(w, http.StatusUnprocessableEntity, discoverResponse{Type: "error", Fields: fields,
			Message: "Check the highlighted fields, then press the magic wand again."})
		return nil
	}
	if res == nil {
		if err == nil {
			err = errors.New("web: discover returned no result")
		}
		return err
	}
	tv := newTrailView(res, err, false)
	out := discoverResponse{Type: "discover", Verified: res.Verified, EWSURL: res.EWSURL, Trail: res, Message: tv.Verdict, Error: tv.Error}
	out.OK = res.EWSURL != "" && (res.Verified || errors.Is(err, autodiscoverclient.ErrNotFound) &&
		!errors.Is(err, autodiscoverclient.ErrUnauthorized) && !errors.Is(err, autodiscoverclient.ErrAuthMethod))
	if !out.OK {
		out.Message = orDefault(tv.Error, tv.Verdict)
	}
	var buf bytes.Buffer
	if terr := h.pages["email"].ExecuteTemplate(&buf, "trail", tv); terr != nil {
		return terr
	}
	out.TrailHTML = buf.String()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// discoverErrorText says in words why the wand found no verified URL.
func discoverErrorText(err error) string {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "The search was stopped before it finished."
	case errors.Is(err, autodiscoverclient.ErrTooManyRedirects):
		return "Autodiscover stopped: the answers redirected too many times."
	case errors.Is(err, autodiscoverclient.ErrAuthMethod):
		return "No EWS URL was found: the servers that asked for credentials do not offer the chosen authentication. Choose the other method under Authentication and try again."
	case errors.Is(err, autodiscoverclient.ErrUnauthorized):
		return "No EWS URL was found: Autodiscover refused the credentials (HTTP 401). The account logon or the password may be wrong — Exchange answers a wrong password and an unknown account alike."
	case errors.Is(err, autodiscoverclient.ErrNotFound):
		return "No Autodiscover answer named an EWS URL."
	}
	return "Autodiscover failed."
}

// formatStatus shows an HTTP status, or a dash.
func formatStatus(n int) string {
	if n == 0 {
		return "—"
	}
	return strconv.Itoa(n)
}

// tenantResponse is the Microsoft 365 wand's answer to the page's script.
type tenantResponse struct {
	Type     string            `json:"type"`             // "tenant", or "error"
	Tenant   string            `json:"tenant,omitempty"` // as looked up (lower case)
	TenantID string            `json:"tenant_id,omitempty"`
	Message  string            `json:"message"`
	Fields   map[string]string `json:"fields,omitempty"`
}

// discoverTenant is the magic wand of Microsoft 365 access: the tenant ID of the
// form's domain. It saves nothing.
func (h *Handler) discoverTenant(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	tenant := r.PostForm.Get("tenant")
	info, err := h.svc.DiscoverTenant(r.Context(), c.principal(), c.org.ID, tenant)
	var ie *control.InputError
	if errors.As(err, &ie) {
		writeJSON(w, http.StatusUnprocessableEntity, tenantResponse{Type: "error", Fields: map[string]string{"tenant": ie.Fields["tenant"]},
			Message: "Check the tenant, then press the magic wand again."})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tenantResponse{Type: "tenant", Tenant: info.Tenant, TenantID: info.TenantID,
		Message: "The tenant ID of " + info.Tenant + " is " + info.TenantID + "."})
	return nil
}
