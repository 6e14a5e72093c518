package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opFindFolder = op[ews.FindFolderResponse]{name: ews.OpFindFolder, idempotent: true}

// FindFolder lists the subfolders of req.ParentFolderIds. The response has one message
// per parent folder, in request order; read each one's error with MessageErr.
func (c *Client) FindFolder(ctx context.Context, mailbox string, req *ews.FindFolderRequest) (*ews.FindFolderResponse, error) {
	return call(ctx, c, mailbox, opFindFolder, req)
}
