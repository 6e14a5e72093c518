package ews

// Folder traversals (FolderQueryTraversalType). TraversalShallow and
// TraversalSoftDeleted are shared with FindItem.
const TraversalDeep = "Deep"

// FindFolderRequest is the m:FindFolder operation: list the subfolders of folders,
// direct children (Shallow) or the whole subtree (Deep), optionally filtered and paged.
type FindFolderRequest struct {
	Traversal                string              `xml:"Traversal,attr"`
	FolderShape              FolderShape         `xml:"m:FolderShape"`
	IndexedPageFolderView    *IndexedPageView    `xml:"m:IndexedPageFolderView"`
	FractionalPageFolderView *FractionalPageView `xml:"m:FractionalPageFolderView"`
	Restriction              *Restriction        `xml:"m:Restriction"`
	ParentFolderIds          FolderIds           `xml:"m:ParentFolderIds"`
}

// FindFolderResponse is the m:FindFolderResponse element: one message per parent folder.
type FindFolderResponse struct {
	ResponseMessages []FindFolderResponseMessage `xml:"m:ResponseMessages>m:FindFolderResponseMessage"`
}

// FindFolderResponseMessage carries one page of one parent's subfolders.
type FindFolderResponseMessage struct {
	ResponseMessage
	RootFolder *FindFolderRootFolder `xml:"m:RootFolder"`
}

// FindFolderRootFolder is the m:RootFolder of a FindFolder answer: the paging state and
// the folders of the page.
type FindFolderRootFolder struct {
	Paging
	Folders *Folders `xml:"t:Folders"`
}
