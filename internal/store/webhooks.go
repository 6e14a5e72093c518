package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook event types: what a subscription receives.
const (
	// EventChanges are batches of the organization's change feed.
	EventChanges = "changes"
	// EventStatus are mailbox status changes and alerts (incidents opened and resolved).
	EventStatus = "status"
	// EventPing is the test event an admin sends by hand.
	EventPing = "ping"
)

// Bounds of what is kept per subscription.
const (
	// AttemptsKeep is how many delivery attempts the log keeps per subscription.
	AttemptsKeep = 100
	// DeliveriesKeep is how many finished deliveries are kept per subscription.
	DeliveriesKeep = 100
	// PendingKeep bounds the status events waiting per subscription: beyond it the
	// oldest are dropped (marked failed), so a dead endpoint cannot grow the queue
	// without end. Changes are never dropped: they wait in the change feed.
	PendingKeep = 1000
)

// Webhook is an organization's subscription to events, delivered by HTTPS POST.
type Webhook struct {
	ID          int64
	OrgID       int64
	URL         string
	Description string
	Events      []string // EventChanges, EventStatus; sorted
	// Active subscriptions receive events. An admin disables one, or mailbridge does
	// after a delivery failed for good (DisabledReason says so).
	Active         bool
	DisabledReason string
	// SecretSealed is the signing secret, sealed (secrets.Sealer). During a rotation the
	// previous secret is kept until PreviousExpiresAt, and deliveries carry both
	// signatures.
	SecretSealed         []byte
	PreviousSecretSealed []byte
	PreviousExpiresAt    *time.Time
	// ChangeCursor is the sequence number of the last change delivered: the next batch
	// starts after it.
	ChangeCursor int64
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Pending counts the deliveries waiting (filled by listings).
	Pending int
}

// Has tells whether the subscription receives an event type.
func (w Webhook) Has(event string) bool { return slices.Contains(w.Events, event) }

// joinEvents writes event types as stored: sorted, comma-separated.
func joinEvents(ev []string) string {
	ev = slices.Clone(ev)
	slices.Sort(ev)
	return strings.Join(slices.Compact(ev), ",")
}

func splitEvents(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

const webhookColumns = `w.id, w.org_id, w.url, w.description, w.events, w.active, w.disabled_reason, w.secret_sealed,
	w.previous_secret_sealed, w.previous_expires_at, w.change_cursor, w.created_by, w.created_at, w.updated_at,
	(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending')`

func scanWebhook(sc interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var events string
	var prevExp sql.NullTime
	err := sc.Scan(&w.ID, &w.OrgID, &w.URL, &w.Description, &events, &w.Active, &w.DisabledReason, &w.SecretSealed,
		&w.PreviousSecretSealed, &prevExp, &w.ChangeCursor, &w.CreatedBy, &w.CreatedAt, &w.UpdatedAt, &w.Pending)
	w.Events, w.PreviousExpiresAt = splitEvents(events), nullTime(prevExp)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return w, err
}

// redactURL is a webhook URL as the audit log shows it: without its query, which may
// carry a token of the receiver's.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}

// CreateWebhook stores a new subscription. seal seals its secret, bound to the new row's
// id. Its change cursor starts at the end of the organization's feed: a subscriber reads
// earlier changes from the change feed API.
func (s *Store) CreateWebhook(ctx context.Context, a Actor, w Webhook, seal func(id int64) ([]byte, error)) (Webhook, error) {
	now := s.timestamp()
	w.CreatedAt, w.UpdatedAt, w.CreatedBy, w.Active = now, now, a.Label, true
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Under the feed's lock, the end read now is the end every later reader sees.
		if err := s.lockFeed(ctx, tx, w.OrgID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO webhooks (org_id, url, description, events, active, secret_sealed, change_cursor,
				created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, TRUE, ?, COALESCE((SELECT MAX(seq) FROM changes WHERE org_id = ?), 0), ?, ?, ?) RETURNING id, change_cursor`),
			w.OrgID, w.URL, w.Description, joinEvents(w.Events), []byte{}, w.OrgID, w.CreatedBy, now, now).Scan(&w.ID, &w.ChangeCursor)
		switch {
		case isForeignKey(err):
			return ErrNotFound
		case err != nil:
			return err
		}
		if w.SecretSealed, err = seal(w.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhooks SET secret_sealed = ? WHERE id = ?`), w.SecretSealed, w.ID); err != nil {
			return err
		}
		w.Events = splitEvents(joinEvents(w.Events))
		return s.audit(ctx, tx, w.OrgID, a, "webhook.create", redactURL(w.URL),
			map[string]string{"id": strconv.FormatInt(w.ID, 10), "events": joinEvents(w.Events)})
	})
	return w, wrap("create webhook", err)
}

