package graphwatch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/graphwatch"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// noOrgs is an installation without Microsoft 365 organizations.
type noOrgs struct{}

func (noOrgs) GraphClient(context.Context, int64) (*graph.Client, bool, error) {
	return nil, false, nil
}
func (noOrgs) Folders(context.Context, int64) (syncer.Folders, error) { return 0, nil }

// The endpoint checks every notification's clientState against its subscription's and
// wakes that mailbox only; it bounds bodies and the request rate, and answers POST only.
func TestEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"), store.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.CreateOrganization(ctx, store.System, "Contoso")
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.AddUsers(ctx, store.System, org.ID, "manual", []store.NewUser{{Email: "alice@contoso.com"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	alice := res.Added[0].ID
	if err := st.PutGraphSubscription(ctx, store.GraphSubscription{ID: "sub-1", OrgID: org.ID, UserID: alice,
		Resource: "users/alice@contoso.com/events", ExpiresAt: time.Now().Add(time.Hour)}, "the-state"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var woken []int64
	w, err := graphwatch.New(graphwatch.Config{Store: st, Orgs: noOrgs{}, PublicURL: func() string { return "https://mb.example" },
		Wake: func(_ context.Context, orgID, userID int64) {
			mu.Lock()
			woken = append(woken, userID)
			mu.Unlock()
		},
		Rate: 1, Burst: 5, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	post := func(body string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+graphwatch.NotificationPath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name, body string
		status     int
	}{
		{"authentic", `{"value":[{"subscriptionId":"sub-1","clientState":"the-state","changeType":"created"}]}`, http.StatusAccepted},
		{"forged", `{"value":[{"subscriptionId":"sub-1","clientState":"the-statf","changeType":"created"}]}`, http.StatusForbidden},
		{"mixed", `{"value":[{"subscriptionId":"sub-1","clientState":"x"},{"subscriptionId":"sub-1","clientState":"the-state"}]}`, http.StatusAccepted},
		{"too large", `{"value":[{"subscriptionId":"` + strings.Repeat("a", 2<<20) + `"}]}`, http.StatusBadRequest},
		{"not JSON", `<xml/>`, http.StatusBadRequest},
	}
	for _, c := range cases {
		if got := post(c.body); got != c.status {
			t.Errorf("%s: HTTP %d, want %d", c.name, got, c.status)
		}
	}
	if s := w.Stats(); s.Accepted != 2 || s.Refused != 2 {
		t.Errorf("stats %+v", s)
	}
	mu.Lock()
	if len(woken) != 2 || woken[0] != alice || woken[1] != alice {
		t.Errorf("woken %v", woken)
	}
	mu.Unlock()

	resp, err := http.Get(srv.URL + graphwatch.NotificationPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	// The burst is spent (5 POSTs, the clock stands still): Graph is told to come back.
	if got := post(cases[0].body); got != http.StatusTooManyRequests {
		t.Errorf("beyond the rate: %d", got)
	}
	if w.Stats().Limited != 1 {
		t.Errorf("stats %+v", w.Stats())
	}
}
