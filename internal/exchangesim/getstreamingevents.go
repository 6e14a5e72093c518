package exchangesim

import (
	"context"
	"net/http"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// GetStreamingEvents implements ewsserver.GetStreamingEventsBackend: one chunked response
// of successive envelopes for the requested streaming subscriptions, served in the
// request's own goroutine.
//
//   - First a keep-alive (ConnectionStatus OK), so that the client sees the connection is
//     open; then, whenever the subscriptions' mailboxes change, one envelope with a
//     Notification per subscription that has events (the events of one mailbox operation,
//     such as a delivery's Created and NewMail, always travel together); after
//     SubscriptionPolicy.KeepAlive of silence, another keep-alive.
//   - When ConnectionTimeout minutes (of SubscriptionPolicy.ConnectionTimeoutUnit) have
//     passed, or the server shuts down, or no requested subscription is left (all were
//     unsubscribed or taken over), a final Closed envelope.
//   - If any id is unknown, expired, another account's (ErrorSubscriptionAccessDenied) or
//     not a streaming subscription (ErrorInvalidSubscription), nothing is served: one error
//     envelope per code, listing its ids in ErrorSubscriptionIds, with ConnectionStatus
//     Closed. Past HangingConnectionLimit open connections on the budget, one
//     ErrorExceededConnectionCount envelope, Closed.
//   - A subscription requested by a newer connection moves there; this one sends
//     ErrorNewEventStreamConnectionOpened for it. A subscription that fell behind the event
//     log gets ErrorMissedNotificationEvents and carries on from the newest event.
//
// The stream ends at once, without a last envelope, when the request's context ends (the
// client went away, or the simulator's context was cancelled).
func (s *Simulator) GetStreamingEvents(ctx context.Context, c *ewsserver.Call, req *ews.GetStreamingEventsRequest, w *ewsserver.StreamWriter) error {
	if err := rangeViolation("ConnectionTimeout", req.ConnectionTimeout, 1, 30, "StreamingSubscriptionConnectionTimeoutType"); err != nil {
		return err
	}
	if len(req.SubscriptionIds) == 0 {
		return &ews.SchemaError{Violation: "The element 'SubscriptionIds' has incomplete content. List of possible elements expected: 'SubscriptionId'."}
	}
	r := s.subs
	srv, _ := ctx.Value(http.ServerContextKey).(*http.Server)
	r.watchShutdown(srv)
	budget := s.throttle.budgetKey(c.Caller, c.Mailbox, c.Impersonating())
	conn, failures, err := r.attach(s.callerSMTP(c), budget, req.SubscriptionIds, srv)
	st := &stream{ctx: ctx, w: w}
	switch {
	case err != nil:
		return st.end(ews.StreamingError(err))
	case len(failures) > 0:
		return st.end(failureEnvelopes(failures)...)
	}
	defer r.detach(conn)

	p := r.currentPolicy()
	deadline := time.NewTimer(time.Duration(req.ConnectionTimeout) * p.ConnectionTimeoutUnit)
	defer deadline.Stop()
	st.idle = time.NewTimer(p.KeepAlive)
	st.keepAlive = p.KeepAlive
	defer st.idle.Stop()

	if err := st.send(ews.StreamingKeepAlive()); err != nil {
		return st.fail(err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-deadline.C:
			return st.end(ews.StreamingClosed())
		case <-st.idle.C:
			if err := st.send(ews.StreamingKeepAlive()); err != nil {
				return st.fail(err)
			}
		case <-conn.wake:
			// A barrier: wait until the mailbox operations that raised the events are
			// complete, so that their events go out in one envelope.
			for _, mb := range conn.mailboxes {
				mb.Watermark()
			}
			b := r.collect(conn)
			if b.shutdown {
				return st.end(ews.StreamingClosed())
			}
			if err := st.sendBatch(b); err != nil {
				return st.fail(err)
			}
			if b.done {
				if len(b.lost) > 0 {
					return nil // the takeover message was the last envelope
				}
				return st.end(ews.StreamingClosed())
			}
		}
	}
}

// stream writes the envelopes of one GetStreamingEvents response.
type stream struct {
	ctx       context.Context
	w         *ewsserver.StreamWriter
	idle      *time.Timer
	keepAlive time.Duration
}

// send writes one envelope and restarts the keep-alive timer.
func (st *stream) send(body *ews.GetStreamingEventsResponse) error {
	if err := st.w.Write(ews.ResponseName(ews.OpGetStreamingEvents), body); err != nil {
		return err
	}
	if st.idle != nil {
		st.idle.Reset(st.keepAlive)
	}
	return nil
}

// end writes the last envelopes.
func (st *stream) end(bodies ...*ews.GetStreamingEventsResponse) error {
	for _, b := range bodies {
		if err := st.send(b); err != nil {
			return st.fail(err)
		}
	}
	return nil
}

// fail reports a write error, unless the client is gone anyway.
func (st *stream) fail(err error) error {
	if st.ctx.Err() != nil {
		return nil
	}
	return err
}

// sendBatch writes what a wake found: notifications, then missed events, then takeovers
// (the last envelope if nothing is left to serve).
func (st *stream) sendBatch(b streamBatch) error {
	if len(b.notifications) > 0 {
		if err := st.send(ews.StreamingEvents(b.notifications...)); err != nil {
			return err
		}
	}
	if len(b.missed) > 0 {
		err := &ews.ResponseError{Code: ews.ErrorMissedNotificationEvents,
			Message: "Events were missed: the connection did not keep up with the mailbox."}
		if err := st.send(streamingFailure(err, ews.ConnectionOK, b.missed)); err != nil {
			return err
		}
	}
	if len(b.lost) > 0 {
		err := &ews.ResponseError{Code: codeNewEventStreamConnectionOpened,
			Message: "A new connection was opened for the subscription; this one no longer serves it."}
		status := ews.ConnectionOK
		if b.done {
			status = ews.ConnectionClosed
		}
		if err := st.send(streamingFailure(err, status, b.lost)); err != nil {
			return err
		}
	}
	return nil
}

// streamingFailure is an error message about some subscriptions of an open stream.
func streamingFailure(err *ews.ResponseError, status string, ids []string) *ews.GetStreamingEventsResponse {
	resp := ews.StreamingError(err, ids...)
	resp.ResponseMessages[0].ConnectionStatus = status
	return resp
}

// failureEnvelopes groups the ids GetStreamingEvents refused by error code, in request
// order, one Closed envelope per code.
func failureEnvelopes(fs []idFailure) []*ews.GetStreamingEventsResponse {
	var codes []string
	byCode := map[string][]idFailure{}
	for _, f := range fs {
		if _, ok := byCode[f.err.Code]; !ok {
			codes = append(codes, f.err.Code)
		}
		byCode[f.err.Code] = append(byCode[f.err.Code], f)
	}
	out := make([]*ews.GetStreamingEventsResponse, 0, len(codes))
	for _, code := range codes {
		group := byCode[code]
		ids := make([]string, len(group))
		for i, f := range group {
			ids[i] = f.id
		}
		out = append(out, ews.StreamingError(group[0].err, ids...))
	}
	return out
}
