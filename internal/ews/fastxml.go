package ews

import (
	"bytes"
	"io"
	"strconv"
	"unicode/utf8"
)

// The fast encoding path. GetItem and SyncFolderItems responses carry hundreds of items
// each (a sync engine's first pass reads whole mailboxes through them), and encoding them
// with encoding/xml's reflection costs more than everything else a server does for them.
// So their response types, Item, and every type an Item holds append their XML to a byte
// slice themselves, writing exactly the bytes encoding/xml writes for them: the same
// elements and attributes in the same order, the same omissions, the same escaping.
// fastxml_test.go checks that on randomly filled values of every one of these types, so
// a field added to one of them without its line here fails the tests.
//
// EncodeResponse takes this path when the response body is an xmlContentAppender. An
// element without a name of its own (the value of an ",any" field, without XMLName) is
// named as encoding/xml names it: after the Go field. Names are written as their Local
// part, with the xmlns attribute encoding/xml adds for a name with a Space, but not the
// xmlns="" it then adds to some children: this package never puts a Space in a name (its
// decoder rewrites names to the prefixes its tags use).

// xmlContentAppender is a response body that writes its own content, the children of the
// operation's response element, as encoding/xml would.
type xmlContentAppender interface {
	appendXMLContent(b []byte) []byte
}

var (
	_ xmlContentAppender = (*GetItemResponse)(nil)
	_ xmlContentAppender = (*SyncFolderItemsResponse)(nil)
)

// xmlEscapes holds, for each ASCII byte that encoding/xml escapes in text and attribute
// values, its escape: the markup characters, the white space that attribute
// normalization would lose, and the control characters XML does not allow (written as
// U+FFFD).
var xmlEscapes = func() (t [utf8.RuneSelf]string) {
	for c := range 0x20 {
		t[c] = "\uFFFD"
	}
	t['"'], t['\''], t['&'], t['<'], t['>'] = "&#34;", "&#39;", "&amp;", "&lt;", "&gt;"
	t['\t'], t['\n'], t['\r'] = "&#x9;", "&#xA;", "&#xD;"
	return t
}()

// xmlPlain marks the bytes appendEscaped copies without a look: ASCII that needs no
// escape.
var xmlPlain = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = xmlEscapes[c] == ""
	}
	return t
}()

// appendEscaped appends s escaped as encoding/xml's EscapeText escapes it: markup
// characters and tab, newline and carriage return as character references; bytes that are
// not UTF-8, and characters outside XML's Char production, as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		// Skip 8 plain bytes at a time: the bit tricks (from "Bit Twiddling Hacks") set
		// the high bit of some byte of a term exactly when some byte is above 0x7F, below
		// 0x20, '"', '&' or '\'' (x^'&' below 2), '<' or '>'.
		for ; i+8 <= len(s); i += 8 {
			const lo, hi = 0x0101010101010101, 0x8080808080808080
			t := s[i : i+8]
			x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			q, a, l, g := x^('"'*lo), x^('&'*lo), x^('<'*lo), x^('>'*lo)
			if (x|(x-0x20*lo)&^x|(q-lo)&^q|(a-2*lo)&^a|(l-lo)&^l|(g-lo)&^g)&hi != 0 {
				break
			}
		}
		for i < len(s) && xmlPlain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[last:i]...)
			b = append(b, xmlEscapes[c]...)
			i++
			last = i
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		if width == 1 || r == 0xFFFE || r == 0xFFFF { // width 1: not UTF-8
			b = append(b, s[last:i-width]...)
			b = append(b, "\uFFFD"...)
			last = i
		}
	}
	return append(b, s[last:]...)
}

// appendStartTag appends "<name" with the xmlns attribute encoding/xml adds for a name
// with a Space; the caller adds attributes and the closing '>'.
func appendStartTag(b []byte, local, space string) []byte {
	b = append(b, '<')
	b = append(b, local...)
	if space != "" {
		b = append(b, ` xmlns="`...)
		b = appendEscaped(b, space)
		b = append(b, '"')
	}
	return b
}

