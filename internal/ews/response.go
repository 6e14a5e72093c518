package ews

import (
	"encoding/xml"
	"errors"
)

// ResponseMessage is the part every …ResponseMessage element shares. Operation response
// messages embed it and add their payload after it, as the schema orders them.
type ResponseMessage struct {
	ResponseClass      string      `xml:"ResponseClass,attr"`
	MessageText        string      `xml:"m:MessageText,omitempty"`
	ResponseCode       string      `xml:"m:ResponseCode,omitempty"`
	DescriptiveLinkKey *int        `xml:"m:DescriptiveLinkKey"`
	MessageXml         *MessageXml `xml:"m:MessageXml"`
}

// Success is the ResponseMessage of a successful operation.
func Success() ResponseMessage {
	return ResponseMessage{ResponseClass: ClassSuccess, ResponseCode: NoError}
}

// Failure returns the ResponseMessage Exchange sends for a per-message error.
func Failure(code, text string) ResponseMessage {
	zero := 0
	return ResponseMessage{ResponseClass: ClassError, ResponseCode: code, MessageText: text, DescriptiveLinkKey: &zero}
}

// FailureFrom returns the ResponseMessage for err: a *ResponseError keeps its code, text and
// values; any other error becomes ErrorInternalServerError.
func FailureFrom(err error) ResponseMessage {
	var re *ResponseError
	if !errors.As(err, &re) {
		return Failure(ErrorInternalServerError, "An internal server error occurred. The operation failed.")
	}
	m := Failure(re.Code, re.Message)
	if len(re.Values) > 0 {
		m.MessageXml = &MessageXml{}
		for _, k := range sortedKeys(re.Values) {
			m.MessageXml.Values = append(m.MessageXml.Values, Value{Name: k, Value: re.Values[k]})
		}
	}
	return m
}

// Err returns nil for Success and Warning, and a *ResponseError for Error.
func (r *ResponseMessage) Err() error {
	if r.ResponseClass != ClassError {
		return nil
	}
	e := &ResponseError{Code: r.ResponseCode, Message: r.MessageText}
	if r.MessageXml != nil {
		e.Values = r.MessageXml.values()
	}
	return e
}

// MessageXml carries extra data for an error: schema violation positions, or named values
// such as BackOffMilliseconds.
type MessageXml struct {
	LineNumber   int     `xml:"t:LineNumber,omitempty"`
	LinePosition int     `xml:"t:LinePosition,omitempty"`
	Violation    string  `xml:"t:Violation,omitempty"`
	Values       []Value `xml:"t:Value"`
}

// Value is a named t:Value inside MessageXml.
type Value struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

func (m *MessageXml) values() map[string]string {
	if len(m.Values) == 0 {
		return nil
	}
	v := make(map[string]string, len(m.Values))
	for _, x := range m.Values {
		v[x.Name] = x.Value
	}
	return v
}

// Fault is a SOAP 1.1 fault as Exchange writes it.
type Fault struct {
	Code       string      // local part of faultcode, e.g. ErrorSchemaValidation
	String     string      // faultstring
	Message    string      // detail/e:Message
	MessageXml *MessageXml // detail/t:MessageXml
}

// FaultFor returns the fault Exchange sends for err: a *ResponseError or *SchemaError keeps
// its code and details; anything else becomes ErrorInternalServerError.
func FaultFor(err error) *Fault {
	var re *ResponseError
	var se *SchemaError
	switch {
	case errors.As(err, &re):
		err = re
	case errors.As(err, &se):
		err = se
	}
	switch e := err.(type) {
	case *ResponseError:
		f := &Fault{Code: e.Code, String: e.Message, Message: e.Message}
		if len(e.Values) > 0 {
			f.MessageXml = &MessageXml{}
			for _, k := range sortedKeys(e.Values) {
				f.MessageXml.Values = append(f.MessageXml.Values, Value{Name: k, Value: e.Values[k]})
			}
		}
		return f
	case *SchemaError:
		msg := "The request failed schema validation: " + e.Violation
		return &Fault{Code: ErrorSchemaValidation, String: msg, Message: msg,
			MessageXml: &MessageXml{LineNumber: max(e.Line, 1), LinePosition: max(e.Column, 1), Violation: e.Violation}}
	}
	msg := "An internal server error occurred. The operation failed."
	return &Fault{Code: ErrorInternalServerError, String: msg, Message: msg}
}

// Err converts a received fault into a *ResponseError.
func (f *Fault) Err() *ResponseError {
	e := &ResponseError{Code: f.Code, Message: f.String, Fault: true}
	if f.Message != "" {
		e.Message = f.Message
	}
	if f.MessageXml != nil {
		e.Values = f.MessageXml.values()
	}
	return e
}

// faultWire is the on-the-wire shape of s:Fault, namespace declarations included.
type faultWire struct {
	XMLName     xml.Name     `xml:"s:Fault"`
	FaultCode   nsText       `xml:"faultcode"`
	FaultString langText     `xml:"faultstring"`
	Detail      *faultDetail `xml:"detail"`
}

type nsText struct {
	XmlnsA string `xml:"xmlns:a,attr,omitempty"`
	XmlnsE string `xml:"xmlns:e,attr,omitempty"`
	Value  string `xml:",chardata"`
}

type langText struct {
	Lang  string `xml:"xml:lang,attr,omitempty"`
	Value string `xml:",chardata"`
}

type faultDetail struct {
	ResponseCode nsText           `xml:"e:ResponseCode"`
	Message      nsText           `xml:"e:Message"`
	MessageXml   *faultMessageXml `xml:"t:MessageXml"`
}

type faultMessageXml struct {
	XmlnsT string `xml:"xmlns:t,attr,omitempty"`
	MessageXml
}

func (f *Fault) wire() *faultWire {
	w := &faultWire{
		FaultCode:   nsText{XmlnsA: NSTypes, Value: "a:" + f.Code},
		FaultString: langText{Lang: "en-US", Value: f.String},
		Detail: &faultDetail{
			ResponseCode: nsText{XmlnsE: NSErrors, Value: f.Code},
			Message:      nsText{XmlnsE: NSErrors, Value: f.Message},
		},
	}
	if f.MessageXml != nil {
		w.Detail.MessageXml = &faultMessageXml{XmlnsT: NSTypes, MessageXml: *f.MessageXml}
	}
	return w
}

func (w *faultWire) fault() *Fault {
	f := &Fault{Code: localPart(w.FaultCode.Value), String: w.FaultString.Value}
	if w.Detail != nil {
		if w.Detail.ResponseCode.Value != "" {
			f.Code = w.Detail.ResponseCode.Value
		}
		f.Message = w.Detail.Message.Value
		if w.Detail.MessageXml != nil {
			mx := w.Detail.MessageXml.MessageXml
			f.MessageXml = &mx
		}
	}
	return f
}

func localPart(qname string) string {
	for i := len(qname) - 1; i >= 0; i-- {
		if qname[i] == ':' {
			return qname[i+1:]
		}
	}
	return qname
}
