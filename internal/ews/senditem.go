package ews

// Response codes of SendItem.
const (
	ErrorInvalidItemForOperationSendItem = "ErrorInvalidItemForOperationSendItem"
	ErrorInvalidSendItemSaveSettings     = "ErrorInvalidSendItemSaveSettings"
	ErrorStaleObject                     = "ErrorStaleObject"
)

// SendItemRequest is the m:SendItem operation: send messages already in the store
// (drafts), keeping a copy in SavedItemFolderId (Sent Items when absent) if
// SaveItemToFolder is set. SavedItemFolderId with SaveItemToFolder false is
// ErrorInvalidSendItemSaveSettings. SaveItemToFolder is required.
type SendItemRequest struct {
	SaveItemToFolder  *bool      `xml:"SaveItemToFolder,attr"`
	ItemIds           ItemIds    `xml:"m:ItemIds"`
	SavedItemFolderId *FolderIds `xml:"m:SavedItemFolderId"`
}

// SendItemResponse is the m:SendItemResponse element: one message per id, in request
// order, with no payload.
type SendItemResponse struct {
	ResponseMessages []SendItemResponseMessage `xml:"m:ResponseMessages>m:SendItemResponseMessage"`
}

// SendItemResponseMessage reports the outcome for one id.
type SendItemResponseMessage struct {
	ResponseMessage
}
