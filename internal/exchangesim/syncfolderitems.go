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

// syncItemPage is Mailbox.SyncItems for the operation layer: the same ICS-like paging
// (see syncstate.go), but each change is shaped as it is produced, and items are only
// materialized when the shape needs more than their ids — an IdOnly page of 512 changes
// generates no content at all.
func (m *Mailbox) syncItemPage(ref FolderRef, state string, maxChanges int, ignore []ews.ItemId, sh *itemShaper) ([]ews.SyncFolderItemsChange, string, bool, error) {
	if maxChanges < 1 || maxChanges > maxChangesReturnedLimit {
		return nil, "", false, &ews.ResponseError{Code: ews.ErrorInvalidRequest, Message: "MaxChangesReturned must be between 1 and 512."}
	}
	if err := m.begin(); err != nil {
		return nil, "", false, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return nil, "", false, err
	}
	if ret := m.w.retention(); ret > 0 {
		f.purgeTombstones(m.w.now().Add(-ret))
	}
	st, err := m.decodeState(state, stateBounds{
		kind: stateKindItems, folder: f.num, epoch: f.epoch,
		counter: f.cn, nextRef: f.nextInst(), purgedCN: f.purgedCN,
	})
	if err != nil {
		return nil, "", false, err
	}
	var refs []uint64
	for _, id := range ignore {
		if o, ok := parseID(id.Id); ok && o.kind == idKindItem && o.guid == m.guid && o.folder == f.num {
			refs = append(refs, o.inst)
		}
	}
	picks, last := st.page(f, maxChanges, refs)
	st.normalize(f, f.cn)
	changes := make([]ews.SyncFolderItemsChange, len(picks))
	items := make([]ews.Item, len(picks)) // one allocation for the page's items
	ids := make([]ews.ItemId, len(picks))
	for i, p := range picks {
		r := f.rec(p.ref)
		ch := &changes[i]
		switch p.kind {
		case ChangeDelete:
			ids[i] = ews.ItemId{Id: objectID{kind: idKindItem, guid: m.guid, folder: f.num, inst: p.ref}.String()}
			ch.XMLName, ch.ItemId = xmlName(ews.ChangeDelete), &ids[i]
		case ChangeReadFlag:
			ids[i] = m.itemID(f, p.ref, r)
			ch.XMLName, ch.ItemId, ch.IsRead = xmlName(ews.ChangeReadFlag), &ids[i], ews.Bool(r.read)
		default:
			if sh.idOnly {
				ids[i] = m.itemID(f, p.ref, r)
				items[i] = ews.Item{XMLName: xmlName(recKind(r)), ItemId: &ids[i]}
			} else {
				items[i] = m.render(f, p.ref, r)
				items[i] = sh.apply(&items[i])
			}
			ch.XMLName, ch.Item = xmlName(ews.ChangeUpdate), &items[i]
			if p.kind == ChangeCreate {
				ch.XMLName = xmlName(ews.ChangeCreate)
			}
		}
	}
	return changes, m.encodeState(st), last, nil
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
