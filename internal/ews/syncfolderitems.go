package ews

import "encoding/xml"

// Sync scopes (SyncFolderItemsScopeType).
const (
	SyncNormalItems              = "NormalItems"
	SyncNormalAndAssociatedItems = "NormalAndAssociatedItems"
)

// MaxSyncChanges is the largest MaxChangesReturned the schema allows.
const MaxSyncChanges = 512

// SyncFolderItemsRequest is the m:SyncFolderItems operation: the items created, changed
// or deleted in one folder since SyncState (every item, as creates, when empty), at most
// MaxChangesReturned (1..MaxSyncChanges) per call. Ignore lists ids to leave out.
type SyncFolderItemsRequest struct {
	ItemShape          ItemShape `xml:"m:ItemShape"`
	SyncFolderId       FolderIds `xml:"m:SyncFolderId"`
	SyncState          string    `xml:"m:SyncState,omitempty"`
	Ignore             *ItemIds  `xml:"m:Ignore"`
	MaxChangesReturned int       `xml:"m:MaxChangesReturned"`
	SyncScope          string    `xml:"m:SyncScope,omitempty"`
}

// SyncFolderItemsResponse is the m:SyncFolderItemsResponse element.
type SyncFolderItemsResponse struct {
	ResponseMessages []SyncFolderItemsResponseMessage `xml:"m:ResponseMessages>m:SyncFolderItemsResponseMessage"`
}

// SyncFolderItemsResponseMessage carries one page of changes and the SyncState to resume
// from. The client loops while IncludesLastItemInRange is false. A successful message
// always carries SyncState and IncludesLastItemInRange: exchangelib reads both
// unconditionally — exchangelib 4.9 even reads them before it looks at ResponseClass, so
// an error message without them makes it fail with an AttributeError instead of raising
// the error.
type SyncFolderItemsResponseMessage struct {
	ResponseMessage
	SyncState               string                  `xml:"m:SyncState"`
	IncludesLastItemInRange *bool                   `xml:"m:IncludesLastItemInRange"`
	Changes                 *SyncFolderItemsChanges `xml:"m:Changes"`
}

// SyncFolderItemsChanges lists item changes in the order they happened.
type SyncFolderItemsChanges struct {
	Changes []SyncFolderItemsChange `xml:",any"`
}

// SyncFolderItemsChange is one change, its kind in XMLName: ChangeCreate and
// ChangeUpdate carry the item (in the requested shape); ChangeDelete carries ItemId;
// ChangeReadFlag carries ItemId and IsRead.
type SyncFolderItemsChange struct {
	XMLName xml.Name
	Item    *Item   `xml:",any"`
	ItemId  *ItemId `xml:"t:ItemId"`
	IsRead  *bool   `xml:"t:IsRead"`
}

// Kind returns the change's element name: ChangeCreate, ChangeUpdate, ChangeDelete or
// ChangeReadFlag.
func (c *SyncFolderItemsChange) Kind() string { return c.XMLName.Local }

// ItemCreated returns the change reporting a new item.
func ItemCreated(it Item) SyncFolderItemsChange {
	return SyncFolderItemsChange{XMLName: xml.Name{Local: ChangeCreate}, Item: &it}
}

// ItemUpdated returns the change reporting a changed item.
func ItemUpdated(it Item) SyncFolderItemsChange {
	return SyncFolderItemsChange{XMLName: xml.Name{Local: ChangeUpdate}, Item: &it}
}

// ItemDeleted returns the change reporting a deleted (or moved away) item.
func ItemDeleted(id ItemId) SyncFolderItemsChange {
	return SyncFolderItemsChange{XMLName: xml.Name{Local: ChangeDelete}, ItemId: &id}
}

// ReadFlagChanged returns the change reporting that only an item's read state changed.
func ReadFlagChanged(id ItemId, isRead bool) SyncFolderItemsChange {
	return SyncFolderItemsChange{XMLName: xml.Name{Local: ChangeReadFlag}, ItemId: &id, IsRead: &isRead}
}
