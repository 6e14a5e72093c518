package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetUserAvailabilityBackend serves GetUserAvailability (the GetUserAvailabilityRequest
// element): one FreeBusyResponse per mailbox, in order.
type GetUserAvailabilityBackend interface {
	GetUserAvailability(ctx context.Context, c *Call, req *ews.GetUserAvailabilityRequest) (*ews.GetUserAvailabilityResponse, error)
}
