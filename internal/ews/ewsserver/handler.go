// Package ewsserver serves EWS over HTTP: it decodes SOAP requests, checks the protocol
// headers, dispatches each operation to a backend and writes responses and faults the way
// Exchange does. It owns the Backend interfaces it calls; the Exchange simulator implements
// them. Authentication happens before this handler (see internal/httpauth); the handler
// learns the caller through Options.Identify.
package ewsserver

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Call describes one authenticated EWS request as a backend sees it.
type Call struct {
	Caller    string             // the authenticated account, as Options.Identify returned it
	Operation string             // e.g. "GetFolder"
	Version   string             // RequestServerVersion, "Exchange2007_SP1" when absent
	Header    *ews.RequestHeader // all decoded SOAP headers
	// Mailbox is the mailbox the call acts on: the impersonated one, or the caller's own.
	// Backend.Begin sets it.
	Mailbox string
	// Request is the HTTP request, for headers such as X-AnchorMailbox.
	Request *http.Request
	// ResponseHeader is the HTTP response's header, for operations that answer with
	// headers of their own (Subscribe's X-BackEndOverrideCookie).
	ResponseHeader http.Header
}

// Impersonating reports whether the request carries an ExchangeImpersonation header.
func (c *Call) Impersonating() bool { return c.Header.ExchangeImpersonation != nil }

// Backend is what every operation needs from the server behind the handler.
type Backend interface {
	// ServerVersion is sent in the ServerVersionInfo header of every response.
	ServerVersion() ews.ServerVersionInfo
	// Begin authorizes the call (impersonation rights, mailbox existence), sets c.Mailbox,
	// and admits it under throttling. release is called once the response is written. An
	// error is answered as a fault (a *ews.ResponseError), as an HTTP status (*StatusError)
	// or by dropping the connection (ErrDropConnection).
	Begin(ctx context.Context, c *Call) (release func(), err error)
}

// StatusError makes the handler answer with a bare HTTP status, as IIS does when requests
// queue up (503) — no SOAP body.
type StatusError struct {
	Status     int
	RetryAfter time.Duration
}

func (e *StatusError) Error() string { return fmt.Sprintf("ewsserver: HTTP %d", e.Status) }

// ErrDropConnection makes the handler close the connection without answering.
var ErrDropConnection = errors.New("ewsserver: drop connection")

// Options configure a Handler.
type Options struct {
	// Identify returns the authenticated caller of r; false answers 401.
	Identify func(r *http.Request) (string, bool)
	// MaxRequestBytes bounds request bodies (default 32 MiB); larger ones get HTTP 413.
	MaxRequestBytes int64
	// Logger receives one line per failed request; nil discards.
	Logger *slog.Logger
}

// Handler is the EWS endpoint (/EWS/Exchange.asmx).
type Handler struct {
	backend Backend
	ops     map[string]operation
	opts    Options
	bufs    sync.Pool
}

// New returns a Handler serving every operation b implements (see the …Backend
// interfaces in this package, one per operation).
func New(b Backend, opts Options) *Handler {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = 32 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Identify == nil {
		opts.Identify = func(*http.Request) (string, bool) { return "", false }
	}
	return &Handler{backend: b, ops: operations(b), opts: opts,
		bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
}

// Operations lists the operations this handler serves.
func (h *Handler) Operations() []string {
	names := make([]string, 0, len(h.ops))
	for n := range h.ops {
		names = append(names, n)
	}
	return names
}

type operation struct {
	newRequest func() any
	serve      func(ctx context.Context, c *Call, req any) (any, error)
	stream     func(ctx context.Context, c *Call, req any, w *StreamWriter) error
}

// unary adapts a backend method with a single response.
func unary[Req, Resp any](f func(context.Context, *Call, *Req) (*Resp, error)) operation {
	return operation{
		newRequest: func() any { return new(Req) },
		serve: func(ctx context.Context, c *Call, req any) (any, error) {
			resp, err := f(ctx, c, req.(*Req))
			if err != nil {
				return nil, err
			}
			return resp, nil
		},
	}
}

// stream adapts a backend method that writes its answer as successive envelopes
// (GetStreamingEvents).
func stream[Req any](f func(context.Context, *Call, *Req, *StreamWriter) error) operation {
	return operation{
		newRequest: func() any { return new(Req) },
		stream: func(ctx context.Context, c *Call, req any, w *StreamWriter) error {
			return f(ctx, c, req.(*Req), w)
		},
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "EWS accepts SOAP requests by POST only.", http.StatusMethodNotAllowed)
		return
	}
	caller, ok := h.opts.Identify(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.ContentLength > h.opts.MaxRequestBytes {
		http.Error(w, "Request entity too large.", http.StatusRequestEntityTooLarge)
		return
	}
	body := http.MaxBytesReader(w, r.Body, h.opts.MaxRequestBytes)
	ctx := r.Context()
	c := &Call{Caller: caller, Request: r, ResponseHeader: w.Header()}

	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.opts.Logger.Error("ews request panicked", "operation", c.Operation, "panic", fmt.Sprint(p))
			h.writeFault(w, ews.FaultFor(errors.New("internal error")))
		}
	}()

	hdr, op, req, err := ews.DecodeRequest(body, func(op string) any {
		if o, ok := h.ops[op]; ok {
			return o.newRequest()
		}
		if _, ok := schemaOperations[op]; !ok {
			return &undeclaredOperation{op}
		}
		return nil
	})
	c.Operation, c.Header = op, hdr
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "Request entity too large.", http.StatusRequestEntityTooLarge)
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The body did not arrive before the server's read deadline: close the
			// connection without an answer, as http.sys does when its EntityBody timer
			// expires.
			dropConnection(w)
			return
		}
		h.fail(w, c, err)
		return
	}
	if err := checkHeader(c); err != nil {
		h.fail(w, c, err)
		return
	}
	release, err := h.backend.Begin(ctx, c)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	defer release()

	o := h.ops[op]
	if o.stream != nil {
		sw := newStreamWriter(w, h.backend.ServerVersion())
		err := o.stream(ctx, c, req, sw)
		switch {
		case err == nil:
		case !sw.Started():
			h.fail(w, c, err)
		case !errors.Is(err, context.Canceled):
			// Envelopes went out already: a fault can no longer follow. Cut the response
			// short so the client sees the stream end without ConnectionStatus Closed.
			h.opts.Logger.Error("ews stream failed", "operation", c.Operation, "err", err)
			panic(http.ErrAbortHandler)
		}
		return
	}
	resp, err := o.serve(ctx, c, req)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	buf := h.bufs.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); h.bufs.Put(buf) }()
	v := h.backend.ServerVersion()
	if err := ews.EncodeResponse(buf, &v, ews.ResponseName(op), resp); err != nil {
		h.fail(w, c, err)
		return
	}
	writeXML(w, http.StatusOK, buf.Bytes())
}

