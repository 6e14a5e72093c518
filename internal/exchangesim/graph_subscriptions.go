package exchangesim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Microsoft Graph change notifications (webhooks) for Outlook resources: an app
// subscribes to a mailbox's messages, events or contacts, and the simulator POSTs a
// notification to the subscription's notificationUrl whenever an item of that resource
// is created, updated or deleted in the World, as Exchange Online does.
//
// As Graph does, creating a subscription first validates its notificationUrl (and its
// lifecycleNotificationUrl): the simulator POSTs ?validationToken=… and expects the token
// back, as text/plain with 200, within 10 seconds; otherwise creation fails with 400.
// Outlook subscriptions last at most 10080 minutes; an expired subscription is deleted
// and notifies nothing. Lifecycle notifications (reauthorizationRequired,
// subscriptionRemoved, missed) are sent when the admin API asks for them.
//
// Liberties: a notificationUrl must be https, as Graph requires, except that plain http
// is accepted towards loopback addresses (tests and the demo run the product there);
// failed deliveries are counted, not retried for hours.

// graphMaxSubscriptionMinutes is the longest lifetime of an Outlook resource's
// subscription (messages, events, contacts).
const graphMaxSubscriptionMinutes = 10080

// graphValidationTimeout is how long the notification endpoint has to answer the
// validation request, and each notification.
const graphValidationTimeout = 10 * time.Second

// graphPendingLimit bounds the notifications queued for one subscription; beyond it the
// subscription is owed a "missed" lifecycle notification.
const graphPendingLimit = 1000

// Lifecycle events a subscription's lifecycleNotificationUrl may receive.
const (
	LifecycleReauthorizationRequired = "reauthorizationRequired"
	LifecycleSubscriptionRemoved     = "subscriptionRemoved"
	LifecycleMissed                  = "missed"
)

// GraphSubscription is a Graph change-notification subscription as the admin API shows it
// (its clientState is never shown).
type GraphSubscription struct {
	ID                       string    `json:"id"`
	AppID                    string    `json:"app_id"`
	Mailbox                  string    `json:"mailbox"`
	Resource                 string    `json:"resource"`
	ChangeType               string    `json:"change_type"`
	NotificationURL          string    `json:"notification_url"`
	LifecycleNotificationURL string    `json:"lifecycle_notification_url,omitempty"`
	ExpirationDateTime       time.Time `json:"expiration_date_time"`
	NeedsReauthorization     bool      `json:"needs_reauthorization"`
	Delivered                int64     `json:"delivered"`
	Failed                   int64     `json:"failed"`
}

// graphResourceKind is what a subscription watches.
type graphResourceKind uint8

const (
	resInboxMessages graphResourceKind = iota + 1 // users/{id}/mailFolders('inbox')/messages
	resMessages                                   // users/{id}/messages: every mail folder
	resEvents                                     // users/{id}/events
	resContacts                                   // users/{id}/contacts
)

// graphSub is one subscription.
type graphSub struct {
	GraphSubscription
	clientState string
	kind        graphResourceKind
	userOID     string
	created     map[string]bool // change types: created, updated, deleted
	pending     []Event
	missed      bool // the queue overflowed: a missed notification is owed
}

// graphSubs is the simulator's registry of Graph subscriptions.
type graphSubs struct {
	s      *Simulator
	client *http.Client

	mu     sync.Mutex
	byID   map[string]*graphSub
	wake   chan struct{}
	loopMu sync.Mutex // one delivery loop at a time
}

func newGraphSubs(s *Simulator) *graphSubs {
	c := s.opts.Microsoft365.NotificationClient
	if c == nil {
		c = &http.Client{Timeout: graphValidationTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	g := &graphSubs{s: s, client: c, byID: map[string]*graphSub{}, wake: make(chan struct{}, 1)}
	// The registry lives as long as the World: the listener is never removed.
	s.world.AddListener(g.onEvent)
	return g
}

// onEvent is the World's listener: it queues the event for the subscriptions of its
// mailbox. It never blocks nor calls back into the World (the delivery loop filters by
// folder).
func (g *graphSubs) onEvent(e Event) {
	if e.Kind == EventNewMail || e.ItemId == nil {
		return // NewMail doubles a Created event; folder events are not Graph's
	}
	g.mu.Lock()
	queued := false
	for _, sub := range g.byID {
		if sub.Mailbox != e.Mailbox {
			continue
		}
		if len(sub.pending) >= graphPendingLimit {
			sub.missed = true
			continue
		}
		sub.pending = append(sub.pending, e)
		queued = true
	}
	g.mu.Unlock()
	if queued {
		g.signal()
	}
}

func (g *graphSubs) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// run delivers queued notifications until ctx ends.
func (g *graphSubs) run(ctx context.Context) {
	g.loopMu.Lock()
	defer g.loopMu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.wake:
		}
		g.deliverPending(ctx)
	}
}

