package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// CreateItemBackend serves CreateItem.
type CreateItemBackend interface {
	CreateItem(ctx context.Context, c *Call, req *ews.CreateItemRequest) (*ews.CreateItemResponse, error)
}
