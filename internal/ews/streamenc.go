package ews

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// EncodeStreamingResponse writes one envelope of a streaming response
// (GetStreamingEvents) in the form Exchange uses on the wire for those: no XML
// declaration, an unprefixed Envelope in the SOAP namespace, and soap11:-prefixed Header
// and Body. Some clients (the EWS Managed API and its ports) find envelope boundaries by
// looking for the literal text "<Envelope" and "</Envelope>", so the regular form
// (EncodeResponse) is not read by them.
func EncodeStreamingResponse(w io.Writer, v *ServerVersionInfo, name string, body any) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`<Envelope xmlns="` + NSSoap + `"><soap11:Header xmlns:soap11="` + NSSoap + `">`)
	if v != nil {
		bw.WriteString(`<ServerVersionInfo xmlns="` + NSTypes + `" MajorVersion="` + strconv.Itoa(v.MajorVersion) +
			`" MinorVersion="` + strconv.Itoa(v.MinorVersion) + `" MajorBuildNumber="` + strconv.Itoa(v.MajorBuildNumber) +
			`" MinorBuildNumber="` + strconv.Itoa(v.MinorBuildNumber) + `" Version="`)
		xml.EscapeText(bw, []byte(v.Version))
		bw.WriteString(`"/>`)
	}
	bw.WriteString(`</soap11:Header><soap11:Body xmlns:soap11="` + NSSoap + `">`)
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
	bw.WriteString(`</soap11:Body></Envelope>`)
	return bw.Flush()
}
