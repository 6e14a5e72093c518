package ews

// The readers of the fast decoding path (see fastdecode.go), in the order fastxml.go
// writes the types. Each is called just after its element's start tag and reads through
// its end tag, as encoding/xml's Unmarshal would given the type's struct tags.

// Response bodies.

func (r *GetItemResponse) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceMessages, "ResponseMessages") {
			d.skip()
			continue
		}
		for d.child() {
			if !d.is(spaceMessages, "GetItemResponseMessage") {
				d.skip()
				continue
			}
			r.ResponseMessages = append(r.ResponseMessages, GetItemResponseMessage{})
			m := &r.ResponseMessages[len(r.ResponseMessages)-1]
			m.ResponseMessage.readAttrs(d)
			for d.child() {
				switch {
				case m.ResponseMessage.readChild(d):
				case d.is(spaceMessages, "Items"):
					m.Items.readXMLElement(d)
				default:
					d.skip()
				}
			}
		}
	}
}

func (r *SyncFolderItemsResponse) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceMessages, "ResponseMessages") {
			d.skip()
			continue
		}
		for d.child() {
			if !d.is(spaceMessages, "SyncFolderItemsResponseMessage") {
				d.skip()
				continue
			}
			r.ResponseMessages = append(r.ResponseMessages, SyncFolderItemsResponseMessage{})
			m := &r.ResponseMessages[len(r.ResponseMessages)-1]
			m.ResponseMessage.readAttrs(d)
			for d.child() {
				switch {
				case m.ResponseMessage.readChild(d):
				case d.space != spaceMessages:
					d.skip()
				case string(d.local) == "SyncState":
					m.SyncState = d.textString()
				case string(d.local) == "IncludesLastItemInRange":
					readBool(d, &m.IncludesLastItemInRange)
				case string(d.local) == "Changes":
					readPtr(d, &m.Changes)
				default:
					d.skip()
				}
			}
		}
	}
}

// readAttrs reads the attributes of a response message element.
func (r *ResponseMessage) readAttrs(d *xmlReader) {
	for _, a := range d.attrs {
		if string(a.name) == "ResponseClass" {
			r.ResponseClass = string(a.value)
		}
	}
}

// readChild reads the current child element of a response message if it is one of
// ResponseMessage's, and reports whether it was.
func (r *ResponseMessage) readChild(d *xmlReader) bool {
	if d.space != spaceMessages {
		return false
	}
	switch string(d.local) {
	case "MessageText":
		r.MessageText = d.textString()
	case "ResponseCode":
		r.ResponseCode = d.textString()
	case "DescriptiveLinkKey":
		readInt(d, &r.DescriptiveLinkKey)
	case "MessageXml":
		readPtr(d, &r.MessageXml)
	default:
		return false
	}
	return true
}

func (m *MessageXml) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.space != spaceTypes {
			d.skip()
			continue
		}
		switch string(d.local) {
		case "LineNumber":
			m.LineNumber = d.intContent()
		case "LinePosition":
			m.LinePosition = d.intContent()
		case "Violation":
			m.Violation = d.textString()
		case "Value":
			m.Values = append(m.Values, Value{})
			v := &m.Values[len(m.Values)-1]
			for _, a := range d.attrs {
				if string(a.name) == "Name" {
					v.Name = string(a.value)
				}
			}
			v.Value = d.textString()
		default:
			d.skip()
		}
	}
}

func (c *SyncFolderItemsChanges) readXMLElement(d *xmlReader) {
	for d.child() { // ",any"
		c.Changes = append(c.Changes, SyncFolderItemsChange{})
		c.Changes[len(c.Changes)-1].readXMLElement(d)
	}
}

func (c *SyncFolderItemsChange) readXMLElement(d *xmlReader) {
	c.XMLName = d.xmlName()
	for d.child() {
		switch {
		case d.is(spaceTypes, "ItemId"):
			readPtr(d, &c.ItemId)
		case d.is(spaceTypes, "IsRead"):
			readBool(d, &c.IsRead)
		default: // ",any": every other element is (again) the item
			readPtr(d, &c.Item)
		}
	}
}

func (s *ServerVersionInfo) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		switch string(a.name) {
		case "MajorVersion":
			s.MajorVersion = d.intAttr(a.value)
		case "MinorVersion":
			s.MinorVersion = d.intAttr(a.value)
		case "MajorBuildNumber":
			s.MajorBuildNumber = d.intAttr(a.value)
		case "MinorBuildNumber":
			s.MinorBuildNumber = d.intAttr(a.value)
		case "Version":
			s.Version = string(a.value)
		}
	}
	d.skip()
}

