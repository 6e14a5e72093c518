package ews

// UnsubscribeRequest is the m:Unsubscribe operation: end a pull or streaming subscription
// (push subscriptions end when the listener answers Unsubscribe).
type UnsubscribeRequest struct {
	SubscriptionId string `xml:"m:SubscriptionId"`
}

// UnsubscribeResponse is the m:UnsubscribeResponse element: one message, with no payload.
type UnsubscribeResponse struct {
	ResponseMessages []UnsubscribeResponseMessage `xml:"m:ResponseMessages>m:UnsubscribeResponseMessage"`
}

// UnsubscribeResponseMessage says whether the subscription was ended.
type UnsubscribeResponseMessage struct {
	ResponseMessage
}
