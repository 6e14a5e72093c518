package exchangesim

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// eventKinds maps subscribable t:EventType values to the World's event kinds.
// FreeBusyChangedEvent may be subscribed to, but the World never raises it.
var eventKinds = map[string]EventKind{
	ews.EventCopied:   EventCopied,
	ews.EventCreated:  EventCreated,
	ews.EventDeleted:  EventDeleted,
	ews.EventModified: EventModified,
	ews.EventMoved:    EventMoved,
	ews.EventNewMail:  EventNewMail,
}

// subscribeSpec is the part common to pull and streaming subscription requests.
type subscribeSpec struct {
	kind      subKind
	all       *bool
	folderIds *ews.FolderIds
	types     []string
	watermark string // pull only
	timeout   int    // pull only, minutes
}

// Subscribe implements ewsserver.SubscribeBackend for pull and streaming subscriptions.
//
// What the schema forbids (no or several request kinds, no or unknown event types, a
// Timeout outside 1–1440) is an ErrorSchemaValidation fault. In the message:
// ErrorInvalidSubscriptionRequest for neither or both of FolderIds and
// SubscribeToAllFolders, ErrorSubscriptionDelegateAccessNotSupported for another user's
// folder, the folder's own error for an unknown one, ErrorInvalidWatermark for a watermark
// not in the mailbox's event log, ErrorExceededSubscriptionCount past EWSMaxSubscriptions.
// Push subscriptions are not simulated: they get ErrorInvalidSubscriptionRequest.
func (s *Simulator) Subscribe(ctx context.Context, c *ewsserver.Call, req *ews.SubscribeRequest) (*ews.SubscribeResponse, error) {
	var spec subscribeSpec
	switch {
	case req.Pull != nil && req.Push == nil && req.Streaming == nil:
		p := req.Pull
		if err := rangeViolation("Timeout", p.Timeout, 1, 1440, "SubscriptionTimeoutType"); err != nil {
			return nil, err
		}
		spec = subscribeSpec{kind: pullSubscription, all: p.SubscribeToAllFolders, folderIds: p.FolderIds,
			types: p.EventTypes, watermark: p.Watermark, timeout: p.Timeout}
	case req.Streaming != nil && req.Pull == nil && req.Push == nil:
		p := req.Streaming
		spec = subscribeSpec{kind: streamingSubscription, all: p.SubscribeToAllFolders, folderIds: p.FolderIds, types: p.EventTypes}
	case req.Push != nil && req.Pull == nil && req.Streaming == nil:
		if err := checkEventTypes(req.Push.EventTypes); err != nil {
			return nil, err
		}
		return subscribeResponse(ews.SubscribeResponseMessage{ResponseMessage: ews.Failure(codeInvalidSubscriptionRequest,
			"Push subscriptions are not supported by this server.")}), nil
	default:
		return nil, &ews.SchemaError{Violation: "The element 'Subscribe' must contain exactly one of PullSubscriptionRequest, PushSubscriptionRequest and StreamingSubscriptionRequest."}
	}
	if err := checkEventTypes(spec.types); err != nil {
		return nil, err
	}
	msg, err := s.subscribe(ctx, c, spec)
	if err != nil {
		var re *ews.ResponseError
		if !errors.As(err, &re) {
			return nil, err
		}
		msg = ews.SubscribeResponseMessage{ResponseMessage: ews.FailureFrom(re)}
	} else {
		setAffinityCookie(c)
	}
	return subscribeResponse(msg), nil
}

// setAffinityCookie answers a subscription that asks for server affinity
// (X-PreferServerAffinity: true with X-AnchorMailbox, and no cookie yet) with the
// X-BackEndOverrideCookie Exchange uses to route a group of subscriptions to one mailbox
// server. Its value names a backend chosen by the anchor mailbox, so every mailbox of a
// group gets the same one.
func setAffinityCookie(c *ewsserver.Call) {
	r := c.Request
	if r == nil || c.ResponseHeader == nil || !strings.EqualFold(r.Header.Get("X-PreferServerAffinity"), "true") {
		return
	}
	anchor := strings.ToLower(strings.TrimSpace(r.Header.Get("X-AnchorMailbox")))
	if anchor == "" {
		return
	}
	if _, err := r.Cookie("X-BackEndOverrideCookie"); err == nil {
		return
	}
	h := fnv.New32a()
	h.Write([]byte(anchor))
	backend := fmt.Sprintf("EXCH%02d.contoso.local~%d", h.Sum32()%4+1, 1941997000+h.Sum32()%1000)
	c.ResponseHeader.Add("Set-Cookie", (&http.Cookie{Name: "X-BackEndOverrideCookie", Value: backend,
		Path: "/", Secure: true, HttpOnly: true}).String())
}

