package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Notifier delivers webhooks and raises alerts; the jobs below call it (control's
// Notifier, wired by app).
type Notifier interface {
	// DueWebhooks returns the subscriptions with something to deliver now.
	DueWebhooks(ctx context.Context) ([]int64, error)
	// DeliverWebhook makes one attempt at a subscription's next delivery, and reports
	// whether it delivered one or, after a failure, how long to wait before the next
	// attempt. (false, 0, nil): nothing to do.
	DeliverWebhook(ctx context.Context, webhookID int64) (delivered bool, retryIn time.Duration, err error)
	// EvaluateAlerts opens and resolves an organization's incidents and reports its
	// mailboxes' status changes; it returns the emails to send and the subscriptions
	// with status events to deliver. ErrBusy: evaluated elsewhere right now.
	EvaluateAlerts(ctx context.Context, orgID int64) ([]IncidentEmail, []int64, error)
	// EmailIncident sends an incident's alert or recovery notice, once.
	EmailIncident(ctx context.Context, e IncidentEmail) error
}

// IncidentEmail names an email about an incident: its alert, or its recovery notice.
type IncidentEmail struct {
	IncidentID int64 `json:"incident_id" river:"unique"`
	Recovery   bool  `json:"recovery" river:"unique"`
}

// ErrBusy is what a Notifier returns when another node does the same work now.
var ErrBusy = errors.New("jobs: busy elsewhere")

// Defaults of the notification jobs.
const (
	defaultWebhookInterval = 10 * time.Second
	defaultAlertInterval   = time.Minute
	// webhookBudget bounds how long one webhook job starts new deliveries (each is
	// bounded by the sender's timeout), keeping it below River's job timeout.
	webhookBudget = 5 * time.Second
	// emailAttempts bounds the attempts at sending one email (River's back-off: about
	// three hours in all).
	emailAttempts = 10
)

// webhookDispatchArgs are the periodic job that gives every subscription with
// something to deliver its delivery job.
type webhookDispatchArgs struct{}

func (webhookDispatchArgs) Kind() string { return "webhook_dispatch" }

// webhookArgs are a subscription's delivery job: it delivers what waits, in order, and
// snoozes through the back-off after a failure. One per subscription.
type webhookArgs struct {
	WebhookID int64 `json:"webhook_id" river:"unique"`
}

func (webhookArgs) Kind() string { return "webhook_deliver" }

// alertsArgs are the periodic job that evaluates every organization's alerts.
type alertsArgs struct{}

func (alertsArgs) Kind() string { return "alerts_evaluate" }

// alertOrgArgs evaluate one organization's alerts.
type alertOrgArgs struct {
	OrgID int64 `json:"org_id" river:"unique"`
}

func (alertOrgArgs) Kind() string { return "alerts_evaluate_org" }

// Kind implements river.JobArgs: an alert email job.
func (IncidentEmail) Kind() string { return "alert_email" }

// addNotifyWorkers registers the notification workers and returns their periodic jobs
// (none without a Notifier).
func (r *Runner) addNotifyWorkers(workers *river.Workers) ([]*river.PeriodicJob, error) {
	if r.cfg.Notifier == nil {
		return nil, nil
	}
	for _, add := range []func() error{
		func() error { return river.AddWorkerSafely(workers, &webhookDispatchWorker{r: r}) },
		func() error { return river.AddWorkerSafely(workers, &webhookWorker{r: r}) },
		func() error { return river.AddWorkerSafely(workers, &alertsWorker{r: r}) },
		func() error { return river.AddWorkerSafely(workers, &alertOrgWorker{r: r}) },
		func() error { return river.AddWorkerSafely(workers, &alertEmailWorker{r: r}) },
	} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	webhookEvery, alertEvery := r.cfg.WebhookInterval, r.cfg.AlertInterval
	if webhookEvery <= 0 {
		webhookEvery = defaultWebhookInterval
	}
	if alertEvery <= 0 {
		alertEvery = defaultAlertInterval
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(webhookEvery),
			func() (river.JobArgs, *river.InsertOpts) { return webhookDispatchArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(alertEvery),
			func() (river.JobArgs, *river.InsertOpts) { return alertsArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
	}, nil
}

// uniqueOpts make a job unique by its arguments while it exists (not once done).
func uniqueOpts() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}
}

// WakeWebhooks gives the subscriptions their delivery jobs now (one that has a job
// keeps it: a job in its back-off is not hurried).
func (r *Runner) WakeWebhooks(ctx context.Context, ids []int64) error {
	if r.cfg.Notifier == nil || len(ids) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: webhookArgs{WebhookID: id}, InsertOpts: uniqueOpts()}
	}
	if _, err := r.client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: enqueue webhook deliveries: %w", err)
	}
	return nil
}

