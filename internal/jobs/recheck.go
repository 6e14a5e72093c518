package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/store"
)

// recheckWorker enqueues one re-check job per organization.
type recheckWorker struct {
	river.WorkerDefaults[recheckArgs]
	r *Runner
}

func (w *recheckWorker) Work(ctx context.Context, job *river.Job[recheckArgs]) error {
	return w.r.EnqueueRechecks(ctx)
}

// EnqueueRechecks enqueues a re-check of every organization's access now.
func (r *Runner) EnqueueRechecks(ctx context.Context) error {
	if r.cfg.Recheck == nil {
		return nil
	}
	orgs, err := r.cfg.Store.ListOrganizations(ctx)
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(orgs))
	for i, o := range orgs {
		params[i] = river.InsertManyParams{Args: recheckOrgArgs{OrgID: o.ID},
			InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}}
	}
	if _, err := r.client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: enqueue re-checks: %w", err)
	}
	return nil
}

// recheckOrgWorker re-checks one organization, holding its re-check lease: a check of a
// large organization can outlast River's stuck-job rescue, and the rescued copy then
// finds the lease held and ends instead of checking twice.
type recheckOrgWorker struct {
	river.WorkerDefaults[recheckOrgArgs]
	r *Runner
}

// Timeout lets a check of a large organization run longer than a sync step.
func (w *recheckOrgWorker) Timeout(*river.Job[recheckOrgArgs]) time.Duration { return time.Hour }

func (w *recheckOrgWorker) Work(ctx context.Context, job *river.Job[recheckOrgArgs]) error {
	cfg := w.r.cfg
	if cfg.Recheck == nil {
		return nil
	}
	name := fmt.Sprintf("recheck:org:%d", job.Args.OrgID)
	owner := fmt.Sprintf("%s/%d", w.r.client.ID(), job.ID)
	err := cfg.Store.HoldNamedLease(ctx, name, owner, 30*time.Second, func(ctx context.Context) error { return cfg.Recheck(ctx, job.Args.OrgID) })
	if errors.Is(err, store.ErrLeaseHeld) {
		return nil // another run of this check is going on
	}
	return err
}
