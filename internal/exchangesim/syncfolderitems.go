package exchangesim

import (
	"context"
	"errors"
	"strconv"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// SyncFolderItems implements ewsserver.SyncFolderItemsBackend: one page of the changes of
// one folder since the request's SyncState (every item, as creates, for an empty state),
// at most MaxChangesReturned, shaped by ItemShape.
//
// What the schema forbids (MaxChangesReturned outside 1–512, an unknown SyncScope,
// BaseShape or FieldURI, other than one SyncFolderId) is an ErrorSchemaValidation fault.
// A corrupt, foreign or expired state is ErrorInvalidSyncStateData in the message. Error
// messages carry IncludesLastItemInRange=true, as Exchange's do: exchangelib reads it (and
// SyncState) before it looks at the response class.
func (s *Simulator) SyncFolderItems(ctx context.Context, c *ewsserver.Call, req *ews.SyncFolderItemsRequest) (*ews.SyncFolderItemsResponse, error) {
	if n := req.MaxChangesReturned; n < 1 || n > ews.MaxSyncChanges {
		facet := "MaxInclusive"
		if n < 1 {
			facet = "MinInclusive"
		}
		return nil, &ews.SchemaError{Violation: "The 'MaxChangesReturned' element is invalid - The value '" + strconv.Itoa(n) +
			"' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:MaxSyncChangesReturnedType' - The " +
			facet + " constraint failed."}
	}
	switch req.SyncScope {
	case "", ews.SyncNormalItems, ews.SyncNormalAndAssociatedItems:
	default:
		return nil, enumViolation("SyncScope", req.SyncScope, "SyncFolderItemsScopeType")
	}
	if len(req.SyncFolderId.Ids) != 1 {
		return nil, &ews.SchemaError{Violation: "The element 'SyncFolderId' must contain exactly one folder id."}
	}
	sh, err := compileItemShape(req.ItemShape, false)
	var schemaErr *ews.SchemaError
	if errors.As(err, &schemaErr) {
		return nil, err
	}
	msg := ews.SyncFolderItemsResponseMessage{}
	if err == nil {
		var changes []ews.SyncFolderItemsChange
		var state string
		var last bool
		changes, state, last, err = s.syncFolderItems(ctx, c, req, sh)
		if err == nil {
			msg.ResponseMessage = ews.Success()
			msg.SyncState, msg.IncludesLastItemInRange = state, ews.Bool(last)
			msg.Changes = &ews.SyncFolderItemsChanges{Changes: changes}
		}
	}
	if err != nil {
		msg.ResponseMessage = ews.FailureFrom(err)
		msg.IncludesLastItemInRange = ews.Bool(true)
	}
	return &ews.SyncFolderItemsResponse{ResponseMessages: []ews.SyncFolderItemsResponseMessage{msg}}, nil
}

func (s *Simulator) syncFolderItems(ctx context.Context, c *ewsserver.Call, req *ews.SyncFolderItemsRequest, sh *itemShaper) ([]ews.SyncFolderItemsChange, string, bool, error) {
	mb, err := s.mailbox(ctx, c)
	if err != nil {
		return nil, "", false, err
	}
	ref, err := s.folderRef(c, req.SyncFolderId.Ids[0])
	if err != nil {
		return nil, "", false, err
	}
	var ignore []ews.ItemId
	if req.Ignore != nil {
		ignore = make([]ews.ItemId, 0, len(req.Ignore.Ids))
		for _, id := range req.Ignore.Ids {
			ignore = append(ignore, ews.ItemId{Id: id.Id, ChangeKey: id.ChangeKey})
		}
	}
	return mb.syncItemPage(ref, req.SyncState, req.MaxChangesReturned, ignore, sh)
}

// folderRef resolves a request's folder id to a FolderRef of the call's mailbox. A
// DistinguishedFolderId naming another mailbox is delegate access, which no account in
// the simulator has (as in Simulator.folder).
func (s *Simulator) folderRef(c *ewsserver.Call, id ews.BaseFolderId) (FolderRef, error) {
	if id.Mailbox != nil && id.Mailbox.EmailAddress != "" && !sameAddress(s.world, id.Mailbox.EmailAddress, c.Mailbox) {
		return FolderRef{}, &ews.ResponseError{Code: ews.ErrorAccessDenied, Message: "Access is denied. Check credentials and try again."}
	}
	ref := RefFromEWS(id)
	if ref.IsZero() {
		if id.IsDistinguished() {
			return FolderRef{}, errFolderNotFound()
		}
		return FolderRef{}, errIDMalformed()
	}
	return ref, nil
}

// syncItemPage is Mailbox.SyncItems for the operation layer: the same paging, but each
// change is shaped as it is produced, and items are only materialized when the shape needs
// more than their ids — an IdOnly page of 512 changes generates no content at all.
func (m *Mailbox) syncItemPage(ref FolderRef, state string, maxChanges int, ignore []ews.ItemId, sh *itemShaper) ([]ews.SyncFolderItemsChange, string, bool, error) {
	var changes []ews.SyncFolderItemsChange
	newState, last, err := m.pageItems(ref, state, maxChanges, ignore, func(f *folder, picks []pick) {
		changes = make([]ews.SyncFolderItemsChange, len(picks))
		items := make([]ews.Item, len(picks)) // one allocation for the page's items
		ids := make([]ews.ItemId, len(picks))
		var full ews.Item // the rendered item a shaped one is made of
		for i, p := range picks {
			r := f.rec(p.ref)
			ch := &changes[i]
			switch p.kind {
			case ChangeDelete:
				ids[i] = m.deletedItemID(f, p.ref)
				ch.XMLName, ch.ItemId = xmlName(ews.ChangeDelete), &ids[i]
			case ChangeReadFlag:
				ids[i] = m.itemID(f, p.ref, r)
				ch.XMLName, ch.ItemId, ch.IsRead = xmlName(ews.ChangeReadFlag), &ids[i], ews.Bool(r.read)
			default:
				if sh.idOnly {
					ids[i] = m.itemID(f, p.ref, r)
					items[i] = ews.Item{XMLName: xmlName(recKind(r)), ItemId: &ids[i]}
				} else {
					full = m.render(f, p.ref, r)
					sh.applyTo(&items[i], &full)
				}
				ch.XMLName, ch.Item = xmlName(ews.ChangeUpdate), &items[i]
				if p.kind == ChangeCreate {
					ch.XMLName = xmlName(ews.ChangeCreate)
				}
			}
		}
	})
	if err != nil {
		return nil, "", false, err
	}
	return changes, newState, last, nil
}

// recKind returns the element name of a record's item without materializing it.
func recKind(r *itemRec) string {
	if r.full != nil {
		return r.full.Kind()
	}
	switch r.kind {
	case genEvent:
		return ews.KindCalendarItem
	case genContact:
		return ews.KindContact
	case genTask:
		return ews.KindTask
	}
	return ews.KindMessage
}
