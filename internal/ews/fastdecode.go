package ews

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The fast decoding path, the mirror of fastxml.go. A sync engine's first pass reads
// whole mailboxes through GetItem and SyncFolderItems responses, and decoding them with
// encoding/xml — reflection over every field, a token and a name rewrite (canonicalReader)
// for every element — costs more than anything else the client does. So DecodeResponse
// reads those two responses whole into memory and decodes them with a tokenizer over the
// bytes (xmlReader) and a reader per type (readXMLElement, fastdecode_types.go), each
// mirroring what encoding/xml does with the type's struct tags.
//
// The rule is: any document this path accepts decodes to exactly the values, and the
// ServerVersionInfo, that the encoding/xml path gives for it. Whatever it does not handle
// — malformed XML, DTDs, names or prefixes encoding/xml treats in odd ways, unparsable
// numbers, booleans and dates, s:Fault — makes it give up, and DecodeResponse decodes
// the same bytes the encoding/xml way, so errors are that path's errors, position
// included. fastdecode_test.go checks the rule on randomly filled values of every type,
// re-encoded with random prefixes, namespace declarations, escapes, comments and
// unknown elements, and FuzzFastDecode on anything.
//
// encoding/xml semantics the readers mirror: an element a struct has no field for is
// skipped (its content is still checked); a repeated element appends to a slice field
// and otherwise decodes again into the same field, so scalars take the last value and a
// pointer field, allocated when its element first appears, is decoded into again
// (fields the later element lacks keep their values); a ",chardata" field and a text
// field (string, int, bool, DateTime) get all the character data directly inside the
// element, nested elements skipped; an ",any" field takes every child element no other
// field names; names are matched as canonicalReader rewrites them, so an element matches
// "t:X" when it is X in the types namespace, whatever its prefix, and an attribute
// matches only without a prefix.

// xmlResponseReader is a response body the fast path decodes.
type xmlResponseReader interface {
	// fastDecodable reports whether the value is zero, as the fast path needs: it decodes
	// into a zero value and starts again from zero when it gives up.
	fastDecodable() bool
	readXMLElement(d *xmlReader)
	reset()
}

var (
	_ xmlResponseReader = (*GetItemResponse)(nil)
	_ xmlResponseReader = (*SyncFolderItemsResponse)(nil)
)

func (r *GetItemResponse) fastDecodable() bool { return r != nil && r.ResponseMessages == nil }
func (r *GetItemResponse) reset()              { *r = GetItemResponse{} }

func (r *SyncFolderItemsResponse) fastDecodable() bool {
	return r != nil && r.ResponseMessages == nil
}
func (r *SyncFolderItemsResponse) reset() { *r = SyncFolderItemsResponse{} }

// decodeResponseBuffered is DecodeResponse for a body the fast path handles: the whole
// input is read first (the client bounds it by Options.MaxResponseBytes), then decoded
// fast, or else by encoding/xml over the same bytes followed by the read error, if any,
// so that the encoding/xml path sees exactly the input it would have read.
func decodeResponseBuffered(r io.Reader, name string, body xmlResponseReader) (*ServerVersionInfo, error) {
	bp := bodyBuffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBody {
			bodyBuffers.Put(bp)
		}
	}()
	data, rerr := readAll(r, (*bp)[:0])
	*bp = data
	if v, ok := decodeResponseFast(data, name, body); ok {
		return v, nil
	}
	body.reset()
	var src io.Reader = bytes.NewReader(data)
	if rerr != nil {
		src = io.MultiReader(src, errorReader{rerr})
	}
	return decodeResponse(src, name, body)
}

// maxPooledBody bounds the buffers kept for the next response.
const maxPooledBody = 8 << 20

var bodyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// readAll appends r's content to b until EOF or an error, which it returns (not EOF).
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

var xmlReaders = sync.Pool{New: func() any { return new(xmlReader) }}