// EvaluateAlerts asks for the organization's alerts to be evaluated now (after its
// mailboxes were stopped, for instance). It returns once the job is queued.
func (r *Runner) EvaluateAlerts(ctx context.Context, orgID int64) error {
	if r.cfg.Notifier == nil {
		return nil
	}
	if _, err := r.client.Insert(ctx, alertOrgArgs{OrgID: orgID}, uniqueOpts()); err != nil {
		return fmt.Errorf("jobs: enqueue alert evaluation: %w", err)
	}
	return nil
}

// alertSoon is EvaluateAlerts for the sync jobs: a failure is only logged (the periodic
// evaluation follows anyway).
func (r *Runner) alertSoon(ctx context.Context, orgID int64) {
	if err := r.EvaluateAlerts(ctx, orgID); err != nil {
		r.log.Warn("evaluate alerts", "org_id", orgID, "err", err)
	}
}

// webhookDispatchWorker gives every subscription with something to deliver its job.
type webhookDispatchWorker struct {
	river.WorkerDefaults[webhookDispatchArgs]
	r *Runner
}

func (w *webhookDispatchWorker) Work(ctx context.Context, job *river.Job[webhookDispatchArgs]) error {
	ids, err := w.r.cfg.Notifier.DueWebhooks(ctx)
	if err != nil {
		return err
	}
	return w.r.WakeWebhooks(ctx, ids)
}

// webhookWorker delivers a subscription's events, in order, one attempt each.
type webhookWorker struct {
	river.WorkerDefaults[webhookArgs]
	r *Runner
}

func (w *webhookWorker) Work(ctx context.Context, job *river.Job[webhookArgs]) error {
	stop := time.Now().Add(webhookBudget)
	for {
		delivered, retryIn, err := w.r.cfg.Notifier.DeliverWebhook(ctx, job.Args.WebhookID)
		switch {
		case err != nil && ctx.Err() != nil:
			return river.JobSnooze(0) // shutting down: resume at the next start
		case err != nil:
			return err
		case retryIn > 0:
			return river.JobSnooze(retryIn) // the back-off after a failed attempt
		case !delivered:
			return nil // nothing waits
		case time.Now().After(stop):
			return river.JobSnooze(0) // more may wait: go on in a new run
		}
	}
}

// NextRetry retries soon after an error of the store (delivery failures snooze).
func (w *webhookWorker) NextRetry(*river.Job[webhookArgs]) time.Time {
	return time.Now().Add(5 * time.Second)
}

// alertsWorker queues an evaluation of every organization's alerts.
type alertsWorker struct {
	river.WorkerDefaults[alertsArgs]
	r *Runner
}

func (w *alertsWorker) Work(ctx context.Context, job *river.Job[alertsArgs]) error {
	orgs, err := w.r.cfg.Store.ListOrganizations(ctx)
	if err != nil || len(orgs) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(orgs))
	for i, o := range orgs {
		params[i] = river.InsertManyParams{Args: alertOrgArgs{OrgID: o.ID}, InsertOpts: uniqueOpts()}
	}
	if _, err := w.r.client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: enqueue alert evaluations: %w", err)
	}
	return nil
}

// alertOrgWorker evaluates one organization's alerts, then queues the emails and the
// deliveries it asks for.
type alertOrgWorker struct {
	river.WorkerDefaults[alertOrgArgs]
	r *Runner
}

func (w *alertOrgWorker) Work(ctx context.Context, job *river.Job[alertOrgArgs]) error {
	emails, hooks, err := w.r.cfg.Notifier.EvaluateAlerts(ctx, job.Args.OrgID)
	if errors.Is(err, ErrBusy) {
		return river.JobSnooze(time.Second)
	}
	if err != nil {
		return err
	}
	if len(emails) > 0 {
		params := make([]river.InsertManyParams, len(emails))
		for i, e := range emails {
			// Unique as long as River keeps the job, completed ones included: each
			// notice is queued once (and sent once: the Notifier claims it).
			params[i] = river.InsertManyParams{Args: e, InsertOpts: &river.InsertOpts{MaxAttempts: emailAttempts,
				UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: append(slices.Clone(uniqueStates), rivertype.JobStateCompleted)}}}
		}
		if _, err := w.r.client.InsertMany(ctx, params); err != nil {
			return fmt.Errorf("jobs: enqueue alert emails: %w", err)
		}
	}
	return w.r.WakeWebhooks(ctx, hooks)
}

// alertEmailWorker sends an incident's alert or recovery notice.
type alertEmailWorker struct {
	river.WorkerDefaults[IncidentEmail]
	r *Runner
}

func (w *alertEmailWorker) Work(ctx context.Context, job *river.Job[IncidentEmail]) error {
	return w.r.cfg.Notifier.EmailIncident(ctx, job.Args)
}
