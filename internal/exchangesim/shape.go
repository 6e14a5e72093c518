package exchangesim

import (
	"encoding/base64"
	"html"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Item shapes, as Exchange applies them (GetItem, FindItem, SyncFolderItems):
//
//   - IdOnly: the ItemId.
//   - Default: a small set per kind (MS docs, "Property sets and response shapes in EWS",
//     table 3, and the GetItem (email message) example): for messages ItemId, Subject,
//     Sensitivity, Body, Attachments, Size, DateTimeSent, DateTimeCreated, HasAttachments,
//     IsAssociated, ToRecipients, IsReadReceiptRequested, IsDeliveryReceiptRequested, From
//     and IsRead; for calendar items ItemId, Subject, HasAttachments, IsAssociated, Start,
//     End, LegacyFreeBusyStatus, Location, CalendarItemType and Organizer; for contacts
//     ItemId, HasAttachments, FileAs, CompanyName, JobTitle and the address and phone
//     dictionaries.
//   - AllProperties: every modelled property except those that must be asked for by name
//     (MimeContent, UniqueBody, extended properties).
//
// AdditionalProperties add properties by t:FieldURI, t:IndexedFieldURI (one dictionary
// entry) or t:ExtendedFieldURI (an extended property the item has). A FieldURI the schema
// knows but the item's kind lacks, or the simulator does not model, is left out, as
// Exchange leaves out properties an item does not have; one the schema does not know is
// an ErrorSchemaValidation fault.
//
// FindItem returns less (see its reference page): no body, attachments, recipient or
// attendee lists, MIME content or headers, and only the Name of From, Sender and
// Organizer; naming one of the excluded properties in AdditionalProperties gives
// ErrorInvalidPropertyForOperation.
//
// BodyType converts the body (Best keeps the stored format; HTML and Text convert between
// them); MaximumBodySize cuts the body to that many characters and sets IsTruncated.
// IncludeMimeContent (or item:MimeContent) gives the MIME content the item was created
// with, or one made from its properties, as Exchange converts items to MIME on request.
//
// Shaping copies fields, not memory: a shaped item shares what its properties point to
// with the item it was shaped from, and the operations shape freshly rendered items.

// itemShaper is a compiled ItemShape: it shapes many items without looking anything up.
type itemShaper struct {
	base     string // ews.ShapeIdOnly, ews.ShapeDefault or ews.ShapeAllProperties
	find     bool   // FindItem's reduced property set
	bodyType string // "", "Best", "HTML" or "Text"
	maxBody  int
	mime     bool
	idOnly   bool // nothing but the ItemId: no need to materialize items
	props    []propCopy
}

// propCopy copies one property from a full item to a shaped one. It must not modify what
// src points to: shaped items share memory with the item they were shaped from.
type propCopy func(dst, src *ews.Item)

// shapeItem returns it in the given shape. it must have all its properties (as the
// mailbox renders it); the result shares memory with it. Invalid parts of the shape are
// ignored here: operations validate shapes with compileItemShape first.
func shapeItem(it ews.Item, shape ews.ItemShape) ews.Item {
	sh, _ := compileItemShape(shape, false)
	if sh == nil {
		sh = &itemShaper{base: ews.ShapeIdOnly, idOnly: true}
	}
	return sh.apply(&it)
}

// compileItemShape checks an ItemShape and prepares it. A value the schema does not allow
// (a BaseShape, BodyType or FieldURI) is a *ews.SchemaError, which the handler answers with
// an ErrorSchemaValidation fault; a property FindItem cannot return (find) is a
// *ews.ResponseError, ErrorInvalidPropertyForOperation.
func compileItemShape(shape ews.ItemShape, find bool) (*itemShaper, error) {
	sh := &itemShaper{base: shape.BaseShape, find: find, bodyType: shape.BodyType, maxBody: shape.MaximumBodySize}
	switch shape.BaseShape {
	case ews.ShapeIdOnly, ews.ShapeDefault, ews.ShapeAllProperties:
	default:
		return nil, enumViolation("BaseShape", shape.BaseShape, "DefaultShapeNamesType")
	}
	switch shape.BodyType {
	case "", "Best", "HTML", "Text":
	default:
		return nil, enumViolation("BodyType", shape.BodyType, "BodyTypeResponseType")
	}
	if shape.MaximumBodySize < 0 {
		return nil, &ews.SchemaError{Violation: "The 'MaximumBodySize' element is invalid - The value '" +
			strconv.Itoa(shape.MaximumBodySize) + "' is invalid according to its datatype 'http://www.w3.org/2001/XMLSchema:int'."}
	}
	if shape.IncludeMimeContent != nil && *shape.IncludeMimeContent {
		if find {
			return nil, errPropertyForOperation("item:MimeContent")
		}
		sh.mime = true
	}
	if shape.AdditionalProperties != nil {
		for _, p := range shape.AdditionalProperties.Paths {
			c, err := compilePath(p, find)
			if err != nil {
				return nil, err
			}
			if c != nil {
				sh.props = append(sh.props, c)
			}
		}
	}
	sh.idOnly = sh.base == ews.ShapeIdOnly && len(sh.props) == 0 && !sh.mime
	return sh, nil
}

// compilePath returns the copier of one AdditionalProperties path, nil for a valid path
// the simulator has no data for.
func compilePath(p ews.PropertyPath, find bool) (propCopy, error) {
	switch p.XMLName.Local {
	case "t:FieldURI":
		if !validFieldURI(p.FieldURI) {
			return nil, enumViolation("FieldURI", p.FieldURI, "UnindexedFieldURIType")
		}
		if find && findExcluded[p.FieldURI] {
			return nil, errPropertyForOperation(p.FieldURI)
		}
		c := shapeFields[p.FieldURI]
		if find && c != nil && nameOnlyInFind[p.FieldURI] {
			return func(d, s *ews.Item) { c(d, s); nameOnly(d) }, nil
		}
		return c, nil
	case "t:IndexedFieldURI":
		if !validDictionaryURI(p.FieldURI) {
			return nil, enumViolation("FieldURI", p.FieldURI, "DictionaryURIType")
		}
		if find && p.FieldURI == "item:InternetMessageHeader" {
			return nil, errPropertyForOperation(p.FieldURI)
		}
		return indexedField(p.FieldURI, p.FieldIndex), nil
	case "t:ExtendedFieldURI":
		want := p
		return func(d, s *ews.Item) {
			for _, e := range s.ExtendedProperties {
				if sameExtendedProperty(e.ExtendedFieldURI, want) {
					d.ExtendedProperties = append(d.ExtendedProperties[:len(d.ExtendedProperties):len(d.ExtendedProperties)], e)
					return
				}
			}
		}, nil
	}
	return nil, &ews.SchemaError{Violation: "The element '" + p.XMLName.Local + "' is not a valid property path."}
}

func enumViolation(element, value, typ string) error {
	return &ews.SchemaError{Violation: "The '" + element + "' element is invalid - The value '" + value +
		"' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:" +
		typ + "' - The Enumeration constraint failed."}
}

func errPropertyForOperation(uri string) error {
	return &ews.ResponseError{Code: "ErrorInvalidPropertyForOperation",
		Message: "The property " + uri + " can't be used in FindItem requests."}
}

// apply shapes one full item.
func (sh *itemShaper) apply(src *ews.Item) ews.Item {
	var out ews.Item
	sh.applyTo(&out, src)
	return out
}

// applyTo sets *out to the shape of the full item src; out and src must be different
// items. Where out already lives (an element of a response's slice), this saves apply's
// copy of the result: Item is large, and apply's result escapes to the heap.
func (sh *itemShaper) applyTo(out, src *ews.Item) {
	switch sh.base {
	case ews.ShapeAllProperties:
		*out = *src
		out.MimeContent, out.UniqueBody, out.ExtendedProperties = nil, nil, nil
	case ews.ShapeDefault:
		*out = ews.Item{XMLName: src.XMLName}
		defaultProperties(out, src, sh.find)
	default:
		*out = ews.Item{XMLName: src.XMLName, ItemId: src.ItemId}
	}
	if sh.find && sh.base != ews.ShapeIdOnly {
		stripForFind(out)
	}
	for _, p := range sh.props {
		p(out, src)
	}
	if sh.mime {
		out.MimeContent = mimeOf(src)
	}
	if out.Body != nil {
		out.Body = sh.body(out.Body)
	}
	if out.UniqueBody != nil {
		out.UniqueBody = sh.body(out.UniqueBody)
	}
}

// idOnlyItem is the IdOnly shape of an item known only by kind and id.
func idOnlyItem(kind string, id ews.ItemId) ews.Item {
	return ews.Item{XMLName: xmlName(kind), ItemId: &id}
}

// defaultProperties copies the Default shape of src's kind.
func defaultProperties(d, s *ews.Item, find bool) {
	d.ItemId = s.ItemId
	switch s.Kind() {
	case ews.KindCalendarItem:
		d.Subject, d.HasAttachments, d.IsAssociated = s.Subject, s.HasAttachments, s.IsAssociated
		d.Start, d.End, d.LegacyFreeBusyStatus, d.Location = s.Start, s.End, s.LegacyFreeBusyStatus, s.Location
		d.CalendarItemType, d.Organizer = s.CalendarItemType, s.Organizer
	case ews.KindContact:
		d.HasAttachments, d.FileAs, d.CompanyName, d.JobTitle = s.HasAttachments, s.FileAs, s.CompanyName, s.JobTitle
		d.EmailAddresses, d.ImAddresses, d.PhoneNumbers, d.PhysicalAddresses = s.EmailAddresses, s.ImAddresses, s.PhoneNumbers, s.PhysicalAddresses
	case ews.KindDistributionList:
		d.Subject, d.HasAttachments, d.DisplayName, d.FileAs = s.Subject, s.HasAttachments, s.DisplayName, s.FileAs
	case ews.KindTask:
		d.Subject, d.HasAttachments = s.Subject, s.HasAttachments
	default: // messages, meeting messages, posts
		d.Subject, d.Sensitivity, d.Size = s.Subject, s.Sensitivity, s.Size
		d.DateTimeSent, d.DateTimeCreated, d.HasAttachments, d.IsAssociated = s.DateTimeSent, s.DateTimeCreated, s.HasAttachments, s.IsAssociated
		d.IsReadReceiptRequested, d.IsDeliveryReceiptRequested = s.IsReadReceiptRequested, s.IsDeliveryReceiptRequested
		d.From, d.IsRead = s.From, s.IsRead
		if !find {
			d.Body, d.ToRecipients = s.Body, s.ToRecipients
			if s.Attachments != nil && len(s.Attachments.Attachments) > 0 {
				d.Attachments = s.Attachments
			}
		}
	}
}

// findExcluded are the properties FindItem does not return (MS docs: "It does not return
// any of the message body formats or the recipient lists"; the EWS Managed API marks the
// same ones as not usable in FindItem).
var findExcluded = fieldURISetOf(`item:Body item:UniqueBody item:TextBody item:NormalizedBody
	item:MimeContent item:MimeContentUTF8 item:Attachments item:InternetMessageHeaders
	item:ResponseObjects message:ToRecipients message:CcRecipients message:BccRecipients
	message:ReplyTo calendar:RequiredAttendees calendar:OptionalAttendees calendar:Resources
	calendar:ConflictingMeetings calendar:AdjacentMeetings calendar:Recurrence
	calendar:FirstOccurrence calendar:LastOccurrence calendar:ModifiedOccurrences
	calendar:DeletedOccurrences distributionlist:Members contacts:ManagerMailbox
	contacts:DirectReports`)

// nameOnlyInFind are the mailbox properties FindItem returns with the Name only.
var nameOnlyInFind = fieldURISetOf(`message:From message:Sender calendar:Organizer
	message:ReceivedBy message:ReceivedRepresenting`)

// stripForFind removes what FindItem does not return from a Default or AllProperties item.
func stripForFind(d *ews.Item) {
	d.Body, d.UniqueBody, d.MimeContent, d.Attachments, d.InternetMessageHeaders = nil, nil, nil, nil, nil
	d.ToRecipients, d.CcRecipients, d.BccRecipients, d.ReplyTo = nil, nil, nil, nil
	d.RequiredAttendees, d.OptionalAttendees, d.Resources = nil, nil, nil
	d.Recurrence, d.FirstOccurrence, d.LastOccurrence, d.ModifiedOccurrences, d.DeletedOccurrences = nil, nil, nil, nil, nil
	d.ManagerMailbox, d.DirectReports = nil, nil
	nameOnly(d)
}

// nameOnly reduces From, Sender, Organizer, ReceivedBy and ReceivedRepresenting to their
// display names.
func nameOnly(d *ews.Item) {
	for _, p := range []**ews.SingleRecipient{&d.From, &d.Sender, &d.Organizer, &d.ReceivedBy, &d.ReceivedRepresenting} {
		if *p != nil {
			*p = &ews.SingleRecipient{Mailbox: ews.EmailAddress{Name: (*p).Mailbox.Name}}
		}
	}
}

// body returns b converted to the requested body type and cut to the maximum size.
func (sh *itemShaper) body(b *ews.Body) *ews.Body {
	want := sh.bodyType
	if want == "" || want == "Best" || strings.EqualFold(want, b.BodyType) {
		if sh.maxBody == 0 {
			return b
		}
		want = b.BodyType
	}
	out := &ews.Body{BodyType: want, Value: b.Value}
	switch {
	case want == "Text" && strings.EqualFold(b.BodyType, "HTML"):
		out.Value = htmlToText(b.Value)
	case want == "HTML" && strings.EqualFold(b.BodyType, "Text"):
		out.Value = textToHTML(b.Value)
	}
	if sh.maxBody > 0 {
		cut := false
		out.Value, cut = truncateChars(out.Value, sh.maxBody)
		out.IsTruncated = ews.Bool(cut)
	}
	return out
}

// truncateChars cuts s to at most n characters.
func truncateChars(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i], i < len(s)
}

