package ews

// Values of m:ConnectionStatus in a GetStreamingEvents response message.
const (
	// ConnectionOK: the connection stays open; more envelopes follow.
	ConnectionOK = "OK"
	// ConnectionClosed: the last envelope; ConnectionTimeout elapsed (or the server ended the
	// stream) and the client issues a new GetStreamingEvents.
	ConnectionClosed = "Closed"
)

// GetStreamingEventsRequest is the m:GetStreamingEvents operation: hold the connection
// open for ConnectionTimeout minutes (1–30) and stream the events of the subscriptions.
type GetStreamingEventsRequest struct {
	SubscriptionIds   []string `xml:"m:SubscriptionIds>t:SubscriptionId"`
	ConnectionTimeout int      `xml:"m:ConnectionTimeout"`
}

// GetStreamingEventsResponse is one of the several complete envelopes a
// GetStreamingEvents answer consists of. Each holds one message: notifications, a
// keep-alive (ConnectionStatus OK and nothing else), or the final ConnectionStatus Closed.
//
// Like Exchange, it writes m:Notification and m:ErrorSubscriptionIds/m:SubscriptionId where
// the published schema says t:, so these envelopes do not validate against types.xsd.
type GetStreamingEventsResponse struct {
	ResponseMessages []GetStreamingEventsResponseMessage `xml:"m:ResponseMessages>m:GetStreamingEventsResponseMessage"`
}

// GetStreamingEventsResponseMessage carries notifications for one or more of the
// requested subscriptions, or an error together with the subscription ids it concerns.
type GetStreamingEventsResponseMessage struct {
	ResponseMessage
	Notifications        *StreamingNotifications `xml:"m:Notifications"`
	ErrorSubscriptionIds *ErrorSubscriptionIds   `xml:"m:ErrorSubscriptionIds"`
	ConnectionStatus     string                  `xml:"m:ConnectionStatus,omitempty"`
}

// StreamingEvents returns the envelope body that delivers notifications on an open
// stream.
func StreamingEvents(n ...Notification) *GetStreamingEventsResponse {
	return &GetStreamingEventsResponse{ResponseMessages: []GetStreamingEventsResponseMessage{{
		ResponseMessage:  Success(),
		Notifications:    &StreamingNotifications{Notifications: n},
		ConnectionStatus: ConnectionOK,
	}}}
}

// StreamingKeepAlive returns the envelope body Exchange sends on an idle stream to keep
// the connection alive.
func StreamingKeepAlive() *GetStreamingEventsResponse {
	return &GetStreamingEventsResponse{ResponseMessages: []GetStreamingEventsResponseMessage{{
		ResponseMessage:  Success(),
		ConnectionStatus: ConnectionOK,
	}}}
}

// StreamingClosed returns the last envelope body of a stream.
func StreamingClosed() *GetStreamingEventsResponse {
	return &GetStreamingEventsResponse{ResponseMessages: []GetStreamingEventsResponseMessage{{
		ResponseMessage:  Success(),
		ConnectionStatus: ConnectionClosed,
	}}}
}

// StreamingError returns the envelope body that reports an error for some subscriptions
// (for example ErrorSubscriptionNotFound) and ends the stream.
func StreamingError(err error, subscriptionIds ...string) *GetStreamingEventsResponse {
	m := GetStreamingEventsResponseMessage{ResponseMessage: FailureFrom(err), ConnectionStatus: ConnectionClosed}
	if len(subscriptionIds) > 0 {
		m.ErrorSubscriptionIds = &ErrorSubscriptionIds{Ids: subscriptionIds}
	}
	return &GetStreamingEventsResponse{ResponseMessages: []GetStreamingEventsResponseMessage{m}}
}
