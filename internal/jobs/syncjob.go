package jobs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/riverqueue/river"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// Engine status codes recorded on mailboxes (control documents their messages and
// fixes for admins).
const (
	CodeAuthFailed          = "auth_failed"
	CodeImpersonationDenied = "impersonation_denied"
	CodeNoMailbox           = "no_mailbox"
	CodeMailboxMoving       = "mailbox_moving"
	CodeThrottled           = "throttled"
	CodeExchangeError       = "exchange_error"
	CodeUnreachable         = "unreachable"
	CodeNotConfigured       = "not_configured"
)

// Snooze lengths after failures.
const (
	retryUnavailable = 15 * time.Minute
	retryError       = time.Minute
)

// syncWorker runs one step of a mailbox's sync.
type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	r *Runner
}

// Work syncs one bounded step and snoozes the job until the next.
func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	cfg := w.r.cfg
	args := job.Args
	if cfg.BeforeWork != nil {
		cfg.BeforeWork(ctx, args)
	}
	start := time.Now()
	var stats syncer.Stats
	outcome := ""
	defer func() {
		if cfg.Observe != nil && outcome != "" {
			cfg.Observe(outcome, stats, time.Since(start))
		}
	}()
	owner := w.r.client.ID()
	// This node's share of the service account's slots is taken first, in memory: a step
	// that would wait for one writes nothing to the store.
	freeLocal, ok := w.r.localSlot(args.OrgID)
	if !ok {
		outcome = "waiting"
		return river.JobSnooze(time.Second + rand.N(time.Second))
	}
	defer freeLocal()
	if mb, err := cfg.Store.GetMailbox(ctx, args.OrgID, args.UserID); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	} else if mb.JobGen != args.Gen {
		return nil // superseded: a job of another generation took over
	}
	l, err := cfg.Store.AcquireLease(ctx, args.UserID, owner, cfg.LeaseTTL)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // paused, stopped or removed: the job ends
	case errors.Is(err, store.ErrLeaseHeld):
		outcome = "busy"
		return river.JobSnooze(cfg.LeaseTTL / 2)
	case err != nil:
		return err
	}
	bg := context.WithoutCancel(ctx)
	release := func() {
		rctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		_ = cfg.Store.ReleaseLease(rctx, l)
	}
	status := func(st store.MailboxStatus) {
		sctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		if err := cfg.Store.SetMailboxStatus(sctx, l, st); err != nil && !errors.Is(err, store.ErrLeaseLost) {
			w.r.log.Warn("record mailbox status", "user_id", args.UserID, "err", err)
		}
	}
	mb, err := cfg.Store.GetMailbox(ctx, args.OrgID, args.UserID)
	if err != nil {
		release()
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	src, err := cfg.Sources.Source(ctx, args.OrgID)
	var folders syncer.Folders
	if err == nil {
		folders, err = cfg.Sources.Folders(ctx, args.OrgID)
	}
	if err != nil {
		outcome = CodeNotConfigured
		status(store.MailboxStatus{Status: "error", Code: CodeNotConfigured, Message: err.Error()})
		release()
		return river.JobSnooze(cfg.PollInterval)
	}
	// Hold a slot of the service account's bound, and of the server's, shared by all
	// nodes, for the step.
	sl := &slots{st: cfg.Store, owner: fmt.Sprintf("%s/%d", owner, job.ID), ttl: cfg.LeaseTTL}
	defer func() {
		rctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		sl.release(rctx)
	}()
	err = sl.acquire(ctx, fmt.Sprintf("slot:account:%d:", args.OrgID), cfg.AccountSlots)
	if err == nil {
		if keyer, ok := cfg.Sources.(ServerKeyer); ok {
			if key, kerr := keyer.ServerKey(ctx, args.OrgID); kerr == nil && key != "" {
				err = sl.acquire(ctx, "slot:server:"+key+":", cfg.ServerSlots)
			}
		}
	}
	if errors.Is(err, errNoSlot) {
		outcome = "waiting"
		release()
		return river.JobSnooze(time.Second + rand.N(time.Second))
	}
	if err != nil {
		release()
		return err
	}
	// A first sync, or one recovering from an error, says so; a poll of a mailbox in
	// sync does not write "syncing" and back.
	if mb.Status == "pending" || mb.Status == "error" {
		status(store.MailboxStatus{Status: "syncing"})
	}

	// Keep the lease while the step runs; stop the step if it is lost.
	sctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(cfg.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
				nl, err := cfg.Store.RenewLease(sctx, l, cfg.LeaseTTL)
				if errors.Is(err, store.ErrLeaseLost) {
					cancel(store.ErrLeaseLost)
					return
				}
				if serr := sl.renew(sctx); errors.Is(serr, store.ErrLeaseLost) {
					cancel(store.ErrLeaseLost)
					return
				}
				if err == nil {
					l.ExpiresAt = nl.ExpiresAt
				}
			}
		}
	}()
	stats, err = cfg.Engine.SyncMailbox(sctx, l, mb.Email, src, folders)
	cancel(nil)
	<-done

	var te *ewsclient.ThrottledError
	var ne net.Error
	switch {
	case err == nil:
		outcome = "ok"
		status(store.MailboxStatus{Status: "ok", Release: true})
		// A notification during the step asks for another one at once.
		if now, gerr := cfg.Store.GetMailbox(bg, args.OrgID, args.UserID); gerr == nil && now.WakeAt != nil && !now.WakeAt.Before(start.Add(-time.Second)) {
			return river.JobSnooze(0)
		}
		if cfg.BeforeSleep != nil {
			cfg.BeforeSleep(ctx, args)
		}
		return river.JobSnooze(cfg.PollInterval)
	case errors.Is(err, syncer.ErrMore):
		outcome = "more"
		release()
		return river.JobSnooze(0)
	case errors.Is(err, store.ErrLeaseLost):
		outcome = "lease_lost"
		// Revoked (paused, stopped) or taken over by a rescued run: if the mailbox is no
		// longer active the job ends; otherwise the other holder goes on.
		if mb, gerr := cfg.Store.GetMailbox(bg, args.OrgID, args.UserID); gerr == nil && mb.State != "active" || errors.Is(gerr, store.ErrNotFound) {
			return nil
		}
		return river.JobSnooze(cfg.LeaseTTL)
	case errors.Is(err, syncer.ErrAuth):
		outcome = CodeAuthFailed
		// Stop every mailbox of the organization now: no job may try the password again.
		sctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		msg := "Exchange refused the service account's credentials."
		if te := (*entra.TokenError)(nil); errors.As(err, &te) || graph.IsUnauthorized(err) {
			msg = "Microsoft 365 refused the app's credentials (Microsoft 365 app-only access): save a valid client secret."
			if te != nil && te.Message != "" {
				msg = "Microsoft 365 refused the app's credentials: " + te.Message
			}
		}
		if _, serr := cfg.Store.StopMailboxes(sctx, args.OrgID, CodeAuthFailed, msg); serr != nil {
			w.r.log.Error("stop the organization's mailboxes", "org_id", args.OrgID, "err", serr)
		}
		w.r.alertSoon(sctx, args.OrgID) // the admins hear of it now, not at the next evaluation
		release()
		w.r.log.Warn("service account refused: the organization's sync is stopped until new credentials are saved", "org_id", args.OrgID)
		return nil
	case ctx.Err() != nil:
		outcome = "cancelled"
		release() // shutdown or job timeout: resume where the step stopped
		return river.JobSnooze(0)
	case errors.As(err, &te), graph.IsThrottled(err):
		outcome = CodeThrottled
		status(store.MailboxStatus{Status: "error", Code: CodeThrottled, Message: "Exchange is throttling requests; syncing resumes after its back-off."})
		release()
		return river.JobSnooze(max(throttleBackOff(err), time.Second))
	case errors.Is(err, syncer.ErrMailboxUnavailable):
		code := CodeImpersonationDenied
		switch {
		case errors.Is(err, syncer.ErrNoMailbox): // EWS's ErrorNonExistentMailbox, Graph's 404s
			code = CodeNoMailbox
		case ews.Code(err) == ews.ErrorMailboxMoveInProgress:
			code = CodeMailboxMoving
		}
		outcome = code
		status(store.MailboxStatus{Status: "error", Code: code, Message: err.Error()})
		release()
		if code == CodeMailboxMoving {
			return river.JobSnooze(retryError)
		}
		return river.JobSnooze(retryUnavailable)
	case errors.As(err, &ne):
		outcome = CodeUnreachable
		status(store.MailboxStatus{Status: "error", Code: CodeUnreachable, Message: err.Error()})
		release()
		return river.JobSnooze(retryError)
	default:
		outcome = CodeExchangeError
		status(store.MailboxStatus{Status: "error", Code: CodeExchangeError, Message: err.Error()})
		release()
		return river.JobSnooze(retryError)
	}
}

// NextRetry retries a failed step after a second: errors are handled inside Work (they
// snooze); what is left (the store unavailable) should not wait River's growing back-off.
func (w *syncWorker) NextRetry(*river.Job[SyncArgs]) time.Time { return time.Now().Add(time.Second) }

// throttleBackOff is how long a throttling server asked to be left alone: EWS's
// BackOffMilliseconds, or Graph's Retry-After.
func throttleBackOff(err error) time.Duration {
	var te *ewsclient.ThrottledError
	if errors.As(err, &te) {
		return te.BackOff
	}
	var ge *graph.Error
	if errors.As(err, &ge) {
		return ge.RetryAfter
	}
	return 0
}
