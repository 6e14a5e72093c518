package autodiscover

import (
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// POX error codes (the ErrorCode of a POX Error, [MS-OXDSCLI] 2.2.4.1.1.3).
const (
	// POXUserNotFound: the address cannot be found ("The e-mail address cannot be found.").
	POXUserNotFound = 500
	// POXBadAddress: the address is known but has no configuration.
	POXBadAddress = 501
	// POXInvalidRequest: the request is not a well-formed Outlook request ("Invalid Request").
	POXInvalidRequest = 600
	// POXProviderUnavailable: no provider for the AcceptableResponseSchema.
	POXProviderUnavailable = 601
	// POXConfigurationError: the address is known but its configuration is broken.
	POXConfigurationError = 602
	// POXInternalError: the server failed.
	POXInternalError = 603
)

// POXAction is the Account/Action of a POX response.
type POXAction string

// POX actions.
const (
	POXActionSettings     POXAction = "settings"     // the response carries the settings
	POXActionRedirectAddr POXAction = "redirectAddr" // restart with Account/RedirectAddr
	POXActionRedirectURL  POXAction = "redirectUrl"  // POST the same request to Account/RedirectUrl
)

// POXProtocolType is the Protocol/Type of a POX response: which URLs the Protocol holds.
type POXProtocolType string

// POX protocol types.
const (
	POXProtocolEXCH   POXProtocolType = "EXCH"   // internal URLs
	POXProtocolEXPR   POXProtocolType = "EXPR"   // external URLs (Outlook Anywhere)
	POXProtocolWEB    POXProtocolType = "WEB"    // Outlook on the web
	POXProtocolEXHTTP POXProtocolType = "EXHTTP" // only for X-ClientCanHandle: ExHttpInfo
)

// POXRequest is the body of POST …/autodiscover/autodiscover.xml: an Outlook request
// for one address.
type POXRequest struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006 Autodiscover"`
	// EMailAddress is the address asked about. Either it or LegacyDN is set.
	EMailAddress string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006 Request>EMailAddress"`
	// LegacyDN is the legacy Exchange DN asked about, instead of an address.
	LegacyDN string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006 Request>LegacyDN"`
	// AcceptableResponseSchema names the response schema the client understands;
	// NSPOXOutlookResponse for every EWS and Outlook client. Encoding fills it in when
	// empty.
	AcceptableResponseSchema string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006 Request>AcceptableResponseSchema"`
}

// EncodePOXRequest writes req as an Outlook POX request document.
func EncodePOXRequest(w io.Writer, req *POXRequest) error {
	schema := req.AcceptableResponseSchema
	if schema == "" {
		schema = NSPOXOutlookResponse
	}
	x := &xmlWriter{indent: true}
	x.declaration()
	x.start("Autodiscover", "xmlns", NSPOXRequest)
	x.start("Request")
	x.opt("EMailAddress", req.EMailAddress)
	x.opt("LegacyDN", req.LegacyDN)
	x.leaf("AcceptableResponseSchema", schema)
	x.end("Request")
	x.end("Autodiscover")
	return x.flush(w, "pox request")
}

// DecodePOXRequest reads an Outlook POX request. The root must be Autodiscover in
// NSPOXRequest (any prefix) and name an EMailAddress or a LegacyDN; values are trimmed.
// The reader must be bounded by the caller (see the package documentation).
func DecodePOXRequest(r io.Reader) (*POXRequest, error) {
	var req POXRequest
	if err := decodeXML(r, &req, "pox request"); err != nil {
		return nil, err
	}
	trimStrings(&req)
	if req.EMailAddress == "" && req.LegacyDN == "" {
		return nil, malformed("pox request", "no Request/EMailAddress or Request/LegacyDN")
	}
	return &req, nil
}

// POXResponse is the body of a POX answer: User and Account for settings or a redirect,
// or Error alone.
type POXResponse struct {
	User    *POXUser
	Account *POXAccount
	// Error is set in the error form (Response in NSPOXResponse). Exchange sends it with
	// HTTP 200.
	Error *POXError
}

// Err returns the response's error, or nil.
func (r *POXResponse) Err() error {
	if r.Error == nil {
		return nil
	}
	return r.Error
}

// POXUser is Response/User.
type POXUser struct {
	DisplayName             string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a DisplayName"`
	LegacyDN                string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a LegacyDN"`
	AutoDiscoverSMTPAddress string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a AutoDiscoverSMTPAddress"`
	DeploymentID            string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a DeploymentId"`
}

// POXAccount is Response/Account.
type POXAccount struct {
	AccountType string // "email"
	Action      POXAction
	// MicrosoftOnline is "True" or "False"; omitted when empty.
	MicrosoftOnline string
	// RedirectURL is set with Action redirectUrl: an https Autodiscover URL.
	RedirectURL string
	// RedirectAddr is set with Action redirectAddr: the address to restart with.
	RedirectAddr string
	Protocols    []POXProtocol
}

