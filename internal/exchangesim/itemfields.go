package exchangesim

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Item updates (UpdateItem's SetItemField, AppendToItemField and DeleteItemField) as
// Exchange applies them to an item: property paths are checked against the schema's
// lists, against the item's kind and against what may be written; then the one property
// an update carries is copied into, appended to or removed from the item.

// Response codes of item updates the ews package has no constant for.
const (
	codeInvalidPropertyRequest = "ErrorInvalidPropertyRequest"
	codeInvalidPropertyAppend  = "ErrorInvalidPropertyAppend"
	codeInvalidPropertyDelete  = "ErrorInvalidPropertyDelete"
	codeUpdatePropertyMismatch = "ErrorUpdatePropertyMismatch"
	codeCalendarEndBeforeStart = "ErrorCalendarEndDateIsEarlierThanStartDate"
)

// nonItemFieldPrefixes are the prefixes of UnindexedFieldURIType that name no item
// property: valid paths, but ErrorInvalidPropertyRequest in an item update. (The
// schema's lists themselves are shape.go's validFieldURI and validDictionaryURI.)
var nonItemFieldPrefixes = map[string]bool{"folder": true, "conversation": true, "person": true, "persona": true,
	"rolemember": true, "network": true, "abchperson": true, "booking": true, "insight": true}

// indexedItemFields maps DictionaryURIType values to the Item field holding the dictionary
// (none where the simulator does not model it).
var indexedItemFields = map[string]string{
	"item:InternetMessageHeader":               "InternetMessageHeaders",
	"contacts:ImAddress":                       "ImAddresses",
	"contacts:PhysicalAddress:Street":          "PhysicalAddresses",
	"contacts:PhysicalAddress:City":            "PhysicalAddresses",
	"contacts:PhysicalAddress:State":           "PhysicalAddresses",
	"contacts:PhysicalAddress:CountryOrRegion": "PhysicalAddresses",
	"contacts:PhysicalAddress:PostalCode":      "PhysicalAddresses",
	"contacts:PhoneNumber":                     "PhoneNumbers",
	"contacts:EmailAddress":                    "EmailAddresses",
	"distributionlist:Members:Member":          "",
}

// readOnlyItemFields are the item properties the store computes: setting, appending to or
// deleting them fails (ErrorInvalidPropertySet, …Append, …Delete). The contact
// dictionaries are written entry by entry, through IndexedFieldURI.
var readOnlyItemFields = setOfWords(`item:ItemId item:ParentFolderId item:MimeContent item:Attachments
	item:DateTimeReceived item:Size item:HasAttachments item:InternetMessageHeaders item:InternetMessageHeader
	item:IsAssociated item:IsDraft item:IsFromMe item:IsResend item:IsSubmitted item:IsUnmodified
	item:DateTimeSent item:DateTimeCreated item:ResponseObjects item:DisplayTo item:DisplayCc item:DisplayBcc
	item:EffectiveRights item:LastModifiedName item:LastModifiedTime item:ConversationId item:UniqueBody
	item:StoreEntryId item:InstanceKey item:NormalizedBody item:Preview item:TextBody item:ReminderNextTime
	item:MimeContentUTF8 item:IconIndex item:FirstBody item:CanDelete
	message:ConversationIndex message:ConversationTopic message:ReceivedBy message:ReceivedRepresenting
	meeting:AssociatedCalendarItemId meeting:IsDelegated meeting:IsOutOfDate meeting:HasBeenProcessed
	meeting:ResponseType calendar:OriginalStart calendar:IsMeeting calendar:IsCancelled calendar:IsRecurring
	calendar:MeetingRequestWasSent calendar:CalendarItemType calendar:MyResponseType calendar:Organizer
	calendar:ConflictingMeetingCount calendar:AdjacentMeetingCount calendar:ConflictingMeetings
	calendar:AdjacentMeetings calendar:Duration calendar:TimeZone calendar:AppointmentReplyTime
	calendar:AppointmentSequenceNumber calendar:AppointmentState calendar:FirstOccurrence
	calendar:LastOccurrence calendar:ModifiedOccurrences calendar:DeletedOccurrences calendar:UID
	calendar:RecurrenceId calendar:DateTimeStamp calendar:IsOrganizer
	contacts:CompleteName contacts:DirectoryId contacts:DirectReports contacts:ManagerMailbox
	contacts:HasPicture contacts:Photo contacts:EmailAddresses contacts:PhoneNumbers
	contacts:PhysicalAddresses contacts:ImAddresses postitem:PostedTime`)

// unmodeledItemFields are writable in Exchange, and Item has an element for them, but the
// world gives them no meaning (recurrences are not expanded): updating them is refused
// rather than stored without effect.
var unmodeledItemFields = setOfWords(`calendar:Recurrence task:Recurrence`)

// undeletableItemFields cannot be removed from an item (ErrorInvalidPropertyDelete).
var undeletableItemFields = setOfWords(`item:ItemClass message:IsRead calendar:Start calendar:End`)

// defaultOnDelete gives the value a deleted property falls back to, where Exchange
// reports a default rather than nothing.
var defaultOnDelete = map[string]func(*ews.Item){
	"item:Importance":               func(it *ews.Item) { it.Importance = "Normal" },
	"item:Sensitivity":              func(it *ews.Item) { it.Sensitivity = "Normal" },
	"calendar:LegacyFreeBusyStatus": func(it *ews.Item) { it.LegacyFreeBusyStatus = "Busy" },
	"calendar:IsAllDayEvent":        func(it *ews.Item) { it.IsAllDayEvent = ews.Bool(false) },
}

func setOfWords(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// itemFieldIndex maps an element name ("Subject") to the index of its ews.Item field.
var itemFieldIndex = func() map[string]int {
	m := map[string]int{}
	typ := reflect.TypeFor[ews.Item]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("xml"), ",")
		if local, ok := strings.CutPrefix(name, "t:"); ok {
			m[local] = i
		}
	}
	return m
}()

