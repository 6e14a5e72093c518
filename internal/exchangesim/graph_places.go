package exchangesim

import (
	"net/http"
	"strings"
)

// graphRoomLists is GET /places/microsoft.graph.roomlist: the organization's room lists.
func (s *Simulator) graphRoomLists(w http.ResponseWriter, r *http.Request) error {
	if !graphCaller(r.Context()).hasRole(PermPlaceReadAll) {
		return errAccessDenied()
	}
	value := []map[string]any{}
	for _, g := range s.world.Directory().RoomLists() {
		value = append(value, map[string]any{
			"@odata.type":    "#microsoft.graph.roomList",
			"id":             s.world.objectGUID("place", g.PrimarySMTP),
			"displayName":    g.DisplayName,
			"emailAddress":   g.PrimarySMTP,
			"address":        nil,
			"geoCoordinates": nil,
			"phone":          nil,
		})
	}
	writeGraphJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#places/microsoft.graph.roomList", "value": value})
	return nil
}

// graphRooms is GET /places/microsoft.graph.room (every room) and
// GET /places/{roomlist}/microsoft.graph.roomlist/rooms (the rooms of one list, named by
// its address or place id).
func (s *Simulator) graphRooms(w http.ResponseWriter, r *http.Request) error {
	if !graphCaller(r.Context()).hasRole(PermPlaceReadAll) {
		return errAccessDenied()
	}
	dir := s.world.Directory()
	var rooms []User
	if list := r.PathValue("list"); list != "" {
		addr := list
		for _, g := range dir.RoomLists() {
			if strings.EqualFold(s.world.objectGUID("place", g.PrimarySMTP), list) {
				addr = g.PrimarySMTP
			}
		}
		var err error
		if rooms, err = dir.Rooms(addr); err != nil {
			return errGraphNotFound("The specified object was not found in the store., The process failed to get the correct properties.")
		}
	} else {
		for _, u := range dir.Users() {
			if u.Kind == RecipientRoomMailbox {
				rooms = append(rooms, u)
			}
		}
	}
	value := []map[string]any{}
	for _, u := range rooms {
		value = append(value, map[string]any{
			"@odata.type":            "#microsoft.graph.room",
			"id":                     s.world.objectGUID("place", u.PrimarySMTP),
			"displayName":            u.DisplayName,
			"emailAddress":           u.PrimarySMTP,
			"nickname":               u.DisplayName,
			"building":               nil,
			"floorNumber":            nil,
			"capacity":               nil,
			"bookingType":            "standard",
			"isWheelChairAccessible": false,
			"tags":                   []string{},
		})
	}
	writeGraphJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#places/microsoft.graph.room", "value": value})
	return nil
}