// decodeResponseFast decodes the response envelope in data into body, as
// decodeResponse does; ok false means it gave up, leaving body partly filled.
func decodeResponseFast(data []byte, name string, body xmlResponseReader) (v *ServerVersionInfo, ok bool) {
	d := xmlReaders.Get().(*xmlReader)
	defer func() {
		d.reset(nil)
		xmlReaders.Put(d)
	}()
	d.reset(data)
	if !d.nextStart() || !d.is(spaceSoap, "Envelope") || !d.nextStart() {
		return nil, false
	}
	if d.is(spaceSoap, "Header") {
		for d.child() {
			if d.is(spaceTypes, "ServerVersionInfo") {
				if v == nil {
					v = new(ServerVersionInfo)
				}
				v.readXMLElement(d)
				continue
			}
			d.skip()
		}
		if !d.nextStart() {
			return nil, false
		}
	}
	if !d.is(spaceSoap, "Body") || !d.nextStart() || d.space != spaceMessages || string(d.local) != name {
		return nil, false
	}
	body.readXMLElement(d)
	// Reading stops at the end of the response element, as decodeResponse's does.
	return v, !d.failed
}

// Namespaces as the readers tell them apart.
const (
	spaceNone     uint8 = iota // no namespace
	spaceTypes                 // NSTypes, "t:" in tags
	spaceMessages              // NSMessages, "m:"
	spaceSoap                  // NSSoap, "s:"
	spaceOther                 // any other
)

type tokKind uint8

const (
	tokFail  tokKind = iota // malformed or unsupported input, or its end: give up
	tokStart                // a start element: space, canon, local, attrs
	tokEnd
	tokText // character data: text
)

// maxFastDepth bounds element nesting; encoding/xml refuses to unmarshal below 10000.
const maxFastDepth = 1000

// xmlReader tokenizes a document held in memory as encoding/xml's Decoder (Strict, no
// Entity map, no CharsetReader) tokenizes it, for the subset of XML this path accepts:
// names are ASCII; every prefix is declared, and not to the empty URI. Comments and
// processing instructions are checked and skipped. Once it has failed, it returns
// tokFail for good.
type xmlReader struct {
	b      []byte
	i      int
	failed bool

	// The current start element: its namespace, the canonical prefix of its name as
	// canonicalReader writes it ("t:", "{uri}", "" for no namespace), its local name, and
	// its attributes.
	space uint8
	canon string
	local []byte
	attrs []xmlAttr

	// The current character data.
	text []byte

	pendingEnd bool          // the current start element closed itself
	open       []openElement // the elements open
	ns         []nsBinding   // the namespace declarations in scope, innermost last

	scratch []byte // decoded character data
	attrBuf []byte // decoded attribute values
	acc     []byte // character data gathered over several tokens
}

// xmlAttr is an attribute: its name as written, its decoded value.
type xmlAttr struct {
	name    []byte
	value   []byte
	colon   int  // index of the colon in name, or -1
	escaped bool // value needs decoding (until scanStart has decoded it)
}

type openElement struct {
	qname []byte // as written, which the end tag must repeat
	nsLen int    // len(ns) before the element's declarations
}

type nsBinding struct {
	prefix []byte // empty for the default namespace
	space  uint8
	canon  string
}

func (d *xmlReader) reset(b []byte) {
	d.b, d.i, d.failed = b, 0, false
	d.local, d.text, d.pendingEnd = nil, nil, false
	clear(d.attrs) // they point into b
	d.attrs = d.attrs[:0]
	d.open = d.open[:0]
	clear(d.ns)
	d.ns = d.ns[:0]
	// Keep the buffers of ordinary responses, not those a huge body grew.
	for _, p := range []*[]byte{&d.scratch, &d.attrBuf, &d.acc} {
		if cap(*p) > maxPooledText {
			*p = nil
		}
	}
}

// maxPooledText bounds the text buffers an xmlReader keeps for the next document.
const maxPooledText = 1 << 20

func (d *xmlReader) fail() tokKind {
	d.failed = true
	return tokFail
}

// is reports whether the current start element is local in the namespace space.
func (d *xmlReader) is(space uint8, local string) bool {
	return d.space == space && string(d.local) == local
}

