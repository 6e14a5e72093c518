package exchangesim

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Response codes of CreateItem (and of sending from UpdateItem) the ews package has no
// constant for.
const (
	codeMessageDispositionRequired     = "ErrorMessageDispositionRequired"
	codeSendMeetingInvitationsRequired = "ErrorSendMeetingInvitationsRequired"
	codeInvalidRecipients              = "ErrorInvalidRecipients"
	codeSavedItemFolderNotFound        = "ErrorSavedItemFolderNotFound"
	codeSendAsDenied                   = "ErrorSendAsDenied"
	codeCalendarInNonCalendarFolder    = "ErrorCannotCreateCalendarItemInNonCalendarFolder"
	codeContactInNonContactFolder      = "ErrorCannotCreateContactInNonContactFolder"
	codeTaskInNonTaskFolder            = "ErrorCannotCreateTaskInNonTaskFolder"
	codePostItemInNonMailFolder        = "ErrorCannotCreatePostItemInNonMailFolder"
	msgMessageDispositionRequired      = "MessageDisposition attribute is required."
	msgInvalidRecipients               = "At least one recipient is required, but none were found."
)

// CreateItem implements ewsserver.CreateItemBackend: one message per item, in request
// order. Messages are saved as drafts (SaveOnly), sent to the recipients' Inboxes
// (SendOnly) or sent with a copy in Sent Items (SendAndSaveCopy); sent messages get an
// empty Items, as Exchange gives no id for them. Calendar items with attendees send
// meeting requests unless SendMeetingInvitations is SendToNone.
func (s *Simulator) CreateItem(ctx context.Context, c *ewsserver.Call, req *ews.CreateItemRequest) (*ews.CreateItemResponse, error) {
	if err := checkAttrEnum("MessageDisposition", "MessageDispositionType", req.MessageDisposition, false,
		ews.SaveOnly, ews.SendOnly, ews.SendAndSaveCopy); err != nil {
		return nil, err
	}
	if err := checkAttrEnum("SendMeetingInvitations", "CalendarItemCreateOrDeleteOperationType", req.SendMeetingInvitations, false,
		ews.SendToNone, ews.SendOnlyToAll, ews.SendToAllAndSaveCopy); err != nil {
		return nil, err
	}
	var saveIn *ews.BaseFolderId
	if req.SavedItemFolderId != nil && len(req.SavedItemFolderId.Ids) > 0 {
		saveIn = &req.SavedItemFolderId.Ids[0]
	}
	mb, mbErr := s.mailbox(ctx, c)
	resp := &ews.CreateItemResponse{}
	for _, it := range req.Items.Items {
		msg := ews.CreateItemResponseMessage{}
		var created *ews.Item
		err := mbErr
		if err == nil {
			created, err = s.createItem(ctx, c, mb, req, saveIn, it)
		}
		if err != nil {
			msg.ResponseMessage = ews.FailureFrom(err)
		} else {
			msg.ResponseMessage = ews.Success()
			if created != nil {
				msg.Items.Items = []ews.Item{*created}
			}
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

// checkAttrEnum fails with a schema violation, as Exchange's schema validation does, when
// an enumerated attribute has a value outside its type (or is missing when required).
func checkAttrEnum(attr, typ, value string, required bool, allowed ...string) error {
	if value == "" {
		if required {
			return &ews.SchemaError{Violation: "The required attribute '" + attr + "' is missing."}
		}
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return &ews.SchemaError{Violation: "The '" + attr + "' attribute is invalid - The value '" + value +
		"' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:" +
		typ + "' - The Enumeration constraint failed."}
}

// createdRef is what a CreateItem response carries for a saved item: its id, in an
// element of its kind.
func createdRef(kind string, id ews.ItemId) *ews.Item {
	return &ews.Item{XMLName: xmlName(kind), ItemId: &id}
}

// createItem creates one item of the request; a nil item (and no error) means it was sent
// and nothing is reported.
func (s *Simulator) createItem(ctx context.Context, c *ewsserver.Call, mb *Mailbox, req *ews.CreateItemRequest,
	saveIn *ews.BaseFolderId, it ews.Item) (*ews.Item, error) {
	if it.XMLName.Local == "" {
		it.XMLName = xmlName(ews.KindMessage)
	}
	if err := checkCreatable(&it); err != nil {
		return nil, err
	}
	it = cloneItem(it)
	s.resolveRecipients(&it)
	kind := it.Kind()
	switch kind {
	case ews.KindMessage:
		return s.createMessage(ctx, c, mb, req.MessageDisposition, saveIn, it)
	case ews.KindCalendarItem:
		return s.createCalendarItem(ctx, c, mb, req.SendMeetingInvitations, saveIn, it)
	case ews.KindItem, ews.KindContact, ews.KindDistributionList, ews.KindTask, ews.KindPostItem:
	default:
		// Meeting messages come from sending meetings; response objects (t:ReplyToItem,
		// t:AcceptItem, …) carry a ReferenceItemId that ews.Item does not model.
		return nil, updateErr(ews.ErrorInvalidRequest, "The simulator cannot create items of type "+
			strings.TrimPrefix(kind, "t:")+".")
	}
	dist, folderKind, code := "drafts", "", ""
	switch kind {
	case ews.KindContact, ews.KindDistributionList:
		dist, folderKind, code = "contacts", ews.KindContactsFolder, codeContactInNonContactFolder
	case ews.KindTask:
		dist, folderKind, code = "tasks", ews.KindTasksFolder, codeTaskInNonTaskFolder
	case ews.KindPostItem:
		dist, folderKind, code = "inbox", ews.KindFolder, codePostItemInNonMailFolder
		if it.IsRead == nil {
			it.IsRead = ews.Bool(true) // the store marks what its owner writes as read
		}
	}
	ref, err := s.savedItemFolder(c, mb, saveIn, dist, folderKind, code)
	if err != nil {
		return nil, err
	}
	id, err := mb.CreateItem(ref, it)
	if err != nil {
		return nil, err
	}
	return createdRef(kind, id), nil
}

// resolveRecipients completes the recipients and attendees of an item as the store does
// when it saves one: names, routing and mailbox types from the directory (or one-off
// addresses for outside ones). Names the client gave are kept, and complete addresses
// are left alone.
func (s *Simulator) resolveRecipients(it *ews.Item) {
	resolve := func(a *ews.EmailAddress) {
		if a.EmailAddress == "" || a.RoutingType != "" && a.RoutingType != "SMTP" || a.Name != "" && a.MailboxType != "" {
			return
		}
		r := s.world.addressOf(a.EmailAddress)
		if a.Name != "" {
			r.Name = a.Name
		}
		r.ItemId = a.ItemId
		*a = r
	}
	for _, rs := range []*ews.Recipients{it.ToRecipients, it.CcRecipients, it.BccRecipients, it.ReplyTo} {
		if rs != nil {
			for i := range rs.Mailboxes {
				resolve(&rs.Mailboxes[i])
			}
		}
	}
	for _, as := range []*ews.Attendees{it.RequiredAttendees, it.OptionalAttendees, it.Resources} {
		if as != nil {
			for i := range as.Attendees {
				resolve(&as.Attendees[i].Mailbox)
			}
		}
	}
}

// createReadOnly are the elements the store sets: a CreateItem that sets one fails with
// ErrorInvalidPropertySet, as Exchange's does.
var createReadOnly = strings.Fields(`ItemId ParentFolderId DateTimeReceived Size HasAttachments IsSubmitted
	IsDraft IsFromMe IsResend IsUnmodified DateTimeSent DateTimeCreated DisplayCc DisplayTo DisplayBcc
	LastModifiedName LastModifiedTime ConversationId ConversationIndex ConversationTopic
	InternetMessageHeaders UniqueBody Preview`)

func checkCreatable(it *ews.Item) error {
	v := reflect.ValueOf(it).Elem()
	for _, name := range createReadOnly {
		if idx, ok := itemFieldIndex[name]; ok && !v.Field(idx).IsZero() {
			return updateErr(ews.ErrorInvalidPropertySet, msgSetInvalid)
		}
	}
	return nil
}

// savedItemFolder resolves where a created item goes: SavedItemFolderId, or the kind's
// default folder. folderKind, when set, is the folder element the item requires (code is
// the error otherwise).
func (s *Simulator) savedItemFolder(c *ewsserver.Call, mb *Mailbox, saveIn *ews.BaseFolderId, dist, folderKind, code string) (FolderRef, error) {
	id := ews.DistinguishedFolder(dist)
	if saveIn != nil {
		id = *saveIn
	}
	f, err := s.folder(mb, nil, c, id)
	if err != nil {
		if ews.Code(err) == ews.ErrorFolderNotFound {
			return FolderRef{}, updateErr(codeSavedItemFolderNotFound, "The specified SavedItemFolderId could not be found.")
		}
		return FolderRef{}, err
	}
	if folderKind != "" && f.Kind() != folderKind {
		return FolderRef{}, updateErr(code, "The item cannot be created in a folder of this type.")
	}
	return FolderByID(f.FolderId.Id), nil
}

// Extended properties migration tools set on CreateItem to import mail as received:
// PR_MESSAGE_FLAGS (read, unsent), PR_MESSAGE_DELIVERY_TIME and PR_CLIENT_SUBMIT_TIME.
var (
	propMessageFlags = extendedPropertyKey(ews.ExtendedTag("0x0E07", "Integer"))
	propDeliveryTime = extendedPropertyKey(ews.ExtendedTag("0x0E06", "SystemTime"))
	propSubmitTime   = extendedPropertyKey(ews.ExtendedTag("0x0039", "SystemTime"))
	msgFlagRead      = 0x1
	msgFlagUnsent    = 0x8
)

func extendedValue(it *ews.Item, key string) (string, bool) {
	for _, e := range it.ExtendedProperties {
		if extendedPropertyKey(e.ExtendedFieldURI) == key {
			return e.Value, true
		}
	}
	return "", false
}

// createMessage creates a message as disposition says.
func (s *Simulator) createMessage(ctx context.Context, c *ewsserver.Call, mb *Mailbox, disposition string,
	saveIn *ews.BaseFolderId, it ews.Item) (*ews.Item, error) {
	switch disposition {
	case "":
		return nil, updateErr(codeMessageDispositionRequired, msgMessageDispositionRequired)
	case ews.SaveOnly:
		ref, err := s.savedItemFolder(c, mb, saveIn, "drafts", "", "")
		if err != nil {
			return nil, err
		}
		id, err := mb.CreateItem(ref, savedMessage(it))
		if err != nil {
			return nil, err
		}
		return createdRef(it.Kind(), id), nil
	}
	var ref FolderRef
	if disposition == ews.SendAndSaveCopy {
		var err error
		if ref, err = s.savedItemFolder(c, mb, saveIn, "sentitems", "", ""); err != nil {
			return nil, err
		}
	}
	out, err := s.outgoing(mb, it)
	if err != nil {
		return nil, err
	}
	if _, err := s.world.Deliver(ctx, out); err != nil {
		return nil, err
	}
	if disposition == ews.SendAndSaveCopy {
		if _, err := mb.CreateItem(ref, sentCopy(out)); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// savedMessage is a message saved by CreateItem SaveOnly: a draft, read, unless
// PR_MESSAGE_FLAGS says otherwise (how imports create received mail); the delivery and
// submit times may come from their extended properties too.
func savedMessage(it ews.Item) ews.Item {
	it = cloneItem(it)
	draft, read := true, true
	if v, ok := extendedValue(&it, propMessageFlags); ok {
		if flags, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			draft, read = flags&msgFlagUnsent != 0, flags&msgFlagRead != 0
		}
		it.ExtendedProperties = deleteWhere(it.ExtendedProperties, func(e ews.ExtendedProperty) bool {
			return extendedPropertyKey(e.ExtendedFieldURI) == propMessageFlags
		})
		if len(it.ExtendedProperties) == 0 {
			it.ExtendedProperties = nil
		}
	}
	if it.IsRead == nil {
		it.IsRead = ews.Bool(read)
	}
	it.IsDraft = ews.Bool(draft)
	if v, ok := extendedValue(&it, propDeliveryTime); ok {
		if t, err := ews.ParseDateTime(v); err == nil {
			it.DateTimeReceived = ews.Date(t)
		}
	}
	if v, ok := extendedValue(&it, propSubmitTime); ok {
		if t, err := ews.ParseDateTime(v); err == nil {
			it.DateTimeSent = ews.Date(t)
		}
	}
	return it
}

func hasRecipients(it *ews.Item) bool {
	for _, rs := range []*ews.Recipients{it.ToRecipients, it.CcRecipients, it.BccRecipients} {
		if rs == nil {
			continue
		}
		for _, a := range rs.Mailboxes {
			if a.EmailAddress != "" {
				return true
			}
		}
	}
	return false
}

// outgoing returns a message as it is sent from mb: checked for recipients and for
// send-as rights, from the owner, with the times and Internet message id of sending.
func (s *Simulator) outgoing(mb *Mailbox, it ews.Item) (ews.Item, error) {
	if !hasRecipients(&it) {
		return ews.Item{}, updateErr(codeInvalidRecipients, msgInvalidRecipients)
	}
	if it.From != nil && it.From.Mailbox.EmailAddress != "" && !sameAddress(s.world, it.From.Mailbox.EmailAddress, mb.SMTP()) {
		return ews.Item{}, updateErr(codeSendAsDenied,
			"The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.")
	}
	out := cloneItem(it)
	now := s.world.now()
	owner := mb.Owner().Address()
	out.ItemId, out.ParentFolderId, out.Size = nil, nil, nil
	out.From, out.Sender = &ews.SingleRecipient{Mailbox: owner}, &ews.SingleRecipient{Mailbox: owner}
	out.IsDraft, out.IsSubmitted, out.IsRead, out.IsFromMe, out.IsUnmodified = ews.Bool(false), nil, nil, nil, nil
	out.DateTimeSent, out.DateTimeReceived, out.DateTimeCreated = ews.Date(now), ews.Date(now), ews.Date(now)
	out.LastModifiedTime, out.LastModifiedName = ews.DateTime{}, ""
	out.DisplayTo, out.DisplayCc, out.DisplayBcc = "", "", ""
	if out.InternetMessageId == "" {
		out.InternetMessageId = s.newInternetMessageID(mb, now)
	}
	out.ExtendedProperties = deleteWhere(out.ExtendedProperties, func(e ews.ExtendedProperty) bool {
		return extendedPropertyKey(e.ExtendedFieldURI) == propMessageFlags
	})
	if len(out.ExtendedProperties) == 0 {
		out.ExtendedProperties = nil
	}
	return out, nil
}

func (s *Simulator) newInternetMessageID(mb *Mailbox, now time.Time) string {
	n := s.msgSeq.Add(1)
	return fmt.Sprintf("<%016x%08x@%s>", mix(mb.seed, uint64(now.UnixNano()), n), uint32(n), mb.Owner().Domain)
}

// sentCopy is the sender's copy of a sent message, for Sent Items.
func sentCopy(out ews.Item) ews.Item {
	c := cloneItem(out)
	c.IsRead = ews.Bool(true)
	c.IsDraft = ews.Bool(false)
	return c
}

// createCalendarItem saves an appointment (or a meeting, when it has attendees) in the
// organizer's calendar and sends the meeting requests SendMeetingInvitations asks for.
func (s *Simulator) createCalendarItem(ctx context.Context, c *ewsserver.Call, mb *Mailbox, mode string,
	saveIn *ews.BaseFolderId, it ews.Item) (*ews.Item, error) {
	if mode == "" {
		return nil, updateErr(codeSendMeetingInvitationsRequired, "SendMeetingInvitations attribute is required for calendar items.")
	}
	ref, err := s.savedItemFolder(c, mb, saveIn, "calendar", ews.KindCalendarFolder, codeCalendarInNonCalendarFolder)
	if err != nil {
		return nil, err
	}
	ev := cloneItem(it)
	if !ev.Start.IsZero() && !ev.End.IsZero() && ev.End.Before(ev.Start.Time) {
		return nil, updateErr(codeCalendarEndBeforeStart, "EndDate is earlier than StartDate")
	}
	ev.Organizer = &ews.SingleRecipient{Mailbox: mb.Owner().Address()}
	ev.MyResponseType, ev.IsOrganizer = "Organizer", ews.Bool(true)
	meeting := len(meetingAddresses(&ev)) > 0
	send := meeting && mode != ews.SendToNone
	ev.IsMeeting, ev.MeetingRequestWasSent = ews.Bool(meeting), ews.Bool(send)
	if meeting && ev.IsResponseRequested == nil {
		ev.IsResponseRequested = ews.Bool(true)
	}
	if ev.UID == "" {
		ev.UID = fmt.Sprintf("040000008200E00074C5B7101A82E008%016X%016X",
			mix(mb.seed, uint64(s.world.now().UnixNano())), mix(mb.seed, s.msgSeq.Add(1)))
	}
	id, err := mb.CreateItem(ref, ev)
	if err != nil {
		return nil, err
	}
	if send {
		saved, err := mb.Item(id.Id)
		if err != nil {
			return nil, err
		}
		if err := s.sendMeetingMessages(ctx, mb, saved, false, mode == ews.SendToAllAndSaveCopy); err != nil {
			return nil, err
		}
	}
	return createdRef(ews.KindCalendarItem, id), nil
}

// meetingAddresses returns the addresses of a meeting's attendees and resources.
func meetingAddresses(ev *ews.Item) []ews.EmailAddress {
	var out []ews.EmailAddress
	for _, as := range []*ews.Attendees{ev.RequiredAttendees, ev.OptionalAttendees, ev.Resources} {
		if as == nil {
			continue
		}
		for _, a := range as.Attendees {
			if a.Mailbox.EmailAddress != "" {
				out = append(out, a.Mailbox)
			}
		}
	}
	return out
}

// meetingAttendeeUsers returns the users with mailboxes a meeting's messages go to
// (groups expanded, each once, the organizer left out).
func (s *Simulator) meetingAttendeeUsers(ev *ews.Item, organizer string) []User {
	var out []User
	seen := map[string]bool{organizer: true}
	add := func(u User) {
		if u.HasMailbox && !seen[u.PrimarySMTP] {
			seen[u.PrimarySMTP] = true
			out = append(out, u)
		}
	}
	dir := s.world.Directory()
	for _, a := range meetingAddresses(ev) {
		if members, ok := dir.ExpandGroup(a.EmailAddress); ok {
			for _, u := range members {
				add(u)
			}
		} else if u, ok := dir.Lookup(a.EmailAddress); ok && strings.Contains(a.EmailAddress, "@") {
			add(u)
		}
	}
	return out
}

// sendMeetingMessages sends a meeting's requests (or, with cancel, its cancellations) from
// its organizer's mailbox mb. Each attendee gets a tentative copy of the meeting in its
// calendar and the request in its Inbox; rooms accept at once and get no request, as room
// mailboxes that process bookings automatically do. A cancellation marks the attendees'
// copies cancelled (rooms drop theirs). saveCopy keeps the message in Sent Items.
func (s *Simulator) sendMeetingMessages(ctx context.Context, mb *Mailbox, ev ews.Item, cancel, saveCopy bool) error {
	now := s.world.now()
	msgID := s.newInternetMessageID(mb, now)
	for _, u := range s.meetingAttendeeUsers(&ev, mb.SMTP()) {
		am, err := s.world.Mailbox(ctx, u.PrimarySMTP)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			continue // removed meanwhile
		}
		room := u.Kind == RecipientRoomMailbox
		var assoc *ews.ItemId
		if cancel {
			for _, id := range am.calendarItemsWithUID(ev.UID) {
				if room {
					_ = am.DeleteItem(id.Id, HardDelete)
					continue
				}
				nid, err := am.UpdateItem(ews.ItemId{Id: id.Id}, func(it *ews.Item) error {
					it.IsCancelled = ews.Bool(true)
					it.LegacyFreeBusyStatus = "Free"
					if !strings.HasPrefix(it.Subject, "Canceled: ") {
						it.Subject = "Canceled: " + it.Subject
					}
					return nil
				})
				if err == nil {
					assoc = &ews.ItemId{Id: nid.Id}
				}
			}
		} else {
			id, err := am.CreateItem(FolderByName("calendar"), attendeeCopy(ev, room))
			if err != nil {
				continue
			}
			assoc = &ews.ItemId{Id: id.Id}
		}
		if room {
			continue
		}
		m := meetingMessage(ev, cancel, assoc, now, msgID)
		if _, err := am.receiveMeetingMessage(m, "inbox"); err != nil && ctx.Err() != nil {
			return err
		}
	}
	if saveCopy {
		var assoc *ews.ItemId
		if !cancel && ev.ItemId != nil {
			assoc = &ews.ItemId{Id: ev.ItemId.Id}
		}
		sent := meetingMessage(ev, cancel, assoc, now, msgID)
		sent.IsRead = ews.Bool(true) // the sender's copy
		if _, err := mb.receiveMeetingMessage(sent, "sentitems"); err != nil {
			return err
		}
	}
	return nil
}

// attendeeCopy is an attendee's copy of a meeting: tentative and unanswered, or, for a
// room, accepted.
func attendeeCopy(ev ews.Item, room bool) ews.Item {
	a := cloneItem(ev)
	a.ItemId, a.ParentFolderId, a.Size = nil, nil, nil
	a.DateTimeCreated, a.DateTimeReceived, a.LastModifiedTime, a.LastModifiedName = ews.DateTime{}, ews.DateTime{}, ews.DateTime{}, ""
	a.IsOrganizer, a.MeetingRequestWasSent = ews.Bool(false), ews.Bool(false)
	a.MyResponseType, a.LegacyFreeBusyStatus = "NoResponseReceived", "Tentative"
	if room {
		a.MyResponseType, a.LegacyFreeBusyStatus = "Accept", ev.LegacyFreeBusyStatus
	}
	return a
}

// meetingMessage is the meeting request (or cancellation) for a meeting.
func meetingMessage(ev ews.Item, cancel bool, assoc *ews.ItemId, now time.Time, msgID string) ews.Item {
	kind, class, subject := ews.KindMeetingRequest, "IPM.Schedule.Meeting.Request", ev.Subject
	if cancel {
		kind, class, subject = ews.KindMeetingCancellation, "IPM.Schedule.Meeting.Canceled", "Canceled: "+ev.Subject
	}
	var to, cc []ews.EmailAddress
	for _, as := range []*ews.Attendees{ev.RequiredAttendees, ev.Resources} {
		if as != nil {
			to = append(to, attendeeAddrs(as.Attendees)...)
		}
	}
	if ev.OptionalAttendees != nil {
		cc = attendeeAddrs(ev.OptionalAttendees.Attendees)
	}
	org := ev.Organizer.Mailbox
	m := ews.Item{
		XMLName: xmlName(kind), ItemClass: class, Subject: subject, Importance: ev.Importance, Sensitivity: ev.Sensitivity,
		From: &ews.SingleRecipient{Mailbox: org}, Sender: &ews.SingleRecipient{Mailbox: org},
		DateTimeSent: ews.Date(now), DateTimeReceived: ews.Date(now), InternetMessageId: msgID,
		ConversationTopic: conversationTopic(ev.Subject), ConversationId: conversationID(conversationTopic(ev.Subject)),
		IsDraft: ews.Bool(false), IsFromMe: ews.Bool(false), IsSubmitted: ews.Bool(false),
		AssociatedCalendarItemId: assoc, UID: ev.UID, Start: ev.Start, End: ev.End, Location: ev.Location,
		CalendarItemType: "Single", ResponseType: "NoResponseReceived", IsOutOfDate: ews.Bool(false),
		IsDelegated: ews.Bool(false), HasBeenProcessed: ews.Bool(true),
	}
	if ev.Body != nil {
		b := *ev.Body
		m.Body = &b
	}
	if len(to) > 0 {
		m.ToRecipients = &ews.Recipients{Mailboxes: to}
		m.DisplayTo = displayList(to)
	}
	if len(cc) > 0 {
		m.CcRecipients = &ews.Recipients{Mailboxes: cc}
		m.DisplayCc = displayList(cc)
	}
	if !cancel {
		m.MeetingRequestType, m.IntendedFreeBusyStatus, m.LegacyFreeBusyStatus = "NewMeetingRequest", ev.LegacyFreeBusyStatus, "Tentative"
		m.Organizer, m.IsAllDayEvent, m.Duration, m.IsMeeting = ev.Organizer, ev.IsAllDayEvent, ev.Duration, ews.Bool(true)
		m.RequiredAttendees, m.OptionalAttendees, m.Resources = ev.RequiredAttendees, ev.OptionalAttendees, ev.Resources
		m.IsResponseRequested, m.MyResponseType = ev.IsResponseRequested, "NoResponseReceived"
	}
	return cloneItem(m)
}

// receiveMeetingMessage stores a meeting message (which World.Deliver, for plain messages
// only, cannot) in one of mb's distinguished folders, with the events delivery gives:
// Created, and NewMail in the Inbox.
func (m *Mailbox) receiveMeetingMessage(it ews.Item, dist string) (ews.ItemId, error) {
	if err := m.begin(); err != nil {
		return ews.ItemId{}, err
	}
	defer m.mu.Unlock()
	f := m.folders[m.byDist[dist]]
	inst, r := m.insertFull(f, cloneItem(it), m.w.now())
	id := m.itemID(f, inst, r)
	m.emitItem(EventCreated, f, id, nil, nil)
	if dist == "inbox" {
		m.emitItem(EventNewMail, f, id, nil, nil)
	}
	return id, nil
}

// calendarItemsWithUID returns the ids of the stored calendar items of the mailbox's
// Calendar with a given UID (the copies of one meeting).
func (m *Mailbox) calendarItemsWithUID(uid string) []ews.ItemId {
	if uid == "" || m.begin() != nil {
		return nil
	}
	defer m.mu.Unlock()
	f := m.folders[m.byDist["calendar"]]
	var out []ews.ItemId
	for i := range f.recs {
		r := &f.recs[i]
		if r.state == recLive && r.full != nil && r.full.UID == uid {
			out = append(out, m.itemID(f, f.base+uint64(i), r))
		}
	}
	return out
}
