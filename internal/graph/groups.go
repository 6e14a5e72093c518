package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// ErrGroupNotFound: no group has the address asked for.
var ErrGroupNotFound = errors.New("graph: no group has this address")

// Group is a group of the directory (a distribution list, a Microsoft 365 group, a
// mail-enabled security group).
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
	Mail        string `json:"mail,omitempty"`
}

// DirectoryObject is a member of a group: a user, a group, a contact, a device…; Type
// is its @odata.type ("#microsoft.graph.user").
type DirectoryObject struct {
	Type              string `json:"@odata.type"`
	ID                string `json:"id"`
	DisplayName       string `json:"displayName,omitempty"`
	Mail              string `json:"mail,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
}

// IsUser reports whether the member is a user.
func (o DirectoryObject) IsUser() bool { return o.Type == "#microsoft.graph.user" }

// GroupByMail returns the group whose mail address is addr, or ErrGroupNotFound.
// It needs GroupMember.Read.All (or Group.Read.All, Directory.Read.All).
func (c *Client) GroupByMail(ctx context.Context, addr string) (*Group, error) {
	q := url.Values{"$filter": {"mail eq '" + strings.ReplaceAll(addr, "'", "''") + "'"}, "$select": {"id,displayName,mail"}}
	gs, err := listAll[Group](ctx, c, call{op: "groups.list", method: http.MethodGet, url: c.path("/groups", q)})
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, ErrGroupNotFound
	}
	return &gs[0], nil
}

// TransitiveMembers returns every member of a group, nested groups' members included
// (the nested groups too, as members of type group), all pages.
func (c *Client) TransitiveMembers(ctx context.Context, groupID string) ([]DirectoryObject, error) {
	q := url.Values{"$select": {"id,displayName,mail,userPrincipalName"}, "$top": {"999"}}
	return listAll[DirectoryObject](ctx, c, call{op: "groups.transitiveMembers", method: http.MethodGet,
		url: c.path("/groups"+seg(groupID)+"/transitiveMembers", q)})
}
