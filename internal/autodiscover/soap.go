package autodiscover

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// ErrorCode is a SOAP Autodiscover ErrorCode, at the Response, UserResponse,
// DomainResponse or setting level.
type ErrorCode string

// SOAP Autodiscover error codes (ErrorCode (SOAP) in the Exchange reference).
const (
	NoError               ErrorCode = "NoError"
	RedirectAddress       ErrorCode = "RedirectAddress" // RedirectTarget is an address: restart with it
	RedirectURL           ErrorCode = "RedirectUrl"     // RedirectTarget is a URL: resend there
	InvalidUser           ErrorCode = "InvalidUser"
	InvalidRequest        ErrorCode = "InvalidRequest"
	InvalidSetting        ErrorCode = "InvalidSetting"
	SettingIsNotAvailable ErrorCode = "SettingIsNotAvailable"
	ServerBusy            ErrorCode = "ServerBusy"
	InvalidDomain         ErrorCode = "InvalidDomain"
	NotFederated          ErrorCode = "NotFederated"
	InternalServerError   ErrorCode = "InternalServerError"
)

// WS-Addressing actions of the SOAP operations; the same value goes in the SOAPAction
// HTTP header. A response's action is the request's plus "Response".
const (
	ActionGetUserSettings   = "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings"
	ActionGetDomainSettings = "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetDomainSettings"
	// ActionFault is the WS-Addressing action WCF puts on a fault.
	ActionFault = "http://www.w3.org/2005/08/addressing/soap/fault"
)

// Body element names of the SOAP operations (SOAPRequest.Operation).
const (
	OpGetUserSettings   = "GetUserSettingsRequestMessage"
	OpGetDomainSettings = "GetDomainSettingsRequestMessage"
)

// Setting types (the i:type of a UserSetting or DomainSetting). Only string settings
// carry a Value; the collection types are decoded with their type and no value.
const (
	StringSetting       = "StringSetting"
	DomainStringSetting = "DomainStringSetting"
)

// SOAPRequestHeader is the SOAP header of an Autodiscover request.
type SOAPRequestHeader struct {
	// RequestedServerVersion is e.g. Exchange2010 … Exchange2016 (a:RequestedServerVersion).
	RequestedServerVersion string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover RequestedServerVersion"`
	// Action is wsa:Action; encoders fill it in when empty.
	Action string `xml:"http://www.w3.org/2005/08/addressing Action"`
	// To is wsa:To, the endpoint URL.
	To string `xml:"http://www.w3.org/2005/08/addressing To"`
}

// GetUserSettingsRequest asks for settings of one or more mailboxes.
type GetUserSettingsRequest struct {
	Mailboxes         []string
	RequestedSettings []string
}

// GetDomainSettingsRequest asks for settings of one or more domains (ExternalEwsUrl,
// ExternalEwsVersion).
type GetDomainSettingsRequest struct {
	Domains           []string
	RequestedSettings []string
	// RequestedVersion is optional (an Exchange version name).
	RequestedVersion string
}

// SOAPRequest is a decoded Autodiscover request envelope. Exactly one of the operation
// fields is set for a known Operation; for an unknown body element both are nil.
type SOAPRequest struct {
	Header SOAPRequestHeader
	// Operation is the local name of the Body's child, e.g. OpGetUserSettings.
	Operation string
	// OperationNamespace is that child's namespace URI.
	OperationNamespace string

	GetUserSettings   *GetUserSettingsRequest
	GetDomainSettings *GetDomainSettingsRequest
}

