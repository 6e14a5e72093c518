package webhook_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/netguard"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"dlv_1"}`)
	sig := webhook.SignatureHeader(now, body, "whsec_new", "whsec_old")
	tests := []struct {
		name   string
		header string
		body   []byte
		secret string
		at     time.Time
		want   error
	}{
		{"current secret", sig, body, "whsec_new", now, nil},
		{"previous secret during the overlap", sig, body, "whsec_old", now, nil},
		{"another secret", sig, body, "whsec_other", now, webhook.ErrMismatch},
		{"body changed", sig, []byte(`{"id":"dlv_2"}`), "whsec_new", now, webhook.ErrMismatch},
		{"replayed later", sig, body, "whsec_new", now.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"from the future", sig, body, "whsec_new", now.Add(-6 * time.Minute), webhook.ErrTimestamp},
		{"no header", "", body, "whsec_new", now, webhook.ErrNoSignature},
		{"no signature", "t=1800000000", body, "whsec_new", now, webhook.ErrNoSignature},
		{"bad timestamp", "t=soon,v1=00", body, "whsec_new", now, webhook.ErrNoSignature},
		{"unknown scheme ignored", "t=1800000000,v0=ab," + sig[strings.Index(sig, "v1="):], body, "whsec_old", now, nil},
	}
	for _, tc := range tests {
		if err := webhook.Verify(tc.header, tc.body, tc.secret, tc.at, 0); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if !strings.HasPrefix(sig, "t=1800000000,v1=") || strings.Count(sig, ",v1=") != 2 {
		t.Fatalf("header %q", sig)
	}
	s1, _ := webhook.NewSecret()
	s2, _ := webhook.NewSecret()
	if !strings.HasPrefix(s1, webhook.SecretPrefix) || len(s1) != len(webhook.SecretPrefix)+43 || s1 == s2 {
		t.Fatalf("secrets %q %q", s1, s2)
	}
}

// loopback lets the tests' receivers on 127.0.0.1 through the guard.
var loopback = netguard.Policy{AllowPrivate: true}

func dialer(p netguard.Policy) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return p.DialContext(&net.Dialer{Timeout: 5 * time.Second})
}

func TestSend(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(strings.Repeat("x", 1<<20))) // read to a bound only
		case "/fail":
			http.Error(w, "nope", http.StatusInternalServerError)
		case "/moved":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		}
	}))
	defer srv.Close()
	s := webhook.NewSender(webhook.Options{Dial: dialer(loopback), Timeout: 200 * time.Millisecond, MaxResponse: 1024})
	defer s.Close()
	at := time.Now()
	req := func(path string) webhook.Request {
		return webhook.Request{URL: srv.URL + path + "?token=secret-of-receiver", Event: "status", DeliveryID: "dlv_x", Body: []byte(`{"a":1}`), Secrets: []string{"whsec_a"}, At: at}
	}
	tests := []struct {
		path    string
		ok      bool
		status  int
		wantErr string
	}{
		{"/ok", true, 202, ""},
		{"/fail", false, 500, "the endpoint answered 500 Internal Server Error"},
		{"/moved", false, 302, "redirects are not followed"},
		{"/slow", false, 0, "no answer within 200ms"},
	}
	for _, tc := range tests {
		res := s.Send(context.Background(), req(tc.path))
		if res.OK != tc.ok || res.StatusCode != tc.status || (tc.wantErr == "") != (res.Err == nil) || res.Err != nil && !strings.Contains(res.Err.Error(), tc.wantErr) {
			t.Errorf("%s: %+v", tc.path, res)
		}
		if res.Err != nil && strings.Contains(res.Err.Error(), "secret-of-receiver") {
			t.Errorf("%s: the URL's query is in the error: %v", tc.path, res.Err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("%d requests: the redirect was followed?", len(got))
	}
	r := got[0]
	if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get(webhook.HeaderEvent) != "status" || r.Header.Get(webhook.HeaderDelivery) != "dlv_x" {
		t.Fatalf("request %v %v", r.Method, r.Header)
	}
	if err := webhook.Verify(r.Header.Get(webhook.HeaderSignature), bodies[0], "whsec_a", time.Now(), 0); err != nil {
		t.Fatal(err)
	}
}

// The guard refuses private endpoints at connect time (a name that resolves to one, a
// redirect cannot lead there: redirects are not followed), and Probe says why.
func TestGuard(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	guarded := webhook.NewSender(webhook.Options{Dial: dialer(netguard.Policy{}), Timeout: 2 * time.Second})
	defer guarded.Close()
	res := guarded.Send(context.Background(), webhook.Request{URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), Event: "ping", At: time.Now()})
	if res.OK || res.Err == nil || !strings.Contains(res.Err.Error(), "loopback") {
		t.Fatalf("sent to loopback through the guard: %+v", res)
	}
	u, _ := url.Parse(srv.URL)
	if err := guarded.Probe(context.Background(), u); !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("probe through the guard: %v", err)
	}
	open := webhook.NewSender(webhook.Options{Dial: dialer(loopback), Timeout: 2 * time.Second})
	defer open.Close()
	if err := open.Probe(context.Background(), u); err != nil {
		t.Fatalf("probe: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	cu, _ := url.Parse(closed)
	if err := open.Probe(context.Background(), cu); err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Fatalf("probe of a closed port: %v", err)
	}
	tu, _ := url.Parse(strings.Replace(srv.URL, "http://", "https://", 1))
	if err := open.Probe(context.Background(), tu); err == nil {
		t.Fatal("TLS handshake with a plain HTTP server succeeded")
	}
}
