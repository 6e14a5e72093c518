// Package hostoverride maps host names and ports to other addresses before dialing, in
// the form of curl's --resolve option, so that a client can reach a test server, a
// simulator or a not-yet-published Exchange exactly as it would reach the real name:
// the URL, the Host header, the TLS server name (SNI) and certificate verification all
// keep the original host name; only the TCP connection goes elsewhere.
//
// A spec is HOST:PORT:ADDR[,ADDR…], as curl takes it. Each ADDR is an IP address (IPv6
// in brackets, "[::1]") or a host name, optionally followed by :PORT2 — our extension,
// which maps a host and port to another address and another port:
//
//	contoso.com:443:127.0.0.1          connect to 127.0.0.1:443 for contoso.com:443
//	contoso.com:443:127.0.0.1:8443     connect to 127.0.0.1:8443 instead
//	contoso.com:443:[::1]:8443         the same over IPv6
//	contoso.com:443:10.0.0.5,10.0.0.6  try each address in turn
package hostoverride

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Overrides is a parsed set of host overrides. It is immutable, and so safe for
// concurrent use; a nil *Overrides overrides nothing.
type Overrides struct {
	// byKey maps "host:port" (host lower-cased, without a trailing dot; IPv6 in
	// brackets) to the addresses ("ip:port" or "name:port") to dial instead.
	byKey map[string][]string
	// specs are the specs as given, in order, for String.
	specs []string
}

// Parse parses specs in curl's --resolve form (see the package documentation). An
// empty list gives an empty, usable set. The same HOST:PORT given twice is an error.
func Parse(specs []string) (*Overrides, error) {
	o := &Overrides{byKey: make(map[string][]string, len(specs))}
	for _, spec := range specs {
		key, addrs, err := parseSpec(spec)
		if err != nil {
			return nil, fmt.Errorf("hostoverride: %q: %w", spec, err)
		}
		if _, dup := o.byKey[key]; dup {
			return nil, fmt.Errorf("hostoverride: %q: %s is already overridden", spec, key)
		}
		o.byKey[key] = addrs
		o.specs = append(o.specs, spec)
	}
	return o, nil
}

// parseSpec splits HOST:PORT:ADDR[,ADDR…] into its key and dial addresses.
func parseSpec(spec string) (key string, addrs []string, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return "", nil, errors.New("empty; want HOST:PORT:ADDR[:PORT2]")
	}
	if c := spec[0]; c == '+' || c == '-' {
		return "", nil, fmt.Errorf("curl's %q prefix is not supported; want HOST:PORT:ADDR[:PORT2]", string(c))
	}
	host, rest, err := splitHost(spec)
	if err != nil {
		return "", nil, err
	}
	portStr, targets, ok := strings.Cut(rest, ":")
	if !ok {
		return "", nil, errors.New("no address; want HOST:PORT:ADDR[:PORT2]")
	}
	port, err := parsePort(portStr)
	if err != nil {
		return "", nil, err
	}
	if host == "*" {
		return "", nil, errors.New("wildcard hosts are not supported; name the host")
	}
	key = net.JoinHostPort(normalizeHost(host), port)
	if targets == "" {
		return "", nil, errors.New("no address; want HOST:PORT:ADDR[:PORT2]")
	}
	for _, t := range strings.Split(targets, ",") {
		addr, err := parseTarget(strings.TrimSpace(t), port)
		if err != nil {
			return "", nil, err
		}
		addrs = append(addrs, addr)
	}
	return key, addrs, nil
}

// splitHost takes the HOST part off the front of spec: a name or IPv4 address up to
// the first colon, or an IPv6 address in brackets. rest is what follows the colon.
func splitHost(spec string) (host, rest string, err error) {
	if strings.HasPrefix(spec, "[") {
		end := strings.Index(spec, "]")
		if end < 0 {
			return "", "", errors.New("unclosed '[' in the host")
		}
		host = spec[1:end]
		if net.ParseIP(host) == nil || !strings.Contains(host, ":") {
			return "", "", fmt.Errorf("%q in brackets is not an IPv6 address", host)
		}
		rest, ok := strings.CutPrefix(spec[end+1:], ":")
		if !ok {
			return "", "", errors.New("no port after the host; want HOST:PORT:ADDR[:PORT2]")
		}
		return host, rest, nil
	}
	host, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return "", "", errors.New("no port; want HOST:PORT:ADDR[:PORT2]")
	}
	if host == "" {
		return "", "", errors.New("no host; want HOST:PORT:ADDR[:PORT2]")
	}
	if host != "*" && !validName(host) {
		return "", "", fmt.Errorf("%q is not a host name", host)
	}
	return host, rest, nil
}

