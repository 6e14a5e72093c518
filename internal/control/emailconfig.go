package control

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/netguard"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// AccessType is a way of reaching an organization's mailboxes.
type AccessType struct {
	Value string // stored and sent in forms
	Label string // shown to admins
}

// AccessExchangeImpersonation is EWS with one service account holding the
// ApplicationImpersonation role.
const AccessExchangeImpersonation = "exchange_impersonation"

// AccessMicrosoft365App is Microsoft 365 (Exchange Online) through an Entra app
// registration with application permissions: OAuth client credentials, Microsoft Graph
// (see m365.go).
const AccessMicrosoft365App = "microsoft365_app"

// AccessTypes are the mailbox access types on offer, in the order the select shows them.
var AccessTypes = []AccessType{
	{Value: AccessExchangeImpersonation, Label: "Microsoft Exchange Impersonation"},
	{Value: AccessMicrosoft365App, Label: "Microsoft 365 (app-only)"},
}

// AccessTypeLabel returns the label of an access type value.
func AccessTypeLabel(v string) string {
	for _, a := range AccessTypes {
		if a.Value == v {
			return a.Label
		}
	}
	return v
}

// SyncFolderChoice is a folder an organization may choose to sync (syncer.Folders).
type SyncFolderChoice struct {
	Value string // its name, stored and sent in forms and by the API
	Label string // shown to admins
}

// SyncFolderChoices are the folders on offer, in the order forms show them; every one is
// synced unless the configuration says otherwise.
var SyncFolderChoices = []SyncFolderChoice{
	{Value: "inbox", Label: "Inbox"},
	{Value: "inbox_subfolders", Label: "Inbox subfolders"},
	{Value: "sentitems", Label: "Sent Items"},
	{Value: "calendar", Label: "Calendar"},
	{Value: "contacts", Label: "Contacts"},
}

// EmailConfigView is an organization's email configuration as admins see it: without
// the password, which is never shown or returned once saved.
type EmailConfigView struct {
	Exists       bool
	AccessType   string
	AccountLogon string
	HasPassword  bool // for Microsoft 365: a client secret is saved
	EWSURL       string
	AuthMethod   string
	// Tenant (as entered), TenantID (as resolved) and ClientID: Microsoft 365 only.
	Tenant, TenantID, ClientID string
	// CertificateThumbprint and CertificateExpires describe a saved certificate
	// (Microsoft 365 with AuthMethod certificate), never its key.
	CertificateThumbprint string
	CertificateExpires    time.Time
	// SyncFolders are the folders its mailboxes sync (names of SyncFolderChoices, in
	// their order); every folder when nothing was saved yet.
	SyncFolders []string
	// Trail is the last magic-wand run saved with the configuration, if any.
	Trail     *autodiscoverclient.Result
	Version   int64
	UpdatedAt time.Time
	UpdatedBy string
}

// EmailConfigInput is the Email Configuration form as submitted.
type EmailConfigInput struct {
	AccessType   string
	AccountLogon string
	// Password is the service account's password, or for Microsoft 365 the app's client
	// secret; empty keeps the saved one (of the same access type).
	Password   string
	EWSURL     string
	AuthMethod string
	// Tenant (a domain or a tenant ID) and ClientID: Microsoft 365 only.
	Tenant, ClientID string
	// BaseVersion is the Version of the configuration the form was made from (0 for a
	// new one): a save over someone else's newer save is refused.
	BaseVersion int64
	// Trail is the magic wand's result to keep with the configuration (may be nil).
	Trail *autodiscoverclient.Result
	// SyncFolders are the folders to sync (names of SyncFolderChoices); nil keeps the
	// saved selection (every folder for a new configuration), an empty list is an error.
	// A folder taken out of the selection is deleted from the store (each item reported
	// deleted in the change feed); one put back is synced again from scratch.
	SyncFolders []string
}

