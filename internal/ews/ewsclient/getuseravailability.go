package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opGetUserAvailability = op[ews.GetUserAvailabilityResponse]{name: ews.OpGetUserAvailability, idempotent: true}

// GetUserAvailability reads the free/busy information of up to about 100 mailboxes over
// a time window. The response has one FreeBusyResponse per mailbox, in request order;
// read each one's error with MessageErr(&r.ResponseMessage).
func (c *Client) GetUserAvailability(ctx context.Context, mailbox string, req *ews.GetUserAvailabilityRequest) (*ews.GetUserAvailabilityResponse, error) {
	return call(ctx, c, mailbox, opGetUserAvailability, req)
}
