package ews

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

const xmlDecl = `<?xml version="1.0" encoding="utf-8"?>`

// EncodeRequest writes a complete request envelope: the headers in h and the operation
// element named op (for example "GetFolder") with the content of body.
func EncodeRequest(w io.Writer, h *RequestHeader, op string, body any) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xmlDecl)
	bw.WriteString(`<soap:Envelope xmlns:soap="` + NSSoap + `" xmlns:m="` + NSMessages + `" xmlns:t="` + NSTypes + `" xmlns:xsi="` + NSXSI + `">`)
	enc := xml.NewEncoder(bw)
	if h != nil {
		if err := enc.EncodeElement(h, xml.StartElement{Name: xml.Name{Local: "soap:Header"}}); err != nil {
			return fmt.Errorf("ews: encode header: %w", err)
		}
	}
	if err := enc.EncodeToken(xml.StartElement{Name: xml.Name{Local: "soap:Body"}}); err != nil {
		return err
	}
	if err := enc.EncodeElement(body, xml.StartElement{Name: xml.Name{Local: "m:" + op}}); err != nil {
		return fmt.Errorf("ews: encode %s: %w", op, err)
	}
	if err := enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: "soap:Body"}}); err != nil {
		return err
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	bw.WriteString(`</soap:Envelope>`)
	return bw.Flush()
}

// EncodeResponse writes a complete response envelope as Exchange does: ServerVersionInfo
// in the header, and the response element (for example "GetFolderResponse") in the body.
func EncodeResponse(w io.Writer, v *ServerVersionInfo, name string, body any) error {
	if a, ok := body.(xmlContentAppender); ok {
		return encodeResponseFast(w, v, name, a)
	}
	bw := bufio.NewWriter(w)
	writeResponseStart(bw, v)
	enc := xml.NewEncoder(bw)
	start := xml.StartElement{Name: xml.Name{Local: "m:" + name}, Attr: []xml.Attr{
		{Name: xml.Name{Local: "xmlns:m"}, Value: NSMessages},
		{Name: xml.Name{Local: "xmlns:t"}, Value: NSTypes},
	}}
	if err := enc.EncodeElement(body, start); err != nil {
		return fmt.Errorf("ews: encode %s: %w", name, err)
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	bw.WriteString(`</s:Body></s:Envelope>`)
	return bw.Flush()
}

// EncodeFault writes a SOAP fault envelope. v may be nil: Exchange omits ServerVersionInfo
// on most faults.
func EncodeFault(w io.Writer, v *ServerVersionInfo, f *Fault) error {
	bw := bufio.NewWriter(w)
	writeResponseStart(bw, v)
	enc := xml.NewEncoder(bw)
	if err := enc.Encode(f.wire()); err != nil {
		return fmt.Errorf("ews: encode fault: %w", err)
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	bw.WriteString(`</s:Body></s:Envelope>`)
	return bw.Flush()
}

func writeResponseStart(bw *bufio.Writer, v *ServerVersionInfo) {
	bw.Write(appendResponseStart(bw.AvailableBuffer(), v))
}

// DecodeRequest reads a request envelope. It decodes the SOAP headers, then calls bodyFor
// with the operation name (the local name of the Body's child, in the messages namespace)
// to get the value to decode the operation into; bodyFor returns nil for an operation it
// does not serve. Errors are *SchemaError for malformed or misplaced XML,
// *UnknownOperationError, or a *ResponseError with ErrorInvalidRequest for an empty body.
func DecodeRequest(r io.Reader, bodyFor func(op string) any) (*RequestHeader, string, any, error) {
	d := NewDecoder(r)
	start, err := d.nextStart()
	if err != nil {
		return nil, "", nil, err
	}
	if start.Name.Local != "s:Envelope" {
		return nil, "", nil, d.wrap(fmt.Errorf("the root element must be a SOAP 1.1 Envelope, not %s", displayName(start.Name.Local)))
	}
	h := &RequestHeader{}
	start, err = d.nextStart()
	if err != nil {
		return nil, "", nil, err
	}
	if start.Name.Local == "s:Header" {
		if err := d.DecodeElement(h, &start); err != nil {
			return nil, "", nil, d.wrap(err)
		}
		if start, err = d.nextStart(); err != nil {
			return nil, "", nil, err
		}
	}
	if start.Name.Local != "s:Body" {
		return nil, "", nil, d.wrap(fmt.Errorf("expected the SOAP Body, found %s", displayName(start.Name.Local)))
	}
	op, body, err := decodeBodyChild(d, bodyFor)
	if err != nil {
		return h, op, nil, err
	}
	if err := d.expectEnd(); err != nil {
		return h, op, nil, err
	}
	return h, op, body, nil
}

func decodeBodyChild(d *Decoder, bodyFor func(op string) any) (string, any, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return "", nil, d.wrap(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return "", nil, &ResponseError{Code: ErrorInvalidRequest, Message: "The request is invalid: the SOAP Body is empty.", Fault: true}
		case xml.CharData:
			if !isSpace(t) {
				return "", nil, d.wrap(errors.New("unexpected text content in the SOAP Body"))
			}
		case xml.StartElement:
			op, ok := strings.CutPrefix(t.Name.Local, "m:")
			if !ok {
				return "", nil, d.wrap(fmt.Errorf("the element %s is not an operation in the %s namespace", displayName(t.Name.Local), NSMessages))
			}
			body := bodyFor(op)
			if body == nil {
				return op, nil, &UnknownOperationError{Operation: op}
			}
			if err := d.DecodeElement(body, &t); err != nil {
				return op, nil, d.wrap(err)
			}
			return op, body, nil
		}
	}
}

// expectEnd reads the rest of the document: only the closing Body and Envelope tags and
// white space may follow the operation element.
func (d *Decoder) expectEnd() error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return d.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return d.wrap(fmt.Errorf("unexpected element %s after the operation", displayName(t.Name.Local)))
		case xml.CharData:
			if !isSpace(t) {
				return d.wrap(errors.New("unexpected text content after the operation"))
			}
		}
	}
}

