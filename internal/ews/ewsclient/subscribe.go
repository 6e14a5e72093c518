package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opSubscribe = op[ews.SubscribeResponse]{name: ews.OpSubscribe, idempotent: false,
	single: func(r *ews.SubscribeResponse) (*ews.ResponseMessage, bool) {
		return first(r.ResponseMessages, func(m *ews.SubscribeResponseMessage) *ews.ResponseMessage { return &m.ResponseMessage })
	}}

// Subscribe creates a pull, push or streaming subscription to events in the mailbox's
// folders. An error message (such as ErrorExceededSubscriptionCount) is returned as the
// error. It is not resent after a lost connection: the subscription may exist.
func (c *Client) Subscribe(ctx context.Context, mailbox string, req *ews.SubscribeRequest) (*ews.SubscribeResponse, error) {
	return call(ctx, c, mailbox, opSubscribe, req)
}
