// Package control is what admins and operators do to mailbridge — create organizations
// and their admins, add users, configure and check the Exchange access, watch, pause and
// resume the sync of each mailbox, log in — with the validation, authorization and
// auditing every such action needs, shared by the admin panel (internal/web) and the
// JSON API (internal/api) so that both behave alike.
//
// Every call names the Principal acting. An operator may act on every organization; an
// organization's admin or token only on its own. A principal asking for an organization
// it may not see gets store.ErrNotFound, exactly as if the organization did not exist,
// so ids of other tenants cannot be probed.
//
// Callers branch on errors with errors.Is and errors.As, never on their text: besides
// the store's sentinels, *InputError (values to fix, by field), *ImportError (lines of a
// list to fix), ErrForbidden, ErrUnauthenticated, ErrBadCredentials, *RateLimitedError,
// *ExchangeError (Exchange failed or refused, in words for an admin) and
// ErrSealedPasswordUnreadable (the master key changed under the saved password).
//
// Package controltest builds a Service over a fresh store and the Exchange simulator for
// the tests of this package, internal/web and internal/api.
package control

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
	"github.com/mailbridge/mailbridge/internal/netguard"
	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Kind is what sort of principal acts.
type Kind int

// The kinds of principal.
const (
	Anonymous     Kind = iota
	Operator           // an operator logged in to the admin panel
	OrgAdmin           // an organization's admin logged in to the admin panel
	OperatorToken      // an operator API token
	OrgToken           // an organization's API token
)

// Principal is who acts: an account logged in to the admin panel, or an API token.
type Principal struct {
	Kind      Kind
	AccountID int64  // the account, for Operator and OrgAdmin
	OrgID     int64  // the organization, for OrgAdmin and OrgToken
	Label     string // for the audit log: an email address or "token:NAME"
}

// IsOperator tells whether p acts for the installation's operators.
func (p Principal) IsOperator() bool { return p.Kind == Operator || p.Kind == OperatorToken }

// CanAccess tells whether p may see and change the organization.
func (p Principal) CanAccess(orgID int64) bool {
	return p.IsOperator() || ((p.Kind == OrgAdmin || p.Kind == OrgToken) && p.OrgID == orgID && orgID != 0)
}

func (p Principal) actor() store.Actor { return store.Actor{Label: p.Label} }

// ErrForbidden: the principal may not do this at all (an admin asking for an operator's
// action). Requests for another organization's data get store.ErrNotFound instead.
var ErrForbidden = errors.New("not allowed")

// ErrUnauthenticated: no valid session or token.
var ErrUnauthenticated = errors.New("not logged in")

// InputError lists what is wrong with the values of a form or request, by field.
type InputError struct {
	Fields map[string]string // field name -> message for the person who typed it
}

