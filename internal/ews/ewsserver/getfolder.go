package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetFolderBackend serves GetFolder.
type GetFolderBackend interface {
	GetFolder(ctx context.Context, c *Call, req *ews.GetFolderRequest) (*ews.GetFolderResponse, error)
}
