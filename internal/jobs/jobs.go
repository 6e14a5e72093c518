// Package jobs runs the sync engine's per-mailbox jobs on River (riverqueue.com), in the
// store's own database: riversqlite on SQLite, riverdatabasesql on PostgreSQL, where
// several nodes share the work.
//
// Every active mailbox has exactly one job (unique by mailbox). A job takes the
// mailbox's lease, runs one bounded step of syncer.Engine.SyncMailbox, and snoozes: for
// no time when the mailbox has more to sync, for the poll interval when it is up to date.
// So jobs are short, a crashed worker's job is rescued after Config.RescueAfter (seconds,
// not River's default hour), and the lease's fencing token keeps a rescued job and a
// slow original from ever both writing. A job ends when its mailbox is no longer active
// (paused by an admin, stopped by the engine, removed).
//
// When Exchange refuses the service account's credentials, the first job to see it stops
// every mailbox of the organization at once: no job retries the password (that would lock
// the account out in Active Directory) until an admin saves new credentials, which
// activates the mailboxes and enqueues their jobs again.
//
// A periodic reconciler makes sure every active mailbox has its job (after a restore, a
// lost insert, a job discarded by hand).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// SyncArgs are a mailbox's sync job. Gen is the mailbox's job generation: when a
// worker dies mid-step, a job of the next generation takes over at once (River would
// otherwise keep the dead job "running" until its rescuer runs), and the old job, if it
// ever runs again, finds itself superseded and ends.
type SyncArgs struct {
	OrgID  int64 `json:"org_id" river:"unique"`
	UserID int64 `json:"user_id" river:"unique"`
	Gen    int64 `json:"gen,omitempty" river:"unique"`
}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "sync_mailbox" }

// recheckArgs are the periodic re-check of every organization's access: it enqueues one
// recheckOrgArgs job per organization.
type recheckArgs struct{}

func (recheckArgs) Kind() string { return "recheck_access" }

// recheckOrgArgs re-check one organization's access.
type recheckOrgArgs struct {
	OrgID int64 `json:"org_id" river:"unique"`
}

func (recheckOrgArgs) Kind() string { return "recheck_org_access" }

// reconcileArgs are the periodic job that gives every active mailbox its job.
type reconcileArgs struct{}

func (reconcileArgs) Kind() string { return "reconcile_mailboxes" }

// Sources gives the engine what an organization's saved configuration says: the Source
// its mailboxes are read through, and the folders they sync. Both are asked at every
// step, so that a saved change applies at the next one.
type Sources interface {
	Source(ctx context.Context, orgID int64) (syncer.Source, error)
	Folders(ctx context.Context, orgID int64) (syncer.Folders, error)
}

// ServerKeyer is implemented by Sources that can tell which Exchange server an
// organization's mailboxes are on (the host of its EWS URL), so that the steps sent to one
// server are bounded across organizations too.
type ServerKeyer interface {
	ServerKey(ctx context.Context, orgID int64) (string, error)
}

