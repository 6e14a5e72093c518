package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/mailer"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Alert kinds: the incidents an organization's admins are told of.
const (
	// AlertAuthFailed: Exchange refused the service account's credentials, and every
	// mailbox is stopped until new ones are saved.
	AlertAuthFailed = "auth_failed"
	// AlertImpersonationLost: Exchange refuses to let the service account impersonate
	// mailboxes that synced before.
	AlertImpersonationLost = "impersonation_lost"
	// AlertSyncErrors: many mailboxes fail to sync, for a while.
	AlertSyncErrors = "sync_errors"
)

// alertKinds are evaluated in this order.
var alertKinds = []string{AlertAuthFailed, AlertImpersonationLost, AlertSyncErrors}

// AlertThresholds say when sync errors are an incident: at least ErrorMailboxes
// mailboxes, or at least ErrorPercent of the watched ones (active or stopped), in error
// for at least ErrorFor. Zero values take the defaults (5 mailboxes, 20 %, 15 minutes).
type AlertThresholds struct {
	ErrorMailboxes int
	ErrorPercent   int
	ErrorFor       time.Duration
}

func (t AlertThresholds) withDefaults() AlertThresholds {
	if t.ErrorMailboxes <= 0 {
		t.ErrorMailboxes = 5
	}
	if t.ErrorPercent <= 0 {
		t.ErrorPercent = 20
	}
	if t.ErrorFor <= 0 {
		t.ErrorFor = 15 * time.Minute
	}
	return t
}

// ErrAlertsBusy: another node evaluates the organization's alerts right now; try again
// in a moment.
var ErrAlertsBusy = errors.New("control: alerts being evaluated elsewhere")

// IncidentEmail names an email to send: an incident's alert, or its recovery notice.
type IncidentEmail struct {
	IncidentID int64
	Recovery   bool
}

// AlertOutcome is what an evaluation leaves to do: emails to send and subscriptions
// with status events to deliver.
type AlertOutcome struct {
	Emails   []IncidentEmail
	Webhooks []int64
}

// orgHealth sums up an organization's mailboxes for alerts.
type orgHealth struct {
	App               bool // Microsoft 365 app-only access: the words are the app's, not a service account's
	Watched           int  // active or stopped (paused ones are an admin's choice)
	AuthFailed        int
	ImpersonationLost int // impersonation refused for mailboxes that synced before
	SyncErrors        int // other errors
	LastSuccess       *time.Time
}

// quietCodes are errors that are not sync incidents: the service account's and
// impersonation have incidents of their own (impersonation refused for a mailbox that
// never synced is a setup matter, which the check explains), and a mailbox that does not
// exist is a user to remove.
var quietCodes = map[string]bool{SyncCodeAuthFailed: true, SyncCodeImpersonationDenied: true, SyncCodeNoMailbox: true}

func summarizeHealth(counts []store.MailboxStatusCount, last *time.Time) orgHealth {
	h := orgHealth{LastSuccess: last}
	for _, c := range counts {
		if c.State == MailboxPaused {
			continue
		}
		h.Watched += c.N
		switch {
		case c.Code == SyncCodeAuthFailed:
			h.AuthFailed += c.N
		case c.Status == SyncError && c.Code == SyncCodeImpersonationDenied && c.EverSynced:
			h.ImpersonationLost += c.N
		case c.Status == SyncError && !quietCodes[c.Code]:
			h.SyncErrors += c.N
		}
	}
	return h
}

// verdict is what one kind of incident looks like now.
type verdict struct {
	Holds     bool // the condition holds
	Resolved  bool // an open incident of the kind is over
	Mailboxes int
	Summary   string
	// Wait is how long the condition must hold before the incident opens.
	Wait time.Duration
}

