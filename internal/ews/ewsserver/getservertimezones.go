package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetServerTimeZonesBackend serves GetServerTimeZones: the server's time zone
// definitions, in one response message.
type GetServerTimeZonesBackend interface {
	GetServerTimeZones(ctx context.Context, c *Call, req *ews.GetServerTimeZonesRequest) (*ews.GetServerTimeZonesResponse, error)
}
