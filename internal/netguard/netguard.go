// Package netguard keeps the endpoints that admins type in — an EWS URL, an
// Autodiscover target, later webhook URLs — from reaching the service's own network:
// its loopback, the private networks it runs in, and the cloud metadata endpoints that
// hand out credentials. Without it, whoever may configure an organization could make
// mailbridge send requests, with its service account's credentials, to internal
// services (server-side request forgery).
//
// The guard works at two moments:
//
//   - When a URL is entered, [ValidateEndpointURL] refuses what is wrong or obviously
//     internal (a scheme other than https, credentials in the URL, "localhost", a
//     private IP literal) with a message the admin can act on.
//   - When connecting, [Policy.Control], installed in a [net.Dialer] by
//     [Policy.Dialer] or [Policy.DialContext], checks the IP address actually being
//     connected to, after DNS resolution, for every connection including redirects and
//     retries. A host name that resolves to a private address, or that resolves to a
//     public one when the URL is checked and to a private one later (DNS rebinding), is
//     refused there.
//
// Operators who run mailbridge against an Exchange in their own network, or against
// the local simulator, set [Policy.AllowPrivate] (the --allow-private-endpoints flag).
// Cloud metadata endpoints stay refused even then: no Exchange is served there.
//
// The guard sees the address a connection goes to. When an HTTP client goes through a
// proxy, that is the proxy's address; the proxy must then enforce its own policy.
package netguard

import (
	"errors"
	"net/netip"
)

// allowHint tells an admin how private endpoints can be allowed.
const allowHint = "an operator can allow private endpoints with --allow-private-endpoints"

// Policy says which endpoints may be reached. The zero Policy allows public endpoints
// only.
type Policy struct {
	// AllowPrivate allows loopback, private, link-local and other non-public
	// addresses, host names such as "localhost", and plain http, for an Exchange in
	// the operator's own network or the local simulator. Cloud metadata endpoints
	// stay refused.
	AllowPrivate bool
}

// ErrBlocked is matched, through errors.Is, by every error refusing a connection or an
// address, including [*BlockedError].
var ErrBlocked = errors.New("address not allowed")

// BlockedError refuses an IP address that is not a public endpoint.
type BlockedError struct {
	// Addr is the address refused, as given.
	Addr netip.Addr
	// Reason says what the address is, to follow "address X is": for example "in a
	// private network range (10.0.0.0/8)".
	Reason string
	// Metadata reports a cloud metadata endpoint, refused even when private endpoints
	// are allowed.
	Metadata bool
}

// Error says which address is refused, why, and, unless it can never be allowed, how
// an operator can allow it.
func (e *BlockedError) Error() string {
	var msg string
	if e.Addr.IsValid() {
		msg = "address " + e.Addr.String() + " is " + e.Reason
	} else {
		msg = "address is " + e.Reason
	}
	if e.Metadata {
		return msg + "; it is refused even when private endpoints are allowed"
	}
	return msg + "; " + allowHint
}

// Is reports whether target is [ErrBlocked].
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }
