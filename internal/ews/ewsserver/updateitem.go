package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// UpdateItemBackend serves UpdateItem.
type UpdateItemBackend interface {
	UpdateItem(ctx context.Context, c *Call, req *ews.UpdateItemRequest) (*ews.UpdateItemResponse, error)
}
