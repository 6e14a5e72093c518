package netguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// Control checks the address a connection is about to be made to, and refuses it
// with an error matching [ErrBlocked] if the policy does not allow it (see
// [Policy.Check]). It has the signature of [net.Dialer.Control], which calls it with
// the resolved IP address, after DNS resolution and before connecting, for every
// address the dialer tries: so neither a host name resolving to a private address nor
// DNS rebinding gets past it. Networks other than TCP and UDP are refused unless
// private endpoints are allowed.
func (p Policy) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		if p.AllowPrivate {
			return nil
		}
		return fmt.Errorf("netguard: %w: network %q is not TCP or UDP", ErrBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Dialers pass an IP address and port; refuse anything else rather than guess.
		return fmt.Errorf("netguard: %w: %q is not an IP address and port", ErrBlocked, address)
	}
	return p.Check(ap.Addr())
}

// Dialer returns a copy of base (or of the zero Dialer if base is nil) that checks
// every address it connects to with [Policy.Control]. A Control or ControlContext
// function already set in base still runs, after the check. base is not modified.
func (p Policy) Dialer(base *net.Dialer) *net.Dialer {
	var d net.Dialer
	if base != nil {
		d = *base
	}
	// net.Dialer ignores Control when ControlContext is set, so guard whichever of the
	// two will run.
	if next := d.ControlContext; next != nil {
		d.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
			if err := p.Control(network, address, c); err != nil {
				return err
			}
			return next(ctx, network, address, c)
		}
		return &d
	}
	next := d.Control
	d.Control = func(network, address string, c syscall.RawConn) error {
		if err := p.Control(network, address, c); err != nil {
			return err
		}
		if next != nil {
			return next(network, address, c)
		}
		return nil
	}
	return &d
}

// DialContext returns the DialContext method of [Policy.Dialer](base), for
// [net/http.Transport.DialContext] and the like.
func (p Policy) DialContext(base *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return p.Dialer(base).DialContext
}