// htmlBreaks are the elements that break lines when converting HTML to text: 1 ends a
// line, 2 a paragraph (an empty line follows).
var htmlBreaks = map[string]int{
	"br": 1, "li": 1, "tr": 1, "title": 1, "hr": 1,
	"p": 2, "div": 1, "table": 2, "h1": 2, "h2": 2, "h3": 2, "h4": 2, "h5": 2, "h6": 2,
	"blockquote": 2, "pre": 2, "ul": 2, "ol": 2,
}

// htmlToText renders an HTML body as plain text, as Exchange's body conversion does: tags
// dropped, entities decoded, whitespace collapsed, CRLF line breaks for block elements
// (an empty line between paragraphs), and nothing of the head, styles or scripts.
func htmlToText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	skip := ""     // the element whose content is dropped (head, style, script)
	space := false // whitespace is pending within a line
	breaks := 0    // line breaks pending before the next text
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		text := s
		if lt >= 0 {
			text = s[:lt]
		}
		if skip == "" && text != "" {
			if strings.IndexByte(text, '&') >= 0 {
				text = html.UnescapeString(text)
			}
			for _, r := range text {
				switch r {
				case ' ', '\t', '\r', '\n', '\f', '\u00a0':
					space = true
					continue
				}
				switch {
				case breaks > 0 && b.Len() > 0:
					for range breaks {
						b.WriteString("\r\n")
					}
				case space && breaks == 0 && b.Len() > 0:
					b.WriteByte(' ')
				}
				b.WriteRune(r)
				space, breaks = false, 0
			}
		}
		if lt < 0 {
			break
		}
		s = s[lt:]
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			break
		}
		tag := s[1:gt]
		s = s[gt+1:]
		closing := strings.HasPrefix(tag, "/")
		name := strings.TrimPrefix(tag, "/")
		if i := strings.IndexAny(name, " \t\r\n/"); i >= 0 {
			name = name[:i]
		}
		name = strings.ToLower(name)
		switch {
		case skip != "":
			if closing && name == skip {
				skip = ""
			}
		case !closing && (name == "head" || name == "style" || name == "script"):
			skip = name
		default:
			breaks = max(breaks, htmlBreaks[name])
		}
	}
	return b.String()
}

