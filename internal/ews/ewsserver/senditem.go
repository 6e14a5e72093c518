package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// SendItemBackend serves SendItem: one message per id, in order.
type SendItemBackend interface {
	SendItem(ctx context.Context, c *Call, req *ews.SendItemRequest) (*ews.SendItemResponse, error)
}
