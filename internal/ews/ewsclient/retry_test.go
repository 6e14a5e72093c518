package ewsclient_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

func busyFault(t *testing.T, backOff time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeFault(t, w, serverBusy(backOff)) }
}

func unavailable(retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

// Throttled attempts are retried after the longer of the server's back-off and the
// exponential delay, plus jitter, then the call succeeds.
func TestRetryThenSucceed(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	for _, tc := range []struct {
		name   string
		script []http.HandlerFunc
		rand   float64
		waits  []time.Duration
	}{
		{"ServerBusy faults", []http.HandlerFunc{busyFault(t, 2500*time.Millisecond), busyFault(t, 500*time.Millisecond)}, 0,
			[]time.Duration{2500 * time.Millisecond, 2 * time.Second}},
		{"jitter adds up to a fifth", []http.HandlerFunc{busyFault(t, 2500*time.Millisecond)}, 0.5,
			[]time.Duration{2750 * time.Millisecond}},
		{"503 with Retry-After", []http.HandlerFunc{unavailable("7")}, 0, []time.Duration{7 * time.Second}},
		{"503 without Retry-After", []http.HandlerFunc{unavailable(""), unavailable("")}, 0,
			[]time.Duration{time.Second, 2 * time.Second}},
		{"ExceededConnectionCount", []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
			writeFault(t, w, &ews.ResponseError{Code: ews.ErrorExceededConnectionCount, Fault: true, Message: "Too many concurrent connections."})
		}}, 0, []time.Duration{time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFront(t, tg.URL, tc.script...)
			s := &sleeps{}
			c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Sleep: s.Sleep, Rand: func() float64 { return tc.rand }})
			mustInbox(t, c, "alice@contoso.com")
			if got := s.get(); !slices.Equal(got, tc.waits) {
				t.Errorf("waits %v, want %v", got, tc.waits)
			}
			if n, want := f.requests.Load(), int32(len(tc.script)+1); n != want {
				t.Errorf("%d requests, want %d", n, want)
			}
		})
	}
}

// A throttling answer that never ends: the client gives up after MaxRetries with a
// *ThrottledError that carries the back-off and unwraps to the server's answer.
func TestRetryGiveUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		faults     exchangesim.Faults
		maxRetries int
		code       string
		status     int
		backOff    time.Duration
		waits      []time.Duration
	}{
		{"ServerBusy", exchangesim.Faults{ErrorRate: map[string]float64{"GetFolder": 1}, BackOffMS: 1500}, 0,
			ews.ErrorServerBusy, 500, 1500 * time.Millisecond, []time.Duration{1500 * time.Millisecond, 2 * time.Second, 4 * time.Second}},
		{"HTTP 503", exchangesim.Faults{ErrorRate: map[string]float64{"*": 1}, ErrorCode: "HTTP503", BackOffMS: 3000}, 0,
			"", 503, 3 * time.Second, []time.Duration{3 * time.Second, 3 * time.Second, 4 * time.Second}},
		{"ExceededConnectionCount", exchangesim.Faults{ErrorRate: map[string]float64{"GetFolder": 1}, ErrorCode: ews.ErrorExceededConnectionCount}, 2,
			ews.ErrorExceededConnectionCount, 500, 0, []time.Duration{time.Second, 2 * time.Second}},
		{"no retries", exchangesim.Faults{ErrorRate: map[string]float64{"GetFolder": 1}, BackOffMS: 1500}, -1,
			ews.ErrorServerBusy, 500, 1500 * time.Millisecond, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := simTarget(t, exchangesim.Options{Faults: tc.faults}, exchangesim.ListenConfig{})
			s := &sleeps{}
			w := &wire{}
			c := tg.client(t, tg.basic(), ewsclient.Options{Sleep: s.Sleep, Rand: func() float64 { return 0 },
				MaxRetries: tc.maxRetries, DialContext: w.DialContext})
			_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
			var te *ewsclient.ThrottledError
			if !errors.As(err, &te) {
				t.Fatalf("err %v, want *ThrottledError", err)
			}
			attempts := len(tc.waits) + 1
			if te.Code != tc.code || te.HTTPStatus != tc.status || te.BackOff != tc.backOff || te.Attempts != attempts {
				t.Errorf("got %+v", te)
			}
			if got := s.get(); !slices.Equal(got, tc.waits) {
				t.Errorf("waits %v, want %v", got, tc.waits)
			}
			if n := w.requests.Load(); n != int32(attempts) {
				t.Errorf("%d requests, want %d", n, attempts)
			}
			if tc.code != "" {
				var re *ews.ResponseError
				if !errors.As(err, &re) || re.Code != tc.code || ews.Code(err) != tc.code {
					t.Errorf("does not unwrap to the fault: %v", err)
				}
			} else {
				var he *ewsclient.HTTPError
				if !errors.As(err, &he) || he.Status != 503 {
					t.Errorf("does not unwrap to the HTTP error: %v", err)
				}
			}
		})
	}
}

