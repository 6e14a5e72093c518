package ews

// Delete types (DisposalType).
const (
	HardDelete         = "HardDelete"
	SoftDelete         = "SoftDelete"
	MoveToDeletedItems = "MoveToDeletedItems"
)

// Affected task occurrences (AffectedTaskOccurrencesType); tasks require one.
const (
	AllOccurrences          = "AllOccurrences"
	SpecifiedOccurrenceOnly = "SpecifiedOccurrenceOnly"
)

// DeleteItemRequest is the m:DeleteItem operation: delete items. Calendar items require
// SendMeetingCancellations (SendToNone, SendOnlyToAll or SendToAllAndSaveCopy).
type DeleteItemRequest struct {
	DeleteType               string  `xml:"DeleteType,attr"`
	SendMeetingCancellations string  `xml:"SendMeetingCancellations,attr,omitempty"`
	AffectedTaskOccurrences  string  `xml:"AffectedTaskOccurrences,attr,omitempty"`
	SuppressReadReceipts     *bool   `xml:"SuppressReadReceipts,attr"`
	ItemIds                  ItemIds `xml:"m:ItemIds"`
}

// DeleteItemResponse is the m:DeleteItemResponse element: one message per id, in request
// order, with no payload.
type DeleteItemResponse struct {
	ResponseMessages []DeleteItemResponseMessage `xml:"m:ResponseMessages>m:DeleteItemResponseMessage"`
}

// DeleteItemResponseMessage reports the outcome for one id.
type DeleteItemResponseMessage struct {
	ResponseMessage
}
