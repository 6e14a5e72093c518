package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// FindItemBackend serves FindItem.
type FindItemBackend interface {
	FindItem(ctx context.Context, c *Call, req *ews.FindItemRequest) (*ews.FindItemResponse, error)
}
