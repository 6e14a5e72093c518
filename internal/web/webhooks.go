package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

type webhooksData struct {
	Webhooks  []webhookRow
	Incidents []incidentRow
	Create    form // url, description, and the events chosen
	Changes   bool // the create form's checkboxes
	Status    bool
}

type webhookData struct {
	Webhook       webhookRow
	PreviousValid *time.Time // while the rotated-out secret is valid
	Attempts      []attemptRow
}

// webhookRow is a subscription as pages show it.
type webhookRow struct {
	store.Webhook
	EventsLabel string
}

// attemptRow is an entry of the delivery log as the page shows it.
type attemptRow struct {
	store.Attempt
	Class string // its badge
	OK    bool
}

// incidentRow is an incident as the page shows it.
type incidentRow struct {
	store.Incident
	Title string
}

// webhookPath is a subscription's page.
func webhookPath(c *call, id int64) string {
	return orgPath(c, "/webhooks/"+strconv.FormatInt(id, 10))
}

// webhooksPage lists the organization's webhooks and incidents, with the form to add
// a webhook.
func (h *Handler) webhooksPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.renderWebhooks(w, r, c, http.StatusOK, form{}, true, true)
}

func (h *Handler) renderWebhooks(w http.ResponseWriter, r *http.Request, c *call, status int, f form, changes, statusEv bool) error {
	hooks, err := h.svc.ListWebhooks(r.Context(), c.principal(), c.org.ID)
	if err != nil {
		return err
	}
	incs, err := h.svc.ListIncidents(r.Context(), c.principal(), c.org.ID, 20)
	if err != nil {
		return err
	}
	d := webhooksData{Create: f, Changes: changes, Status: statusEv}
	for _, wh := range hooks {
		d.Webhooks = append(d.Webhooks, webhookRow{Webhook: wh, EventsLabel: eventsLabel(wh.Events)})
	}
	for _, in := range incs {
		d.Incidents = append(d.Incidents, incidentRow{Incident: in, Title: control.AlertTitle(in.Kind)})
	}
	return h.render(w, status, "webhooks", h.page(w, r, c, "Webhooks · "+c.org.Name, "webhooks", d))
}

// createWebhook subscribes a URL; the page it redirects to shows the secret once.
func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r, "url", "description")
	events := r.PostForm["events"]
	nw, err := h.svc.CreateWebhook(r.Context(), c.principal(), c.org.ID, control.WebhookInput{URL: f.Values["url"], Description: f.Values["description"], Events: events})
	if f.inputErrors(err, map[string]string{"url": "webhook-url", "description": "webhook-description", "events": "webhook-events"}) {
		has := func(e string) bool {
			for _, x := range events {
				if x == e {
					return true
				}
			}
			return false
		}
		return h.renderWebhooks(w, r, c, http.StatusUnprocessableEntity, f, has(control.WebhookChanges), has(control.WebhookStatus))
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Webhook created.", Secret: nw.Secret,
		Lines: []string{"Copy the signing secret now: it is shown only this once. Verify the Mailbridge-Signature header of each delivery with it."}})
	return redirect(w, r, webhookPath(c, nw.ID))
}

// webhookOf reads the {webhook} of the request and returns it.
func (h *Handler) webhookOf(r *http.Request, c *call) (store.Webhook, error) {
	id, ok := pathID(r, "webhook")
	if !ok {
		return store.Webhook{}, store.ErrNotFound
	}
	return h.svc.GetWebhook(r.Context(), c.principal(), c.org.ID, id)
}

// webhookPage shows a subscription: its settings, its secret's rotation, its actions
// and its delivery log.
func (h *Handler) webhookPage(w http.ResponseWriter, r *http.Request, c *call) error {
	wh, err := h.webhookOf(r, c)
	if err != nil {
		return err
	}
	log, err := h.svc.WebhookAttempts(r.Context(), c.principal(), c.org.ID, wh.ID)
	if err != nil {
		return err
	}
	d := webhookData{Webhook: webhookRow{Webhook: wh, EventsLabel: eventsLabel(wh.Events)}}
	for _, a := range log {
		cls := attemptClass(a)
		d.Attempts = append(d.Attempts, attemptRow{Attempt: a, Class: cls, OK: cls == "badge-ok"})
	}
	if wh.PreviousExpiresAt != nil && wh.PreviousExpiresAt.After(h.now()) && len(wh.PreviousSecretSealed) > 0 {
		d.PreviousValid = wh.PreviousExpiresAt
	}
	return h.render(w, http.StatusOK, "webhook", h.page(w, r, c, "Webhook · "+c.org.Name, "webhooks", d))
}

