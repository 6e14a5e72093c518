package ews

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// ResponseStream reads a response made of several complete SOAP envelopes in a row, as
// Exchange answers GetStreamingEvents: one chunked HTTP body, each envelope (with its own
// XML declaration) written when there is something to say. DecodeResponse reads a
// single envelope and cannot be called again on the same reader, because the XML
// decoder buffers ahead; a ResponseStream keeps one decoder for the whole body.
type ResponseStream struct {
	d *Decoder
}

// NewResponseStream returns a ResponseStream reading envelopes from r.
func NewResponseStream(r io.Reader) *ResponseStream {
	return &ResponseStream{d: NewDecoder(r)}
}

// Next reads the next envelope, whose body element is name (for example
// "GetStreamingEventsResponse"), and decodes it into body. It returns io.EOF when the
// input ends cleanly before another envelope starts. A SOAP fault is returned as a
// *ResponseError with Fault set, like DecodeResponse. A read error of the underlying
// reader (a size limit, a connection cut mid-envelope) is returned wrapped, as itself.
func (s *ResponseStream) Next(name string, body any) (*ServerVersionInfo, error) {
	d := s.d
	start, err := d.streamStart()
	if err != nil {
		return nil, err
	}
	if start.Name.Local != "s:Envelope" {
		return nil, d.wrap(fmt.Errorf("the response is not a SOAP 1.1 envelope (root %s)", displayName(start.Name.Local)))
	}
	var hdr struct {
		ServerVersionInfo *ServerVersionInfo `xml:"t:ServerVersionInfo"`
	}
	if start, err = d.nextStart(); err != nil {
		return nil, err
	}
	if start.Name.Local == "s:Header" {
		if err := d.DecodeElement(&hdr, &start); err != nil {
			return nil, d.wrap(err)
		}
		if start, err = d.nextStart(); err != nil {
			return nil, err
		}
	}
	v := hdr.ServerVersionInfo
	if start.Name.Local != "s:Body" {
		return v, d.wrap(fmt.Errorf("expected the SOAP Body, found %s", displayName(start.Name.Local)))
	}
	if start, err = d.nextStart(); err != nil {
		return v, err
	}
	var result error
	switch start.Name.Local {
	case "s:Fault":
		var fw faultWire
		if err := d.DecodeElement(&fw, &start); err != nil {
			return v, d.wrap(err)
		}
		result = fw.fault().Err()
	case "m:" + name:
		if err := d.DecodeElement(body, &start); err != nil {
			return v, d.wrap(err)
		}
	default:
		return v, d.wrap(fmt.Errorf("expected %s in the SOAP Body, found %s", name, displayName(start.Name.Local)))
	}
	// Consume the closing Body and Envelope tags, so that the next call starts at the
	// next envelope.
	if err := d.endEnvelope(); err != nil {
		return v, err
	}
	return v, result
}

// InputOffset returns how many bytes of the input the stream has consumed: after Next,
// the end of the envelope it returned (the decoder may have buffered more). It lets a
// caller bound the size of each envelope rather than of the whole stream.
func (s *ResponseStream) InputOffset() int64 { return s.d.raw.InputOffset() }

// streamStart returns the start element of the next envelope, skipping declarations,
// comments and white space, or io.EOF if the input ends first.
func (d *Decoder) streamStart() (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && d.src.err == nil {
				return xml.StartElement{}, io.EOF
			}
			return xml.StartElement{}, d.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, d.wrap(fmt.Errorf("unexpected end of element %q", t.Name.Local))
		case xml.CharData:
			if !isSpace(t) {
				return xml.StartElement{}, d.wrap(errors.New("unexpected text content between envelopes"))
			}
		}
	}
}

// endEnvelope reads up to and including the end of the current envelope, which must
// hold nothing more than white space after the Body's child.
func (d *Decoder) endEnvelope() error {
	for depth := 2; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return d.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return d.wrap(fmt.Errorf("unexpected element %s after the response element", displayName(t.Name.Local)))
		case xml.EndElement:
			depth--
		case xml.CharData:
			if !isSpace(t) {
				return d.wrap(errors.New("unexpected text content after the response element"))
			}
		}
	}
	return nil
}