// checkUpdatePath fails with a schema violation (a fault for the whole request, as
// Exchange's schema validation gives) when an update names no path, or a FieldURI or
// IndexedFieldURI outside the schema's enumerations.
func checkUpdatePath(u *ews.ItemUpdate) error {
	p := u.Path()
	switch {
	case p == nil:
		return &ews.SchemaError{Violation: "The element '" + strings.TrimPrefix(u.Kind(), "t:") +
			"' has incomplete content. List of possible elements expected: 'Path'."}
	case u.FieldURI != nil:
		if validFieldURI(p.FieldURI) {
			return nil
		}
		return fieldURIViolation(p.FieldURI, "UnindexedFieldURIType")
	case u.IndexedFieldURI != nil:
		if !validDictionaryURI(p.FieldURI) {
			return fieldURIViolation(p.FieldURI, "DictionaryURIType")
		}
		if p.FieldIndex == "" {
			return &ews.SchemaError{Violation: "The required attribute 'FieldIndex' is missing."}
		}
	}
	return nil
}

func fieldURIViolation(uri, typ string) error {
	return &ews.SchemaError{Violation: "The 'FieldURI' attribute is invalid - The value '" + uri +
		"' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:" +
		typ + "' - The Enumeration constraint failed."}
}

func uriPrefix(uri string) string {
	p, _, _ := strings.Cut(uri, ":")
	return p
}

func updateErr(code, text string) error { return &ews.ResponseError{Code: code, Message: text} }

// Messages Exchange gives for refused updates.
const (
	msgSetInvalid      = "Set action is invalid for property."
	msgAppendInvalid   = "Append action is invalid for property."
	msgDeleteInvalid   = "Delete action is invalid for property."
	msgPropertyRequest = "The property is not valid for this object type."
	msgPropertyCount   = "An object within a change description must contain one and only one property to modify."
	msgPropertyMatch   = "The property in the update does not match the property in the path."
)

// refusedAction is the error for an update kind the property does not support.
func refusedAction(kind string) error {
	switch kind {
	case ews.UpdateAppend:
		return updateErr(codeInvalidPropertyAppend, msgAppendInvalid)
	case ews.UpdateDelete:
		return updateErr(codeInvalidPropertyDelete, msgDeleteInvalid)
	}
	return updateErr(ews.ErrorInvalidPropertySet, msgSetInvalid)
}

// isMessageKind reports whether kind is MessageType or one of its meeting subtypes, the
// items MessageDisposition applies to.
func isMessageKind(kind string) bool {
	switch kind {
	case ews.KindMessage, ews.KindMeetingMessage, ews.KindMeetingRequest, ews.KindMeetingResponse, ews.KindMeetingCancellation:
		return true
	}
	return false
}