// Items and the types an Item holds, in the order types.go declares them.

func (x *Items) readXMLElement(d *xmlReader) {
	for d.child() { // ",any"
		x.Items = append(x.Items, Item{})
		x.Items[len(x.Items)-1].readXMLElement(d)
	}
}

// readXMLElement reads the item's fields through their codecs (itemorder.go), so that
// every field Item has is read.
func (it *Item) readXMLElement(d *xmlReader) {
	it.XMLName = d.xmlName()
	for d.child() {
		if d.space == spaceTypes {
			if c, ok := itemCodecs[string(d.local)]; ok {
				c.read(d, it)
				continue
			}
		}
		d.skip()
	}
}

func (id *ItemId) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		switch string(a.name) {
		case "Id":
			id.Id = string(a.value)
		case "ChangeKey":
			id.ChangeKey = string(a.value)
		}
	}
	d.skip()
}

func (id *FolderId) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		switch string(a.name) {
		case "Id":
			id.Id = string(a.value)
		case "ChangeKey":
			id.ChangeKey = string(a.value)
		}
	}
	d.skip()
}

func (a *EmailAddress) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.space != spaceTypes {
			d.skip()
			continue
		}
		switch string(d.local) {
		case "Name":
			a.Name = d.textString()
		case "EmailAddress":
			a.EmailAddress = d.textString()
		case "RoutingType":
			a.RoutingType = d.textString()
		case "MailboxType":
			a.MailboxType = d.textString()
		case "ItemId":
			readPtr(d, &a.ItemId)
		default:
			d.skip()
		}
	}
}

func (r *SingleRecipient) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.is(spaceTypes, "Mailbox") {
			r.Mailbox.readXMLElement(d)
			continue
		}
		d.skip()
	}
}

func (r *Recipients) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.is(spaceTypes, "Mailbox") {
			r.Mailboxes = append(r.Mailboxes, EmailAddress{})
			r.Mailboxes[len(r.Mailboxes)-1].readXMLElement(d)
			continue
		}
		d.skip()
	}
}

func (a *Attendees) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.is(spaceTypes, "Attendee") {
			a.Attendees = append(a.Attendees, Attendee{})
			a.Attendees[len(a.Attendees)-1].readXMLElement(d)
			continue
		}
		d.skip()
	}
}

func (at *Attendee) readXMLElement(d *xmlReader) {
	for d.child() {
		switch {
		case d.is(spaceTypes, "Mailbox"):
			at.Mailbox.readXMLElement(d)
		case d.is(spaceTypes, "ResponseType"):
			at.ResponseType = d.textString()
		case d.is(spaceTypes, "LastResponseTime"):
			at.LastResponseTime.readXMLElement(d)
		default:
			d.skip()
		}
	}
}

func (body *Body) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		switch string(a.name) {
		case "BodyType":
			body.BodyType = string(a.value)
		case "IsTruncated":
			v, ok := parseXMLBool(a.value)
			if !ok {
				d.fail()
			}
			if body.IsTruncated == nil {
				body.IsTruncated = new(bool)
			}
			*body.IsTruncated = v
		}
	}
	body.Value = d.textString()
}

func (s *Strings) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.is(spaceTypes, "String") {
			s.Strings = append(s.Strings, d.textString())
			continue
		}
		d.skip()
	}
}

func (h *InternetMessageHeaders) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceTypes, "InternetMessageHeader") {
			d.skip()
			continue
		}
		h.Headers = append(h.Headers, InternetMessageHeader{})
		x := &h.Headers[len(h.Headers)-1]
		for _, a := range d.attrs {
			if string(a.name) == "HeaderName" {
				x.HeaderName = string(a.value)
			}
		}
		x.Value = d.textString()
	}
}

func (a *Attachments) readXMLElement(d *xmlReader) {
	for d.child() { // ",any"
		a.Attachments = append(a.Attachments, Attachment{})
		a.Attachments[len(a.Attachments)-1].readXMLElement(d)
	}
}