// The throttling faults come through the simulator's admin API as well; lifting them
// lets calls through again.
func TestRetryAdminFaults(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	setFaults := func(body string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, tg.Srv.Info().AdminURL+"/faults", stringsReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("PUT faults: %s", resp.Status)
		}
	}
	s := &sleeps{}
	c := tg.client(t, tg.basic(), ewsclient.Options{Sleep: s.Sleep, Rand: func() float64 { return 0 }, MaxRetries: 1})
	setFaults(`{"error_rate": {"*": 1}, "error_code": "ErrorServerBusy", "back_off_ms": 250}`)
	_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
	var te *ewsclient.ThrottledError
	if !errors.As(err, &te) || te.BackOff != 250*time.Millisecond || te.Attempts != 2 {
		t.Fatalf("err %v", err)
	}
	setFaults(`{"error_rate": null}`) // PUT changes only the fields it names
	mustInbox(t, c, "alice@contoso.com")
}

// A response message with ErrorServerBusy: retried for an operation answered by one
// message, returned to the caller for a batch.
func TestPerMessageThrottling(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	busy := serverBusy(800 * time.Millisecond)
	busy.Fault = false

	t.Run("single message is retried", func(t *testing.T) {
		t.Parallel()
		f := newFront(t, tg.URL, func(w http.ResponseWriter, r *http.Request) {
			writeResponse(t, w, ews.OpSyncFolderItems, &ews.SyncFolderItemsResponse{ResponseMessages: []ews.SyncFolderItemsResponseMessage{{
				ResponseMessage: ews.FailureFrom(busy)}}})
		})
		s := &sleeps{}
		c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Sleep: s.Sleep, Rand: func() float64 { return 0 }})
		resp, err := c.SyncFolderItems(t.Context(), "alice@contoso.com", syncInboxReq("", 5))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(resp.ResponseMessages[0].Changes.Changes); n != 5 {
			t.Errorf("%d changes", n)
		}
		if got := s.get(); !slices.Equal(got, []time.Duration{time.Second}) {
			t.Errorf("waits %v", got)
		}
	})

	t.Run("batch is returned", func(t *testing.T) {
		t.Parallel()
		f := newFront(t, tg.URL, func(w http.ResponseWriter, r *http.Request) {
			writeResponse(t, w, ews.OpGetFolder, &ews.GetFolderResponse{ResponseMessages: []ews.GetFolderResponseMessage{
				{ResponseMessage: ews.Success(), Folders: &ews.Folders{Folders: []ews.Folder{{XMLName: xmlName(ews.KindFolder), FolderId: &ews.FolderId{Id: "AAMk"}}}}},
				{ResponseMessage: ews.FailureFrom(busy)},
			}})
		})
		s := &sleeps{}
		c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Sleep: s.Sleep})
		resp, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
		if err != nil {
			t.Fatal(err)
		}
		if err := ewsclient.MessageErr(&resp.ResponseMessages[0].ResponseMessage); err != nil {
			t.Errorf("first message: %v", err)
		}
		var te *ewsclient.ThrottledError
		err = ewsclient.MessageErr(&resp.ResponseMessages[1].ResponseMessage)
		if !errors.As(err, &te) || te.HTTPStatus != 200 || te.BackOff != 800*time.Millisecond || ews.Code(err) != ews.ErrorServerBusy {
			t.Errorf("second message: %v (%+v)", err, te)
		}
		if n := f.requests.Load(); n != 1 || len(s.get()) != 0 {
			t.Errorf("%d requests, waits %v: a batch must not be retried", n, s.get())
		}
	})
}

