package exchangesim

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Response codes of UpdateItem the ews package has no constant for.
const (
	codeSendInvitationsOrCancellationsRequired = "ErrorSendMeetingInvitationsOrCancellationsRequired"
	codeInvalidChangeKey                       = "ErrorInvalidChangeKey"
	codeInvalidIdEmpty                         = "ErrorInvalidIdEmpty"
	codeOccurrenceOutOfRange                   = "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange"
	codeNotRecurringMaster                     = "ErrorCalendarCannotUseIdForRecurringMasterId"
)

// UpdateItem implements ewsserver.UpdateItemBackend: one message per ItemChange, in
// request order, each with the item's id and new ChangeKey (or, for a draft sent with
// SendOnly or SendAndSaveCopy, an empty Items: the draft is gone). Each change is
// applied to the item as a whole or not at all. NeverOverwrite refuses a stale ChangeKey
// (ErrorIrresolvableConflict); AutoResolve and AlwaysOverwrite apply the change anyway.
// A change of the read flag alone is a read-flag change (SyncFolderItems'
// ReadFlagChange).
func (s *Simulator) UpdateItem(ctx context.Context, c *ewsserver.Call, req *ews.UpdateItemRequest) (*ews.UpdateItemResponse, error) {
	if err := checkAttrEnum("ConflictResolution", "ConflictResolutionType", req.ConflictResolution, true,
		ews.NeverOverwrite, ews.AutoResolve, ews.AlwaysOverwrite); err != nil {
		return nil, err
	}
	if err := checkAttrEnum("MessageDisposition", "MessageDispositionType", req.MessageDisposition, false,
		ews.SaveOnly, ews.SendOnly, ews.SendAndSaveCopy); err != nil {
		return nil, err
	}
	if err := checkAttrEnum("SendMeetingInvitationsOrCancellations", "CalendarItemUpdateOperationType",
		req.SendMeetingInvitationsOrCancellations, false, ews.SendToNone, ews.SendOnlyToAll, ews.SendOnlyToChanged,
		ews.SendToAllAndSaveCopy, ews.SendToChangedAndSaveCopy); err != nil {
		return nil, err
	}
	for i := range req.ItemChanges {
		for j := range req.ItemChanges[i].Updates.Updates {
			if err := checkUpdatePath(&req.ItemChanges[i].Updates.Updates[j]); err != nil {
				return nil, err
			}
		}
	}
	var saveIn *ews.BaseFolderId
	if req.SavedItemFolderId != nil && len(req.SavedItemFolderId.Ids) > 0 {
		saveIn = &req.SavedItemFolderId.Ids[0]
	}
	mb, mbErr := s.mailbox(ctx, c)
	resp := &ews.UpdateItemResponse{}
	for i := range req.ItemChanges {
		msg := ews.UpdateItemResponseMessage{}
		var updated *ews.Item
		err := mbErr
		if err == nil {
			updated, err = s.updateItem(ctx, c, mb, req, saveIn, &req.ItemChanges[i])
		}
		if err != nil {
			msg.ResponseMessage = ews.FailureFrom(err)
		} else {
			msg.ResponseMessage = ews.Success()
			if updated != nil {
				msg.Items.Items = []ews.Item{*updated}
			}
			msg.ConflictResults = &ews.ConflictResults{Count: 0}
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

// updateItem applies one ItemChange; a nil item (and no error) means the draft was sent.
func (s *Simulator) updateItem(ctx context.Context, c *ewsserver.Call, mb *Mailbox, req *ews.UpdateItemRequest,
	saveIn *ews.BaseFolderId, change *ews.ItemChange) (*ews.Item, error) {
	switch {
	case change.OccurrenceItemId != nil:
		if _, err := mb.Item(change.OccurrenceItemId.RecurringMasterId); err != nil {
			return nil, err
		}
		return nil, updateErr(codeOccurrenceOutOfRange, "Occurrence index is out of recurrence range.")
	case change.RecurringMasterItemId != nil:
		if _, err := mb.Item(change.RecurringMasterItemId.OccurrenceId); err != nil {
			return nil, err
		}
		return nil, updateErr(codeNotRecurringMaster, "The Id of a recurring master is required.")
	case change.ItemId == nil || change.ItemId.Id == "":
		return nil, updateErr(codeInvalidIdEmpty, "Id must be non-empty.")
	}
	id := *change.ItemId
	if err := checkItemID(id.Id); err != nil {
		return nil, err
	}
	if id.ChangeKey != "" {
		if _, ok := parseChangeKey(id.ChangeKey); !ok {
			return nil, updateErr(codeInvalidChangeKey, "The change key is invalid.")
		}
	}
	if req.ConflictResolution != ews.NeverOverwrite {
		id.ChangeKey = "" // AutoResolve and AlwaysOverwrite write over newer versions
	}
	sending := req.MessageDisposition == ews.SendOnly || req.MessageDisposition == ews.SendAndSaveCopy
	var sendRef FolderRef
	var sendRefErr error
	if req.MessageDisposition == ews.SendAndSaveCopy {
		sendRef, sendRefErr = s.savedItemFolder(c, mb, saveIn, "sentitems", "", "")
	}
	var kind string
	var out *ews.Item
	nid, err := mb.UpdateItem(id, func(it *ews.Item) error {
		kind = it.Kind()
		switch {
		case isMessageKind(kind) && req.MessageDisposition == "":
			return updateErr(codeMessageDispositionRequired, msgMessageDispositionRequired)
		case kind == ews.KindCalendarItem && req.SendMeetingInvitationsOrCancellations == "":
			return updateErr(codeSendInvitationsOrCancellationsRequired,
				"SendMeetingInvitationsOrCancellations attribute is required for calendar items.")
		}
		before := cloneItem(*it)
		for j := range change.Updates.Updates {
			if err := applyItemUpdate(it, &change.Updates.Updates[j]); err != nil {
				return err
			}
		}
		s.resolveRecipients(it) // reads the directory only: safe under mb's lock
		if err := finishItemUpdate(&before, it); err != nil {
			return err
		}
		if !sending || !isMessageKind(kind) {
			return nil
		}
		if it.IsDraft == nil || !*it.IsDraft {
			return updateErr(ews.ErrorInvalidOperation, "Only a draft message can be sent.")
		}
		if sendRefErr != nil {
			return sendRefErr
		}
		o, err := s.outgoing(mb, *it) // reads the directory only: safe under mb's lock
		out = &o
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return &ews.Item{XMLName: xmlName(kind), ItemId: &nid}, nil
	}
	return nil, s.sendDraft(ctx, mb, nid, *out, sendRef, req.MessageDisposition == ews.SendAndSaveCopy)
}

// checkItemID gives Exchange's answer to an id that cannot name an item: malformed, or a
// folder's.
func checkItemID(id string) error {
	o, ok := parseID(id)
	switch {
	case !ok:
		return errIDMalformed()
	case o.kind == idKindFolder:
		return updateErr("ErrorCannotUseFolderIdForItemId", "The folder id cannot be used as an item id.")
	}
	return nil
}

// sendDraft sends an updated draft: the recipients receive it, the sender keeps a copy
// (SendAndSaveCopy) and the draft is gone, as after Exchange submits it.
func (s *Simulator) sendDraft(ctx context.Context, mb *Mailbox, id ews.ItemId, out ews.Item, ref FolderRef, saveCopy bool) error {
	if saveCopy {
		if _, err := mb.CreateItem(ref, sentCopy(out)); err != nil {
			return err
		}
	}
	if _, err := s.world.Deliver(ctx, out); err != nil {
		return err
	}
	return mb.DeleteItem(id.Id, HardDelete)
}