// EncodeGetUserSettingsRequest writes a GetUserSettings request envelope, with the
// prefixes the EWS clients use (soap:, a:, wsa:).
func EncodeGetUserSettingsRequest(w io.Writer, h SOAPRequestHeader, req *GetUserSettingsRequest) error {
	if h.Action == "" {
		h.Action = ActionGetUserSettings
	}
	x := &xmlWriter{indent: true}
	writeRequestStart(x, h)
	x.start("a:GetUserSettingsRequestMessage")
	x.start("a:Request")
	x.start("a:Users")
	for _, m := range req.Mailboxes {
		x.start("a:User")
		x.leaf("a:Mailbox", m)
		x.end("a:User")
	}
	x.end("a:Users")
	writeRequestedSettings(x, req.RequestedSettings)
	x.end("a:Request")
	x.end("a:GetUserSettingsRequestMessage")
	writeRequestEnd(x)
	return x.flush(w, "GetUserSettings request")
}

// EncodeGetDomainSettingsRequest writes a GetDomainSettings request envelope.
func EncodeGetDomainSettingsRequest(w io.Writer, h SOAPRequestHeader, req *GetDomainSettingsRequest) error {
	if h.Action == "" {
		h.Action = ActionGetDomainSettings
	}
	x := &xmlWriter{indent: true}
	writeRequestStart(x, h)
	x.start("a:GetDomainSettingsRequestMessage")
	x.start("a:Request")
	x.start("a:Domains")
	for _, d := range req.Domains {
		x.leaf("a:Domain", d)
	}
	x.end("a:Domains")
	writeRequestedSettings(x, req.RequestedSettings)
	x.opt("a:RequestedVersion", req.RequestedVersion)
	x.end("a:Request")
	x.end("a:GetDomainSettingsRequestMessage")
	writeRequestEnd(x)
	return x.flush(w, "GetDomainSettings request")
}

func writeRequestStart(x *xmlWriter, h SOAPRequestHeader) {
	x.declaration()
	x.start("soap:Envelope", "xmlns:soap", NSSoap, "xmlns:a", NSAutodiscover, "xmlns:wsa", NSAddressing)
	x.start("soap:Header")
	x.opt("a:RequestedServerVersion", h.RequestedServerVersion)
	x.opt("wsa:Action", h.Action)
	x.opt("wsa:To", h.To)
	x.end("soap:Header")
	x.start("soap:Body")
}

func writeRequestEnd(x *xmlWriter) {
	x.end("soap:Body")
	x.end("soap:Envelope")
}

func writeRequestedSettings(x *xmlWriter, settings []string) {
	x.start("a:RequestedSettings")
	for _, s := range settings {
		x.leaf("a:Setting", s)
	}
	x.end("a:RequestedSettings")
}

type (
	soapRequestDoc struct {
		XMLName xml.Name          `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
		Header  SOAPRequestHeader `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
		Body    *soapRequestBody  `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	soapRequestBody struct {
		GetUserSettings   *getUserSettingsXML   `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover GetUserSettingsRequestMessage"`
		GetDomainSettings *getDomainSettingsXML `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover GetDomainSettingsRequestMessage"`
		Other             []anyElement          `xml:",any"`
	}
	anyElement struct {
		XMLName xml.Name
	}
	getUserSettingsXML struct {
		Mailboxes []string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Request>Users>User>Mailbox"`
		Settings  []string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Request>RequestedSettings>Setting"`
	}
	getDomainSettingsXML struct {
		Domains          []string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Request>Domains>Domain"`
		Settings         []string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Request>RequestedSettings>Setting"`
		RequestedVersion string   `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Request>RequestedVersion"`
	}
)

