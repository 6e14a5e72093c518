package ews

// GetFolderRequest is the m:GetFolder operation: read folders by id.
type GetFolderRequest struct {
	FolderShape FolderShape `xml:"m:FolderShape"`
	FolderIds   FolderIds   `xml:"m:FolderIds"`
}

// GetFolderResponse is the m:GetFolderResponse element: one message per requested folder,
// in request order.
type GetFolderResponse struct {
	ResponseMessages []GetFolderResponseMessage `xml:"m:ResponseMessages>m:GetFolderResponseMessage"`
}

// GetFolderResponseMessage carries one folder, or an error for one requested id.
type GetFolderResponseMessage struct {
	ResponseMessage
	Folders *Folders `xml:"m:Folders"`
}
