package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/store"
)

// Lifecycle is the periodic work of joiners, leavers and retention. Each organization's
// share runs in a job of its own (unique by organization, so one at a time across
// nodes); the functions it calls hold the organization's named lease while they work.
type Lifecycle struct {
	// SyncGroups, if set, re-reads an organization's kept distribution groups: joiners
	// are added and synced, leavers removed. Every organization with group sources is
	// re-read every GroupInterval (default 60 minutes).
	SyncGroups    func(ctx context.Context, orgID int64) error
	GroupInterval time.Duration
	// Purge, if set, deletes an organization's items older than its retention. Every
	// organization with a retention is purged every PurgeInterval (default 1 hour),
	// when the named leases of deleted organizations are swept too.
	Purge         func(ctx context.Context, orgID int64) error
	PurgeInterval time.Duration
}

// groupsArgs are the periodic re-read of every organization's groups: one groupsOrgArgs
// job per organization that keeps some.
type groupsArgs struct{}

func (groupsArgs) Kind() string { return "sync_group_sources" }

// groupsOrgArgs re-read one organization's groups.
type groupsOrgArgs struct {
	OrgID int64 `json:"org_id" river:"unique"`
}

func (groupsOrgArgs) Kind() string { return "sync_org_group_sources" }

// retentionArgs are the periodic purge: one retentionOrgArgs job per organization with
// a retention, and the sweep of orphaned leases.
type retentionArgs struct{}

func (retentionArgs) Kind() string { return "purge_expired" }

// retentionOrgArgs purge one organization's expired items.
type retentionOrgArgs struct {
	OrgID int64 `json:"org_id" river:"unique"`
}

func (retentionOrgArgs) Kind() string { return "purge_org_expired" }

// lifecycleJobs registers the lifecycle's workers and returns its periodic jobs.
func (r *Runner) lifecycleJobs(workers *river.Workers) ([]*river.PeriodicJob, error) {
	lc := &r.cfg.Lifecycle
	if lc.GroupInterval <= 0 {
		lc.GroupInterval = time.Hour
	}
	if lc.PurgeInterval <= 0 {
		lc.PurgeInterval = time.Hour
	}
	for _, add := range []func() error{
		func() error { return river.AddWorkerSafely(workers, &groupsWorker{r: r}) },
		func() error { return river.AddWorkerSafely(workers, &groupsOrgWorker{r: r}) },
		func() error { return river.AddWorkerSafely(workers, &retentionWorker{r: r}) },
		func() error { return river.AddWorkerSafely(workers, &retentionOrgWorker{r: r}) },
	} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	periodic := []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(lc.PurgeInterval),
		func() (river.JobArgs, *river.InsertOpts) { return retentionArgs{}, nil }, nil)}
	if lc.SyncGroups != nil {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(lc.GroupInterval),
			func() (river.JobArgs, *river.InsertOpts) { return groupsArgs{}, nil }, nil))
	}
	return periodic, nil
}

// enqueueOrgs inserts one job per organization, unique while it waits or runs.
func (r *Runner) enqueueOrgs(ctx context.Context, orgs []int64, args func(int64) river.JobArgs) error {
	if len(orgs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(orgs))
	for i, o := range orgs {
		params[i] = river.InsertManyParams{Args: args(o),
			InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}}
	}
	if _, err := r.client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: enqueue: %w", err)
	}
	return nil
}

// EnqueueGroupSyncs enqueues a re-read of every organization's kept groups now.
func (r *Runner) EnqueueGroupSyncs(ctx context.Context) error {
	if r.cfg.Lifecycle.SyncGroups == nil {
		return nil
	}
	orgs, err := r.cfg.Store.GroupSourceOrgs(ctx)
	if err != nil {
		return err
	}
	return r.enqueueOrgs(ctx, orgs, func(id int64) river.JobArgs { return groupsOrgArgs{OrgID: id} })
}

// EnqueuePurges sweeps the named leases of deleted organizations and enqueues a purge
// of every organization with a retention now.
func (r *Runner) EnqueuePurges(ctx context.Context) error {
	if n, err := r.cfg.Store.DeleteOrphanLeases(ctx); err != nil {
		r.log.Warn("sweep the leases of deleted organizations", "err", err)
	} else if n > 0 {
		r.log.Info("swept the leases of deleted organizations", "leases", n)
	}
	if r.cfg.Lifecycle.Purge == nil {
		return nil
	}
	orgs, err := r.cfg.Store.RetentionOrgs(ctx)
	if err != nil {
		return err
	}
	return r.enqueueOrgs(ctx, orgs, func(id int64) river.JobArgs { return retentionOrgArgs{OrgID: id} })
}

type groupsWorker struct {
	river.WorkerDefaults[groupsArgs]
	r *Runner
}

func (w *groupsWorker) Work(ctx context.Context, job *river.Job[groupsArgs]) error {
	return w.r.EnqueueGroupSyncs(ctx)
}

type groupsOrgWorker struct {
	river.WorkerDefaults[groupsOrgArgs]
	r *Runner
}

// Timeout lets the re-read of a large organization (many joiners, confirmed removals)
// run longer than a sync step.
func (w *groupsOrgWorker) Timeout(*river.Job[groupsOrgArgs]) time.Duration { return time.Hour }

func (w *groupsOrgWorker) Work(ctx context.Context, job *river.Job[groupsOrgArgs]) error {
	if w.r.cfg.Lifecycle.SyncGroups == nil {
		return nil
	}
	return w.r.cfg.Lifecycle.SyncGroups(ctx, job.Args.OrgID)
}

type retentionWorker struct {
	river.WorkerDefaults[retentionArgs]
	r *Runner
}

func (w *retentionWorker) Work(ctx context.Context, job *river.Job[retentionArgs]) error {
	return w.r.EnqueuePurges(ctx)
}

type retentionOrgWorker struct {
	river.WorkerDefaults[retentionOrgArgs]
	r *Runner
}

// Timeout lets a large purge (in bounded transactions) run longer than a sync step.
func (w *retentionOrgWorker) Timeout(*river.Job[retentionOrgArgs]) time.Duration { return time.Hour }

func (w *retentionOrgWorker) Work(ctx context.Context, job *river.Job[retentionOrgArgs]) error {
	if w.r.cfg.Lifecycle.Purge == nil {
		return nil
	}
	return w.r.cfg.Lifecycle.Purge(ctx, job.Args.OrgID)
}

// ForgetOrganization deletes the queued jobs of a deleted organization (its mailboxes'
// sync jobs and its periodic work), in batches. Running jobs are left to end by
// themselves: their next write finds the mailbox gone (store.ErrLeaseLost).
func (r *Runner) ForgetOrganization(ctx context.Context, orgID int64) error {
	where := `CAST(args->>'org_id' AS BIGINT) = @org_id`
	if r.cfg.Store.Dialect() == store.SQLite {
		where = `args ->> '$.org_id' = @org_id`
	}
	params := river.NewJobDeleteManyParams().First(1000).Where(where, river.NamedArgs{"org_id": orgID})
	for range 1000 {
		res, err := r.client.JobDeleteMany(ctx, params)
		if err != nil {
			return fmt.Errorf("jobs: forget organization %d: %w", orgID, err)
		}
		if len(res.Jobs) < 1000 {
			return nil
		}
	}
	return nil
}
