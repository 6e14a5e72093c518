package jobs_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/jobs"
	"github.com/mailbridge/mailbridge/internal/pgtest"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// The lifecycle's periodic jobs: every organization that keeps groups is re-read, every
// one with a retention purged, each in a job of its own, on their intervals; the
// leases of deleted organizations are swept.
func TestJobsLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "mb.db"))
	plain, err := f.st.CreateOrganization(ctx, store.System, "Plain")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddGroupSource(ctx, store.System, f.org, "sales@contoso.com", store.GroupRead{Status: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetRetention(ctx, store.System, f.org, 30); err != nil {
		t.Fatal(err)
	}
	gone, err := f.st.CreateOrganization(ctx, store.System, "Gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeleteOrganization(ctx, store.System, gone.ID); err != nil {
		t.Fatal(err)
	}
	orphan := "slot:account:" + strconv.FormatInt(gone.ID, 10) + ":0"
	if _, err := f.st.AcquireNamedLease(ctx, orphan, "late-job", time.Minute); err != nil {
		t.Fatal(err)
	}
	synced, purged := make(chan int64, 16), make(chan int64, 16)
	r, err := jobs.New(jobs.Config{Store: f.st, Engine: syncer.New(f.st, syncer.Options{}), Sources: f.src, Workers: 2,
		FetchPollInterval: 50 * time.Millisecond,
		Lifecycle: jobs.Lifecycle{
			SyncGroups:    func(_ context.Context, org int64) error { synced <- org; return nil },
			GroupInterval: 300 * time.Millisecond,
			Purge:         func(_ context.Context, org int64) error { purged <- org; return nil },
			PurgeInterval: 300 * time.Millisecond,
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(c)
	})
	// On their schedule (River's leader enqueues the periodic jobs), twice each.
	for _, ch := range []chan int64{synced, purged} {
		for range 2 {
			select {
			case org := <-ch:
				if org != f.org {
					t.Fatalf("organization %d handled, want %d only (not %d)", org, f.org, plain.ID)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the periodic lifecycle jobs did not run")
			}
		}
	}
	if _, err := f.st.GetNamedLease(ctx, orphan); err != store.ErrNotFound {
		t.Fatalf("the deleted organization's lease: %v", err)
	}
	// At once, too.
	if err := r.EnqueueGroupSyncs(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.EnqueuePurges(ctx); err != nil {
		t.Fatal(err)
	}
}

// Forgetting a deleted organization deletes its queued jobs, and only its.
func TestForgetOrganization(t *testing.T) {
	t.Parallel()
	for _, d := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "mb.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, d.dsn(t))
			other, err := f.st.CreateOrganization(ctx, store.System, "Other")
			if err != nil {
				t.Fatal(err)
			}
			res, err := f.st.AddUsers(ctx, store.System, other.ID, "manual", []store.NewUser{{Email: "x@other.test"}}, false)
			if err != nil {
				t.Fatal(err)
			}
			// A runner that is not started: its jobs stay queued.
			r, err := jobs.New(jobs.Config{Store: f.st, Engine: syncer.New(f.st, syncer.Options{}), Sources: f.src})
			if err != nil {
				t.Fatal(err)
			}
			for _, org := range []int64{f.org, other.ID} {
				ids, err := f.st.ActivateMailboxes(ctx, store.System, org)
				if err != nil {
					t.Fatal(err)
				}
				if err := r.Enqueue(ctx, org, ids); err != nil {
					t.Fatal(err)
				}
			}
			count := func() int {
				t.Helper()
				var n int
				if err := f.st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count(); n != len(contosoUsers)+1 {
				t.Fatalf("%d jobs queued", n)
			}
			if err := f.st.DeleteOrganization(ctx, store.System, f.org); err != nil {
				t.Fatal(err)
			}
			if err := r.ForgetOrganization(ctx, f.org); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d jobs left, want the other organization's one", n)
			}
			if _, err := f.st.GetMailbox(ctx, other.ID, res.Added[0].ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}
