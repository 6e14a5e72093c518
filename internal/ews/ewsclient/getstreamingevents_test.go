package ewsclient_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// subscribeStreaming subscribes to new mail in the mailbox's Inbox.
func subscribeStreaming(t *testing.T, c *ewsclient.Client, mailbox string) string {
	t.Helper()
	resp, err := c.Subscribe(t.Context(), mailbox, &ews.SubscribeRequest{Streaming: &ews.StreamingSubscriptionRequest{
		FolderIds:  &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
		EventTypes: []string{ews.EventNewMail, ews.EventCreated},
	}})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	id := resp.ResponseMessages[0].SubscriptionId
	if id == "" {
		t.Fatal("no subscription id")
	}
	return id
}

func deliver(t *testing.T, tg *target, to, subject string) {
	t.Helper()
	got, err := tg.Sim.World().Deliver(t.Context(), ews.Item{XMLName: xmlName(ews.KindMessage), Subject: subject,
		From:         &ews.SingleRecipient{Mailbox: ews.EmailAddress{EmailAddress: "bob@contoso.com"}},
		ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: to}}}})
	if err != nil || len(got) != 1 {
		t.Fatalf("deliver: %v %v", got, err)
	}
}

func TestStreamingEvents(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	for _, auth := range []ewsclient.Authenticator{tg.basic(), tg.ntlm()} {
		t.Run(auth.Scheme(), func(t *testing.T) {
			c := tg.client(t, auth, ewsclient.Options{})
			id := subscribeStreaming(t, c, "alice@contoso.com")
			s, err := c.StreamingEvents(t.Context(), "alice@contoso.com", &ews.GetStreamingEventsRequest{SubscriptionIds: []string{id}, ConnectionTimeout: 30})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// The first envelope says the connection is open.
			first, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			if m := first.ResponseMessages[0]; m.ConnectionStatus != ews.ConnectionOK || m.Notifications != nil {
				t.Fatalf("first envelope %+v", m)
			}
			deliver(t, tg, "alice@contoso.com", "streamed "+auth.Scheme())
			var types []string
			for len(types) == 0 {
				r, err := s.Next()
				if err != nil {
					t.Fatal(err)
				}
				m := r.ResponseMessages[0]
				if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
					t.Fatal(err)
				}
				if m.Notifications == nil {
					continue // a keep-alive
				}
				for _, n := range m.Notifications.Notifications {
					if n.SubscriptionId != id {
						t.Errorf("notification of %q", n.SubscriptionId)
					}
					for _, e := range n.Events {
						types = append(types, e.Type())
					}
				}
			}
			if !slices.Contains(types, ews.EventNewMail) || !slices.Contains(types, ews.EventCreated) {
				t.Errorf("events %v", types)
			}
			if _, err := c.Unsubscribe(t.Context(), "alice@contoso.com", &ews.UnsubscribeRequest{SubscriptionId: id}); err != nil {
				t.Error(err)
			}
		})
	}
}

// The server ends the stream with ConnectionStatus Closed; then Next says io.EOF.
func TestStreamingEventsClosed(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	tg.Sim.SetSubscriptionPolicy(exchangesim.SubscriptionPolicy{ConnectionTimeoutUnit: 20 * time.Millisecond})
	c := tg.client(t, tg.ntlm(), ewsclient.Options{})
	id := subscribeStreaming(t, c, "alice@contoso.com")
	s, err := c.StreamingEvents(t.Context(), "alice@contoso.com", &ews.GetStreamingEventsRequest{SubscriptionIds: []string{id}, ConnectionTimeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var statuses []string
	for {
		r, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, r.ResponseMessages[0].ConnectionStatus)
	}
	if len(statuses) < 2 || statuses[len(statuses)-1] != ews.ConnectionClosed {
		t.Errorf("statuses %v", statuses)
	}
	if _, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v", err)
	}
	// The connection is reusable: the next call needs no new handshake.
	mustInbox(t, c, "alice@contoso.com")
}

