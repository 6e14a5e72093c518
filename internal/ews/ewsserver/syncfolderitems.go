package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// SyncFolderItemsBackend serves SyncFolderItems.
type SyncFolderItemsBackend interface {
	SyncFolderItems(ctx context.Context, c *Call, req *ews.SyncFolderItemsRequest) (*ews.SyncFolderItemsResponse, error)
}