// pathPrefixApplies reports whether properties with a URI prefix exist on items of kind.
func pathPrefixApplies(prefix, kind string) bool {
	switch prefix {
	case "item":
		return true
	case "message":
		return isMessageKind(kind) || kind == ews.KindPostItem
	case "meeting":
		return isMessageKind(kind) && kind != ews.KindMessage
	case "meetingRequest":
		return kind == ews.KindMeetingRequest
	case "calendar":
		return kind == ews.KindCalendarItem || isMessageKind(kind) && kind != ews.KindMessage
	case "task":
		return kind == ews.KindTask
	case "contacts":
		return kind == ews.KindContact || kind == ews.KindDistributionList
	case "postitem":
		return kind == ews.KindPostItem
	case "distributionlist":
		return kind == ews.KindDistributionList
	}
	return false
}

// kindHasElement reports whether items of kind carry the element (as ews.Item writes the
// kind's schema type).
func kindHasElement(kind, elem string) bool { return ews.KindHasElement(kind, elem) }

// updatedProperty counts the properties an update's item carries (each dictionary entry,
// each address part and each extended property counting as one) and returns the index of
// the (last) Item field set.
func updatedProperty(it *ews.Item) (n, field int) {
	field = -1
	v := reflect.ValueOf(it).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).Name == "XMLName" || v.Field(i).IsZero() {
			continue
		}
		field = i
		switch x := v.Field(i).Interface().(type) {
		case *ews.EmailAddresses:
			n += len(x.Entries)
		case *ews.PhoneNumbers:
			n += len(x.Entries)
		case *ews.ImAddresses:
			n += len(x.Entries)
		case *ews.PhysicalAddresses:
			for _, e := range x.Entries {
				n += len(addressParts(&e))
			}
		case []ews.ExtendedProperty:
			n += len(x)
		default:
			n++
		}
	}
	return n, field
}

// addressParts returns the pointers to an address entry's parts that are set, by the
// part's name in contacts:PhysicalAddress:<part>.
func addressParts(e *ews.PhysicalAddressEntry) map[string]*string {
	out := map[string]*string{}
	for name, p := range map[string]*string{"Street": &e.Street, "City": &e.City, "State": &e.State,
		"CountryOrRegion": &e.CountryOrRegion, "PostalCode": &e.PostalCode} {
		if *p != "" {
			out[name] = p
		}
	}
	return out
}

func addressPart(e *ews.PhysicalAddressEntry, name string) *string {
	switch name {
	case "Street":
		return &e.Street
	case "City":
		return &e.City
	case "State":
		return &e.State
	case "CountryOrRegion":
		return &e.CountryOrRegion
	case "PostalCode":
		return &e.PostalCode
	}
	return nil
}

// applyItemUpdate applies one field update to it, a full item. The path was checked by
// checkUpdatePath.
func applyItemUpdate(it *ews.Item, u *ews.ItemUpdate) error {
	p := u.Path()
	kind := u.Kind()
	if u.ExtendedFieldURI != nil {
		return applyExtendedUpdate(it, u, p)
	}
	uri := p.FieldURI
	prefix := uriPrefix(uri)
	if nonItemFieldPrefixes[prefix] || !pathPrefixApplies(prefix, it.Kind()) {
		return updateErr(codeInvalidPropertyRequest, msgPropertyRequest)
	}
	if readOnlyItemFields[uri] || unmodeledItemFields[uri] {
		return refusedAction(kind)
	}
	if u.IndexedFieldURI != nil {
		return applyIndexedUpdate(it, u, p)
	}
	elem := strings.TrimPrefix(uri, prefix+":")
	idx, modeled := itemFieldIndex[elem]
	if !modeled {
		return refusedAction(kind)
	}
	if !kindHasElement(it.Kind(), elem) {
		return updateErr(codeInvalidPropertyRequest, msgPropertyRequest)
	}
	target := reflect.ValueOf(it).Elem().Field(idx)
	if kind == ews.UpdateDelete {
		if undeletableItemFields[uri] {
			return refusedAction(kind)
		}
		target.SetZero()
		if def := defaultOnDelete[uri]; def != nil {
			def(it)
		}
		return nil
	}
	if u.Item == nil {
		return updateErr(ews.ErrorIncorrectUpdatePropertyCount, msgPropertyCount)
	}
	n, field := updatedProperty(u.Item)
	if n == 0 && target.Kind() == reflect.String && kind == ews.UpdateSet {
		target.SetString("") // <t:Subject/>: the empty string
		return nil
	}
	if n != 1 {
		return updateErr(ews.ErrorIncorrectUpdatePropertyCount, msgPropertyCount)
	}
	if field != idx {
		return updateErr(codeUpdatePropertyMismatch, msgPropertyMatch)
	}
	src := cloneItem(*u.Item)
	value := reflect.ValueOf(&src).Elem().Field(idx)
	if kind == ews.UpdateSet {
		target.Set(value)
		return nil
	}
	return appendItemField(it, elem, &src)
}