// GetWebhook returns one of the organization's subscriptions.
func (s *Store) GetWebhook(ctx context.Context, orgID, id int64) (Webhook, error) {
	w, err := scanWebhook(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+webhookColumns+` FROM webhooks w WHERE w.org_id = ? AND w.id = ?`), orgID, id))
	return w, wrap("get webhook", err)
}

// WebhookByID returns a subscription by id alone (the delivery jobs, which are not
// scoped to a caller).
func (s *Store) WebhookByID(ctx context.Context, id int64) (Webhook, error) {
	w, err := scanWebhook(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ?`), id))
	return w, wrap("get webhook", err)
}

// ListWebhooks returns the organization's subscriptions, oldest first.
func (s *Store) ListWebhooks(ctx context.Context, orgID int64) ([]Webhook, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+webhookColumns+` FROM webhooks w WHERE w.org_id = ? ORDER BY w.id`), orgID)
	if err != nil {
		return nil, wrap("list webhooks", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, wrap("list webhooks", err)
		}
		out = append(out, w)
	}
	return out, wrap("list webhooks", rows.Err())
}

// UpdateWebhook changes a subscription's URL, description, events and active flag (by
// OrgID and ID). Enabling it again gives its waiting deliveries a fresh set of attempts;
// subscribing it to changes again starts at the end of the feed.
func (s *Store) UpdateWebhook(ctx context.Context, a Actor, w Webhook) (Webhook, error) {
	now := s.timestamp()
	var out Webhook
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockFeed(ctx, tx, w.OrgID); err != nil {
			return err
		}
		old, err := scanWebhook(tx.QueryRowContext(ctx, s.q(`SELECT `+webhookColumns+` FROM webhooks w WHERE w.org_id = ? AND w.id = ?`), w.OrgID, w.ID))
		if err != nil {
			return err
		}
		reason := w.DisabledReason
		if w.Active {
			reason = ""
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhooks SET url = ?, description = ?, events = ?, active = ?, disabled_reason = ?, updated_at = ?,
				change_cursor = CASE WHEN ? THEN COALESCE((SELECT MAX(seq) FROM changes WHERE org_id = ?), 0) ELSE change_cursor END
			WHERE id = ?`),
			w.URL, w.Description, joinEvents(w.Events), w.Active, reason, now, !old.Has(EventChanges) && slices.Contains(w.Events, EventChanges), w.OrgID, w.ID); err != nil {
			return err
		}
		if w.Active && !old.Active {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET attempts = 0, next_attempt_at = NULL WHERE webhook_id = ? AND state = 'pending'`), w.ID); err != nil {
				return err
			}
		}
		if !slices.Contains(w.Events, EventChanges) {
			// A batch of changes no longer subscribed to is not delivered.
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET state = 'failed', completed_at = ? WHERE webhook_id = ? AND state = 'pending' AND event = 'changes'`), now, w.ID); err != nil {
				return err
			}
		}
		detail := map[string]string{"id": strconv.FormatInt(w.ID, 10)}
		if old.URL != w.URL {
			detail["url"] = redactURL(w.URL)
		}
		if e := joinEvents(w.Events); e != joinEvents(old.Events) {
			detail["events"] = e
		}
		if old.Description != w.Description {
			detail["description"] = w.Description
		}
		if old.Active != w.Active {
			detail["active"] = strconv.FormatBool(w.Active)
		}
		if err := s.audit(ctx, tx, w.OrgID, a, "webhook.update", redactURL(w.URL), detail); err != nil {
			return err
		}
		out, err = scanWebhook(tx.QueryRowContext(ctx, s.q(`SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ?`), w.ID))
		return err
	})
	return out, wrap("update webhook", err)
}

