package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// MaxOutlookSubscription is the longest lifetime Graph gives a subscription to an
// Outlook resource (messages, events, contacts): 10080 minutes.
const MaxOutlookSubscription = 10080 * time.Minute

// Lifecycle events of Graph's lifecycle notifications.
const (
	// LifecycleReauthorizationRequired: Graph pauses the subscription until it is renewed
	// or reauthorized.
	LifecycleReauthorizationRequired = "reauthorizationRequired"
	// LifecycleSubscriptionRemoved: Graph deleted the subscription; create it again.
	LifecycleSubscriptionRemoved = "subscriptionRemoved"
	// LifecycleMissed: notifications were lost; resynchronize with a delta query.
	LifecycleMissed = "missed"
)

// SubscriptionRequest asks Graph for change notifications of a resource.
type SubscriptionRequest struct {
	// ChangeType lists the changes to notify, comma-separated: "created,updated,deleted".
	ChangeType string `json:"changeType"`
	// NotificationURL receives the notifications (and, first, the validation request).
	NotificationURL string `json:"notificationUrl"`
	// LifecycleNotificationURL receives lifecycle notifications.
	LifecycleNotificationURL string `json:"lifecycleNotificationUrl,omitempty"`
	// Resource is the watched resource, e.g. "users/{id}/mailFolders('inbox')/messages".
	Resource string `json:"resource"`
	// ExpirationDateTime is when the subscription ends unless renewed.
	ExpirationDateTime time.Time `json:"expirationDateTime"`
	// ClientState is a secret Graph puts in every notification, so that the receiver
	// can tell them from forgeries (at most 128 characters).
	ClientState string `json:"clientState,omitempty"`
}

// Subscription is a subscription as Graph returns it.
type Subscription struct {
	ID                       string    `json:"id"`
	Resource                 string    `json:"resource"`
	ChangeType               string    `json:"changeType"`
	NotificationURL          string    `json:"notificationUrl"`
	LifecycleNotificationURL string    `json:"lifecycleNotificationUrl"`
	ExpirationDateTime       time.Time `json:"expirationDateTime"`
}

// Notification is one change or lifecycle notification of a batch Graph POSTs to a
// notification endpoint ({"value":[…]}). LifecycleEvent is set in lifecycle
// notifications only.
type Notification struct {
	SubscriptionID                 string `json:"subscriptionId"`
	SubscriptionExpirationDateTime string `json:"subscriptionExpirationDateTime"`
	ChangeType                     string `json:"changeType"`
	Resource                       string `json:"resource"`
	ClientState                    string `json:"clientState"`
	TenantID                       string `json:"tenantId"`
	LifecycleEvent                 string `json:"lifecycleEvent"`
	ResourceData                   struct {
		ODataType string `json:"@odata.type"`
		ID        string `json:"id"`
	} `json:"resourceData"`
}

// Notifications is the body of a notification POST.
type Notifications struct {
	Value []Notification `json:"value"`
}

// CreateSubscription creates a subscription. Graph first sends the validation request
// to the notification endpoints and refuses the subscription (400) when they fail it.
func (c *Client) CreateSubscription(ctx context.Context, req SubscriptionRequest) (*Subscription, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("graph: subscriptions.create: %w", err)
	}
	var s Subscription
	if err := c.do(ctx, call{op: "subscriptions.create", method: http.MethodPost, url: c.path("/subscriptions", nil), body: body}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// RenewSubscription moves a subscription's expiry (which also reauthorizes it).
func (c *Client) RenewSubscription(ctx context.Context, id string, exp time.Time) (*Subscription, error) {
	body, err := json.Marshal(map[string]time.Time{"expirationDateTime": exp.UTC()})
	if err != nil {
		return nil, fmt.Errorf("graph: subscriptions.renew: %w", err)
	}
	var s Subscription
	if err := c.do(ctx, call{op: "subscriptions.renew", method: http.MethodPatch, url: c.path("/subscriptions"+seg(id), nil), body: body}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteSubscription deletes a subscription.
func (c *Client) DeleteSubscription(ctx context.Context, id string) error {
	return c.do(ctx, call{op: "subscriptions.delete", method: http.MethodDelete, url: c.path("/subscriptions"+seg(id), nil)}, nil)
}

// ListSubscriptions returns the app's subscriptions, all pages.
func (c *Client) ListSubscriptions(ctx context.Context) ([]Subscription, error) {
	return listAll[Subscription](ctx, c, call{op: "subscriptions.list", method: http.MethodGet, url: c.path("/subscriptions", nil)})
}
