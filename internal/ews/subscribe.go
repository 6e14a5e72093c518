package ews

import "encoding/xml"

// Response codes of the notification operations (Subscribe, GetEvents,
// GetStreamingEvents, Unsubscribe).
const (
	ErrorExpiredSubscription                    = "ErrorExpiredSubscription"
	ErrorInvalidPullSubscriptionId              = "ErrorInvalidPullSubscriptionId"
	ErrorInvalidPushSubscriptionUrl             = "ErrorInvalidPushSubscriptionUrl"
	ErrorInvalidWatermark                       = "ErrorInvalidWatermark"
	ErrorMissedNotificationEvents               = "ErrorMissedNotificationEvents"
	ErrorSubscriptionAccessDenied               = "ErrorSubscriptionAccessDenied"
	ErrorSubscriptionDelegateAccessNotSupported = "ErrorSubscriptionDelegateAccessNotSupported"
	ErrorSubscriptionUnsubscribed               = "ErrorSubscriptionUnsubscribed"
)

// SubscribeRequest is the m:Subscribe operation: subscribe to events in folders of the
// mailbox. Exactly one of Pull, Push and Streaming is set.
type SubscribeRequest struct {
	Pull      *PullSubscriptionRequest      `xml:"m:PullSubscriptionRequest"`
	Push      *PushSubscriptionRequest      `xml:"m:PushSubscriptionRequest"`
	Streaming *StreamingSubscriptionRequest `xml:"m:StreamingSubscriptionRequest"`
}

// PullSubscriptionRequest asks for a subscription polled with GetEvents. It dies when not
// polled for Timeout minutes (1–1440). Without FolderIds, SubscribeToAllFolders should be
// true. A Watermark resumes an earlier subscription's event stream.
type PullSubscriptionRequest struct {
	SubscribeToAllFolders *bool      `xml:"SubscribeToAllFolders,attr"`
	FolderIds             *FolderIds `xml:"t:FolderIds"`
	EventTypes            []string   `xml:"t:EventTypes>t:EventType"`
	Watermark             string     `xml:"t:Watermark,omitempty"`
	Timeout               int        `xml:"t:Timeout"`
}

// UnmarshalXML decodes the request, also accepting the watermark as m:Watermark, which
// exchangelib sends.
func (r *PullSubscriptionRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain PullSubscriptionRequest
	var v struct {
		plain
		MWatermark string `xml:"m:Watermark"`
	}
	if err := d.DecodeElement(&v, &start); err != nil {
		return err
	}
	*r = PullSubscriptionRequest(v.plain)
	if r.Watermark == "" {
		r.Watermark = v.MWatermark
	}
	return nil
}

// PushSubscriptionRequest asks for a subscription whose events the server POSTs to URL
// (m:SendNotification), with a StatusEvent every StatusFrequency minutes (1–1440) when
// nothing happens.
type PushSubscriptionRequest struct {
	SubscribeToAllFolders *bool      `xml:"SubscribeToAllFolders,attr"`
	FolderIds             *FolderIds `xml:"t:FolderIds"`
	EventTypes            []string   `xml:"t:EventTypes>t:EventType"`
	Watermark             string     `xml:"t:Watermark,omitempty"`
	StatusFrequency       int        `xml:"t:StatusFrequency"`
	URL                   string     `xml:"t:URL"`
	CallerData            string     `xml:"t:CallerData,omitempty"`
}

// UnmarshalXML decodes the request, also accepting the watermark as m:Watermark, which
// exchangelib sends.
func (r *PushSubscriptionRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain PushSubscriptionRequest
	var v struct {
		plain
		MWatermark string `xml:"m:Watermark"`
	}
	if err := d.DecodeElement(&v, &start); err != nil {
		return err
	}
	*r = PushSubscriptionRequest(v.plain)
	if r.Watermark == "" {
		r.Watermark = v.MWatermark
	}
	return nil
}

// StreamingSubscriptionRequest asks for a subscription read with GetStreamingEvents. It
// has no watermark and no timeout.
type StreamingSubscriptionRequest struct {
	SubscribeToAllFolders *bool      `xml:"SubscribeToAllFolders,attr"`
	FolderIds             *FolderIds `xml:"t:FolderIds"`
	EventTypes            []string   `xml:"t:EventTypes>t:EventType"`
}

// SubscribeResponse is the m:SubscribeResponse element: one message for the subscription.
type SubscribeResponse struct {
	ResponseMessages []SubscribeResponseMessage `xml:"m:ResponseMessages>m:SubscribeResponseMessage"`
}

// SubscribeResponseMessage carries the new subscription's id and, for pull and push
// subscriptions, the watermark its events start after.
type SubscribeResponseMessage struct {
	ResponseMessage
	SubscriptionId string `xml:"m:SubscriptionId,omitempty"`
	Watermark      string `xml:"m:Watermark,omitempty"`
}