// textToHTML wraps a plain-text body in the HTML document Exchange makes of it.
func textToHTML(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 160)
	b.WriteString("<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n<div>")
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if i > 0 {
			b.WriteString("<br>\r\n")
		}
		b.WriteString(html.EscapeString(l))
	}
	b.WriteString("</div>\r\n</body>\r\n</html>\r\n")
	return b.String()
}

// mimeOf returns an item's MIME content: what it was created with, or else what Exchange
// would make of it — an Internet message for messages and posts, an iCalendar object for
// calendar items, a vCard for contacts. Base64, as MimeContent carries it.
func mimeOf(it *ews.Item) *ews.MimeContent {
	if it.MimeContent != nil {
		return it.MimeContent
	}
	var raw string
	switch it.Kind() {
	case ews.KindCalendarItem:
		raw = calendarMIME(it)
	case ews.KindContact:
		raw = contactMIME(it)
	default:
		raw = messageMIME(it)
	}
	return &ews.MimeContent{CharacterSet: "UTF-8", Value: base64.StdEncoding.EncodeToString([]byte(raw))}
}

// messageMIME writes an item as an Internet message (RFC 5322, MIME), headers in the
// order Exchange writes them; file attachments with content become parts of a
// multipart/mixed message.
func messageMIME(it *ews.Item) string {
	var b strings.Builder
	header := func(name, value string) {
		if value != "" {
			b.WriteString(name + ": " + value + "\r\n")
		}
	}
	header("From", mimeMailbox(it.From))
	header("Sender", mimeMailboxIf(it.Sender, it.From))
	header("To", mimeList(it.ToRecipients))
	header("CC", mimeList(it.CcRecipients))
	header("Subject", mime.QEncoding.Encode("utf-8", it.Subject))
	header("Thread-Topic", mime.QEncoding.Encode("utf-8", it.ConversationTopic))
	header("Thread-Index", it.ConversationIndex)
	date := it.DateTimeSent
	if date.IsZero() {
		date = it.DateTimeCreated
	}
	if !date.IsZero() {
		header("Date", date.UTC().Format(time.RFC1123Z))
	}
	header("Message-ID", it.InternetMessageId)
	header("In-Reply-To", it.InReplyTo)
	header("References", it.References)
	header("Importance", it.Importance)
	if it.Culture != "" {
		header("Content-Language", it.Culture)
	}
	var files []ews.Attachment
	if it.Attachments != nil {
		for _, a := range it.Attachments.Attachments {
			if a.Kind() == ews.KindFileAttachment && a.Content != "" {
				files = append(files, a)
			}
		}
	}
	body, ctype := "", "text/plain"
	if it.Body != nil {
		body = it.Body.Value
		if strings.EqualFold(it.Body.BodyType, "HTML") {
			ctype = "text/html"
		}
	}
	const boundary = "_000_mailbridge_simulator_"
	if len(files) > 0 {
		header("Content-Type", "multipart/mixed; boundary=\""+boundary+"\"")
		b.WriteString("MIME-Version: 1.0\r\n\r\n--" + boundary + "\r\n")
	}
	b.WriteString("Content-Type: " + ctype + "; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n")
	if len(files) == 0 {
		b.WriteString("MIME-Version: 1.0\r\n")
	}
	b.WriteString("\r\n")
	writeBase64Lines(&b, []byte(body))
	for _, a := range files {
		b.WriteString("\r\n--" + boundary + "\r\n")
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		b.WriteString("Content-Type: " + ct + "; name=\"" + mime.QEncoding.Encode("utf-8", a.Name) + "\"\r\n")
		b.WriteString("Content-Disposition: attachment; filename=\"" + mime.QEncoding.Encode("utf-8", a.Name) + "\"\r\n")
		b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
		content, err := base64.StdEncoding.DecodeString(a.Content)
		if err != nil {
			content = []byte(a.Content)
		}
		writeBase64Lines(&b, content)
	}
	if len(files) > 0 {
		b.WriteString("\r\n--" + boundary + "--\r\n")
	}
	return b.String()
}

func mimeMailbox(r *ews.SingleRecipient) string {
	if r == nil || r.Mailbox.EmailAddress == "" {
		return ""
	}
	return (&mail.Address{Name: r.Mailbox.Name, Address: r.Mailbox.EmailAddress}).String()
}

// mimeMailboxIf is the Sender header: only when it differs from From.
func mimeMailboxIf(sender, from *ews.SingleRecipient) string {
	if sender == nil || from != nil && strings.EqualFold(sender.Mailbox.EmailAddress, from.Mailbox.EmailAddress) {
		return ""
	}
	return mimeMailbox(sender)
}

func mimeList(rs *ews.Recipients) string {
	if rs == nil {
		return ""
	}
	out := make([]string, 0, len(rs.Mailboxes))
	for _, m := range rs.Mailboxes {
		if m.EmailAddress != "" {
			out = append(out, (&mail.Address{Name: m.Name, Address: m.EmailAddress}).String())
		}
	}
	return strings.Join(out, ", ")
}

// writeBase64Lines writes data in base64, in lines of 76 characters.
func writeBase64Lines(b *strings.Builder, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
}

// calendarMIME writes a calendar item as an iCalendar object with one VEVENT.
func calendarMIME(it *ews.Item) string {
	var b strings.Builder
	line := func(name, value string) {
		if value != "" {
			b.WriteString(name + ":" + value + "\r\n")
		}
	}
	stamp := func(d ews.DateTime) string {
		if d.IsZero() {
			return ""
		}
		return d.UTC().Format("20060102T150405Z")
	}
	b.WriteString("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n")
	if it.Organizer != nil && it.Organizer.Mailbox.EmailAddress != "" {
		line("ORGANIZER;CN="+icalText(it.Organizer.Mailbox.Name), "mailto:"+it.Organizer.Mailbox.EmailAddress)
	}
	if it.RequiredAttendees != nil {
		for _, a := range it.RequiredAttendees.Attendees {
			line("ATTENDEE;ROLE=REQ-PARTICIPANT;CN="+icalText(a.Mailbox.Name), "mailto:"+a.Mailbox.EmailAddress)
		}
	}
	if it.Body != nil {
		text := it.Body.Value
		if strings.EqualFold(it.Body.BodyType, "HTML") {
			text = htmlToText(text)
		}
		line("DESCRIPTION", icalText(text))
	}
	line("UID", it.UID)
	line("SUMMARY", icalText(it.Subject))
	if it.IsAllDayEvent != nil && *it.IsAllDayEvent {
		line("DTSTART;VALUE=DATE", it.Start.UTC().Format("20060102"))
		line("DTEND;VALUE=DATE", it.End.UTC().Format("20060102"))
	} else {
		line("DTSTART", stamp(it.Start))
		line("DTEND", stamp(it.End))
	}
	line("CLASS", "PUBLIC")
	line("PRIORITY", "5")
	line("DTSTAMP", stamp(it.DateTimeStamp))
	transp := "OPAQUE"
	if it.LegacyFreeBusyStatus == "Free" {
		transp = "TRANSPARENT"
	}
	line("TRANSP", transp)
	line("STATUS", "CONFIRMED")
	line("LOCATION", icalText(it.Location))
	line("X-MICROSOFT-CDO-BUSYSTATUS", strings.ToUpper(it.LegacyFreeBusyStatus))
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	return b.String()
}