// RotateWebhookSecret replaces a subscription's secret. The previous one (sealed for its
// new column by the caller) stays valid until previousExpires; nil drops it at once.
func (s *Store) RotateWebhookSecret(ctx context.Context, a Actor, orgID, id int64, sealed, previous []byte, previousExpires time.Time) (Webhook, error) {
	now := s.timestamp()
	var out Webhook
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var exp sql.NullTime
		if previous != nil {
			exp = sql.NullTime{Time: previousExpires.UTC().Truncate(time.Microsecond), Valid: true}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE webhooks SET secret_sealed = ?, previous_secret_sealed = ?, previous_expires_at = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`), sealed, previous, exp, now, orgID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if out, err = scanWebhook(tx.QueryRowContext(ctx, s.q(`SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ?`), id)); err != nil {
			return err
		}
		detail := map[string]string{"id": strconv.FormatInt(id, 10)}
		if exp.Valid {
			detail["previous_valid_until"] = exp.Time.Format(time.RFC3339)
		}
		return s.audit(ctx, tx, orgID, a, "webhook.rotate", redactURL(out.URL), detail)
	})
	return out, wrap("rotate webhook secret", err)
}

// WebhookLeaseName is the named lease held while a subscription's delivery is made
// (one at a time across nodes); it names the organization, so that it goes with it.
func WebhookLeaseName(orgID, id int64) string {
	return "webhook:org:" + strconv.FormatInt(orgID, 10) + ":" + strconv.FormatInt(id, 10)
}

// DeleteWebhook deletes a subscription with its deliveries, log and lease.
func (s *Store) DeleteWebhook(ctx context.Context, a Actor, orgID, id int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var u string
		if err := tx.QueryRowContext(ctx, s.q(`DELETE FROM webhooks WHERE org_id = ? AND id = ? RETURNING url`), orgID, id).Scan(&u); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM leases WHERE name = ?`), WebhookLeaseName(orgID, id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, a, "webhook.delete", redactURL(u), map[string]string{"id": strconv.FormatInt(id, 10)})
	})
	return wrap("delete webhook", err)
}

// Delivery is one event to deliver to one subscription, with its retries: a status
// event (its Payload), or a batch of changes (the feed's entries after FromSeq up to
// ToSeq, read when sent).
type Delivery struct {
	ID            int64
	WebhookID     int64
	OrgID         int64
	UID           string // the Mailbridge-Delivery header: the same for every attempt
	Event         string // EventChanges, EventStatus
	Payload       []byte
	FromSeq       int64
	ToSeq         int64
	State         string // "pending", "delivered", "failed"
	Attempts      int
	NextAttemptAt *time.Time
	CreatedAt     time.Time
	CompletedAt   *time.Time
}

const deliveryColumns = `id, webhook_id, org_id, uid, event, payload, from_seq, to_seq, state, attempts, next_attempt_at, created_at, completed_at`

func scanDelivery(sc interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var payload string
	var next, done sql.NullTime
	err := sc.Scan(&d.ID, &d.WebhookID, &d.OrgID, &d.UID, &d.Event, &payload, &d.FromSeq, &d.ToSeq, &d.State, &d.Attempts, &next, &d.CreatedAt, &done)
	d.Payload, d.NextAttemptAt, d.CompletedAt, d.CreatedAt = []byte(payload), nullTime(next), nullTime(done), d.CreatedAt.UTC()
	return d, err
}

// NewDeliveryID returns a new delivery id: "dlv_" and 24 random hex digits.
func NewDeliveryID() string {
	b := make([]byte, 12)
	rand.Read(b) // never fails
	return "dlv_" + hex.EncodeToString(b)
}