// next reads the next token.
func (d *xmlReader) next() tokKind {
	if d.failed {
		return tokFail
	}
	if d.pendingEnd {
		d.pendingEnd = false
		d.pop()
		return tokEnd
	}
	for {
		b, i := d.b, d.i
		if i >= len(b) {
			return d.fail()
		}
		if b[i] != '<' {
			return d.scanText()
		}
		if i+1 >= len(b) {
			return d.fail()
		}
		switch b[i+1] {
		case '/':
			return d.scanEnd()
		case '?':
			if !d.skipProcInst() {
				return d.fail()
			}
		case '!':
			switch {
			case bytes.HasPrefix(b[i:], []byte("<!--")):
				if !d.skipComment() {
					return d.fail()
				}
			case bytes.HasPrefix(b[i:], []byte("<![CDATA[")):
				return d.scanCDATA()
			default:
				return d.fail() // a DTD, which decodeResponse refuses, or malformed
			}
		default:
			return d.scanStart()
		}
	}
}

// nextStart reads up to the next start element; only white space may come first, as
// Decoder.nextStart requires.
func (d *xmlReader) nextStart() bool {
	for {
		switch d.next() {
		case tokStart:
			return true
		case tokText:
			if !isSpace(d.text) {
				d.fail()
				return false
			}
		default:
			d.fail()
			return false
		}
	}
}

// child reads up to the current element's next child element, skipping character data;
// false at the element's end (or on failure).
func (d *xmlReader) child() bool {
	for {
		switch d.next() {
		case tokStart:
			return true
		case tokText:
		default:
			return false
		}
	}
}

// skip reads past the end of the current element.
func (d *xmlReader) skip() {
	depth := 0
	for {
		switch d.next() {
		case tokStart:
			depth++
		case tokEnd:
			if depth == 0 {
				return
			}
			depth--
		case tokFail:
			return
		}
	}
}

// textContent reads the rest of the current element and returns the character data
// directly inside it, child elements skipped, as encoding/xml gathers it for a text or
// ",chardata" field. The result is valid until the next call.
func (d *xmlReader) textContent() []byte {
	var out []byte
	inAcc := false
	for {
		switch d.next() {
		case tokText:
			switch {
			case out == nil && !d.textDecoded():
				out = d.text
			case !inAcc:
				d.acc = append(append(d.acc[:0], out...), d.text...)
				out, inAcc = d.acc, true
			default:
				d.acc = append(d.acc, d.text...)
				out = d.acc
			}
		case tokStart:
			d.skip()
		case tokEnd:
			return out
		default:
			return nil
		}
	}
}

// textDecoded reports whether the current character data is in scratch, where the
// next token's may overwrite it.
func (d *xmlReader) textDecoded() bool {
	return len(d.text) > 0 && len(d.scratch) > 0 && &d.text[0] == &d.scratch[0]
}

func (d *xmlReader) textString() string { return string(d.textContent()) }

// xmlName returns the current start element's name as canonicalReader writes it, the
// value encoding/xml gives an XMLName field.
func (d *xmlReader) xmlName() xml.Name {
	if d.space == spaceTypes {
		if s, ok := typesNames[string(d.local)]; ok {
			return xml.Name{Local: s}
		}
	}
	return xml.Name{Local: d.canon + string(d.local)}
}

// typesNames interns the names of the elements ",any" fields usually take.
var typesNames = func() map[string]string {
	m := make(map[string]string)
	for _, s := range []string{KindItem, KindMessage, KindCalendarItem, KindContact, KindDistributionList,
		KindMeetingMessage, KindMeetingRequest, KindMeetingResponse, KindMeetingCancellation, KindTask,
		KindPostItem, KindFileAttachment, KindItemAttachment, ChangeCreate, ChangeUpdate, ChangeDelete,
		ChangeReadFlag, "t:FieldURI", "t:IndexedFieldURI", "t:ExtendedFieldURI"} {
		m[s[len("t:"):]] = s
	}
	return m
}()