// parseTarget parses ADDR[:PORT2] into a dial address; port is the default PORT2.
func parseTarget(t, port string) (string, error) {
	if t == "" {
		return "", errors.New("empty address")
	}
	var addr string
	if strings.HasPrefix(t, "[") {
		end := strings.Index(t, "]")
		if end < 0 {
			return "", fmt.Errorf("address %q: unclosed '['", t)
		}
		addr = t[1:end]
		if net.ParseIP(addr) == nil || !strings.Contains(addr, ":") {
			return "", fmt.Errorf("address %q: not an IPv6 address in brackets", t)
		}
		t = t[end+1:]
		if t != "" {
			p, ok := strings.CutPrefix(t, ":")
			if !ok {
				return "", fmt.Errorf("address %q: want [IPV6] or [IPV6]:PORT", "["+addr+"]"+t)
			}
			var err error
			if port, err = parsePort(p); err != nil {
				return "", err
			}
		}
		return net.JoinHostPort(addr, port), nil
	}
	if strings.Count(t, ":") > 1 {
		return "", fmt.Errorf("address %q: put an IPv6 address in brackets, as in [::1] or [::1]:8443", t)
	}
	addr, p, hasPort := strings.Cut(t, ":")
	if hasPort {
		var err error
		if port, err = parsePort(p); err != nil {
			return "", err
		}
	}
	if net.ParseIP(addr) == nil && !validName(addr) {
		return "", fmt.Errorf("address %q: not an IP address or a host name", addr)
	}
	return net.JoinHostPort(normalizeHost(addr), port), nil
}

// parsePort checks a decimal port in 1…65535 and returns it without leading zeros.
func parsePort(s string) (string, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strings.HasPrefix(s, "+") {
		return "", fmt.Errorf("port %q: want a number from 1 to 65535", s)
	}
	return strconv.Itoa(n), nil
}

// validName reports whether s looks like a DNS name or an IPv4 address: letters,
// digits, '-', '_' and dots, no empty label but a final one.
func validName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// normalizeHost lower-cases a host name and drops a trailing dot, so that
// "Contoso.COM." and "contoso.com" are the same key.
func normalizeHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// Lookup returns the addresses that replace host:port, and whether there is an
// override for it. host is compared case-insensitively.
func (o *Overrides) Lookup(host, port string) ([]string, bool) {
	if o == nil {
		return nil, false
	}
	addrs, ok := o.byKey[net.JoinHostPort(normalizeHost(host), port)]
	if !ok {
		return nil, false
	}
	return append([]string(nil), addrs...), true
}

// Len returns the number of overridden HOST:PORT pairs.
func (o *Overrides) Len() int {
	if o == nil {
		return 0
	}
	return len(o.byKey)
}

// String returns the specs as given, separated by spaces.
func (o *Overrides) String() string {
	if o == nil {
		return ""
	}
	return strings.Join(o.specs, " ")
}

// DialContext returns a dial function that connects to an overridden host:port through
// its replacement addresses (each in turn until one answers) and to any other address
// unchanged, always through next (nil: a plain net.Dialer). Pass the result as an
// http.Transport's DialContext: TLS is layered on top of the connection afterwards, so
// the server name and certificate checks still use the host name of the URL.
func (o *Overrides) DialContext(next func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if next == nil {
		next = (&net.Dialer{}).DialContext
	}
	if o.Len() == 0 {
		return next
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return next(ctx, network, addr)
		}
		targets, ok := o.Lookup(host, port)
		if !ok {
			return next(ctx, network, addr)
		}
		var errs []error
		for _, t := range targets {
			conn, err := next(ctx, network, t)
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return nil, fmt.Errorf("hostoverride: %s (overridden to %s): %w", addr, strings.Join(targets, ","), errors.Join(errs...))
	}
}