// enqueueStatus queues status events (their JSON payloads, in order) for every active
// subscription of the organization that receives status events, inside tx, and returns
// them. The queue of each is trimmed to PendingKeep once, after all are queued: trimming
// reads PendingKeep index entries, too many to read again for every event.
func (s *Store) enqueueStatus(ctx context.Context, tx *sql.Tx, orgID int64, payloads [][]byte, now time.Time) ([]int64, error) {
	if len(payloads) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, events FROM webhooks WHERE org_id = ? AND active ORDER BY id`), orgID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var events string
		if err := rows.Scan(&id, &events); err != nil {
			rows.Close()
			return nil, err
		}
		if slices.Contains(splitEvents(events), EventStatus) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		for _, payload := range payloads {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_deliveries (webhook_id, org_id, uid, event, payload, state, created_at)
				VALUES (?, ?, ?, 'status', ?, 'pending', ?)`), id, orgID, NewDeliveryID(), string(payload), now); err != nil {
				return nil, err
			}
		}
		// The oldest status events beyond PendingKeep are dropped.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET state = 'failed', completed_at = ?
			WHERE webhook_id = ? AND state = 'pending' AND event = 'status' AND id <= (SELECT k.id FROM webhook_deliveries k
				WHERE k.webhook_id = ? AND k.state = 'pending' AND k.event = 'status' ORDER BY k.id DESC LIMIT 1 OFFSET `+strconv.Itoa(PendingKeep)+`)`),
			now, id, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// EnqueueStatusEvent queues a status event (its JSON payload) for the organization's
// active status subscriptions, and returns them.
func (s *Store) EnqueueStatusEvent(ctx context.Context, orgID int64, payload []byte) ([]int64, error) {
	var ids []int64
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) (err error) {
		ids, err = s.enqueueStatus(ctx, tx, orgID, [][]byte{payload}, now)
		return err
	})
	return ids, wrap("enqueue status event", err)
}

// NextDelivery returns an active subscription's next delivery: its oldest pending one
// or, when none waits and it receives changes, a new batch of at most maxChanges changes
// after its cursor. ErrNotFound: nothing to deliver (or no such active subscription).
func (s *Store) NextDelivery(ctx context.Context, webhookID int64, maxChanges int) (Delivery, error) {
	now := s.timestamp()
	var d Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var orgID, cursor int64
		var events string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT org_id, change_cursor, events FROM webhooks WHERE id = ? AND active`+s.forUpdate()), webhookID).
			Scan(&orgID, &cursor, &events); err != nil {
			return err
		}
		var err error
		d, err = scanDelivery(tx.QueryRowContext(ctx, s.q(`SELECT `+deliveryColumns+` FROM webhook_deliveries
			WHERE webhook_id = ? AND state = 'pending' ORDER BY id LIMIT 1`), webhookID))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !slices.Contains(splitEvents(events), EventChanges) {
			return ErrNotFound
		}
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(seq) FROM (SELECT seq FROM changes WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?) b`),
			orgID, cursor, max(maxChanges, 1)).Scan(&last); err != nil {
			return err
		}
		if !last.Valid {
			return ErrNotFound
		}
		d = Delivery{WebhookID: webhookID, OrgID: orgID, UID: NewDeliveryID(), Event: EventChanges, FromSeq: cursor, ToSeq: last.Int64,
			State: "pending", CreatedAt: now}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO webhook_deliveries (webhook_id, org_id, uid, event, from_seq, to_seq, state, created_at)
			VALUES (?, ?, ?, 'changes', ?, ?, 'pending', ?) RETURNING id`), webhookID, orgID, d.UID, d.FromSeq, d.ToSeq, now).Scan(&d.ID)
	})
	return d, wrap("next delivery", err)
}

