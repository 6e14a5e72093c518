package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opCreateItem = op[ews.CreateItemResponse]{name: ews.OpCreateItem, idempotent: false}

// CreateItem creates items (messages as req.MessageDisposition says, calendar items as
// req.SendMeetingInvitations says). The response has one message per item, in request
// order; read each one's error with MessageErr. It is not resent after a lost
// connection: the items may exist.
func (c *Client) CreateItem(ctx context.Context, mailbox string, req *ews.CreateItemRequest) (*ews.CreateItemResponse, error) {
	return call(ctx, c, mailbox, opCreateItem, req)
}
