package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/netguard"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/webhook"
)

// Webhook event types an admin subscribes to.
const (
	// WebhookChanges: batches of the organization's change feed.
	WebhookChanges = store.EventChanges
	// WebhookStatus: mailbox status changes and alerts (incidents opened, resolved).
	WebhookStatus = store.EventStatus
)

// Bounds of webhook settings.
const (
	// MaxWebhooks is how many subscriptions an organization may have.
	MaxWebhooks = 20
	// DefaultSecretOverlap is how long a rotated-out secret stays valid.
	DefaultSecretOverlap = 24 * time.Hour
	// MaxSecretOverlap bounds the overlap an admin may ask for.
	MaxSecretOverlap = 7 * 24 * time.Hour
	maxDescription   = 200
)

// WebhookInput is a new subscription as an admin enters it.
type WebhookInput struct {
	URL         string
	Description string
	Events      []string // WebhookChanges, WebhookStatus
}

// WebhookUpdate changes a subscription; nil fields are left as they are.
type WebhookUpdate struct {
	URL         *string
	Description *string
	Events      []string
	Active      *bool
}

// NewWebhook is a subscription just created, or whose secret was just rotated: the only
// time its secret is shown.
type NewWebhook struct {
	store.Webhook
	Secret string
}

// secretAAD binds a sealed webhook secret to its row and column.
func secretAAD(id int64, previous bool) string {
	col := "secret"
	if previous {
		col = "previous_secret"
	}
	return "mailbridge/webhooks/" + strconv.FormatInt(id, 10) + "/" + col
}

// webhookSender returns a sender through the service's endpoint guard, for test events
// and reachability checks (the Notifier keeps its own for deliveries).
func (s *Service) webhookSender(timeout time.Duration) *webhook.Sender {
	return webhook.NewSender(webhook.Options{Dial: s.dial, Timeout: timeout})
}

// checkWebhookURL validates a webhook URL with the endpoint guard, as EWS URLs are, and
// checks that mailbridge can connect to it. It returns the URL to store, or the message
// for the admin.
func (s *Service) checkWebhookURL(ctx context.Context, raw string) (string, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "Enter the URL mailbridge posts the events to (https://…)."
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return "", "Remove the user name and password from the URL: deliveries are authenticated by their signature."
	}
	u, err := netguard.ValidateEndpointURL(raw, s.guard)
	if err != nil {
		return "", describeURLError(err)
	}
	snd := s.webhookSender(5 * time.Second)
	defer snd.Close()
	if err := snd.Probe(ctx, u); err != nil {
		if errors.Is(err, netguard.ErrBlocked) {
			return "", describeURLError(err)
		}
		return "", "mailbridge cannot reach this URL: " + sentenceOf(err.Error())
	}
	return u.String(), ""
}