func (d *xmlReader) pop() {
	top := d.open[len(d.open)-1]
	clear(d.ns[top.nsLen:])
	d.ns = d.ns[:top.nsLen]
	d.open = d.open[:len(d.open)-1]
}

// scanStart reads a start tag: its attributes, the namespaces it declares, its name.
func (d *xmlReader) scanStart() tokKind {
	b := d.b
	start := d.i + 1
	end, colon, ok := scanName(b, start)
	if !ok {
		return d.fail()
	}
	i := end
	d.attrs = d.attrs[:0]
	escaped := false
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return d.fail()
		}
		if b[i] == '>' {
			i++
			break
		}
		if b[i] == '/' {
			if i+1 >= len(b) || b[i+1] != '>' {
				return d.fail()
			}
			i += 2
			d.pendingEnd = true
			break
		}
		aEnd, aColon, ok := scanName(b, i)
		if !ok {
			return d.fail()
		}
		a := xmlAttr{name: b[i:aEnd], colon: aColon - i}
		i = skipSpace(b, aEnd)
		if i >= len(b) || b[i] != '=' {
			return d.fail()
		}
		i = skipSpace(b, i+1)
		if i >= len(b) || b[i] != '"' && b[i] != '\'' {
			return d.fail()
		}
		vEnd, esc, ok := scanChars(b, i+1, b[i])
		if !ok {
			return d.fail()
		}
		a.value, a.escaped = b[i+1:vEnd], esc
		escaped = escaped || esc
		d.attrs = append(d.attrs, a)
		i = vEnd + 1
	}
	d.i = i
	if escaped {
		// A value keeps pointing into the array it was decoded into when attrBuf grows
		// into a new one: the old one is not written again.
		d.attrBuf = d.attrBuf[:0]
		for k := range d.attrs {
			if a := &d.attrs[k]; a.escaped {
				off := len(d.attrBuf)
				d.attrBuf = appendDecoded(d.attrBuf, a.value, false)
				a.value = d.attrBuf[off:]
			}
		}
	}

	// Declarations apply to the element's own name, as in Decoder.Token.
	nsLen := len(d.ns)
	for k := range d.attrs {
		a := &d.attrs[k]
		switch {
		case a.colon < 0 && string(a.name) == "xmlns":
			d.ns = append(d.ns, binding(nil, a.value))
		case a.colon > 0 && string(a.name[:a.colon]) == "xmlns":
			if len(a.value) == 0 {
				return d.fail() // encoding/xml would put the prefix's names in no namespace
			}
			d.ns = append(d.ns, binding(a.name[a.colon+1:], a.value))
		}
	}
	d.open = append(d.open, openElement{qname: b[start:end], nsLen: nsLen})
	if len(d.open) > maxFastDepth {
		return d.fail()
	}
	if colon < 0 {
		d.local = b[start:end]
		d.space, d.canon = spaceNone, ""
		for k := len(d.ns) - 1; k >= 0; k-- {
			if len(d.ns[k].prefix) == 0 {
				d.space, d.canon = d.ns[k].space, d.ns[k].canon
				break
			}
		}
		return tokStart
	}
	prefix := b[start:colon]
	d.local = b[colon+1 : end]
	switch string(prefix) {
	case "xml":
		d.space, d.canon = spaceOther, "xml:"
		return tokStart
	case "xmlns":
		return d.fail()
	}
	for k := len(d.ns) - 1; k >= 0; k-- {
		if bytes.Equal(d.ns[k].prefix, prefix) {
			d.space, d.canon = d.ns[k].space, d.ns[k].canon
			return tokStart
		}
	}
	return d.fail() // an undeclared prefix, which encoding/xml takes for the namespace
}

// binding returns the declaration of prefix (nil: the default namespace) for uri.
func binding(prefix, uri []byte) nsBinding {
	n := nsBinding{prefix: prefix, space: spaceOther}
	switch string(uri) {
	case "":
		n.space = spaceNone
		return n
	case NSTypes:
		n.space = spaceTypes
	case NSMessages:
		n.space = spaceMessages
	case NSSoap:
		n.space = spaceSoap
	}
	if p, ok := prefixFor(string(uri)); ok {
		n.canon = p
	} else {
		n.canon = "{" + string(uri) + "}"
	}
	return n
}

