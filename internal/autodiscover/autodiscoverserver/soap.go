package autodiscoverserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// maxSOAPItems is the most users or domains Exchange answers in one request.
const maxSOAPItems = 100

// userSettingNames are the names of UserSettingName in the Autodiscover schema. A
// requested name outside this list is an InvalidSetting; a listed one the handler has
// no value for is SettingIsNotAvailable. Both go to UserSettingErrors; neither fails the
// call (exchangelib asks for dozens of settings at once).
var userSettingNames = canonicalNames(
	"ActiveDirectoryServer", "AlternateMailboxes", "AutoDiscoverSMTPAddress", "CasVersion", "CertPrincipalName",
	"CrossOrganizationSharingEnabled", "DocumentSharingLocations", "EcpConnectUrlFragment",
	"EcpDeliveryReportUrlFragment", "EcpEmailSubscriptionsUrlFragment", "EcpExtensionInstallationUrlFragment",
	"EcpPhotoUrlFragment", "EcpPublishingUrlFragment", "EcpRetentionPolicyTagsUrlFragment",
	"EcpTeamMailboxCreatingUrlFragment", "EcpTeamMailboxEditingUrlFragment", "EcpTeamMailboxUrlFragment",
	"EcpTextMessagingUrlFragment", "EcpVoicemailUrlFragment", "EwsPartnerUrl", "EwsSupportedSchemas",
	"ExchangeRpcUrl", "ExternalEcpConnectUrl", "ExternalEcpDeliveryReportUrl", "ExternalEcpEmailSubscriptionsUrl",
	"ExternalEcpExtensionInstallationUrl", "ExternalEcpPhotoUrl", "ExternalEcpPublishingUrl",
	"ExternalEcpRetentionPolicyTagsUrl", "ExternalEcpTeamMailboxCreatingUrl", "ExternalEcpTeamMailboxEditingUrl",
	"ExternalEcpTeamMailboxHidingUrl", "ExternalEcpTeamMailboxUrl", "ExternalEcpTextMessagingUrl", "ExternalEcpUrl",
	"ExternalEcpVoicemailUrl", "ExternalEmwsUrl", "ExternalEwsUrl", "ExternalEwsVersion", "ExternalImap4Connections",
	"ExternalMailboxServer", "ExternalMailboxServerAuthenticationMethods", "ExternalMailboxServerRequiresSSL",
	"ExternalOABUrl", "ExternalOutlookServiceUrl", "ExternalPhotosUrl", "ExternalPop3Connections",
	"ExternalServerExclusiveConnect", "ExternalSmtpConnections", "ExternalUMUrl", "ExternalWebClientUrls",
	"GroupingInformation", "InternalEcpConnectUrl", "InternalEcpDeliveryReportUrl",
	"InternalEcpEmailSubscriptionsUrl", "InternalEcpExtensionInstallationUrl", "InternalEcpPhotoUrl",
	"InternalEcpPublishingUrl", "InternalEcpRetentionPolicyTagsUrl", "InternalEcpTeamMailboxCreatingUrl",
	"InternalEcpTeamMailboxEditingUrl", "InternalEcpTeamMailboxHidingUrl", "InternalEcpTeamMailboxUrl",
	"InternalEcpTextMessagingUrl", "InternalEcpUrl", "InternalEcpVoicemailUrl", "InternalEmwsUrl", "InternalEwsUrl",
	"InternalImap4Connections", "InternalMailboxServer", "InternalMailboxServerAuthenticationMethods",
	"InternalMailboxServerDN", "InternalOABUrl", "InternalOutlookServiceUrl", "InternalPhotosUrl",
	"InternalPop3Connections", "InternalRpcClientServer", "InternalRpcHttpAuthenticationMethod",
	"InternalRpcHttpConnectivityRequiresSsl", "InternalRpcHttpServer", "InternalServerExclusiveConnect",
	"InternalSmtpConnections", "InternalUMUrl", "InternalWebClientUrls", "InteropExternalEwsUrl",
	"InteropExternalEwsVersion", "MailboxDN", "MailboxVersion", "MapiHttpEnabled", "MobileMailboxPolicy",
	"MobileMailboxPolicyInterop", "PublicFolderInformation", "PublicFolderServer", "RedirectUrl",
	"SPMySiteHostURL", "ShowGalAsDefaultView", "SiteMailboxCreationURL", "UserDN", "UserDeploymentId",
	"UserDisplayName", "UserMSOnline",
)

// domainSettingNames are the names of DomainSettingName.
var domainSettingNames = canonicalNames("ExternalEwsUrl", "ExternalEwsVersion")

// canonicalNames maps lower-cased names to their spelling: requests match names
// case-insensitively and answers use the schema's spelling.
func canonicalNames(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}

// WCF's text for an action no operation of the contract handles.
const msgActionNotSupported = "The message with Action '%s' cannot be processed at the receiver, due to a " +
	"ContractFilter mismatch at the EndpointDispatcher. This may be because of either a contract mismatch " +
	"(mismatched Actions between sender and receiver) or a binding/security mismatch between the sender and " +
	"the receiver.  Check that sender and receiver have the same contract and the same binding (including " +
	"security requirements, e.g. Message, Transport, None)."

