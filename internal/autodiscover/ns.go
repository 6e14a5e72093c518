package autodiscover

// Namespace URIs used on the wire. Every one of them starts with http://, whatever some
// documentation samples show.
const (
	// NSPOXRequest is the namespace of a POX request (the Outlook request schema).
	NSPOXRequest = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	// NSPOXResponse is the namespace of the POX root element and of the error Response.
	NSPOXResponse = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	// NSPOXOutlookResponse is the namespace of a POX settings or redirect Response, and
	// the value a client sends in AcceptableResponseSchema.
	NSPOXOutlookResponse = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

	// NSSoap is the SOAP 1.1 envelope namespace.
	NSSoap = "http://schemas.xmlsoap.org/soap/envelope/"
	// NSAutodiscover is the SOAP Autodiscover namespace (messages, header elements).
	NSAutodiscover = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
	// NSAddressing is WS-Addressing 1.0 (wsa:Action, wsa:To).
	NSAddressing = "http://www.w3.org/2005/08/addressing"
	// NSXSI is XML Schema instance (i:type, i:nil).
	NSXSI = "http://www.w3.org/2001/XMLSchema-instance"
	// NSWCFAddressingNone is the namespace WCF binds to the faultcode of an
	// ActionNotSupported fault.
	NSWCFAddressingNone = "http://schemas.microsoft.com/ws/2005/05/addressing/none"
	// NSWCFDispatcher is the namespace of WCF dispatcher faultcodes such as
	// DeserializationFailed.
	NSWCFDispatcher = "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"

	nsXML = "http://www.w3.org/XML/1998/namespace"
)