// icalText escapes an iCalendar (and vCard) text value.
func icalText(s string) string {
	return strings.NewReplacer("\\", "\\\\", ";", "\\;", ",", "\\,", "\r\n", "\\n", "\n", "\\n").Replace(s)
}

// contactMIME writes a contact as a vCard 3.0.
func contactMIME(it *ews.Item) string {
	var b strings.Builder
	line := func(name, value string) {
		if value != "" {
			b.WriteString(name + ":" + value + "\r\n")
		}
	}
	b.WriteString("BEGIN:VCARD\r\nVERSION:3.0\r\n")
	line("N", icalText(it.Surname)+";"+icalText(it.GivenName)+";"+icalText(it.MiddleName)+";;")
	line("FN", icalText(it.DisplayName))
	line("ORG", icalText(it.CompanyName))
	line("TITLE", icalText(it.JobTitle))
	if it.EmailAddresses != nil {
		for _, e := range it.EmailAddresses.Entries {
			line("EMAIL;TYPE=INTERNET", e.Value)
		}
	}
	if it.PhoneNumbers != nil {
		for _, p := range it.PhoneNumbers.Entries {
			typ := "VOICE"
			switch p.Key {
			case "BusinessPhone":
				typ = "WORK"
			case "MobilePhone":
				typ = "CELL"
			case "HomePhone":
				typ = "HOME"
			}
			line("TEL;TYPE="+typ, p.Value)
		}
	}
	line("NOTE", icalText(it.Notes))
	b.WriteString("END:VCARD\r\n")
	return b.String()
}

// sameExtendedProperty reports whether two extended field paths name the same property.
func sameExtendedProperty(a, b ews.PropertyPath) bool {
	return strings.EqualFold(a.PropertyTag, b.PropertyTag) && strings.EqualFold(a.PropertySetId, b.PropertySetId) &&
		a.DistinguishedPropertySetId == b.DistinguishedPropertySetId && a.PropertyName == b.PropertyName &&
		a.PropertyId == b.PropertyId && a.PropertyType == b.PropertyType
}

// indexedField returns the copier of one dictionary entry.
func indexedField(uri, index string) propCopy {
	switch uri {
	case "contacts:EmailAddress":
		return func(d, s *ews.Item) {
			if s.EmailAddresses == nil || d.EmailAddresses == s.EmailAddresses {
				return
			}
			for _, e := range s.EmailAddresses.Entries {
				if e.Key == index {
					if d.EmailAddresses == nil {
						d.EmailAddresses = &ews.EmailAddresses{}
					}
					d.EmailAddresses.Entries = append(d.EmailAddresses.Entries, e)
				}
			}
		}
	case "contacts:PhoneNumber":
		return func(d, s *ews.Item) {
			if s.PhoneNumbers == nil || d.PhoneNumbers == s.PhoneNumbers {
				return
			}
			for _, e := range s.PhoneNumbers.Entries {
				if e.Key == index {
					if d.PhoneNumbers == nil {
						d.PhoneNumbers = &ews.PhoneNumbers{}
					}
					d.PhoneNumbers.Entries = append(d.PhoneNumbers.Entries, e)
				}
			}
		}
	case "contacts:ImAddress":
		return func(d, s *ews.Item) {
			if s.ImAddresses == nil || d.ImAddresses == s.ImAddresses {
				return
			}
			for _, e := range s.ImAddresses.Entries {
				if e.Key == index {
					if d.ImAddresses == nil {
						d.ImAddresses = &ews.ImAddresses{}
					}
					d.ImAddresses.Entries = append(d.ImAddresses.Entries, e)
				}
			}
		}
	case "item:InternetMessageHeader":
		return func(d, s *ews.Item) {
			if s.InternetMessageHeaders == nil || d.InternetMessageHeaders == s.InternetMessageHeaders {
				return
			}
			for _, h := range s.InternetMessageHeaders.Headers {
				if strings.EqualFold(h.HeaderName, index) {
					if d.InternetMessageHeaders == nil {
						d.InternetMessageHeaders = &ews.InternetMessageHeaders{}
					}
					d.InternetMessageHeaders.Headers = append(d.InternetMessageHeaders.Headers, h)
				}
			}
		}
	}
	if part, ok := strings.CutPrefix(uri, "contacts:PhysicalAddress:"); ok {
		return func(d, s *ews.Item) {
			if s.PhysicalAddresses == nil || d.PhysicalAddresses == s.PhysicalAddresses {
				return
			}
			for _, e := range s.PhysicalAddresses.Entries {
				if e.Key != index {
					continue
				}
				var v string
				switch part {
				case "Street":
					v = e.Street
				case "City":
					v = e.City
				case "State":
					v = e.State
				case "CountryOrRegion":
					v = e.CountryOrRegion
				case "PostalCode":
					v = e.PostalCode
				}
				if v == "" {
					return
				}
				if d.PhysicalAddresses == nil {
					d.PhysicalAddresses = &ews.PhysicalAddresses{}
				}
				var out *ews.PhysicalAddressEntry
				for i := range d.PhysicalAddresses.Entries {
					if d.PhysicalAddresses.Entries[i].Key == index {
						out = &d.PhysicalAddresses.Entries[i]
					}
				}
				if out == nil {
					d.PhysicalAddresses.Entries = append(d.PhysicalAddresses.Entries, ews.PhysicalAddressEntry{Key: index})
					out = &d.PhysicalAddresses.Entries[len(d.PhysicalAddresses.Entries)-1]
				}
				switch part {
				case "Street":
					out.Street = v
				case "City":
					out.City = v
				case "State":
					out.State = v
				case "CountryOrRegion":
					out.CountryOrRegion = v
				case "PostalCode":
					out.PostalCode = v
				}
				return
			}
		}
	}
	return nil // distributionlist:Members:Member: not modelled
}

