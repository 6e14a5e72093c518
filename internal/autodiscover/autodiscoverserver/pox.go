package autodiscoverserver

import (
	"bytes"
	"errors"
	"net/http"
	"strings"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// Messages of the POX errors Exchange sends. exchangelib recognises an unknown user by
// the exact text of POXUserNotFound's message.
const (
	msgPOXUserNotFound        = "The e-mail address cannot be found."
	msgPOXInvalidRequest      = "Invalid Request"
	msgPOXProviderUnavailable = "Provider is not available." // [verify] wording
	msgPOXInternalError       = "The Autodiscover service encountered an internal error."
)

// servePOX answers autodiscover.xml. Every protocol-level problem is an Error with HTTP
// 200, as Exchange does; a GET (the browser test) gets error 600.
func (h *Handler) servePOX(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet:
		h.writePOXError(w, autodiscover.POXInvalidRequest, msgPOXInvalidRequest)
		return
	default:
		methodNotAllowed(w, "GET, POST")
		return
	}
	req, err := autodiscover.DecodePOXRequest(http.MaxBytesReader(w, r.Body, h.opts.MaxRequestBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		tooLarge(w)
		return
	case err != nil:
		// Malformed, or the client went away: either way Exchange's answer is 600.
		h.writePOXError(w, autodiscover.POXInvalidRequest, msgPOXInvalidRequest)
		return
	}
	if req.AcceptableResponseSchema != autodiscover.NSPOXOutlookResponse {
		h.writePOXError(w, autodiscover.POXProviderUnavailable, msgPOXProviderUnavailable)
		return
	}
	if req.EMailAddress == "" {
		// A LegacyDN-only request: the Backend resolves addresses only.
		h.writePOXError(w, autodiscover.POXUserNotFound, msgPOXUserNotFound)
		return
	}

	out := h.resolve(r.Context(), req.EMailAddress)
	switch {
	case out.redirectAddress != "":
		h.writePOX(w, &autodiscover.POXResponse{Account: &autodiscover.POXAccount{
			Action: autodiscover.POXActionRedirectAddr, RedirectAddr: out.redirectAddress,
		}})
	case out.redirectURL != "":
		h.writePOX(w, &autodiscover.POXResponse{Account: &autodiscover.POXAccount{
			Action: autodiscover.POXActionRedirectURL, RedirectURL: withFile(out.redirectURL, "autodiscover.xml"),
		}})
	case errors.Is(out.err, ErrUserNotFound):
		h.writePOXError(w, autodiscover.POXUserNotFound, msgPOXUserNotFound)
	case errors.Is(out.err, ErrServerBusy):
		w.Header().Set("Retry-After", "30")
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	case out.err != nil:
		h.writePOXError(w, autodiscover.POXInternalError, msgPOXInternalError)
	default:
		h.writePOX(w, h.poxSettings(out.user))
	}
}

// poxSettings builds the settings answer: EXCH for the internal URLs, EXPR for the
// external ones, WEB for Outlook on the web.
func (h *Handler) poxSettings(u *resolvedUser) *autodiscover.POXResponse {
	acct := &autodiscover.POXAccount{
		AccountType:     "email",
		Action:          autodiscover.POXActionSettings,
		MicrosoftOnline: "False",
	}
	web := autodiscover.POXProtocol{Type: autodiscover.POXProtocolWEB}
	if in := u.internal; in != "" {
		acct.Protocols = append(acct.Protocols, autodiscover.POXProtocol{
			Type:          autodiscover.POXProtocolEXCH,
			Server:        u.MailboxServer,
			ServerDN:      u.serverDN,
			ServerVersion: h.opts.ServerVersion.POXServerVersion(),
			MdbDN:         u.MailboxDN,
			ASURL:         in,
			EWSURL:        in,
			EMWSURL:       in,
			ECPURL:        siblingURL(in, "/ecp/"),
			OOFURL:        in,
		})
		web.Internal = &autodiscover.POXWebAccess{
			OWAURLs:   []autodiscover.POXOWAURL{{AuthenticationMethod: "Basic, Fba", URL: siblingURL(in, "/owa/")}},
			Protocols: []autodiscover.POXProtocol{{Type: autodiscover.POXProtocolEXCH, ASURL: in}},
		}
	}
	if ex := u.external; ex != "" {
		ssl := "Off"
		if strings.HasPrefix(ex, "https:") {
			ssl = "On"
		}
		acct.Protocols = append(acct.Protocols, autodiscover.POXProtocol{
			Type:                autodiscover.POXProtocolEXPR,
			Server:              hostOf(ex),
			SSL:                 ssl,
			AuthPackage:         h.opts.AuthPackage,
			ASURL:               ex,
			EWSURL:              ex,
			EMWSURL:             ex,
			ECPURL:              siblingURL(ex, "/ecp/"),
			OOFURL:              ex,
			GroupingInformation: u.GroupingInformation,
		})
		web.External = &autodiscover.POXWebAccess{
			OWAURLs:   []autodiscover.POXOWAURL{{AuthenticationMethod: "Fba", URL: siblingURL(ex, "/owa/")}},
			Protocols: []autodiscover.POXProtocol{{Type: autodiscover.POXProtocolEXPR, ASURL: ex}},
		}
	}
	acct.Protocols = append(acct.Protocols, web)
	return &autodiscover.POXResponse{
		User: &autodiscover.POXUser{
			DisplayName:             u.DisplayName,
			LegacyDN:                u.LegacyDN,
			AutoDiscoverSMTPAddress: u.SMTPAddress,
			DeploymentID:            u.DeploymentID,
		},
		Account: acct,
	}
}

func (h *Handler) writePOXError(w http.ResponseWriter, code int, msg string) {
	h.writePOX(w, &autodiscover.POXResponse{Error: &autodiscover.POXError{
		Time:    h.opts.Now().Format("15:04:05.0000000"),
		ID:      h.errorID,
		Code:    code,
		Message: msg,
	}})
}

func (h *Handler) writePOX(w http.ResponseWriter, resp *autodiscover.POXResponse) {
	var buf bytes.Buffer
	if err := autodiscover.EncodePOXResponse(&buf, resp); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// withFile makes an Autodiscover URL name the given file (autodiscover.xml or
// autodiscover.svc) when it names the other one, keeping any other URL as it is.
func withFile(rawURL, file string) string {
	lower := strings.ToLower(rawURL)
	for _, other := range []string{"autodiscover.xml", "autodiscover.svc"} {
		if strings.HasSuffix(lower, "/"+other) {
			return rawURL[:len(rawURL)-len(other)] + file
		}
	}
	return rawURL
}