func subscribeResponse(m ews.SubscribeResponseMessage) *ews.SubscribeResponse {
	return &ews.SubscribeResponse{ResponseMessages: []ews.SubscribeResponseMessage{m}}
}

// checkEventTypes applies the schema to t:EventTypes: at least one, each subscribable.
func checkEventTypes(types []string) error {
	if len(types) == 0 {
		return &ews.SchemaError{Violation: "The element 'EventTypes' has incomplete content. List of possible elements expected: 'EventType'."}
	}
	for _, t := range types {
		if !ews.SubscribableEvent(t) {
			return &ews.SchemaError{Violation: "The 'EventType' element is invalid - The value '" + t +
				"' is invalid according to its datatype 'http://schemas.microsoft.com/exchange/services/2006/types:NotificationEventTypeType' - The Enumeration constraint failed."}
		}
	}
	return nil
}

// subscribe creates the subscription; a *ews.ResponseError goes in the message.
func (s *Simulator) subscribe(ctx context.Context, c *ewsserver.Call, spec subscribeSpec) (ews.SubscribeResponseMessage, error) {
	mb, err := s.mailbox(ctx, c)
	if err != nil {
		return ews.SubscribeResponseMessage{}, err
	}
	sub := &subscription{
		kind:    spec.kind,
		owner:   s.callerSMTP(c),
		mailbox: mb.SMTP(),
		mb:      mb,
		budget:  s.throttle.budgetKey(c.Caller, c.Mailbox, c.Impersonating()),
		all:     spec.all != nil && *spec.all,
		timeout: time.Duration(spec.timeout) * time.Minute,
	}
	for _, t := range spec.types {
		if k, ok := eventKinds[t]; ok {
			sub.kinds |= 1 << uint(k)
		}
	}
	hasFolders := spec.folderIds != nil && len(spec.folderIds.Ids) > 0
	if sub.all == hasFolders {
		return ews.SubscribeResponseMessage{}, &ews.ResponseError{Code: codeInvalidSubscriptionRequest,
			Message: "A subscription must name its folders in FolderIds or set SubscribeToAllFolders, not both."}
	}
	if hasFolders {
		sub.folders = map[string]bool{}
		for _, id := range spec.folderIds.Ids {
			if id.Mailbox != nil && id.Mailbox.EmailAddress != "" && !sameAddress(s.world, id.Mailbox.EmailAddress, mb.SMTP()) {
				return ews.SubscribeResponseMessage{}, &ews.ResponseError{Code: ews.ErrorSubscriptionDelegateAccessNotSupported,
					Message: "Subscriptions are not supported for delegate user access."}
			}
			f, err := mb.Folder(RefFromEWS(id))
			if err != nil {
				return ews.SubscribeResponseMessage{}, err
			}
			sub.folders[f.FolderId.Id] = true
		}
	}

	r := s.subs
	l := r.startLog(mb) // returns with r.mu held
	defer r.mu.Unlock()
	now := r.now()
	r.sweepLocked(now, false)
	start := l.latest
	if spec.watermark != "" {
		wm, ok := decodeWatermark(spec.watermark, mb.guid)
		if !ok || !l.valid(wm) {
			return ews.SubscribeResponseMessage{}, errInvalidWatermark()
		}
		start = wm
	}
	sub.lastUsed, sub.cursor = now, start
	if err := r.addLocked(sub, now); err != nil {
		return ews.SubscribeResponseMessage{}, err
	}
	msg := ews.SubscribeResponseMessage{ResponseMessage: ews.Success(), SubscriptionId: sub.id}
	if sub.kind == pullSubscription {
		msg.Watermark = encodeWatermark(mb.guid, start)
	}
	return msg, nil
}