// DecodeSOAPRequest reads a SOAP 1.1 Autodiscover request envelope. The Body must have
// a child element; an operation this package does not know is not an error (Operation
// names it, and a server answers it with an ActionNotSupported fault). A known
// operation with no users, domains or settings decodes with empty lists: answering
// that with InvalidRequest is the server's choice. The reader must be bounded by the
// caller.
func DecodeSOAPRequest(r io.Reader) (*SOAPRequest, error) {
	var doc soapRequestDoc
	if err := decodeXML(r, &doc, "soap request"); err != nil {
		return nil, err
	}
	trimStrings(&doc)
	if doc.Body == nil {
		return nil, malformed("soap request", "no soap:Body")
	}
	req := &SOAPRequest{Header: doc.Header}
	switch b := doc.Body; {
	case b.GetUserSettings != nil:
		req.Operation, req.OperationNamespace = OpGetUserSettings, NSAutodiscover
		req.GetUserSettings = &GetUserSettingsRequest{
			Mailboxes:         b.GetUserSettings.Mailboxes,
			RequestedSettings: b.GetUserSettings.Settings,
		}
	case b.GetDomainSettings != nil:
		req.Operation, req.OperationNamespace = OpGetDomainSettings, NSAutodiscover
		req.GetDomainSettings = &GetDomainSettingsRequest{
			Domains:           b.GetDomainSettings.Domains,
			RequestedSettings: b.GetDomainSettings.Settings,
			RequestedVersion:  b.GetDomainSettings.RequestedVersion,
		}
	case len(b.Other) > 0:
		req.Operation, req.OperationNamespace = b.Other[0].XMLName.Local, b.Other[0].XMLName.Space
	default:
		return nil, malformed("soap request", "empty soap:Body")
	}
	return req, nil
}

// ServerVersionInfo is the h:ServerVersionInfo header of a SOAP Autodiscover response
// (child elements, unlike EWS's attributes). The same numbers give CasVersion,
// ExternalEwsVersion and the POX ServerVersion.
type ServerVersionInfo struct {
	MajorVersion     int    `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover MajorVersion"`
	MinorVersion     int    `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover MinorVersion"`
	MajorBuildNumber int    `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover MajorBuildNumber"`
	MinorBuildNumber int    `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover MinorBuildNumber"`
	Version          string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Version"`
}

// CasVersion formats the build as Exchange does in the CasVersion setting:
// "15.01.2507.006".
func (v ServerVersionInfo) CasVersion() string {
	return fmt.Sprintf("%d.%02d.%04d.%03d", v.MajorVersion, v.MinorVersion, v.MajorBuildNumber, v.MinorBuildNumber)
}

// POXServerVersion encodes the build as the POX Protocol/ServerVersion: 32 bits in hex,
// holding a structure version (7), the major and minor versions (6 bits each), a flag
// bit and the major build number (15 bits).
func (v ServerVersionInfo) POXServerVersion() string {
	n := uint32(7)<<28 | uint32(v.MajorVersion&0x3f)<<22 | uint32(v.MinorVersion&0x3f)<<16 | 1<<15 | uint32(v.MajorBuildNumber&0x7fff)
	return fmt.Sprintf("%08X", n)
}

// Setting is a UserSetting or DomainSetting.
type Setting struct {
	// Type is the i:type without prefix; encoding uses StringSetting (user) or
	// DomainStringSetting (domain) when empty.
	Type  string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	Name  string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Name"`
	Value string `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Value"`
}

// SettingError is a UserSettingError or DomainSettingError: a setting that could not be
// returned.
type SettingError struct {
	ErrorCode    ErrorCode `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ErrorCode"`
	ErrorMessage string    `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ErrorMessage"`
	SettingName  string    `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover SettingName"`
}

// GetUserSettingsResponse is a GetUserSettings answer. ErrorCode is about the whole
// request; each UserResponse (one per requested mailbox, in order) has its own.
type GetUserSettingsResponse struct {
	ServerVersionInfo *ServerVersionInfo
	ErrorCode         ErrorCode
	ErrorMessage      string
	UserResponses     []UserResponse
}

// UserResponse is the answer for one mailbox.
type UserResponse struct {
	ErrorCode    ErrorCode `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ErrorCode"`
	ErrorMessage string    `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ErrorMessage"`
	// RedirectTarget is the address (RedirectAddress) or URL (RedirectUrl); it is
	// written i:nil when empty.
	RedirectTarget    string         `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover RedirectTarget"`
	UserSettingErrors []SettingError `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover UserSettingErrors>UserSettingError"`
	UserSettings      []Setting      `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover UserSettings>UserSetting"`
}

