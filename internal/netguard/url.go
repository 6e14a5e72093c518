package netguard

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// maxURLLen bounds the length of an endpoint URL.
const maxURLLen = 2048

// ErrInvalidURL is matched, through errors.Is, by every [*URLError].
var ErrInvalidURL = errors.New("invalid endpoint URL")

// URLError refuses an endpoint URL entered by an admin. Its Reason is written for
// that admin: it says what is wrong and what to do, and never quotes credentials.
type URLError struct {
	// Reason says what is wrong, for example "the URL contains a user name or
	// password; remove them and enter the password in the password field".
	Reason string
	// Err is the underlying error, if any: a [*BlockedError] for a refused IP
	// address.
	Err error
}

// Error returns "invalid endpoint URL: " and the reason.
func (e *URLError) Error() string { return "invalid endpoint URL: " + e.Reason }

// Unwrap returns the underlying error, if any.
func (e *URLError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrInvalidURL].
func (e *URLError) Is(target error) bool { return target == ErrInvalidURL }

// ValidateEndpointURL checks a URL typed by an admin, such as an EWS URL, and returns
// it parsed. It must be an absolute https URL (http only when p.AllowPrivate, for the
// local simulator) with a host, a valid port if any, and no user name, password or
// fragment. Unless p.AllowPrivate, an IP literal host must pass [Policy.Check], and
// host names that exist only inside a local network are refused: "localhost" and
// *.localhost, *.local, *.internal, *.home.arpa, and single-label names. Errors are
// [*URLError]s.
//
// It is a first check, for clear messages when the URL is entered. The addresses a
// host name resolves to are checked when connecting, by [Policy.Control].
func ValidateEndpointURL(raw string, p Policy) (*url.URL, error) {
	switch {
	case raw == "":
		return nil, refuse("the URL is empty")
	case len(raw) > maxURLLen:
		return nil, refuse("the URL is longer than %d characters", maxURLLen)
	case strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return nil, refuse("the URL contains a space or a control character; remove it")
	}
	u, err := url.Parse(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			// The cause may quote part of a password, as in the invalid port ":pa" of
			// "https://user:pa/ss@host": say nothing of it.
			return nil, refuse("the URL cannot be parsed; if it contains a user name or password, remove them and enter the password in the password field")
		}
		// url.Parse's error quotes the whole URL; keep only the cause.
		var pe *url.Error
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, refuse("the URL cannot be parsed (%v)", err)
	}
	// url.Parse lower-cases the scheme.
	switch u.Scheme {
	case "https":
	case "http":
		if !p.AllowPrivate {
			return nil, refuse("plain http is refused; use https (http is allowed only when an operator allows private endpoints with --allow-private-endpoints, for a local simulator)")
		}
	case "":
		return nil, refuse("the URL has no scheme; it should start with https://")
	default:
		return nil, refuse("the scheme %q is not supported; use https", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, refuse("the URL should have the form %s://host/path", u.Scheme)
	}
	if u.User != nil {
		return nil, refuse("the URL contains a user name or password; remove them and enter the password in the password field")
	}
	if strings.Contains(raw, "#") {
		return nil, refuse("the URL contains a fragment (#…); remove it")
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, refuse("the port after the colon is empty; remove the colon or give a port")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, refuse("the port %s is out of range (1-65535)", port)
		}
	}
	host := u.Hostname()
	if host == "" {
		return nil, refuse("the URL has no host name")
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if err := p.Check(addr); err != nil {
			return nil, &URLError{Reason: err.Error(), Err: err}
		}
		return u, nil
	}
	if strings.Contains(host, ":") { // url.Parse accepts an IPv6 literal only in brackets
		return nil, refuse("the host %q is not a valid IPv6 address", host)
	}
	if err := checkHostName(host, p); err != nil {
		return nil, err
	}
	return u, nil
}

// refuse returns a *URLError with the given reason.
func refuse(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// checkHostName checks a host name that is not an IP literal.
func checkHostName(host string, p Policy) error {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if len(name) > 253 {
		return refuse("the host name is longer than 253 characters")
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if err := checkLabel(label, host); err != nil {
			return err
		}
	}
	// A numeric last label is read as an IPv4 address by browsers and by some
	// resolvers: "127.1", "2130706433", "0x7f.1".
	if last := labels[len(labels)-1]; isNumericLabel(last) {
		return refuse("the host %q looks like an IP address in a non-standard form; write an IPv4 address as four decimal numbers, such as 192.0.2.10", host)
	}
	if p.AllowPrivate {
		return nil
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return refuse("the host %q is this machine; %s", host, allowHint)
	}
	for _, domain := range []string{"local", "internal", "home.arpa", "localdomain"} {
		if name == domain || strings.HasSuffix(name, "."+domain) {
			return refuse("the host %q is in the special-use domain %q, which exists only inside local networks; %s", host, domain, allowHint)
		}
	}
	if len(labels) == 1 {
		return refuse("the host %q is not a fully qualified domain name; enter the full name, such as mail.contoso.com (%s)", host, allowHint)
	}
	return nil
}

// checkLabel checks one label of a host name: letters, digits, hyphens and
// underscores, 1 to 63 of them, not starting or ending with a hyphen.
func checkLabel(label, host string) error {
	if label == "" {
		return refuse("the host %q has an empty label (two dots in a row, or a leading dot)", host)
	}
	if len(label) > 63 {
		return refuse("the host %q has a label longer than 63 characters", host)
	}
	for _, r := range label {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
		case r >= 0x80:
			return refuse("the host %q contains non-ASCII characters; enter its punycode form (xn--…)", host)
		default:
			return refuse("the host %q contains the character %q, which host names cannot contain", host, r)
		}
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return refuse("the host %q has a label that starts or ends with a hyphen", host)
	}
	return nil
}

// isNumericLabel reports whether label is a decimal number or a 0x hex number.
func isNumericLabel(label string) bool {
	digits, hex := label, false
	if rest, ok := strings.CutPrefix(label, "0x"); ok {
		digits, hex = rest, true
	}
	for _, r := range digits {
		if !(r >= '0' && r <= '9' || hex && (r >= 'a' && r <= 'f')) {
			return false
		}
	}
	return true // an empty digits is "0x", which is numeric too
}