// checkHeader applies the header rules Exchange enforces before any operation work.
func checkHeader(c *Call) error {
	c.Version = "Exchange2007_SP1"
	if v := c.Header.RequestServerVersion; v != nil {
		if !ews.ValidRequestVersion(v.Version) {
			return &ews.ResponseError{Code: ews.ErrorInvalidServerVersion, Fault: true,
				Message: "The specified server version is invalid."}
		}
		c.Version = v.Version
	}
	if imp := c.Header.ExchangeImpersonation; imp != nil && imp.ConnectingSID.Count() != 1 {
		return &ews.ResponseError{Code: ews.ErrorInvalidExchangeImpersonationHeaderData, Fault: true,
			Message: "The impersonation header must name exactly one account."}
	}
	return nil
}

// fail answers a request-level error: a fault, a bare status, or a dropped connection.
func (h *Handler) fail(w http.ResponseWriter, c *Call, err error) {
	var se *StatusError
	var uo *ews.UnknownOperationError
	switch {
	case errors.As(err, &se):
		if se.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((se.RetryAfter+time.Second-1)/time.Second)))
		}
		w.WriteHeader(se.Status)
		return
	case errors.Is(err, ErrDropConnection):
		dropConnection(w)
		return
	case errors.As(err, &uo):
		// A schema-valid request for an operation this server does not implement. Exchange
		// implements every operation of its schema, so it has no answer of its own for
		// this; the fault says plainly what happened.
		err = &ews.ResponseError{Code: ews.ErrorInvalidRequest, Fault: true,
			Message: "The request is invalid: the EWS operation " + uo.Operation + " is not implemented by this server."}
	case errors.Is(err, context.Canceled):
		return
	}
	var re *ews.ResponseError
	var sch *ews.SchemaError
	if !errors.As(err, &re) && !errors.As(err, &sch) {
		h.opts.Logger.Error("ews request failed", "operation", c.Operation, "err", err)
	}
	h.writeFault(w, ews.FaultFor(unwrapKnown(err)))
}

// unwrapKnown returns the *ews.ResponseError or *ews.SchemaError inside err, if any, so
// that FaultFor keeps its code.
func unwrapKnown(err error) error {
	var re *ews.ResponseError
	if errors.As(err, &re) {
		return re
	}
	var sch *ews.SchemaError
	if errors.As(err, &sch) {
		return sch
	}
	return err
}

// undeclaredOperation stands in for the body of a Body child that Exchange's schema does
// not declare (such as m:FlyToTheMoon): decoding it fails with the ErrorSchemaValidation
// fault Exchange sends, positioned at the element. The violation is worded as .NET's
// schema validator words an undeclared element [verify on a real server].
type undeclaredOperation struct{ name string }

func (u *undeclaredOperation) UnmarshalXML(*xml.Decoder, xml.StartElement) error {
	return &ews.SchemaError{Violation: "The '" + ews.NSMessages + ":" + u.name + "' element is not declared."}
}

func (h *Handler) writeFault(w http.ResponseWriter, f *ews.Fault) {
	var buf bytes.Buffer
	if err := ews.EncodeFault(&buf, nil, f); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeXML(w, http.StatusInternalServerError, buf.Bytes())
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// streamWriteTimeout bounds the writing of one streamed envelope.
const streamWriteTimeout = 30 * time.Second

// StreamWriter writes the successive SOAP envelopes of a streaming response
// (GetStreamingEvents), flushing each one to the client.
type StreamWriter struct {
	w       http.ResponseWriter
	version ews.ServerVersionInfo
	started bool
}

func newStreamWriter(w http.ResponseWriter, v ews.ServerVersionInfo) *StreamWriter {
	return &StreamWriter{w: w, version: v}
}

// Write sends one complete response envelope whose body element is name.
func (s *StreamWriter) Write(name string, body any) error {
	if !s.started {
		s.w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		s.w.WriteHeader(http.StatusOK)
		s.started = true
	}
	rc := http.NewResponseController(s.w)
	// A client that stops reading must not hold the handler (and a graceful shutdown)
	// forever.
	rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if err := ews.EncodeStreamingResponse(s.w, &s.version, name, body); err != nil {
		return err
	}
	return rc.Flush()
}

// Started reports whether anything was written; after that, errors can no longer become
// faults.
func (s *StreamWriter) Started() bool { return s.started }

var _ io.Writer = (*bytes.Buffer)(nil)
