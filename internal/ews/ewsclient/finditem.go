package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opFindItem = op[ews.FindItemResponse]{name: ews.OpFindItem, idempotent: true}

// FindItem lists the items of req.ParentFolderIds (with a CalendarView: the calendar
// items and occurrences in a time window). The response has one message per parent
// folder, in request order; read each one's error with MessageErr.
func (c *Client) FindItem(ctx context.Context, mailbox string, req *ews.FindItemRequest) (*ews.FindItemResponse, error) {
	return call(ctx, c, mailbox, opFindItem, req)
}
