package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opSendItem = op[ews.SendItemResponse]{name: ews.OpSendItem, idempotent: false}

// SendItem sends messages already in the mailbox (drafts), keeping a copy in
// req.SavedItemFolderId (Sent Items when absent) if req.SaveItemToFolder is set, which
// is required. The response has one message per id, in request order; read each one's
// error with MessageErr. It is not resent after a lost connection: the messages may
// have gone.
func (c *Client) SendItem(ctx context.Context, mailbox string, req *ews.SendItemRequest) (*ews.SendItemResponse, error) {
	return call(ctx, c, mailbox, opSendItem, req)
}
