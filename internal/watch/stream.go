package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// stream reads a group's subscriptions through GetStreamingEvents connections made on
// behalf of anchor, one after the other as Exchange closes them after
// ConnectionTimeout, until gctx ends or a connection fails or reports failed
// subscriptions; then it reports the end to run, which decides what comes next.
// Reports go out under the session's ctx, so that notifications read just before gctx
// ended are not lost.
func (s *session) stream(ctx, gctx context.Context, c *ewsclient.Client, g *group, gen int, anchor string, ids []string) {
	progressed := false
	for {
		st, err := c.StreamingEvents(gctx, anchor, &ews.GetStreamingEventsRequest{SubscriptionIds: ids, ConnectionTimeout: s.cfg.ConnectionTimeout})
		if err != nil {
			s.send(ctx, report{kind: reportEnded, g: g, gen: gen, err: err, progressed: progressed})
			return
		}
		s.send(ctx, report{kind: reportOpened, g: g, gen: gen})
		again, err := s.read(ctx, st, g, gen, &progressed)
		st.Close()
		if !again || gctx.Err() != nil {
			s.send(ctx, report{kind: reportEnded, g: g, gen: gen, err: err, progressed: progressed})
			return
		}
	}
}

// read reads one connection's envelopes. again is true when Exchange closed it as asked
// (ConnectionTimeout) with every subscription still served: the next connection reads
// the same ones.
func (s *session) read(ctx context.Context, st *ewsclient.EventStream, g *group, gen int, progressed *bool) (again bool, err error) {
	var idle atomic.Bool
	dog := time.AfterFunc(s.cfg.IdleTimeout, func() {
		idle.Store(true)
		st.Close()
	})
	defer dog.Stop()
	var streamErr error
	regroup := false
	for {
		env, err := st.Next()
		switch {
		case errors.Is(err, io.EOF):
			if streamErr != nil {
				return false, streamErr
			}
			return !regroup, nil
		case err != nil:
			if idle.Load() {
				err = fmt.Errorf("watch: nothing received for %v, not even a keep-alive: %w", s.cfg.IdleTimeout, err)
			}
			return false, err
		}
		dog.Reset(s.cfg.IdleTimeout)
		*progressed = true
		for i := range env.ResponseMessages {
			m := &env.ResponseMessages[i]
			if ids := changed(m.Notifications); len(ids) > 0 {
				s.send(ctx, report{kind: reportNotified, g: g, gen: gen, ids: ids})
			}
			merr := ewsclient.MessageErr(&m.ResponseMessage)
			if merr == nil {
				continue
			}
			if m.ErrorSubscriptionIds != nil && len(m.ErrorSubscriptionIds.Ids) > 0 {
				code := ews.Code(merr)
				s.send(ctx, report{kind: reportSubFailed, g: g, gen: gen, code: code, ids: m.ErrorSubscriptionIds.Ids})
				if code != ews.ErrorMissedNotificationEvents && code != codeNewEventStreamConnectionOpened {
					regroup = true
				}
				continue
			}
			streamErr = merr // about the connection: ErrorExceededConnectionCount, ErrorServerBusy, …
		}
	}
}

// changed returns the subscriptions that have events in n.
func changed(n *ews.StreamingNotifications) []string {
	if n == nil {
		return nil
	}
	var ids []string
	for _, x := range n.Notifications {
		for i := range x.Events {
			if x.Events[i].Type() != ews.EventStatus {
				ids = append(ids, x.SubscriptionId)
				break
			}
		}
	}
	return ids
}
