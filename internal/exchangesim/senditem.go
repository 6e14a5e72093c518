package exchangesim

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// SendItem implements ewsserver.SendItemBackend: one message per id, in request order,
// with no payload. Each draft is sent as CreateItem and UpdateItem send one (the
// recipients' Inboxes receive it, from the mailbox's owner) and is then gone from its
// folder; with SaveItemToFolder the sender keeps a copy in SavedItemFolderId, or in Sent
// Items. Per-id errors: a malformed id (ErrorInvalidIdMalformed), an item that is gone
// (ErrorItemNotFound), a ChangeKey that is not the item's current one (ErrorStaleObject;
// none means the current one), an item that is not a message — occurrence and recurring
// master ids included (ErrorInvalidItemForOperationSendItem), a message that is not a
// draft (ErrorInvalidOperation), one without recipients (ErrorInvalidRecipients), and a
// SavedItemFolderId that is not the mailbox's (ErrorSavedItemFolderNotFound).
// SavedItemFolderId with SaveItemToFolder false fails every id with
// ErrorInvalidSendItemSaveSettings; a missing SaveItemToFolder is a schema fault.
func (s *Simulator) SendItem(ctx context.Context, c *ewsserver.Call, req *ews.SendItemRequest) (*ews.SendItemResponse, error) {
	if req.SaveItemToFolder == nil {
		return nil, &ews.SchemaError{Violation: "The required attribute 'SaveItemToFolder' is missing."}
	}
	var saveIn *ews.BaseFolderId
	if req.SavedItemFolderId != nil && len(req.SavedItemFolderId.Ids) > 0 {
		saveIn = &req.SavedItemFolderId.Ids[0]
	}
	saveCopy := *req.SaveItemToFolder
	mb, reqErr := s.mailbox(ctx, c)
	if reqErr == nil && saveIn != nil && !saveCopy {
		reqErr = updateErr(ews.ErrorInvalidSendItemSaveSettings,
			"SavedItemFolderId cannot be specified when SaveItemToFolder is false.")
	}
	var ref FolderRef
	var refErr error
	if reqErr == nil && saveCopy {
		ref, refErr = s.savedItemFolder(c, mb, saveIn, "sentitems", "", "")
	}
	resp := &ews.SendItemResponse{}
	for _, id := range req.ItemIds.Ids {
		err := reqErr
		if err == nil {
			err = s.sendItem(ctx, mb, id, ref, refErr, saveCopy)
		}
		msg := ews.SendItemResponseMessage{ResponseMessage: ews.Success()}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			msg.ResponseMessage = ews.FailureFrom(err)
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

// sendItem sends one draft. The checks and the outgoing copy are made under the mailbox's
// lock, against the item's current version (UpdateItem with a function that changes
// nothing), so a stale ChangeKey is caught as it would be for an update.
func (s *Simulator) sendItem(ctx context.Context, mb *Mailbox, ref ews.BaseItemId, saveIn FolderRef, saveInErr error, saveCopy bool) error {
	notMessage := updateErr(ews.ErrorInvalidItemForOperationSendItem, "The item is not a message and cannot be sent.")
	switch ref.XMLName.Local {
	case "t:OccurrenceItemId":
		if _, err := mb.Item(ref.RecurringMasterId); err != nil {
			return err
		}
		return notMessage
	case "t:RecurringMasterItemId":
		if _, err := mb.Item(ref.OccurrenceId); err != nil {
			return err
		}
		return notMessage
	}
	if ref.Id == "" {
		return updateErr(codeInvalidIdEmpty, "Id must be non-empty.")
	}
	if err := checkItemID(ref.Id); err != nil {
		return err
	}
	if ref.ChangeKey != "" {
		if _, ok := parseChangeKey(ref.ChangeKey); !ok {
			return updateErr(codeInvalidChangeKey, "The change key is invalid.")
		}
	}
	var out ews.Item
	id, err := mb.UpdateItem(ews.ItemId{Id: ref.Id, ChangeKey: ref.ChangeKey}, func(it *ews.Item) error {
		switch {
		case !isMessageKind(it.Kind()):
			return notMessage
		case it.IsDraft == nil || !*it.IsDraft:
			return updateErr(ews.ErrorInvalidOperation, "Only a draft message can be sent.")
		case saveInErr != nil:
			return saveInErr
		}
		var err error
		out, err = s.outgoing(mb, *it) // reads the directory only: safe under mb's lock
		return err
	})
	if ews.Code(err) == codeIrresolvableConflict {
		return updateErr(ews.ErrorStaleObject, "The change key passed in the request does not match the current change key for the item.")
	}
	if err != nil {
		return err
	}
	return s.sendDraft(ctx, mb, id, out, saveIn, saveCopy)
}
