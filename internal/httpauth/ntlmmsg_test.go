package httpauth

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"

	ntlmssp "github.com/Azure/go-ntlmssp"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNTLMv2SpecVectors checks the crypto against [MS-NLMP] 4.2.1 and 4.2.4
// (User "User", domain "Domain", password "Password").
func TestNTLMv2SpecVectors(t *testing.T) {
	t.Parallel()
	nt := ntHash("Password")
	if got, want := hex.EncodeToString(nt[:]), "a4f49c406510bdcab6824ee7c30fd852"; got != want {
		t.Errorf("NT hash = %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(ntowfv2(nt, "User", "Domain")), "0c868a403bfd7a93a3001ef22ef02e3f"; got != want {
		t.Errorf("NTOWFv2 = %s, want %s", got, want)
	}

	var serverChallenge [8]byte
	copy(serverChallenge[:], unhex(t, "0123456789abcdef"))
	// temp = 0x0101, reserved, time 0, client challenge aa.., reserved,
	// AV pairs NbDomainName "Domain", NbComputerName "Server", EOL, reserved.
	blob := unhex(t, "0101000000000000"+"0000000000000000"+"aaaaaaaaaaaaaaaa"+"00000000"+
		"02000c0044006f006d00610069006e00"+"01000c005300650072007600650072000000000000000000")
	proof := unhex(t, "68cd0ab851e51c96aabc927bebef6a1c")
	if got := hmacMD5(ntowfv2(nt, "User", "Domain"), serverChallenge[:], blob); !bytes.Equal(got, proof) {
		t.Errorf("NTProofStr = %x, want %x", got, proof)
	}

	response := append(append([]byte{}, proof...), blob...)
	if !verifyNTLMv2(nt, "User", "Domain", serverChallenge, response) {
		t.Error("spec response rejected")
	}
	if !verifyNTLMv2(nt, "USER", "Domain", serverChallenge, response) {
		t.Error("user name is upper-cased by NTOWFv2; other case rejected")
	}
	rejects := map[string]func() bool{
		"domain case": func() bool { return verifyNTLMv2(nt, "User", "DOMAIN", serverChallenge, response) },
		"password":    func() bool { return verifyNTLMv2(ntHash("password"), "User", "Domain", serverChallenge, response) },
		"challenge": func() bool {
			c := serverChallenge
			c[7] ^= 1
			return verifyNTLMv2(nt, "User", "Domain", c, response)
		},
		"blob bit": func() bool {
			r := bytes.Clone(response)
			r[40] ^= 1
			return verifyNTLMv2(nt, "User", "Domain", serverChallenge, r)
		},
		"ntlmv1 length": func() bool { return verifyNTLMv2(nt, "User", "Domain", serverChallenge, response[:24]) },
		"resp type": func() bool {
			r := bytes.Clone(response)
			r[16] = 2
			return verifyNTLMv2(nt, "User", "Domain", serverChallenge, r)
		},
	}
	for name, f := range rejects {
		if f() {
			t.Errorf("%s: accepted, want rejected", name)
		}
	}
}

// testChallenge is a CHALLENGE message from our encoder.
func testChallenge(t testing.TB, clientFlags uint32) (challengeParams, []byte) {
	t.Helper()
	p := challengeParams{
		flags:         challengeFlags(clientFlags),
		netbiosDomain: "CONTOSO",
		netbiosServer: "EXCH01",
		dnsDomain:     "contoso.com",
		dnsServer:     "exch01.contoso.com",
		filetime:      133500000000000000,
	}
	copy(p.serverChallenge[:], "\x01\x23\x45\x67\x89\xab\xcd\xef")
	return p, buildChallenge(p)
}

func TestBuildChallenge(t *testing.T) {
	t.Parallel()
	p, msg := testChallenge(t, flagUnicode|flagNTLM|flagExtendedSecurity|flag128|flag56|flagAlwaysSign|flagTargetInfo)

	if typ, err := ntlmMessageType(msg); err != nil || typ != ntlmChallenge {
		t.Fatalf("type = %d, %v", typ, err)
	}
	targetName, err := ntlmField(msg, 12)
	if err != nil || !bytes.Equal(targetName, utf16le("CONTOSO")) {
		t.Errorf("target name = %q, %v", targetName, err)
	}
	flags := binary.LittleEndian.Uint32(msg[20:])
	for name, f := range map[string]uint32{"unicode": flagUnicode, "ntlm": flagNTLM, "target info": flagTargetInfo, "ess": flagExtendedSecurity, "domain": flagTargetTypeDomain} {
		if flags&f == 0 {
			t.Errorf("flag %s not set in %#x", name, flags)
		}
	}
	if flags&(flagOEM|flagKeyExch|0x80 /* LM_KEY */) != 0 {
		t.Errorf("unexpected flags in %#x", flags)
	}
	if !bytes.Equal(msg[24:32], p.serverChallenge[:]) {
		t.Errorf("server challenge = %x", msg[24:32])
	}
	info, err := ntlmField(msg, 40)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{utf16le("CONTOSO"), utf16le("EXCH01"), utf16le("exch01.contoso.com")} {
		if !bytes.Contains(info, want) {
			t.Errorf("target info lacks %q", want)
		}
	}
	if !bytes.HasSuffix(info, []byte{0, 0, 0, 0}) {
		t.Error("target info does not end with MsvAvEOL")
	}

	// A client that asks for OEM gets OEM strings in the header fields.
	_, oem := testChallenge(t, flagOEM|flagNTLM)
	if name, _ := ntlmField(oem, 12); string(name) != "CONTOSO" {
		t.Errorf("OEM target name = %q", name)
	}
}

func TestParseAuthenticate(t *testing.T) {
	t.Parallel()
	_, challenge := testChallenge(t, flagUnicode|flagNTLM|flagTargetInfo)
	msg, err := ntlmssp.NewAuthenticateMessage(challenge, `CONTOSO\Alice`, alicePassword, &ntlmssp.AuthenticateMessageOptions{WorkstationName: "WS01"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseAuthenticate(msg)
	if err != nil {
		t.Fatal(err)
	}
	if m.domain != "CONTOSO" || m.user != "Alice" || m.workstation != "WS01" {
		t.Errorf("parsed domain %q user %q workstation %q", m.domain, m.user, m.workstation)
	}
	var sc [8]byte
	copy(sc[:], challenge[24:32])
	if !verifyNTLMv2(ntHash(alicePassword), m.user, m.domain, sc, m.ntResponse) {
		t.Error("go-ntlmssp's response rejected")
	}
	if verifyNTLMv2(ntHash(bobPassword), m.user, m.domain, sc, m.ntResponse) {
		t.Error("response accepted with another password")
	}
}

// FuzzNTLMAuthenticate feeds arbitrary bytes to the AUTHENTICATE parser and
// the NTLMv2 check: they must not panic, must return fields inside the
// message, and must not accept a response made with another password.
func FuzzNTLMAuthenticate(f *testing.F) {
	_, challenge := testChallenge(f, flagUnicode|flagNTLM|flagTargetInfo)
	valid, err := ntlmssp.NewAuthenticateMessage(challenge, `CONTOSO\alice`, alicePassword, nil)
	if err != nil {
		f.Fatal(err)
	}
	var sc [8]byte
	copy(sc[:], challenge[24:32])

	f.Add(valid)
	f.Add(valid[:ntlmAuthenticateHeaderLen])
	f.Add(valid[:40])
	f.Add([]byte{})
	f.Add([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
	huge := bytes.Clone(valid)
	binary.LittleEndian.PutUint16(huge[20:], 0xffff)     // NT response length
	binary.LittleEndian.PutUint32(huge[24:], 0xffffffff) // and offset
	f.Add(huge)

	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := parseAuthenticate(msg)
		if err != nil {
			return
		}
		if len(m.lmResponse) > len(msg) || len(m.ntResponse) > len(msg) || len(m.user) > 3*len(msg) {
			t.Fatalf("field larger than the message")
		}
		if verifyNTLMv2(ntHash("not the password"), m.user, m.domain, sc, m.ntResponse) {
			t.Fatalf("accepted a response with the wrong password")
		}
	})
}
