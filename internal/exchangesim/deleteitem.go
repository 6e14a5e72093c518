package exchangesim

import (
	"context"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Response codes of DeleteItem the ews package has no constant for.
const (
	codeSendMeetingCancellationsRequired = "ErrorSendMeetingCancellationsRequired"
	codeAffectedTaskOccurrencesRequired  = "ErrorAffectedTaskOccurrencesRequired"
)

// DeleteItem implements ewsserver.DeleteItemBackend: one message per id, in request order,
// with no payload. HardDelete removes the item; SoftDelete moves it to Recoverable Items;
// MoveToDeletedItems moves it to Deleted Items. Calendar items need
// SendMeetingCancellations and tasks AffectedTaskOccurrences; deleting a meeting its
// owner organized cancels it for the attendees unless that is SendToNone.
func (s *Simulator) DeleteItem(ctx context.Context, c *ewsserver.Call, req *ews.DeleteItemRequest) (*ews.DeleteItemResponse, error) {
	if err := checkAttrEnum("DeleteType", "DisposalType", req.DeleteType, true,
		ews.HardDelete, ews.SoftDelete, ews.MoveToDeletedItems); err != nil {
		return nil, err
	}
	if err := checkAttrEnum("SendMeetingCancellations", "CalendarItemCreateOrDeleteOperationType", req.SendMeetingCancellations, false,
		ews.SendToNone, ews.SendOnlyToAll, ews.SendToAllAndSaveCopy); err != nil {
		return nil, err
	}
	if err := checkAttrEnum("AffectedTaskOccurrences", "AffectedTaskOccurrencesType", req.AffectedTaskOccurrences, false,
		ews.AllOccurrences, ews.SpecifiedOccurrenceOnly); err != nil {
		return nil, err
	}
	mode := map[string]DeleteMode{ews.HardDelete: HardDelete, ews.SoftDelete: SoftDelete, ews.MoveToDeletedItems: MoveToDeletedItems}[req.DeleteType]
	mb, mbErr := s.mailbox(ctx, c)
	resp := &ews.DeleteItemResponse{}
	for _, id := range req.ItemIds.Ids {
		err := mbErr
		if err == nil {
			err = s.deleteItem(ctx, mb, req, mode, id)
		}
		msg := ews.DeleteItemResponseMessage{ResponseMessage: ews.Success()}
		if err != nil {
			msg.ResponseMessage = ews.FailureFrom(err)
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

func (s *Simulator) deleteItem(ctx context.Context, mb *Mailbox, req *ews.DeleteItemRequest, mode DeleteMode, ref ews.BaseItemId) error {
	switch ref.XMLName.Local {
	case "t:OccurrenceItemId":
		if _, err := mb.Item(ref.RecurringMasterId); err != nil {
			return err
		}
		return updateErr(codeOccurrenceOutOfRange, "Occurrence index is out of recurrence range.")
	case "t:RecurringMasterItemId":
		if _, err := mb.Item(ref.OccurrenceId); err != nil {
			return err
		}
		return updateErr(codeNotRecurringMaster, "The Id of a recurring master is required.")
	}
	if ref.Id == "" {
		return updateErr(codeInvalidIdEmpty, "Id must be non-empty.")
	}
	if err := checkItemID(ref.Id); err != nil {
		return err
	}
	it, err := mb.Item(ref.Id)
	if err != nil {
		return err
	}
	switch {
	case it.Kind() == ews.KindCalendarItem && req.SendMeetingCancellations == "":
		return updateErr(codeSendMeetingCancellationsRequired, "SendMeetingCancellations attribute is required for Calendar items.")
	case it.Kind() == ews.KindTask && req.AffectedTaskOccurrences == "":
		return updateErr(codeAffectedTaskOccurrencesRequired, "AffectedTaskOccurrences attribute is required for Task items.")
	}
	if err := mb.DeleteItem(ref.Id, mode); err != nil {
		return err
	}
	if it.Kind() == ews.KindCalendarItem && req.SendMeetingCancellations != ews.SendToNone && organizes(mb, &it) &&
		(it.IsCancelled == nil || !*it.IsCancelled) && len(meetingAddresses(&it)) > 0 {
		return s.sendMeetingMessages(ctx, mb, it, true, req.SendMeetingCancellations == ews.SendToAllAndSaveCopy)
	}
	return nil
}

// organizes reports whether mb's owner organizes the meeting ev.
func organizes(mb *Mailbox, ev *ews.Item) bool {
	return ev.Organizer != nil && strings.EqualFold(ev.Organizer.Mailbox.EmailAddress, mb.SMTP())
}
