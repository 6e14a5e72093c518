package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opUnsubscribe = op[ews.UnsubscribeResponse]{name: ews.OpUnsubscribe, idempotent: false,
	single: func(r *ews.UnsubscribeResponse) (*ews.ResponseMessage, bool) {
		return first(r.ResponseMessages, func(m *ews.UnsubscribeResponseMessage) *ews.ResponseMessage { return &m.ResponseMessage })
	}}

// Unsubscribe ends a pull or streaming subscription. An error message (such as
// ErrorSubscriptionNotFound) is returned as the error.
func (c *Client) Unsubscribe(ctx context.Context, mailbox string, req *ews.UnsubscribeRequest) (*ews.UnsubscribeResponse, error) {
	return call(ctx, c, mailbox, opUnsubscribe, req)
}
