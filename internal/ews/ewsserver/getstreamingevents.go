package ewsserver

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// GetStreamingEventsBackend serves GetStreamingEvents, whose answer is a stream of
// complete envelopes on one HTTP response. The method writes each with
// w.Write(ews.ResponseName(ews.OpGetStreamingEvents), …): notifications as they happen
// (ews.StreamingEvents), keep-alives while idle (ews.StreamingKeepAlive), and, when the
// request's ConnectionTimeout elapses, a final ews.StreamingClosed before returning nil.
// It returns when ctx is cancelled (the client went away or the server is stopping).
//
// An error returned before anything was written becomes a SOAP fault; after that it can
// only end the response, so report per-subscription failures in the stream instead
// (ews.StreamingError).
type GetStreamingEventsBackend interface {
	GetStreamingEvents(ctx context.Context, c *Call, req *ews.GetStreamingEventsRequest, w *StreamWriter) error
}