// shapeFields copies each modelled property by its FieldURI. Where two URIs name the same
// element (calendar:IsResponseRequested and message:IsResponseRequested), both are listed.
var shapeFields = map[string]propCopy{
	"item:ItemId":                     func(d, s *ews.Item) { d.ItemId = s.ItemId },
	"item:ParentFolderId":             func(d, s *ews.Item) { d.ParentFolderId = s.ParentFolderId },
	"item:ItemClass":                  func(d, s *ews.Item) { d.ItemClass = s.ItemClass },
	"item:MimeContent":                func(d, s *ews.Item) { d.MimeContent = mimeOf(s) },
	"item:Subject":                    func(d, s *ews.Item) { d.Subject = s.Subject },
	"item:Sensitivity":                func(d, s *ews.Item) { d.Sensitivity = s.Sensitivity },
	"item:Body":                       func(d, s *ews.Item) { d.Body = s.Body },
	"item:Attachments":                func(d, s *ews.Item) { d.Attachments = s.Attachments },
	"item:DateTimeReceived":           func(d, s *ews.Item) { d.DateTimeReceived = s.DateTimeReceived },
	"item:Size":                       func(d, s *ews.Item) { d.Size = s.Size },
	"item:Categories":                 func(d, s *ews.Item) { d.Categories = s.Categories },
	"item:Importance":                 func(d, s *ews.Item) { d.Importance = s.Importance },
	"item:InReplyTo":                  func(d, s *ews.Item) { d.InReplyTo = s.InReplyTo },
	"item:IsSubmitted":                func(d, s *ews.Item) { d.IsSubmitted = s.IsSubmitted },
	"item:IsDraft":                    func(d, s *ews.Item) { d.IsDraft = s.IsDraft },
	"item:IsFromMe":                   func(d, s *ews.Item) { d.IsFromMe = s.IsFromMe },
	"item:IsResend":                   func(d, s *ews.Item) { d.IsResend = s.IsResend },
	"item:IsUnmodified":               func(d, s *ews.Item) { d.IsUnmodified = s.IsUnmodified },
	"item:InternetMessageHeaders":     func(d, s *ews.Item) { d.InternetMessageHeaders = s.InternetMessageHeaders },
	"item:DateTimeSent":               func(d, s *ews.Item) { d.DateTimeSent = s.DateTimeSent },
	"item:DateTimeCreated":            func(d, s *ews.Item) { d.DateTimeCreated = s.DateTimeCreated },
	"item:ReminderDueBy":              func(d, s *ews.Item) { d.ReminderDueBy = s.ReminderDueBy },
	"item:ReminderIsSet":              func(d, s *ews.Item) { d.ReminderIsSet = s.ReminderIsSet },
	"item:ReminderMinutesBeforeStart": func(d, s *ews.Item) { d.ReminderMinutesBeforeStart = s.ReminderMinutesBeforeStart },
	"item:DisplayCc":                  func(d, s *ews.Item) { d.DisplayCc = s.DisplayCc },
	"item:DisplayTo":                  func(d, s *ews.Item) { d.DisplayTo = s.DisplayTo },
	"item:DisplayBcc":                 func(d, s *ews.Item) { d.DisplayBcc = s.DisplayBcc },
	"item:HasAttachments":             func(d, s *ews.Item) { d.HasAttachments = s.HasAttachments },
	"item:Culture":                    func(d, s *ews.Item) { d.Culture = s.Culture },
	"item:LastModifiedName":           func(d, s *ews.Item) { d.LastModifiedName = s.LastModifiedName },
	"item:LastModifiedTime":           func(d, s *ews.Item) { d.LastModifiedTime = s.LastModifiedTime },
	"item:IsAssociated":               func(d, s *ews.Item) { d.IsAssociated = s.IsAssociated },
	"item:ConversationId":             func(d, s *ews.Item) { d.ConversationId = s.ConversationId },
	"item:UniqueBody":                 func(d, s *ews.Item) { d.UniqueBody = s.UniqueBody },
	"item:Preview":                    func(d, s *ews.Item) { d.Preview = s.Preview },
	"postitem:PostedTime":             func(d, s *ews.Item) { d.PostedTime = s.PostedTime },

	"message:Sender":                     func(d, s *ews.Item) { d.Sender = s.Sender },
	"message:ToRecipients":               func(d, s *ews.Item) { d.ToRecipients = s.ToRecipients },
	"message:CcRecipients":               func(d, s *ews.Item) { d.CcRecipients = s.CcRecipients },
	"message:BccRecipients":              func(d, s *ews.Item) { d.BccRecipients = s.BccRecipients },
	"message:IsReadReceiptRequested":     func(d, s *ews.Item) { d.IsReadReceiptRequested = s.IsReadReceiptRequested },
	"message:IsDeliveryReceiptRequested": func(d, s *ews.Item) { d.IsDeliveryReceiptRequested = s.IsDeliveryReceiptRequested },
	"message:ConversationIndex":          func(d, s *ews.Item) { d.ConversationIndex = s.ConversationIndex },
	"message:ConversationTopic":          func(d, s *ews.Item) { d.ConversationTopic = s.ConversationTopic },
	"message:From":                       func(d, s *ews.Item) { d.From = s.From },
	"message:InternetMessageId":          func(d, s *ews.Item) { d.InternetMessageId = s.InternetMessageId },
	"message:IsRead":                     func(d, s *ews.Item) { d.IsRead = s.IsRead },
	"message:IsResponseRequested":        func(d, s *ews.Item) { d.IsResponseRequested = s.IsResponseRequested },
	"message:References":                 func(d, s *ews.Item) { d.References = s.References },
	"message:ReplyTo":                    func(d, s *ews.Item) { d.ReplyTo = s.ReplyTo },
	"message:ReceivedBy":                 func(d, s *ews.Item) { d.ReceivedBy = s.ReceivedBy },
	"message:ReceivedRepresenting":       func(d, s *ews.Item) { d.ReceivedRepresenting = s.ReceivedRepresenting },

	"meeting:AssociatedCalendarItemId":      func(d, s *ews.Item) { d.AssociatedCalendarItemId = s.AssociatedCalendarItemId },
	"meeting:IsDelegated":                   func(d, s *ews.Item) { d.IsDelegated = s.IsDelegated },
	"meeting:IsOutOfDate":                   func(d, s *ews.Item) { d.IsOutOfDate = s.IsOutOfDate },
	"meeting:HasBeenProcessed":              func(d, s *ews.Item) { d.HasBeenProcessed = s.HasBeenProcessed },
	"meeting:ResponseType":                  func(d, s *ews.Item) { d.ResponseType = s.ResponseType },
	"meeting:ProposedStart":                 func(d, s *ews.Item) { d.ProposedStart = s.ProposedStart },
	"meeting:ProposedEnd":                   func(d, s *ews.Item) { d.ProposedEnd = s.ProposedEnd },
	"meetingRequest:MeetingRequestType":     func(d, s *ews.Item) { d.MeetingRequestType = s.MeetingRequestType },
	"meetingRequest:IntendedFreeBusyStatus": func(d, s *ews.Item) { d.IntendedFreeBusyStatus = s.IntendedFreeBusyStatus },

	"calendar:UID":                       func(d, s *ews.Item) { d.UID = s.UID },
	"calendar:RecurrenceId":              func(d, s *ews.Item) { d.RecurrenceId = s.RecurrenceId },
	"calendar:DateTimeStamp":             func(d, s *ews.Item) { d.DateTimeStamp = s.DateTimeStamp },
	"calendar:Start":                     func(d, s *ews.Item) { d.Start = s.Start },
	"calendar:End":                       func(d, s *ews.Item) { d.End = s.End },
	"calendar:OriginalStart":             func(d, s *ews.Item) { d.OriginalStart = s.OriginalStart },
	"calendar:IsAllDayEvent":             func(d, s *ews.Item) { d.IsAllDayEvent = s.IsAllDayEvent },
	"calendar:LegacyFreeBusyStatus":      func(d, s *ews.Item) { d.LegacyFreeBusyStatus = s.LegacyFreeBusyStatus },
	"calendar:Location":                  func(d, s *ews.Item) { d.Location = s.Location },
	"calendar:When":                      func(d, s *ews.Item) { d.When = s.When },
	"calendar:IsMeeting":                 func(d, s *ews.Item) { d.IsMeeting = s.IsMeeting },
	"calendar:IsCancelled":               func(d, s *ews.Item) { d.IsCancelled = s.IsCancelled },
	"calendar:IsRecurring":               func(d, s *ews.Item) { d.IsRecurring = s.IsRecurring },
	"calendar:MeetingRequestWasSent":     func(d, s *ews.Item) { d.MeetingRequestWasSent = s.MeetingRequestWasSent },
	"calendar:IsResponseRequested":       func(d, s *ews.Item) { d.IsResponseRequested = s.IsResponseRequested },
	"calendar:CalendarItemType":          func(d, s *ews.Item) { d.CalendarItemType = s.CalendarItemType },
	"calendar:MyResponseType":            func(d, s *ews.Item) { d.MyResponseType = s.MyResponseType },
	"calendar:Organizer":                 func(d, s *ews.Item) { d.Organizer = s.Organizer },
	"calendar:RequiredAttendees":         func(d, s *ews.Item) { d.RequiredAttendees = s.RequiredAttendees },
	"calendar:OptionalAttendees":         func(d, s *ews.Item) { d.OptionalAttendees = s.OptionalAttendees },
	"calendar:Resources":                 func(d, s *ews.Item) { d.Resources = s.Resources },
	"calendar:ConflictingMeetingCount":   func(d, s *ews.Item) { d.ConflictingMeetingCount = s.ConflictingMeetingCount },
	"calendar:AdjacentMeetingCount":      func(d, s *ews.Item) { d.AdjacentMeetingCount = s.AdjacentMeetingCount },
	"calendar:Duration":                  func(d, s *ews.Item) { d.Duration = s.Duration },
	"calendar:TimeZone":                  func(d, s *ews.Item) { d.TimeZone = s.TimeZone },
	"calendar:AppointmentReplyTime":      func(d, s *ews.Item) { d.AppointmentReplyTime = s.AppointmentReplyTime },
	"calendar:AppointmentSequenceNumber": func(d, s *ews.Item) { d.AppointmentSequenceNumber = s.AppointmentSequenceNumber },
	"calendar:AppointmentState":          func(d, s *ews.Item) { d.AppointmentState = s.AppointmentState },
	"calendar:Recurrence":                func(d, s *ews.Item) { d.Recurrence = s.Recurrence },
	"calendar:FirstOccurrence":           func(d, s *ews.Item) { d.FirstOccurrence = s.FirstOccurrence },
	"calendar:LastOccurrence":            func(d, s *ews.Item) { d.LastOccurrence = s.LastOccurrence },
	"calendar:ModifiedOccurrences":       func(d, s *ews.Item) { d.ModifiedOccurrences = s.ModifiedOccurrences },
	"calendar:DeletedOccurrences":        func(d, s *ews.Item) { d.DeletedOccurrences = s.DeletedOccurrences },
	"calendar:StartTimeZone":             func(d, s *ews.Item) { d.StartTimeZone = s.StartTimeZone },
	"calendar:EndTimeZone":               func(d, s *ews.Item) { d.EndTimeZone = s.EndTimeZone },
	"calendar:ConferenceType":            func(d, s *ews.Item) { d.ConferenceType = s.ConferenceType },
	"calendar:AllowNewTimeProposal":      func(d, s *ews.Item) { d.AllowNewTimeProposal = s.AllowNewTimeProposal },
	"calendar:IsOnlineMeeting":           func(d, s *ews.Item) { d.IsOnlineMeeting = s.IsOnlineMeeting },
	"calendar:MeetingWorkspaceUrl":       func(d, s *ews.Item) { d.MeetingWorkspaceUrl = s.MeetingWorkspaceUrl },
	"calendar:NetShowUrl":                func(d, s *ews.Item) { d.NetShowUrl = s.NetShowUrl },
	"calendar:StartTimeZoneId":           func(d, s *ews.Item) { d.StartTimeZoneId = s.StartTimeZoneId },
	"calendar:EndTimeZoneId":             func(d, s *ews.Item) { d.EndTimeZoneId = s.EndTimeZoneId },
	"calendar:IsOrganizer":               func(d, s *ews.Item) { d.IsOrganizer = s.IsOrganizer },

	"contacts:FileAs":             func(d, s *ews.Item) { d.FileAs = s.FileAs },
	"contacts:FileAsMapping":      func(d, s *ews.Item) { d.FileAsMapping = s.FileAsMapping },
	"contacts:DisplayName":        func(d, s *ews.Item) { d.DisplayName = s.DisplayName },
	"contacts:GivenName":          func(d, s *ews.Item) { d.GivenName = s.GivenName },
	"contacts:Initials":           func(d, s *ews.Item) { d.Initials = s.Initials },
	"contacts:MiddleName":         func(d, s *ews.Item) { d.MiddleName = s.MiddleName },
	"contacts:Nickname":           func(d, s *ews.Item) { d.Nickname = s.Nickname },
	"contacts:CompanyName":        func(d, s *ews.Item) { d.CompanyName = s.CompanyName },
	"contacts:EmailAddresses":     func(d, s *ews.Item) { d.EmailAddresses = s.EmailAddresses },
	"contacts:PhysicalAddresses":  func(d, s *ews.Item) { d.PhysicalAddresses = s.PhysicalAddresses },
	"contacts:PhoneNumbers":       func(d, s *ews.Item) { d.PhoneNumbers = s.PhoneNumbers },
	"contacts:AssistantName":      func(d, s *ews.Item) { d.AssistantName = s.AssistantName },
	"contacts:Birthday":           func(d, s *ews.Item) { d.Birthday = s.Birthday },
	"contacts:BusinessHomePage":   func(d, s *ews.Item) { d.BusinessHomePage = s.BusinessHomePage },
	"contacts:Children":           func(d, s *ews.Item) { d.Children = s.Children },
	"contacts:Companies":          func(d, s *ews.Item) { d.Companies = s.Companies },
	"contacts:ContactSource":      func(d, s *ews.Item) { d.ContactSource = s.ContactSource },
	"contacts:Department":         func(d, s *ews.Item) { d.Department = s.Department },
	"contacts:Generation":         func(d, s *ews.Item) { d.Generation = s.Generation },
	"contacts:ImAddresses":        func(d, s *ews.Item) { d.ImAddresses = s.ImAddresses },
	"contacts:JobTitle":           func(d, s *ews.Item) { d.JobTitle = s.JobTitle },
	"contacts:Manager":            func(d, s *ews.Item) { d.Manager = s.Manager },
	"contacts:OfficeLocation":     func(d, s *ews.Item) { d.OfficeLocation = s.OfficeLocation },
	"contacts:PostalAddressIndex": func(d, s *ews.Item) { d.PostalAddressIndex = s.PostalAddressIndex },
	"contacts:Profession":         func(d, s *ews.Item) { d.Profession = s.Profession },
	"contacts:SpouseName":         func(d, s *ews.Item) { d.SpouseName = s.SpouseName },
	"contacts:Surname":            func(d, s *ews.Item) { d.Surname = s.Surname },
	"contacts:WeddingAnniversary": func(d, s *ews.Item) { d.WeddingAnniversary = s.WeddingAnniversary },
	"contacts:HasPicture":         func(d, s *ews.Item) { d.HasPicture = s.HasPicture },
	"contacts:Alias":              func(d, s *ews.Item) { d.Alias = s.Alias },
	"contacts:Notes":              func(d, s *ews.Item) { d.Notes = s.Notes },
	"contacts:DirectoryId":        func(d, s *ews.Item) { d.DirectoryId = s.DirectoryId },
	"contacts:ManagerMailbox":     func(d, s *ews.Item) { d.ManagerMailbox = s.ManagerMailbox },
	"contacts:DirectReports":      func(d, s *ews.Item) { d.DirectReports = s.DirectReports },

	"task:Companies":   func(d, s *ews.Item) { d.Companies = s.Companies },
	"task:IsRecurring": func(d, s *ews.Item) { d.IsRecurring = s.IsRecurring },
	"task:Recurrence":  func(d, s *ews.Item) { d.Recurrence = s.Recurrence },
}

