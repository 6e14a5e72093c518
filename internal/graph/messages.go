package graph

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MessagesDeltaOptions shape the first request of a message delta round; the links
// Graph returns carry them on.
type MessagesDeltaOptions struct {
	// Select lists the properties read; default MessageSelect.
	Select []string
	// Since, if not zero, limits the round to messages received at or after it (the
	// look-back window: $filter=receivedDateTime ge …, the one filter delta allows).
	Since time.Time
}

// MessagesDelta reads one page of the delta round of a mail folder's messages: the
// first page when link is empty, else the page link names (a NextLink or DeltaLink of
// an earlier page). A 410 or syncStateNotFound answer (IsSyncStateNotFound) means the
// link expired: start a new round and reconcile.
func (c *Client) MessagesDelta(ctx context.Context, mailbox, folder, link string, o MessagesDeltaOptions) (*DeltaPage[Message], error) {
	sel := o.Select
	if len(sel) == 0 {
		sel = MessageSelect
	}
	q := url.Values{"$select": {strings.Join(sel, ",")}}
	if !o.Since.IsZero() {
		q.Set("$filter", "receivedDateTime ge "+o.Since.UTC().Format(time.RFC3339))
	}
	return deltaPage[Message](ctx, c, call{op: "messages.delta", mailbox: mailbox, method: http.MethodGet,
		url: c.path("/users"+seg(mailbox)+"/mailFolders"+seg(folder)+"/messages/delta", q), prefer: c.prefer()}, link)
}

// GetMessage returns one message with the properties a sync stores, and its text body
// when body is true.
func (c *Client) GetMessage(ctx context.Context, mailbox, id string, body bool) (*Message, error) {
	sel := strings.Join(MessageSelect, ",")
	prefer := c.prefer()
	if body {
		sel += ",body"
		prefer = append(prefer, `outlook.body-content-type="text"`)
	}
	var m Message
	err := c.do(ctx, call{op: "messages.get", mailbox: mailbox, method: http.MethodGet,
		url: c.path("/users"+seg(mailbox)+"/messages"+seg(id), url.Values{"$select": {sel}}), prefer: prefer}, &m)
	if err != nil {
		return nil, err
	}
	return &m, nil
}