func appendStart(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func appendEnd(b []byte, name string) []byte {
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendAttr appends ` name="value"`.
func appendAttr(b []byte, name, value string) []byte {
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, `="`...)
	b = appendEscaped(b, value)
	return append(b, '"')
}

// appendAttrOmitEmpty appends the attribute unless value is empty (",attr,omitempty").
func appendAttrOmitEmpty(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendAttr(b, name, value)
}

// appendText appends <name>s</name>, s escaped.
func appendText(b []byte, name, s string) []byte {
	b = appendStart(b, name)
	b = appendEscaped(b, s)
	return appendEnd(b, name)
}

// appendTextOmitEmpty appends the element unless s is empty (",omitempty").
func appendTextOmitEmpty(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendText(b, name, s)
}

func appendInt(b []byte, name string, n int) []byte {
	b = appendStart(b, name)
	b = strconv.AppendInt(b, int64(n), 10)
	return appendEnd(b, name)
}

func appendIntOmitEmpty(b []byte, name string, n int) []byte {
	if n == 0 {
		return b
	}
	return appendInt(b, name, n)
}

// appendIntPtr appends the element of an optional integer; nil writes nothing.
func appendIntPtr(b []byte, name string, n *int) []byte {
	if n == nil {
		return b
	}
	return appendInt(b, name, *n)
}

// appendBoolPtr appends the element of an optional boolean; nil writes nothing.
func appendBoolPtr(b []byte, name string, v *bool) []byte {
	if v == nil {
		return b
	}
	b = appendStart(b, name)
	b = strconv.AppendBool(b, *v)
	return appendEnd(b, name)
}

// appendXMLElement appends the element, or nothing for the zero value (MarshalXML).
func (d DateTime) appendXMLElement(b []byte, name string) []byte {
	if d.IsZero() {
		return b
	}
	b = appendStart(b, name)
	b = d.UTC().AppendFormat(b, dateTimeLayout) // digits and separators: nothing to escape
	return appendEnd(b, name)
}

// appendPtr appends the element of an optional struct; nil writes nothing.
func appendPtr[T any, P interface {
	*T
	appendXMLElement(b []byte, name string) []byte
}](b []byte, name string, v *T) []byte {
	if v == nil {
		return b
	}
	return P(v).appendXMLElement(b, name)
}

// Response bodies.

func (r *GetItemResponse) appendXMLContent(b []byte) []byte {
	b = appendStart(b, "m:ResponseMessages")
	for i := range r.ResponseMessages {
		m := &r.ResponseMessages[i]
		b = m.ResponseMessage.appendOpen(b, "m:GetItemResponseMessage")
		b = appendStart(b, "m:Items")
		for j := range m.Items.Items {
			b = m.Items.Items[j].appendXMLElement(b, "Items")
		}
		b = appendEnd(b, "m:Items")
		b = appendEnd(b, "m:GetItemResponseMessage")
	}
	return appendEnd(b, "m:ResponseMessages")
}

func (r *SyncFolderItemsResponse) appendXMLContent(b []byte) []byte {
	b = appendStart(b, "m:ResponseMessages")
	for i := range r.ResponseMessages {
		m := &r.ResponseMessages[i]
		b = m.ResponseMessage.appendOpen(b, "m:SyncFolderItemsResponseMessage")
		b = appendText(b, "m:SyncState", m.SyncState)
		b = appendBoolPtr(b, "m:IncludesLastItemInRange", m.IncludesLastItemInRange)
		if c := m.Changes; c != nil {
			b = appendStart(b, "m:Changes")
			for j := range c.Changes {
				b = c.Changes[j].appendXMLElement(b, "Changes")
			}
			b = appendEnd(b, "m:Changes")
		}
		b = appendEnd(b, "m:SyncFolderItemsResponseMessage")
	}
	return appendEnd(b, "m:ResponseMessages")
}

// appendOpen appends the start tag of the response message element name and the
// ResponseMessage children; the caller adds its payload and the end tag.
func (r *ResponseMessage) appendOpen(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "ResponseClass", r.ResponseClass)
	b = append(b, '>')
	b = appendTextOmitEmpty(b, "m:MessageText", r.MessageText)
	b = appendTextOmitEmpty(b, "m:ResponseCode", r.ResponseCode)
	b = appendIntPtr(b, "m:DescriptiveLinkKey", r.DescriptiveLinkKey)
	return appendPtr(b, "m:MessageXml", r.MessageXml)
}

