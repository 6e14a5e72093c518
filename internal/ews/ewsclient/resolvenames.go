package ewsclient

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

var opResolveNames = op[ews.ResolveNamesResponse]{name: ews.OpResolveNames, idempotent: true}

// ResolveNames finds directory entries and contacts matching names or addresses. The
// response has one message per entry, in request order: Success with one candidate,
// Warning (ErrorNameResolutionMultipleResults) with several, or an error
// (ErrorNameResolutionNoResults) that MessageErr returns.
func (c *Client) ResolveNames(ctx context.Context, mailbox string, req *ews.ResolveNamesRequest) (*ews.ResolveNamesResponse, error) {
	return call(ctx, c, mailbox, opResolveNames, req)
}
