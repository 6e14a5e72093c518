package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// UnsubscribeBackend serves Unsubscribe.
type UnsubscribeBackend interface {
	Unsubscribe(ctx context.Context, c *Call, req *ews.UnsubscribeRequest) (*ews.UnsubscribeResponse, error)
}