func (m *MessageXml) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = appendIntOmitEmpty(b, "t:LineNumber", m.LineNumber)
	b = appendIntOmitEmpty(b, "t:LinePosition", m.LinePosition)
	b = appendTextOmitEmpty(b, "t:Violation", m.Violation)
	for i := range m.Values {
		v := &m.Values[i]
		b = append(b, "<t:Value"...)
		b = appendAttr(b, "Name", v.Name)
		b = append(b, '>')
		b = appendEscaped(b, v.Value)
		b = appendEnd(b, "t:Value")
	}
	return appendEnd(b, name)
}

func (c *SyncFolderItemsChange) appendXMLElement(b []byte, name string) []byte {
	if c.XMLName.Local != "" {
		name = c.XMLName.Local
	}
	b = appendStartTag(b, name, c.XMLName.Space)
	b = append(b, '>')
	if c.Item != nil {
		b = c.Item.appendXMLElement(b, "Item")
	}
	b = appendPtr(b, "t:ItemId", c.ItemId)
	b = appendBoolPtr(b, "t:IsRead", c.IsRead)
	return appendEnd(b, name)
}

// The types an Item holds, in the order types.go declares them.

func (id *ItemId) appendXMLElement(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "Id", id.Id)
	b = appendAttrOmitEmpty(b, "ChangeKey", id.ChangeKey)
	b = append(b, '>')
	return appendEnd(b, name)
}

func (id *FolderId) appendXMLElement(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "Id", id.Id)
	b = appendAttrOmitEmpty(b, "ChangeKey", id.ChangeKey)
	b = append(b, '>')
	return appendEnd(b, name)
}

func (a *EmailAddress) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = appendTextOmitEmpty(b, "t:Name", a.Name)
	b = appendTextOmitEmpty(b, "t:EmailAddress", a.EmailAddress)
	b = appendTextOmitEmpty(b, "t:RoutingType", a.RoutingType)
	b = appendTextOmitEmpty(b, "t:MailboxType", a.MailboxType)
	b = appendPtr(b, "t:ItemId", a.ItemId)
	return appendEnd(b, name)
}

func (r *SingleRecipient) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = r.Mailbox.appendXMLElement(b, "t:Mailbox")
	return appendEnd(b, name)
}

func (r *Recipients) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range r.Mailboxes {
		b = r.Mailboxes[i].appendXMLElement(b, "t:Mailbox")
	}
	return appendEnd(b, name)
}

func (a *Attendees) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range a.Attendees {
		at := &a.Attendees[i]
		b = appendStart(b, "t:Attendee")
		b = at.Mailbox.appendXMLElement(b, "t:Mailbox")
		b = appendTextOmitEmpty(b, "t:ResponseType", at.ResponseType)
		b = at.LastResponseTime.appendXMLElement(b, "t:LastResponseTime")
		b = appendEnd(b, "t:Attendee")
	}
	return appendEnd(b, name)
}

func (body *Body) appendXMLElement(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "BodyType", body.BodyType)
	if body.IsTruncated != nil {
		b = appendAttr(b, "IsTruncated", strconv.FormatBool(*body.IsTruncated))
	}
	b = append(b, '>')
	b = appendEscaped(b, body.Value)
	return appendEnd(b, name)
}