func (a *Attachment) readXMLElement(d *xmlReader) {
	a.XMLName = d.xmlName()
	for d.child() {
		if d.space == spaceTypes {
			switch string(d.local) {
			case "AttachmentId":
				readPtr(d, &a.AttachmentId)
				continue
			case "Name":
				a.Name = d.textString()
				continue
			case "ContentType":
				a.ContentType = d.textString()
				continue
			case "ContentId":
				a.ContentId = d.textString()
				continue
			case "ContentLocation":
				a.ContentLocation = d.textString()
				continue
			case "AttachmentOriginalUrl":
				a.AttachmentOriginalUrl = d.textString()
				continue
			case "Size":
				a.Size = d.intContent()
				continue
			case "LastModifiedTime":
				a.LastModifiedTime.readXMLElement(d)
				continue
			case "IsInline":
				readBool(d, &a.IsInline)
				continue
			case "IsContactPhoto":
				readBool(d, &a.IsContactPhoto)
				continue
			case "Content":
				a.Content = d.textString()
				continue
			}
		}
		readPtr(d, &a.Item) // ",any": every other element is (again) the attached item
	}
}

func (id *AttachmentId) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		switch string(a.name) {
		case "Id":
			id.Id = string(a.value)
		case "RootItemId":
			id.RootItemId = string(a.value)
		case "RootItemChangeKey":
			id.RootItemChangeKey = string(a.value)
		}
	}
	d.skip()
}

func (e *EmailAddresses) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceTypes, "Entry") {
			d.skip()
			continue
		}
		e.Entries = append(e.Entries, EmailAddressEntry{})
		x := &e.Entries[len(e.Entries)-1]
		for _, a := range d.attrs {
			switch string(a.name) {
			case "Key":
				x.Key = string(a.value)
			case "Name":
				x.Name = string(a.value)
			case "RoutingType":
				x.RoutingType = string(a.value)
			case "MailboxType":
				x.MailboxType = string(a.value)
			}
		}
		x.Value = d.textString()
	}
}

func (p *PhoneNumbers) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceTypes, "Entry") {
			d.skip()
			continue
		}
		p.Entries = append(p.Entries, PhoneNumberEntry{})
		x := &p.Entries[len(p.Entries)-1]
		x.Key, x.Value = d.readKeyedText(x.Key)
	}
}

func (p *ImAddresses) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceTypes, "Entry") {
			d.skip()
			continue
		}
		p.Entries = append(p.Entries, ImAddressEntry{})
		x := &p.Entries[len(p.Entries)-1]
		x.Key, x.Value = d.readKeyedText(x.Key)
	}
}

// readKeyedText reads <t:Entry Key="key">value</t:Entry>; key is the Key to keep when
// the attribute is absent.
func (d *xmlReader) readKeyedText(key string) (string, string) {
	for _, a := range d.attrs {
		if string(a.name) == "Key" {
			key = string(a.value)
		}
	}
	return key, d.textString()
}

func (p *PhysicalAddresses) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceTypes, "Entry") {
			d.skip()
			continue
		}
		p.Entries = append(p.Entries, PhysicalAddressEntry{})
		p.Entries[len(p.Entries)-1].readXMLElement(d)
	}
}

func (x *PhysicalAddressEntry) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		if string(a.name) == "Key" {
			x.Key = string(a.value)
		}
	}
	for d.child() {
		if d.space != spaceTypes {
			d.skip()
			continue
		}
		switch string(d.local) {
		case "Street":
			x.Street = d.textString()
		case "City":
			x.City = d.textString()
		case "State":
			x.State = d.textString()
		case "CountryOrRegion":
			x.CountryOrRegion = d.textString()
		case "PostalCode":
			x.PostalCode = d.textString()
		default:
			d.skip()
		}
	}
}

func (x *ExtendedProperty) readXMLElement(d *xmlReader) {
	for d.child() {
		switch {
		case d.is(spaceTypes, "ExtendedFieldURI"):
			x.ExtendedFieldURI.readXMLElement(d)
		case d.is(spaceTypes, "Value"):
			x.Value = d.textString()
		case d.is(spaceTypes, "Values"):
			readPtr(d, &x.Values)
		default:
			d.skip()
		}
	}
}

func (v *PropertyValues) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.is(spaceTypes, "Value") {
			v.Values = append(v.Values, d.textString())
			continue
		}
		d.skip()
	}
}