// POXProtocol is Account/Protocol. Only non-empty fields are encoded, in the order
// Exchange writes them.
type POXProtocol struct {
	Type POXProtocolType `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Type"`
	// Internal and External hold the OWA URLs of a WEB protocol.
	Internal *POXWebAccess `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Internal"`
	External *POXWebAccess `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a External"`
	// Server is the mailbox server (EXCH: "<mailbox guid>@<domain>") or the external
	// host name (EXPR).
	Server             string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Server"`
	ServerDN           string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a ServerDN"`
	ServerVersion      string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a ServerVersion"` // hex, see ServerVersionInfo.POXServerVersion
	MdbDN              string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a MdbDN"`
	PublicFolderServer string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a PublicFolderServer"`
	AD                 string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a AD"`
	SSL                string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a SSL"` // On|Off
	AuthPackage        string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a AuthPackage"`
	ASURL              string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a ASUrl"`
	EWSURL             string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a EwsUrl"`
	EMWSURL            string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a EmwsUrl"`
	SharingURL         string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a SharingUrl"`
	ECPURL             string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a EcpUrl"`
	OOFURL             string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a OOFUrl"`
	UMURL              string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a UMUrl"`
	OABURL             string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a OABUrl"`
	// ServerExclusiveConnect is "on" or "off".
	ServerExclusiveConnect string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a ServerExclusiveConnect"`
	CertPrincipalName      string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a CertPrincipalName"`
	GroupingInformation    string `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a GroupingInformation"`
}

// POXWebAccess is Protocol/Internal or Protocol/External of a WEB protocol.
type POXWebAccess struct {
	OWAURLs []POXOWAURL `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a OWAUrl"`
	// Protocols are the stripped-down protocols (Type, ASUrl) Exchange nests here.
	Protocols []POXProtocol `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Protocol"`
}

// POXOWAURL is an OWAUrl element: a URL and the methods it accepts ("Basic, Fba").
type POXOWAURL struct {
	AuthenticationMethod string `xml:"AuthenticationMethod,attr"`
	URL                  string `xml:",chardata"`
}

// POXError is the Error of a POX error response. It is also the error DecodePOXResponse
// callers get from POXResponse.Err.
type POXError struct {
	Time      string `xml:"Time,attr"` // "10:15:04.1234567"
	ID        string `xml:"Id,attr"`
	Code      int    `xml:"ErrorCode"`
	Message   string `xml:"Message"`
	DebugData string `xml:"DebugData"`
}

// Error formats the code and message.
func (e *POXError) Error() string {
	return fmt.Sprintf("autodiscover: pox error %d: %s", e.Code, e.Message)
}

// EncodePOXResponse writes resp as a POX response document: the error form when
// resp.Error is set, the Outlook (2006a) form otherwise.
func EncodePOXResponse(w io.Writer, resp *POXResponse) error {
	x := &xmlWriter{indent: true}
	x.declaration()
	x.start("Autodiscover", "xmlns", NSPOXResponse)
	if e := resp.Error; e != nil {
		x.start("Response", "xmlns", NSPOXResponse)
		var attrs []string
		if e.Time != "" {
			attrs = append(attrs, "Time", e.Time)
		}
		if e.ID != "" {
			attrs = append(attrs, "Id", e.ID)
		}
		x.start("Error", attrs...)
		x.leaf("ErrorCode", fmt.Sprint(e.Code))
		x.leaf("Message", e.Message)
		x.leaf("DebugData", e.DebugData)
		x.end("Error")
		x.end("Response")
	} else {
		x.start("Response", "xmlns", NSPOXOutlookResponse)
		if u := resp.User; u != nil {
			x.start("User")
			x.opt("DisplayName", u.DisplayName)
			x.opt("LegacyDN", u.LegacyDN)
			x.opt("AutoDiscoverSMTPAddress", u.AutoDiscoverSMTPAddress)
			x.opt("DeploymentId", u.DeploymentID)
			x.end("User")
		}
		if a := resp.Account; a != nil {
			x.start("Account")
			x.opt("AccountType", a.AccountType)
			x.opt("Action", string(a.Action))
			x.opt("MicrosoftOnline", a.MicrosoftOnline)
			x.opt("RedirectUrl", a.RedirectURL)
			x.opt("RedirectAddr", a.RedirectAddr)
			for i := range a.Protocols {
				writePOXProtocol(x, &a.Protocols[i])
			}
			x.end("Account")
		}
		x.end("Response")
	}
	x.end("Autodiscover")
	return x.flush(w, "pox response")
}

