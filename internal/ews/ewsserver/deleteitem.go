package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// DeleteItemBackend serves DeleteItem.
type DeleteItemBackend interface {
	DeleteItem(ctx context.Context, c *Call, req *ews.DeleteItemRequest) (*ews.DeleteItemResponse, error)
}
