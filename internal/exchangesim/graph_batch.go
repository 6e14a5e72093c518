package exchangesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBatchRequests is the most requests one JSON batch may hold, as in Graph.
const maxBatchRequests = 20

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// graphBatch is POST /$batch: up to 20 requests with relative URLs, each run through the
// whole Graph pipeline with the batch's token (so each is authorized and throttled on its
// own, and a throttled one answers 429 inside the batch), in order; a request whose
// dependsOn names a failed request answers 424 Failed Dependency.
func (s *Simulator) graphBatch(w http.ResponseWriter, r *http.Request, serve http.Handler) {
	var body struct {
		Requests []batchRequest `json:"requests"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20))
	if err := dec.Decode(&body); err != nil {
		s.writeGraphError(w, r, errBadRequest("Invalid batch payload format."))
		return
	}
	switch {
	case len(body.Requests) == 0:
		s.writeGraphError(w, r, errBadRequest("Invalid batch payload format: no requests."))
		return
	case len(body.Requests) > maxBatchRequests:
		s.writeGraphError(w, r, errBadRequest(fmt.Sprintf("Number of requests in the batch (%d) exceeds the maximum of %d.", len(body.Requests), maxBatchRequests)))
		return
	}
	seen := map[string]bool{}
	for _, q := range body.Requests {
		if q.ID == "" || seen[q.ID] {
			s.writeGraphError(w, r, errBadRequest("Every request of a batch needs a unique id."))
			return
		}
		seen[q.ID] = true
		for _, d := range q.DependsOn {
			if !seen[d] {
				s.writeGraphError(w, r, errBadRequest(fmt.Sprintf("Request %s depends on %s, which is not an earlier request of the batch.", q.ID, d)))
				return
			}
		}
	}
	status := map[string]int{}
	var out []batchResponse
	for _, q := range body.Requests {
		failed := ""
		for _, d := range q.DependsOn {
			if status[d] >= 400 {
				failed = d
			}
		}
		if failed != "" {
			status[q.ID] = http.StatusFailedDependency
			b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "FailedDependency", "message": "Request " + failed + " of the batch failed."}})
			out = append(out, batchResponse{ID: q.ID, Status: http.StatusFailedDependency, Body: b})
			continue
		}
		resp := s.runBatchRequest(r, q, serve)
		status[q.ID] = resp.Status
		out = append(out, resp)
	}
	writeGraphJSON(w, http.StatusOK, map[string]any{"responses": out})
}

// runBatchRequest runs one request of a batch.
func (s *Simulator) runBatchRequest(outer *http.Request, q batchRequest, serve http.Handler) batchResponse {
	path := q.URL
	for _, p := range []string{"https://graph.microsoft.com", "http://graph.microsoft.com"} {
		path = strings.TrimPrefix(path, p)
	}
	path = "/" + strings.TrimPrefix(strings.TrimPrefix(path, "/"), "v1.0/")
	method := strings.ToUpper(q.Method)
	if method == "" || strings.EqualFold(strings.SplitN(strings.TrimPrefix(path, "/"), "?", 2)[0], "$batch") {
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "BadRequest", "message": "Invalid request: a method is required and batches cannot be nested."}})
		return batchResponse{ID: q.ID, Status: http.StatusBadRequest, Body: b}
	}
	var rb io.Reader
	if len(q.Body) > 0 {
		rb = bytes.NewReader(q.Body)
	}
	sub, err := http.NewRequestWithContext(outer.Context(), method, "/v1.0"+path, rb)
	if err != nil {
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": "BadRequest", "message": "Invalid request URL."}})
		return batchResponse{ID: q.ID, Status: http.StatusBadRequest, Body: b}
	}
	sub.Host, sub.TLS, sub.RemoteAddr = outer.Host, outer.TLS, outer.RemoteAddr
	for k, v := range q.Headers {
		sub.Header.Set(k, v)
	}
	if rb != nil && sub.Header.Get("Content-Type") == "" {
		sub.Header.Set("Content-Type", "application/json")
	}
	sub.Header.Set("Authorization", outer.Header.Get("Authorization"))
	rec := &batchRecorder{header: http.Header{}, code: http.StatusOK}
	serve.ServeHTTP(rec, sub)
	resp := batchResponse{ID: q.ID, Status: rec.code, Headers: map[string]string{}}
	for _, k := range []string{"Content-Type", "Retry-After", "Location", "Preference-Applied"} {
		if v := rec.header.Get(k); v != "" {
			resp.Headers[k] = v
		}
	}
	if b := bytes.TrimSpace(rec.body.Bytes()); len(b) > 0 && json.Valid(b) {
		resp.Body = b
	}
	return resp
}

// batchRecorder captures the answer of one request of a batch.
type batchRecorder struct {
	header      http.Header
	body        bytes.Buffer
	code        int
	wroteHeader bool
}

func (b *batchRecorder) Header() http.Header { return b.header }

func (b *batchRecorder) WriteHeader(code int) {
	if !b.wroteHeader {
		b.code, b.wroteHeader = code, true
	}
}

func (b *batchRecorder) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}