// delivery is one POST to a notification endpoint.
type delivery struct {
	sub  *graphSub
	url  string
	body []byte
}

// deliverPending sends every subscription's queued notifications, one POST per
// subscription.
func (g *graphSubs) deliverPending(ctx context.Context) {
	now := g.s.world.Now()
	g.mu.Lock()
	g.sweepLocked(now)
	type batch struct {
		sub    *graphSub
		snap   graphSub // the subscription as it was, read without the lock
		events []Event
		missed bool
	}
	var batches []batch
	for _, sub := range g.byID {
		if (len(sub.pending) == 0 && !sub.missed) || sub.NeedsReauthorization {
			continue
		}
		snap := *sub
		snap.pending = nil
		batches = append(batches, batch{sub, snap, sub.pending, sub.missed})
		sub.pending, sub.missed = nil, false
	}
	g.mu.Unlock()
	for _, b := range batches {
		var value []map[string]any
		for _, e := range b.events {
			value = append(value, g.notifications(&b.snap, e)...)
		}
		if len(value) > 0 {
			body, _ := json.Marshal(map[string]any{"value": value})
			g.post(ctx, delivery{b.sub, b.snap.NotificationURL, body})
		}
		if b.missed && b.snap.LifecycleNotificationURL != "" {
			g.post(ctx, delivery{b.sub, b.snap.LifecycleNotificationURL, g.lifecycleBody(&b.snap, LifecycleMissed)})
		}
	}
}

// post sends one notification POST and counts its outcome.
func (g *graphSubs) post(ctx context.Context, d delivery) int {
	status := 0
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		var resp *http.Response
		if resp, err = g.client.Do(req); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			status = resp.StatusCode
		}
	}
	g.mu.Lock()
	if status >= 200 && status < 300 {
		d.sub.Delivered++
	} else {
		d.sub.Failed++
	}
	g.mu.Unlock()
	return status
}

// notifications turns a World event into the notifications of sub's resource (none, one,
// or, for a move between two watched folders, a deleted and a created).
func (g *graphSubs) notifications(sub *graphSub, e Event) []map[string]any {
	in := g.watches(sub, e.ParentFolderId.Id)
	var out []map[string]any
	add := func(changeType, id string) {
		if !sub.created[changeType] {
			return
		}
		odataType, segment := "#Microsoft.Graph.Message", "Messages"
		switch sub.kind {
		case resEvents:
			odataType, segment = "#Microsoft.Graph.Event", "Events"
		case resContacts:
			odataType, segment = "#Microsoft.Graph.Contact", "Contacts"
		}
		res := "Users/" + sub.userOID + "/" + segment + "/" + restID(id)
		out = append(out, map[string]any{
			"subscriptionId":                 sub.ID,
			"subscriptionExpirationDateTime": sub.ExpirationDateTime.Format(time.RFC3339),
			"changeType":                     changeType,
			"resource":                       res,
			"resourceData":                   map[string]any{"@odata.type": odataType, "@odata.id": res, "id": restID(id)},
			"clientState":                    sub.clientState,
			"tenantId":                       g.tenantID(),
		})
	}
	switch e.Kind {
	case EventCreated, EventCopied:
		if in {
			add("created", e.ItemId.Id)
		}
	case EventModified:
		if in {
			add("updated", e.ItemId.Id)
		}
	case EventDeleted:
		if in {
			add("deleted", e.ItemId.Id)
		}
	case EventMoved:
		if e.OldParentFolderId != nil && e.OldItemId != nil && g.watches(sub, e.OldParentFolderId.Id) {
			add("deleted", e.OldItemId.Id)
		}
		if in {
			add("created", e.ItemId.Id)
		}
	}
	return out
}

// watches reports whether items of the folder folderID belong to sub's resource.
func (g *graphSubs) watches(sub *graphSub, folderID string) bool {
	if folderID == "" {
		return false
	}
	mb, err := g.s.world.Mailbox(context.Background(), sub.Mailbox)
	if err != nil {
		return false
	}
	f, err := mb.Folder(FolderByID(folderID))
	if err != nil {
		return false
	}
	switch sub.kind {
	case resInboxMessages:
		inbox, err := mb.Folder(FolderByName("inbox"))
		return err == nil && inbox.FolderId.Id == f.FolderId.Id
	case resMessages:
		return isMailFolder(f)
	case resEvents:
		return strings.HasPrefix(f.FolderClass, "IPF.Appointment")
	case resContacts:
		return strings.HasPrefix(f.FolderClass, "IPF.Contact")
	}
	return false
}