// rotateWebhook gives a subscription a new secret, keeping the old one valid for the
// hours chosen.
func (h *Handler) rotateWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	wh, err := h.webhookOf(r, c)
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	var overlap *time.Duration
	if s := r.PostForm.Get("overlap_hours"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			n = -1
		}
		d := time.Duration(n) * time.Hour
		overlap = &d
	}
	nw, err := h.svc.RotateWebhookSecret(r.Context(), c.principal(), c.org.ID, wh.ID, overlap)
	if ie := (form{Values: map[string]string{}, Errors: map[string]string{}}); ie.inputErrors(err, nil) {
		h.setFlash(w, c, flash{Kind: "error", Title: "The secret was not rotated.", Lines: []string{ie.Error}})
		return redirect(w, r, webhookPath(c, wh.ID))
	}
	if err != nil {
		return err
	}
	lines := []string{"Copy the new signing secret now: it is shown only this once."}
	if nw.PreviousExpiresAt != nil && len(nw.PreviousSecretSealed) > 0 {
		lines = append(lines, "Until "+when(*nw.PreviousExpiresAt)+" deliveries carry a signature with the old secret too: switch your receiver over before then.")
	} else {
		lines = append(lines, "The old secret is no longer used.")
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Secret rotated.", Secret: nw.Secret, Lines: lines})
	return redirect(w, r, webhookPath(c, wh.ID))
}

// setWebhookActive enables or disables a subscription.
func (h *Handler) setWebhookActive(active bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		wh, err := h.webhookOf(r, c)
		if err != nil {
			return err
		}
		if _, err := h.svc.UpdateWebhook(r.Context(), c.principal(), c.org.ID, wh.ID, control.WebhookUpdate{Active: &active}); err != nil {
			return err
		}
		title := "Webhook disabled: nothing is delivered to it until it is enabled again."
		if active {
			title = "Webhook enabled: deliveries resume where they stopped."
		}
		h.setFlash(w, c, flash{Kind: "success", Title: title})
		return redirect(w, r, webhookPath(c, wh.ID))
	}
}

// testWebhook sends a test event now and says how it went.
func (h *Handler) testWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	wh, err := h.webhookOf(r, c)
	if err != nil {
		return err
	}
	a, err := h.svc.SendTestWebhook(r.Context(), c.principal(), c.org.ID, wh.ID)
	if err != nil {
		return err
	}
	if a.Error == "" {
		h.setFlash(w, c, flash{Kind: "success", Title: "Test event delivered: the endpoint answered " + strconv.Itoa(a.StatusCode) + " in " + formatDuration(a.Duration) + "."})
	} else {
		h.setFlash(w, c, flash{Kind: "error", Title: "The test event was not delivered.", Lines: []string{a.Error}})
	}
	return redirect(w, r, webhookPath(c, wh.ID))
}

// deleteWebhook deletes a subscription.
func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	wh, err := h.webhookOf(r, c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteWebhook(r.Context(), c.principal(), c.org.ID, wh.ID); err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Webhook deleted."})
	return redirect(w, r, orgPath(c, "/webhooks"))
}

// attemptClass is the badge of a delivery attempt.
func attemptClass(a store.Attempt) string {
	switch {
	case a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300:
		return "badge-ok"
	case a.NextRetryAt != nil:
		return "badge-warning"
	}
	return "badge-failure"
}

// eventsLabel names a subscription's events.
func eventsLabel(ev []string) string {
	switch {
	case len(ev) == 2:
		return "Changes and status"
	case len(ev) == 1 && ev[0] == control.WebhookChanges:
		return "Changes"
	case len(ev) == 1 && ev[0] == control.WebhookStatus:
		return "Status"
	}
	return "—"
}
