package checker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// serviceMailboxFix is the product guide's advice, made into a fix.
const serviceMailboxFix = "Assign a mailbox and a license to the service account (Exchange admin center, or " +
	"Enable-Mailbox -Identity <account> on-premises; a Microsoft 365 license with Exchange Online in the cloud). " +
	"Mail, calendars and contacts sync without it."

// serviceOutcome is what the service-account probe established.
type serviceOutcome struct {
	results []Result
	// proceed says the users can be checked: the endpoint is EWS and the credentials work
	// (or could not be told not to, when throttled).
	proceed bool
	// versionDone says the server_version result was given.
	versionDone bool
}

// hostPort returns the host:port the EWS URL points to.
func (c *Checker) hostPort() (host, hostport string, https bool) {
	u, err := url.Parse(c.cfg.EWSURL)
	if err != nil {
		return c.cfg.EWSURL, c.cfg.EWSURL, false
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return u.Hostname(), net.JoinHostPort(u.Hostname(), port), u.Scheme == "https"
}

// opHandshake names, in evidence, NTLM's sign-in run before any operation.
const opHandshake = "handshake"

// handshake tests the credentials before anything else is sent, where the scheme can
// without an operation (NTLM). verified says the server accepted them. settled says the
// handshake decided the service account's checks instead (credentials refused, or no
// connection, or TLS failed), whose results out then holds: nothing more may be sent.
// Otherwise, as for Basic, GetRoomLists tests the credentials.
func (r *run) handshake(ctx context.Context) (out serviceOutcome, verified, settled bool) {
	start := r.c.opts.Now()
	err := r.client.Handshake(ctx)
	switch {
	case err == nil:
		return out, true, false
	case errors.Is(err, ewsclient.ErrNoHandshake) || ctx.Err() != nil:
		return out, false, false
	}
	switch classify(err) {
	case kindAuth, kindNet, kindTLS:
	default:
		return out, false, false // let GetRoomLists tell what is wrong
	}
	ev := evidenceOf(opHandshake, err)
	ev.DurationMS = r.c.opts.Now().Sub(start).Milliseconds()
	return r.serviceResults(err, ev, 0), false, true
}

// serviceChecks calls GetRoomLists as the service account itself (no impersonation): one
// request that shows whether the endpoint is reachable, TLS valid, the credentials
// accepted, the URL an EWS endpoint, the server's version, and whether the account has a
// mailbox (rooms and resources are only listed to an account with one).
func (r *run) serviceChecks(ctx context.Context) (serviceOutcome, error) {
	start := r.c.opts.Now()
	var n int
	var lists int
	err := r.call(ctx, &n, func(ctx context.Context) error {
		resp, err := r.client.GetRoomLists(ctx, "")
		if err == nil && resp.RoomLists != nil {
			lists = len(resp.RoomLists.Addresses)
		}
		return err
	})
	if ctx.Err() != nil {
		return serviceOutcome{}, ctx.Err()
	}
	ev := evidenceOf(ews.OpGetRoomLists, err)
	ev.DurationMS = r.c.opts.Now().Sub(start).Milliseconds()
	ev.Requests = n
	return r.serviceResults(err, ev, lists), nil
}

// serviceResults turns the probe's outcome into results, in check order.
func (r *run) serviceResults(err error, ev Evidence, roomLists int) serviceOutcome {
	c := r.c
	host, hostport, https := c.hostPort()
	svc := c.cfg.ServiceAccount
	var out serviceOutcome
	add := func(res Result) {
		// Every result here rests on the one probe.
		e := ev
		e.ServerVersion = res.Evidence.ServerVersion
		res.Evidence = e
		out.results = append(out.results, res)
	}
	connected := Result{Check: CheckEndpoint, Status: StatusOK, Code: CodeOK, Message: "Connected to " + hostport + "."}
	tlsOK := Result{Check: CheckTLS, Status: StatusOK, Code: CodeOK, Message: "The certificate of " + host + " is valid and trusted."}
	if c.cfg.InsecureSkipVerify {
		tlsOK.Status, tlsOK.Code = StatusWarning, CodeTLSUnverified
		tlsOK.Message = "TLS is on, but its certificate was not verified (--insecure-skip-verify): anyone on the network path could read the service account's credentials."
		tlsOK.Fix = "Trust the server's certificate authority instead (--ca-file), and turn certificate checks back on."
	}
	if !https {
		tlsOK = Result{Check: CheckTLS, Status: StatusWarning, Code: CodePlainHTTP,
			Message: "The EWS URL uses plain HTTP: mail, and with Basic authentication the password, travel unencrypted.",
			Fix:     "Use the https:// URL of the EWS virtual directory."}
	}
	authOK := Result{Check: CheckAuthentication, Status: StatusOK, Code: CodeOK,
		Message: fmt.Sprintf("%s signed in with %s authentication.", svc, authName(c.cfg.Auth))}
	ewsOK := Result{Check: CheckEWS, Status: StatusOK, Code: CodeOK, Message: c.cfg.EWSURL + " is an EWS endpoint."}

	switch classify(err) {
	case kindOK:
		add(connected)
		add(tlsOK)
		add(authOK)
		add(ewsOK)
		out.versionDone = r.addVersion(add)
		add(Result{Check: CheckServiceMailbox, Status: StatusOK, Code: CodeOK,
			Message: fmt.Sprintf("%s has a mailbox: rooms and resources can be retrieved (room lists found: %d).", svc, roomLists)})
		out.proceed = true

	case kindNet:
		what, fix := netReason(err, hostport)
		add(Result{Check: CheckEndpoint, Status: StatusFailure, Code: CodeUnreachable,
			Message: "Cannot reach the EWS endpoint: " + what + ".", Fix: fix})

	case kindTLS:
		add(connected)
		what, fix := tlsReason(err, host)
		add(Result{Check: CheckTLS, Status: StatusFailure, Code: CodeTLSInvalid,
			Message: "TLS failed: " + what + ". The credentials were not sent.", Fix: fix})

	case kindAuth:
		add(connected)
		add(tlsOK)
		var ae *ewsclient.AuthError
		errors.As(err, &ae)
		if !ae.SchemeOffered() {
			offered := "none"
			if len(ae.Offered) > 0 {
				offered = strings.Join(ae.Offered, ", ")
			}
			add(Result{Check: CheckAuthentication, Status: StatusFailure, Code: CodeAuthMethodUnavailable,
				Message: fmt.Sprintf("The server does not offer %s authentication (it offers: %s); the password was not checked.", authName(c.cfg.Auth), offered),
				Fix:     authMethodFix(c.cfg.Auth, ae.Offered)})
			break
		}
		add(Result{Check: CheckAuthentication, Status: StatusFailure, Code: CodeAuthFailed,
			Message: fmt.Sprintf("Exchange refused the credentials of %s (HTTP 401). Exchange gives the same answer for a wrong password, "+
				"an account that does not exist, and a disabled or locked-out account, so the check cannot tell which. "+
				"It did not try again: repeated wrong passwords lock accounts out.", svc),
			Fix: "Check the account logon (a UPN such as svc@contoso.com, or DOMAIN\\user) and its password; sign in with them " +
				"to Outlook on the web to confirm, and check that the account is enabled and not locked out " +
				"(Get-ADUser <account> -Properties LockedOut,Enabled)."})

	case kindHTTP:
		add(connected)
		add(tlsOK)
		var he *ewsclient.HTTPError
		errors.As(err, &he)
		add(httpResult(he, c.cfg.EWSURL))

	case kindThrottled:
		add(connected)
		add(tlsOK)
		var te *ewsclient.ThrottledError
		errors.As(err, &te)
		if te.HTTPStatus == http.StatusServiceUnavailable {
			add(Result{Check: CheckAuthentication, Status: StatusWarning, Code: CodeThrottled,
				Message: "The server answered 503 (busy) to every attempt, so the credentials could not be verified yet.",
				Fix:     "Run the check again later; if it persists, look at the load of the Exchange servers and their IIS application pools."})
		} else {
			add(authOK)
			add(ewsOK)
			out.versionDone = r.addVersion(add)
		}
		add(Result{Check: CheckServiceMailbox, Status: StatusWarning, Code: CodeThrottled,
			Message: "Exchange kept throttling the service account's own request (" + te.Error() + "); its mailbox could not be checked.",
			Fix:     "Run the check again later, or with a lower --concurrency."})
		out.proceed = true

	case kindEWS:
		add(connected)
		add(tlsOK)
		add(authOK)
		add(ewsOK)
		switch code := ews.Code(err); code {
		case "ErrorInvalidServerVersion", "ErrorIncorrectSchemaVersion", "ErrorInvalidSchemaVersionForMailboxVersion":
			add(Result{Check: CheckServerVersion, Status: StatusFailure, Code: CodeServerVersionOld,
				Message: "The server does not accept the EWS schema version requested (" + code + "): it is older than Exchange 2016, or the version setting is wrong.",
				Fix:     "Set the requested server version to one the server supports, such as Exchange2013_SP1 or Exchange2010_SP2, or upgrade Exchange."})
			return out
		case ews.ErrorNameResolutionNoMailbox, ews.ErrorNonExistentMailbox:
			out.versionDone = r.addVersion(add)
			add(Result{Check: CheckServiceMailbox, Status: StatusWarning, Code: CodeServiceMailboxMissing,
				Message: svc + " has no mailbox or no license assigned (" + code + "): rooms and other resources will not be retrieved via EWS. " +
					"The service account must have a mailbox and a license assigned to it for that; mail, calendars and contacts still sync.",
				Fix: serviceMailboxFix})
		default:
			out.versionDone = r.addVersion(add)
			add(Result{Check: CheckServiceMailbox, Status: StatusWarning, Code: CodeEWSError,
				Message: "Listing room lists as " + svc + " failed with " + code + ", so whether rooms can be retrieved is unknown.",
				Fix:     "Look up " + code + " in the EWS documentation; make sure the service account has a mailbox and a license."})
		}
		out.proceed = true

	case kindNotSOAP:
		add(connected)
		add(tlsOK)
		add(Result{Check: CheckEWS, Status: StatusFailure, Code: CodeNotEWS,
			Message: c.cfg.EWSURL + " answered, but not as an EWS endpoint does (" + err.Error() + ").",
			Fix:     notEWSFix})

	default:
		add(Result{Check: CheckEndpoint, Status: StatusFailure, Code: CodeEWSError,
			Message: "The request to " + c.cfg.EWSURL + " failed: " + err.Error(),
			Fix:     "Check the EWS URL and the network path to it."})
	}
	if !hasCode(out.results, CodeEWSRetiring) && (exchangeOnlineHost(host) || answeredAsExchangeOnline(err)) {
		// The warning is the server_version result: it replaces the version's own (whose
		// evidence it keeps), or comes where it would have.
		if i := slices.IndexFunc(out.results, func(r Result) bool { return r.Check == CheckServerVersion }); i >= 0 {
			out.results[i] = withEvidence(ewsRetiring(), out.results[i].Evidence)
		} else {
			out.results = insertBefore(out.results, CheckServiceMailbox, withEvidence(ewsRetiring(), ev))
		}
	}
	return out
}

// exchangeOnlineHost reports whether host is one of Exchange Online's EWS host names
// (outlook.office365.com, outlook.office.com, and the *.outlook.com and *.office365.com
// names some tenants are given).
func exchangeOnlineHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "outlook.office365.com" || h == "outlook.office.com" ||
		strings.HasSuffix(h, ".outlook.com") || strings.HasSuffix(h, ".office365.com")
}

