package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// SubscribeBackend serves Subscribe (pull, push and streaming subscriptions).
type SubscribeBackend interface {
	Subscribe(ctx context.Context, c *Call, req *ews.SubscribeRequest) (*ews.SubscribeResponse, error)
}