func (g *graphSubs) tenantID() string {
	t, _ := g.s.world.Tenant()
	return t.ID
}

func (g *graphSubs) lifecycleBody(sub *graphSub, event string) []byte {
	body, _ := json.Marshal(map[string]any{"value": []map[string]any{{
		"subscriptionId":                 sub.ID,
		"subscriptionExpirationDateTime": sub.ExpirationDateTime.Format(time.RFC3339),
		"tenantId":                       g.tenantID(),
		"clientState":                    sub.clientState,
		"lifecycleEvent":                 event,
	}}})
	return body
}

// sweepLocked deletes expired subscriptions, as Graph does.
func (g *graphSubs) sweepLocked(now time.Time) {
	for id, sub := range g.byID {
		if !now.Before(sub.ExpirationDateTime) {
			delete(g.byID, id)
		}
	}
}

// ---- Graph endpoints ----

// graphResourcePattern matches the resources the simulator can watch: a user's Inbox
// messages, messages, events or contacts.
var graphResourcePattern = regexp.MustCompile(`(?i)^/?users/([^/]+)/(mailFolders\('inbox'\)/messages|mailFolders/inbox/messages|messages|events|contacts)$`)

// subscriptionJSON is the subscription entity of Graph's answers.
func (g *graphSubs) subscriptionJSON(sub *graphSub) map[string]any {
	e := map[string]any{
		"@odata.context":            "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
		"id":                        sub.ID,
		"resource":                  sub.Resource,
		"applicationId":             sub.AppID,
		"changeType":                sub.ChangeType,
		"clientState":               sub.clientState,
		"notificationUrl":           sub.NotificationURL,
		"expirationDateTime":        sub.ExpirationDateTime.Format("2006-01-02T15:04:05.0000000Z"),
		"latestSupportedTlsVersion": "v1_2",
	}
	if sub.LifecycleNotificationURL != "" {
		e["lifecycleNotificationUrl"] = sub.LifecycleNotificationURL
	}
	if e["clientState"] == "" {
		e["clientState"] = nil
	}
	return e
}

// checkNotificationURL accepts https URLs, and http ones towards loopback addresses.
func checkNotificationURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errBadRequest(fmt.Sprintf("Invalid %s '%s'.", field, raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
	}
	return errBadRequest(fmt.Sprintf("The %s must be an https URL.", field))
}

// expiration reads and bounds an expirationDateTime.
func (g *graphSubs) expiration(raw string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, errBadRequest("Invalid expirationDateTime '" + raw + "'.")
	}
	now := g.s.world.Now()
	if !t.After(now) {
		return time.Time{}, errBadRequest("Subscription expiration can only be in the future.")
	}
	if t.After(now.Add(graphMaxSubscriptionMinutes * time.Minute)) {
		return time.Time{}, errBadRequest(fmt.Sprintf("Subscription expiration can only be %d minutes in the future.", graphMaxSubscriptionMinutes))
	}
	return t.UTC(), nil
}

// validate runs Graph's validation handshake against an endpoint.
func (g *graphSubs) validate(ctx context.Context, endpoint string) error {
	token := "Validation: Testing client application reachability for subscription Request-Id: " + randomGUID()
	u, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("validationToken", token)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, graphValidationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), http.NoBody)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if string(body) != token {
		return fmt.Errorf("the answer is not the validation token")
	}
	return nil
}

