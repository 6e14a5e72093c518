package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// Graph subscriptions: one per mailbox and resource (a new one replaces the old), found by
// Graph's id, their clientState checked against its hash only, renewed, deleted, and gone
// with their user.
func testGraphSubscriptions(t *testing.T, open Opener) {
	c := newClock()
	s := open(t, store.Options{Now: c.Now})
	org := newOrg(t, s, "Contoso")
	other := newOrg(t, s, "Fabrikam")
	res := must[store.AddUsersResult](t)(s.AddUsers(ctx, operator, org.ID, "manual",
		[]store.NewUser{{Email: "alice@contoso.com"}, {Email: "carol@contoso.com"}}, false))
	alice, carol := res.Added[0], res.Added[1]
	exp := c.Now().Add(72 * time.Hour).Truncate(time.Microsecond)
	put := func(id string, userID int64, resource, state string) {
		t.Helper()
		ok(t, s.PutGraphSubscription(ctx, store.GraphSubscription{ID: id, OrgID: org.ID, UserID: userID, Resource: resource, ExpiresAt: exp}, state))
	}
	put("sub-1", alice.ID, "users/alice@contoso.com/events", "state-1")
	put("sub-2", carol.ID, "users/carol@contoso.com/events", "state-2")
	got := must[store.GraphSubscription](t)(s.GetGraphSubscription(ctx, "sub-1"))
	if got.OrgID != org.ID || got.UserID != alice.ID || got.Resource != "users/alice@contoso.com/events" || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("got %+v", got)
	}
	if !got.CheckGraphClientState("state-1") || got.CheckGraphClientState("state-2") || got.CheckGraphClientState("") {
		t.Fatal("clientState check")
	}
	// A new subscription of the same resource replaces the old one.
	put("sub-3", alice.ID, "users/alice@contoso.com/events", "state-3")
	_, err := s.GetGraphSubscription(ctx, "sub-1")
	wantErr(t, err, store.ErrNotFound)
	// A user of another organization cannot be subscribed through this one.
	err = s.PutGraphSubscription(ctx, store.GraphSubscription{ID: "x", OrgID: other.ID, UserID: alice.ID, Resource: "r", ExpiresAt: exp}, "s")
	wantErr(t, err, store.ErrNotFound)

	later := exp.Add(24 * time.Hour)
	ok(t, s.RenewGraphSubscription(ctx, org.ID, "sub-2", later))
	wantErr(t, s.RenewGraphSubscription(ctx, other.ID, "sub-2", later), store.ErrNotFound)
	list := must[[]store.GraphSubscription](t)(s.ListGraphSubscriptions(ctx, org.ID))
	ids := []string{}
	for _, g := range list {
		ids = append(ids, g.ID)
	}
	if !slices.Equal(ids, []string{"sub-3", "sub-2"}) || !list[1].ExpiresAt.Equal(later) {
		t.Fatalf("list %v %+v", ids, list)
	}
	if orgs := must[[]int64](t)(s.GraphSubscriptionOrgs(ctx)); !slices.Equal(orgs, []int64{org.ID}) {
		t.Fatalf("orgs %v", orgs)
	}
	ok(t, s.DeleteGraphSubscription(ctx, org.ID, "sub-3"))
	ok(t, s.DeleteGraphSubscription(ctx, org.ID, "sub-3"))
	// Removing the user removes its subscriptions.
	ok(t, s.RemoveUser(ctx, operator, org.ID, carol.ID))
	if list := must[[]store.GraphSubscription](t)(s.ListGraphSubscriptions(ctx, org.ID)); len(list) != 0 {
		t.Fatalf("left %+v", list)
	}
}