// assess judges one kind of incident from an organization's health. openedAt is when
// the current incident opened (nil: none open).
func assess(kind string, h orgHealth, t AlertThresholds, openedAt *time.Time) verdict {
	switch kind {
	case AlertAuthFailed:
		v := verdict{Holds: h.AuthFailed > 0, Mailboxes: h.AuthFailed,
			Summary: fmt.Sprintf("Exchange refused the service account's credentials; the sync of %s is stopped so that the account is not locked out.", plural(h.AuthFailed, "mailbox", "mailboxes"))}
		if h.App {
			v.Summary = fmt.Sprintf("Microsoft 365 refused the app's credentials; the sync of %s is stopped until valid ones are saved.", plural(h.AuthFailed, "mailbox", "mailboxes"))
		}
		// Over once no mailbox is stopped for it and a sync worked since (new
		// credentials were saved and accepted), or nothing is watched any more.
		v.Resolved = !v.Holds && (h.Watched == 0 || openedAt != nil && h.LastSuccess != nil && h.LastSuccess.After(*openedAt))
		return v
	case AlertImpersonationLost:
		v := verdict{Holds: h.ImpersonationLost > 0, Mailboxes: h.ImpersonationLost,
			Summary: fmt.Sprintf("Exchange refuses to let the service account impersonate %s that synced before (ErrorImpersonateUserDenied).", plural(h.ImpersonationLost, "mailbox", "mailboxes"))}
		if h.App {
			v.Summary = fmt.Sprintf("Microsoft 365 refuses the app access to %s that synced before (ErrorAccessDenied: outside its RBAC for Applications scope).", plural(h.ImpersonationLost, "mailbox", "mailboxes"))
		}
		v.Resolved = !v.Holds
		return v
	case AlertSyncErrors:
		n := h.SyncErrors
		holds := n > 0 && (n >= t.ErrorMailboxes || n*100 >= t.ErrorPercent*h.Watched)
		v := verdict{Holds: holds, Mailboxes: n, Wait: t.ErrorFor,
			Summary: fmt.Sprintf("%s of %d fail to sync.", plural(n, "mailbox", "mailboxes"), h.Watched)}
		v.Resolved = !holds
		return v
	}
	return verdict{}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// alertTitles name the kinds for people.
var alertTitles = map[string]string{
	AlertAuthFailed:        "Exchange refused the service account's credentials",
	AlertImpersonationLost: "Impersonation refused for mailboxes that were syncing",
	AlertSyncErrors:        "Mailboxes fail to sync",
}

// alertFixes say what to do.
var alertFixes = map[string]string{
	AlertAuthFailed: "Enter the service account's current password on the Email Configuration tab and save it: every stopped mailbox syncs again at once. " +
		"If the account was locked out meanwhile, unlock it first (Unlock-ADAccount).",
	AlertImpersonationLost: "Check the service account's ApplicationImpersonation role assignment and its management scope in Exchange " +
		"(Get-ManagementRoleAssignment -Role ApplicationImpersonation); the check on the Email Configuration tab says which is missing and gives the PowerShell.",
	AlertSyncErrors: "The Mailboxes tab shows each mailbox's error and what to do about it.",
}

// alertTitlesApp and alertFixesApp are their words for Microsoft 365 app-only access.
var (
	alertTitlesApp = map[string]string{
		AlertAuthFailed:        "Microsoft 365 refused the app's credentials",
		AlertImpersonationLost: "Access refused for mailboxes that were syncing",
	}
	alertFixesApp = map[string]string{
		AlertAuthFailed: "Enter a valid client secret (or certificate) of the app registration on the Email Configuration tab and save it: " +
			"every stopped mailbox syncs again at once. The check there says whether the secret expired or the app lost its admin consent.",
		AlertImpersonationLost: "Put the mailboxes back in the scope of the app's role assignments in Exchange Online " +
			"(Get-ManagementRoleAssignment -RoleAssignee <client ID>); the check on the Email Configuration tab gives the PowerShell.",
	}
)

// AlertTitleFor names an alert kind for people, in the words of the organization's
// access type (app: Microsoft 365 app-only).
func AlertTitleFor(kind string, app bool) string {
	if t, ok := alertTitlesApp[kind]; ok && app {
		return t
	}
	return AlertTitle(kind)
}

// AlertFixFor is AlertFix in the words of the organization's access type.
func AlertFixFor(kind string, app bool) string {
	if f, ok := alertFixesApp[kind]; ok && app {
		return f
	}
	return AlertFix(kind)
}

// UsesApp reports whether an organization's saved configuration is Microsoft 365
// app-only access (the panel and the API word its alerts accordingly).
func (s *Service) UsesApp(ctx context.Context, orgID int64) bool { return s.isApp(ctx, orgID) }

// AlertTitle names an alert kind for people (EWS impersonation's words).
func AlertTitle(kind string) string {
	if t, ok := alertTitles[kind]; ok {
		return t
	}
	return kind
}

// AlertFix says what an admin does about an alert kind ("" for an unknown kind), as its
// email does; the panel shows it too.
func AlertFix(kind string) string { return alertFixes[kind] }

// incidentJSON is an incident in status events.
type incidentJSON struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Summary    string     `json:"summary"`
	Mailboxes  int        `json:"mailboxes"`
	DetectedAt time.Time  `json:"detected_at"`
	OpenedAt   *time.Time `json:"opened_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

func incidentPayload(typ string, app bool) func(store.Incident) ([]byte, error) {
	return func(i store.Incident) ([]byte, error) {
		return json.Marshal(struct {
			Type     string       `json:"type"`
			Incident incidentJSON `json:"incident"`
		}{typ, incidentJSON{ID: i.ID, Kind: i.Kind, Title: AlertTitleFor(i.Kind, app), Summary: i.Summary, Mailboxes: i.Mailboxes,
			DetectedAt: i.DetectedAt, OpenedAt: i.OpenedAt, ResolvedAt: i.ResolvedAt}})
	}
}

// mailboxStatusJSON is a mailbox in "mailbox.status" events.
type mailboxStatusJSON struct {
	UserID   int64            `json:"user_id"`
	Email    string           `json:"email"`
	State    string           `json:"state"`
	Status   string           `json:"status"`
	Code     string           `json:"code"`
	Message  string           `json:"message"`
	Previous *mailboxPrevJSON `json:"previous"`
}

type mailboxPrevJSON struct {
	State  string `json:"state"`
	Status string `json:"status"`
	Code   string `json:"code"`
}

// statusBatch is how many mailboxes one "mailbox.status" event carries at most, and
// statusScan how many changed mailboxes one evaluation reports.
const (
	statusBatch = 200
	statusScan  = 5000
)

// reportMailboxStatuses queues "mailbox.status" events for the mailboxes whose state or
// status changed since the last evaluation, and returns the subscriptions.
func (n *Notifier) reportMailboxStatuses(ctx context.Context, orgID int64) ([]int64, error) {
	news, err := n.s.st.UnseenMailboxStatuses(ctx, orgID, statusScan)
	if err != nil || len(news) == 0 {
		return nil, err
	}
	var payloads [][]byte
	for start := 0; start < len(news); start += statusBatch {
		chunk := news[start:min(start+statusBatch, len(news))]
		mbs := make([]mailboxStatusJSON, len(chunk))
		for i, m := range chunk {
			mbs[i] = mailboxStatusJSON{UserID: m.UserID, Email: m.Email, State: m.Current.State, Status: m.Current.Status, Code: m.Current.Code, Message: m.Message}
			if m.Previous != nil {
				mbs[i].Previous = &mailboxPrevJSON{State: m.Previous.State, Status: m.Previous.Status, Code: m.Previous.Code}
			}
		}
		b, err := json.Marshal(struct {
			Type      string              `json:"type"`
			Mailboxes []mailboxStatusJSON `json:"mailboxes"`
		}{"mailbox.status", mbs})
		if err != nil {
			return nil, err
		}
		payloads = append(payloads, b)
	}
	return n.s.st.MarkMailboxStatusesSeen(ctx, orgID, news, payloads)
}

// EvaluateAlerts looks at an organization's mailboxes: it reports their status changes
// to status subscribers, and opens and resolves its incidents — each once, whichever
// node evaluates, and however often. It returns the emails to send and the subscriptions
// with events to deliver. ErrAlertsBusy: another node evaluates it now.
func (n *Notifier) EvaluateAlerts(ctx context.Context, orgID int64) (AlertOutcome, error) {
	st := n.s.st
	var out AlertOutcome
	l, err := st.AcquireNamedLease(ctx, "alerts:org:"+strconv.FormatInt(orgID, 10), leaseOwner(), 30*time.Second)
	if errors.Is(err, store.ErrLeaseHeld) {
		return out, ErrAlertsBusy
	}
	if err != nil {
		return out, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = st.ReleaseNamedLease(rctx, l)
	}()
	if _, err := st.GetOrganization(ctx, orgID); errors.Is(err, store.ErrNotFound) {
		return out, nil
	} else if err != nil {
		return out, err
	}
	hooks := map[int64]bool{}
	addHooks := func(ids []int64) {
		for _, id := range ids {
			if !hooks[id] {
				hooks[id] = true
				out.Webhooks = append(out.Webhooks, id)
			}
		}
	}
	ids, err := n.reportMailboxStatuses(ctx, orgID)
	if err != nil {
		return out, err
	}
	addHooks(ids)
	counts, last, err := st.MailboxHealth(ctx, orgID)
	if err != nil {
		return out, err
	}
	h := summarizeHealth(counts, last)
	h.App = n.s.isApp(ctx, orgID)
	current, err := st.UnresolvedIncidents(ctx, orgID)
	if err != nil {
		return out, err
	}
	byKind := map[string]store.Incident{}
	for _, i := range current {
		byKind[i.Kind] = i
	}
	now := n.s.now()
	for _, kind := range alertKinds {
		inc, exists := byKind[kind]
		var openedAt *time.Time
		if exists {
			openedAt = inc.OpenedAt
		}
		v := assess(kind, h, n.cfg.Alerts, openedAt)
		switch {
		case v.Holds && !exists:
			if inc, err = st.DetectIncident(ctx, orgID, kind, v.Summary, v.Mailboxes); err != nil {
				if errors.Is(err, store.ErrConflict) {
					continue // detected by another node meanwhile: the next evaluation goes on
				}
				return out, err
			}
			if v.Wait > 0 {
				continue
			}
			fallthrough
		case v.Holds && inc.OpenedAt == nil && !now.Before(inc.DetectedAt.Add(v.Wait)):
			opened, ids, err := st.OpenIncident(ctx, inc.ID, v.Summary, v.Mailboxes, incidentPayload("incident.opened", h.App))
			if err != nil {
				return out, err
			}
			addHooks(ids)
			if opened.OpenedAt != nil && opened.ResolvedAt == nil {
				n.log.Warn("incident opened", "org_id", orgID, "incident_id", opened.ID, "kind", kind, "mailboxes", v.Mailboxes)
			}
		case v.Holds && inc.OpenedAt != nil && (inc.Summary != v.Summary || inc.Mailboxes != v.Mailboxes):
			if err := st.UpdateIncident(ctx, inc.ID, v.Summary, v.Mailboxes); err != nil {
				return out, err
			}
		case exists && (inc.OpenedAt == nil && !v.Holds || inc.OpenedAt != nil && v.Resolved):
			resolved, ids, err := st.ResolveIncident(ctx, inc.ID, incidentPayload("incident.resolved", h.App))
			if err != nil {
				return out, err
			}
			addHooks(ids)
			if resolved.ID != 0 {
				n.log.Info("incident resolved", "org_id", orgID, "incident_id", resolved.ID, "kind", kind)
			}
		}
	}
	// Every alert and recovery notice not sent yet, including those of an evaluation
	// that stopped before it could send them.
	pending, err := st.IncidentsToEmail(ctx, orgID)
	if err != nil {
		return out, err
	}
	for _, i := range pending {
		out.Emails = append(out.Emails, IncidentEmail{IncidentID: i.ID, Recovery: i.ResolvedAt != nil})
	}
	return out, nil
}

// EmailIncident sends an incident's alert (or recovery notice) to the organization's
// admins, once: it does nothing when it was sent already, or when the incident was
// resolved before its alert went out. Without an SMTP server or admins, nothing is sent
// and the notice counts as done.
func (n *Notifier) EmailIncident(ctx context.Context, e IncidentEmail) error {
	st := n.s.st
	claimed, err := st.ClaimIncidentEmail(ctx, e.IncidentID, e.Recovery)
	if err != nil || !claimed {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	inc, err := st.GetIncident(ctx, e.IncidentID)
	if err == nil {
		err = n.sendIncidentEmail(ctx, inc, e.Recovery)
	}
	if err != nil {
		if uerr := st.UnclaimIncidentEmail(context.WithoutCancel(ctx), e.IncidentID, e.Recovery); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return err
	}
	return nil
}

func (n *Notifier) sendIncidentEmail(ctx context.Context, inc store.Incident, recovery bool) error {
	log := n.log.With("org_id", inc.OrgID, "incident_id", inc.ID, "kind", inc.Kind, "recovery", recovery)
	if !n.cfg.Mailer.Enabled() {
		log.Info("incident not emailed: no SMTP server is configured (--smtp-addr, --smtp-from)")
		return nil
	}
	org, err := n.s.st.GetOrganization(ctx, inc.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	admins, err := n.s.st.ListAccounts(ctx, inc.OrgID)
	if err != nil {
		return err
	}
	var to []string
	for _, a := range admins {
		to = append(to, a.Email)
	}
	if len(to) == 0 {
		log.Info("incident not emailed: the organization has no admin")
		return nil
	}
	var samples []string
	switch inc.Kind {
	case AlertAuthFailed:
		samples, err = n.s.st.MailboxesWithCode(ctx, inc.OrgID, SyncCodeAuthFailed, false, 10)
	case AlertImpersonationLost:
		samples, err = n.s.st.MailboxesWithCode(ctx, inc.OrgID, SyncCodeImpersonationDenied, true, 10)
	}
	if err != nil {
		return err
	}
	msg := incidentMessage(org, inc, recovery, samples, n.cfg.PublicURL, n.s.isApp(ctx, inc.OrgID))
	msg.To = to
	if err := mailer.Send(ctx, n.cfg.Mailer, msg); err != nil {
		return err
	}
	log.Info("incident emailed", "recipients", len(to))
	return nil
}

// incidentMessage writes an incident's alert or recovery notice.
func incidentMessage(org store.Organization, inc store.Incident, recovery bool, samples []string, publicURL string, app bool) mailer.Message {
	title := AlertTitleFor(inc.Kind, app)
	var b strings.Builder
	at := func(t *time.Time) string {
		if t == nil {
			return "?"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	subject := "[mailbridge] " + org.Name + ": " + title
	if recovery {
		subject = "[mailbridge] Resolved: " + org.Name + ": " + title
		fmt.Fprintf(&b, "Resolved for %s at %s: %s.\n\n", org.Name, at(inc.ResolvedAt), strings.ToLower(title[:1])+title[1:])
		if inc.OpenedAt != nil && inc.ResolvedAt != nil {
			fmt.Fprintf(&b, "It began at %s and lasted %s.\n", at(inc.OpenedAt), inc.ResolvedAt.Sub(*inc.OpenedAt).Round(time.Minute))
		}
		b.WriteString("Syncing works again; nothing else to do.\n")
	} else {
		fmt.Fprintf(&b, "%s for %s, since %s.\n\n", title, org.Name, at(inc.OpenedAt))
		b.WriteString(inc.Summary + "\n")
		if len(samples) > 0 {
			b.WriteString("\nMailboxes: " + strings.Join(samples, ", "))
			if inc.Mailboxes > len(samples) {
				fmt.Fprintf(&b, " and %d more", inc.Mailboxes-len(samples))
			}
			b.WriteString(".\n")
		}
		b.WriteString("\nWhat to do: " + AlertFixFor(inc.Kind, app) + "\n")
		b.WriteString("\nYou will get one more email when this is resolved.\n")
	}
	if publicURL != "" {
		fmt.Fprintf(&b, "\nMailboxes of %s: %s/orgs/%d/mailboxes\n", org.Name, strings.TrimSuffix(publicURL, "/"), org.ID)
	}
	b.WriteString("\n--\nYou receive this because you are an admin of " + org.Name + " in mailbridge.\n")
	return mailer.Message{Subject: subject, Body: b.String()}
}

// ListIncidents returns the organization's incidents, newest first.
func (s *Service) ListIncidents(ctx context.Context, p Principal, orgID int64, limit int) ([]store.Incident, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	return s.st.ListIncidents(ctx, orgID, limit)
}
