package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opDeleteItem = op[ews.DeleteItemResponse]{name: ews.OpDeleteItem, idempotent: false}

// DeleteItem deletes items (hard, soft, or to Deleted Items, as req.DeleteType says). The
// response has one message per id, in request order; read each one's error with
// MessageErr.
func (c *Client) DeleteItem(ctx context.Context, mailbox string, req *ews.DeleteItemRequest) (*ews.DeleteItemResponse, error) {
	return call(ctx, c, mailbox, opDeleteItem, req)
}
