package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetEventsBackend serves GetEvents (polling a pull subscription).
type GetEventsBackend interface {
	GetEvents(ctx context.Context, c *Call, req *ews.GetEventsRequest) (*ews.GetEventsResponse, error)
}