// appendItemField appends the value of elem in src to it's: recipients, attendees and
// the body (of the same body type) support appending.
func appendItemField(it *ews.Item, elem string, src *ews.Item) error {
	appendRecipients := func(dst **ews.Recipients, add *ews.Recipients) {
		if *dst == nil {
			*dst = &ews.Recipients{}
		}
		(*dst).Mailboxes = append((*dst).Mailboxes, add.Mailboxes...)
	}
	appendAttendees := func(dst **ews.Attendees, add *ews.Attendees) {
		if *dst == nil {
			*dst = &ews.Attendees{}
		}
		(*dst).Attendees = append((*dst).Attendees, add.Attendees...)
	}
	switch elem {
	case "ToRecipients":
		appendRecipients(&it.ToRecipients, src.ToRecipients)
	case "CcRecipients":
		appendRecipients(&it.CcRecipients, src.CcRecipients)
	case "BccRecipients":
		appendRecipients(&it.BccRecipients, src.BccRecipients)
	case "ReplyTo":
		appendRecipients(&it.ReplyTo, src.ReplyTo)
	case "RequiredAttendees":
		appendAttendees(&it.RequiredAttendees, src.RequiredAttendees)
	case "OptionalAttendees":
		appendAttendees(&it.OptionalAttendees, src.OptionalAttendees)
	case "Resources":
		appendAttendees(&it.Resources, src.Resources)
	case "Body":
		switch {
		case it.Body == nil:
			it.Body = src.Body
		case !strings.EqualFold(it.Body.BodyType, src.Body.BodyType):
			return updateErr(codeInvalidPropertyAppend, msgAppendInvalid)
		default:
			it.Body.Value += src.Body.Value
		}
	default:
		return updateErr(codeInvalidPropertyAppend, msgAppendInvalid)
	}
	return nil
}

