package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// webhookJSON is a subscription as listed: never its secret.
type webhookJSON struct {
	ID             int64      `json:"id"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	Events         []string   `json:"events"`
	Active         bool       `json:"active"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	PreviousValid  *time.Time `json:"previous_secret_valid_until"`
	Pending        int        `json:"pending_deliveries"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func webhookView(w store.Webhook, now time.Time) webhookJSON {
	out := webhookJSON{ID: w.ID, URL: w.URL, Description: w.Description, Events: w.Events, Active: w.Active, DisabledReason: w.DisabledReason,
		Pending: w.Pending, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt.UTC(), UpdatedAt: w.UpdatedAt.UTC()}
	if out.Events == nil {
		out.Events = []string{}
	}
	if w.PreviousExpiresAt != nil && w.PreviousExpiresAt.After(now) && len(w.PreviousSecretSealed) > 0 {
		out.PreviousValid = utcPtr(w.PreviousExpiresAt)
	}
	return out
}

// newWebhookJSON is a subscription with its secret: shown once, when it is created or
// rotated.
type newWebhookJSON struct {
	Secret string `json:"secret"`
	webhookJSON
}

func (h *Handler) webhookID(r *http.Request) (int64, error) { return pathID(r, "webhook") }

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request, c *call) error {
	hooks, err := h.svc.ListWebhooks(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(hooks))
	now := time.Now()
	for i, wh := range hooks {
		out[i] = webhookView(wh, now)
	}
	writeJSON(w, http.StatusOK, struct {
		Webhooks []webhookJSON `json:"webhooks"`
	}{out})
	return nil
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		URL         string   `json:"url"`
		Description string   `json:"description"`
		Events      []string `json:"events"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	nw, err := h.svc.CreateWebhook(r.Context(), c.p, c.org.ID, control.WebhookInput{URL: in.URL, Description: in.Description, Events: in.Events})
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/orgs/"+strconv.FormatInt(c.org.ID, 10)+"/webhooks/"+strconv.FormatInt(nw.ID, 10))
	writeJSON(w, http.StatusCreated, newWebhookJSON{Secret: nw.Secret, webhookJSON: webhookView(nw.Webhook, time.Now())})
	return nil
}

func (h *Handler) getWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := h.webhookID(r)
	if err != nil {
		return err
	}
	wh, err := h.svc.GetWebhook(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookView(wh, time.Now()))
	return nil
}

func (h *Handler) updateWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := h.webhookID(r)
	if err != nil {
		return err
	}
	var in struct {
		URL         *string  `json:"url"`
		Description *string  `json:"description"`
		Events      []string `json:"events"`
		Active      *bool    `json:"active"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	wh, err := h.svc.UpdateWebhook(r.Context(), c.p, c.org.ID, id, control.WebhookUpdate{URL: in.URL, Description: in.Description, Events: in.Events, Active: in.Active})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookView(wh, time.Now()))
	return nil
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := h.webhookID(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteWebhook(r.Context(), c.p, c.org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := h.webhookID(r)
	if err != nil {
		return err
	}
	var in struct {
		// OverlapSeconds is how long the current secret stays valid (default a day).
		OverlapSeconds *int64 `json:"overlap_seconds"`
	}
	if _, err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	var overlap *time.Duration
	if in.OverlapSeconds != nil {
		if *in.OverlapSeconds < 0 || *in.OverlapSeconds > int64(control.MaxSecretOverlap/time.Second) {
			return badRequest("overlap_seconds is 0 to 604800 (7 days).", map[string]string{"overlap_seconds": "Give 0 to 604800 seconds."})
		}
		d := time.Duration(*in.OverlapSeconds) * time.Second
		overlap = &d
	}
	nw, err := h.svc.RotateWebhookSecret(r.Context(), c.p, c.org.ID, id, overlap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newWebhookJSON{Secret: nw.Secret, webhookJSON: webhookView(nw.Webhook, time.Now())})
	return nil
}

// attemptJSON is an entry of a subscription's delivery log.
type attemptJSON struct {
	DeliveryID  string     `json:"delivery_id"`
	Event       string     `json:"event"`
	Attempt     int        `json:"attempt"`
	At          time.Time  `json:"at"`
	StatusCode  int        `json:"status_code"`
	DurationMS  int64      `json:"duration_ms"`
	OK          bool       `json:"ok"`
	Error       string     `json:"error"`
	NextRetryAt *time.Time `json:"next_retry_at"`
}

func attemptView(a store.Attempt) attemptJSON {
	return attemptJSON{DeliveryID: a.DeliveryUID, Event: a.Event, Attempt: a.Attempt, At: a.At.UTC(), StatusCode: a.StatusCode,
		DurationMS: a.Duration.Milliseconds(), OK: a.StatusCode >= 200 && a.StatusCode < 300 && a.Error == "", Error: a.Error, NextRetryAt: utcPtr(a.NextRetryAt)}
}

func (h *Handler) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := h.webhookID(r)
	if err != nil {
		return err
	}
	log, err := h.svc.WebhookAttempts(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	out := make([]attemptJSON, len(log))
	for i, a := range log {
		out[i] = attemptView(a)
	}
	writeJSON(w, http.StatusOK, struct {
		Attempts []attemptJSON `json:"attempts"`
	}{out})
	return nil
}

func (h *Handler) testWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := h.webhookID(r)
	if err != nil {
		return err
	}
	var in struct{}
	if _, err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	a, err := h.svc.SendTestWebhook(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, attemptView(a))
	return nil
}

// incidentJSON is an incident of the organization.
type incidentJSON struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Summary    string     `json:"summary"`
	Mailboxes  int        `json:"mailboxes"`
	OpenedAt   *time.Time `json:"opened_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

func (h *Handler) listIncidents(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 100
	}
	incs, err := h.svc.ListIncidents(r.Context(), c.p, c.org.ID, limit)
	if err != nil {
		return err
	}
	out := make([]incidentJSON, len(incs))
	app := len(incs) > 0 && h.svc.UsesApp(r.Context(), c.org.ID)
	for i, in := range incs {
		out[i] = incidentJSON{ID: in.ID, Kind: in.Kind, Title: control.AlertTitleFor(in.Kind, app), Summary: in.Summary, Mailboxes: in.Mailboxes,
			OpenedAt: utcPtr(in.OpenedAt), ResolvedAt: utcPtr(in.ResolvedAt)}
	}
	writeJSON(w, http.StatusOK, struct {
		Incidents []incidentJSON `json:"incidents"`
	}{out})
	return nil
}