func writePOXProtocol(x *xmlWriter, p *POXProtocol) {
	x.start("Protocol")
	x.opt("Type", string(p.Type))
	for _, web := range []struct {
		name string
		a    *POXWebAccess
	}{{"Internal", p.Internal}, {"External", p.External}} {
		if web.a == nil {
			continue
		}
		x.start(web.name)
		for _, o := range web.a.OWAURLs {
			if o.AuthenticationMethod != "" {
				x.leaf("OWAUrl", o.URL, "AuthenticationMethod", o.AuthenticationMethod)
			} else {
				x.leaf("OWAUrl", o.URL)
			}
		}
		for i := range web.a.Protocols {
			writePOXProtocol(x, &web.a.Protocols[i])
		}
		x.end(web.name)
	}
	x.opt("Server", p.Server)
	x.opt("ServerDN", p.ServerDN)
	x.opt("ServerVersion", p.ServerVersion)
	x.opt("MdbDN", p.MdbDN)
	x.opt("PublicFolderServer", p.PublicFolderServer)
	x.opt("AD", p.AD)
	x.opt("SSL", p.SSL)
	x.opt("AuthPackage", p.AuthPackage)
	x.opt("ASUrl", p.ASURL)
	x.opt("EwsUrl", p.EWSURL)
	x.opt("EmwsUrl", p.EMWSURL)
	x.opt("SharingUrl", p.SharingURL)
	x.opt("EcpUrl", p.ECPURL)
	x.opt("OOFUrl", p.OOFURL)
	x.opt("UMUrl", p.UMURL)
	x.opt("OABUrl", p.OABURL)
	x.opt("ServerExclusiveConnect", p.ServerExclusiveConnect)
	x.opt("CertPrincipalName", p.CertPrincipalName)
	x.opt("GroupingInformation", p.GroupingInformation)
	x.end("Protocol")
}

// Decoding shapes for the parts of a POX response whose wire form differs from the
// exported types.
type (
	poxResponseDoc struct {
		XMLName xml.Name            `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
		Outlook *poxOutlookResponse `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
		Failure *poxErrorResponse   `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Response"`
	}
	poxOutlookResponse struct {
		User    *POXUser    `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a User"`
		Account *poxAccount `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Account"`
		// Error children are matched in whatever namespace the Error element has.
		Error *POXError `xml:"Error"`
	}
	poxErrorResponse struct {
		Error *POXError `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Error"`
	}
	poxAccount struct {
		AccountType     string        `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a AccountType"`
		Action          POXAction     `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Action"`
		MicrosoftOnline string        `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a MicrosoftOnline"`
		RedirectURL     string        `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a RedirectUrl"`
		RedirectURLUC   string        `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a RedirectURL"` // the spelling some documentation uses
		RedirectAddr    string        `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a RedirectAddr"`
		Protocols       []POXProtocol `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Protocol"`
		Error           *POXError     `xml:"Error"`
	}
)

// DecodePOXResponse reads a POX response document. An error form (in either Response
// namespace, or inside Account) comes back as resp.Error, not as an error: the call
// itself succeeded. The reader must be bounded by the caller.
func DecodePOXResponse(r io.Reader) (*POXResponse, error) {
	var doc poxResponseDoc
	if err := decodeXML(r, &doc, "pox response"); err != nil {
		return nil, err
	}
	trimStrings(&doc)
	resp := &POXResponse{}
	switch {
	case doc.Failure != nil && doc.Failure.Error != nil:
		resp.Error = doc.Failure.Error
	case doc.Outlook != nil && doc.Outlook.Error != nil:
		resp.Error = doc.Outlook.Error
	case doc.Outlook != nil && doc.Outlook.Account != nil && doc.Outlook.Account.Error != nil:
		resp.Error = doc.Outlook.Account.Error
	case doc.Outlook != nil:
		resp.User = doc.Outlook.User
		if a := doc.Outlook.Account; a != nil {
			resp.Account = &POXAccount{
				AccountType:     a.AccountType,
				Action:          a.Action,
				MicrosoftOnline: a.MicrosoftOnline,
				RedirectURL:     a.RedirectURL,
				RedirectAddr:    a.RedirectAddr,
				Protocols:       a.Protocols,
			}
			if resp.Account.RedirectURL == "" {
				resp.Account.RedirectURL = a.RedirectURLUC
			}
		}
		if resp.Account == nil {
			return nil, malformed("pox response", "no Response/Account")
		}
	default:
		return nil, malformed("pox response", "no Response in %s or %s", NSPOXOutlookResponse, NSPOXResponse)
	}
	return resp, nil
}

// trimStrings trims the white space around every string reachable from v (a pointer),
// through structs, pointers and slices: element text is taken as the value.
func trimStrings(v any) {
	trimValue(reflect.ValueOf(v))
}

func trimValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			trimValue(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				trimValue(f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			trimValue(v.Index(i))
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(strings.TrimSpace(v.String()))
		}
	}
}
