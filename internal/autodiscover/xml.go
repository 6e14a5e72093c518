package autodiscover

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrMalformed is wrapped by every decoding error caused by the document itself: it is
// not well-formed XML (or JSON), has the wrong root element or namespace, carries a DTD,
// or lacks a required element. Errors from the underlying reader do not wrap it.
var ErrMalformed = errors.New("malformed document")

// readErrReader remembers the first non-EOF error of the underlying reader, so that a
// decoder can tell a transport failure (or a size limit) from a syntax error.
type readErrReader struct {
	r   io.Reader
	err error
}

// Read reads from the underlying reader, noting its first error.
func (r *readErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// noDTD hands raw tokens to a namespace-resolving decoder and refuses DTDs, so no
// entity declaration is ever seen by encoding/xml.
type noDTD struct{ d *xml.Decoder }

// Token returns the next raw token, or an error for a DTD.
func (t noDTD) Token() (xml.Token, error) {
	tok, err := t.d.RawToken()
	if err != nil {
		return nil, err
	}
	if _, ok := tok.(xml.Directive); ok {
		return nil, errors.New("DTDs are not allowed")
	}
	return xml.CopyToken(tok), nil
}

// decodeXML decodes one whole document from r into v. Anything but whitespace,
// comments and processing instructions after the root element is an error.
func decodeXML(r io.Reader, v any, what string) error {
	rr := &readErrReader{r: r}
	raw := xml.NewDecoder(rr)
	raw.Strict = true
	d := xml.NewTokenDecoder(noDTD{d: raw})
	err := d.Decode(v)
	if err == nil {
		err = expectEOF(d)
	}
	if err == nil {
		return nil
	}
	if rr.err != nil {
		return fmt.Errorf("autodiscover: decode %s: %w", what, rr.err)
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("unexpected end of document")
	}
	return fmt.Errorf("autodiscover: decode %s: %w: %w", what, ErrMalformed, err)
}

func expectEOF(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("content after the root element: <%s>", t.Name.Local)
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return errors.New("text after the root element")
			}
		}
	}
}

// malformed builds a decoding error for a well-formed document that lacks what the
// protocol requires.
func malformed(what, format string, args ...any) error {
	return fmt.Errorf("autodiscover: decode %s: %w: %s", what, ErrMalformed, fmt.Sprintf(format, args...))
}

// xmlWriter writes a document with exactly the prefixes, declarations and element
// order the encoder chooses; encoding/xml cannot be told which prefix to use.
type xmlWriter struct {
	buf     bytes.Buffer
	indent  bool   // two spaces per level, as Exchange writes POX
	kids    []bool // per open element: has it child elements
	pending bool   // a start tag is open and not yet closed with '>'
}

func (w *xmlWriter) declaration() {
	w.buf.WriteString(`<?xml version="1.0" encoding="utf-8"?>`)
}

func (w *xmlWriter) closePending() {
	if w.pending {
		w.buf.WriteByte('>')
		w.pending = false
	}
}

func (w *xmlWriter) newline() {
	if w.indent && w.buf.Len() > 0 {
		w.buf.WriteByte('\n')
		w.buf.WriteString(strings.Repeat("  ", len(w.kids)))
	}
}

// start opens an element; attrs are name, value pairs.
func (w *xmlWriter) start(name string, attrs ...string) {
	w.closePending()
	if n := len(w.kids); n > 0 {
		w.kids[n-1] = true
	}
	w.newline()
	w.buf.WriteByte('<')
	w.buf.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.buf.WriteByte(' ')
		w.buf.WriteString(attrs[i])
		w.buf.WriteString(`="`)
		escape(&w.buf, attrs[i+1], true)
		w.buf.WriteByte('"')
	}
	w.kids = append(w.kids, false)
	w.pending = true
}

// end closes the innermost open element, as <x/> if it is empty.
func (w *xmlWriter) end(name string) {
	n := len(w.kids)
	hadKids := w.kids[n-1]
	w.kids = w.kids[:n-1]
	if w.pending {
		w.buf.WriteString("/>")
		w.pending = false
		return
	}
	if hadKids {
		w.newline()
	}
	w.buf.WriteString("</")
	w.buf.WriteString(name)
	w.buf.WriteByte('>')
}

func (w *xmlWriter) text(s string) {
	if s == "" {
		return
	}
	w.closePending()
	escape(&w.buf, s, false)
}

// escape writes s as XML character data (or an attribute value). Characters XML cannot
// carry, and invalid UTF-8, become U+FFFD so the output is always well-formed.
func escape(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\r':
			b.WriteString("&#xD;")
		case attr && r == '"':
			b.WriteString("&quot;")
		case attr && r == '\n':
			b.WriteString("&#xA;")
		case attr && r == '\t':
			b.WriteString("&#x9;")
		case r == '\t' || r == '\n' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF):
			b.WriteRune(r)
		default:
			b.WriteRune('\uFFFD')
		}
	}
}

// leaf writes <name attrs>text</name>, or <name attrs/> when text is empty.
func (w *xmlWriter) leaf(name, text string, attrs ...string) {
	w.start(name, attrs...)
	w.text(text)
	w.end(name)
}

// opt writes a leaf only when text is not empty.
func (w *xmlWriter) opt(name, text string) {
	if text != "" {
		w.leaf(name, text)
	}
}

// flush writes the finished document to out.
func (w *xmlWriter) flush(out io.Writer, what string) error {
	if w.indent {
		w.buf.WriteByte('\n')
	}
	if _, err := out.Write(w.buf.Bytes()); err != nil {
		return fmt.Errorf("autodiscover: encode %s: %w", what, err)
	}
	return nil
}

// localPart strips a QName prefix: "a:StringSetting" -> "StringSetting".
func localPart(qname string) string {
	if i := strings.IndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}
