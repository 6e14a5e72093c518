package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opSyncFolderHierarchy = op[ews.SyncFolderHierarchyResponse]{name: ews.OpSyncFolderHierarchy, idempotent: true,
	single: func(r *ews.SyncFolderHierarchyResponse) (*ews.ResponseMessage, bool) {
		return first(r.ResponseMessages, func(m *ews.SyncFolderHierarchyResponseMessage) *ews.ResponseMessage { return &m.ResponseMessage })
	}}

// SyncFolderHierarchy returns the folders created, changed or deleted since
// req.SyncState (all of them, as creates, without one). An error message is returned as
// the error: on ErrorInvalidSyncStateData, start again without a SyncState.
func (c *Client) SyncFolderHierarchy(ctx context.Context, mailbox string, req *ews.SyncFolderHierarchyRequest) (*ews.SyncFolderHierarchyResponse, error) {
	return call(ctx, c, mailbox, opSyncFolderHierarchy, req)
}
