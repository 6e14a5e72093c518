package exchangesim

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// maxRoomsReturned is how many rooms Exchange returns for one room list.
const maxRoomsReturned = 100

// GetRooms implements ewsserver.GetRoomsBackend: the rooms of one room list, sorted by
// display name and at most 100, as Exchange returns them. The response root carries
// ResponseClass and ResponseCode: ErrorNameResolutionNoMailbox when the acting account has
// no mailbox (see roomsAllowed), ErrorNameResolutionNoResults when the address is not a
// room list (unknown, a user, or an ordinary distribution group).
func (s *Simulator) GetRooms(ctx context.Context, c *ewsserver.Call, req *ews.GetRoomsRequest) (*ews.GetRoomsResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.roomsAllowed(c); err != nil {
		return &ews.GetRoomsResponse{ResponseMessage: ews.FailureFrom(err)}, nil
	}
	rooms, err := s.world.Directory().Rooms(req.RoomList.EmailAddress)
	if err != nil {
		return &ews.GetRoomsResponse{ResponseMessage: ews.FailureFrom(err)}, nil
	}
	slices.SortStableFunc(rooms, func(a, b User) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			strings.Compare(a.PrimarySMTP, b.PrimarySMTP))
	})
	out := &ews.Rooms{Rooms: make([]ews.Room, 0, min(len(rooms), maxRoomsReturned))}
	for _, u := range rooms[:min(len(rooms), maxRoomsReturned)] {
		addr := u.Address()
		out.Rooms = append(out.Rooms, ews.Room{Id: &addr})
	}
	return &ews.GetRoomsResponse{ResponseMessage: ews.Success(), Rooms: out}, nil
}
