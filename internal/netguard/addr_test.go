package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// addrCase is one address and what CheckAddr must say of it: "" to allow it, or a
// substring of the reason to refuse it.
type addrCase struct {
	addr     string
	reason   string
	also     string // a second substring of the reason, if not empty
	metadata bool
}

// v4Cases covers each refused IPv4 range at its edges, and public addresses just
// outside them.
func v4Cases() []addrCase {
	return []addrCase{
		{addr: "0.0.0.0", reason: "the unspecified address"},
		{addr: "0.1.2.3", reason: `"this network" range (0.0.0.0/8)`},
		{addr: "0.255.255.255", reason: "(0.0.0.0/8)"},
		{addr: "10.0.0.0", reason: "in a private network range (10.0.0.0/8)"},
		{addr: "10.1.2.3", reason: "in a private network range (10.0.0.0/8)"},
		{addr: "10.255.255.255", reason: "(10.0.0.0/8)"},
		{addr: "100.64.0.0", reason: "carrier-grade NAT range (100.64.0.0/10)"},
		{addr: "100.127.255.255", reason: "(100.64.0.0/10)"},
		{addr: "100.100.100.200", reason: "a cloud metadata endpoint", metadata: true},
		{addr: "127.0.0.1", reason: "a loopback address (127.0.0.0/8)"},
		{addr: "127.255.255.254", reason: "loopback"},
		{addr: "169.254.0.1", reason: "a link-local address (169.254.0.0/16)"},
		{addr: "169.254.255.255", reason: "link-local"},
		{addr: "169.254.169.254", reason: "a cloud metadata endpoint", metadata: true},
		{addr: "169.254.170.2", reason: "a cloud metadata endpoint", metadata: true},
		{addr: "168.63.129.16", reason: "a cloud metadata endpoint", metadata: true},
		{addr: "172.16.0.0", reason: "in a private network range (172.16.0.0/12)"},
		{addr: "172.31.255.255", reason: "(172.16.0.0/12)"},
		{addr: "192.0.0.8", reason: "IETF protocol assignments range (192.0.0.0/24)"},
		{addr: "192.168.0.1", reason: "in a private network range (192.168.0.0/16)"},
		{addr: "192.168.255.255", reason: "(192.168.0.0/16)"},
		{addr: "198.18.0.1", reason: "benchmarking range (198.18.0.0/15)"},
		{addr: "198.19.255.255", reason: "(198.18.0.0/15)"},
		{addr: "224.0.0.1", reason: "a multicast address (224.0.0.0/4)"},
		{addr: "239.255.255.250", reason: "multicast"},
		{addr: "240.0.0.1", reason: "reserved range (240.0.0.0/4)"},
		{addr: "255.255.255.254", reason: "(240.0.0.0/4)"},
		{addr: "255.255.255.255", reason: "the limited broadcast address"},

		{addr: "1.1.1.1"},
		{addr: "8.8.8.8"},
		{addr: "52.96.0.1"}, // outlook.office365.com
		{addr: "9.255.255.255"},
		{addr: "11.0.0.0"},
		{addr: "100.63.255.255"},
		{addr: "100.128.0.0"},
		{addr: "126.255.255.255"},
		{addr: "128.0.0.0"},
		{addr: "168.63.129.17"},
		{addr: "169.253.255.255"},
		{addr: "169.255.0.0"},
		{addr: "172.15.255.255"},
		{addr: "172.32.0.0"},
		{addr: "192.0.1.0"},
		{addr: "192.167.255.255"},
		{addr: "192.169.0.0"},
		{addr: "198.17.255.255"},
		{addr: "198.20.0.0"},
		{addr: "203.0.113.10"}, // documentation ranges are not refused
		{addr: "223.255.255.255"},
	}
}

