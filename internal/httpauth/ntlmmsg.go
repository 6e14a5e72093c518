package httpauth

// The NTLM wire codec ([MS-NLMP] section 2.2): the three messages of the
// handshake and the NTLMv2 response check. Nothing here touches HTTP.

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf16"
)

// NTLM message types ([MS-NLMP] 2.2.1).
const (
	ntlmNegotiate    = 1
	ntlmChallenge    = 2
	ntlmAuthenticate = 3
)

// NEGOTIATE flags used by the server ([MS-NLMP] 2.2.2.5).
const (
	flagUnicode          = 0x00000001
	flagOEM              = 0x00000002
	flagRequestTarget    = 0x00000004
	flagSign             = 0x00000010
	flagSeal             = 0x00000020
	flagNTLM             = 0x00000200
	flagAlwaysSign       = 0x00008000
	flagTargetTypeDomain = 0x00010000
	flagExtendedSecurity = 0x00080000
	flagTargetInfo       = 0x00800000
	flagVersion          = 0x02000000
	flag128              = 0x20000000
	flagKeyExch          = 0x40000000
	flag56               = 0x80000000
)

// AV_PAIR identifiers for the challenge's target info ([MS-NLMP] 2.2.2.1).
const (
	avEOL             = 0
	avNbComputerName  = 1
	avNbDomainName    = 2
	avDNSComputerName = 3
	avDNSDomainName   = 4
	avDNSTreeName     = 5
	avTimestamp       = 7
)

var ntlmSignature = []byte("NTLMSSP\x00")

// ntlmAuthenticateHeaderLen is the fixed part of an AUTHENTICATE message up to and
// including NegotiateFlags; Version and MIC after it are optional.
const ntlmAuthenticateHeaderLen = 64

// ntlmv2MinResponse is the shortest NTLMv2 NtChallengeResponse: the 16-byte
// NTProofStr and the fixed part of the client blob (2.2.2.7) up to and
// including the reserved field after ChallengeFromClient.
const ntlmv2MinResponse = 16 + 28

var (
	errNTLMShort     = errors.New("ntlm: message too short")
	errNTLMSignature = errors.New("ntlm: bad signature")
	errNTLMType      = errors.New("ntlm: unexpected message type")
	errNTLMField     = errors.New("ntlm: field out of bounds")
	errNTLMString    = errors.New("ntlm: odd-length unicode string")
)

// ntlmMessageType returns the type of an NTLMSSP message after checking its
// signature.
func ntlmMessageType(msg []byte) (uint32, error) {
	if len(msg) < 12 {
		return 0, errNTLMShort
	}
	if !bytes.Equal(msg[:8], ntlmSignature) {
		return 0, errNTLMSignature
	}
	return binary.LittleEndian.Uint32(msg[8:12]), nil
}

// parseNegotiate returns the flags of a NEGOTIATE message (2.2.1.1). The
// client's domain and workstation fields are informational and ignored.
func parseNegotiate(msg []byte) (uint32, error) {
	typ, err := ntlmMessageType(msg)
	if err != nil {
		return 0, err
	}
	if typ != ntlmNegotiate {
		return 0, errNTLMType
	}
	if len(msg) < 16 {
		return 0, errNTLMShort
	}
	return binary.LittleEndian.Uint32(msg[12:16]), nil
}

// challengeFlags chooses the CHALLENGE flags for a client's NEGOTIATE flags.
// NTLMSSP_NEGOTIATE_LM_KEY is never offered: only NTLMv2 is accepted.
func challengeFlags(client uint32) uint32 {
	f := uint32(flagRequestTarget | flagNTLM | flagAlwaysSign | flagTargetTypeDomain | flagTargetInfo | flagVersion)
	if client&flagUnicode != 0 {
		f |= flagUnicode
	} else {
		f |= flagOEM
	}
	// Echo what the client asked for and a Windows server would grant.
	return f | client&(flagSign|flagSeal|flagExtendedSecurity|flag128|flag56|flagKeyExch)
}

// challengeParams is what goes into a CHALLENGE message.
type challengeParams struct {
	flags           uint32
	serverChallenge [8]byte
	netbiosDomain   string
	netbiosServer   string
	dnsDomain       string // optional
	dnsServer       string // optional
	filetime        uint64 // MsvAvTimestamp, 100 ns since 1601-01-01 UTC
}

// windowsVersion is the VERSION structure (2.2.2.10) of Windows Server 2016
// (10.0 build 14393, NTLMSSP revision 15), the oldest host Exchange 2019 runs on.
var windowsVersion = [8]byte{10, 0, 0x39, 0x38, 0, 0, 0, 0x0f}

