package ews

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// canonicalReader is an xml.TokenReader that resolves namespaces and rewrites every
// qualified name to the fixed prefix this package's struct tags use ("t:ItemId"), so that
// encoding/xml matches tags regardless of the prefixes a sender chose. Names in a
// namespace this package does not know are rewritten to "{uri}local", which matches no
// tag. Namespace declarations are dropped (they have been applied). DTDs are refused.
type canonicalReader struct {
	d *xml.Decoder
}

func (c *canonicalReader) Token() (xml.Token, error) {
	tok, err := c.d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		t.Name = canonicalName(t.Name, true)
		attrs := make([]xml.Attr, 0, len(t.Attr))
		for _, a := range t.Attr {
			if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
				continue
			}
			a.Name = canonicalName(a.Name, false)
			attrs = append(attrs, a)
		}
		t.Attr = attrs
		return t, nil
	case xml.EndElement:
		t.Name = canonicalName(t.Name, true)
		return t, nil
	case xml.Directive:
		return nil, &SchemaError{Violation: "DTDs are not allowed"}
	case xml.CharData:
		return t.Copy(), nil
	}
	return tok, nil
}

func canonicalName(n xml.Name, element bool) xml.Name {
	if n.Space == "" {
		return xml.Name{Local: n.Local}
	}
	if p, ok := prefixFor(n.Space); ok {
		return xml.Name{Local: p + n.Local}
	}
	if !element {
		return xml.Name{Local: "{" + n.Space + "}" + n.Local}
	}
	return xml.Name{Local: "{" + n.Space + "}" + n.Local}
}

// Decoder reads an EWS document with canonical names. It reports positions of errors
// as Exchange does in ErrorSchemaValidation (line and column).
type Decoder struct {
	raw *xml.Decoder
	src *errReader
	*xml.Decoder
}

// errReader remembers the error of the underlying reader, so that a read failure (such as
// a body over its size limit) is reported as itself and not as malformed XML.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// NewDecoder returns a Decoder reading from r. Only UTF-8 is accepted.
func NewDecoder(r io.Reader) *Decoder {
	src := &errReader{r: r}
	raw := xml.NewDecoder(src)
	raw.Strict = true
	return &Decoder{raw: raw, src: src, Decoder: xml.NewTokenDecoder(&canonicalReader{d: raw})}
}

// wrap turns a decoding error into a *SchemaError carrying the input position.
func (d *Decoder) wrap(err error) error {
	if err == nil {
		return nil
	}
	if d.src.err != nil {
		return fmt.Errorf("ews: read: %w", d.src.err)
	}
	var se *SchemaError
	if errors.As(err, &se) {
		if se.Line == 0 {
			se.Line, se.Column = d.raw.InputPos()
		}
		return se
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of document")
	}
	line, col := d.raw.InputPos()
	var syn *xml.SyntaxError
	if errors.As(err, &syn) {
		line = syn.Line
	}
	return &SchemaError{Line: line, Column: col, Violation: err.Error()}
}

// nextStart returns the next start element, skipping character data, comments and
// processing instructions. Reaching an end element first is an error.
func (d *Decoder) nextStart() (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, d.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, d.wrap(fmt.Errorf("unexpected end of element %q", t.Name.Local))
		case xml.CharData:
			if !isSpace(t) {
				return xml.StartElement{}, d.wrap(errors.New("unexpected text content"))
			}
		}
	}
}

func isSpace(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}
