package app

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/jobs"
	"github.com/mailbridge/mailbridge/internal/watch"
)

// appWatch holds the streaming-notification watcher while this node runs one.
type appWatch struct {
	w atomic.Pointer[watch.Watcher]
}

// rescan makes a running watcher read the active mailboxes now (some were activated).
func (aw *appWatch) rescan() {
	if w := aw.w.Load(); w != nil {
		w.Rescan()
	}
}

// Watcher returns the streaming-notification watcher while it runs, else nil (tests wait
// on it).
func (a *App) Watcher() *watch.Watcher { return a.watch.w.Load() }

// startWatch starts the streaming-notification watcher beside the sync jobs, unless
// Config.PollOnly: a notification wakes the mailbox's job, and a refused password stops
// the organization's mailboxes as a job that meets it does. The returned function stops
// the watcher and waits for it.
func (a *App) startWatch(ctx context.Context) func() {
	if a.cfg.PollOnly {
		return func() {}
	}
	log := a.log.With("component", "watch")
	w := watch.New(watch.Config{
		Store: a.st,
		Client: func(ctx context.Context, orgID int64) (*ewsclient.Client, error) {
			c, err := a.svc.EWSClient(ctx, orgID)
			if errors.Is(err, control.ErrNotEWS) {
				return nil, watch.ErrNotEWS // Microsoft 365 app-only: Graph, not EWS streaming
			}
			return c, err
		},
		OnChange: func(ctx context.Context, orgID, userID int64) {
			if err := a.runner.Enqueue(ctx, orgID, []int64{userID}); err != nil && ctx.Err() == nil {
				log.Warn("wake a mailbox's sync job", "org_id", orgID, "user_id", userID, "err", err)
			}
		},
		OnRefused: func(ctx context.Context, orgID int64) {
			if _, err := a.st.StopMailboxes(ctx, orgID, jobs.CodeAuthFailed, "Exchange refused the service account's credentials."); err != nil {
				log.Error("stop the organization's mailboxes", "org_id", orgID, "err", err)
			}
			a.evaluateAlerts(ctx, orgID)
		},
		NodeID: a.cfg.NodeID,
		Logger: log,
	})
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(wctx); err != nil {
			log.Error("streaming notifications", "err", err)
		}
	}()
	a.watch.w.Store(w)
	log.Info("streaming notifications started")
	return func() {
		a.watch.w.Store(nil)
		cancel()
		<-done
	}
}
