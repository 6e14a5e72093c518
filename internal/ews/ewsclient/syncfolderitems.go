package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opSyncFolderItems = op[ews.SyncFolderItemsResponse]{name: ews.OpSyncFolderItems, idempotent: true,
	single: func(r *ews.SyncFolderItemsResponse) (*ews.ResponseMessage, bool) {
		return first(r.ResponseMessages, func(m *ews.SyncFolderItemsResponseMessage) *ews.ResponseMessage { return &m.ResponseMessage })
	}}

// SyncFolderItems returns one page of the items created, changed or deleted in a folder
// since req.SyncState; save the new SyncState and call again while
// IncludesLastItemInRange is false. An error message is returned as the error: on
// ErrorInvalidSyncStateData, start again without a SyncState.
func (c *Client) SyncFolderItems(ctx context.Context, mailbox string, req *ews.SyncFolderItemsRequest) (*ews.SyncFolderItemsResponse, error) {
	return call(ctx, c, mailbox, opSyncFolderItems, req)
}
