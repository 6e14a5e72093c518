package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetItemBackend serves GetItem.
type GetItemBackend interface {
	GetItem(ctx context.Context, c *Call, req *ews.GetItemRequest) (*ews.GetItemResponse, error)
}