// serveSOAP answers autodiscover.svc. A body that is not a SOAP 1.1 envelope is a
// SOAP fault (s:Client, HTTP 500); an operation other than GetUserSettings and
// GetDomainSettings is WCF's ActionNotSupported fault; a known operation with no users,
// domains or settings is an InvalidRequest response (HTTP 200).
func (h *Handler) serveSOAP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST")
		return
	}
	req, err := autodiscover.DecodeSOAPRequest(http.MaxBytesReader(w, r.Body, h.opts.MaxRequestBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		tooLarge(w)
		return
	case err != nil:
		writeSOAPFault(w, &autodiscover.SOAPFault{
			Code: "Client", CodeNamespace: autodiscover.NSSoap,
			String: "The request message is not a well-formed SOAP 1.1 envelope.",
		})
		return
	}
	switch {
	case req.GetUserSettings != nil:
		h.writeSOAP(w, func(b *bytes.Buffer) error {
			return autodiscover.EncodeGetUserSettingsResponse(b, h.getUserSettings(r.Context(), req.GetUserSettings))
		})
	case req.GetDomainSettings != nil:
		h.writeSOAP(w, func(b *bytes.Buffer) error {
			return autodiscover.EncodeGetDomainSettingsResponse(b, h.getDomainSettings(req.GetDomainSettings))
		})
	default:
		action := req.Header.Action
		if action == "" {
			action = r.Header.Get("SOAPAction")
		}
		writeSOAPFault(w, &autodiscover.SOAPFault{
			Code: "ActionNotSupported", CodeNamespace: autodiscover.NSWCFAddressingNone,
			String: fmt.Sprintf(msgActionNotSupported, strings.Trim(action, `"`)),
		})
	}
}

func (h *Handler) getUserSettings(ctx context.Context, req *autodiscover.GetUserSettingsRequest) *autodiscover.GetUserSettingsResponse {
	resp := &autodiscover.GetUserSettingsResponse{ServerVersionInfo: &h.opts.ServerVersion, ErrorCode: autodiscover.NoError}
	switch {
	case len(req.Mailboxes) == 0 || len(req.RequestedSettings) == 0:
		resp.ErrorCode, resp.ErrorMessage = autodiscover.InvalidRequest, "The request is invalid: it names no users or no settings."
		return resp
	case len(req.Mailboxes) > maxSOAPItems:
		resp.ErrorCode, resp.ErrorMessage = autodiscover.InvalidRequest, fmt.Sprintf("The request is invalid: more than %d users.", maxSOAPItems)
		return resp
	}
	for _, mbx := range req.Mailboxes {
		resp.UserResponses = append(resp.UserResponses, h.userResponse(ctx, mbx, req.RequestedSettings))
	}
	return resp
}

func (h *Handler) userResponse(ctx context.Context, mailbox string, requested []string) autodiscover.UserResponse {
	if mailbox == "" {
		return autodiscover.UserResponse{ErrorCode: autodiscover.InvalidUser, ErrorMessage: "Invalid user: ''"}
	}
	out := h.resolve(ctx, mailbox)
	switch {
	case out.redirectAddress != "":
		return autodiscover.UserResponse{ErrorCode: autodiscover.RedirectAddress, ErrorMessage: "Redirection address.", RedirectTarget: out.redirectAddress}
	case out.redirectURL != "":
		return autodiscover.UserResponse{ErrorCode: autodiscover.RedirectURL, ErrorMessage: "Redirection URL.", RedirectTarget: withFile(out.redirectURL, "autodiscover.svc")}
	case errors.Is(out.err, ErrUserNotFound):
		return autodiscover.UserResponse{ErrorCode: autodiscover.InvalidUser, ErrorMessage: fmt.Sprintf("Invalid user: '%s'", mailbox)}
	case errors.Is(out.err, ErrServerBusy):
		return autodiscover.UserResponse{ErrorCode: autodiscover.ServerBusy, ErrorMessage: "The server is too busy to process the request."}
	case out.err != nil:
		return autodiscover.UserResponse{ErrorCode: autodiscover.InternalServerError, ErrorMessage: "The server encountered an internal error."}
	}
	resp := autodiscover.UserResponse{ErrorCode: autodiscover.NoError, ErrorMessage: "No error."}
	resp.UserSettings, resp.UserSettingErrors = pick(requested, userSettingNames, h.userSettingValues(out.user), "User setting")
	return resp
}

