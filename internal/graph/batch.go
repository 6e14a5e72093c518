package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// MaxBatch is the most requests one $batch may hold.
const MaxBatch = 20

// BatchRequest is one request of a $batch.
type BatchRequest struct {
	// ID identifies the request's response; unique within the batch.
	ID string `json:"id"`
	// Method is GET, POST, PATCH, DELETE.
	Method string `json:"method"`
	// URL is relative to the version root: "/users/alice@contoso.com/messages/AAMk…".
	URL string `json:"url"`
	// Headers are the request's own headers (Content-Type for a body, Prefer).
	Headers map[string]string `json:"headers,omitempty"`
	// Body is a JSON body.
	Body json.RawMessage `json:"body,omitempty"`
	// DependsOn names requests to run before this one.
	DependsOn []string `json:"dependsOn,omitempty"`
}

// BatchResponse is one request's answer within a $batch.
type BatchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// Err returns the response's error (*Error), or nil for a 2xx.
func (r *BatchResponse) Err(now time.Time) error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	e := newError(r.Status, h, r.Body, now)
	e.Attempts = 1
	return e
}

// Decode decodes a 2xx response's body into v, or returns its error.
func (r *BatchResponse) Decode(v any) error {
	if err := r.Err(time.Now()); err != nil {
		return err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("graph: batch response %s: %w", r.ID, err)
	}
	return nil
}

// Batch sends up to MaxBatch requests in one $batch, all against mailbox (whose
// concurrency slot the batch takes; "" for none), and returns the responses by request
// ID. Each request counts against the budget. The batch as a whole is retried when
// throttled; the requests within it that were throttled are not: read each response's
// status and Retry-After header, and send those again.
func (c *Client) Batch(ctx context.Context, mailbox string, reqs []BatchRequest) (map[string]*BatchResponse, error) {
	if len(reqs) == 0 {
		return map[string]*BatchResponse{}, nil
	}
	if len(reqs) > MaxBatch {
		return nil, fmt.Errorf("%w: %d (at most %d)", ErrBatchTooLarge, len(reqs), MaxBatch)
	}
	reqs = append([]BatchRequest(nil), reqs...) // ids are filled in on a copy
	seen := map[string]bool{}
	for i, r := range reqs {
		if r.ID == "" {
			reqs[i].ID = strconv.Itoa(i + 1)
		}
		if seen[reqs[i].ID] {
			return nil, fmt.Errorf("graph: batch: request id %q used twice", reqs[i].ID)
		}
		seen[reqs[i].ID] = true
	}
	body, err := json.Marshal(map[string]any{"requests": reqs})
	if err != nil {
		return nil, err
	}
	var out struct {
		Responses []BatchResponse `json:"responses"`
	}
	if err := c.do(ctx, call{op: "batch", mailbox: mailbox, method: http.MethodPost, url: c.path("/$batch", nil),
		body: body, cost: len(reqs)}, &out); err != nil {
		return nil, err
	}
	m := make(map[string]*BatchResponse, len(out.Responses))
	for i := range out.Responses {
		m[out.Responses[i].ID] = &out.Responses[i]
	}
	for id := range seen {
		if m[id] == nil {
			return nil, fmt.Errorf("graph: batch: no response for request %q", id)
		}
	}
	return m, nil
}