// The schema's property path enumerations (types.xsd of Exchange 2016, V2017_07_11): a
// path outside them fails schema validation.
var (
	fieldURISet      = fieldURISetOf(unindexedFieldURIs)
	dictionaryURISet = fieldURISetOf(dictionaryFieldURIs)
)

func fieldURISetOf(list string) map[string]bool {
	set := make(map[string]bool, 512)
	for _, f := range strings.Fields(list) {
		set[f] = true
	}
	return set
}

func validFieldURI(uri string) bool      { return fieldURISet[uri] }
func validDictionaryURI(uri string) bool { return dictionaryURISet[uri] }

func init() {
	for _, set := range []map[string]bool{findExcluded, nameOnlyInFind} {
		for uri := range set {
			if !fieldURISet[uri] {
				panic("exchangesim: " + uri + " is not in UnindexedFieldURIType")
			}
		}
	}
	for uri := range shapeFields {
		if !fieldURISet[uri] {
			panic("exchangesim: item field " + uri + " is not in UnindexedFieldURIType")
		}
	}
	for uri := range itemQueryFields {
		if !fieldURISet[uri] {
			panic("exchangesim: query field " + uri + " is not in UnindexedFieldURIType")
		}
	}
}

// checkFolderShape validates a FolderShape as the schema does (shapeFolder applies it).
func checkFolderShape(shape ews.FolderShape) error {
	switch shape.BaseShape {
	case ews.ShapeIdOnly, ews.ShapeDefault, ews.ShapeAllProperties:
	default:
		return enumViolation("BaseShape", shape.BaseShape, "DefaultShapeNamesType")
	}
	if shape.AdditionalProperties != nil {
		for _, p := range shape.AdditionalProperties.Paths {
			switch p.XMLName.Local {
			case "t:FieldURI":
				if !validFieldURI(p.FieldURI) {
					return enumViolation("FieldURI", p.FieldURI, "UnindexedFieldURIType")
				}
			case "t:IndexedFieldURI":
				if !validDictionaryURI(p.FieldURI) {
					return enumViolation("FieldURI", p.FieldURI, "DictionaryURIType")
				}
			case "t:ExtendedFieldURI":
			default:
				return &ews.SchemaError{Violation: "The element '" + p.XMLName.Local + "' is not a valid property path."}
			}
		}
	}
	return nil
}