// Config is what a Runner needs.
type Config struct {
	Store   *store.Store
	Engine  *syncer.Engine
	Sources Sources
	// NodeID names this node in leases and River (default: River's).
	NodeID string
	// Workers bounds the mailbox jobs this node runs at once; default 16.
	Workers int
	// PollInterval is how often an up-to-date mailbox is synced again; default 1 minute.
	PollInterval time.Duration
	// LeaseTTL is how long a mailbox lease lasts without renewal (it is renewed every
	// third of it); a dead worker's mailboxes are taken over within about 1.5 LeaseTTL.
	// Default 12 s.
	LeaseTTL time.Duration
	// RescueAfter is how long a job may run before River considers its worker dead and
	// runs it again; default 30 s. Steps are bounded well below it (the engine's
	// StepBudget).
	RescueAfter time.Duration
	// ReconcileInterval is how often every active mailbox is checked for its job;
	// default 1 minute.
	ReconcileInterval time.Duration
	// FetchPollInterval is how often idle workers look for jobs; default 250 ms.
	FetchPollInterval time.Duration
	Logger            *slog.Logger
	// BeforeWork, if set, is called at the start of each sync job (tests).
	BeforeWork func(ctx context.Context, args SyncArgs)
	// BeforeSleep, if set, is called when a step leaves its mailbox up to date, after
	// it looked for a wake request and just before its job sleeps for the poll interval
	// (tests: a wake at that moment).
	BeforeSleep func(ctx context.Context, args SyncArgs)
	// AccountSlots bounds the sync steps running at once, across all nodes, for one
	// organization's service account (each step has up to the engine's FetchConcurrency
	// requests in flight, so the account's requests stay under Exchange's
	// EWSMaxConcurrency of 27 with the default 8 × 3); default 8.
	AccountSlots int
	// ServerSlots bounds the sync steps running at once, across all nodes and
	// organizations, against one Exchange server (when Sources is a ServerKeyer);
	// default 64.
	ServerSlots int
	// Recheck, if set, re-checks an organization's access, as the admin's check button
	// does (results kept as history, users' statuses updated); every organization is
	// re-checked every RecheckInterval (default 6 hours), each in a job of its own that
	// holds the lease "recheck:org:<id>" while it runs.
	Recheck         func(ctx context.Context, orgID int64) error
	RecheckInterval time.Duration
	// Observe, if set, hears of every sync step: its outcome ("ok", "more", an error
	// code, "lease_lost", "cancelled", "busy"), what it did, and how long it took.
	Observe func(outcome string, st syncer.Stats, d time.Duration)
	// Notifier, if set, delivers webhooks and raises alerts (notify.go): every
	// WebhookInterval (default 10 s) each subscription with something to deliver gets its
	// delivery job, and every AlertInterval (default 1 minute) each organization's alerts
	// are evaluated, as they are right after its mailboxes are stopped.
	Notifier                       Notifier
	WebhookInterval, AlertInterval time.Duration
	// Lifecycle is the periodic work of joiners, leavers and retention (lifecycle.go).
	Lifecycle Lifecycle
	// GraphSubscriptions, if set, keeps the Microsoft Graph change-notification
	// subscriptions of every organization current (graphsubs.go); it runs at start and
	// every GraphSubscriptionInterval (default 1 hour), well within their renewal margin.
	GraphSubscriptions        func(ctx context.Context) error
	GraphSubscriptionInterval time.Duration
}

// Runner runs the jobs of one node.
type Runner struct {
	// accounts holds, per organization, this node's share of the account's slots: a step
	// waits here, without writing to the store, when the node already runs as many.
	accounts   sync.Map // orgID -> chan struct{}
	cfg        Config
	client     *river.Client[*sql.Tx]
	log        *slog.Logger
	stopRescue context.CancelFunc
	rescueDone chan struct{}
	// follow are the sync jobs a wake found running, by job id, with when to stop
	// looking (see followWakes).
	follow struct {
		sync.Mutex
		jobs map[int64]time.Time
	}
}

// driver returns River's driver for the store's database.
func driver(st *store.Store) riverdriver.Driver[*sql.Tx] {
	if st.Dialect() == store.SQLite {
		return riversqlite.New(st.DB())
	}
	return riverdatabasesql.New(st.DB())
}

