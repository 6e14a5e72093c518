package checker

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/graph"
)

// Microsoft 365 app-only access. An app registration in Microsoft Entra ID with
// application permissions reads mailboxes through Microsoft Graph; RBAC for
// Applications (or an application access policy) limits which. The AppChecker checks
// the app first (a token, the permissions it carries), then each user: the user
// exists, the app may read the mailbox (the scope), the folders are readable.

// Checks of app-only access, besides CheckAuthentication, CheckAddress, CheckMailbox,
// CheckFolders and CheckAccess.
const (
	CheckPermissions Check = "permissions" // the application permissions the token carries
)

// RequiredPermissions are the application permissions a sync needs (Graph's role
// names); OptionalPermissions those some features need.
var (
	RequiredPermissions = []string{"Mail.Read"}
	OptionalPermissions = map[string]string{
		"Calendars.Read":       "calendars are not synced",
		"Contacts.Read":        "contacts are not synced",
		"Place.Read.All":       "rooms and room lists cannot be listed",
		"User.Read.All":        "users cannot be looked up in the directory",
		"GroupMember.Read.All": "distribution groups cannot be imported or kept in sync",
	}
	// alsoGranting are permissions that include another.
	alsoGranting = map[string][]string{
		"Calendars.Read":       {"Calendars.ReadWrite"},
		"Contacts.Read":        {"Contacts.ReadWrite"},
		"User.Read.All":        {"User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		"GroupMember.Read.All": {"Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"},
	}
)

// AppConfig is a Microsoft 365 app-only configuration to check.
type AppConfig struct {
	// TenantID (or a domain of the tenant), ClientID and ClientSecret (or Certificate):
	// the app registration's credentials.
	TenantID, ClientID, ClientSecret string
	Certificate                      *entra.Certificate
	// Authority and GraphURL are the identity platform's and Graph's base URLs; defaults
	// entra.DefaultAuthority and graph.DefaultBaseURL.
	Authority, GraphURL string
	// RootCAs and DialContext reach them (the SSRF guard, a simulator's CA).
	RootCAs     *x509.CertPool
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// String describes the configuration without its secret.
func (c AppConfig) String() string {
	return fmt.Sprintf("checker.AppConfig{TenantID: %q, ClientID: %q}", c.TenantID, c.ClientID)
}

// GoString is String, so that %#v leaves the secret out too.
func (c AppConfig) GoString() string { return c.String() }

// AppChecker checks Microsoft 365 app-only access. Safe for concurrent use.
type AppChecker struct {
	cfg  AppConfig
	opts Options
}

// NewApp returns an AppChecker for cfg.
func NewApp(cfg AppConfig, opts Options) (*AppChecker, error) {
	if cfg.TenantID == "" || cfg.ClientID == "" || cfg.ClientSecret == "" && cfg.Certificate == nil {
		return nil, errors.New("checker: the tenant, the client ID and a client secret or certificate are all needed")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &AppChecker{cfg: cfg, opts: opts}, nil
}

// appRun is one check: its token source, its Graph client, what it reported.
type appRun struct {
	c      *AppChecker
	tokens *entra.TokenSource
	client *graph.Client
	reqs   *requestCounter
}

// requestCounter counts Graph requests (graph.Observer).
type requestCounter struct {
	mu sync.Mutex
	n  int64
}

func (r *requestCounter) Request(string, int, time.Duration) { r.mu.Lock(); r.n++; r.mu.Unlock() }
func (r *requestCounter) ThrottleWait(string, time.Duration) {}
func (r *requestCounter) count() int64                       { r.mu.Lock(); defer r.mu.Unlock(); return r.n }

// Check checks the app, then every user, emitting each result as it is known, and
// returns the summary. Only ctx ending is an error: what Entra ID or Graph refuse is a
// result.
func (c *AppChecker) Check(ctx context.Context, users []string, emit func(Result)) (Summary, error) {
	start := c.opts.Now()
	eo := entra.Options{Authority: c.cfg.Authority, RootCAs: c.cfg.RootCAs, DialContext: c.cfg.DialContext, Now: c.opts.Now}
	tokens, err := entra.NewTokenSource(entra.Credentials{Tenant: c.cfg.TenantID, ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Certificate: c.cfg.Certificate},
		entra.GraphScope, eo)
	if err != nil {
		return Summary{}, err
	}
	r := &appRun{c: c, tokens: tokens, reqs: &requestCounter{}}
	// Small pages: the check reads the first page of each folder, to see it is readable.
	r.client, err = graph.New(tokens, graph.Options{BaseURL: c.cfg.GraphURL, RootCAs: c.cfg.RootCAs, DialContext: c.cfg.DialContext,
		Observer: r.reqs, Now: c.opts.Now, PageSize: 10})
	if err != nil {
		return Summary{}, err
	}
	defer r.client.CloseIdleConnections()
	rec := newTally(emit)

	proceed := r.appChecks(ctx, &rec)
	if err := ctx.Err(); err != nil {
		return rec.summary(r.reqs.count(), c.opts.Now().Sub(start)), err
	}
	if proceed {
		var list []string
		for _, u := range UniqueUsers(users) {
			if ValidAddress(u) {
				list = append(list, u)
			} else {
				rec.add(invalidOutcome(u).final())
			}
		}
		r.userChecks(ctx, list, &rec)
	}
	return rec.summary(r.reqs.count(), c.opts.Now().Sub(start)), ctx.Err()
}

// appChecks asks for a token and reads the permissions it carries; it reports whether
// the users can be checked.
func (r *appRun) appChecks(ctx context.Context, rec *tally) bool {
	tok, err := r.tokens.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		rec.add(r.tokenFailure(err))
		return false
	}
	rec.add(Result{Check: CheckAuthentication, Status: StatusOK, Code: CodeOK,
		Message:  fmt.Sprintf("Microsoft Entra ID issued a token to the app %s in tenant %s.", r.c.cfg.ClientID, r.c.cfg.TenantID),
		Evidence: Evidence{Operation: "token"}})
	roles, ok := tokenRoles(tok.AccessToken)
	if !ok {
		return true // an opaque token: the users' checks tell
	}
	var missing, optional []string
	for _, p := range RequiredPermissions {
		if !slices.Contains(roles, p) {
			missing = append(missing, p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(OptionalPermissions)) {
		granted := slices.Contains(roles, p)
		for _, alt := range alsoGranting[p] {
			granted = granted || slices.Contains(roles, alt)
		}
		if !granted {
			optional = append(optional, p)
		}
	}
	consent := entra.AdminConsentURL(r.c.cfg.Authority, r.c.cfg.TenantID, r.c.cfg.ClientID)
	switch {
	case len(roles) == 0:
		rec.add(Result{Check: CheckPermissions, Status: StatusFailure, Code: CodeConsentMissing,
			Message: "The app's token carries no application permissions: no administrator has granted them (admin consent).",
			Fix: "Add the application permissions Mail.Read, Calendars.Read, Contacts.Read, Place.Read.All, User.Read.All and GroupMember.Read.All " +
				"(Microsoft Graph, Application) under API permissions of the app registration, then have a Global or Privileged Role " +
				"Administrator grant admin consent: " + consent, Evidence: Evidence{Operation: "token"}})
		return false
	case len(missing) > 0:
		rec.add(Result{Check: CheckPermissions, Status: StatusFailure, Code: CodePermissionMissing,
			Message:  "The app lacks the application permission " + strings.Join(missing, ", ") + ": mail cannot be read.",
			Fix:      "Add " + strings.Join(missing, ", ") + " (Microsoft Graph, Application permission) under API permissions, then grant admin consent: " + consent,
			Evidence: Evidence{Operation: "token"}})
		return false
	case len(optional) > 0:
		var what []string
		for _, p := range optional {
			what = append(what, p+" ("+OptionalPermissions[p]+")")
		}
		rec.add(Result{Check: CheckPermissions, Status: StatusWarning, Code: CodePermissionMissing,
			Message:  "The app lacks " + strings.Join(what, ", ") + ".",
			Fix:      "Add " + strings.Join(optional, ", ") + " (Microsoft Graph, Application permissions) under API permissions, then grant admin consent: " + consent,
			Evidence: Evidence{Operation: "token"}})
	default:
		rec.add(Result{Check: CheckPermissions, Status: StatusOK, Code: CodeOK,
			Message: "The app holds the application permissions " + strings.Join(roles, ", ") + ".", Evidence: Evidence{Operation: "token"}})
	}
	return true
}

// tokenFailure describes a refused or failed token request.
func (r *appRun) tokenFailure(err error) Result {
	res := Result{Check: CheckAuthentication, Status: StatusFailure, Code: CodeAuthFailed, Evidence: Evidence{Operation: "token"}}
	var te *entra.TokenError
	if !errors.As(err, &te) {
		res.Check, res.Code = CheckEndpoint, CodeUnreachable
		res.Message = "Microsoft Entra ID's token endpoint cannot be reached: " + err.Error()
		res.Fix = "Check that this server reaches " + cmp.Or(r.c.cfg.Authority, entra.DefaultAuthority) + " over HTTPS (firewall, proxy)."
		return res
	}
	switch {
	case errors.Is(err, entra.ErrUnknownTenant):
		res.Code = CodeTenantUnknown
	case errors.Is(err, entra.ErrUnknownApp):
		res.Code = CodeAppUnknown
	case errors.Is(err, entra.ErrWrongSecret):
		res.Code = CodeSecretWrong
	case errors.Is(err, entra.ErrSecretExpired):
		res.Code = CodeSecretExpired
	case errors.Is(err, entra.ErrCertificateRefused):
		res.Code = CodeCertificateRefused
	case errors.Is(err, entra.ErrConsentMissing):
		res.Check, res.Code = CheckPermissions, CodeConsentMissing
	}
	res.Message, res.Fix = te.Message, te.Fix
	if res.Message == "" {
		res.Message = "Microsoft Entra ID refused the token request: " + te.Description
	}
	if te.Code != 0 {
		res.Evidence.ResponseCode = fmt.Sprintf("AADSTS%d", te.Code)
	}
	res.Evidence.HTTPStatus = te.Status
	return res
}

// userChecks checks the users, Options.Concurrency at a time, reporting each in input
// order as soon as it and those before it are known.
func (r *appRun) userChecks(ctx context.Context, users []string, rec *tally) {
	results := make([]chan Result, len(users))
	for i := range results {
		results[i] = make(chan Result, 1)
	}
	sem := make(chan struct{}, r.c.opts.Concurrency)
	go func() {
		for i, u := range users {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for _, ch := range results[i:] {
					close(ch)
				}
				return
			}
			go func() {
				defer func() { <-sem }()
				results[i] <- r.checkUser(ctx, u)
			}()
		}
	}()
	for _, ch := range results {
		res, ok := <-ch
		if !ok || ctx.Err() != nil {
			return
		}
		rec.add(res)
	}
}

// checkUser checks one user: the directory entry, the mailbox through the app's scope,
// then its folders.
func (r *appRun) checkUser(ctx context.Context, user string) Result {
	res := Result{User: user, Status: StatusOK, Code: CodeOK, Check: CheckAccess}
	if _, err := r.client.GetUser(ctx, user); err != nil && !graph.IsAccessDenied(err) {
		// Without User.Read.All the directory is closed; the mailbox read decides.
		return r.userFailure(res, CheckMailbox, "look the user up", err)
	}
	if _, err := r.client.MailFolder(ctx, user, "inbox"); err != nil {
		return r.userFailure(res, CheckMailbox, "read the Inbox", err)
	}
	day := r.c.opts.Now().UTC().Truncate(24 * time.Hour)
	if _, err := r.client.CalendarViewDelta(ctx, user, day, day.Add(24*time.Hour), ""); err != nil {
		return r.userFailure(res, CheckFolders, "read the calendar", err)
	}
	if _, err := r.client.ContactsDelta(ctx, user, "contacts", ""); err != nil {
		return r.userFailure(res, CheckFolders, "read the contacts", err)
	}
	res.Message = "The app can read this mailbox: Inbox, Calendar and Contacts."
	return res
}

// userFailure describes a Graph error of a user's check.
func (r *appRun) userFailure(res Result, check Check, what string, err error) Result {
	res.Check, res.Status = check, StatusFailure
	var ge *graph.Error
	if errors.As(err, &ge) {
		res.Evidence = Evidence{Operation: what, HTTPStatus: ge.Status, ResponseCode: ge.Code}
	}
	app := r.c.cfg.ClientID
	switch {
	case graph.IsAccessDenied(err):
		res.Check, res.Code = CheckAccess, CodeOutOfScope
		res.Message = "Microsoft 365 refused the app access to this mailbox (ErrorAccessDenied): it is outside the app's RBAC for Applications scope, " +
			"or an application access policy excludes it."
		res.Fix = "In Exchange Online PowerShell, put the mailbox in the scope the app's role assignment uses (for example, add the user to its group), or assign the role over a scope that includes it:\n" +
			"New-ManagementRoleAssignment -App " + app + " -Role \"Application Mail.Read\" -CustomResourceScope \"<scope name>\"\n" +
			"then confirm with:\nTest-ServicePrincipalAuthorization -Identity " + app + " -Resource " + res.User
	case graph.IsMailboxNotEnabledForRESTAPI(err):
		res.Code = CodeNoMailbox
		res.Message = "The user has no Exchange Online mailbox (MailboxNotEnabledForRESTAPI): no license with Exchange Online, or the mailbox is on premises."
		res.Fix = "Assign a license that includes Exchange Online, or remove the user from this organization's list."
	case graph.IsNotFound(err):
		res.Code = CodeUnknownUser
		res.Message = "The tenant has no user with this address."
		res.Fix = "Check the address (a user principal name or primary SMTP address), or remove the user from the list."
	case graph.IsThrottled(err):
		res.Status, res.Code = StatusWarning, CodeThrottled
		res.Message = "Microsoft Graph kept throttling the app (429); this user was not checked."
		res.Fix = "Run the check again in a few minutes."
	case graph.IsUnauthorized(err):
		res.Check, res.Code = CheckAuthentication, CodeAuthFailed
		res.Message = "Microsoft Graph refused the app's token (401)."
		res.Fix = "Check the tenant, the client ID and the secret, then run the check again."
	default:
		if check == CheckFolders {
			res.Code = CodeFolderUnreadable
		} else {
			res.Code = CodeGraphError
		}
		res.Message = "Microsoft Graph could not " + what + ": " + err.Error()
	}
	return res
}

// tokenRoles reads the application permissions ("roles") of a JWT access token without
// verifying it (mailbridge is its bearer, not its audience). ok is false for a token
// that is not a JWT.
func tokenRoles(tok string) ([]string, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return nil, false
	}
	return claims.Roles, true
}