func TestRetryHonoursContext(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})

	t.Run("cancelled during the back-off", func(t *testing.T) {
		t.Parallel()
		f := newFront(t, tg.URL, busyFault(t, 30*time.Second), busyFault(t, 30*time.Second))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Sleep: func(ctx context.Context, d time.Duration) error {
			cancel() // the caller gives up while the client waits
			<-ctx.Done()
			return ctx.Err()
		}})
		_, err := c.GetFolder(ctx, "alice@contoso.com", inboxReq())
		var te *ewsclient.ThrottledError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &te) {
			t.Fatalf("err %v, want context.Canceled and the ThrottledError", err)
		}
		if n := f.requests.Load(); n != 1 {
			t.Errorf("%d requests", n)
		}
	})

	t.Run("real sleep ends with the context", func(t *testing.T) {
		t.Parallel()
		f := newFront(t, tg.URL, busyFault(t, time.Hour))
		f.answered = make(chan int, 1)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() {
			select {
			case <-f.answered:
			case <-ctx.Done():
			}
			cancel()
		}()
		c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{MaxRetryWait: 2 * time.Hour})
		_, err := c.GetFolder(ctx, "alice@contoso.com", inboxReq())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	})

	t.Run("deadline before the back-off ends", func(t *testing.T) {
		t.Parallel()
		f := newFront(t, tg.URL, busyFault(t, time.Minute))
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		s := &sleeps{}
		c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Sleep: s.Sleep})
		_, err := c.GetFolder(ctx, "alice@contoso.com", inboxReq())
		var te *ewsclient.ThrottledError
		if !errors.As(err, &te) || te.BackOff != time.Minute || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want the ThrottledError at once", err)
		}
		if len(s.get()) != 0 || f.requests.Load() != 1 {
			t.Errorf("waits %v, %d requests: must not sleep past the deadline", s.get(), f.requests.Load())
		}
	})

	t.Run("back-off beyond MaxRetryWait", func(t *testing.T) {
		t.Parallel()
		f := newFront(t, tg.URL, busyFault(t, 10*time.Minute))
		s := &sleeps{}
		c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Sleep: s.Sleep})
		_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
		var te *ewsclient.ThrottledError
		if !errors.As(err, &te) || te.BackOff != 10*time.Minute || te.Attempts != 1 {
			t.Fatalf("err %v", err)
		}
		if len(s.get()) != 0 {
			t.Errorf("waits %v", s.get())
		}
	})
}

// Retry-After in its HTTP-date form: the client waits until that time by its clock (a
// date already past means no wait of the server's, so the exponential delay applies),
// and a *ThrottledError carries what is left of it.
func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	for _, tc := range []struct {
		name  string
		after string
		wait  time.Duration
	}{
		{"in 9 seconds", date(9 * time.Second), 9 * time.Second},
		{"in 2 minutes, the longest wait", date(2 * time.Minute), 2 * time.Minute},
		{"already past", date(-time.Hour), time.Second},
		{"not a date", "soon", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFront(t, tg.URL, unavailable(tc.after))
			s := &sleeps{}
			c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Sleep: s.Sleep, Now: clock, Rand: func() float64 { return 0 }})
			mustInbox(t, c, "alice@contoso.com")
			if got := s.get(); !slices.Equal(got, []time.Duration{tc.wait}) {
				t.Errorf("waits %v, want [%v]", got, tc.wait)
			}
		})
	}

	t.Run("given up: the error carries the back-off", func(t *testing.T) {
		t.Parallel()
		f := newFront(t, tg.URL, unavailable(date(42*time.Second)))
		c := newClient(t, f.ewsURL(), tg.basic(), ewsclient.Options{Now: clock, MaxRetries: -1})
		_, err := c.GetFolder(t.Context(), "alice@contoso.com", inboxReq())
		var te *ewsclient.ThrottledError
		if !errors.As(err, &te) || te.HTTPStatus != http.StatusServiceUnavailable || te.BackOff != 42*time.Second {
			t.Fatalf("err %v (%+v), want a ThrottledError with a back-off of 42s", err, te)
		}
	})
}