func TestStreamingEventsUnknownSubscription(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	subscribeStreaming(t, c, "alice@contoso.com") // skips if unsupported
	s, err := c.StreamingEvents(t.Context(), "alice@contoso.com", &ews.GetStreamingEventsRequest{
		SubscriptionIds: []string{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}, ConnectionTimeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	m := r.ResponseMessages[0]
	if ewsclient.MessageErr(&m.ResponseMessage) == nil || m.ConnectionStatus != ews.ConnectionClosed ||
		m.ErrorSubscriptionIds == nil || len(m.ErrorSubscriptionIds.Ids) != 1 {
		t.Errorf("envelope %+v", m)
	}
	if _, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after Closed: %v", err)
	}
}

func TestStreamingEventsCancel(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, tg.basic(), ewsclient.Options{})
	id := subscribeStreaming(t, c, "alice@contoso.com")
	ctx, cancel := context.WithCancel(t.Context())
	s, err := c.StreamingEvents(ctx, "alice@contoso.com", &ews.GetStreamingEventsRequest{SubscriptionIds: []string{id}, ConnectionTimeout: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	cancel() // nothing more comes for 40 s (the keep-alive interval): Next is waiting
	if _, err := s.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel: %v", err)
	}
}

// envelope renders one streaming envelope as Exchange writes it.
func envelope(t *testing.T, body *ews.GetStreamingEventsResponse) []byte {
	var buf bytes.Buffer
	v := ews.Exchange2016
	if err := ews.EncodeResponse(&buf, &v, ews.ResponseName(ews.OpGetStreamingEvents), body); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// streamServer answers GetStreamingEvents with the given chunks, flushing each.
func streamServer(t *testing.T, pre []http.HandlerFunc, chunks ...[]byte) *httptest.Server {
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(count.Add(1))
		if n <= len(pre) {
			pre[n-1](w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		for _, c := range chunks {
			w.Write(c)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func notification(sub string) *ews.GetStreamingEventsResponse {
	e := ews.NewEvent(ews.EventNewMail)
	e.Watermark = "AQAAAA=="
	e.ItemId = &ews.ItemId{Id: "AAMkItem"}
	return ews.StreamingEvents(ews.Notification{SubscriptionId: sub, Events: []ews.Event{e}})
}

func TestEventStreamDecoding(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, srv *httptest.Server, opts ewsclient.Options) (*ewsclient.EventStream, error) {
		c := newClient(t, srv.URL, ewsclient.Basic("u", "p"), opts)
		return c.StreamingEvents(t.Context(), "alice@contoso.com", &ews.GetStreamingEventsRequest{SubscriptionIds: []string{"sub1"}, ConnectionTimeout: 1})
	}

	t.Run("envelopes split across chunks", func(t *testing.T) {
		t.Parallel()
		all := slices.Concat(envelope(t, ews.StreamingKeepAlive()), envelope(t, notification("sub1")), envelope(t, ews.StreamingClosed()))
		// Cut the stream in arbitrary places, mid-tag included.
		srv := streamServer(t, nil, all[:100], all[100:777], all[777:])
		s, err := get(t, srv, ewsclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var got []string
		for {
			r, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			m := r.ResponseMessages[0]
			desc := m.ConnectionStatus
			if m.Notifications != nil {
				desc += " " + m.Notifications.Notifications[0].Events[0].Type()
			}
			got = append(got, desc)
		}
		if want := []string{"OK", "OK NewMailEvent", "Closed"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})

	t.Run("cut without Closed", func(t *testing.T) {
		t.Parallel()
		srv := streamServer(t, nil, envelope(t, ews.StreamingKeepAlive()), envelope(t, notification("sub1")))
		s, err := get(t, srv, ewsclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for range 2 {
			if _, err := s.Next(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("err %v, want io.ErrUnexpectedEOF", err)
		}
	})

	t.Run("cut mid-envelope", func(t *testing.T) {
		t.Parallel()
		env := envelope(t, notification("sub1"))
		srv := streamServer(t, nil, envelope(t, ews.StreamingKeepAlive()), env[:len(env)/2])
		s, err := get(t, srv, ewsclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Next(); err == nil {
			t.Error("a truncated envelope decoded")
		}
	})

	t.Run("limit applies per envelope", func(t *testing.T) {
		t.Parallel()
		small := envelope(t, notification("sub1"))
		var chunks [][]byte
		for range 20 {
			chunks = append(chunks, small)
		}
		big := ews.StreamingEvents(ews.Notification{SubscriptionId: strings.Repeat("s", 3*len(small))})
		chunks = append(chunks, envelope(t, big))
		srv := streamServer(t, nil, chunks...)
		s, err := get(t, srv, ewsclient.Options{MaxResponseBytes: int64(2 * len(small))})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i := range 20 {
			if _, err := s.Next(); err != nil {
				t.Fatalf("envelope %d: %v", i, err)
			}
		}
		if _, err := s.Next(); !errors.Is(err, ewsclient.ErrResponseTooLarge) {
			t.Errorf("big envelope: %v", err)
		}
	})

	t.Run("throttled before the stream starts", func(t *testing.T) {
		t.Parallel()
		srv := streamServer(t, []http.HandlerFunc{busyFault(t, 1500*time.Millisecond)},
			envelope(t, ews.StreamingKeepAlive()), envelope(t, ews.StreamingClosed()))
		sl := &sleeps{}
		s, err := get(t, srv, ewsclient.Options{Sleep: sl.Sleep, Rand: func() float64 { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
		if got := sl.get(); !slices.Equal(got, []time.Duration{1500 * time.Millisecond}) {
			t.Errorf("waits %v", got)
		}
	})

	t.Run("fault", func(t *testing.T) {
		t.Parallel()
		srv := streamServer(t, []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
			writeFault(t, w, &ews.ResponseError{Code: ews.ErrorImpersonateUserDenied, Fault: true, Message: "no"})
		}})
		_, err := get(t, srv, ewsclient.Options{})
		if ews.Code(err) != ews.ErrorImpersonateUserDenied {
			t.Errorf("err %v", err)
		}
	})
}