func (s *Strings) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for _, v := range s.Strings {
		b = appendText(b, "t:String", v)
	}
	return appendEnd(b, name)
}

func (h *InternetMessageHeaders) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range h.Headers {
		x := &h.Headers[i]
		b = append(b, "<t:InternetMessageHeader"...)
		b = appendAttr(b, "HeaderName", x.HeaderName)
		b = append(b, '>')
		b = appendEscaped(b, x.Value)
		b = appendEnd(b, "t:InternetMessageHeader")
	}
	return appendEnd(b, name)
}

func (a *Attachments) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range a.Attachments {
		b = a.Attachments[i].appendXMLElement(b, "Attachments")
	}
	return appendEnd(b, name)
}

func (a *Attachment) appendXMLElement(b []byte, name string) []byte {
	if a.XMLName.Local != "" {
		name = a.XMLName.Local
	}
	b = appendStartTag(b, name, a.XMLName.Space)
	b = append(b, '>')
	b = appendPtr(b, "t:AttachmentId", a.AttachmentId)
	b = appendTextOmitEmpty(b, "t:Name", a.Name)
	b = appendTextOmitEmpty(b, "t:ContentType", a.ContentType)
	b = appendTextOmitEmpty(b, "t:ContentId", a.ContentId)
	b = appendTextOmitEmpty(b, "t:ContentLocation", a.ContentLocation)
	b = appendTextOmitEmpty(b, "t:AttachmentOriginalUrl", a.AttachmentOriginalUrl)
	b = appendIntOmitEmpty(b, "t:Size", a.Size)
	b = a.LastModifiedTime.appendXMLElement(b, "t:LastModifiedTime")
	b = appendBoolPtr(b, "t:IsInline", a.IsInline)
	b = appendBoolPtr(b, "t:IsContactPhoto", a.IsContactPhoto)
	b = appendTextOmitEmpty(b, "t:Content", a.Content)
	if a.Item != nil {
		b = a.Item.appendXMLElement(b, "Item")
	}
	return appendEnd(b, name)
}

func (id *AttachmentId) appendXMLElement(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttr(b, "Id", id.Id)
	b = appendAttrOmitEmpty(b, "RootItemId", id.RootItemId)
	b = appendAttrOmitEmpty(b, "RootItemChangeKey", id.RootItemChangeKey)
	b = append(b, '>')
	return appendEnd(b, name)
}

func (e *EmailAddresses) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range e.Entries {
		x := &e.Entries[i]
		b = append(b, "<t:Entry"...)
		b = appendAttr(b, "Key", x.Key)
		b = appendAttrOmitEmpty(b, "Name", x.Name)
		b = appendAttrOmitEmpty(b, "RoutingType", x.RoutingType)
		b = appendAttrOmitEmpty(b, "MailboxType", x.MailboxType)
		b = append(b, '>')
		b = appendEscaped(b, x.Value)
		b = appendEnd(b, "t:Entry")
	}
	return appendEnd(b, name)
}

func (p *PhoneNumbers) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range p.Entries {
		b = appendKeyedText(b, p.Entries[i].Key, p.Entries[i].Value)
	}
	return appendEnd(b, name)
}

func (p *ImAddresses) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range p.Entries {
		b = appendKeyedText(b, p.Entries[i].Key, p.Entries[i].Value)
	}
	return appendEnd(b, name)
}

// appendKeyedText appends <t:Entry Key="key">value</t:Entry>.
func appendKeyedText(b []byte, key, value string) []byte {
	b = append(b, "<t:Entry"...)
	b = appendAttr(b, "Key", key)
	b = append(b, '>')
	b = appendEscaped(b, value)
	return appendEnd(b, "t:Entry")
}

