package graph

import (
	"context"
	"net/http"
	"net/url"
)

// folderSelect is the $select of mail folder reads.
const folderSelect = "id,displayName,parentFolderId,childFolderCount,totalItemCount,unreadItemCount,isHidden"

// MailFolder returns one folder of a mailbox by id or well-known name ("inbox",
// "sentitems", "msgfolderroot", …).
func (c *Client) MailFolder(ctx context.Context, mailbox, folder string) (*MailFolder, error) {
	var f MailFolder
	err := c.do(ctx, call{op: "mailFolders.get", mailbox: mailbox, method: http.MethodGet,
		url: c.path("/users"+seg(mailbox)+"/mailFolders"+seg(folder), url.Values{"$select": {folderSelect}})}, &f)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// MailFolders returns the top-level mail folders of a mailbox, all pages.
func (c *Client) MailFolders(ctx context.Context, mailbox string) ([]MailFolder, error) {
	return listAll[MailFolder](ctx, c, call{op: "mailFolders.list", mailbox: mailbox, method: http.MethodGet,
		url:    c.path("/users"+seg(mailbox)+"/mailFolders", url.Values{"$select": {folderSelect}, "$top": {"100"}, "includeHiddenFolders": {"true"}}),
		prefer: c.prefer()})
}

// ChildFolders returns the direct subfolders of a folder, all pages.
func (c *Client) ChildFolders(ctx context.Context, mailbox, folder string) ([]MailFolder, error) {
	return listAll[MailFolder](ctx, c, call{op: "mailFolders.children", mailbox: mailbox, method: http.MethodGet,
		url:    c.path("/users"+seg(mailbox)+"/mailFolders"+seg(folder)+"/childFolders", url.Values{"$select": {folderSelect}, "$top": {"100"}, "includeHiddenFolders": {"true"}}),
		prefer: c.prefer()})
}

// AllMailFolders returns every mail folder of a mailbox, the subfolders of subfolders
// included, parents before their children.
func (c *Client) AllMailFolders(ctx context.Context, mailbox string) ([]MailFolder, error) {
	all, err := c.MailFolders(ctx, mailbox)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(all); i++ {
		if all[i].ChildFolderCount == 0 {
			continue
		}
		kids, err := c.ChildFolders(ctx, mailbox, all[i].ID)
		if err != nil {
			return nil, err
		}
		all = append(all, kids...)
	}
	return all, nil
}

// MailFoldersDelta reads one page of the mail folder hierarchy's delta round: the
// first page when link is empty, else the page link names.
func (c *Client) MailFoldersDelta(ctx context.Context, mailbox, link string) (*DeltaPage[MailFolder], error) {
	return deltaPage[MailFolder](ctx, c, call{op: "mailFolders.delta", mailbox: mailbox, method: http.MethodGet,
		url:    c.path("/users"+seg(mailbox)+"/mailFolders/delta", url.Values{"$select": {"id,displayName,parentFolderId,childFolderCount"}}),
		prefer: c.prefer()}, link)
}
