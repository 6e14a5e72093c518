package graph

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// CalendarViewDelta reads one page of the delta round of the mailbox's default
// calendar between start and end (occurrences of recurring events expanded): the first
// page when link is empty, else the page link names. start and end are used for the
// first page only; the links carry them on. Times come in UTC.
func (c *Client) CalendarViewDelta(ctx context.Context, mailbox string, start, end time.Time, link string) (*DeltaPage[Event], error) {
	q := url.Values{
		"startDateTime": {start.UTC().Format(time.RFC3339)},
		"endDateTime":   {end.UTC().Format(time.RFC3339)},
	}
	return deltaPage[Event](ctx, c, call{op: "calendarView.delta", mailbox: mailbox, method: http.MethodGet,
		url: c.path("/users"+seg(mailbox)+"/calendarView/delta", q), prefer: append(c.prefer(), `outlook.timezone="UTC"`)}, link)
}
