package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opGetRooms = op[ews.GetRoomsResponse]{name: ews.OpGetRooms, idempotent: true,
	single: func(r *ews.GetRoomsResponse) (*ews.ResponseMessage, bool) {
		return &r.ResponseMessage, r.ResponseClass != ""
	}}

// GetRooms lists the rooms of one room list. An error (such as
// ErrorNameResolutionNoResults for an unknown list) is returned as the error.
func (c *Client) GetRooms(ctx context.Context, mailbox string, req *ews.GetRoomsRequest) (*ews.GetRoomsResponse, error) {
	return call(ctx, c, mailbox, opGetRooms, req)
}
