package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// FindFolderBackend serves FindFolder.
type FindFolderBackend interface {
	FindFolder(ctx context.Context, c *Call, req *ews.FindFolderRequest) (*ews.FindFolderResponse, error)
}
