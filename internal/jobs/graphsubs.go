package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// graphSubsArgs are the periodic upkeep of Microsoft Graph change-notification
// subscriptions: created for new mailboxes, renewed before they expire, deleted for
// mailboxes no longer synced (Config.GraphSubscriptions).
type graphSubsArgs struct{}

func (graphSubsArgs) Kind() string { return "graph_subscriptions" }

// graphSubsWorker runs Config.GraphSubscriptions.
type graphSubsWorker struct {
	river.WorkerDefaults[graphSubsArgs]
	r *Runner
}

func (w *graphSubsWorker) Work(ctx context.Context, job *river.Job[graphSubsArgs]) error {
	return w.r.cfg.GraphSubscriptions(ctx)
}

// graphSubsJobs registers the worker and returns the periodic job, when
// Config.GraphSubscriptions is set.
func (r *Runner) graphSubsJobs(workers *river.Workers) ([]*river.PeriodicJob, error) {
	if r.cfg.GraphSubscriptions == nil {
		return nil, nil
	}
	if r.cfg.GraphSubscriptionInterval <= 0 {
		r.cfg.GraphSubscriptionInterval = time.Hour
	}
	if err := river.AddWorkerSafely(workers, &graphSubsWorker{r: r}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(r.cfg.GraphSubscriptionInterval),
		func() (river.JobArgs, *river.InsertOpts) { return graphSubsArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}, nil
}