// scanEnd reads an end tag, which must close the innermost open element.
func (d *xmlReader) scanEnd() tokKind {
	b := d.b
	start := d.i + 2
	end, _, ok := scanName(b, start)
	if !ok {
		return d.fail()
	}
	i := skipSpace(b, end)
	if i >= len(b) || b[i] != '>' || len(d.open) == 0 || !bytes.Equal(d.open[len(d.open)-1].qname, b[start:end]) {
		return d.fail()
	}
	d.i = i + 1
	d.pop()
	return tokEnd
}

// scanText reads character data up to the next '<'.
func (d *xmlReader) scanText() tokKind {
	end, escaped, ok := scanChars(d.b, d.i, 0)
	if !ok {
		return d.fail()
	}
	d.text = d.b[d.i:end]
	d.i = end
	if escaped {
		d.scratch = appendDecoded(d.scratch[:0], d.text, false)
		d.text = d.scratch
	}
	return tokText
}

// scanCDATA reads a CDATA section: character data without references, up to "]]>".
func (d *xmlReader) scanCDATA() tokKind {
	start := d.i + len("<![CDATA[")
	n := bytes.Index(d.b[start:], []byte("]]>"))
	if n < 0 {
		return d.fail()
	}
	d.text = d.b[start : start+n]
	d.i = start + n + len("]]>")
	cr := false
	for i := 0; i < len(d.text); {
		c := d.text[i]
		switch {
		case c >= 0x20 && c < utf8.RuneSelf || c == '\t' || c == '\n':
			i++
		case c == '\r':
			cr = true
			i++
		case c >= utf8.RuneSelf:
			size := validRune(d.text[i:])
			if size == 0 {
				return d.fail()
			}
			i += size
		default:
			return d.fail()
		}
	}
	if cr {
		d.scratch = appendDecoded(d.scratch[:0], d.text, true)
		d.text = d.scratch
	}
	return tokText
}

// skipComment skips a comment; "--" may only end it.
func (d *xmlReader) skipComment() bool {
	start := d.i + len("<!--")
	n := bytes.Index(d.b[start:], []byte("--"))
	if n < 0 || start+n+2 >= len(d.b) || d.b[start+n+2] != '>' {
		return false
	}
	d.i = start + n + 3
	return true
}

// skipProcInst skips a processing instruction; as encoding/xml, it refuses an XML
// declaration of another version than 1.0 or another encoding than UTF-8.
func (d *xmlReader) skipProcInst() bool {
	b := d.b
	start := d.i + 2
	end := start
	for end < len(b) && (nameByte[b[end]] || b[end] == ':') {
		end++
	}
	if end == start || !nameFirst[b[start]] && b[start] != ':' || end < len(b) && b[end] >= utf8.RuneSelf {
		return false
	}
	i := skipSpace(b, end)
	n := bytes.Index(b[i:], []byte("?>"))
	if n < 0 {
		return false
	}
	if string(b[start:end]) == "xml" {
		content := string(b[i : i+n])
		if ver := procInst("version", content); ver != "" && ver != "1.0" {
			return false
		}
		if enc := procInst("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return false
		}
	}
	d.i = i + n + 2
	return true
}