func (p *PhysicalAddresses) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range p.Entries {
		x := &p.Entries[i]
		b = append(b, "<t:Entry"...)
		b = appendAttr(b, "Key", x.Key)
		b = append(b, '>')
		b = appendTextOmitEmpty(b, "t:Street", x.Street)
		b = appendTextOmitEmpty(b, "t:City", x.City)
		b = appendTextOmitEmpty(b, "t:State", x.State)
		b = appendTextOmitEmpty(b, "t:CountryOrRegion", x.CountryOrRegion)
		b = appendTextOmitEmpty(b, "t:PostalCode", x.PostalCode)
		b = appendEnd(b, "t:Entry")
	}
	return appendEnd(b, name)
}

func (x *ExtendedProperty) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = x.ExtendedFieldURI.appendXMLElement(b, "t:ExtendedFieldURI")
	b = appendTextOmitEmpty(b, "t:Value", x.Value)
	if x.Values != nil {
		b = appendStart(b, "t:Values")
		for _, v := range x.Values.Values {
			b = appendText(b, "t:Value", v)
		}
		b = appendEnd(b, "t:Values")
	}
	return appendEnd(b, name)
}

// appendXMLElement writes the path in the element its XMLName names, name when unset.
func (p *PropertyPath) appendXMLElement(b []byte, name string) []byte {
	if p.XMLName.Local != "" {
		name = p.XMLName.Local
	}
	b = appendStartTag(b, name, p.XMLName.Space)
	b = appendAttrOmitEmpty(b, "FieldURI", p.FieldURI)
	b = appendAttrOmitEmpty(b, "FieldIndex", p.FieldIndex)
	b = appendAttrOmitEmpty(b, "DistinguishedPropertySetId", p.DistinguishedPropertySetId)
	b = appendAttrOmitEmpty(b, "PropertySetId", p.PropertySetId)
	b = appendAttrOmitEmpty(b, "PropertyTag", p.PropertyTag)
	b = appendAttrOmitEmpty(b, "PropertyName", p.PropertyName)
	b = appendAttrOmitEmpty(b, "PropertyId", p.PropertyId)
	b = appendAttrOmitEmpty(b, "PropertyType", p.PropertyType)
	b = append(b, '>')
	return appendEnd(b, name)
}

func (z *TimeZoneDefinition) appendXMLElement(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttrOmitEmpty(b, "Id", z.Id)
	b = appendAttrOmitEmpty(b, "Name", z.Name)
	b = append(b, '>')
	return appendEnd(b, name)
}

func (r *Recurrence) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = appendPtr(b, "t:RelativeYearlyRecurrence", r.RelativeYearly)
	b = appendPtr(b, "t:AbsoluteYearlyRecurrence", r.AbsoluteYearly)
	b = appendPtr(b, "t:RelativeMonthlyRecurrence", r.RelativeMonthly)
	b = appendPtr(b, "t:AbsoluteMonthlyRecurrence", r.AbsoluteMonthly)
	b = appendPtr(b, "t:WeeklyRecurrence", r.Weekly)
	b = appendPtr(b, "t:DailyRecurrence", r.Daily)
	b = appendPtr(b, "t:NoEndRecurrence", r.NoEnd)
	b = appendPtr(b, "t:EndDateRecurrence", r.EndDate)
	b = appendPtr(b, "t:NumberedRecurrence", r.Numbered)
	return appendEnd(b, name)
}

func (p *RecurrencePattern) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = appendIntOmitEmpty(b, "t:Interval", p.Interval)
	b = appendTextOmitEmpty(b, "t:DaysOfWeek", p.DaysOfWeek)
	b = appendTextOmitEmpty(b, "t:FirstDayOfWeek", p.FirstDayOfWeek)
	b = appendTextOmitEmpty(b, "t:DayOfWeekIndex", p.DayOfWeekIndex)
	b = appendIntOmitEmpty(b, "t:DayOfMonth", p.DayOfMonth)
	b = appendTextOmitEmpty(b, "t:Month", p.Month)
	return appendEnd(b, name)
}