// applyIndexedUpdate sets or deletes one entry (or one address part) of a contact's
// dictionaries.
func applyIndexedUpdate(it *ews.Item, u *ews.ItemUpdate, p *ews.PropertyPath) error {
	kind := u.Kind()
	elem := indexedItemFields[p.FieldURI]
	if elem == "" {
		return refusedAction(kind)
	}
	if !kindHasElement(it.Kind(), elem) {
		return updateErr(codeInvalidPropertyRequest, msgPropertyRequest)
	}
	if kind == ews.UpdateAppend {
		return refusedAction(kind)
	}
	key := p.FieldIndex
	part := strings.TrimPrefix(p.FieldURI, "contacts:PhysicalAddress:")
	if kind == ews.UpdateDelete {
		switch elem {
		case "EmailAddresses":
			if it.EmailAddresses != nil {
				it.EmailAddresses.Entries = deleteKeyed(it.EmailAddresses.Entries, key, func(e ews.EmailAddressEntry) string { return e.Key })
			}
		case "PhoneNumbers":
			if it.PhoneNumbers != nil {
				it.PhoneNumbers.Entries = deleteKeyed(it.PhoneNumbers.Entries, key, func(e ews.PhoneNumberEntry) string { return e.Key })
			}
		case "ImAddresses":
			if it.ImAddresses != nil {
				it.ImAddresses.Entries = deleteKeyed(it.ImAddresses.Entries, key, func(e ews.ImAddressEntry) string { return e.Key })
			}
		case "PhysicalAddresses":
			if it.PhysicalAddresses != nil {
				es := it.PhysicalAddresses.Entries
				for i := range es {
					if es[i].Key == key {
						*addressPart(&es[i], part) = ""
					}
				}
				it.PhysicalAddresses.Entries = deleteWhere(es, func(e ews.PhysicalAddressEntry) bool { return len(addressParts(&e)) == 0 })
			}
		}
		tidyContactDictionaries(it)
		return nil
	}
	if u.Item == nil {
		return updateErr(ews.ErrorIncorrectUpdatePropertyCount, msgPropertyCount)
	}
	n, field := updatedProperty(u.Item)
	if n != 1 {
		return updateErr(ews.ErrorIncorrectUpdatePropertyCount, msgPropertyCount)
	}
	if field != itemFieldIndex[elem] {
		return updateErr(codeUpdatePropertyMismatch, msgPropertyMatch)
	}
	src := cloneItem(*u.Item)
	mismatch := updateErr(codeUpdatePropertyMismatch, msgPropertyMatch)
	switch elem {
	case "EmailAddresses":
		e := src.EmailAddresses.Entries[0]
		if e.Key != key {
			return mismatch
		}
		if it.EmailAddresses == nil {
			it.EmailAddresses = &ews.EmailAddresses{}
		}
		it.EmailAddresses.Entries = upsertKeyed(it.EmailAddresses.Entries, e, func(e ews.EmailAddressEntry) string { return e.Key })
	case "PhoneNumbers":
		e := src.PhoneNumbers.Entries[0]
		if e.Key != key {
			return mismatch
		}
		if it.PhoneNumbers == nil {
			it.PhoneNumbers = &ews.PhoneNumbers{}
		}
		it.PhoneNumbers.Entries = upsertKeyed(it.PhoneNumbers.Entries, e, func(e ews.PhoneNumberEntry) string { return e.Key })
	case "ImAddresses":
		e := src.ImAddresses.Entries[0]
		if e.Key != key {
			return mismatch
		}
		if it.ImAddresses == nil {
			it.ImAddresses = &ews.ImAddresses{}
		}
		it.ImAddresses.Entries = upsertKeyed(it.ImAddresses.Entries, e, func(e ews.ImAddressEntry) string { return e.Key })
	case "PhysicalAddresses":
		var e *ews.PhysicalAddressEntry
		for i := range src.PhysicalAddresses.Entries {
			if len(addressParts(&src.PhysicalAddresses.Entries[i])) > 0 {
				e = &src.PhysicalAddresses.Entries[i]
			}
		}
		value, ok := addressParts(e)[part]
		if e.Key != key || !ok {
			return mismatch
		}
		if it.PhysicalAddresses == nil {
			it.PhysicalAddresses = &ews.PhysicalAddresses{}
		}
		es := it.PhysicalAddresses.Entries
		i := 0
		for i < len(es) && es[i].Key != key {
			i++
		}
		if i == len(es) {
			es = append(es, ews.PhysicalAddressEntry{Key: key})
		}
		*addressPart(&es[i], part) = *value
		it.PhysicalAddresses.Entries = es
	}
	return nil
}

// tidyContactDictionaries drops dictionaries left without entries, as Exchange then
// reports no such element.
func tidyContactDictionaries(it *ews.Item) {
	if it.EmailAddresses != nil && len(it.EmailAddresses.Entries) == 0 {
		it.EmailAddresses = nil
	}
	if it.PhoneNumbers != nil && len(it.PhoneNumbers.Entries) == 0 {
		it.PhoneNumbers = nil
	}
	if it.ImAddresses != nil && len(it.ImAddresses.Entries) == 0 {
		it.ImAddresses = nil
	}
	if it.PhysicalAddresses != nil && len(it.PhysicalAddresses.Entries) == 0 {
		it.PhysicalAddresses = nil
	}
}

func upsertKeyed[E any](es []E, e E, key func(E) string) []E {
	for i := range es {
		if key(es[i]) == key(e) {
			es[i] = e
			return es
		}
	}
	return append(es, e)
}

func deleteKeyed[E any](es []E, k string, key func(E) string) []E {
	return deleteWhere(es, func(e E) bool { return key(e) == k })
}

func deleteWhere[E any](es []E, drop func(E) bool) []E {
	out := es[:0]
	for _, e := range es {
		if !drop(e) {
			out = append(out, e)
		}
	}
	return out
}