// sentenceOf ends a message with a period.
func sentenceOf(s string) string {
	s = strings.TrimPrefix(s, "netguard: ")
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// checkEvents validates a choice of event types and returns it sorted.
func checkEvents(ev []string) ([]string, string) {
	var out []string
	for _, e := range ev {
		e = strings.ToLower(strings.TrimSpace(e))
		switch e {
		case WebhookChanges, WebhookStatus:
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		case "":
		default:
			return nil, "Choose among “changes” (the change feed, in batches) and “status” (mailbox status changes and alerts)."
		}
	}
	if len(out) == 0 {
		return nil, "Choose at least one kind of event: changes, status, or both."
	}
	slices.Sort(out)
	return out, ""
}

func checkDescription(d string) (string, string) {
	d = strings.TrimSpace(d)
	if len([]rune(d)) > maxDescription {
		return "", "This is too long (at most " + itoa(maxDescription) + " characters)."
	}
	if strings.ContainsFunc(d, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", "This contains characters it cannot have."
	}
	return d, ""
}

// ListWebhooks returns the organization's subscriptions.
func (s *Service) ListWebhooks(ctx context.Context, p Principal, orgID int64) ([]store.Webhook, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListWebhooks(ctx, orgID)
}

// GetWebhook returns one of the organization's subscriptions; another organization's is
// store.ErrNotFound.
func (s *Service) GetWebhook(ctx context.Context, p Principal, orgID, id int64) (store.Webhook, error) {
	if err := orgAccess(p, orgID); err != nil {
		return store.Webhook{}, err
	}
	return s.st.GetWebhook(ctx, orgID, id)
}

// CreateWebhook subscribes a URL to events. The URL must pass the endpoint guard and be
// reachable; a bad one is an *InputError on "url". The secret is generated, returned
// this once and stored sealed. Changes are delivered from now on (earlier ones are in the
// change feed API).
func (s *Service) CreateWebhook(ctx context.Context, p Principal, orgID int64, in WebhookInput) (NewWebhook, error) {
	if err := orgAccess(p, orgID); err != nil {
		return NewWebhook{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return NewWebhook{}, err
	}
	ie := inputErr()
	events, msg := checkEvents(in.Events)
	if msg != "" {
		ie.Fields["events"] = msg
	}
	desc, msg := checkDescription(in.Description)
	if msg != "" {
		ie.Fields["description"] = msg
	}
	existing, err := s.st.ListWebhooks(ctx, orgID)
	if err != nil {
		return NewWebhook{}, err
	}
	if len(existing) >= MaxWebhooks {
		ie.Fields["url"] = "An organization may have " + itoa(MaxWebhooks) + " webhooks; delete one first."
	}
	var u string
	if _, bad := ie.Fields["url"]; !bad {
		if u, msg = s.checkWebhookURL(ctx, in.URL); msg != "" {
			ie.Fields["url"] = msg
		}
	}
	if len(ie.Fields) > 0 {
		return NewWebhook{}, ie
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return NewWebhook{}, err
	}
	w, err := s.st.CreateWebhook(ctx, p.actor(), store.Webhook{OrgID: orgID, URL: u, Description: desc, Events: events},
		func(id int64) ([]byte, error) { return s.cfg.Sealer.Seal([]byte(secret), secretAAD(id, false)) })
	if err != nil {
		return NewWebhook{}, err
	}
	return NewWebhook{Webhook: w, Secret: secret}, nil
}

// UpdateWebhook changes a subscription: its URL (checked as at creation), description,
// events, or active flag. Enabling it again resumes its deliveries where they stopped.
func (s *Service) UpdateWebhook(ctx context.Context, p Principal, orgID, id int64, up WebhookUpdate) (store.Webhook, error) {
	w, err := s.GetWebhook(ctx, p, orgID, id)
	if err != nil {
		return store.Webhook{}, err
	}
	ie := inputErr()
	if up.Events != nil {
		var msg string
		if w.Events, msg = checkEvents(up.Events); msg != "" {
			ie.Fields["events"] = msg
		}
	}
	if up.Description != nil {
		var msg string
		if w.Description, msg = checkDescription(*up.Description); msg != "" {
			ie.Fields["description"] = msg
		}
	}
	if up.URL != nil && strings.TrimSpace(*up.URL) != w.URL {
		var msg string
		if w.URL, msg = s.checkWebhookURL(ctx, *up.URL); msg != "" {
			ie.Fields["url"] = msg
		}
	}
	if up.Active != nil {
		w.Active = *up.Active
		if !w.Active {
			w.DisabledReason = "Disabled by " + p.Label + "."
		}
	}
	if len(ie.Fields) > 0 {
		return store.Webhook{}, ie
	}
	return s.st.UpdateWebhook(ctx, p.actor(), w)
}

// RotateWebhookSecret gives a subscription a new secret, returned this once. The
// current one stays valid for overlap (nil: DefaultSecretOverlap; 0: not at all):
// deliveries meanwhile carry a signature with each, so that receivers can switch over
// without losing any.
func (s *Service) RotateWebhookSecret(ctx context.Context, p Principal, orgID, id int64, overlap *time.Duration) (NewWebhook, error) {
	w, err := s.GetWebhook(ctx, p, orgID, id)
	if err != nil {
		return NewWebhook{}, err
	}
	ov := DefaultSecretOverlap
	if overlap != nil {
		ov = *overlap
	}
	if ov < 0 || ov > MaxSecretOverlap {
		return NewWebhook{}, inputErr("overlap", "The overlap is at most 7 days (168 hours); 0 ends the old secret at once.")
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return NewWebhook{}, err
	}
	sealed, err := s.cfg.Sealer.Seal([]byte(secret), secretAAD(id, false))
	if err != nil {
		return NewWebhook{}, err
	}
	var previous []byte
	if ov > 0 {
		old, err := s.cfg.Sealer.Open(w.SecretSealed, secretAAD(id, false))
		if err != nil {
			// The master key changed under it: nobody can verify with it anyway.
			old = nil
		}
		if old != nil {
			if previous, err = s.cfg.Sealer.Seal(old, secretAAD(id, true)); err != nil {
				return NewWebhook{}, err
			}
		}
	}
	w, err = s.st.RotateWebhookSecret(ctx, p.actor(), orgID, id, sealed, previous, s.now().Add(ov))
	if err != nil {
		return NewWebhook{}, err
	}
	return NewWebhook{Webhook: w, Secret: secret}, nil
}

// DeleteWebhook deletes a subscription, its waiting deliveries and its log.
func (s *Service) DeleteWebhook(ctx context.Context, p Principal, orgID, id int64) error {
	if err := orgAccess(p, orgID); err != nil {
		return err
	}
	return s.st.DeleteWebhook(ctx, p.actor(), orgID, id)
}

// WebhookAttempts returns a subscription's delivery log, newest first.
func (s *Service) WebhookAttempts(ctx context.Context, p Principal, orgID, id int64) ([]store.Attempt, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListAttempts(ctx, orgID, id)
}

// signingSecrets returns the secrets a delivery made now is signed with: the current
// one, and the previous one while its overlap lasts.
func (s *Service) signingSecrets(w store.Webhook, now time.Time) ([]string, error) {
	cur, err := s.cfg.Sealer.Open(w.SecretSealed, secretAAD(w.ID, false))
	if err != nil {
		return nil, errors.New("the webhook's secret cannot be decrypted (was the master key changed?): rotate the secret")
	}
	out := []string{string(cur)}
	if len(w.PreviousSecretSealed) > 0 && w.PreviousExpiresAt != nil && now.Before(*w.PreviousExpiresAt) {
		if prev, err := s.cfg.Sealer.Open(w.PreviousSecretSealed, secretAAD(w.ID, true)); err == nil {
			out = append(out, string(prev))
		}
	}
	return out, nil
}

// SendTestWebhook sends a test event ("ping") to a subscription now, active or not, and
// returns the attempt as logged. A failure of the endpoint is in the attempt, not an
// error.
func (s *Service) SendTestWebhook(ctx context.Context, p Principal, orgID, id int64) (store.Attempt, error) {
	w, err := s.GetWebhook(ctx, p, orgID, id)
	if err != nil {
		return store.Attempt{}, err
	}
	now := s.now().UTC()
	d := store.Delivery{WebhookID: w.ID, OrgID: orgID, UID: store.NewDeliveryID(), Event: store.EventPing, CreatedAt: now}
	data, _ := json.Marshal(map[string]any{"type": "ping", "webhook_id": w.ID, "message": "This is a test event sent by " + p.Label + " from mailbridge."})
	body := envelope(d, data)
	snd := s.webhookSender(webhook.DefaultTimeout)
	defer snd.Close()
	var res webhook.Result
	if keys, err := s.signingSecrets(w, now); err != nil {
		res.Err = err
	} else {
		res = snd.Send(ctx, webhook.Request{URL: w.URL, Event: d.Event, DeliveryID: d.UID, Body: body, Secrets: keys, At: now})
	}
	a := store.Attempt{WebhookID: w.ID, DeliveryUID: d.UID, Event: d.Event, Attempt: 1, At: now, StatusCode: res.StatusCode, Duration: res.Duration}
	if res.Err != nil {
		a.Error = res.Err.Error()
	}
	if err := s.st.RecordAttempt(ctx, d, a, store.AttemptOutcome{Delivered: res.OK}); err != nil {
		return store.Attempt{}, err
	}
	return a, nil
}

// envelopeJSON is the body of every delivery.
type envelopeJSON struct {
	ID        string          `json:"id"` // the delivery id, as in Mailbridge-Delivery
	Event     string          `json:"event"`
	OrgID     int64           `json:"org_id"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// envelope wraps a delivery's data in its body.
func envelope(d store.Delivery, data []byte) []byte {
	b, err := json.Marshal(envelopeJSON{ID: d.UID, Event: d.Event, OrgID: d.OrgID, CreatedAt: d.CreatedAt.UTC(), Data: data})
	if err != nil {
		panic(fmt.Sprintf("control: webhook envelope: %v", err)) // data is JSON made here
	}
	return b
}