// v6Cases covers IPv6 addresses that do not embed an IPv4 address, and a few that do.
func v6Cases() []addrCase {
	return []addrCase{
		{addr: "::", reason: "the unspecified address"},
		{addr: "::1", reason: "the loopback address (::1)"},
		{addr: "fc00::1", reason: "in a private network range (fc00::/7, unique local)"},
		{addr: "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", reason: "(fc00::/7, unique local)"},
		{addr: "fd00:ec2::254", reason: "a cloud metadata endpoint", metadata: true},
		{addr: "fd20:ce::254", reason: "a cloud metadata endpoint", metadata: true},
		{addr: "fd00:ec2::253", reason: "unique local"},
		{addr: "fe80::1", reason: "a link-local address (fe80::/10)"},
		{addr: "fe80::1%eth0", reason: "a link-local address (fe80::/10)"},
		{addr: "febf:ffff::1", reason: "link-local"},
		{addr: "fec0::1", reason: "deprecated site-local range (fec0::/10)"},
		{addr: "ff02::1", reason: "a multicast address (ff00::/8)"},
		{addr: "ff0e::1", reason: "multicast"},
		{addr: "64:ff9b:1::a01:203", reason: "local-use NAT64 range (64:ff9b:1::/48)"},
		{addr: "2001::1", reason: "a Teredo tunnelling address (2001::/32)"},
		{addr: "2001:0:4136:e378:8000:63bf:3fff:fdd2", reason: "Teredo"},
		{addr: "2001:2::1", reason: "benchmarking range (2001:2::/48)"},
		{addr: "100::1", reason: "outside the IPv6 global unicast range (2000::/3)"},
		{addr: "4000::1", reason: "outside the IPv6 global unicast range"},
		{addr: "::ffff:0:a00:1", reason: "outside the IPv6 global unicast range"},
		{addr: "::8.8.8.8", reason: "a deprecated IPv4-compatible address (::/96)"},
		{addr: "::ffff:169.254.169.254", reason: "an IPv4-mapped form of 169.254.169.254, which is a cloud metadata endpoint", metadata: true},
		{addr: "64:ff9b::a9fe:a9fe", reason: "a NAT64 form of 169.254.169.254, which is a cloud metadata endpoint", metadata: true},

		{addr: "2606:4700:4700::1111"},
		{addr: "2001:4860:4860::8888"},
		{addr: "2603:1026::1"},
		{addr: "2001:3::1"},
		{addr: "2001:db8::1"}, // documentation ranges are not refused
		{addr: "3fff:ffff::1"},
		{addr: "2002:808:808::1"},   // 6to4 of 8.8.8.8
		{addr: "64:ff9b::808:808"},  // NAT64 of 8.8.8.8
		{addr: "::ffff:8.8.8.8"},    // IPv4-mapped 8.8.8.8
		{addr: "2606:4700::1%eth0"}, // a zone does not matter
	}
}

// embeddedCases derives, from each IPv4 case, its IPv4-mapped, IPv4-compatible, NAT64
// and 6to4 forms.
func embeddedCases() []addrCase {
	var cases []addrCase
	for _, c := range v4Cases() {
		v4 := netip.MustParseAddr(c.addr).As4()
		mapped := netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]})
		compat := netip.AddrFrom16([16]byte{12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]})
		nat64 := netip.AddrFrom16([16]byte{0: 0x00, 1: 0x64, 2: 0xff, 3: 0x9b, 12: v4[0], 13: v4[1], 14: v4[2], 15: v4[3]})
		sixToFour := netip.AddrFrom16([16]byte{0: 0x20, 1: 0x02, 2: v4[0], 3: v4[1], 4: v4[2], 5: v4[3], 15: 1})
		forms := []struct {
			addr netip.Addr
			form string
		}{
			{mapped, "an IPv4-mapped form of "},
			{compat, "an IPv4-compatible form of "},
			{nat64, "a NAT64 form of "},
			{sixToFour, "a 6to4 form of "},
		}
		for _, f := range forms {
			d := addrCase{addr: f.addr.String(), metadata: c.metadata}
			switch {
			case c.reason != "":
				d.reason, d.also = f.form+c.addr+", which is ", c.reason
			case f.form == "an IPv4-compatible form of " && c.addr != "0.0.0.0":
				d.reason = "a deprecated IPv4-compatible address"
			}
			// ::0.0.0.0 is the unspecified address.
			if d.addr == "::" {
				d.reason, d.also = "the unspecified address", ""
			}
			cases = append(cases, d)
		}
	}
	return cases
}

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	cases := append(append(v4Cases(), v6Cases()...), embeddedCases()...)
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			a := netip.MustParseAddr(tc.addr)
			err := CheckAddr(a)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("CheckAddr(%s) = %v; want nil", a, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckAddr(%s) = nil; want a refusal: %s", a, tc.reason)
			}
			if !errors.Is(err, ErrBlocked) {
				t.Errorf("errors.Is(%v, ErrBlocked) = false", err)
			}
			var be *BlockedError
			if !errors.As(err, &be) {
				t.Fatalf("CheckAddr(%s) = %T; want *BlockedError", a, err)
			}
			if be.Addr != a {
				t.Errorf("BlockedError.Addr = %s; want %s", be.Addr, a)
			}
			for _, want := range []string{tc.reason, tc.also} {
				if !strings.Contains(be.Reason, want) {
					t.Errorf("Reason = %q; want it to contain %q", be.Reason, want)
				}
			}
			if be.Metadata != tc.metadata {
				t.Errorf("Metadata = %v; want %v", be.Metadata, tc.metadata)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "address "+a.String()+" is ") {
				t.Errorf("Error() = %q; want it to start with %q", msg, "address "+a.String()+" is ")
			}
		})
	}
}

func TestBlockedErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		addr netip.Addr
		want string
	}{
		{
			name: "private",
			addr: netip.MustParseAddr("10.1.2.3"),
			want: "address 10.1.2.3 is in a private network range (10.0.0.0/8); an operator can allow private endpoints with --allow-private-endpoints",
		},
		{
			name: "mapped loopback",
			addr: netip.MustParseAddr("::ffff:127.0.0.1"),
			want: "address ::ffff:127.0.0.1 is an IPv4-mapped form of 127.0.0.1, which is a loopback address (127.0.0.0/8); an operator can allow private endpoints with --allow-private-endpoints",
		},
		{
			name: "metadata",
			addr: netip.MustParseAddr("169.254.169.254"),
			want: "address 169.254.169.254 is a cloud metadata endpoint; it is refused even when private endpoints are allowed",
		},
		{
			name: "invalid",
			addr: netip.Addr{},
			want: "address is not a valid IP address; an operator can allow private endpoints with --allow-private-endpoints",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckAddr(tt.addr)
			if err == nil || err.Error() != tt.want {
				t.Errorf("CheckAddr(%v) = %v; want %q", tt.addr, err, tt.want)
			}
		})
	}
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr        string
		allowPriv   bool
		wantBlocked bool
	}{
		{addr: "10.1.2.3", allowPriv: false, wantBlocked: true},
		{addr: "10.1.2.3", allowPriv: true},
		{addr: "127.0.0.1", allowPriv: true},
		{addr: "::1", allowPriv: true},
		{addr: "0.0.0.0", allowPriv: true},
		{addr: "fe80::1%eth0", allowPriv: true},
		{addr: "8.8.8.8", allowPriv: false},
		{addr: "8.8.8.8", allowPriv: true},
		{addr: "169.254.169.254", allowPriv: true, wantBlocked: true},
		{addr: "::ffff:169.254.169.254", allowPriv: true, wantBlocked: true},
		{addr: "fd00:ec2::254", allowPriv: true, wantBlocked: true},
		{addr: "168.63.129.16", allowPriv: true, wantBlocked: true},
	}
	for _, tt := range tests {
		name := tt.addr + "/public-only"
		if tt.allowPriv {
			name = tt.addr + "/allow-private"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := Policy{AllowPrivate: tt.allowPriv}.Check(netip.MustParseAddr(tt.addr))
			if blocked := errors.Is(err, ErrBlocked); blocked != tt.wantBlocked || (err != nil) != blocked {
				t.Errorf("Check(%s) = %v; want blocked %v", tt.addr, err, tt.wantBlocked)
			}
		})
	}
}