// answeredAsExchangeOnline reports whether the server's answer is Exchange Online's
// whatever its host name: a 401 that offers OAuth bearer tokens alone (Exchange Online
// retired Basic authentication and never offered NTLM), or a 403 to a bearer request.
func answeredAsExchangeOnline(err error) bool {
	var ae *ewsclient.AuthError
	if errors.As(err, &ae) {
		return len(ae.Offered) > 0 && !slices.ContainsFunc(ae.Offered, func(s string) bool { return !strings.EqualFold(s, "Bearer") })
	}
	return errors.Is(err, ewsclient.ErrEWSDisabled)
}

// ewsRetiring is the warning of an EWS configuration that points at Exchange Online.
func ewsRetiring() Result {
	return Result{Check: CheckServerVersion, Status: StatusWarning, Code: CodeEWSRetiring,
		Message: "This EWS URL is Exchange Online, where Microsoft is switching EWS off: since 1 October 2026 it is off unless " +
			"an administrator allows it, and on 1 April 2027 it is turned off for good. Exchange Online no longer accepts a " +
			"service account's password nor the ApplicationImpersonation role either.",
		Fix: "Choose the \"Microsoft 365 (app-only)\" access type in the Email Configuration: register an app in Entra ID " +
			"with the Mail.Read, Calendars.Read and Contacts.Read application permissions, grant admin consent, limit it to " +
			"the synced mailboxes with RBAC for Applications, and enter its tenant, client ID and secret. Mailbridge then " +
			"syncs through Microsoft Graph."}
}

