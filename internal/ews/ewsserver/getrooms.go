package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetRoomsBackend serves GetRooms. Its response carries ResponseClass and ResponseCode on
// the root element.
type GetRoomsBackend interface {
	GetRooms(ctx context.Context, c *Call, req *ews.GetRoomsRequest) (*ews.GetRoomsResponse, error)
}
