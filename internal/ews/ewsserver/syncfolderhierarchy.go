package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// SyncFolderHierarchyBackend serves SyncFolderHierarchy.
type SyncFolderHierarchyBackend interface {
	SyncFolderHierarchy(ctx context.Context, c *Call, req *ews.SyncFolderHierarchyRequest) (*ews.SyncFolderHierarchyResponse, error)
}