// buildChallenge encodes a CHALLENGE message (2.2.1.2).
func buildChallenge(p challengeParams) []byte {
	unicode := p.flags&flagUnicode != 0
	targetName := encodeNTLMString(p.netbiosDomain, unicode)

	var info []byte
	addAV := func(id uint16, v []byte) {
		info = binary.LittleEndian.AppendUint16(info, id)
		info = binary.LittleEndian.AppendUint16(info, uint16(len(v)))
		info = append(info, v...)
	}
	// AV pairs are always UTF-16LE, whatever the negotiated charset.
	addAV(avNbDomainName, utf16le(p.netbiosDomain))
	addAV(avNbComputerName, utf16le(p.netbiosServer))
	if p.dnsDomain != "" {
		addAV(avDNSDomainName, utf16le(p.dnsDomain))
		addAV(avDNSComputerName, utf16le(p.dnsServer))
		addAV(avDNSTreeName, utf16le(p.dnsDomain))
	}
	addAV(avTimestamp, binary.LittleEndian.AppendUint64(nil, p.filetime))
	addAV(avEOL, nil)

	const headerLen = 56
	msg := make([]byte, 0, headerLen+len(targetName)+len(info))
	msg = append(msg, ntlmSignature...)
	msg = binary.LittleEndian.AppendUint32(msg, ntlmChallenge)
	msg = appendField(msg, len(targetName), headerLen)
	msg = binary.LittleEndian.AppendUint32(msg, p.flags)
	msg = append(msg, p.serverChallenge[:]...)
	msg = append(msg, make([]byte, 8)...) // Reserved
	msg = appendField(msg, len(info), headerLen+len(targetName))
	msg = append(msg, windowsVersion[:]...)
	msg = append(msg, targetName...)
	return append(msg, info...)
}

// appendField appends a Len/MaxLen/BufferOffset field descriptor.
func appendField(b []byte, n, offset int) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(n))
	b = binary.LittleEndian.AppendUint16(b, uint16(n))
	return binary.LittleEndian.AppendUint32(b, uint32(offset))
}

// authenticateMessage is a decoded AUTHENTICATE message (2.2.1.3). The byte
// slices alias the input.
type authenticateMessage struct {
	flags       uint32
	lmResponse  []byte
	ntResponse  []byte
	domain      string
	user        string
	workstation string
}

// parseAuthenticate decodes an AUTHENTICATE message. Every length and offset
// comes from the peer and is checked against the message before use.
func parseAuthenticate(msg []byte) (*authenticateMessage, error) {
	typ, err := ntlmMessageType(msg)
	if err != nil {
		return nil, err
	}
	if typ != ntlmAuthenticate {
		return nil, errNTLMType
	}
	if len(msg) < ntlmAuthenticateHeaderLen {
		return nil, errNTLMShort
	}
	m := &authenticateMessage{flags: binary.LittleEndian.Uint32(msg[60:64])}
	if m.lmResponse, err = ntlmField(msg, 12); err != nil {
		return nil, err
	}
	if m.ntResponse, err = ntlmField(msg, 20); err != nil {
		return nil, err
	}
	unicode := m.flags&flagUnicode != 0
	for _, f := range []struct {
		off int
		dst *string
	}{{28, &m.domain}, {36, &m.user}, {44, &m.workstation}} {
		raw, err := ntlmField(msg, f.off)
		if err != nil {
			return nil, err
		}
		if *f.dst, err = decodeNTLMString(raw, unicode); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ntlmField returns the payload a field descriptor at off points to.
func ntlmField(msg []byte, off int) ([]byte, error) {
	n := uint64(binary.LittleEndian.Uint16(msg[off:]))
	start := uint64(binary.LittleEndian.Uint32(msg[off+4:]))
	if n == 0 {
		return nil, nil
	}
	if start+n > uint64(len(msg)) {
		return nil, errNTLMField
	}
	return msg[start : start+n], nil
}

// decodeNTLMString decodes UTF-16LE, or OEM bytes when the client did not
// negotiate Unicode. The OEM code page is taken to be Latin-1, which is what
// ASCII-only clients such as curl send.
func decodeNTLMString(b []byte, unicode bool) (string, error) {
	if !unicode {
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	if len(b)%2 != 0 {
		return "", errNTLMString
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

// encodeNTLMString is the inverse of decodeNTLMString; runes outside Latin-1
// become '?' in OEM.
func encodeNTLMString(s string, unicode bool) []byte {
	if unicode {
		return utf16le(s)
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// utf16le encodes s as UTF-16 little-endian, the "UNICODE()" of [MS-NLMP].
func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, v := range u {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return b
}

// ntHash is NTOWFv1 / the NT hash: MD4(UNICODE(password)).
func ntHash(password string) [16]byte {
	return md4Sum(utf16le(password))
}

// ntowfv2 is NTOWFv2 (3.3.2): HMAC-MD5(NT hash, UNICODE(Uppercase(user) + domain)),
// with user and domain exactly as the client put them in its AUTHENTICATE message.
func ntowfv2(nt [16]byte, user, domain string) []byte {
	return hmacMD5(nt[:], utf16le(strings.ToUpper(user)+domain))
}

// verifyNTLMv2 reports whether ntResponse is a valid NTLMv2 response
// (NTProofStr || blob, 2.2.2.8) to serverChallenge for the given NT hash.
//
// NTLMv1 (24-byte) responses and LM/LMv2-only messages are refused: Exchange
// 2016 and later run on Windows Server with LmCompatibilityLevel 5 in
// practice ("send NTLMv2 only, refuse LM & NTLM"), which is what real clients
// meet.
func verifyNTLMv2(nt [16]byte, user, domain string, serverChallenge [8]byte, ntResponse []byte) bool {
	if len(ntResponse) < ntlmv2MinResponse {
		return false
	}
	proof, blob := ntResponse[:16], ntResponse[16:]
	// RespType and HiRespType are both 1 (2.2.2.7).
	if blob[0] != 1 || blob[1] != 1 {
		return false
	}
	want := hmacMD5(ntowfv2(nt, user, domain), serverChallenge[:], blob)
	return hmac.Equal(proof, want)
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	mac := hmac.New(md5.New, key)
	for _, d := range data {
		mac.Write(d)
	}
	return mac.Sum(nil)
}
