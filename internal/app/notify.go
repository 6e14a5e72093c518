package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/jobs"
	"github.com/mailbridge/mailbridge/internal/mailer"
)

// NotifyConfig is the configuration of webhooks and alerts.
type NotifyConfig struct {
	// SMTP sends alert emails to organizations' admins; none when not set.
	SMTP mailer.Config
	// Alerts are the thresholds of sync-error incidents (zero values: the defaults).
	Alerts control.AlertThresholds
	// AlertInterval is how often every organization's alerts are evaluated (default 1
	// minute); WebhookInterval how often subscriptions are looked at for something to
	// deliver (default 10 s).
	AlertInterval, WebhookInterval time.Duration
	// WebhookBackoff, if set, replaces the deliveries' back-off (tests).
	WebhookBackoff func(attempt int) time.Duration
}

// newNotifier builds the webhook and alert Notifier of the configuration.
func newNotifier(svc *control.Service, cfg Config, logger *slog.Logger) *control.Notifier {
	return svc.NewNotifier(control.NotifierConfig{Mailer: cfg.Notify.SMTP, Alerts: cfg.Notify.Alerts, PublicURL: cfg.PublicURL,
		Backoff: cfg.Notify.WebhookBackoff, Logger: logger.With("component", "notify")})
}

// jobsNotifier adapts control's Notifier to the job runner's.
type jobsNotifier struct{ n *control.Notifier }

func (j jobsNotifier) DueWebhooks(ctx context.Context) ([]int64, error) { return j.n.DueWebhooks(ctx) }

func (j jobsNotifier) DeliverWebhook(ctx context.Context, id int64) (bool, time.Duration, error) {
	return j.n.DeliverWebhook(ctx, id)
}

func (j jobsNotifier) EvaluateAlerts(ctx context.Context, orgID int64) ([]jobs.IncidentEmail, []int64, error) {
	out, err := j.n.EvaluateAlerts(ctx, orgID)
	if errors.Is(err, control.ErrAlertsBusy) {
		return nil, nil, jobs.ErrBusy
	}
	if err != nil {
		return nil, nil, err
	}
	emails := make([]jobs.IncidentEmail, len(out.Emails))
	for i, e := range out.Emails {
		emails[i] = jobs.IncidentEmail{IncidentID: e.IncidentID, Recovery: e.Recovery}
	}
	return emails, out.Webhooks, nil
}

func (j jobsNotifier) EmailIncident(ctx context.Context, e jobs.IncidentEmail) error {
	return j.n.EmailIncident(ctx, control.IncidentEmail{IncidentID: e.IncidentID, Recovery: e.Recovery})
}

// evaluateAlerts asks for the organization's alerts to be evaluated now.
func (a *App) evaluateAlerts(ctx context.Context, orgID int64) {
	if err := a.runner.EvaluateAlerts(ctx, orgID); err != nil {
		a.log.Warn("evaluate alerts", "org_id", orgID, "err", err)
	}
}
