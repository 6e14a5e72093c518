package ewsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// StreamingEvents opens a GetStreamingEvents connection for streaming subscriptions of
// the mailbox and returns the stream of envelopes Exchange writes on it: notifications,
// keep-alives, and a last one with ConnectionStatus Closed after req.ConnectionTimeout
// minutes, after which the caller opens a new one. A fault before the stream starts is
// returned as an error (and retried when throttled, like any call).
//
// ctx bounds the whole stream: cancelling it ends the connection and makes Next return.
// Close the stream when done with it; it holds a connection.
func (c *Client) StreamingEvents(ctx context.Context, mailbox string, req *ews.GetStreamingEventsRequest) (*EventStream, error) {
	const name = ews.OpGetStreamingEvents
	body, err := c.encode(mailbox, name, req)
	if err != nil {
		return nil, fmt.Errorf("ewsclient: %s: %w", name, err)
	}
	sctx := withStreamTrace(ctx)
	var s *EventStream
	err = c.retry(ctx, name, func() error {
		resp, err := c.send(sctx, mailbox, name, body, true)
		if err != nil {
			return err
		}
		lr := newLimitReader(resp.Body, c.opts.MaxResponseBytes)
		if resp.StatusCode != http.StatusOK {
			defer closeBody(resp)
			var none ews.GetStreamingEventsResponse
			if err := c.decode(resp, name, &none, lr); err != nil {
				return err
			}
			return errors.New("unexpected answer") // decode fails for every non-200
		}
		if !isXML(resp.Header.Get("Content-Type")) {
			return c.httpError(resp)
		}
		s = &EventStream{c: c, body: resp.Body, limit: lr, dec: ews.NewResponseStream(lr)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ewsclient: %s: %w", name, err)
	}
	return s, nil
}

// EventStream is an open GetStreamingEvents response. It is read by one goroutine at
// a time; Close may be called from any.
type EventStream struct {
	c      *Client
	body   io.ReadCloser
	limit  *limitReader
	dec    *ews.ResponseStream
	closed bool // an envelope said ConnectionStatus Closed
	err    error
}

// Next returns the next envelope of the stream, waiting for the server to write it.
// Each holds one message: notifications (Notifications), a keep-alive (nothing but
// ConnectionStatus OK), an error about some subscriptions (read it with MessageErr;
// ErrorSubscriptionIds lists them), or ConnectionStatus Closed, the last one. After the
// last one Next returns io.EOF. A stream that ends without Closed (a connection cut, the
// server gone) returns an error wrapping io.ErrUnexpectedEOF; the caller opens a new one.
func (s *EventStream) Next() (*ews.GetStreamingEventsResponse, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.limit.startAt(s.dec.InputOffset())
	var r ews.GetStreamingEventsResponse
	v, err := s.dec.Next(ews.ResponseName(ews.OpGetStreamingEvents), &r)
	if v != nil {
		s.c.version.Store(v)
	}
	switch {
	case errors.Is(err, io.EOF) && s.closed:
		s.err = io.EOF
		return nil, io.EOF
	case errors.Is(err, io.EOF):
		err = fmt.Errorf("the stream ended without ConnectionStatus Closed: %w", io.ErrUnexpectedEOF)
	}
	if err != nil {
		s.err = fmt.Errorf("ewsclient: %s: %w", ews.OpGetStreamingEvents, err)
		return nil, s.err
	}
	for _, m := range r.ResponseMessages {
		if m.ConnectionStatus == ews.ConnectionClosed {
			s.closed = true
		}
	}
	return &r, nil
}

// Close ends the stream and releases its connection.
func (s *EventStream) Close() error {
	return s.body.Close()
}
