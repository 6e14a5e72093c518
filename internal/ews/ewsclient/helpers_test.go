package ewsclient_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

func newClient(t *testing.T, endpoint string, auth ewsclient.Authenticator, opts ewsclient.Options) *ewsclient.Client {
	t.Helper()
	c, err := ewsclient.New(endpoint, auth, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func xmlName(local string) xml.Name { return xml.Name{Local: local} }

// writeResponse answers with a response envelope for op, as Exchange 2016 does.
func writeResponse(t *testing.T, w http.ResponseWriter, op string, body any) {
	var buf bytes.Buffer
	v := ews.Exchange2016
	if err := ews.EncodeResponse(&buf, &v, ews.ResponseName(op), body); err != nil {
		t.Error(err)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(buf.Bytes())
}

// writeFault answers with a SOAP fault (HTTP 500).
func writeFault(t *testing.T, w http.ResponseWriter, err *ews.ResponseError) {
	var buf bytes.Buffer
	if err := ews.EncodeFault(&buf, nil, ews.FaultFor(err)); err != nil {
		t.Error(err)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write(buf.Bytes())
}

// serverBusy is the ErrorServerBusy error with a back-off.
func serverBusy(backOff time.Duration) *ews.ResponseError {
	return &ews.ResponseError{Code: ews.ErrorServerBusy, Fault: true,
		Message: "The server cannot service this request right now. Try again later.",
		Values:  map[string]string{"BackOffMilliseconds": strconv.Itoa(int(backOff / time.Millisecond))}}
}

// front is an HTTP server in front of the simulator: its first answers come from a
// script, the rest are proxied. It counts the requests it receives.
type front struct {
	*httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	script   []http.HandlerFunc
	// answered, if not nil, receives each scripted request's number once answered.
	answered chan int
}

func newFront(t *testing.T, backend string, script ...http.HandlerFunc) *front {
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	f := &front{script: script}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.requests.Add(1))
		f.mu.Lock()
		var h http.HandlerFunc
		if n <= len(f.script) {
			h = f.script[n-1]
		}
		f.mu.Unlock()
		if h == nil {
			proxy.ServeHTTP(w, r)
			return
		}
		h(w, r)
		if f.answered != nil {
			f.answered <- n
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// ewsURL is the front's EWS endpoint.
func (f *front) ewsURL() string { return f.URL + "/EWS/Exchange.asmx" }

// sleeps records the waits of a client instead of sleeping.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
