package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opGetServerTimeZones = op[ews.GetServerTimeZonesResponse]{name: ews.OpGetServerTimeZones, idempotent: true,
	single: func(r *ews.GetServerTimeZonesResponse) (*ews.ResponseMessage, bool) {
		return first(r.ResponseMessages, func(m *ews.GetServerTimeZonesResponseMessage) *ews.ResponseMessage { return &m.ResponseMessage })
	}}

// GetServerTimeZones reads the server's Windows time zone definitions: all of them, or
// those req.Ids names (ids the server does not know are left out, without an error);
// with req.ReturnFullTimeZoneData false, only their ids and names. The one response
// message's error is returned as the error. A nil req asks for every full definition.
func (c *Client) GetServerTimeZones(ctx context.Context, mailbox string, req *ews.GetServerTimeZonesRequest) (*ews.GetServerTimeZonesResponse, error) {
	return call(ctx, c, mailbox, opGetServerTimeZones, req)
}
