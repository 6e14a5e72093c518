package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opGetFolder = op[ews.GetFolderResponse]{name: ews.OpGetFolder, idempotent: true}

// GetFolder reads folders by id or well-known name. The response has one message per
// requested folder, in request order; read each one's error with MessageErr (for example
// ErrorFolderNotFound).
func (c *Client) GetFolder(ctx context.Context, mailbox string, req *ews.GetFolderRequest) (*ews.GetFolderResponse, error) {
	return call(ctx, c, mailbox, opGetFolder, req)
}