// ShrinkDelivery ends a batch of changes not yet attempted at toSeq (its body would be
// too large).
func (s *Store) ShrinkDelivery(ctx context.Context, id, toSeq int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET to_seq = ? WHERE id = ? AND event = 'changes' AND attempts = 0 AND from_seq < ?`), toSeq, id, toSeq)
	return wrap("shrink delivery", err)
}

// Attempt is an entry of a subscription's delivery log.
type Attempt struct {
	ID          int64
	WebhookID   int64
	DeliveryUID string
	Event       string
	Attempt     int // 1 for the first
	At          time.Time
	StatusCode  int // 0 when no answer came
	Duration    time.Duration
	Error       string
	NextRetryAt *time.Time // when the delivery is tried again; nil when it is not
}

// AttemptOutcome is what follows an attempt.
type AttemptOutcome struct {
	// Delivered: the receiver accepted it (2xx). A batch of changes moves the
	// subscription's cursor to its end.
	Delivered bool
	// NextAttemptAt schedules another attempt after a failure.
	NextAttemptAt *time.Time
	// Disable, after a failure that is not retried, disables the subscription with this
	// reason; the delivery stays pending, to be tried again when it is enabled.
	Disable string
}

// RecordAttempt logs a delivery attempt and applies its outcome, in one transaction.
// An attempt of a delivery that is not queued (ID 0: a test event) is only logged.
func (s *Store) RecordAttempt(ctx context.Context, d Delivery, a Attempt, o AttemptOutcome) error {
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var next sql.NullTime
		if o.NextAttemptAt != nil {
			next = sql.NullTime{Time: o.NextAttemptAt.UTC().Truncate(time.Microsecond), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_attempts (webhook_id, delivery_uid, event, attempt, at, status_code, duration_ms, error, next_retry_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), d.WebhookID, d.UID, d.Event, a.Attempt, a.At.UTC().Truncate(time.Microsecond), a.StatusCode,
			a.Duration.Milliseconds(), a.Error, next); err != nil {
			if isForeignKey(err) {
				return ErrNotFound // deleted meanwhile
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM webhook_attempts WHERE webhook_id = ? AND id <= (SELECT k.id FROM webhook_attempts k
			WHERE k.webhook_id = ? ORDER BY k.id DESC LIMIT 1 OFFSET `+strconv.Itoa(AttemptsKeep)+`)`), d.WebhookID, d.WebhookID); err != nil {
			return err
		}
		if d.ID == 0 {
			return nil
		}
		switch {
		case o.Delivered:
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, next_attempt_at = NULL, completed_at = ?
				WHERE id = ?`), now, d.ID); err != nil {
				return err
			}
			if d.Event == EventChanges {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhooks SET change_cursor = ? WHERE id = ? AND change_cursor = ?`), d.ToSeq, d.WebhookID, d.FromSeq); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM webhook_deliveries WHERE webhook_id = ? AND state <> 'pending' AND id <= (SELECT k.id FROM webhook_deliveries k
				WHERE k.webhook_id = ? AND k.state <> 'pending' ORDER BY k.id DESC LIMIT 1 OFFSET `+strconv.Itoa(DeliveriesKeep)+`)`), d.WebhookID, d.WebhookID); err != nil {
				return err
			}
		default:
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?`), next, d.ID); err != nil {
				return err
			}
			if o.Disable != "" {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhooks SET active = FALSE, disabled_reason = ?, updated_at = ? WHERE id = ?`), o.Disable, now, d.WebhookID); err != nil {
					return err
				}
				var url string
				if err := tx.QueryRowContext(ctx, s.q(`SELECT url FROM webhooks WHERE id = ?`), d.WebhookID).Scan(&url); err != nil {
					return err
				}
				return s.audit(ctx, tx, d.OrgID, System, "webhook.disable", redactURL(url), map[string]string{"id": strconv.FormatInt(d.WebhookID, 10), "reason": o.Disable})
			}
		}
		return nil
	})
	return wrap("record delivery attempt", err)
}

// ListAttempts returns a subscription's delivery log, newest first (at most
// AttemptsKeep). Another organization's subscription is ErrNotFound.
func (s *Store) ListAttempts(ctx context.Context, orgID, webhookID int64) ([]Attempt, error) {
	if _, err := s.GetWebhook(ctx, orgID, webhookID); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT id, webhook_id, delivery_uid, event, attempt, at, status_code, duration_ms, error, next_retry_at
		FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT `+strconv.Itoa(AttemptsKeep)), webhookID)
	if err != nil {
		return nil, wrap("list delivery attempts", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var ms int64
		var next sql.NullTime
		if err := rows.Scan(&a.ID, &a.WebhookID, &a.DeliveryUID, &a.Event, &a.Attempt, &a.At, &a.StatusCode, &ms, &a.Error, &next); err != nil {
			return nil, wrap("list delivery attempts", err)
		}
		a.At, a.Duration, a.NextRetryAt = a.At.UTC(), time.Duration(ms)*time.Millisecond, nullTime(next)
		out = append(out, a)
	}
	return out, wrap("list delivery attempts", rows.Err())
}

// ListDeliveries returns a subscription's deliveries, newest first: the pending ones
// and the last DeliveriesKeep finished ones.
func (s *Store) ListDeliveries(ctx context.Context, orgID, webhookID int64, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > PendingKeep+DeliveriesKeep {
		limit = PendingKeep + DeliveriesKeep
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE org_id = ? AND webhook_id = ? ORDER BY id DESC LIMIT ?`),
		orgID, webhookID, limit)
	if err != nil {
		return nil, wrap("list deliveries", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, wrap("list deliveries", err)
		}
		out = append(out, d)
	}
	return out, wrap("list deliveries", rows.Err())
}

// DueWebhooks lists the active subscriptions with something to deliver now: a pending
// delivery whose back-off has passed, or changes after their cursor.
func (s *Store) DueWebhooks(ctx context.Context) ([]int64, error) {
	now := s.timestamp()
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT w.id FROM webhooks w WHERE w.active AND (
			EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending' AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?))
			OR (w.events LIKE '%changes%' AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending')
				AND EXISTS (SELECT 1 FROM changes c WHERE c.org_id = w.org_id AND c.seq > w.change_cursor)))
		ORDER BY w.id`), now)
	if err != nil {
		return nil, wrap("due webhooks", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("due webhooks", err)
		}
		out = append(out, id)
	}
	return out, wrap("due webhooks", rows.Err())
}
