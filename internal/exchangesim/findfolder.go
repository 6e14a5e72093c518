package exchangesim

import (
	"context"
	"errors"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// FindFolder implements ewsserver.FindFolderBackend: one message per parent folder, each
// with one page of its subfolders — the direct children by name (Shallow) or the whole
// subtree, depth first (Deep) — filtered by Restriction and paged by IndexedPageFolderView
// or FractionalPageFolderView, as FindItem pages items (EWSFindCountLimit included). The
// simulator keeps no soft-deleted folders, so a SoftDeleted traversal finds nothing.
func (s *Simulator) FindFolder(ctx context.Context, c *ewsserver.Call, req *ews.FindFolderRequest) (*ews.FindFolderResponse, error) {
	q, err := compileFindFolder(c, req)
	var schemaErr *ews.SchemaError
	if errors.As(err, &schemaErr) {
		return nil, err
	}
	if len(req.ParentFolderIds.Ids) == 0 {
		return nil, &ews.SchemaError{Violation: "The element 'ParentFolderIds' has incomplete content."}
	}
	mb, mbErr := s.mailbox(ctx, c)
	resp := &ews.FindFolderResponse{ResponseMessages: make([]ews.FindFolderResponseMessage, 0, len(req.ParentFolderIds.Ids))}
	for _, id := range req.ParentFolderIds.Ids {
		var root *ews.FindFolderRootFolder
		e := err
		if e == nil {
			e = mbErr
		}
		if e == nil {
			var ref FolderRef
			if ref, e = s.folderRef(c, id); e == nil {
				root, e = q.run(mb, ref, req.FolderShape)
			}
		}
		msg := ews.FindFolderResponseMessage{ResponseMessage: ews.Success(), RootFolder: root}
		if e != nil {
			msg = ews.FindFolderResponseMessage{ResponseMessage: ews.FailureFrom(e)}
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

// findFolderQuery is a compiled FindFolder request.
type findFolderQuery struct {
	traversal string
	where     propPredicate[*ews.Folder]
	page      pageSpec
	limit     int
	legacy    bool
}

// compileFindFolder checks a FindFolder request: schema violations are *ews.SchemaError,
// anything Exchange answers per folder a *ews.ResponseError.
func compileFindFolder(c *ewsserver.Call, req *ews.FindFolderRequest) (*findFolderQuery, error) {
	q := &findFolderQuery{traversal: req.Traversal, limit: findCountLimit, legacy: legacyFindLimit(c.Version)}
	switch req.Traversal {
	case ews.TraversalShallow, ews.TraversalDeep, ews.TraversalSoftDeleted:
	default:
		return nil, enumViolation("Traversal", req.Traversal, "FolderQueryTraversalType")
	}
	if err := checkFolderShape(req.FolderShape); err != nil {
		return nil, err
	}
	var err error
	switch {
	case req.IndexedPageFolderView != nil && req.FractionalPageFolderView != nil:
		return nil, &ews.SchemaError{Violation: "The element 'FindFolder' has more than one paging view."}
	case req.IndexedPageFolderView != nil:
		q.page, err = indexedPage(req.IndexedPageFolderView)
	case req.FractionalPageFolderView != nil:
		q.page, err = fractionalPage(req.FractionalPageFolderView)
	}
	if err != nil {
		return nil, err
	}
	if req.Restriction != nil {
		if q.where, err = compileRestriction(req.Restriction, folderAccessor); err != nil {
			return nil, err
		}
		q.limit = findCountLimitSearch
	}
	return q, nil
}

// run answers the query for one parent folder.
func (q *findFolderQuery) run(mb *Mailbox, ref FolderRef, shape ews.FolderShape) (*ews.FindFolderRootFolder, error) {
	var found []ews.Folder
	var err error
	if q.traversal == ews.TraversalSoftDeleted {
		_, err = mb.Folder(ref)
	} else {
		found, err = mb.FindFolders(ref, q.traversal == ews.TraversalDeep)
	}
	if err != nil {
		return nil, err
	}
	if q.where != nil {
		kept := found[:0]
		for i := range found {
			if q.where(&found[i]) {
				kept = append(kept, found[i])
			}
		}
		found = kept
	}
	lo, hi, paging, err := q.page.window(len(found), q.limit, q.legacy, -1)
	if err != nil {
		return nil, err
	}
	root := &ews.FindFolderRootFolder{Paging: paging, Folders: &ews.Folders{Folders: make([]ews.Folder, 0, hi-lo)}}
	for _, f := range found[lo:hi] {
		root.Folders.Folders = append(root.Folders.Folders, shapeFolder(f, shape))
	}
	return root, nil
}

// folderAccessor returns how to read a folder property in a restriction.
func folderAccessor(p ews.PropertyPath) (propAccessor[*ews.Folder], error) {
	if p.XMLName.Local != "t:FieldURI" {
		if p.XMLName.Local == "t:IndexedFieldURI" || p.XMLName.Local == "t:ExtendedFieldURI" {
			return propAccessor[*ews.Folder]{}, &ews.ResponseError{Code: findCodeUnsupportedPath, Message: findMsgUnsupportedPath}
		}
		return propAccessor[*ews.Folder]{}, &ews.SchemaError{Violation: "The element '" + p.XMLName.Local + "' is not a valid property path."}
	}
	if !validFieldURI(p.FieldURI) {
		return propAccessor[*ews.Folder]{}, enumViolation("FieldURI", p.FieldURI, "UnindexedFieldURIType")
	}
	str := func(get func(*ews.Folder) string) propAccessor[*ews.Folder] {
		return propAccessor[*ews.Folder]{propString, func(f *ews.Folder) (propValue, bool) {
			s := get(f)
			return propValue{s: s}, s != ""
		}}
	}
	num := func(get func(*ews.Folder) *int) propAccessor[*ews.Folder] {
		return propAccessor[*ews.Folder]{propInt, func(f *ews.Folder) (propValue, bool) {
			n := get(f)
			if n == nil {
				return propValue{}, false
			}
			return propValue{n: int64(*n)}, true
		}}
	}
	switch p.FieldURI {
	case "folder:DisplayName":
		return str(func(f *ews.Folder) string { return f.DisplayName }), nil
	case "folder:FolderClass":
		return str(func(f *ews.Folder) string { return f.FolderClass }), nil
	case "folder:TotalCount":
		return num(func(f *ews.Folder) *int { return f.TotalCount }), nil
	case "folder:ChildFolderCount":
		return num(func(f *ews.Folder) *int { return f.ChildFolderCount }), nil
	case "folder:UnreadCount":
		return num(func(f *ews.Folder) *int { return f.UnreadCount }), nil
	}
	return propAccessor[*ews.Folder]{}, &ews.ResponseError{Code: findCodeUnsupportedPath, Message: findMsgUnsupportedPath}
}