// userSettingValues are the settings the handler can give for u, by canonical name.
func (h *Handler) userSettingValues(u *resolvedUser) map[string]string {
	v := h.opts.ServerVersion
	m := map[string]string{
		"UserDisplayName":         u.DisplayName,
		"UserDN":                  u.LegacyDN,
		"UserDeploymentId":        u.DeploymentID,
		"AutoDiscoverSMTPAddress": u.SMTPAddress,
		"InternalMailboxServer":   u.MailboxServer,
		"InternalMailboxServerDN": u.serverDN,
		"InternalRpcClientServer": u.MailboxServer,
		"MailboxDN":               u.MailboxDN,
		"CasVersion":              v.CasVersion(),
		"EwsSupportedSchemas":     strings.Join(h.opts.EWSSupportedSchemas, ", "),
		"GroupingInformation":     u.GroupingInformation,
		"UserMSOnline":            "False",
	}
	if in := u.internal; in != "" {
		m["InternalEwsUrl"] = in
		m["InternalEmwsUrl"] = in
		m["InternalEcpUrl"] = siblingURL(in, "/ecp/")
	}
	if ex := u.external; ex != "" {
		m["ExternalEwsUrl"] = ex
		m["ExternalEmwsUrl"] = ex
		m["ExternalEcpUrl"] = siblingURL(ex, "/ecp/")
		m["ExternalEwsVersion"] = v.CasVersion()
		m["ExternalMailboxServer"] = hostOf(ex)
		m["ExternalMailboxServerRequiresSSL"] = boolString(strings.HasPrefix(ex, "https:"))
		if h.opts.AuthPackage != "" {
			m["ExternalMailboxServerAuthenticationMethods"] = h.opts.AuthPackage
		}
	}
	return m
}

// boolString writes a boolean setting as Exchange does: True or False.
func boolString(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// pick answers the requested settings in request order (each once): a value when there
// is one, SettingIsNotAvailable for a known name without one, InvalidSetting for an
// unknown name.
func pick(requested []string, known map[string]string, values map[string]string, kind string) ([]autodiscover.Setting, []autodiscover.SettingError) {
	var (
		settings []autodiscover.Setting
		errs     []autodiscover.SettingError
		seen     = make(map[string]bool, len(requested))
	)
	for _, name := range requested {
		key := strings.ToLower(name)
		if seen[key] {
			continue
		}
		seen[key] = true
		canonical, ok := known[key]
		if !ok {
			errs = append(errs, autodiscover.SettingError{
				ErrorCode: autodiscover.InvalidSetting, SettingName: name,
				ErrorMessage: fmt.Sprintf("The requested setting '%s' is invalid.", name), // [verify] wording
			})
			continue
		}
		if v, ok := values[canonical]; ok && v != "" {
			settings = append(settings, autodiscover.Setting{Name: canonical, Value: v})
			continue
		}
		errs = append(errs, autodiscover.SettingError{
			ErrorCode: autodiscover.SettingIsNotAvailable, SettingName: canonical,
			ErrorMessage: fmt.Sprintf("%s '%s' is not available.", kind, canonical),
		})
	}
	return settings, errs
}

func (h *Handler) getDomainSettings(req *autodiscover.GetDomainSettingsRequest) *autodiscover.GetDomainSettingsResponse {
	resp := &autodiscover.GetDomainSettingsResponse{ServerVersionInfo: &h.opts.ServerVersion, ErrorCode: autodiscover.NoError}
	switch {
	case len(req.Domains) == 0 || len(req.RequestedSettings) == 0:
		resp.ErrorCode, resp.ErrorMessage = autodiscover.InvalidRequest, "The request is invalid: it names no domains or no settings."
		return resp
	case len(req.Domains) > maxSOAPItems:
		resp.ErrorCode, resp.ErrorMessage = autodiscover.InvalidRequest, fmt.Sprintf("The request is invalid: more than %d domains.", maxSOAPItems)
		return resp
	}
	values := map[string]string{}
	if ex := h.opts.ExternalEWSURL; ex != "" {
		values["ExternalEwsUrl"] = ex
		values["ExternalEwsVersion"] = h.opts.ServerVersion.CasVersion()
	}
	for _, domain := range req.Domains {
		var dr autodiscover.DomainResponse
		switch rd, ok := h.redirectFor("@" + domain); {
		case ok && rd.URL != "":
			dr = autodiscover.DomainResponse{ErrorCode: autodiscover.RedirectURL, ErrorMessage: "Redirection URL.", RedirectTarget: withFile(rd.URL, "autodiscover.svc")}
		case !h.acceptedDomain(domain):
			dr = autodiscover.DomainResponse{ErrorCode: autodiscover.InvalidDomain, ErrorMessage: fmt.Sprintf("The domain '%s' is invalid.", domain)}
		default:
			dr = autodiscover.DomainResponse{ErrorCode: autodiscover.NoError, ErrorMessage: "No error."}
			dr.DomainSettings, dr.DomainSettingErrors = pick(req.RequestedSettings, domainSettingNames, values, "Domain setting")
		}
		resp.DomainResponses = append(resp.DomainResponses, dr)
	}
	return resp
}

func (h *Handler) acceptedDomain(domain string) bool {
	if domain == "" {
		return false
	}
	if len(h.opts.AcceptedDomains) == 0 {
		return true
	}
	for _, d := range h.opts.AcceptedDomains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

func (h *Handler) writeSOAP(w http.ResponseWriter, encode func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func writeSOAPFault(w http.ResponseWriter, f *autodiscover.SOAPFault) {
	var buf bytes.Buffer
	if err := autodiscover.EncodeSOAPFault(&buf, f); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(buf.Bytes())
}