// graphCreateSubscription is POST /subscriptions.
func (s *Simulator) graphCreateSubscription(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ChangeType               string `json:"changeType"`
		NotificationURL          string `json:"notificationUrl"`
		LifecycleNotificationURL string `json:"lifecycleNotificationUrl"`
		Resource                 string `json:"resource"`
		ExpirationDateTime       string `json:"expirationDateTime"`
		ClientState              string `json:"clientState"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		return errBadRequest("Invalid request body.")
	}
	g := s.graphSubs
	sub := &graphSub{created: map[string]bool{}, clientState: in.ClientState}
	for _, ct := range strings.Split(in.ChangeType, ",") {
		switch ct = strings.TrimSpace(ct); ct {
		case "created", "updated", "deleted":
			sub.created[ct] = true
		default:
			return errBadRequest(fmt.Sprintf("Invalid changeType '%s'.", ct))
		}
	}
	if len(in.ClientState) > 128 {
		return errBadRequest("clientState cannot be longer than 128 characters.")
	}
	if err := checkNotificationURL("notificationUrl", in.NotificationURL); err != nil {
		return err
	}
	if in.LifecycleNotificationURL != "" {
		if err := checkNotificationURL("lifecycleNotificationUrl", in.LifecycleNotificationURL); err != nil {
			return err
		}
	}
	exp, err := g.expiration(in.ExpirationDateTime)
	if err != nil {
		return err
	}
	m := graphResourcePattern.FindStringSubmatch(in.Resource)
	if m == nil {
		return errBadRequest(fmt.Sprintf("Resource '%s' is not supported.", in.Resource))
	}
	perms := []string{PermMailRead, PermMailReadWrite}
	switch strings.ToLower(m[2]) {
	case "messages":
		sub.kind = resMessages
	case "events":
		sub.kind, perms = resEvents, []string{PermCalendarsRead, PermCalendarsRW}
	case "contacts":
		sub.kind, perms = resContacts, []string{PermContactsRead, PermContactsRW}
	default:
		sub.kind = resInboxMessages
	}
	c := graphCaller(r.Context())
	if !c.hasRole(perms...) {
		return errAccessDenied()
	}
	u, ok := s.graphUserByKey(m[1])
	if !ok || !u.HasMailbox {
		return &graphErr{status: http.StatusNotFound, code: "ExtensionError", msg: "Operation: Create; Exception: [Status Code: NotFound; Reason: The requested user is invalid.]"}
	}
	if !s.world.appMayAccess(c.AppID, u.PrimarySMTP) {
		return errAccessDenied()
	}
	// Graph validates the endpoints before it creates anything.
	for _, ep := range []string{in.NotificationURL, in.LifecycleNotificationURL} {
		if ep == "" {
			continue
		}
		if err := g.validate(r.Context(), ep); err != nil {
			return errBadRequest("Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.")
		}
	}
	sub.GraphSubscription = GraphSubscription{ID: randomGUID(), AppID: c.AppID, Mailbox: u.PrimarySMTP, Resource: in.Resource,
		ChangeType: in.ChangeType, NotificationURL: in.NotificationURL, LifecycleNotificationURL: in.LifecycleNotificationURL,
		ExpirationDateTime: exp}
	sub.userOID = s.world.UserObjectID(u)
	g.mu.Lock()
	g.byID[sub.ID] = sub
	body := g.subscriptionJSON(sub)
	g.mu.Unlock()
	writeGraphJSON(w, http.StatusCreated, body)
	return nil
}

// graphSubscription returns the caller's live subscription {id}, or Graph's 404.
func (g *graphSubs) lookupLocked(r *http.Request) (*graphSub, error) {
	g.sweepLocked(g.s.world.Now())
	sub := g.byID[r.PathValue("id")]
	if sub == nil || sub.AppID != graphCaller(r.Context()).AppID {
		return nil, errGraphNotFound(fmt.Sprintf("The object was not found. subscriptionId: '%s'", r.PathValue("id")))
	}
	return sub, nil
}

// graphGetSubscription is GET /subscriptions/{id}.
func (s *Simulator) graphGetSubscription(w http.ResponseWriter, r *http.Request) error {
	g := s.graphSubs
	g.mu.Lock()
	defer g.mu.Unlock()
	sub, err := g.lookupLocked(r)
	if err != nil {
		return err
	}
	writeGraphJSON(w, http.StatusOK, g.subscriptionJSON(sub))
	return nil
}

// graphListSubscriptions is GET /subscriptions: the caller's subscriptions.
func (s *Simulator) graphListSubscriptions(w http.ResponseWriter, r *http.Request) error {
	g := s.graphSubs
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweepLocked(s.world.Now())
	app := graphCaller(r.Context()).AppID
	value := []map[string]any{}
	for _, sub := range g.byID {
		if sub.AppID == app {
			value = append(value, g.subscriptionJSON(sub))
		}
	}
	slices.SortFunc(value, func(a, b map[string]any) int { return strings.Compare(a["id"].(string), b["id"].(string)) })
	writeGraphJSON(w, http.StatusOK, map[string]any{"value": value})
	return nil
}

// graphUpdateSubscription is PATCH /subscriptions/{id}: renewal (a new
// expirationDateTime), which also reauthorizes the subscription.
func (s *Simulator) graphUpdateSubscription(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ExpirationDateTime string `json:"expirationDateTime"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		return errBadRequest("Invalid request body.")
	}
	g := s.graphSubs
	exp, err := g.expiration(in.ExpirationDateTime)
	if err != nil {
		return err
	}
	g.mu.Lock()
	sub, err := g.lookupLocked(r)
	if err != nil {
		g.mu.Unlock()
		return err
	}
	sub.ExpirationDateTime, sub.NeedsReauthorization = exp, false
	body := g.subscriptionJSON(sub)
	pending := len(sub.pending) > 0
	g.mu.Unlock()
	if pending {
		g.signal()
	}
	writeGraphJSON(w, http.StatusOK, body)
	return nil
}

