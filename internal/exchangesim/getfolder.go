package exchangesim

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// GetFolder implements ewsserver.GetFolderBackend: one message per requested folder, in
// request order.
func (s *Simulator) GetFolder(ctx context.Context, c *ewsserver.Call, req *ews.GetFolderRequest) (*ews.GetFolderResponse, error) {
	resp := &ews.GetFolderResponse{}
	mb, mbErr := s.mailbox(ctx, c)
	for _, id := range req.FolderIds.Ids {
		msg := ews.GetFolderResponseMessage{Folders: &ews.Folders{}}
		f, err := s.folder(mb, mbErr, c, id)
		if err != nil {
			msg.ResponseMessage = ews.FailureFrom(err)
		} else {
			msg.ResponseMessage = ews.Success()
			msg.Folders.Folders = []ews.Folder{shapeFolder(f, req.FolderShape)}
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

// folder resolves one folder id of a request against the call's mailbox. A
// DistinguishedFolderId naming another mailbox is delegate access, which no account in
// the simulator has.
func (s *Simulator) folder(mb *Mailbox, mbErr error, c *ewsserver.Call, id ews.BaseFolderId) (ews.Folder, error) {
	if mbErr != nil {
		return ews.Folder{}, mbErr
	}
	if id.Mailbox != nil && id.Mailbox.EmailAddress != "" && !sameAddress(s.world, id.Mailbox.EmailAddress, c.Mailbox) {
		return ews.Folder{}, &ews.ResponseError{Code: ews.ErrorAccessDenied, Message: "Access is denied. Check credentials and try again."}
	}
	return mb.Folder(RefFromEWS(id))
}

// sameAddress reports whether two addresses name the same directory entry.
func sameAddress(w *World, a, b string) bool {
	ua, ok1 := w.Directory().Lookup(a)
	ub, ok2 := w.Directory().Lookup(b)
	return ok1 && ok2 && ua.PrimarySMTP == ub.PrimarySMTP
}

// shapeFolder keeps the properties a FolderShape asks for: IdOnly the id; Default adds
// the display name and counts; AllProperties everything the simulator knows.
func shapeFolder(f ews.Folder, shape ews.FolderShape) ews.Folder {
	out := ews.Folder{XMLName: f.XMLName, FolderId: f.FolderId}
	switch shape.BaseShape {
	case ews.ShapeIdOnly:
	case ews.ShapeAllProperties:
		out = f
	default:
		out.DisplayName, out.TotalCount, out.ChildFolderCount, out.UnreadCount = f.DisplayName, f.TotalCount, f.ChildFolderCount, f.UnreadCount
	}
	if shape.AdditionalProperties != nil {
		for _, p := range shape.AdditionalProperties.Paths {
			switch p.FieldURI {
			case "folder:ParentFolderId":
				out.ParentFolderId = f.ParentFolderId
			case "folder:FolderClass":
				out.FolderClass = f.FolderClass
			case "folder:DisplayName":
				out.DisplayName = f.DisplayName
			case "folder:TotalCount":
				out.TotalCount = f.TotalCount
			case "folder:ChildFolderCount":
				out.ChildFolderCount = f.ChildFolderCount
			case "folder:UnreadCount":
				out.UnreadCount = f.UnreadCount
			}
		}
	}
	if out.Kind() != ews.KindFolder && out.Kind() != ews.KindTasksFolder && out.Kind() != ews.KindSearchFolder {
		out.UnreadCount = nil
	}
	return out
}