// GetEmailConfig returns an organization's email configuration, without its password.
func (s *Service) GetEmailConfig(ctx context.Context, p Principal, orgID int64) (EmailConfigView, error) {
	if err := orgAccess(p, orgID); err != nil {
		return EmailConfigView{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return EmailConfigView{}, err
	}
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return EmailConfigView{AccessType: AccessExchangeImpersonation, AuthMethod: string(checker.AuthNTLM), SyncFolders: syncer.AllFolders.Names()}, nil
	}
	if err != nil {
		return EmailConfigView{}, err
	}
	folders, err := syncer.ParseFolderList(c.SyncFolders)
	if err != nil {
		return EmailConfigView{}, fmt.Errorf("control: the saved folder selection: %w", err)
	}
	v := EmailConfigView{Exists: true, AccessType: c.AccessType, AccountLogon: c.AccountLogon, HasPassword: len(c.PasswordSealed) > 0,
		EWSURL: c.EWSURL, AuthMethod: c.AuthMethod, Tenant: c.Tenant, TenantID: c.TenantID, ClientID: c.ClientID,
		SyncFolders: folders.Names(), Version: c.Version, UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy}
	if c.AccessType == AccessMicrosoft365App && c.AuthMethod == string(AuthCertificate) {
		if pemText, err := s.cfg.Sealer.Open(c.PasswordSealed, passwordAAD(orgID)); err == nil {
			if cert, err := entra.ParseCertificatePEM(pemText); err == nil {
				v.CertificateThumbprint, v.CertificateExpires = cert.Thumbprint(), cert.Cert.NotAfter.UTC()
			}
		}
	}
	if c.AutodiscoverTrail != "" {
		var r autodiscoverclient.Result
		if json.Unmarshal([]byte(c.AutodiscoverTrail), &r) == nil {
			v.Trail = &r
		}
	}
	return v, nil
}

// passwordAAD binds a sealed password to its organization's configuration row.
func passwordAAD(orgID int64) string {
	return "mailbridge/email_config/" + strconv.FormatInt(orgID, 10) + "/password"
}

// resolvedConfig is a configuration ready to use: the password (or client secret) in
// clear, in memory only.
type resolvedConfig struct {
	accessType string
	logon      string
	password   string // or the client secret
	ewsURL     string
	auth       checker.AuthMethod
	// Microsoft 365: the tenant as entered and its ID (empty until resolved), the app's
	// client ID.
	tenant, tenantID, clientID string
}