// Setting returns the value of the named setting and whether it is present.
func (u *UserResponse) Setting(name string) (string, bool) {
	for _, s := range u.UserSettings {
		if s.Name == name {
			return s.Value, true
		}
	}
	return "", false
}

// GetDomainSettingsResponse is a GetDomainSettings answer, one DomainResponse per
// requested domain.
type GetDomainSettingsResponse struct {
	ServerVersionInfo *ServerVersionInfo
	ErrorCode         ErrorCode
	ErrorMessage      string
	DomainResponses   []DomainResponse
}

// DomainResponse is the answer for one domain.
type DomainResponse struct {
	ErrorCode           ErrorCode      `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ErrorCode"`
	ErrorMessage        string         `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ErrorMessage"`
	DomainSettingErrors []SettingError `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover DomainSettingErrors>DomainSettingError"`
	DomainSettings      []Setting      `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover DomainSettings>DomainSetting"`
	RedirectTarget      string         `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover RedirectTarget"`
}

// SOAPFault is a SOAP 1.1 fault, as WCF writes it for autodiscover.svc (HTTP 500). It
// is the error Decode…Response functions return when the body is a fault.
type SOAPFault struct {
	// Code is the local part of faultcode, e.g. "ActionNotSupported".
	Code string
	// CodeNamespace is the namespace of faultcode's prefix, when the fault declares it
	// on the faultcode element (as WCF does), or NSSoap for the "s:" codes.
	CodeNamespace string
	// String is faultstring.
	String string
}

// Error formats the fault code and string.
func (f *SOAPFault) Error() string {
	return fmt.Sprintf("autodiscover: soap fault %s: %s", f.Code, f.String)
}

// EncodeSOAPFault writes a fault envelope as WCF does: a WS-Addressing fault action in
// the header and faultcode's prefix declared on faultcode itself.
func EncodeSOAPFault(w io.Writer, f *SOAPFault) error {
	x := &xmlWriter{}
	x.start("s:Envelope", "xmlns:s", NSSoap, "xmlns:a", NSAddressing)
	x.start("s:Header")
	x.leaf("a:Action", ActionFault, "s:mustUnderstand", "1")
	x.end("s:Header")
	x.start("s:Body")
	x.start("s:Fault")
	switch f.CodeNamespace {
	case "", NSSoap:
		x.leaf("faultcode", "s:"+f.Code)
	default:
		x.leaf("faultcode", "a:"+f.Code, "xmlns:a", f.CodeNamespace)
	}
	x.leaf("faultstring", f.String, "xml:lang", "en-US")
	x.end("s:Fault")
	x.end("s:Body")
	x.end("s:Envelope")
	return x.flush(w, "soap fault")
}

// EncodeGetUserSettingsResponse writes a GetUserSettings response envelope the way
// Exchange (WCF) does: no XML declaration, no indentation, h:ServerVersionInfo with
// child elements, xmlns:i declared before any i:type or i:nil.
func EncodeGetUserSettingsResponse(w io.Writer, resp *GetUserSettingsResponse) error {
	x := &xmlWriter{}
	writeResponseStart(x, ActionGetUserSettings+"Response", resp.ServerVersionInfo)
	x.start("GetUserSettingsResponseMessage", "xmlns", NSAutodiscover)
	x.start("Response", "xmlns:i", NSXSI)
	x.leaf("ErrorCode", string(orNoError(resp.ErrorCode)))
	x.leaf("ErrorMessage", resp.ErrorMessage)
	x.start("UserResponses")
	for _, u := range resp.UserResponses {
		x.start("UserResponse")
		x.leaf("ErrorCode", string(orNoError(u.ErrorCode)))
		x.leaf("ErrorMessage", u.ErrorMessage)
		writeRedirectTarget(x, u.RedirectTarget)
		writeSettingErrors(x, "UserSettingErrors", "UserSettingError", u.UserSettingErrors)
		writeSettings(x, "UserSettings", "UserSetting", StringSetting, u.UserSettings)
		x.end("UserResponse")
	}
	x.end("UserResponses")
	x.end("Response")
	x.end("GetUserSettingsResponseMessage")
	writeResponseEnd(x)
	return x.flush(w, "GetUserSettings response")
}

