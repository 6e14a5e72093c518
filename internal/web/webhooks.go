package web

import (
	"net/http"
	"slices"
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
	// Edit is the settings form: url, description, and the events chosen (the saved
	// settings unless shown again after an error).
	Edit    form
	Changes bool // the settings form's checkboxes
	Status  bool
}

// webhookRow is a subscription as pages show it.
type webhookRow struct {
	store.Webhook
	EventsLabel string
}

// attemptRow is an entry of the delivery log as the page shows it.
type attemptRow struct {
	store.Attempt
	// Number is the attempt's number (1 for the first): store.Attempt's field of that
	// name is hidden by the embedded struct's own name in templates.
	Number     int
	Class      string // its badge
	OK         bool
	EventLabel string // the event in words
	Result     string // the badge's text: delivered, failed
	Message    string // the error as a sentence
	NoRetry    string // why there is no next attempt, when there is none after a failure
}

// incidentRow is an incident as the page shows it.
type incidentRow struct {
	store.Incident
	Title string
	Fix   string // what to do, while it is ongoing
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
	app := len(incs) > 0 && h.svc.UsesApp(r.Context(), c.org.ID)
	for _, in := range incs {
		d.Incidents = append(d.Incidents, incidentRow{Incident: in, Title: control.AlertTitleFor(in.Kind, app), Fix: control.AlertFixFor(in.Kind, app)})
	}
	return h.render(w, status, "webhooks", h.page(w, r, c, "Webhooks & alerts · "+c.org.Name, "webhooks", d))
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
		return h.renderWebhooks(w, r, c, http.StatusUnprocessableEntity, f, slices.Contains(events, control.WebhookChanges), slices.Contains(events, control.WebhookStatus))
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
	f := form{Values: map[string]string{"url": wh.URL, "description": wh.Description}, Errors: map[string]string{}}
	return h.renderWebhook(w, r, c, http.StatusOK, wh, f, wh.Has(control.WebhookChanges), wh.Has(control.WebhookStatus))
}

func (h *Handler) renderWebhook(w http.ResponseWriter, r *http.Request, c *call, status int, wh store.Webhook, f form, changes, statusEv bool) error {
	log, err := h.svc.WebhookAttempts(r.Context(), c.principal(), c.org.ID, wh.ID)
	if err != nil {
		return err
	}
	d := webhookData{Webhook: webhookRow{Webhook: wh, EventsLabel: eventsLabel(wh.Events)}, Edit: f, Changes: changes, Status: statusEv}
	for _, a := range log {
		d.Attempts = append(d.Attempts, newAttemptRow(a))
	}
	if wh.PreviousExpiresAt != nil && wh.PreviousExpiresAt.After(h.now()) && len(wh.PreviousSecretSealed) > 0 {
		d.PreviousValid = wh.PreviousExpiresAt
	}
	return h.render(w, status, "webhook", h.page(w, r, c, "Webhook · "+c.org.Name, "webhooks", d))
}

// editWebhook saves a subscription's URL, description and events; a bad value shows
// the page again with the form as entered and the field's message.
func (h *Handler) editWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	wh, err := h.webhookOf(r, c)
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r, "url", "description")
	events := r.PostForm["events"]
	if events == nil {
		events = []string{} // none ticked: refused, not "unchanged"
	}
	u, desc := f.Values["url"], f.Values["description"]
	_, err = h.svc.UpdateWebhook(r.Context(), c.principal(), c.org.ID, wh.ID, control.WebhookUpdate{URL: &u, Description: &desc, Events: events})
	if f.inputErrors(err, map[string]string{"url": "edit-url", "description": "edit-description", "events": "edit-events"}) {
		return h.renderWebhook(w, r, c, http.StatusUnprocessableEntity, wh, f, slices.Contains(events, control.WebhookChanges), slices.Contains(events, control.WebhookStatus))
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Webhook saved."})
	return redirect(w, r, webhookPath(c, wh.ID))
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
		h.setFlash(w, c, flash{Kind: "success", Title: "Test event delivered: the endpoint answered HTTP " + strconv.Itoa(a.StatusCode) + " in " + formatDuration(a.Duration) + ".",
			Lines: []string{"It is in the delivery log below."}})
	} else {
		h.setFlash(w, c, flash{Kind: "error", Title: "The test event was not delivered.",
			Lines: []string{sentence(a.Error), "Test events are not retried: fix the endpoint, then send another."}})
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

// newAttemptRow puts a delivery attempt in words.
func newAttemptRow(a store.Attempt) attemptRow {
	row := attemptRow{Attempt: a, Number: a.Attempt, Class: attemptClass(a), EventLabel: eventLabel(a.Event), Message: sentence(a.Error)}
	row.OK = row.Class == "badge-ok"
	switch {
	case row.OK:
		row.Result = "Delivered"
	case a.NextRetryAt != nil:
		row.Result = "Failed, will retry"
	default:
		row.Result = "Failed"
		if a.Event == store.EventPing {
			row.NoRetry = "None: test events are not retried"
		} else {
			row.NoRetry = "None: the webhook was disabled"
		}
	}
	return row
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

// eventLabel names a delivery's event for people.
func eventLabel(ev string) string {
	switch ev {
	case store.EventChanges:
		return "Changes"
	case store.EventStatus:
		return "Status"
	case store.EventPing:
		return "Test event"
	}
	return ev
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
