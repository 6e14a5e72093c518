package ews

// GetEventsRequest is the m:GetEvents operation: poll a pull subscription for the events
// after Watermark.
type GetEventsRequest struct {
	SubscriptionId string `xml:"m:SubscriptionId"`
	Watermark      string `xml:"m:Watermark"`
}

// GetEventsResponse is the m:GetEventsResponse element: one message for the subscription.
type GetEventsResponse struct {
	ResponseMessages []GetEventsResponseMessage `xml:"m:ResponseMessages>m:GetEventsResponseMessage"`
}

// GetEventsResponseMessage carries the events after the requested watermark. With no
// change, the notification holds one StatusEvent with the current watermark. Clients loop
// while MoreEvents is true. Set PreviousWatermark and MoreEvents always: the EWS Managed
// API reads both as required.
type GetEventsResponseMessage struct {
	ResponseMessage
	Notification *Notification `xml:"m:Notification"`
}
