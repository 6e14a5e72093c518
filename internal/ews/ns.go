package ews

// Namespace URIs used on the wire. Every one of them starts with http://, whatever some
// documentation samples show.
const (
	NSSoap     = "http://schemas.xmlsoap.org/soap/envelope/"
	NSMessages = "http://schemas.microsoft.com/exchange/services/2006/messages"
	NSTypes    = "http://schemas.microsoft.com/exchange/services/2006/types"
	NSErrors   = "http://schemas.microsoft.com/exchange/services/2006/errors"
	NSXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	NSXSD      = "http://www.w3.org/2001/XMLSchema"
	NSXML      = "http://www.w3.org/XML/1998/namespace"
)

// prefixFor maps a namespace URI to the prefix this package's struct tags use.
func prefixFor(uri string) (string, bool) {
	switch uri {
	case NSMessages:
		return "m:", true
	case NSTypes:
		return "t:", true
	case NSSoap:
		return "s:", true
	case NSErrors:
		return "e:", true
	case NSXSI:
		return "xsi:", true
	case NSXML:
		return "xml:", true
	}
	return "", false
}
