package graph

import (
	"context"
	"net/http"
	"net/url"
)

// userSelect is the $select of user reads.
const userSelect = "id,displayName,mail,userPrincipalName,accountEnabled"

// ListUsers returns the tenant's users, all pages. filter, if not empty, is an OData
// $filter (for example "accountEnabled eq true").
func (c *Client) ListUsers(ctx context.Context, filter string) ([]User, error) {
	q := url.Values{"$select": {userSelect}, "$top": {"999"}}
	if filter != "" {
		q.Set("$filter", filter)
	}
	return listAll[User](ctx, c, call{op: "users.list", method: http.MethodGet, url: c.path("/users", q)})
}

// GetUser returns one user by ID or userPrincipalName.
func (c *Client) GetUser(ctx context.Context, user string) (*User, error) {
	var u User
	err := c.do(ctx, call{op: "users.get", method: http.MethodGet,
		url: c.path("/users"+seg(user), url.Values{"$select": {userSelect}})}, &u)
	if err != nil {
		return nil, err
	}
	return &u, nil
}