// procInst returns the value of param in the content of a processing instruction,
// parsed as encoding/xml parses it (a copy of its procInst).
func procInst(param, s string) string {
	param = param + "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

var nameFirst, nameByte = func() (first, rest [256]bool) {
	for c := range 256 {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
		first[c] = letter
		rest[c] = letter || '0' <= c && c <= '9' || c == '.' || c == '-'
	}
	return
}()

// scanName returns the end of the name at b[i:] and the index of its colon (-1 for
// none). ok is false unless the name is ASCII with at most one colon, not at either end
// (encoding/xml reads other names in ways this path does not follow).
func scanName(b []byte, i int) (end, colon int, ok bool) {
	if i >= len(b) || !nameFirst[b[i]] {
		return 0, 0, false
	}
	colon = -1
	for end = i + 1; end < len(b); end++ {
		if c := b[end]; !nameByte[c] {
			if c != ':' || colon >= 0 {
				break
			}
			colon = end
		}
	}
	if end < len(b) && (b[end] >= utf8.RuneSelf || b[end] == ':') || colon == end-1 {
		return 0, 0, false
	}
	return end, colon, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// charPlain marks the bytes scanChars passes without a look: ASCII allowed in character
// data that is neither markup, nor a quote, nor ']' (of "]]>"), nor '\r'.
var charPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['\t'], t['\n'] = true, true
	for _, c := range []byte{'<', '&', ']', '"', '\''} {
		t[c] = false
	}
	return t
}()

// scanChars checks the character data at b[i:] up to '<' (quote 0: text) or quote (an
// attribute value) as encoding/xml's Decoder.text reads it, and returns its end and
// whether it needs decoding (references or '\r'). ok is false where the Decoder fails:
// an unknown or malformed reference, a character outside XML's Char production, bytes
// that are not UTF-8, "]]>" in text, '<' in an attribute value, the end of the input.
func scanChars(b []byte, i int, quote byte) (end int, escaped, ok bool) {
	for i < len(b) {
		// Eight plain bytes at a time: a byte of x below 0x20 or above 0x7F, or equal to
		// one of the specials, sets the high bit of some byte of the test term.
		for ; i+8 <= len(b); i += 8 {
			const lo, hi = 0x0101010101010101, 0x8080808080808080
			t := b[i : i+8]
			x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			l, a, r, q, s := x^('<'*lo), x^('&'*lo), x^(']'*lo), x^('"'*lo), x^('\''*lo)
			if (x|(x-0x20*lo)&^x|(l-lo)&^l|(a-lo)&^a|(r-lo)&^r|(q-lo)&^q|(s-lo)&^s)&hi != 0 {
				break
			}
		}
		for i < len(b) && charPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '<':
			return i, escaped, quote == 0
		case c == quote && quote != 0:
			return i, escaped, true
		case c == '"' || c == '\'':
			i++
		case c == '&':
			_, n := parseReference(b[i:])
			if n == 0 {
				return 0, false, false
			}
			escaped = true
			i += n
		case c == '\r':
			escaped = true
			i++
		case c == ']':
			if quote == 0 && i+2 < len(b) && b[i+1] == ']' && b[i+2] == '>' {
				return 0, false, false
			}
			i++
		case c >= utf8.RuneSelf:
			n := validRune(b[i:])
			if n == 0 {
				return 0, false, false
			}
			i += n
		default: // control characters
			return 0, false, false
		}
	}
	return 0, false, false
}

// validRune returns the length of the UTF-8 sequence at the start of b, or 0 if it is
// not UTF-8 or not an XML character.
func validRune(b []byte) int {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
		return 0
	}
	return n
}

// parseReference parses the entity or character reference at the start of b, as
// encoding/xml does without an Entity map, and returns the character and the length
// of the reference, 0 if invalid.
func parseReference(b []byte) (rune, int) {
	if len(b) < 3 {
		return 0, 0
	}
	if b[1] != '#' {
		end := 1
		for end < len(b) && nameByte[b[end]] {
			end++
		}
		if end >= len(b) || b[end] != ';' {
			return 0, 0
		}
		var r rune
		switch string(b[1:end]) {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "apos":
			r = '\''
		case "quot":
			r = '"'
		default:
			return 0, 0
		}
		return r, end + 1
	}
	i, base := 2, uint64(10)
	if b[i] == 'x' {
		i, base = 3, 16
	}
	start := i
	var n uint64
	for ; i < len(b); i++ {
		c := b[i]
		var v uint64
		switch {
		case '0' <= c && c <= '9':
			v = uint64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			v = uint64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			v = uint64(c-'A') + 10
		default:
			goto done
		}
		if n <= utf8.MaxRune {
			n = n*base + v
		}
	}
done:
	if i == start || i >= len(b) || b[i] != ';' || n > utf8.MaxRune {
		return 0, 0
	}
	r := rune(n)
	if 0xD800 <= r && r <= 0xDFFF {
		r = utf8.RuneError // string(rune(n)), as encoding/xml converts it
	}
	if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
		return 0, 0
	}
	return r, i + 1
}