// withEvidence gives a result the probe's evidence.
func withEvidence(res Result, ev Evidence) Result {
	res.Evidence = ev
	return res
}

// hasCode reports whether one of results has code.
func hasCode(results []Result, code Code) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Code == code })
}

// insertBefore inserts res before the first result of check, or at the end.
func insertBefore(results []Result, check Check, res Result) []Result {
	i := slices.IndexFunc(results, func(r Result) bool { return r.Check == check })
	if i < 0 {
		return append(results, res)
	}
	return slices.Insert(results, i, res)
}

const notEWSFix = "Use the EWS URL, which ends in /EWS/Exchange.asmx (for example https://mail.contoso.com/EWS/Exchange.asmx), " +
	"or use the magic wand (Autodiscover) to find it. A reverse proxy or sign-in page in front of Exchange must pass /EWS/ through."

// httpResult describes an HTTP answer that is not EWS.
func httpResult(he *ewsclient.HTTPError, ewsURL string) Result {
	res := Result{Check: CheckEWS, Status: StatusFailure, Code: CodeNotEWS, Fix: notEWSFix}
	switch {
	case he.Status == http.StatusForbidden:
		res.Code = CodeEWSBlocked
		res.Message = "The server refused EWS with HTTP 403: EWS is turned off for the organization, the service account or this application. " +
			"Exchange Online switches EWS off from 1 October 2026 (for good on 1 April 2027)."
		res.Fix = "On-premises: Get-CASMailbox <account> | Format-List EwsEnabled,EwsApplicationAccessPolicy and Get-OrganizationConfig | Format-List EwsEnabled; " +
			"enable EWS for the account (Set-CASMailbox <account> -EwsEnabled $true). Exchange Online: use the Microsoft 365 (app-only) access type with Microsoft Graph."
	case he.Status == http.StatusNotFound:
		res.Message = ewsURL + " does not exist on that server (HTTP 404)."
	case he.Status >= 300 && he.Status < 400:
		res.Message = fmt.Sprintf("%s redirects (HTTP %d) to %s; EWS requests are not redirected.", ewsURL, he.Status, he.Location)
		res.Fix = "Use the URL it redirects to if it ends in /EWS/Exchange.asmx, or use the magic wand (Autodiscover)."
	case he.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(he.Body), "https"):
		res.Message = ewsURL + " was sent plain HTTP, but the server speaks HTTPS there (HTTP 400)."
		res.Fix = "Use https:// in the EWS URL."
	case he.Status == http.StatusOK:
		res.Message = fmt.Sprintf("%s answered with a %q page instead of SOAP: probably a sign-in page or a proxy in front of Exchange.", ewsURL, he.ContentType)
	default:
		res.Message = fmt.Sprintf("%s answered HTTP %d, not an EWS response.", ewsURL, he.Status)
	}
	return res
}

