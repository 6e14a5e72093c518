package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opGetRoomLists = op[ews.GetRoomListsResponse]{name: ews.OpGetRoomLists, idempotent: true,
	single: func(r *ews.GetRoomListsResponse) (*ews.ResponseMessage, bool) {
		return &r.ResponseMessage, r.ResponseClass != ""
	}}

// GetRoomLists lists the organization's room lists. The account it acts as (the
// impersonated mailbox, or the caller itself) must have a mailbox, else Exchange
// answers ErrorNameResolutionNoMailbox; an error is returned as the error.
func (c *Client) GetRoomLists(ctx context.Context, mailbox string) (*ews.GetRoomListsResponse, error) {
	return call(ctx, c, mailbox, opGetRoomLists, &ews.GetRoomListsRequest{})
}
