package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opUpdateItem = op[ews.UpdateItemResponse]{name: ews.OpUpdateItem, idempotent: false}

// UpdateItem changes properties of items. The response has one message per item
// change, in request order, with the items' new ChangeKeys; read each one's error with
// MessageErr (ErrorIrresolvableConflict: re-read the item). It is not resent after a
// lost connection.
func (c *Client) UpdateItem(ctx context.Context, mailbox string, req *ews.UpdateItemRequest) (*ews.UpdateItemResponse, error) {
	return call(ctx, c, mailbox, opUpdateItem, req)
}