// DecodeResponse reads a response envelope whose body is the element name (for example
// "GetFolderResponse") and decodes it into body. A SOAP fault is returned as a
// *ResponseError with Fault set. The ServerVersionInfo header is returned when present.
//
// A zero *GetItemResponse or *SyncFolderItemsResponse body is decoded by a faster path
// to the same value (see fastdecode.go); r is then read to its end first.
func DecodeResponse(r io.Reader, name string, body any) (*ServerVersionInfo, error) {
	if fb, ok := body.(xmlResponseReader); ok && fb.fastDecodable() {
		return decodeResponseBuffered(r, name, fb)
	}
	return decodeResponse(r, name, body)
}

// decodeResponse is DecodeResponse through encoding/xml.
func decodeResponse(r io.Reader, name string, body any) (*ServerVersionInfo, error) {
	d := NewDecoder(r)
	start, err := d.nextStart()
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
	if start.Name.Local != "s:Body" {
		return hdr.ServerVersionInfo, d.wrap(fmt.Errorf("expected the SOAP Body, found %s", displayName(start.Name.Local)))
	}
	if start, err = d.nextStart(); err != nil {
		return hdr.ServerVersionInfo, err
	}
	switch start.Name.Local {
	case "s:Fault":
		var fw faultWire
		if err := d.DecodeElement(&fw, &start); err != nil {
			return hdr.ServerVersionInfo, d.wrap(err)
		}
		return hdr.ServerVersionInfo, fw.fault().Err()
	case "m:" + name:
		if err := d.DecodeElement(body, &start); err != nil {
			return hdr.ServerVersionInfo, d.wrap(err)
		}
		return hdr.ServerVersionInfo, nil
	}
	return hdr.ServerVersionInfo, d.wrap(fmt.Errorf("expected %s in the SOAP Body, found %s", name, displayName(start.Name.Local)))
}

// displayName renders a canonical name for error messages: "{uri}local" and "m:Local"
// stay readable.
func displayName(canonical string) string {
	return "'" + canonical + "'"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