// addVersion adds the server_version result, if the server reported its version, and
// says whether it did.
func (r *run) addVersion(add func(Result)) bool {
	v := r.client.ServerVersion()
	if v == nil {
		return false
	}
	add(versionResult(v))
	return true
}

// versionResult judges a ServerVersionInfo.
func versionResult(v *ews.ServerVersionInfo) Result {
	s := fmt.Sprintf("%d.%d.%d.%d", v.MajorVersion, v.MinorVersion, v.MajorBuildNumber, v.MinorBuildNumber)
	if v.Version != "" {
		s += " (" + v.Version + ")"
	}
	res := Result{Check: CheckServerVersion, Status: StatusOK, Code: CodeOK, Evidence: Evidence{ServerVersion: s}}
	switch {
	case v.MajorVersion < 15:
		name := "Exchange 2010"
		if v.MajorVersion < 14 {
			name = "Exchange 2007"
		}
		res.Status, res.Code = StatusWarning, CodeServerVersionOld
		res.Message = "The server is " + name + " (" + s + "), long out of support; this product is built and tested for Exchange 2016 and later."
		res.Fix = "Upgrade to Exchange Server Subscription Edition, or move the mailboxes to a supported server."
	case v.MinorVersion == 0:
		res.Status, res.Code = StatusWarning, CodeServerVersionOld
		res.Message = "The server is Exchange 2013 (" + s + "), out of support since April 2023; this product is built and tested for Exchange 2016 and later."
		res.Fix = "Upgrade to Exchange Server Subscription Edition."
	case v.MinorVersion >= 20:
		res.Status, res.Code = StatusWarning, CodeEWSRetiring
		res.Message = "The server is Exchange Online (" + s + "). Microsoft switches EWS off tenant by tenant from 1 October 2026 and for good on 1 April 2027."
		res.Fix = "Plan the move to the Microsoft 365 (app-only) access type, which uses Microsoft Graph."
	case v.MinorVersion == 1:
		res.Message = "The server is Exchange 2016 (" + s + "). Note: its extended support ended on 14 October 2025."
	case v.MinorVersion == 2 && v.MajorBuildNumber >= 2562:
		res.Message = "The server is Exchange Server Subscription Edition (" + s + ")."
	case v.MinorVersion == 2:
		res.Message = "The server is Exchange 2019 (" + s + "). Note: its extended support ended on 14 October 2025."
	default:
		res.Message = "The server reports version " + s + "."
	}
	return res
}

