package exchangesim

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// GetServerTimeZones implements ewsserver.GetServerTimeZonesBackend: one Success message
// with the definitions of the Windows zones in timezones.go, every one without Ids, else
// those named, in request order. As Exchange does (MS-OXWSGTZ), an id the server does not
// know is left out without an error, so a request naming only unknown ids gets an empty
// TimeZoneDefinitions. ReturnFullTimeZoneData (default true) adds periods and
// transitions; false gives Id and Name only. No mailbox is involved.
func (s *Simulator) GetServerTimeZones(ctx context.Context, c *ewsserver.Call, req *ews.GetServerTimeZonesRequest) (*ews.GetServerTimeZonesResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full := req.FullData()
	msg := ews.GetServerTimeZonesResponseMessage{ResponseMessage: ews.Success()}
	defs := &msg.TimeZoneDefinitions.Definitions
	if len(req.Ids) == 0 {
		for i := range windowsZones {
			*defs = append(*defs, windowsZones[i].definition(full))
		}
	}
	for _, id := range req.Ids {
		if z, ok := lookupWindowsZone(id); ok {
			*defs = append(*defs, z.definition(full))
		}
	}
	return &ews.GetServerTimeZonesResponse{ResponseMessages: []ews.GetServerTimeZonesResponseMessage{msg}}, nil
}
