package exchangesim

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Unsubscribe implements ewsserver.UnsubscribeBackend for pull and streaming
// subscriptions: ErrorSubscriptionNotFound for an unknown or expired id,
// ErrorSubscriptionAccessDenied for another account's. A connection streaming the
// subscription stops serving it, and ends with Closed if it served nothing else.
func (s *Simulator) Unsubscribe(ctx context.Context, c *ewsserver.Call, req *ews.UnsubscribeRequest) (*ews.UnsubscribeResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	msg := ews.UnsubscribeResponseMessage{ResponseMessage: ews.Success()}
	if err := s.subs.unsubscribe(s.callerSMTP(c), req.SubscriptionId); err != nil {
		msg.ResponseMessage = ews.FailureFrom(err)
	}
	return &ews.UnsubscribeResponse{ResponseMessages: []ews.UnsubscribeResponseMessage{msg}}, nil
}

func (r *subscriptions) unsubscribe(caller, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sub, err := r.lookupLocked(id, caller, r.now())
	if err != nil {
		return err
	}
	r.removeLocked(sub)
	return nil
}