// EncodeGetDomainSettingsResponse writes a GetDomainSettings response envelope.
func EncodeGetDomainSettingsResponse(w io.Writer, resp *GetDomainSettingsResponse) error {
	x := &xmlWriter{}
	writeResponseStart(x, ActionGetDomainSettings+"Response", resp.ServerVersionInfo)
	x.start("GetDomainSettingsResponseMessage", "xmlns", NSAutodiscover)
	x.start("Response", "xmlns:i", NSXSI)
	x.leaf("ErrorCode", string(orNoError(resp.ErrorCode)))
	x.leaf("ErrorMessage", resp.ErrorMessage)
	x.start("DomainResponses")
	for _, d := range resp.DomainResponses {
		x.start("DomainResponse")
		x.leaf("ErrorCode", string(orNoError(d.ErrorCode)))
		x.leaf("ErrorMessage", d.ErrorMessage)
		writeSettingErrors(x, "DomainSettingErrors", "DomainSettingError", d.DomainSettingErrors)
		writeSettings(x, "DomainSettings", "DomainSetting", DomainStringSetting, d.DomainSettings)
		writeRedirectTarget(x, d.RedirectTarget)
		x.end("DomainResponse")
	}
	x.end("DomainResponses")
	x.end("Response")
	x.end("GetDomainSettingsResponseMessage")
	writeResponseEnd(x)
	return x.flush(w, "GetDomainSettings response")
}

func orNoError(c ErrorCode) ErrorCode {
	if c == "" {
		return NoError
	}
	return c
}

func writeResponseStart(x *xmlWriter, action string, v *ServerVersionInfo) {
	x.start("s:Envelope", "xmlns:s", NSSoap, "xmlns:a", NSAddressing)
	x.start("s:Header")
	x.leaf("a:Action", action, "s:mustUnderstand", "1")
	if v != nil {
		x.start("h:ServerVersionInfo", "xmlns:h", NSAutodiscover, "xmlns:i", NSXSI)
		x.leaf("h:MajorVersion", fmt.Sprint(v.MajorVersion))
		x.leaf("h:MinorVersion", fmt.Sprint(v.MinorVersion))
		x.leaf("h:MajorBuildNumber", fmt.Sprint(v.MajorBuildNumber))
		x.leaf("h:MinorBuildNumber", fmt.Sprint(v.MinorBuildNumber))
		x.opt("h:Version", v.Version)
		x.end("h:ServerVersionInfo")
	}
	x.end("s:Header")
	x.start("s:Body")
}

func writeResponseEnd(x *xmlWriter) {
	x.end("s:Body")
	x.end("s:Envelope")
}

func writeRedirectTarget(x *xmlWriter, target string) {
	if target == "" {
		x.leaf("RedirectTarget", "", "i:nil", "true")
	} else {
		x.leaf("RedirectTarget", target)
	}
}

func writeSettingErrors(x *xmlWriter, list, item string, errs []SettingError) {
	x.start(list)
	for _, e := range errs {
		x.start(item)
		x.leaf("ErrorCode", string(e.ErrorCode))
		x.leaf("ErrorMessage", e.ErrorMessage)
		x.leaf("SettingName", e.SettingName)
		x.end(item)
	}
	x.end(list)
}

func writeSettings(x *xmlWriter, list, item, defaultType string, settings []Setting) {
	x.start(list)
	for _, s := range settings {
		typ := s.Type
		if typ == "" {
			typ = defaultType
		}
		x.start(item, "i:type", typ)
		x.leaf("Name", s.Name)
		x.leaf("Value", s.Value)
		x.end(item)
	}
	x.end(list)
}

