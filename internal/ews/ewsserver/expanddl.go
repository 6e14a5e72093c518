package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// ExpandDLBackend serves ExpandDL.
type ExpandDLBackend interface {
	ExpandDL(ctx context.Context, c *Call, req *ews.ExpandDLRequest) (*ews.ExpandDLResponse, error)
}
