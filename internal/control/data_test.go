package control_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/store"
)

// wantInput fails unless err is an *InputError on field whose message holds msg.
func wantInput(t *testing.T, err error, field, msg string) {
	t.Helper()
	var ie *control.InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Fields[field], msg) {
		t.Fatalf("got %v, want an input error on %s saying %q", err, field, msg)
	}
}

// A listing's cursor resumes only the listing it came from: the same mailbox, the same
// filters, the same kind of list, the same organization; the feed's likewise.
func TestCursorsStayInTheirListing(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com")
	other := e.Org(t, "Fabrikam", "alice@contoso.com")
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	alice, bob := users[0].ID, users[1].ID
	e.SyncItems(t, alice, 5)
	e.SyncItems(t, bob, 5)
	p := control.Principal{Kind: control.OrgToken, OrgID: org, Label: "token:t"}
	page, err := e.Service.ListMessages(ctx, p, org, alice, control.MessageFilter{Limit: 2})
	if err != nil || len(page.Items) != 2 || page.Next == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	// Resumed: the rest, then nothing more.
	seen := map[string]bool{page.Items[0].ItemID: true, page.Items[1].ItemID: true}
	for cur := page.Next; cur != ""; {
		pg, err := e.Service.ListMessages(ctx, p, org, alice, control.MessageFilter{Cursor: cur, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range pg.Items {
			if seen[it.ItemID] {
				t.Fatalf("%s listed twice", it.ItemID)
			}
			seen[it.ItemID] = true
		}
		cur = pg.Next
	}
	if len(seen) != 5 {
		t.Fatalf("%d messages", len(seen))
	}
	_, err = e.Service.ListMessages(ctx, p, org, bob, control.MessageFilter{Cursor: page.Next})
	wantInput(t, err, "cursor", "another mailbox")
	_, err = e.Service.ListMessages(ctx, p, org, alice, control.MessageFilter{Cursor: page.Next, Folder: "inbox"})
	wantInput(t, err, "cursor", "other filters")
	_, err = e.Service.ListContacts(ctx, p, org, alice, control.ContactFilter{Cursor: page.Next})
	wantInput(t, err, "cursor", "another listing")
	_, err = e.Service.Changes(ctx, e.Operator, org, page.Next, 0)
	wantInput(t, err, "cursor", "another listing")
	feed, err := e.Service.Changes(ctx, e.Operator, org, "", 3)
	if err != nil || len(feed.Changes) != 3 || !feed.HasMore {
		t.Fatalf("feed: %+v, %v", feed, err)
	}
	_, err = e.Service.Changes(ctx, e.Operator, other, feed.Next, 0)
	wantInput(t, err, "cursor", "another organization")
	_, err = e.Service.Changes(ctx, e.Operator, org, feed.Next, control.MaxPageSize+1)
	wantInput(t, err, "limit", "1 to 1000")
	// Another organization's principal, or mailbox: not found.
	_, err = e.Service.ListMessages(ctx, control.Principal{Kind: control.OrgToken, OrgID: other}, org, alice, control.MessageFilter{})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another organization's token: %v", err)
	}
	_, err = e.Service.ListEvents(ctx, e.Operator, other, alice, control.EventFilter{})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another organization's user: %v", err)
	}
}

// Availability's bounds are checked before Exchange is asked.
func TestAvailabilityBounds(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso")
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("room%d@contoso.com", i)
	}
	cases := []struct {
		name       string
		q          control.AvailabilityQuery
		field, msg string
	}{
		{"no address", control.AvailabilityQuery{Start: day, End: day.Add(time.Hour)}, "emails", "at least one"},
		{"blank addresses", control.AvailabilityQuery{Emails: []string{" ", ""}, Start: day, End: day.Add(time.Hour)}, "emails", "at least one"},
		{"not an address", control.AvailabilityQuery{Emails: []string{"room"}, Start: day, End: day.Add(time.Hour)}, "emails", "not an email address"},
		{"101 addresses", control.AvailabilityQuery{Emails: many, Start: day, End: day.Add(time.Hour)}, "emails", "at most 100"},
		{"no start", control.AvailabilityQuery{Emails: []string{"a@contoso.com"}, End: day}, "start", "start"},
		{"reversed", control.AvailabilityQuery{Emails: []string{"a@contoso.com"}, Start: day, End: day}, "end", "later"},
		{"43 days", control.AvailabilityQuery{Emails: []string{"a@contoso.com"}, Start: day, End: day.Add(control.MaxAvailabilityWindow + time.Second)}, "end", "at most 42 days"},
		{"interval", control.AvailabilityQuery{Emails: []string{"a@contoso.com"}, Start: day, End: day.Add(time.Hour), Interval: 2000}, "interval", "5 to 1440"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Service.Availability(ctx, e.Operator, org, c.q)
			wantInput(t, err, c.field, c.msg)
		})
	}
	// Within bounds, but no configuration saved: what to do.
	_, err := e.Service.Availability(ctx, e.Operator, org, control.AvailabilityQuery{Emails: []string{"A@contoso.com", "a@contoso.com"}, Start: day, End: day.Add(control.MaxAvailabilityWindow)})
	wantInput(t, err, "email_config", "Save the Email Configuration first")
}