type (
	soapResponseDoc[T any] struct {
		XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
		Header  struct {
			ServerVersionInfo *ServerVersionInfo `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover ServerVersionInfo"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
		Body struct {
			Fault *soapFaultXML `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
			// Message is the one operation response message T names with its XMLName.
			Message *T `xml:",any"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	soapFaultXML struct {
		Code struct {
			Attrs []xml.Attr `xml:",any,attr"`
			Value string     `xml:",chardata"`
		} `xml:"faultcode"`
		String string `xml:"faultstring"`
	}
	getUserSettingsResponseXML struct {
		XMLName       xml.Name       `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover GetUserSettingsResponseMessage"`
		ErrorCode     ErrorCode      `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Response>ErrorCode"`
		ErrorMessage  string         `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Response>ErrorMessage"`
		UserResponses []UserResponse `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Response>UserResponses>UserResponse"`
	}
	getDomainSettingsResponseXML struct {
		XMLName         xml.Name         `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover GetDomainSettingsResponseMessage"`
		ErrorCode       ErrorCode        `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Response>ErrorCode"`
		ErrorMessage    string           `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Response>ErrorMessage"`
		DomainResponses []DomainResponse `xml:"http://schemas.microsoft.com/exchange/2010/Autodiscover Response>DomainResponses>DomainResponse"`
	}
)

// decodeSOAPResponse decodes an envelope whose body is T or a fault.
func decodeSOAPResponse[T any](r io.Reader, what string) (*T, *ServerVersionInfo, error) {
	var doc soapResponseDoc[T]
	if err := decodeXML(r, &doc, what); err != nil {
		return nil, nil, err
	}
	trimStrings(&doc)
	if f := doc.Body.Fault; f != nil {
		return nil, doc.Header.ServerVersionInfo, f.fault()
	}
	if doc.Body.Message == nil {
		return nil, nil, malformed(what, "no response message or fault in soap:Body")
	}
	return doc.Body.Message, doc.Header.ServerVersionInfo, nil
}

func (f *soapFaultXML) fault() *SOAPFault {
	out := &SOAPFault{Code: localPart(f.Code.Value), String: f.String}
	if prefix, _, ok := strings.Cut(f.Code.Value, ":"); ok {
		for _, a := range f.Code.Attrs {
			if a.Name.Space == "xmlns" && a.Name.Local == prefix {
				out.CodeNamespace = a.Value
			}
		}
		if out.CodeNamespace == "" && (prefix == "s" || prefix == "soap") {
			out.CodeNamespace = NSSoap
		}
	}
	return out
}

// DecodeGetUserSettingsResponse reads a GetUserSettings response envelope. A fault body
// is returned as a *SOAPFault error. The reader must be bounded by the caller.
func DecodeGetUserSettingsResponse(r io.Reader) (*GetUserSettingsResponse, error) {
	m, v, err := decodeSOAPResponse[getUserSettingsResponseXML](r, "GetUserSettings response")
	if err != nil {
		return nil, err
	}
	return &GetUserSettingsResponse{
		ServerVersionInfo: v,
		ErrorCode:         m.ErrorCode,
		ErrorMessage:      m.ErrorMessage,
		UserResponses:     m.UserResponses,
	}, nil
}

// DecodeGetDomainSettingsResponse reads a GetDomainSettings response envelope. A fault
// body is returned as a *SOAPFault error. The reader must be bounded by the caller.
func DecodeGetDomainSettingsResponse(r io.Reader) (*GetDomainSettingsResponse, error) {
	m, v, err := decodeSOAPResponse[getDomainSettingsResponseXML](r, "GetDomainSettings response")
	if err != nil {
		return nil, err
	}
	return &GetDomainSettingsResponse{
		ServerVersionInfo: v,
		ErrorCode:         m.ErrorCode,
		ErrorMessage:      m.ErrorMessage,
		DomainResponses:   m.DomainResponses,
	}, nil
}