// Migrate creates or updates River's tables in the store's database.
func Migrate(ctx context.Context, st *store.Store) error {
	m, err := rivermigrate.New(driver(st), nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// CheckSchema returns store.ErrSchemaOutOfDate (wrapped) unless River's tables are at
// the version this build expects.
func CheckSchema(ctx context.Context, st *store.Store) error {
	m, err := rivermigrate.New(driver(st), nil)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("jobs: check schema: %w", err)
	}
	if !res.OK {
		return fmt.Errorf("%w: the job queue's tables are not current (%v): run `mailbridge migrate`", store.ErrSchemaOutOfDate, res.Messages)
	}
	return nil
}

// New builds a Runner (not started).
func New(cfg Config) (*Runner, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Sources == nil {
		return nil, errors.New("jobs: a store, an engine and sources are required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Minute
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 12 * time.Second
	}
	if cfg.RecheckInterval <= 0 {
		cfg.RecheckInterval = 6 * time.Hour
	}
	if cfg.AccountSlots <= 0 {
		cfg.AccountSlots = 8
	}
	if cfg.ServerSlots <= 0 {
		cfg.ServerSlots = 64
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = 30 * time.Second
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = time.Minute
	}
	if cfg.FetchPollInterval <= 0 {
		cfg.FetchPollInterval = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, log: cfg.Logger}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &syncWorker{r: r}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &reconcileWorker{r: r}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &recheckWorker{r: r}); err != nil {
		return nil, err
	}
	if err := river.AddWorkerSafely(workers, &recheckOrgWorker{r: r}); err != nil {
		return nil, err
	}
	periodic := []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.ReconcileInterval),
		func() (river.JobArgs, *river.InsertOpts) { return reconcileArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
	if cfg.Recheck != nil {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.RecheckInterval),
			func() (river.JobArgs, *river.InsertOpts) { return recheckArgs{}, nil }, nil))
	}
	lifecycle, err := r.lifecycleJobs(workers)
	if err != nil {
		return nil, err
	}
	periodic = append(periodic, lifecycle...)
	notify, err := r.addNotifyWorkers(workers)
	if err != nil {
		return nil, err
	}
	periodic = append(periodic, notify...)
	graphSubs, err := r.graphSubsJobs(workers)
	if err != nil {
		return nil, err
	}
	periodic = append(periodic, graphSubs...)
	client, err := river.NewClient(driver(cfg.Store), &river.Config{
		ID:                   cfg.NodeID,
		Logger:               cfg.Logger.With("component", "river"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.RescueAfter * 2 / 3,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.FetchPollInterval,
		FetchCooldown:        min(cfg.FetchPollInterval, 100*time.Millisecond),
		MaxAttempts:          25,
		PeriodicJobs:         periodic,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	r.client = client
	return r, nil
}

// Start starts working jobs; they run until Stop.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.stopRescue = cancel
	r.rescueDone = make(chan struct{})
	go func() {
		defer close(r.rescueDone)
		var wg sync.WaitGroup
		wg.Go(func() { r.followWakes(rctx) })
		r.rescueLoop(rctx)
		wg.Wait()
	}()
	return nil
}

// A wake that finds the mailbox's job running asks the step to run again when it ends
// (RequestWake), and the step looks for such a request before it sleeps. A wake that
// lands after that look but before River has recorded the sleep would wait for the
// next poll: so such jobs are followed for a while, and one found sleeping for longer
// than a second is made available at once.
const (
	followFor   = 10 * time.Second
	followEvery = 200 * time.Millisecond
)

// followWake follows a job a wake found running.
func (r *Runner) followWake(jobID int64) {
	r.follow.Lock()
	defer r.follow.Unlock()
	if r.follow.jobs == nil {
		r.follow.jobs = map[int64]time.Time{}
	}
	r.follow.jobs[jobID] = time.Now().Add(followFor)
}

// followWakes looks at the followed jobs until ctx ends.
func (r *Runner) followWakes(ctx context.Context) {
	t := time.NewTicker(followEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.follow.Lock()
		ids := maps.Clone(r.follow.jobs) // nil while nothing is followed: the usual case
		r.follow.Unlock()
		for id, until := range ids {
			done := r.followOne(ctx, id, until)
			if done {
				r.follow.Lock()
				delete(r.follow.jobs, id)
				r.follow.Unlock()
			}
		}
	}
}

// followOne looks at one followed job and reports whether following it is over.
func (r *Runner) followOne(ctx context.Context, id int64, until time.Time) bool {
	job, err := r.client.JobGet(ctx, id)
	switch {
	case err != nil:
		return ctx.Err() == nil && !time.Now().Before(until) || errors.Is(err, river.ErrNotFound)
	case job.State == rivertype.JobStateRunning:
		return !time.Now().Before(until)
	case job.State == rivertype.JobStateScheduled && job.ScheduledAt.After(time.Now().Add(time.Second)):
		if _, err := r.client.JobRetry(ctx, id); err != nil && ctx.Err() == nil {
			r.log.Warn("wake a sleeping sync job", "job_id", id, "err", err)
		}
		return true
	}
	return true // ran again, or ended: the wake was served
}

// Stop stops fetching jobs and waits for the running ones (they snooze where they are).
func (r *Runner) Stop(ctx context.Context) error {
	if r.stopRescue != nil {
		r.stopRescue()
		<-r.rescueDone
	}
	return r.client.Stop(ctx)
}

// Subscribe passes River's job events (tests and metrics).
func (r *Runner) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return r.client.Subscribe(kinds...)
}

