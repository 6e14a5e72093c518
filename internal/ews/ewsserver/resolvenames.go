package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// ResolveNamesBackend serves ResolveNames: one message per unresolved entry, in order.
type ResolveNamesBackend interface {
	ResolveNames(ctx context.Context, c *Call, req *ews.ResolveNamesRequest) (*ews.ResolveNamesResponse, error)
}
