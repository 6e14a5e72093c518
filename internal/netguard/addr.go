package netguard

import (
	"fmt"
	"net/netip"
)

// CheckAddr returns nil for a public unicast address and a [*BlockedError] for any
// other: the unspecified address; loopback (127.0.0.0/8, ::1); private networks
// (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, and the deprecated site-local
// fec0::/10); link-local (169.254.0.0/16, fe80::/10); cloud metadata endpoints
// (169.254.169.254, 169.254.170.2, 100.100.100.200, 168.63.129.16, fd00:ec2::254,
// fd20:ce::254); carrier-grade NAT (100.64.0.0/10); 0.0.0.0/8; IETF protocol
// assignments (192.0.0.0/24); benchmarking (198.18.0.0/15, 2001:2::/48); multicast;
// the broadcast address; reserved 240.0.0.0/4; Teredo (2001::/32); the local-use NAT64
// prefix 64:ff9b:1::/48; and IPv6 outside the global unicast range 2000::/3.
//
// IPv6 forms that embed an IPv4 address — IPv4-mapped (::ffff:0:0/96), IPv4-compatible
// (::/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) — are refused when the embedded
// address is. (IPv4-compatible addresses are deprecated and refused in any case.) A
// zone, as in fe80::1%eth0, is ignored.
func CheckAddr(a netip.Addr) error {
	reason, metadata := classify(a.WithZone(""))
	if reason == "" {
		return nil
	}
	return &BlockedError{Addr: a, Reason: reason, Metadata: metadata}
}

// Check applies the policy to one address: [CheckAddr] unless p.AllowPrivate, and
// then only the refusal of cloud metadata endpoints.
func (p Policy) Check(a netip.Addr) error {
	err := CheckAddr(a)
	if err == nil || !p.AllowPrivate {
		return err
	}
	if be, ok := err.(*BlockedError); ok && be.Metadata {
		return err
	}
	return nil
}

// classify returns why a is refused, "" if it is not, and whether it is a cloud
// metadata endpoint.
func classify(a netip.Addr) (reason string, metadata bool) {
	switch {
	case !a.IsValid():
		return "not a valid IP address", false
	case a.Is4():
		return classify4(a.As4())
	case a.Is4In6():
		return embedded("an IPv4-mapped form", a.Unmap().As4())
	default:
		return classify6(a.As16())
	}
}

// embedded explains an IPv6 address by the IPv4 address it embeds: refused if and
// only if the IPv4 address is.
func embedded(form string, v4 [4]byte) (reason string, metadata bool) {
	reason, metadata = classify4(v4)
	if reason == "" {
		return "", false
	}
	return fmt.Sprintf("%s of %s, which is %s", form, netip.AddrFrom4(v4), reason), metadata
}

// classify4 classifies an IPv4 address.
func classify4(b [4]byte) (reason string, metadata bool) {
	switch {
	case b == [4]byte{0, 0, 0, 0}:
		return "the unspecified address, which reaches this machine", false
	case b == [4]byte{255, 255, 255, 255}:
		return "the limited broadcast address", false
	case b == [4]byte{169, 254, 169, 254}, // AWS, Azure, GCP, OCI, DigitalOcean… instance metadata
		b == [4]byte{169, 254, 170, 2},   // AWS ECS task metadata and credentials
		b == [4]byte{100, 100, 100, 200}, // Alibaba Cloud instance metadata
		b == [4]byte{168, 63, 129, 16}:   // Azure WireServer, a public address reachable only from Azure hosts
		return "a cloud metadata endpoint", true
	case b[0] == 0:
		return `in the "this network" range (0.0.0.0/8)`, false
	case b[0] == 10:
		return "in a private network range (10.0.0.0/8)", false
	case b[0] == 100 && b[1]&0xc0 == 64:
		return "in the carrier-grade NAT range (100.64.0.0/10)", false
	case b[0] == 127:
		return "a loopback address (127.0.0.0/8)", false
	case b[0] == 169 && b[1] == 254:
		return "a link-local address (169.254.0.0/16)", false
	case b[0] == 172 && b[1]&0xf0 == 16:
		return "in a private network range (172.16.0.0/12)", false
	case b[0] == 192 && b[1] == 0 && b[2] == 0:
		return "in the IETF protocol assignments range (192.0.0.0/24)", false
	case b[0] == 192 && b[1] == 168:
		return "in a private network range (192.168.0.0/16)", false
	case b[0] == 198 && b[1]&0xfe == 18:
		return "in the benchmarking range (198.18.0.0/15)", false
	case b[0]&0xf0 == 224:
		return "a multicast address (224.0.0.0/4)", false
	case b[0]&0xf0 == 240:
		return "in the reserved range (240.0.0.0/4)", false
	}
	return "", false
}

// classify6 classifies an IPv6 address that is not IPv4-mapped.
func classify6(b [16]byte) (reason string, metadata bool) {
	var v4 [4]byte
	switch {
	case b == [16]byte{}:
		return "the unspecified address, which reaches this machine", false
	case b == [16]byte{15: 1}:
		return "the loopback address (::1)", false
	case b == [16]byte{0xfd, 0x00, 0x0e, 0xc2, 14: 0x02, 15: 0x54}, // AWS instance metadata (fd00:ec2::254)
		b == [16]byte{0xfd, 0x20, 0x00, 0xce, 14: 0x02, 15: 0x54}: // GCP instance metadata (fd20:ce::254)
		return "a cloud metadata endpoint", true
	case [12]byte(b[:12]) == [12]byte{}: // ::/96, IPv4-compatible
		copy(v4[:], b[12:])
		if reason, metadata := embedded("an IPv4-compatible form", v4); reason != "" {
			return reason, metadata
		}
		return "a deprecated IPv4-compatible address (::/96)", false
	case [12]byte(b[:12]) == [12]byte{0x00, 0x64, 0xff, 0x9b}: // 64:ff9b::/96, NAT64
		copy(v4[:], b[12:])
		return embedded("a NAT64 form", v4)
	case [6]byte(b[:6]) == [6]byte{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}:
		return "in the local-use NAT64 range (64:ff9b:1::/48)", false
	case b[0] == 0x20 && b[1] == 0x02: // 2002::/16, 6to4
		copy(v4[:], b[2:6])
		return embedded("a 6to4 form", v4)
	case [4]byte(b[:4]) == [4]byte{0x20, 0x01, 0x00, 0x00}:
		return "a Teredo tunnelling address (2001::/32)", false
	case [6]byte(b[:6]) == [6]byte{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}:
		return "in the benchmarking range (2001:2::/48)", false
	case b[0]&0xfe == 0xfc:
		return "in a private network range (fc00::/7, unique local)", false
	case b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return "a link-local address (fe80::/10)", false
	case b[0] == 0xfe && b[1]&0xc0 == 0xc0:
		return "in the deprecated site-local range (fec0::/10)", false
	case b[0] == 0xff:
		return "a multicast address (ff00::/8)", false
	case b[0]&0xe0 != 0x20:
		return "outside the IPv6 global unicast range (2000::/3)", false
	}
	return "", false
}
