package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opGetItem = op[ews.GetItemResponse]{name: ews.OpGetItem, idempotent: true}

// GetItem reads items by id, in req.ItemShape. The response has one message per id, in
// request order; read each one's error with MessageErr. Exchange checks the throttling
// budget after each item: keep batches to tens of ids.
func (c *Client) GetItem(ctx context.Context, mailbox string, req *ews.GetItemRequest) (*ews.GetItemResponse, error) {
	return call(ctx, c, mailbox, opGetItem, req)
}
