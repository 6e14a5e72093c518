package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetRoomListsBackend serves GetRoomLists. Its response carries ResponseClass and
// ResponseCode on the root element.
type GetRoomListsBackend interface {
	GetRoomLists(ctx context.Context, c *Call, req *ews.GetRoomListsRequest) (*ews.GetRoomListsResponse, error)
}
