package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opGetEvents = op[ews.GetEventsResponse]{name: ews.OpGetEvents, idempotent: true,
	single: func(r *ews.GetEventsResponse) (*ews.ResponseMessage, bool) {
		return first(r.ResponseMessages, func(m *ews.GetEventsResponseMessage) *ews.ResponseMessage { return &m.ResponseMessage })
	}}

// GetEvents polls a pull subscription for the events after req.Watermark; call it again
// while the notification's MoreEvents is true. An error message (ErrorInvalidWatermark,
// ErrorExpiredSubscription, …: subscribe again) is returned as the error.
func (c *Client) GetEvents(ctx context.Context, mailbox string, req *ews.GetEventsRequest) (*ews.GetEventsResponse, error) {
	return call(ctx, c, mailbox, opGetEvents, req)
}
