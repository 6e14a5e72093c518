package checker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// kind is what went wrong with a call, as far as the checker's conclusions go.
type kind int

const (
	kindOK        kind = iota
	kindNet            // no connection, or the connection broke
	kindTLS            // the TLS handshake failed
	kindAuth           // *ewsclient.AuthError
	kindHTTP           // *ewsclient.HTTPError
	kindThrottled      // *ewsclient.ThrottledError
	kindEWS            // *ews.ResponseError
	kindNotSOAP        // an answer that is not EWS's SOAP (decode errors, too large)
	kindOther
)

// classify sorts err into a kind.
func classify(err error) kind {
	if err == nil {
		return kindOK
	}
	var (
		ae *ewsclient.AuthError
		he *ewsclient.HTTPError
		te *ewsclient.ThrottledError
		re *ews.ResponseError
		se *ews.SchemaError
	)
	switch {
	case errors.As(err, &te):
		return kindThrottled
	case errors.As(err, &ae):
		return kindAuth
	case errors.As(err, &he):
		return kindHTTP
	case errors.As(err, &re):
		return kindEWS
	case errors.As(err, &se), errors.Is(err, ewsclient.ErrResponseTooLarge):
		return kindNotSOAP
	case isTLSError(err):
		return kindTLS
	case isNetError(err):
		return kindNet
	case strings.Contains(err.Error(), "ews:"), strings.Contains(err.Error(), "XML syntax error"):
		return kindNotSOAP
	}
	return kindOther
}

// isTLSError reports a failed TLS handshake: an untrusted or mismatched certificate, or a
// port that does not speak TLS.
func isTLSError(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		rh  tls.RecordHeaderError
		al  tls.AlertError
	)
	switch {
	case errors.As(err, &cve), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci),
		errors.As(err, &rh), errors.As(err, &al):
		return true
	}
	return strings.Contains(err.Error(), "tls: ")
}

// isNetError reports a network failure: DNS, refused or timed-out connections, and
// connections closed without an answer.
func isNetError(err error) bool {
	var (
		dns *net.DNSError
		op  *net.OpError
		ne  net.Error
	)
	switch {
	case errors.As(err, &dns), errors.As(err, &op), errors.As(err, &ne),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "server closed") ||
		strings.Contains(s, "connection refused") || strings.Contains(s, "EOF")
}

// netReason says in plain words why a connection failed, and what to do.
func netReason(err error, host string) (what, fix string) {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "the host name " + host + " does not resolve (DNS)",
			"Check the EWS URL's host name, or use the magic wand (Autodiscover) to find it. If the name only exists inside the company network, run the check from there."
	case errors.As(err, &dns):
		return "the host name " + host + " could not be looked up (DNS: " + dns.Err + ")",
			"Check the DNS servers this machine uses, then try again."
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection refused"):
		return "nothing accepts connections at " + host + " (connection refused)",
			"Check the host and port of the EWS URL (HTTPS is port 443), and that the Exchange server or its load balancer is running."
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "the connection to " + host + " timed out",
			"Check that a firewall lets this service reach " + host + " (usually TCP 443), and that the host is published to the network this service runs in."
	}
	return "the connection to " + host + " failed", "Check the EWS URL and the network path to " + host + "."
}

// tlsReason says in plain words why the TLS handshake failed, and what to do.
func tlsReason(err error, host string) (what, fix string) {
	var (
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
		rh tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &rh):
		return "the server at " + host + " does not speak TLS on that port (it answered in plain text)",
			"Use http:// if the server really serves plain HTTP there (not recommended), or the port where it serves HTTPS."
	case errors.As(err, &hn):
		return "the certificate of " + host + " is not valid for that name (" + hn.Error() + ")",
			"Use the host name the certificate was issued for in the EWS URL, or have the certificate reissued with " + host + " in its names."
	case errors.As(err, &ci):
		return "the certificate of " + host + " is not valid (" + ci.Error() + ")",
			"Renew or replace the server's certificate."
	case errors.As(err, &ua):
		return "the certificate of " + host + " is signed by an authority this service does not trust",
			"If the company uses its own certificate authority, give its CA certificate (PEM) to the check (--ca-file); otherwise install a certificate from a public authority on the server."
	}
	return "the TLS handshake with " + host + " failed", "Check the server's certificate and TLS configuration (TLS 1.2 or later)."
}

// evidenceOf records what err says about an answer.
func evidenceOf(op string, err error) Evidence {
	ev := Evidence{Operation: op}
	if err == nil {
		ev.HTTPStatus = http.StatusOK
		return ev
	}
	ev.Error = err.Error()
	var (
		ae *ewsclient.AuthError
		he *ewsclient.HTTPError
		te *ewsclient.ThrottledError
		re *ews.ResponseError
	)
	switch {
	case errors.As(err, &te):
		ev.ResponseCode, ev.HTTPStatus = te.Code, te.HTTPStatus
	case errors.As(err, &ae):
		ev.HTTPStatus, ev.OfferedSchemes = http.StatusUnauthorized, ae.Offered
	case errors.As(err, &he):
		ev.HTTPStatus = he.Status
	case errors.As(err, &re):
		ev.ResponseCode, ev.HTTPStatus = re.Code, http.StatusOK
		if re.Fault {
			ev.HTTPStatus = http.StatusInternalServerError
		}
	}
	return ev
}
