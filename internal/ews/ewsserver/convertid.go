package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// ConvertIdBackend serves ConvertId: one message per source id, in order. exchangelib's
// first request to a server is a ConvertId of the id "DUMMY", only to read the version
// header; answer it with a per-message error.
type ConvertIdBackend interface {
	ConvertId(ctx context.Context, c *Call, req *ews.ConvertIdRequest) (*ews.ConvertIdResponse, error)
}
