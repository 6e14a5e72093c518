package app

import (
	"context"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/jobs"
)

// lifecycle is the job runner's periodic work of joiners, leavers and retention: the
// kept distribution groups re-read, expired items purged.
func (a *App) lifecycle(svc *control.Service) jobs.Lifecycle {
	return jobs.Lifecycle{
		SyncGroups:    svc.SyncGroupSources,
		GroupInterval: a.cfg.GroupSyncInterval,
		Purge: func(ctx context.Context, orgID int64) error {
			res, err := svc.PurgeExpired(ctx, orgID)
			if n := res.Messages + res.Events; n > 0 {
				a.log.Info("purged items older than the retention", "org_id", orgID, "messages", res.Messages, "events", res.Events)
			}
			return err
		},
		PurgeInterval: a.cfg.RetentionInterval,
	}
}

// forgetOrganization deletes a deleted organization's queued jobs (control's
// OnOrganizationDeleted); its running jobs end by themselves.
func (a *App) forgetOrganization(ctx context.Context, orgID int64) {
	if err := a.runner.ForgetOrganization(ctx, orgID); err != nil {
		a.log.Warn("delete the jobs of a deleted organization", "org_id", orgID, "err", err)
	}
}