// validate checks a form's values; with needURL false the EWS URL may be empty (the
// magic wand is about to find it). The password (or secret) may be empty when one of
// the same access type is saved.
func (s *Service) validate(in EmailConfigInput, saved store.EmailConfig, needURL bool) (resolvedConfig, *InputError) {
	ie := inputErr()
	rc := resolvedConfig{accessType: in.AccessType, password: in.Password, auth: checker.AuthMethod(strings.ToLower(strings.TrimSpace(in.AuthMethod)))}
	if rc.accessType == "" {
		rc.accessType = AccessExchangeImpersonation
	}
	known := false
	for _, a := range AccessTypes {
		known = known || a.Value == rc.accessType
	}
	if !known {
		ie.Fields["access_type"] = "Choose a mailbox access type."
		return rc, ie
	}
	hasSaved := len(saved.PasswordSealed) > 0 && saved.AccessType == rc.accessType
	if rc.accessType == AccessMicrosoft365App {
		return validateApp(rc, in, saved, hasSaved, s.now())
	}
	rc.logon = strings.TrimSpace(in.AccountLogon)
	switch {
	case rc.logon == "":
		ie.Fields["account_logon"] = "Enter the service account's logon: its email address (svc-sync@contoso.com) or DOMAIN\\user."
	case utf8.RuneCountInString(rc.logon) > 256 || strings.ContainsAny(rc.logon, "\r\n\t\x00"):
		ie.Fields["account_logon"] = "This is not an account logon."
	case strings.Contains(rc.logon, "@"):
		if _, msg := NormalizeEmail(rc.logon); msg != "" {
			ie.Fields["account_logon"] = msg
		}
	case strings.Count(rc.logon, `\`) != 1 || strings.HasPrefix(rc.logon, `\`) || strings.HasSuffix(rc.logon, `\`):
		ie.Fields["account_logon"] = `Enter the logon as an email address (svc-sync@contoso.com) or as DOMAIN\user.`
	}
	switch {
	case in.Password == "" && !hasSaved:
		ie.Fields["password"] = "Enter the service account's password."
	case len(in.Password) > 1024:
		ie.Fields["password"] = "This password is too long."
	}
	if rc.auth == "" {
		rc.auth = checker.AuthNTLM
	}
	if rc.auth != checker.AuthNTLM && rc.auth != checker.AuthBasic {
		ie.Fields["auth_method"] = "Choose NTLM or Basic."
	}
	raw := strings.TrimSpace(in.EWSURL)
	switch {
	case raw == "" && needURL:
		ie.Fields["ews_url"] = "Enter the EWS URL, or press the magic wand to find it."
	case raw != "":
		u, err := netguard.ValidateEndpointURL(raw, s.guard)
		if err != nil {
			ie.Fields["ews_url"] = describeURLError(err)
		} else {
			rc.ewsURL = u.String()
		}
	}
	if len(ie.Fields) > 0 {
		return rc, ie
	}
	return rc, nil
}

// parseSyncFolders reads a folder selection (nil: none given, 0), or says what is wrong
// with it.
func parseSyncFolders(names []string) (syncer.Folders, string) {
	if names == nil {
		return 0, ""
	}
	f, err := syncer.ParseFolders(names)
	switch {
	case err != nil:
		return 0, "Choose folders among " + syncFolderList() + "."
	case f == 0:
		return 0, "Choose at least one folder to sync."
	}
	return f, ""
}

// syncFolderList names the folders on offer: "inbox (Inbox), …".
func syncFolderList() string {
	parts := make([]string, len(SyncFolderChoices))
	for i, c := range SyncFolderChoices {
		parts[i] = c.Value + " (" + c.Label + ")"
	}
	return strings.Join(parts, ", ")
}

// describeURLError turns a URL validation error into a sentence for an admin.
func describeURLError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "netguard: ")
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// resolve validates a form and fills in the saved password when the field is empty.
func (s *Service) resolve(ctx context.Context, orgID int64, in EmailConfigInput, needURL bool) (resolvedConfig, error) {
	saved, err := s.st.GetEmailConfig(ctx, orgID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return resolvedConfig{}, err
	}
	rc, ie := s.validate(in, saved, needURL)
	if ie != nil {
		return rc, ie
	}
	if rc.password == "" {
		pw, err := s.cfg.Sealer.Open(saved.PasswordSealed, passwordAAD(orgID))
		if err != nil {
			return rc, fmt.Errorf("control: %w: enter the password again: %w", ErrSealedPasswordUnreadable, err)
		}
		rc.password = string(pw)
	}
	return rc, nil
}

// savedConfig returns the organization's saved configuration, ready to use.
func (s *Service) savedConfig(ctx context.Context, orgID int64) (resolvedConfig, error) {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return resolvedConfig{}, inputErr("email_config", "Save the Email Configuration first: the service account is needed for this.")
	}
	if err != nil {
		return resolvedConfig{}, err
	}
	pw, err := s.cfg.Sealer.Open(c.PasswordSealed, passwordAAD(orgID))
	if err != nil {
		return resolvedConfig{}, fmt.Errorf("control: %w: save the password again: %w", ErrSealedPasswordUnreadable, err)
	}
	return resolvedConfig{accessType: c.AccessType, logon: c.AccountLogon, password: string(pw), ewsURL: c.EWSURL, auth: checker.AuthMethod(c.AuthMethod),
		tenant: c.Tenant, tenantID: c.TenantID, clientID: c.ClientID}, nil
}

// SaveEmailConfig validates and saves an organization's email configuration; the
// password is sealed before it reaches the store. The configuration is saved as given:
// checking it first is the admin's button (RunCheck). A successful save activates sync
// for every user of the organization, as ActivateSync does: new users get a mailbox,
// mailboxes stopped after an access error are renewed, paused ones stay paused.
func (s *Service) SaveEmailConfig(ctx context.Context, p Principal, orgID int64, in EmailConfigInput) (EmailConfigView, error) {
	if err := orgAccess(p, orgID); err != nil {
		return EmailConfigView{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return EmailConfigView{}, err
	}
	saved, err := s.st.GetEmailConfig(ctx, orgID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return EmailConfigView{}, err
	}
	rc, ie := s.validate(in, saved, true)
	folders, msg := parseSyncFolders(in.SyncFolders)
	if msg != "" {
		if ie == nil {
			ie = inputErr()
		}
		ie.Fields["sync_folders"] = msg
	}
	if ie != nil {
		return EmailConfigView{}, ie
	}
	if rc.accessType == AccessMicrosoft365App && rc.tenantID == "" {
		// A domain: the tenant ID it belongs to is what tokens are asked for.
		if rc.tenantID, err = s.resolveTenant(ctx, rc.tenant); err != nil {
			return EmailConfigView{}, err
		}
	}
	c := store.EmailConfig{OrgID: orgID, AccessType: rc.accessType, AccountLogon: rc.logon, EWSURL: rc.ewsURL, AuthMethod: string(rc.auth),
		Tenant: rc.tenant, TenantID: rc.tenantID, ClientID: rc.clientID}
	if folders != 0 {
		c.SyncFolders = folders.String() // otherwise the saved selection stays
	}
	if in.Password != "" {
		if c.PasswordSealed, err = s.cfg.Sealer.Seal([]byte(in.Password), passwordAAD(orgID)); err != nil {
			return EmailConfigView{}, err
		}
	}
	if in.Trail != nil {
		b, err := json.Marshal(in.Trail)
		if err != nil {
			return EmailConfigView{}, err
		}
		c.AutodiscoverTrail = string(b)
	} else {
		c.AutodiscoverTrail = saved.AutodiscoverTrail
	}
	var accountID int64
	if p.Kind == Operator || p.Kind == OrgAdmin {
		accountID = p.AccountID
	}
	after, err := s.st.SaveEmailConfig(ctx, p.actor(), accountID, c, in.BaseVersion)
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return EmailConfigView{}, inputErr("version", "Someone else saved this configuration meanwhile. Reload the page to see their changes, then save again.")
		}
		return EmailConfigView{}, err
	}
	// Saved credentials are what sync runs on: every user's mailbox is synced from now
	// on, and those stopped after an access error are renewed.
	activated, err := s.activate(ctx, p, orgID)
	if err != nil {
		return EmailConfigView{}, fmt.Errorf("control: the configuration was saved, but sync was not activated: %w", err)
	}
	// Another folder selection applies at once: the other active mailboxes sync now.
	if saved.Version != 0 && after.SyncFolders != saved.SyncFolders {
		if err := s.wakeActive(ctx, orgID, activated); err != nil {
			return EmailConfigView{}, fmt.Errorf("control: the configuration was saved, but its folders apply at the next poll: %w", err)
		}
	}
	return s.GetEmailConfig(ctx, p, orgID)
}

// wakeActive tells Config.OnActivate of the organization's active mailboxes, except
// those it heard of already.
func (s *Service) wakeActive(ctx context.Context, orgID int64, except []int64) error {
	if s.cfg.OnActivate == nil {
		return nil
	}
	mbs, err := s.st.ListMailboxes(ctx, orgID)
	if err != nil {
		return err
	}
	var ids []int64
	for _, m := range mbs {
		if m.State == MailboxActive && !slices.Contains(except, m.UserID) {
			ids = append(ids, m.UserID)
		}
	}
	if len(ids) > 0 {
		s.cfg.OnActivate(ctx, orgID, ids)
	}
	return nil
}

// ewsClient returns an EWS client for a configuration, through the address guard.
func (s *Service) ewsClient(rc resolvedConfig) (*ewsclient.Client, error) {
	var auth ewsclient.Authenticator
	if rc.auth == checker.AuthBasic {
		auth = ewsclient.Basic(rc.logon, rc.password)
	} else {
		auth = ewsclient.NTLM(rc.logon, rc.password)
	}
	return ewsclient.New(rc.ewsURL, auth, ewsclient.Options{DialContext: s.dial, RootCAs: s.cfg.RootCAs, Observer: s.cfg.EWSObserver})
}

// checkerConfig returns the checker's view of a configuration.
func (s *Service) checkerConfig(rc resolvedConfig) checker.Config {
	return checker.Config{EWSURL: rc.ewsURL, ServiceAccount: rc.logon, Password: rc.password, Auth: rc.auth,
		RootCAs: s.cfg.RootCAs, DialContext: s.dial}
}

// exchangeFailure makes an EWS client's error an *ExchangeError with words for an
// admin, unless ctx ended: then nobody waits for an explanation.
func exchangeFailure(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("control: %s: %w", op, err)
	}
	return &ExchangeError{Op: op, Err: describeEWSError(err)}
}

// adminError is an error's text rewritten for an admin, with the error kept beneath.
type adminError struct {
	msg string
	err error
}

func (e *adminError) Error() string { return e.msg }
func (e *adminError) Unwrap() error { return e.err }

// describeEWSError turns an EWS client error into words for an admin.
func describeEWSError(err error) error {
	var ae *ewsclient.AuthError
	var be *netguard.BlockedError
	var re *ews.ResponseError
	var te *ewsclient.ThrottledError
	var ne net.Error
	var ce *tls.CertificateVerificationError
	var ue *url.Error
	msg := ""
	switch {
	case errors.As(err, &be):
		msg = be.Error()
	case errors.As(err, &ae):
		msg = "Exchange refused the service account's credentials (wrong password, unknown account, or an authentication method the server does not offer)"
	case errors.As(err, &te):
		msg = "Exchange is busy (throttling): try again in a minute"
	case errors.As(err, &ce):
		msg = "the server's TLS certificate is not trusted: " + ce.Err.Error()
	case errors.As(err, &re):
		msg = fmt.Sprintf("Exchange answered %s: %s", re.Code, re.Message)
	case errors.As(err, &ne) && ne.Timeout():
		msg = "the EWS server did not answer in time"
	case errors.As(err, &ue):
		msg = "the EWS server cannot be reached: " + ue.Err.Error()
	default:
		return err
	}
	return &adminError{msg: msg, err: err}
}