func authName(a AuthMethod) string {
	if a == AuthBasic {
		return "Basic"
	}
	return "NTLM"
}

// authMethodFix suggests a method the server offers.
func authMethodFix(used AuthMethod, offered []string) string {
	has := func(s string) bool {
		for _, o := range offered {
			if strings.EqualFold(o, s) {
				return true
			}
		}
		return false
	}
	switch {
	case used == AuthBasic && (has("NTLM") || has("Negotiate")):
		return "Choose NTLM authentication, which the server offers; or enable Basic authentication on the EWS virtual directory " +
			"(Set-WebServicesVirtualDirectory -Identity \"<server>\\EWS (Default Web Site)\" -BasicAuthentication $true), over HTTPS only."
	case used == AuthNTLM && has("Basic"):
		return "Choose Basic authentication (over HTTPS only), which the server offers; or enable Windows authentication on the EWS virtual directory " +
			"(Set-WebServicesVirtualDirectory -Identity \"<server>\\EWS (Default Web Site)\" -WindowsAuthentication $true)."
	case has("Bearer"):
		return "The server only accepts OAuth tokens (Exchange Online, or Hybrid Modern Authentication): use the Microsoft 365 (app-only) access type."
	}
	return "Enable NTLM (Windows) or Basic authentication on the EWS virtual directory (Set-WebServicesVirtualDirectory)."
}
