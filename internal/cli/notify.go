package cli

import (
	"flag"
	"time"
)

// registerNotify registers the flags of alerts and webhooks (serve and worker: the
// nodes that run jobs send them). The SMTP password is read from
// MAILBRIDGE_SMTP_PASSWORD only, never from a flag.
func (f *serverFlags) registerNotify(fs *flag.FlagSet) {
	n := &f.cfg.Notify
	fs.StringVar(&n.SMTP.Addr, "smtp-addr", "", "SMTP server for alert emails to organizations' admins, host:port (none: no emails); STARTTLS is used when offered")
	fs.StringVar(&n.SMTP.From, "smtp-from", "", "sender address of alert emails")
	fs.StringVar(&n.SMTP.Username, "smtp-username", "", "SMTP user name (AUTH PLAIN, over TLS only); the password is read from MAILBRIDGE_SMTP_PASSWORD")
	fs.BoolVar(&n.SMTP.RequireTLS, "smtp-require-tls", false, "refuse to send alert emails when the SMTP server does not offer STARTTLS")
	fs.IntVar(&n.Alerts.ErrorMailboxes, "alert-error-mailboxes", 5, "sync errors are an incident from this many mailboxes in error …")
	fs.IntVar(&n.Alerts.ErrorPercent, "alert-error-percent", 20, "… or this percentage of an organization's mailboxes …")
	fs.DurationVar(&n.Alerts.ErrorFor, "alert-error-for", 15*time.Minute, "… lasting this long")
	fs.DurationVar(&n.AlertInterval, "alert-interval", time.Minute, "how often every organization's alerts are evaluated (also right after its mailboxes are stopped)")
	fs.DurationVar(&n.WebhookInterval, "webhook-interval", 10*time.Second, "how often webhooks are looked at for changes to deliver (status events go at once)")
}
