package control_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Users added after sync was activated are synced at once; before a configuration is
// saved, adding users starts nothing; stopped mailboxes stay stopped.
func TestJoinersAreSynced(t *testing.T) {
	t.Parallel()
	var activated []int64
	e := controltest.New(t, controltest.Options{OnActivate: func(_ context.Context, _ int64, ids []int64) { activated = append(activated, ids...) }})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	if len(activated) != 0 {
		t.Fatalf("adding a user before any configuration activated %v", activated)
	}
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	if len(activated) != 1 {
		t.Fatalf("save activated %v", activated)
	}
	// The first mailbox is stopped (the password was refused meanwhile).
	if _, err := e.Store.StopMailboxes(ctx, org, "auth_failed", "refused"); err != nil {
		t.Fatal(err)
	}
	activated = nil
	bob, err := e.Service.AddUser(ctx, e.Operator, org, "bob@contoso.com", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Service.ImportUsers(ctx, e.Operator, org, strings.NewReader("carol@contoso.com\nalice@contoso.com\n"))
	if err != nil || res.Added != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if len(activated) != 2 || !slices.Contains(activated, bob.ID) {
		t.Fatalf("joiners activated %v, want bob and carol", activated)
	}
	mbs, _ := e.Store.ListMailboxes(ctx, org)
	states := map[string]string{}
	for _, m := range mbs {
		states[m.Email] = m.State
	}
	if states["alice@contoso.com"] != "stopped" || states["bob@contoso.com"] != "active" || states["carol@contoso.com"] != "active" {
		t.Fatalf("states %v", states)
	}
	_ = store.System
}

// The scheduled re-check runs the check with the saved configuration, keeps it as
// history and updates the users' statuses; an organization without a configuration is
// skipped.
func TestRecheckAccess(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com")
	if err := e.Service.RecheckAccess(ctx, org); err != nil {
		t.Fatalf("without a configuration: %v", err)
	}
	if runs, _ := e.Service.ListCheckRuns(ctx, e.Operator, org, 10); len(runs) != 0 {
		t.Fatalf("a check ran without a configuration: %+v", runs)
	}
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig()); err != nil {
		t.Fatal(err)
	}
	if err := e.Service.RecheckAccess(ctx, org); err != nil {
		t.Fatal(err)
	}
	runs, _ := e.Service.ListCheckRuns(ctx, e.Operator, org, 10)
	if len(runs) != 1 || runs[0].StartedBy != "scheduled check" || runs[0].State != "done" {
		t.Fatalf("runs %+v", runs)
	}
	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	for _, u := range users {
		if u.Status == "unchecked" {
			t.Fatalf("%s not checked", u.Email)
		}
	}
}

// The engine's EWS client is kept per organization while its configuration stays the
// same, and replaced when a new configuration is saved.
func TestEWSClientCached(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso", "alice@contoso.com")
	if _, err := e.Service.EWSClient(ctx, org); err == nil {
		t.Fatal("a client without a configuration")
	}
	v, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, controltest.ContosoConfig())
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Service.EWSClient(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Service.EWSClient(ctx, org)
	if a != b {
		t.Fatal("two clients for one configuration")
	}
	in := controltest.ContosoConfig()
	in.BaseVersion = v.Version
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, in); err != nil {
		t.Fatal(err)
	}
	c, _ := e.Service.EWSClient(ctx, org)
	if c == a {
		t.Fatal("the client survived a new configuration")
	}
}
