package ews

// Message dispositions (MessageDispositionType): what CreateItem and UpdateItem do with
// messages. Messages require one.
const (
	SaveOnly        = "SaveOnly"        // keep as a draft
	SendOnly        = "SendOnly"        // send, keep no copy
	SendAndSaveCopy = "SendAndSaveCopy" // send, keep a copy in Sent Items (or SavedItemFolderId)
)

// Meeting invitation and cancellation modes (CalendarItemCreateOrDeleteOperationType and
// CalendarItemUpdateOperationType). Calendar items require one.
const (
	SendToNone               = "SendToNone"
	SendOnlyToAll            = "SendOnlyToAll"
	SendOnlyToChanged        = "SendOnlyToChanged" // UpdateItem only
	SendToAllAndSaveCopy     = "SendToAllAndSaveCopy"
	SendToChangedAndSaveCopy = "SendToChangedAndSaveCopy" // UpdateItem only
)

// CreateItemRequest is the m:CreateItem operation: create items in SavedItemFolderId (the
// kind's default folder when absent), sending messages and meeting invitations as
// MessageDisposition and SendMeetingInvitations say.
type CreateItemRequest struct {
	MessageDisposition     string     `xml:"MessageDisposition,attr,omitempty"`
	SendMeetingInvitations string     `xml:"SendMeetingInvitations,attr,omitempty"`
	SavedItemFolderId      *FolderIds `xml:"m:SavedItemFolderId"`
	Items                  Items      `xml:"m:Items"`
}

// CreateItemResponse is the m:CreateItemResponse element: one message per item, in
// request order.
type CreateItemResponse struct {
	ResponseMessages []CreateItemResponseMessage `xml:"m:ResponseMessages>m:CreateItemResponseMessage"`
}

// CreateItemResponseMessage carries the created item (usually its id only); Items is
// empty for SendOnly and on errors.
type CreateItemResponseMessage struct {
	ResponseMessage
	Items Items `xml:"m:Items"`
}
