package app

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/graphwatch"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// appGraphWatch holds the Graph change-notification side: the watcher (subscriptions and
// the endpoint) and the public URL Graph reaches this server at.
type appGraphWatch struct {
	w         *graphwatch.Watcher
	publicURL atomic.Pointer[string]
}

// GraphWatcher returns the Graph change-notification watcher (tests read its counters and
// reconcile through it).
func (a *App) GraphWatcher() *graphwatch.Watcher { return a.graphWatch.w }

// newGraphWatch builds the Graph change-notification watcher. Subscriptions are made only
// while a public URL is known (Config.PublicURL, or the demo's own address), and not with
// Config.PollOnly.
func (a *App) newGraphWatch() error {
	if a.cfg.PublicURL != "" && !a.cfg.PollOnly {
		u := a.cfg.PublicURL
		a.graphWatch.publicURL.Store(&u)
	}
	w, err := graphwatch.New(graphwatch.Config{
		Store: a.st,
		Orgs:  graphOrgs{a.svc, a.st},
		PublicURL: func() string {
			if p := a.graphWatch.publicURL.Load(); p != nil {
				return *p
			}
			return ""
		},
		Wake: func(ctx context.Context, orgID, userID int64) {
			if err := a.runner.Enqueue(ctx, orgID, []int64{userID}); err != nil && ctx.Err() == nil {
				a.log.Warn("wake a mailbox's sync job", "org_id", orgID, "user_id", userID, "err", err)
			}
		},
		NodeID: a.cfg.NodeID,
		Logger: a.log.With("component", "graphwatch"),
	})
	a.graphWatch.w = w
	return err
}

// setListenURL makes url the public URL when none is configured (the demo, on loopback,
// where the simulator's Graph reaches it).
func (a *App) setListenURL(url string) {
	if !a.cfg.PollOnly {
		a.graphWatch.publicURL.CompareAndSwap(nil, &url)
	}
}

// startGraphWatch runs the loop that reconciles the organizations kicked (mailboxes
// activated, lifecycle notifications); the returned function stops it and waits.
func (a *App) startGraphWatch(ctx context.Context) func() {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.graphWatch.w.Run(wctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// graphOrgs tells the watcher which organizations use Microsoft 365 app-only access.
type graphOrgs struct {
	svc *control.Service
	st  *store.Store
}

func (o graphOrgs) GraphClient(ctx context.Context, orgID int64) (*graph.Client, bool, error) {
	c, err := o.st.GetEmailConfig(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if c.AccessType != control.AccessMicrosoft365App {
		return nil, false, nil
	}
	gc, err := o.svc.GraphClient(ctx, orgID)
	if err != nil {
		return nil, false, err
	}
	return gc, true, nil
}

func (o graphOrgs) Folders(ctx context.Context, orgID int64) (syncer.Folders, error) {
	return o.svc.SyncFolders(ctx, orgID)
}