const unindexedFieldURIs = `folder:FolderId folder:ParentFolderId folder:DisplayName folder:UnreadCount
folder:TotalCount folder:ChildFolderCount folder:FolderClass folder:SearchParameters
folder:ManagedFolderInformation folder:PermissionSet folder:EffectiveRights
folder:SharingEffectiveRights folder:DistinguishedFolderId folder:PolicyTag
folder:ArchiveTag folder:ReplicaList item:ItemId item:ParentFolderId item:ItemClass
item:MimeContent item:Attachments item:Subject item:DateTimeReceived item:Size
item:Categories item:HasAttachments item:Importance item:InReplyTo
item:InternetMessageHeaders item:IsAssociated item:IsDraft item:IsFromMe item:IsResend
item:IsSubmitted item:IsUnmodified item:DateTimeSent item:DateTimeCreated item:Body
item:ResponseObjects item:Sensitivity item:ReminderDueBy item:ReminderIsSet
item:ReminderNextTime item:ReminderMinutesBeforeStart item:DisplayTo item:DisplayCc
item:DisplayBcc item:Culture item:EffectiveRights item:LastModifiedName
item:LastModifiedTime item:ConversationId item:UniqueBody item:Flag item:StoreEntryId
item:InstanceKey item:NormalizedBody item:EntityExtractionResult item:PolicyTag
item:ArchiveTag item:RetentionDate item:Preview item:PredictedActionReasons
item:IsClutter item:RightsManagementLicenseData item:BlockStatus item:HasBlockedImages
item:WebClientReadFormQueryString item:WebClientEditFormQueryString item:TextBody
item:IconIndex item:MimeContentUTF8 item:Mentions item:MentionedMe item:MentionsPreview
item:MentionsEx item:Hashtags item:AppliedHashtags item:AppliedHashtagsPreview
item:Likes item:LikesPreview item:PendingSocialActivityTagIds item:AtAllMention
item:CanDelete item:InferenceClassification item:FirstBody message:ConversationIndex
message:ConversationTopic message:InternetMessageId message:IsRead
message:IsResponseRequested message:IsReadReceiptRequested
message:IsDeliveryReceiptRequested message:ReceivedBy message:ReceivedRepresenting
message:References message:ReplyTo message:From message:Sender message:ToRecipients
message:CcRecipients message:BccRecipients message:ApprovalRequestData
message:VotingInformation message:ReminderMessageData message:PublishedCalendarItemIcs
message:PublishedCalendarItemName message:MessageSafety
sharingMessage:SharingMessageAction meeting:AssociatedCalendarItemId meeting:IsDelegated
meeting:IsOutOfDate meeting:HasBeenProcessed meeting:ResponseType meeting:ProposedStart
meeting:ProposedEnd meetingRequest:MeetingRequestType
meetingRequest:IntendedFreeBusyStatus meetingRequest:ChangeHighlights calendar:Start
calendar:End calendar:OriginalStart calendar:StartWallClock calendar:EndWallClock
calendar:StartTimeZoneId calendar:EndTimeZoneId calendar:IsAllDayEvent
calendar:LegacyFreeBusyStatus calendar:Location calendar:EnhancedLocation calendar:When
calendar:IsMeeting calendar:IsCancelled calendar:IsRecurring
calendar:MeetingRequestWasSent calendar:IsResponseRequested calendar:CalendarItemType
calendar:MyResponseType calendar:Organizer calendar:RequiredAttendees
calendar:OptionalAttendees calendar:Resources calendar:ConflictingMeetingCount
calendar:AdjacentMeetingCount calendar:ConflictingMeetings calendar:AdjacentMeetings
calendar:InboxReminders calendar:Duration calendar:TimeZone
calendar:AppointmentReplyTime calendar:AppointmentSequenceNumber
calendar:AppointmentState calendar:Recurrence calendar:FirstOccurrence
calendar:LastOccurrence calendar:ModifiedOccurrences calendar:DeletedOccurrences
calendar:MeetingTimeZone calendar:ConferenceType calendar:AllowNewTimeProposal
calendar:IsOnlineMeeting calendar:MeetingWorkspaceUrl calendar:NetShowUrl calendar:UID
calendar:RecurrenceId calendar:DateTimeStamp calendar:StartTimeZone calendar:EndTimeZone
calendar:JoinOnlineMeetingUrl calendar:OnlineMeetingSettings calendar:IsOrganizer
calendar:CalendarActivityData task:ActualWork task:AssignedTime task:BillingInformation
task:ChangeCount task:Companies task:CompleteDate task:Contacts task:DelegationState
task:Delegator task:DueDate task:IsAssignmentEditable task:IsComplete task:IsRecurring
task:IsTeamTask task:Mileage task:Owner task:PercentComplete task:Recurrence
task:StartDate task:Status task:StatusDescription task:TotalWork contacts:Alias
contacts:AssistantName contacts:Birthday contacts:BusinessHomePage contacts:Children
contacts:Companies contacts:CompanyName contacts:CompleteName contacts:ContactSource
contacts:Culture contacts:Department contacts:DisplayName contacts:DirectoryId
contacts:DirectReports contacts:EmailAddresses contacts:AbchEmailAddresses
contacts:FileAs contacts:FileAsMapping contacts:Generation contacts:GivenName
contacts:ImAddresses contacts:Initials contacts:JobTitle contacts:Manager
contacts:ManagerMailbox contacts:MiddleName contacts:Mileage
contacts:MSExchangeCertificate contacts:Nickname contacts:Notes contacts:OfficeLocation
contacts:PhoneNumbers contacts:PhoneticFullName contacts:PhoneticFirstName
contacts:PhoneticLastName contacts:Photo contacts:PhysicalAddresses
contacts:PostalAddressIndex contacts:Profession contacts:SpouseName contacts:Surname
contacts:WeddingAnniversary contacts:UserSMIMECertificate contacts:HasPicture
contacts:AccountName contacts:IsAutoUpdateDisabled contacts:IsMessengerEnabled
contacts:Comment contacts:ContactShortId contacts:ContactType contacts:CreatedBy
contacts:Gender contacts:IsHidden contacts:ObjectId contacts:PassportId
contacts:IsPrivate contacts:SourceId contacts:TrustLevel contacts:Urls contacts:Cid
contacts:SkypeAuthCertificate contacts:SkypeContext contacts:SkypeId
contacts:XboxLiveTag contacts:SkypeRelationship contacts:YomiNickname
contacts:InviteFree contacts:HidePresenceAndProfile contacts:IsPendingOutbound
contacts:SupportGroupFeeds contacts:UserTileHash contacts:UnifiedInbox contacts:Mris
contacts:Wlid contacts:AbchContactId contacts:NotInBirthdayCalendar
contacts:ShellContactType contacts:ImMri contacts:PresenceTrustLevel contacts:OtherMri
contacts:ProfileLastChanged contacts:MobileIMEnabled distributionlist:Members
contacts:PartnerNetworkProfilePhotoUrl contacts:PartnerNetworkThumbnailPhotoUrl
contacts:PersonId contacts:ConversationGuid postitem:PostedTime
conversation:ConversationId conversation:ConversationTopic conversation:UniqueRecipients
conversation:GlobalUniqueRecipients conversation:UniqueUnreadSenders
conversation:GlobalUniqueUnreadSenders conversation:UniqueSenders
conversation:GlobalUniqueSenders conversation:LastDeliveryTime
conversation:GlobalLastDeliveryTime conversation:Categories
conversation:GlobalCategories conversation:FlagStatus conversation:GlobalFlagStatus
conversation:HasAttachments conversation:GlobalHasAttachments conversation:HasIrm
conversation:GlobalHasIrm conversation:MessageCount conversation:GlobalMessageCount
conversation:UnreadCount conversation:GlobalUnreadCount conversation:Size
conversation:GlobalSize conversation:ItemClasses conversation:GlobalItemClasses
conversation:Importance conversation:GlobalImportance conversation:ItemIds
conversation:GlobalItemIds conversation:LastModifiedTime conversation:InstanceKey
conversation:Preview conversation:IconIndex conversation:GlobalIconIndex
conversation:DraftItemIds conversation:HasClutter conversation:MentionedMe
conversation:GlobalMentionedMe conversation:AtAllMention conversation:GlobalAtAllMention
person:FullName person:GivenName person:Surname person:PhoneNumber person:SMSNumber
person:EmailAddress person:Alias person:Department person:LinkedInProfileLink
person:Skills person:ProfessionalBiography person:ManagementChain person:DirectReports
person:Peers person:TeamSize person:CurrentJob person:Birthday person:Hometown
person:CurrentLocation person:CompanyProfile person:Office person:Headline
person:MutualConnections person:Title person:MutualManager person:Insights
person:UserProfilePicture persona:PersonaId persona:PersonaType persona:GivenName
persona:CompanyName persona:Surname persona:DisplayName persona:EmailAddress
persona:FileAs persona:HomeCity persona:CreationTime persona:RelevanceScore
persona:RankingWeight persona:WorkCity persona:PersonaObjectStatus persona:FileAsId
persona:DisplayNamePrefix persona:YomiCompanyName persona:YomiFirstName
persona:YomiLastName persona:Title persona:EmailAddresses persona:PhoneNumber
persona:ImAddress persona:ImAddresses persona:ImAddresses2 persona:ImAddresses3
persona:FolderIds persona:Attributions persona:DisplayNames persona:Initials
persona:FileAses persona:FileAsIds persona:DisplayNamePrefixes persona:GivenNames
persona:MiddleNames persona:Surnames persona:Generations persona:Nicknames
persona:YomiCompanyNames persona:YomiFirstNames persona:YomiLastNames
persona:BusinessPhoneNumbers persona:BusinessPhoneNumbers2 persona:HomePhones
persona:HomePhones2 persona:MobilePhones persona:MobilePhones2
persona:AssistantPhoneNumbers persona:CallbackPhones persona:CarPhones persona:HomeFaxes
persona:OrganizationMainPhones persona:OtherFaxes persona:OtherTelephones
persona:OtherPhones2 persona:Pagers persona:RadioPhones persona:TelexNumbers
persona:WorkFaxes persona:Emails1 persona:Emails2 persona:Emails3
persona:BusinessHomePages persona:School persona:PersonalHomePages
persona:OfficeLocations persona:BusinessAddresses persona:HomeAddresses
persona:OtherAddresses persona:Titles persona:Departments persona:CompanyNames
persona:Managers persona:AssistantNames persona:Professions persona:SpouseNames
persona:Hobbies persona:WeddingAnniversaries persona:Birthdays persona:Children
persona:Locations persona:ExtendedProperties persona:PostalAddress persona:Bodies
persona:IsFavorite persona:InlineLinks persona:ItemLinkIds persona:HasActiveDeals
persona:IsBusinessContact persona:AttributedHasActiveDeals
persona:AttributedIsBusinessContact persona:SourceMailboxGuids persona:LastContactedDate
persona:ExternalDirectoryObjectId persona:MapiEntryId persona:MapiEmailAddress
persona:MapiAddressType persona:MapiSearchKey persona:MapiTransmittableDisplayName
persona:MapiSendRichInfo rolemember:MemberType rolemember:MemberId
rolemember:DisplayName network:TokenRefreshLastCompleted
network:TokenRefreshLastAttempted network:SyncEnabled network:RejectedOffers
network:SessionHandle network:RefreshTokenExpiry2 network:RefreshToken2
network:PsaLastChanged network:Offers network:LastWelcomeContact
network:LastVersionSaved network:DomainTag network:FirstAuthErrorDates
network:ErrorOffers network:ContactSyncSuccess network:ContactSyncError
network:ClientToken2 network:ClientToken network:ClientPublishSecret network:UserEmail
network:AutoLinkSuccess network:AutoLinkError network:IsDefault network:Settings
network:ProfileUrl network:UserTileUrl network:DomainId network:DisplayName
network:AccountName network:SourceEntryID abchperson:FavoriteOrder abchperson:PersonId
abchperson:ExchangePersonIdGuid abchperson:AntiLinkInfo abchperson:RelevanceOrder1
abchperson:RelevanceOrder2 abchperson:ContactHandles abchperson:Categories
booking:ServiceIds booking:StaffIds booking:StaffInitials booking:CustomerName
booking:CustomerEmail booking:CustomerPhone booking:CustomerId insight:InsightId
insight:Type insight:StartTimeUtc insight:EndTimeUtc insight:Status insight:Version
insight:ApplicationsIds insight:Text insight:SuggestedActions insight:AppContexts`

const dictionaryFieldURIs = `item:InternetMessageHeader contacts:ImAddress contacts:PhysicalAddress:Street
contacts:PhysicalAddress:City contacts:PhysicalAddress:State
contacts:PhysicalAddress:CountryOrRegion contacts:PhysicalAddress:PostalCode
contacts:PhoneNumber contacts:EmailAddress distributionlist:Members:Member`
