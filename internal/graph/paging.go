package graph

import (
	"context"
	"net/http"
)

// collection is one page of a Graph collection.
type collection[T any] struct {
	Value     []T    `json:"value"`
	NextLink  string `json:"@odata.nextLink"`
	DeltaLink string `json:"@odata.deltaLink"`
}

// listAll reads a collection to its end, following @odata.nextLink.
func listAll[T any](ctx context.Context, c *Client, cl call) ([]T, error) {
	var all []T
	for {
		var page collection[T]
		if err := c.do(ctx, cl, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		if page.NextLink == "" {
			return all, nil
		}
		if err := c.checkLink(page.NextLink); err != nil {
			return nil, err
		}
		cl.url, cl.method, cl.body = page.NextLink, http.MethodGet, nil
	}
}

// Removal is an entry a delta page reports removed.
type Removal struct {
	ID string
	// Reason is "deleted" or "changed" (moved out of the folder or out of the range).
	Reason string
}

// DeltaPage is one page of a delta round.
type DeltaPage[T item] struct {
	// Items are the entries created or changed.
	Items []T
	// Removed are the entries removed.
	Removed []Removal
	// NextLink is set while more pages of the round follow; pass it back as is.
	NextLink string
	// DeltaLink is set on the round's last page; keep it, and pass it back to read the
	// changes made since.
	DeltaLink string
}

// Link returns the link to pass back for the next page: NextLink within a round,
// DeltaLink at its end. It is the delta state to store.
func (p *DeltaPage[T]) Link() string {
	if p.NextLink != "" {
		return p.NextLink
	}
	return p.DeltaLink
}

// Last reports the round's last page.
func (p *DeltaPage[T]) Last() bool { return p.NextLink == "" }

// deltaPage reads one page of a delta round: from link when not empty (checked against
// the base URL's host), else from the round's first request, cl.
func deltaPage[T item](ctx context.Context, c *Client, cl call, link string) (*DeltaPage[T], error) {
	if link != "" {
		if err := c.checkLink(link); err != nil {
			return nil, err
		}
		cl.url = link
	}
	var page collection[T]
	if err := c.do(ctx, cl, &page); err != nil {
		return nil, err
	}
	if page.NextLink == "" && page.DeltaLink == "" {
		return nil, &Error{Status: http.StatusOK, Body: "a delta page with neither @odata.nextLink nor @odata.deltaLink"}
	}
	out := &DeltaPage[T]{NextLink: page.NextLink, DeltaLink: page.DeltaLink}
	for i := range page.Value {
		id, rm := idAndRemoval(&page.Value[i])
		if rm != nil {
			out.Removed = append(out.Removed, Removal{ID: id, Reason: rm.Reason})
			continue
		}
		out.Items = append(out.Items, page.Value[i])
	}
	return out, nil
}
