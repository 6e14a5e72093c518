package graph

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// ContactFolders returns the top-level contact folders of a mailbox, all pages. The
// default Contacts folder is the parent (ParentFolderID) of the top-level ones, and
// MyContactsDelta reads it.
func (c *Client) ContactFolders(ctx context.Context, mailbox string) ([]ContactFolder, error) {
	return listAll[ContactFolder](ctx, c, call{op: "contactFolders.list", mailbox: mailbox, method: http.MethodGet,
		url: c.path("/users"+seg(mailbox)+"/contactFolders", nil), prefer: c.prefer()})
}

// ContactsDelta reads one page of the delta round of a contact folder's contacts: the
// first page when link is empty, else the page link names.
func (c *Client) ContactsDelta(ctx context.Context, mailbox, folder, link string) (*DeltaPage[Contact], error) {
	return deltaPage[Contact](ctx, c, call{op: "contacts.delta", mailbox: mailbox, method: http.MethodGet,
		url: c.path("/users"+seg(mailbox)+"/contactFolders"+seg(folder)+"/contacts/delta",
			url.Values{"$select": {strings.Join(ContactSelect, ",")}}), prefer: c.prefer()}, link)
}
