package exchangesim

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// GetEvents implements ewsserver.GetEventsBackend: the events of a pull subscription after
// the request's watermark, up to 50 (MoreEvents says whether more follow), or one
// StatusEvent with the mailbox's current watermark when there are none. Polling resets
// the subscription's timeout.
//
// Errors, in the message: ErrorSubscriptionNotFound for an unknown or expired id,
// ErrorSubscriptionAccessDenied for another account's, ErrorInvalidPullSubscriptionId for
// a streaming one, ErrorInvalidWatermark for a watermark of another mailbox or one the
// mailbox has not reached, and ErrorEventNotFound when the events after the watermark
// have left the event log — which, as in Exchange, also deletes the subscription.
func (s *Simulator) GetEvents(ctx context.Context, c *ewsserver.Call, req *ews.GetEventsRequest) (*ews.GetEventsResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	msg := ews.GetEventsResponseMessage{}
	n, err := s.subs.getEvents(s.callerSMTP(c), req)
	if err != nil {
		msg.ResponseMessage = ews.FailureFrom(err)
	} else {
		msg.ResponseMessage, msg.Notification = ews.Success(), n
	}
	return &ews.GetEventsResponse{ResponseMessages: []ews.GetEventsResponseMessage{msg}}, nil
}

// callerSMTP returns the primary SMTP address of the authenticated account, which owns the
// subscriptions it creates.
func (s *Simulator) callerSMTP(c *ewsserver.Call) string {
	if u, ok := s.world.Directory().Lookup(c.Caller); ok {
		return u.PrimarySMTP
	}
	return c.Caller
}

func (r *subscriptions) getEvents(caller string, req *ews.GetEventsRequest) (*ews.Notification, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	sub, err := r.lookupLocked(req.SubscriptionId, caller, now)
	if err != nil {
		return nil, err
	}
	if sub.kind != pullSubscription {
		return nil, &ews.ResponseError{Code: ews.ErrorInvalidPullSubscriptionId, Message: "The subscription is not a pull subscription."}
	}
	sub.lastUsed = now
	wm, ok := decodeWatermark(req.Watermark, sub.mb.guid)
	l := r.logs[sub.mailbox]
	l.trim(r.policy.EventLog, now.Add(-eventRetention))
	switch {
	case !ok || wm > l.latest:
		return nil, errInvalidWatermark()
	case wm < l.floor:
		r.removeLocked(sub)
		return nil, &ews.ResponseError{Code: codeEventNotFound,
			Message: "The events after the watermark are no longer available. The subscription was deleted."}
	}
	n := &ews.Notification{SubscriptionId: sub.id, PreviousWatermark: req.Watermark, MoreEvents: ews.Bool(false)}
	for _, e := range l.after(wm) {
		if !sub.matches(&e) {
			continue
		}
		if len(n.Events) == getEventsPageSize {
			n.MoreEvents = ews.Bool(true)
			break
		}
		n.Events = append(n.Events, notificationEvent(&e, sub.mb.guid, true))
	}
	if len(n.Events) == 0 {
		st := ews.NewEvent(ews.EventStatus)
		st.Watermark = encodeWatermark(sub.mb.guid, l.latest)
		n.Events = []ews.Event{st}
	}
	return n, nil
}
