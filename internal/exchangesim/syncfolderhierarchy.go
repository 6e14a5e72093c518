package exchangesim

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// SyncFolderHierarchy implements ewsserver.SyncFolderHierarchyBackend: the folders
// created, changed or deleted below SyncFolderId (msgfolderroot, the visible hierarchy,
// when absent) since SyncState, all of them as creates, parents first, for an empty state.
// Folders are shaped by FolderShape; a deleted folder is its id. A corrupt, foreign or
// expired state is ErrorInvalidSyncStateData, and error messages carry
// IncludesLastFolderInRange=true, as for SyncFolderItems.
func (s *Simulator) SyncFolderHierarchy(ctx context.Context, c *ewsserver.Call, req *ews.SyncFolderHierarchyRequest) (*ews.SyncFolderHierarchyResponse, error) {
	if err := checkFolderShape(req.FolderShape); err != nil {
		return nil, err
	}
	if req.SyncFolderId != nil && len(req.SyncFolderId.Ids) != 1 {
		return nil, &ews.SchemaError{Violation: "The element 'SyncFolderId' must contain exactly one folder id."}
	}
	msg := ews.SyncFolderHierarchyResponseMessage{}
	changes, state, last, err := s.syncFolderHierarchy(ctx, c, req)
	if err != nil {
		msg.ResponseMessage = ews.FailureFrom(err)
		msg.IncludesLastFolderInRange = ews.Bool(true)
	} else {
		msg.ResponseMessage = ews.Success()
		msg.SyncState, msg.IncludesLastFolderInRange = state, ews.Bool(last)
		msg.Changes = &ews.SyncFolderHierarchyChanges{Changes: changes}
	}
	return &ews.SyncFolderHierarchyResponse{ResponseMessages: []ews.SyncFolderHierarchyResponseMessage{msg}}, nil
}

func (s *Simulator) syncFolderHierarchy(ctx context.Context, c *ewsserver.Call, req *ews.SyncFolderHierarchyRequest) ([]ews.SyncFolderHierarchyChange, string, bool, error) {
	mb, err := s.mailbox(ctx, c)
	if err != nil {
		return nil, "", false, err
	}
	var root FolderRef
	if req.SyncFolderId != nil {
		if root, err = s.folderRef(c, req.SyncFolderId.Ids[0]); err != nil {
			return nil, "", false, err
		}
	}
	found, state, last, err := mb.SyncFolders(root, req.SyncState, 0)
	if err != nil {
		return nil, "", false, err
	}
	changes := make([]ews.SyncFolderHierarchyChange, 0, len(found))
	for _, ch := range found {
		switch ch.Kind {
		case ChangeCreate:
			changes = append(changes, ews.FolderCreated(shapeFolder(ch.Folder, req.FolderShape)))
		case ChangeUpdate:
			changes = append(changes, ews.FolderUpdated(shapeFolder(ch.Folder, req.FolderShape)))
		case ChangeDelete:
			changes = append(changes, ews.FolderDeleted(ch.FolderId))
		}
	}
	return changes, state, last, nil
}