// applyExtendedUpdate sets or deletes one extended (MAPI) property.
func applyExtendedUpdate(it *ews.Item, u *ews.ItemUpdate, p *ews.PropertyPath) error {
	key := extendedPropertyKey(*p)
	switch u.Kind() {
	case ews.UpdateAppend:
		return refusedAction(u.Kind())
	case ews.UpdateDelete:
		it.ExtendedProperties = deleteWhere(it.ExtendedProperties, func(e ews.ExtendedProperty) bool {
			return extendedPropertyKey(e.ExtendedFieldURI) == key
		})
		if len(it.ExtendedProperties) == 0 {
			it.ExtendedProperties = nil
		}
		return nil
	}
	if u.Item == nil {
		return updateErr(ews.ErrorIncorrectUpdatePropertyCount, msgPropertyCount)
	}
	n, field := updatedProperty(u.Item)
	if n != 1 {
		return updateErr(ews.ErrorIncorrectUpdatePropertyCount, msgPropertyCount)
	}
	if field != itemFieldIndex["ExtendedProperty"] || extendedPropertyKey(u.Item.ExtendedProperties[0].ExtendedFieldURI) != key {
		return updateErr(codeUpdatePropertyMismatch, msgPropertyMatch)
	}
	e := cloneItem(*u.Item).ExtendedProperties[0]
	it.ExtendedProperties = upsertKeyed(it.ExtendedProperties, e, func(e ews.ExtendedProperty) string {
		return extendedPropertyKey(e.ExtendedFieldURI)
	})
	return nil
}

// extendedPropertyKey identifies an extended property whatever the spelling of its path:
// tags and ids compare as numbers, set GUIDs case-insensitively.
func extendedPropertyKey(p ews.PropertyPath) string {
	num := func(s string) string {
		s = strings.TrimSpace(s)
		base := 10
		if t, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
			s, base = t, 16
		}
		if n, err := strconv.ParseUint(s, base, 32); err == nil {
			return strconv.FormatUint(n, 10)
		}
		return s
	}
	return strings.Join([]string{num(p.PropertyTag), strings.ToLower(p.PropertySetId), p.DistinguishedPropertySetId,
		p.PropertyName, num(p.PropertyId), p.PropertyType}, "\x00")
}

// finishItemUpdate recomputes what the store derives from updated properties and checks
// the result: display lists of recipients, a calendar item's duration (its end may not
// precede its start), a contact's computed names.
func finishItemUpdate(before, it *ews.Item) error {
	if isMessageKind(it.Kind()) && (!reflect.DeepEqual(it.ToRecipients, before.ToRecipients) || !reflect.DeepEqual(it.CcRecipients, before.CcRecipients)) {
		it.DisplayTo, it.DisplayCc = "", ""
		if it.ToRecipients != nil {
			it.DisplayTo = displayList(it.ToRecipients.Mailboxes)
		}
		if it.CcRecipients != nil {
			it.DisplayCc = displayList(it.CcRecipients.Mailboxes)
		}
	}
	if it.Kind() == ews.KindCalendarItem && (!it.Start.Equal(before.Start.Time) || !it.End.Equal(before.End.Time)) {
		if it.End.Before(it.Start.Time) {
			return updateErr(codeCalendarEndBeforeStart, "EndDate is earlier than StartDate")
		}
		it.Duration = isoDuration(it.End.Sub(it.Start.Time))
	}
	if it.Kind() == ews.KindContact && (it.GivenName != before.GivenName || it.Surname != before.Surname) {
		oldDisplay := strings.TrimSpace(before.GivenName + " " + before.Surname)
		newDisplay := strings.TrimSpace(it.GivenName + " " + it.Surname)
		fileAs := func(given, surname, display string) string {
			if given != "" && surname != "" {
				return surname + ", " + given
			}
			return display
		}
		if it.DisplayName == oldDisplay && before.DisplayName == oldDisplay {
			it.DisplayName = newDisplay
		}
		if it.Subject == oldDisplay && before.Subject == oldDisplay {
			it.Subject = newDisplay
		}
		if it.FileAs == before.FileAs && before.FileAs == fileAs(before.GivenName, before.Surname, oldDisplay) {
			it.FileAs = fileAs(it.GivenName, it.Surname, newDisplay)
		}
	}
	return nil
}
