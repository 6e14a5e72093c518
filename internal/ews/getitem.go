package ews

// GetItemRequest is the m:GetItem operation: read items by id, in the given shape.
type GetItemRequest struct {
	ItemShape ItemShape `xml:"m:ItemShape"`
	ItemIds   ItemIds   `xml:"m:ItemIds"`
}

// GetItemResponse is the m:GetItemResponse element: one message per requested id, in
// request order.
type GetItemResponse struct {
	ResponseMessages []GetItemResponseMessage `xml:"m:ResponseMessages>m:GetItemResponseMessage"`
}

// GetItemResponseMessage carries one item, or an error for one requested id. Items is
// always written (empty on errors), as the schema requires and Exchange does.
type GetItemResponseMessage struct {
	ResponseMessage
	Items Items `xml:"m:Items"`
}
