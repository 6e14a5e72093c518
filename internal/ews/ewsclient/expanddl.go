package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opExpandDL = op[ews.ExpandDLResponse]{name: ews.OpExpandDL, idempotent: true,
	single: func(r *ews.ExpandDLResponse) (*ews.ResponseMessage, bool) {
		return first(r.ResponseMessages, func(m *ews.ExpandDLResponseMessage) *ews.ResponseMessage { return &m.ResponseMessage })
	}}

// ExpandDL lists the members of a distribution list (one level). An error message (such
// as ErrorNameResolutionNoResults for an unknown list) is returned as the error.
func (c *Client) ExpandDL(ctx context.Context, mailbox string, req *ews.ExpandDLRequest) (*ews.ExpandDLResponse, error) {
	return call(ctx, c, mailbox, opExpandDL, req)
}
