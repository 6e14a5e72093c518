package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// leaseClock is a store clock tests move by hand.
type leaseClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *leaseClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *leaseClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Named leases: one holder at a time, taken over after expiry or release with a greater
// fencing token, and a lost lease can neither be renewed nor released.
func TestNamedLeases(t *testing.T) {
	t.Parallel()
	for _, d := range []struct {
		name string
		open func(*testing.T, store.Options) *store.Store
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := &leaseClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
			s := d.open(t, store.Options{Now: clock.now})
			const name, ttl = "watch:org:1", 10 * time.Second

			if _, err := s.GetNamedLease(ctx, name); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("get before any acquire: %v", err)
			}
			a, err := s.AcquireNamedLease(ctx, name, "node-a", ttl)
			if err != nil {
				t.Fatal(err)
			}
			if a.Token != 1 || a.Owner != "node-a" || !a.ExpiresAt.Equal(clock.now().Add(ttl)) {
				t.Fatalf("first lease %+v", a)
			}
			if _, err := s.AcquireNamedLease(ctx, name, "node-b", ttl); !errors.Is(err, store.ErrLeaseHeld) {
				t.Fatalf("acquire of a held lease: %v", err)
			}
			other, err := s.AcquireNamedLease(ctx, "watch:org:2", "node-b", ttl)
			if err != nil || other.Token != 1 {
				t.Fatalf("another name: %+v, %v", other, err)
			}

			clock.advance(8 * time.Second)
			if a, err = s.RenewNamedLease(ctx, a, ttl); err != nil || !a.ExpiresAt.Equal(clock.now().Add(ttl)) {
				t.Fatalf("renew: %+v, %v", a, err)
			}
			clock.advance(8 * time.Second) // 16 s after acquiring: alive thanks to the renewal
			if _, err := s.AcquireNamedLease(ctx, name, "node-b", ttl); !errors.Is(err, store.ErrLeaseHeld) {
				t.Fatalf("acquire of a renewed lease: %v", err)
			}

			clock.advance(ttl) // expired: node-b takes over
			b, err := s.AcquireNamedLease(ctx, name, "node-b", ttl)
			if err != nil || b.Token != 2 {
				t.Fatalf("takeover: %+v, %v", b, err)
			}
			if _, err := s.RenewNamedLease(ctx, a, ttl); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("renew of a lost lease: %v", err)
			}
			if err := s.ReleaseNamedLease(ctx, a); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("release of a lost lease: %v", err)
			}
			got, err := s.GetNamedLease(ctx, name)
			if err != nil || got.Owner != "node-b" || got.Token != 2 {
				t.Fatalf("get: %+v, %v", got, err)
			}

			// Released: free at once, for anyone, with a greater token.
			if err := s.ReleaseNamedLease(ctx, b); err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetNamedLease(ctx, name); err != nil || got.Owner != "" {
				t.Fatalf("after release: %+v, %v", got, err)
			}
			if _, err := s.RenewNamedLease(ctx, b, ttl); !errors.Is(err, store.ErrLeaseLost) {
				t.Fatalf("renew after release: %v", err)
			}
			a, err = s.AcquireNamedLease(ctx, name, "node-a", ttl)
			if err != nil || a.Token != 3 {
				t.Fatalf("acquire after release: %+v, %v", a, err)
			}

			// Bulk renewal keeps the leases still held and leaves out the lost ones; a
			// listing by prefix takes the prefix literally.
			mine, err := s.AcquireNamedLease(ctx, "watch:org:3", "node-a", ttl)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AcquireNamedLease(ctx, "watch_org_9", "node-c", ttl); err != nil {
				t.Fatal(err)
			}
			clock.advance(2 * ttl)
			if _, err := s.AcquireNamedLease(ctx, "watch:org:3", "node-b", ttl); err != nil { // takes over
				t.Fatal(err)
			}
			held, err := s.RenewNamedLeases(ctx, []store.NamedLease{a, mine}, ttl)
			if err != nil || len(held) != 1 || held[0].Name != name || !held[0].ExpiresAt.Equal(clock.now().Add(ttl)) {
				t.Fatalf("bulk renewal: %+v, %v", held, err)
			}
			all, err := s.NamedLeases(ctx, "watch:org:")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, l := range all {
				names = append(names, l.Name+"="+l.Owner)
			}
			if got := strings.Join(names, " "); got != "watch:org:1=node-a watch:org:2=node-b watch:org:3=node-b" {
				t.Fatalf("leases by prefix: %s", got)
			}

			// Nodes racing for a free lease: exactly one wins.
			clock.advance(2 * ttl)
			var wg sync.WaitGroup
			wins := make(chan string, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					owner := "racer-" + string(rune('a'+i))
					_, err := s.AcquireNamedLease(ctx, "race", owner, ttl)
					switch {
					case err == nil:
						wins <- owner
					case !errors.Is(err, store.ErrLeaseHeld):
						t.Errorf("%s: %v", owner, err)
					}
				}()
			}
			wg.Wait()
			close(wins)
			if n := len(wins); n != 1 {
				t.Fatalf("%d nodes won the race", n)
			}
		})
	}
}

// ActiveMailboxAddresses lists one organization's active mailboxes with their addresses.
func TestActiveMailboxAddresses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSQLite(t, store.Options{})
	var orgs []int64
	ids := map[string]int64{}
	for _, name := range []string{"Contoso", "Fabrikam"} {
		o, err := s.CreateOrganization(ctx, store.System, name)
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.ID)
		domain := strings.ToLower(name) + ".com"
		res, err := s.AddUsers(ctx, store.System, o.ID, "manual", []store.NewUser{{Email: "bob@" + domain}, {Email: "alice@" + domain}}, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range res.Added {
			ids[u.Email] = u.ID
		}
		if _, err := s.ActivateMailboxes(ctx, store.System, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetMailboxState(ctx, store.System, orgs[0], ids["bob@contoso.com"], "paused"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ActiveMailboxAddresses(ctx, orgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.MailboxAddress{{UserID: ids["alice@contoso.com"], Email: "alice@contoso.com"}}; !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
