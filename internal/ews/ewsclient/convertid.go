package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opConvertId = op[ews.ConvertIdResponse]{name: ews.OpConvertId, idempotent: true}

// ConvertId translates item and folder ids into req.DestinationFormat (EwsId, EntryId,
// HexEntryId, …). The response has one message per source id, in request order; read each
// one's error with MessageErr.
func (c *Client) ConvertId(ctx context.Context, mailbox string, req *ews.ConvertIdRequest) (*ews.ConvertIdResponse, error) {
	return call(ctx, c, mailbox, opConvertId, req)
}
