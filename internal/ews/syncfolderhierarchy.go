package ews

import "encoding/xml"

// SyncFolderHierarchyRequest is the m:SyncFolderHierarchy operation: the folders created,
// changed or deleted under SyncFolderId (the mailbox root when absent) since SyncState
// (everything, as creates, when empty).
type SyncFolderHierarchyRequest struct {
	FolderShape  FolderShape `xml:"m:FolderShape"`
	SyncFolderId *FolderIds  `xml:"m:SyncFolderId"`
	SyncState    string      `xml:"m:SyncState,omitempty"`
}

// SyncFolderHierarchyResponse is the m:SyncFolderHierarchyResponse element.
type SyncFolderHierarchyResponse struct {
	ResponseMessages []SyncFolderHierarchyResponseMessage `xml:"m:ResponseMessages>m:SyncFolderHierarchyResponseMessage"`
}

// SyncFolderHierarchyResponseMessage carries the changes and the new SyncState. A
// successful message always carries SyncState and IncludesLastFolderInRange: exchangelib
// reads both unconditionally.
type SyncFolderHierarchyResponseMessage struct {
	ResponseMessage
	SyncState                 string                      `xml:"m:SyncState"`
	IncludesLastFolderInRange *bool                       `xml:"m:IncludesLastFolderInRange"`
	Changes                   *SyncFolderHierarchyChanges `xml:"m:Changes"`
}

// SyncFolderHierarchyChanges lists folder changes in order.
type SyncFolderHierarchyChanges struct {
	Changes []SyncFolderHierarchyChange `xml:",any"`
}

// SyncFolderHierarchyChange is one change, its kind in XMLName (ChangeCreate,
// ChangeUpdate or ChangeDelete): a create or update carries the folder, a delete its id.
type SyncFolderHierarchyChange struct {
	XMLName  xml.Name
	Folder   *Folder   `xml:",any"`
	FolderId *FolderId `xml:"t:FolderId"`
}

// Kind returns the change's element name: ChangeCreate, ChangeUpdate or ChangeDelete.
func (c *SyncFolderHierarchyChange) Kind() string { return c.XMLName.Local }

// Kinds of sync changes, as element names. ChangeReadFlag occurs in SyncFolderItems only.
const (
	ChangeCreate   = "t:Create"
	ChangeUpdate   = "t:Update"
	ChangeDelete   = "t:Delete"
	ChangeReadFlag = "t:ReadFlagChange"
)

// FolderCreated returns the change reporting a new folder.
func FolderCreated(f Folder) SyncFolderHierarchyChange {
	return SyncFolderHierarchyChange{XMLName: xml.Name{Local: ChangeCreate}, Folder: &f}
}

// FolderUpdated returns the change reporting a changed folder.
func FolderUpdated(f Folder) SyncFolderHierarchyChange {
	return SyncFolderHierarchyChange{XMLName: xml.Name{Local: ChangeUpdate}, Folder: &f}
}

// FolderDeleted returns the change reporting a deleted folder.
func FolderDeleted(id FolderId) SyncFolderHierarchyChange {
	return SyncFolderHierarchyChange{XMLName: xml.Name{Local: ChangeDelete}, FolderId: &id}
}