func (p *PropertyPath) readXMLElement(d *xmlReader) {
	p.XMLName = d.xmlName()
	for _, a := range d.attrs {
		switch string(a.name) {
		case "FieldURI":
			p.FieldURI = string(a.value)
		case "FieldIndex":
			p.FieldIndex = string(a.value)
		case "DistinguishedPropertySetId":
			p.DistinguishedPropertySetId = string(a.value)
		case "PropertySetId":
			p.PropertySetId = string(a.value)
		case "PropertyTag":
			p.PropertyTag = string(a.value)
		case "PropertyName":
			p.PropertyName = string(a.value)
		case "PropertyId":
			p.PropertyId = string(a.value)
		case "PropertyType":
			p.PropertyType = string(a.value)
		}
	}
	d.skip()
}

func (z *TimeZoneDefinition) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		switch string(a.name) {
		case "Id":
			z.Id = string(a.value)
		case "Name":
			z.Name = string(a.value)
		}
	}
	d.skip()
}

func (r *Recurrence) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.space != spaceTypes {
			d.skip()
			continue
		}
		switch string(d.local) {
		case "RelativeYearlyRecurrence":
			readPtr(d, &r.RelativeYearly)
		case "AbsoluteYearlyRecurrence":
			readPtr(d, &r.AbsoluteYearly)
		case "RelativeMonthlyRecurrence":
			readPtr(d, &r.RelativeMonthly)
		case "AbsoluteMonthlyRecurrence":
			readPtr(d, &r.AbsoluteMonthly)
		case "WeeklyRecurrence":
			readPtr(d, &r.Weekly)
		case "DailyRecurrence":
			readPtr(d, &r.Daily)
		case "NoEndRecurrence":
			readPtr(d, &r.NoEnd)
		case "EndDateRecurrence":
			readPtr(d, &r.EndDate)
		case "NumberedRecurrence":
			readPtr(d, &r.Numbered)
		default:
			d.skip()
		}
	}
}

func (p *RecurrencePattern) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.space != spaceTypes {
			d.skip()
			continue
		}
		switch string(d.local) {
		case "Interval":
			p.Interval = d.intContent()
		case "DaysOfWeek":
			p.DaysOfWeek = d.textString()
		case "FirstDayOfWeek":
			p.FirstDayOfWeek = d.textString()
		case "DayOfWeekIndex":
			p.DayOfWeekIndex = d.textString()
		case "DayOfMonth":
			p.DayOfMonth = d.intContent()
		case "Month":
			p.Month = d.textString()
		default:
			d.skip()
		}
	}
}

func (r *RecurrenceRange) readXMLElement(d *xmlReader) {
	for d.child() {
		switch {
		case d.is(spaceTypes, "StartDate"):
			r.StartDate = d.textString()
		case d.is(spaceTypes, "EndDate"):
			r.EndDate = d.textString()
		case d.is(spaceTypes, "NumberOfOccurrences"):
			r.NumberOfOccurrences = d.intContent()
		default:
			d.skip()
		}
	}
}

func (o *OccurrenceInfo) readXMLElement(d *xmlReader) {
	for d.child() {
		switch {
		case d.is(spaceTypes, "ItemId"):
			o.ItemId.readXMLElement(d)
		case d.is(spaceTypes, "Start"):
			o.Start.readXMLElement(d)
		case d.is(spaceTypes, "End"):
			o.End.readXMLElement(d)
		case d.is(spaceTypes, "OriginalStart"):
			o.OriginalStart.readXMLElement(d)
		default:
			d.skip()
		}
	}
}

func (o *Occurrences) readXMLElement(d *xmlReader) {
	for d.child() {
		if d.is(spaceTypes, "Occurrence") {
			o.Occurrences = append(o.Occurrences, OccurrenceInfo{})
			o.Occurrences[len(o.Occurrences)-1].readXMLElement(d)
			continue
		}
		d.skip()
	}
}

func (o *DeletedOccurrences) readXMLElement(d *xmlReader) {
	for d.child() {
		if !d.is(spaceTypes, "DeletedOccurrence") {
			d.skip()
			continue
		}
		o.Occurrences = append(o.Occurrences, DeletedOccurrence{})
		x := &o.Occurrences[len(o.Occurrences)-1]
		for d.child() {
			if d.is(spaceTypes, "Start") {
				x.Start.readXMLElement(d)
				continue
			}
			d.skip()
		}
	}
}

func (m *MimeContent) readXMLElement(d *xmlReader) {
	for _, a := range d.attrs {
		if string(a.name) == "CharacterSet" {
			m.CharacterSet = string(a.value)
		}
	}
	m.Value = d.textString()
}