// appendDecoded appends character data checked by scanChars (or a CDATA section),
// decoded: references replaced, "\r\n" and "\r" written as "\n" (a '\n' right after a
// reference is kept, as encoding/xml keeps it).
func appendDecoded(dst, raw []byte, cdata bool) []byte {
	for len(raw) > 0 {
		j := 0
		for j < len(raw) && raw[j] != '\r' && (raw[j] != '&' || cdata) {
			j++
		}
		dst = append(dst, raw[:j]...)
		if j == len(raw) {
			break
		}
		if raw[j] == '\r' {
			dst = append(dst, '\n')
			raw = raw[j+1:]
			if len(raw) > 0 && raw[0] == '\n' {
				raw = raw[1:]
			}
			continue
		}
		r, n := parseReference(raw[j:])
		dst = utf8.AppendRune(dst, r)
		raw = raw[j+n:]
	}
	return dst
}

// Values as encoding/xml's copyValue parses them.

// parseXMLInt parses an int element or attribute.
func parseXMLInt(s []byte) (int, bool) {
	if len(s) == 0 {
		return 0, true
	}
	s = bytes.TrimSpace(s)
	if len(s) > 0 && len(s) < 19 {
		neg, digits := false, s
		if s[0] == '-' || s[0] == '+' {
			neg, digits = s[0] == '-', s[1:]
		}
		n := 0
		for _, c := range digits {
			if c < '0' || c > '9' {
				goto slow
			}
			n = n*10 + int(c-'0')
		}
		if len(digits) > 0 {
			if neg {
				n = -n
			}
			return n, true
		}
	}
slow:
	n, err := strconv.ParseInt(string(s), 10, strconv.IntSize)
	return int(n), err == nil
}

// parseXMLBool parses a bool element or attribute.
func parseXMLBool(s []byte) (bool, bool) {
	if len(s) == 0 {
		return false, true
	}
	switch string(bytes.TrimSpace(s)) {
	case "1", "t", "T", "TRUE", "true", "True":
		return true, true
	case "0", "f", "F", "FALSE", "false", "False":
		return false, true
	}
	return false, false
}

func (d *xmlReader) intContent() int {
	s := d.textContent()
	if d.failed {
		return 0
	}
	n, ok := parseXMLInt(s)
	if !ok {
		d.fail()
	}
	return n
}

func (d *xmlReader) intAttr(v []byte) int {
	n, ok := parseXMLInt(v)
	if !ok {
		d.fail()
	}
	return n
}

// readInt reads an optional int element: the pointer is allocated when it appears.
func readInt(d *xmlReader, p **int) {
	n := d.intContent()
	if *p == nil {
		*p = new(int)
	}
	**p = n
}

// readBool reads an optional bool element.
func readBool(d *xmlReader, p **bool) {
	s := d.textContent()
	if d.failed {
		return
	}
	v, ok := parseXMLBool(s)
	if !ok {
		d.fail()
		return
	}
	if *p == nil {
		*p = new(bool)
	}
	**p = v
}

// readPtr reads an element into the struct *p points to, allocated when nil.
func readPtr[T any, P interface {
	*T
	readXMLElement(d *xmlReader)
}](d *xmlReader, p **T) {
	if *p == nil {
		*p = new(T)
	}
	P(*p).readXMLElement(d)
}

// readXMLElement reads the element as DateTime.UnmarshalXML does: ParseDateTime of its
// character data.
func (t *DateTime) readXMLElement(d *xmlReader) {
	s := d.textContent()
	if d.failed {
		return
	}
	v, err := ParseDateTime(string(s))
	if err != nil {
		d.fail()
		return
	}
	t.Time = v
}
