package ews

import (
	"encoding/xml"
	"strings"
	"time"
)

// DateTime is an xs:dateTime. The zero value is omitted when encoding, so optional date
// elements need no pointer. It is written in UTC with a "Z", as Exchange writes it.
type DateTime struct {
	time.Time
}

// Date returns t as a DateTime.
func Date(t time.Time) DateTime { return DateTime{t} }

const dateTimeLayout = "2006-01-02T15:04:05Z"

// String formats the value as Exchange does.
func (d DateTime) String() string {
	if d.IsZero() {
		return ""
	}
	return d.UTC().Format(dateTimeLayout)
}

// MarshalXML writes the element, or nothing for the zero value.
func (d DateTime) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if d.IsZero() {
		return nil
	}
	return e.EncodeElement(d.String(), start)
}

// UnmarshalXML reads an xs:dateTime with or without a zone (no zone means UTC) and with
// optional fractional seconds.
func (d *DateTime) UnmarshalXML(dec *xml.Decoder, start xml.StartElement) error {
	var s string
	if err := dec.DecodeElement(&s, &start); err != nil {
		return err
	}
	t, err := ParseDateTime(s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// MarshalXMLAttr writes the attribute, or nothing for the zero value.
func (d DateTime) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	if d.IsZero() {
		return xml.Attr{}, nil
	}
	return xml.Attr{Name: name, Value: d.String()}, nil
}

// UnmarshalXMLAttr reads an xs:dateTime attribute, as UnmarshalXML reads an element.
func (d *DateTime) UnmarshalXMLAttr(attr xml.Attr) error {
	t, err := ParseDateTime(attr.Value)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// ParseDateTime parses an xs:dateTime value.
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
	if err != nil {
		return time.Time{}, &SchemaError{Violation: "invalid xs:dateTime value '" + s + "'"}
	}
	return t, nil
}

// Bool returns a pointer to b, for optional boolean elements.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to n, for optional integer elements.
func Int(n int) *int { return &n }
