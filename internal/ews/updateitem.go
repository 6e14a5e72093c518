package ews

import "encoding/xml"

// Conflict resolutions (ConflictResolutionType): what UpdateItem does when the ChangeKey
// is stale.
const (
	NeverOverwrite  = "NeverOverwrite"
	AutoResolve     = "AutoResolve"
	AlwaysOverwrite = "AlwaysOverwrite"
)

// UpdateItem response codes.
const (
	ErrorIrresolvableConflict                = "ErrorIrresolvableConflict"
	ErrorChangeKeyRequiredForWriteOperations = "ErrorChangeKeyRequiredForWriteOperations"
	ErrorInvalidPropertySet                  = "ErrorInvalidPropertySet"
)

// UpdateItemRequest is the m:UpdateItem operation: change properties of items. Each
// ItemChange names one item and a list of field updates.
type UpdateItemRequest struct {
	ConflictResolution                    string       `xml:"ConflictResolution,attr"`
	MessageDisposition                    string       `xml:"MessageDisposition,attr,omitempty"`
	SendMeetingInvitationsOrCancellations string       `xml:"SendMeetingInvitationsOrCancellations,attr,omitempty"`
	SuppressReadReceipts                  *bool        `xml:"SuppressReadReceipts,attr"`
	SavedItemFolderId                     *FolderIds   `xml:"m:SavedItemFolderId"`
	ItemChanges                           []ItemChange `xml:"m:ItemChanges>t:ItemChange"`
}

// ItemChange updates one item, named by exactly one of ItemId, OccurrenceItemId or
// RecurringMasterItemId (see Target).
type ItemChange struct {
	ItemId                *ItemId                `xml:"t:ItemId"`
	OccurrenceItemId      *OccurrenceItemId      `xml:"t:OccurrenceItemId"`
	RecurringMasterItemId *RecurringMasterItemId `xml:"t:RecurringMasterItemId"`
	Updates               ItemUpdates            `xml:"t:Updates"`
}

// OccurrenceItemId names one occurrence of a recurring series by its 1-based index.
type OccurrenceItemId struct {
	RecurringMasterId string `xml:"RecurringMasterId,attr"`
	ChangeKey         string `xml:"ChangeKey,attr,omitempty"`
	InstanceIndex     int    `xml:"InstanceIndex,attr"`
}

// RecurringMasterItemId names the series an occurrence (OccurrenceId) belongs to.
type RecurringMasterItemId struct {
	OccurrenceId string `xml:"OccurrenceId,attr"`
	ChangeKey    string `xml:"ChangeKey,attr,omitempty"`
}

// Target returns the id of the item to change, whichever form it was given in.
func (c *ItemChange) Target() BaseItemId {
	switch {
	case c.ItemId != nil:
		return ItemRef(*c.ItemId)
	case c.OccurrenceItemId != nil:
		return BaseItemId{XMLName: xml.Name{Local: "t:OccurrenceItemId"}, RecurringMasterId: c.OccurrenceItemId.RecurringMasterId,
			ChangeKey: c.OccurrenceItemId.ChangeKey, InstanceIndex: c.OccurrenceItemId.InstanceIndex}
	case c.RecurringMasterItemId != nil:
		return BaseItemId{XMLName: xml.Name{Local: "t:RecurringMasterItemId"}, OccurrenceId: c.RecurringMasterItemId.OccurrenceId,
			ChangeKey: c.RecurringMasterItemId.ChangeKey}
	}
	return BaseItemId{}
}

// ItemUpdates lists the field updates of one item, applied in order.
type ItemUpdates struct {
	Updates []ItemUpdate `xml:",any"`
}

// Kinds of field updates, as element names.
const (
	UpdateSet    = "t:SetItemField"
	UpdateAppend = "t:AppendToItemField"
	UpdateDelete = "t:DeleteItemField"
)

// ItemUpdate is one field update, its kind in XMLName: UpdateSet and UpdateAppend carry
// the property path and an item of the updated kind holding exactly that one property
// (else ErrorIncorrectUpdatePropertyCount); UpdateDelete carries the path only.
type ItemUpdate struct {
	XMLName xml.Name
	PathChoice
	Item *Item `xml:",any"`
}

// Kind returns the update's element name: UpdateSet, UpdateAppend or UpdateDelete.
func (u *ItemUpdate) Kind() string { return u.XMLName.Local }

// SetItemField returns the update setting property p to its value in it.
func SetItemField(p PropertyPath, it Item) ItemUpdate {
	return ItemUpdate{XMLName: xml.Name{Local: UpdateSet}, PathChoice: PathTo(p), Item: &it}
}

// AppendToItemField returns the update appending it's value of p (recipients, body text)
// to the item's.
func AppendToItemField(p PropertyPath, it Item) ItemUpdate {
	return ItemUpdate{XMLName: xml.Name{Local: UpdateAppend}, PathChoice: PathTo(p), Item: &it}
}

// DeleteItemField returns the update removing property p.
func DeleteItemField(p PropertyPath) ItemUpdate {
	return ItemUpdate{XMLName: xml.Name{Local: UpdateDelete}, PathChoice: PathTo(p)}
}

// UpdateItemResponse is the m:UpdateItemResponse element: one message per ItemChange, in
// request order.
type UpdateItemResponse struct {
	ResponseMessages []UpdateItemResponseMessage `xml:"m:ResponseMessages>m:UpdateItemResponseMessage"`
}

// UpdateItemResponseMessage carries the updated item's id with its new ChangeKey, and the
// number of conflicts AutoResolve settled.
type UpdateItemResponseMessage struct {
	ResponseMessage
	Items           Items            `xml:"m:Items"`
	ConflictResults *ConflictResults `xml:"m:ConflictResults"`
}

// ConflictResults counts the conflicting properties of an update.
type ConflictResults struct {
	Count int `xml:"t:Count"`
}