// graphReauthorizeSubscription is POST /subscriptions/{id}/reauthorize.
func (s *Simulator) graphReauthorizeSubscription(w http.ResponseWriter, r *http.Request) error {
	g := s.graphSubs
	g.mu.Lock()
	sub, err := g.lookupLocked(r)
	if err == nil {
		sub.NeedsReauthorization = false
	}
	g.mu.Unlock()
	if err != nil {
		return err
	}
	g.signal()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// graphDeleteSubscription is DELETE /subscriptions/{id}.
func (s *Simulator) graphDeleteSubscription(w http.ResponseWriter, r *http.Request) error {
	g := s.graphSubs
	g.mu.Lock()
	defer g.mu.Unlock()
	sub, err := g.lookupLocked(r)
	if err != nil {
		return err
	}
	delete(g.byID, sub.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- admin ----

// GraphSubscriptions lists the live Graph subscriptions, by mailbox and resource.
func (s *Simulator) GraphSubscriptions() []GraphSubscription {
	g := s.graphSubs
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweepLocked(s.world.Now())
	out := make([]GraphSubscription, 0, len(g.byID))
	for _, sub := range g.byID {
		out = append(out, sub.GraphSubscription)
	}
	slices.SortFunc(out, func(a, b GraphSubscription) int {
		return cmpStrings(a.Mailbox+"\x00"+a.Resource+"\x00"+a.ID, b.Mailbox+"\x00"+b.Resource+"\x00"+b.ID)
	})
	return out
}

func cmpStrings(a, b string) int { return strings.Compare(a, b) }

// SendLifecycleNotification sends a lifecycle notification for subscription id to its
// lifecycleNotificationUrl and returns the endpoint's HTTP status.
// reauthorizationRequired pauses the subscription's notifications until it is renewed or
// reauthorized; subscriptionRemoved deletes it first; missed is only a notice.
func (s *Simulator) SendLifecycleNotification(ctx context.Context, id, event string) (int, error) {
	g := s.graphSubs
	g.mu.Lock()
	g.sweepLocked(s.world.Now())
	sub := g.byID[id]
	if sub == nil {
		g.mu.Unlock()
		return 0, fmt.Errorf("%w: no subscription %q", ErrNotFound, id)
	}
	if sub.LifecycleNotificationURL == "" {
		g.mu.Unlock()
		return 0, fmt.Errorf("%w: subscription %q has no lifecycleNotificationUrl", ErrInvalid, id)
	}
	switch event {
	case LifecycleReauthorizationRequired:
		sub.NeedsReauthorization = true
	case LifecycleSubscriptionRemoved:
		delete(g.byID, id)
	case LifecycleMissed:
	default:
		g.mu.Unlock()
		return 0, fmt.Errorf("%w: unknown lifecycle event %q", ErrInvalid, event)
	}
	body, endpoint := g.lifecycleBody(sub, event), sub.LifecycleNotificationURL
	g.mu.Unlock()
	status := g.post(ctx, delivery{sub, endpoint, body})
	if status == 0 {
		return 0, fmt.Errorf("exchangesim: lifecycle notification to %s failed", endpoint)
	}
	return status, nil
}

// adminGraphSubscriptionRoutes adds the admin API of Graph subscriptions.
func (s *Simulator) adminGraphSubscriptionRoutes(mux *http.ServeMux) {
	p := strings.TrimSuffix(AdminPrefix, "/")
	mux.HandleFunc("GET "+p+"/graph/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.GraphSubscriptions())
	})
	// POST {"event":"reauthorizationRequired"|"subscriptionRemoved"|"missed"}.
	mux.HandleFunc("POST "+p+"/graph/subscriptions/{id}/lifecycle", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Event string `json:"event"`
		}
		if !decodeJSON(w, r, &body) {
			return
		}
		status, err := s.SendLifecycleNotification(r.Context(), r.PathValue("id"), body.Event)
		if err != nil {
			worldError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": status})
	})
}
