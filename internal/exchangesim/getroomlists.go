package exchangesim

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// msgNameResolutionNoMailbox is Exchange's text for ErrorNameResolutionNoMailbox.
const msgNameResolutionNoMailbox = "User must have a mailbox for name resolution operations."

// errNameResolutionNoMailbox is what GetRoomLists, GetRooms and ExpandDL (of a directory
// list) answer when the account they act as has no mailbox.
func errNameResolutionNoMailbox() error {
	return &ews.ResponseError{Code: ews.ErrorNameResolutionNoMailbox, Message: msgNameResolutionNoMailbox}
}

// roomsAllowed returns nil when the call may read room lists and rooms, else the error
// Exchange answers with.
//
// Which identity counts: Exchange runs these operations against the mailbox of the
// *effective caller* — CallContext.AccessingPrincipal, the impersonated user when the
// request carries ExchangeImpersonation, else the signed-in account — and, when that
// account has no mailbox, fails with ErrorNameResolutionNoMailbox (Exchange's GetRoomLists
// and GetRooms commands check AccessingPrincipal == null before anything else; the answer
// is an Error on the response root, not ErrorNonExistentMailbox and not a fault). The
// product guide's warning (a service account without a mailbox cannot retrieve rooms) is
// that rule applied to calls the service account makes as itself, without impersonation.
func (s *Simulator) roomsAllowed(c *ewsserver.Call) error {
	if !s.hasAccessingPrincipal(c) {
		return errNameResolutionNoMailbox()
	}
	return nil
}

// hasAccessingPrincipal reports whether the call's effective caller (c.Mailbox: the
// impersonated user, or the signed-in account) has a mailbox — whether Exchange's
// CallContext.AccessingPrincipal would be set.
func (s *Simulator) hasAccessingPrincipal(c *ewsserver.Call) bool {
	u, ok := s.world.Directory().Lookup(c.Mailbox)
	return ok && u.HasMailbox
}

// GetRoomLists implements ewsserver.GetRoomListsBackend: the organization's room lists,
// sorted by display name as Exchange sorts them, each as a PublicDL address. The response
// root carries ResponseClass and ResponseCode.
func (s *Simulator) GetRoomLists(ctx context.Context, c *ewsserver.Call, _ *ews.GetRoomListsRequest) (*ews.GetRoomListsResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.roomsAllowed(c); err != nil {
		return &ews.GetRoomListsResponse{ResponseMessage: ews.FailureFrom(err)}, nil
	}
	lists := s.world.Directory().RoomLists()
	slices.SortStableFunc(lists, func(a, b Group) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			strings.Compare(a.PrimarySMTP, b.PrimarySMTP))
	})
	out := &ews.EmailAddressList{Addresses: make([]ews.EmailAddress, 0, len(lists))}
	for _, g := range lists {
		out.Addresses = append(out.Addresses, g.Address())
	}
	return &ews.GetRoomListsResponse{ResponseMessage: ews.Success(), RoomLists: out}, nil
}