func (e *InputError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// inputErr builds an *InputError from field, message pairs.
func inputErr(kv ...string) *InputError {
	e := &InputError{Fields: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Fields[kv[i]] = kv[i+1]
	}
	return e
}

// ErrSealedPasswordUnreadable: the saved service-account password cannot be decrypted,
// most likely because the master key changed since it was saved. Entering the password
// again mends it; the operator should hear of it too.
var ErrSealedPasswordUnreadable = errors.New("the saved password cannot be decrypted (was the master key changed?)")

// ExchangeError is a failure of Exchange, or of reaching it, while doing what an admin
// asked (expanding a group): Exchange refused the credentials or the request, was busy,
// did not answer, or its certificate is not trusted. Its text is written for an admin
// and holds no secret; Err's chain keeps the EWS client's error beneath, for errors.As.
//
// A check reports such failures as its results, not as an ExchangeError.
type ExchangeError struct {
	Op  string // what was being done, as a verb phrase: "expand sales@contoso.com"
	Err error
}

func (e *ExchangeError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *ExchangeError) Unwrap() error { return e.Err }

// Config is what a Service needs.
type Config struct {
	Store  *store.Store
	Sealer *secrets.Sealer
	// AllowPrivateEndpoints lets EWS URLs and Autodiscover reach loopback and private
	// addresses (the simulator, an Exchange on the same network); off by default.
	AllowPrivateEndpoints bool
	// Overrides maps host names to other addresses (curl's --resolve), for demos and
	// trials.
	Overrides *hostoverride.Overrides
	// RootCAs, when not nil, replaces the system's certificate authorities for EWS and
	// Autodiscover (the simulator's CA in demos and tests).
	RootCAs *x509.CertPool
	// Resolver answers Autodiscover's DNS SRV lookups; nil means the system's.
	Resolver autodiscoverclient.Resolver
	// CheckOptions tune the checker (concurrency, retries).
	CheckOptions checker.Options
	// PasswordParams are the argon2id parameters for admin passwords; zero means
	// secrets.DefaultParams().
	PasswordParams secrets.Params
	// SessionTTL is how long a login lasts; default 12 hours.
	SessionTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnActivate, when not nil, hears of mailboxes that became active (synced): new
	// ones and renewed ones after a save of the Email Configuration or ActivateSync, and
	// one resumed by an admin; and of every other active mailbox when a save changed the
	// folders synced, so that the change applies at once. It is called after the change
	// is committed, with the request's context, and must not block for long (enqueue the
	// jobs and return): the sync engine's job runner hooks in here.
	OnActivate func(ctx context.Context, orgID int64, userIDs []int64)
	// EWSObserver, if not nil, hears of the sync engine's EWS requests (metrics).
	EWSObserver ewsclient.Observer
	// EntraAuthority and GraphURL are where Microsoft 365 app-only access asks for
	// tokens and reads mailboxes: defaults https://login.microsoftonline.com and
	// https://graph.microsoft.com/v1.0 (the simulator's in demos and tests).
	EntraAuthority, GraphURL string
	// OnOrganizationDeleted, when not nil, hears of an organization deleted (after the
	// deletion is committed), so that what lives outside the store's tables goes too:
	// the job runner deletes the organization's queued jobs.
	OnOrganizationDeleted func(ctx context.Context, orgID int64)
}

// Service carries out admins' and operators' actions. Safe for concurrent use.
type Service struct {
	cfg   Config
	st    *store.Store
	guard netguard.Policy
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	now   func() time.Time
	login *loginLimiter
	// dummyHash is verified against when an account does not exist, so a login takes
	// as long for an unknown address as for a wrong password.
	dummyHash string
	// clients are the sync engine's EWS clients, one per organization.
	clients clientCache
	// graphClients are the Microsoft 365 organizations' Graph clients (m365.go).
	graphClients graphClientCache
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Sealer == nil {
		return nil, errors.New("control: a store and a sealer are required")
	}
	if cfg.PasswordParams == (secrets.Params{}) {
		cfg.PasswordParams = secrets.DefaultParams()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, st: cfg.Store, now: cfg.Now, guard: netguard.Policy{AllowPrivate: cfg.AllowPrivateEndpoints}}
	// Every connection to an admin-supplied endpoint goes through the guard, which
	// checks the address actually connected to (after DNS and host overrides).
	base := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	s.dial = cfg.Overrides.DialContext(s.guard.DialContext(base))
	s.login = newLoginLimiter(cfg.Now)
	h, err := secrets.HashPassword("mailbridge-dummy-password", cfg.PasswordParams)
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	s.dummyHash = h
	return s, nil
}

// Store returns the service's store (for health checks).
func (s *Service) Store() *store.Store { return s.st }

// orgAccess returns store.ErrNotFound unless p may act on the organization.
func orgAccess(p Principal, orgID int64) error {
	if !p.CanAccess(orgID) {
		return store.ErrNotFound
	}
	return nil
}

// operatorOnly returns ErrForbidden unless p is an operator.
func operatorOnly(p Principal) error {
	if !p.IsOperator() {
		return ErrForbidden
	}
	return nil
}
