package graph

import (
	"context"
	"net/http"
	"net/url"
)

// Rooms returns the tenant's rooms, all pages. Places are the tenant's, not a
// mailbox's: these calls take no mailbox slot.
func (c *Client) Rooms(ctx context.Context) ([]Room, error) {
	return listAll[Room](ctx, c, call{op: "places.rooms", method: http.MethodGet,
		url: c.path("/places/microsoft.graph.room", url.Values{"$top": {"100"}})})
}

// RoomLists returns the tenant's room lists, all pages.
func (c *Client) RoomLists(ctx context.Context) ([]RoomList, error) {
	return listAll[RoomList](ctx, c, call{op: "places.roomLists", method: http.MethodGet,
		url: c.path("/places/microsoft.graph.roomlist", url.Values{"$top": {"100"}})})
}

// RoomsInList returns the rooms of one room list, by the list's email address or id.
func (c *Client) RoomsInList(ctx context.Context, roomList string) ([]Room, error) {
	return listAll[Room](ctx, c, call{op: "places.roomListRooms", method: http.MethodGet,
		url: c.path("/places"+seg(roomList)+"/microsoft.graph.roomlist/rooms", nil)})
}