func (r *RecurrenceRange) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = appendText(b, "t:StartDate", r.StartDate)
	b = appendTextOmitEmpty(b, "t:EndDate", r.EndDate)
	b = appendIntOmitEmpty(b, "t:NumberOfOccurrences", r.NumberOfOccurrences)
	return appendEnd(b, name)
}

func (o *OccurrenceInfo) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	b = o.ItemId.appendXMLElement(b, "t:ItemId")
	b = o.Start.appendXMLElement(b, "t:Start")
	b = o.End.appendXMLElement(b, "t:End")
	b = o.OriginalStart.appendXMLElement(b, "t:OriginalStart")
	return appendEnd(b, name)
}

func (o *Occurrences) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range o.Occurrences {
		b = o.Occurrences[i].appendXMLElement(b, "t:Occurrence")
	}
	return appendEnd(b, name)
}

func (o *DeletedOccurrences) appendXMLElement(b []byte, name string) []byte {
	b = appendStart(b, name)
	for i := range o.Occurrences {
		b = appendStart(b, "t:DeletedOccurrence")
		b = o.Occurrences[i].Start.appendXMLElement(b, "t:Start")
		b = appendEnd(b, "t:DeletedOccurrence")
	}
	return appendEnd(b, name)
}

func (m *MimeContent) appendXMLElement(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = appendAttrOmitEmpty(b, "CharacterSet", m.CharacterSet)
	b = append(b, '>')
	b = appendEscaped(b, m.Value)
	return appendEnd(b, name)
}

// encodeResponseFast is EncodeResponse for a body that writes its own XML: the envelope
// is built in one slice — in w's own memory when w is a *bytes.Buffer with room — and
// written at once.
func encodeResponseFast(w io.Writer, v *ServerVersionInfo, name string, body xmlContentAppender) error {
	var b []byte
	buf, _ := w.(*bytes.Buffer)
	if buf != nil {
		b = buf.AvailableBuffer()
	}
	b = appendResponseStart(b, v)
	b = append(b, "<m:"...)
	b = append(b, name...)
	b = append(b, ` xmlns:m="`+NSMessages+`" xmlns:t="`+NSTypes+`">`...)
	b = body.appendXMLContent(b)
	b = append(b, "</m:"...)
	b = append(b, name...)
	b = append(b, `></s:Body></s:Envelope>`...)
	_, err := w.Write(b)
	return err
}

// appendResponseStart appends a response envelope up to the opening of its Body: the XML
// declaration, and ServerVersionInfo in the header when v is not nil.
func appendResponseStart(b []byte, v *ServerVersionInfo) []byte {
	b = append(b, xmlDecl...)
	b = append(b, `<s:Envelope xmlns:s="`+NSSoap+`">`...)
	if v != nil {
		b = append(b, `<s:Header><h:ServerVersionInfo MajorVersion="`...)
		b = strconv.AppendInt(b, int64(v.MajorVersion), 10)
		b = append(b, `" MinorVersion="`...)
		b = strconv.AppendInt(b, int64(v.MinorVersion), 10)
		b = append(b, `" MajorBuildNumber="`...)
		b = strconv.AppendInt(b, int64(v.MajorBuildNumber), 10)
		b = append(b, `" MinorBuildNumber="`...)
		b = strconv.AppendInt(b, int64(v.MinorBuildNumber), 10)
		b = append(b, `" Version="`...)
		b = appendEscaped(b, v.Version)
		b = append(b, `" xmlns:h="`+NSTypes+`" xmlns="`+NSTypes+`" xmlns:xsd="`+NSXSD+`" xmlns:xsi="`+NSXSI+`"/></s:Header>`...)
	}
	return append(b, `<s:Body xmlns:xsi="`+NSXSI+`" xmlns:xsd="`+NSXSD+`">`...)
}