// uniqueStates are the job states in which a mailbox's job exists: a mailbox whose job
// completed (it was paused or stopped) gets a new one when it is active again.
var uniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// Enqueue gives each of the organization's mailboxes its sync job, to run now: a
// mailbox that has one already keeps it, woken if it sleeps; if it is running, the step
// runs again as soon as it ends.
func (r *Runner) Enqueue(ctx context.Context, orgID int64, userIDs []int64) error {
	mbs, err := r.cfg.Store.ListMailboxes(ctx, orgID)
	if err != nil {
		return fmt.Errorf("jobs: enqueue: %w", err)
	}
	gens := make(map[int64]int64, len(mbs))
	for _, m := range mbs {
		gens[m.UserID] = m.JobGen
	}
	jobs := make([]SyncArgs, 0, len(userIDs))
	for _, u := range userIDs {
		if g, ok := gens[u]; ok {
			jobs = append(jobs, SyncArgs{OrgID: orgID, UserID: u, Gen: g})
		}
	}
	return r.insert(ctx, jobs, true)
}

// insert inserts sync jobs (unique by mailbox and generation). With wake, a job that
// exists already and sleeps is made available now, and one that runs is asked to run
// again when its step ends.
func (r *Runner) insert(ctx context.Context, jobs []SyncArgs, wake bool) error {
	for start := 0; start < len(jobs); start += 500 {
		chunk := jobs[start:min(start+500, len(jobs))]
		params := make([]river.InsertManyParams, len(chunk))
		for i, a := range chunk {
			params[i] = river.InsertManyParams{Args: a,
				InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: uniqueStates}}}
		}
		res, err := r.client.InsertMany(ctx, params)
		if err != nil {
			return fmt.Errorf("jobs: enqueue: %w", err)
		}
		if !wake {
			continue
		}
		for i, jr := range res {
			if !jr.UniqueSkippedAsDuplicate || jr.Job == nil {
				continue
			}
			switch jr.Job.State {
			case rivertype.JobStateScheduled, rivertype.JobStateRetryable:
				if _, err := r.client.JobRetry(ctx, jr.Job.ID); err != nil {
					return fmt.Errorf("jobs: wake job %d: %w", jr.Job.ID, err)
				}
			case rivertype.JobStateRunning:
				if err := r.cfg.Store.RequestWake(ctx, chunk[i].UserID); err != nil {
					return fmt.Errorf("jobs: wake: %w", err)
				}
				r.followWake(jr.Job.ID)
			}
		}
	}
	return nil
}

// rescueOrphans gives every mailbox whose worker died mid-step (its lease expired
// without being released) a job of the next generation.
func (r *Runner) rescueOrphans(ctx context.Context) error {
	orphans, err := r.cfg.Store.OrphanedMailboxes(ctx)
	if err != nil {
		return err
	}
	var jobs []SyncArgs
	for _, o := range orphans {
		gen, err := r.cfg.Store.NextJobGen(ctx, o.UserID)
		if err != nil {
			return err
		}
		jobs = append(jobs, SyncArgs{OrgID: o.OrgID, UserID: o.UserID, Gen: gen})
	}
	if len(jobs) > 0 {
		r.log.Info("taking over mailboxes of a dead worker", "mailboxes", len(jobs))
	}
	return r.insert(ctx, jobs, false)
}

// rescueLoop looks for orphaned mailboxes every half lease, until ctx ends.
func (r *Runner) rescueLoop(ctx context.Context) {
	t := time.NewTicker(r.cfg.LeaseTTL / 2)
	defer t.Stop()
	for {
		if err := r.rescueOrphans(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("rescue orphaned mailboxes", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcileWorker gives every active mailbox its job.
type reconcileWorker struct {
	river.WorkerDefaults[reconcileArgs]
	r *Runner
}

func (w *reconcileWorker) Work(ctx context.Context, job *river.Job[reconcileArgs]) error {
	refs, err := w.r.cfg.Store.ActiveMailboxes(ctx)
	if err != nil {
		return err
	}
	jobs := make([]SyncArgs, len(refs))
	for i, m := range refs {
		jobs[i] = SyncArgs{OrgID: m.OrgID, UserID: m.UserID, Gen: m.JobGen}
	}
	return w.r.insert(ctx, jobs, false)
}

// localSlot takes one of this node's slots of the organization's account, or reports that
// they are all in use.
func (r *Runner) localSlot(orgID int64) (release func(), ok bool) {
	v, _ := r.accounts.LoadOrStore(orgID, make(chan struct{}, r.cfg.AccountSlots))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, true
	default:
		return nil, false
	}
}
