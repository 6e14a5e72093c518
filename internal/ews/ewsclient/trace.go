package ewsclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// traceBodyMax bounds how much of one body a trace shows.
const traceBodyMax = 1 << 20

// tracer writes wire traces to Options.Trace: every HTTP exchange, the legs of NTLM
// handshakes included, with credentials redacted. Each exchange is numbered; writes
// are serialized so that concurrent requests do not interleave within a block.
type tracer struct {
	w      io.Writer
	mu     sync.Mutex
	seq    atomic.Int64
	redact func(string) string // removes the Authenticator's secrets
}

func newTracer(w io.Writer, redact func(string) string) *tracer {
	return &tracer{w: w, redact: redact}
}

func (t *tracer) write(s string) {
	s = t.redact(s)
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, s)
}

// newRedactor returns a replacer of the secrets an Authenticator holds (SecretHolder),
// or nil.
func newRedactor(a Authenticator) *strings.Replacer {
	s, ok := a.(SecretHolder)
	if !ok {
		return nil
	}
	var pairs []string
	secrets := slices.Clone(s.Secrets())
	// Longest first, so that a secret containing another is replaced whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, x := range secrets {
		if x != "" {
			pairs = append(pairs, x, "[redacted]")
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	return strings.NewReplacer(pairs...)
}

// traceStreamKey marks a request whose response body is traced read by read (a
// streaming response) instead of once complete.
type traceStreamKey struct{}

func withStreamTrace(ctx context.Context) context.Context {
	return context.WithValue(ctx, traceStreamKey{}, true)
}

type traceTransport struct {
	base http.RoundTripper
	t    *tracer
}

func (tt *traceTransport) CloseIdleConnections() { closeIdle(tt.base) }

func (tt *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	n := tt.t.seq.Add(1)
	var b strings.Builder
	fmt.Fprintf(&b, "--> #%d %s %s\n", n, req.Method, req.URL.Redacted())
	fmt.Fprintf(&b, "Host: %s\n", req.URL.Host)
	writeHeaders(&b, req.Header)
	b.WriteString("\n")
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			b.WriteString("[body not shown: not replayable]\n")
		} else if rc, err := req.GetBody(); err == nil {
			writeBody(&b, rc)
			rc.Close()
		}
	}
	tt.t.write(b.String())

	start := time.Now()
	resp, err := tt.base.RoundTrip(req)
	if err != nil {
		tt.t.write(fmt.Sprintf("<-- #%d error after %v: %v\n\n", n, time.Since(start).Round(time.Millisecond), err))
		return nil, err
	}
	b.Reset()
	fmt.Fprintf(&b, "<-- #%d %s %s (%v)\n", n, resp.Proto, resp.Status, time.Since(start).Round(time.Millisecond))
	writeHeaders(&b, resp.Header)
	b.WriteString("\n")
	tt.t.write(b.String())
	stream, _ := req.Context().Value(traceStreamKey{}).(bool)
	resp.Body = &traceBody{ReadCloser: resp.Body, t: tt.t, n: n, stream: stream}
	return resp, nil
}

func writeBody(b *strings.Builder, r io.Reader) {
	data, _ := io.ReadAll(io.LimitReader(r, traceBodyMax+1))
	truncated := len(data) > traceBodyMax
	b.Write(data[:min(len(data), traceBodyMax)])
	if truncated {
		b.WriteString("\n[body truncated]")
	}
	b.WriteString("\n\n")
}

// writeHeaders writes headers sorted by name, credentials and tokens redacted.
func writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, redactHeader(k, v))
		}
	}
}

// redactHeader hides credentials: the value of Authorization headers (the scheme
// stays), NTLM and Negotiate tokens in challenges, and cookies.
func redactHeader(name, v string) string {
	switch textproto.CanonicalMIMEHeaderKey(name) {
	case "Authorization", "Proxy-Authorization":
		scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		return scheme + " [redacted]"
	case "Www-Authenticate", "Proxy-Authenticate":
		scheme, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
		if ok && rest != "" && (strings.EqualFold(scheme, "NTLM") || strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "Kerberos")) {
			return scheme + " [redacted]"
		}
		return v
	case "Cookie", "Set-Cookie", "X-Backendoverridecookie":
		return "[redacted]"
	}
	return v
}

// traceBody copies what is read from a response body into the trace: once the body
// ends or is closed, or after every read for streaming responses.
type traceBody struct {
	io.ReadCloser
	t      *tracer
	n      int64
	stream bool
	buf    bytes.Buffer
	total  int64
	done   bool
}

func (tb *traceBody) Read(p []byte) (int, error) {
	n, err := tb.ReadCloser.Read(p)
	if n > 0 && tb.total < traceBodyMax {
		tb.buf.Write(p[:min(int64(n), traceBodyMax-tb.total)])
	}
	tb.total += int64(n)
	if tb.stream && tb.buf.Len() > 0 {
		tb.flush(false)
	}
	if err != nil {
		tb.flush(true)
	}
	return n, err
}

func (tb *traceBody) Close() error {
	tb.flush(true)
	return tb.ReadCloser.Close()
}

func (tb *traceBody) flush(end bool) {
	if tb.done {
		return
	}
	var b strings.Builder
	if tb.buf.Len() > 0 {
		fmt.Fprintf(&b, "<-- #%d body:\n", tb.n)
		b.Write(tb.buf.Bytes())
		b.WriteString("\n")
		tb.buf.Reset()
	}
	if end {
		tb.done = true
		if tb.total > traceBodyMax {
			fmt.Fprintf(&b, "[body truncated: %d bytes in all]\n", tb.total)
		}
		fmt.Fprintf(&b, "<-- #%d end of body\n\n", tb.n)
	}
	if b.Len() > 0 {
		tb.t.write(b.String())
	}
}
