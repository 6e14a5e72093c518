package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/store"
)

// A mailbox's sync state: what the admin wants (store.Mailbox.State).
const (
	MailboxActive  = "active"  // synced
	MailboxPaused  = "paused"  // paused by an admin until resumed
	MailboxStopped = "stopped" // stopped by the engine after an access error, until renewed
)

// A mailbox's sync status: how syncing goes (store.Mailbox.Status).
const (
	SyncPending = "pending" // not synced yet
	SyncSyncing = "syncing"
	SyncOK      = "ok"
	SyncError   = "error"
)

// The status codes the sync engine records on a mailbox. Those named like the checker's
// codes (auth_failed, impersonation_denied, no_mailbox, mailbox_moving, throttled,
// unreachable) mean the same thing, found while syncing instead of while checking.
const (
	SyncCodeAuthFailed          = string(checker.CodeAuthFailed)
	SyncCodeImpersonationDenied = string(checker.CodeImpersonationDenied)
	SyncCodeNoMailbox           = string(checker.CodeNoMailbox)
	SyncCodeMailboxMoving       = string(checker.CodeMailboxMoving)
	SyncCodeThrottled           = string(checker.CodeThrottled)
	SyncCodeSyncStateReset      = "sync_state_reset"
	SyncCodeExchangeError       = "exchange_error"
	SyncCodeUnreachable         = string(checker.CodeUnreachable)
)

// SyncCodeInfo documents a status code of the sync engine for admins.
type SyncCodeInfo struct {
	Code    string
	Message string // what happened, in plain words
	Fix     string // what to do about it
}

// SyncCodeInfos returns the sync engine's status codes with their explanations.
func SyncCodeInfos() []SyncCodeInfo {
	return []SyncCodeInfo{
		{SyncCodeAuthFailed,
			"Exchange refused the service account's password. Every mailbox of the organization is stopped until new credentials are saved: " +
				"retrying would lock the account out in Active Directory.",
			"Enter the service account's current password on the Email Configuration tab and save it: every stopped mailbox then syncs again. " +
				"If the account was locked out meanwhile, unlock it first (Unlock-ADAccount)."},
		{SyncCodeImpersonationDenied,
			"Exchange refused to let the service account impersonate this user (ErrorImpersonateUserDenied): the account lacks the " +
				"ApplicationImpersonation role, or this user is outside the role's management scope.",
			"Run the check on the Email Configuration tab: it tells a missing role from a user outside the scope and gives the PowerShell " +
				"for either. Then save the Email Configuration, or resume this mailbox."},
		{SyncCodeNoMailbox,
			"This user has no Exchange mailbox (ErrorNonExistentMailbox): the address is wrong, the mailbox was deleted, or it has no license.",
			"Check the address; give the user a mailbox and a license (Enable-Mailbox), or remove the user from the organization if they have left."},
		{SyncCodeMailboxMoving,
			"The mailbox is being moved to another database or server, and Exchange refuses access until the move ends. Syncing resumes by itself.",
			"Nothing to do. If it lasts more than a day, look at the move (Get-MoveRequest -Identity <user>)."},
		{SyncCodeThrottled,
			"Exchange asked mailbridge to slow down (ErrorServerBusy, too many connections). Syncing waits as long as Exchange asks, then goes on.",
			"Nothing to do if it passes. If it persists, give the service account a throttling policy with higher EWS limits " +
				"(New-ThrottlingPolicy, Set-ThrottlingPolicyAssociation)."},
		{SyncCodeSyncStateReset,
			"Exchange no longer accepted a folder's saved sync state (ErrorInvalidSyncStateData, for instance expired), so the folder is read " +
				"again in full and reconciled with what is stored: nothing is lost or duplicated.",
			"Nothing to do: the resync runs by itself."},
		{SyncCodeExchangeError,
			"Exchange answered with an error that has no code of its own here; the detail names it. Syncing tries again later.",
			"If it persists, look the EWS response code up in the Exchange documentation, and run the check on the Email Configuration tab."},
		{SyncCodeUnreachable,
			"The EWS server could not be reached (DNS name unknown, connection refused or timed out). Syncing tries again later.",
			"Check the EWS URL on the Email Configuration tab, and that mailbridge can reach it (firewall, DNS, proxy)."},
	}
}

// checkerFixes are fixes for the checker's codes that the engine may report besides its
// own; the others get checkerFix.
var checkerFixes = map[checker.Code]string{
	checker.CodeOutOfScope: "Bring the user into the management scope of the service account's ApplicationImpersonation role " +
		"(the check on the Email Configuration tab gives the PowerShell), then resume this mailbox.",
	checker.CodeNoRoleLikely: "Give the service account the ApplicationImpersonation role (the check on the Email Configuration tab " +
		"gives the PowerShell), then save the Email Configuration.",
	checker.CodeAccessDenied: "Allow EWS for the user (Get-CASMailbox <user> | Format-List EwsEnabled,EwsApplicationAccessPolicy), " +
		"then resume this mailbox.",
	checker.CodeUnknownUser: "Check the address, or remove the user from the organization if they have left.",
	checker.CodeTLSInvalid:  "Renew or fix the server's certificate (or trust its authority), then save the Email Configuration.",
	checker.CodeEWSBlocked:  "Turn EWS on for the organization and the service account (Get-OrganizationConfig, Get-CASMailbox: EwsEnabled).",
	checker.CodeMailboxUnavailable: "Nothing to do if it passes; otherwise check the mailbox database's health " +
		"(Get-MailboxDatabaseCopyStatus).",
}

// checkerFix is the fix of a checker code without one of its own above.
const checkerFix = "Run the check on the Email Configuration tab: its result for this user says what to do."

// ExplainSyncCode returns a mailbox status code in plain words and what to do about it:
// the engine's own codes first, then the checker's (whose meaning it reuses). Both are
// empty for no code, "ok", or a code nobody documented.
func ExplainSyncCode(code string) (message, fix string) {
	if code == "" || code == string(checker.CodeOK) {
		return "", ""
	}
	for _, c := range SyncCodeInfos() {
		if c.Code == code {
			return c.Message, c.Fix
		}
	}
	for _, c := range checker.CodeInfos() {
		if string(c.Code) == code {
			fix, ok := checkerFixes[c.Code]
			if !ok {
				fix = checkerFix
			}
			return sentence(c.Meaning), fix
		}
	}
	return "", ""
}

// sentence capitalizes s and ends it with a full stop.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// MailboxView is a user's mailbox as admins see it: how its sync goes, with the status
// code explained. The engine's lease and sync states are not shown.
type MailboxView struct {
	UserID int64
	OrgID  int64
	Email  string
	State  string // MailboxActive, MailboxPaused, MailboxStopped
	Status string // SyncPending, SyncSyncing, SyncOK, SyncError
	// StatusCode is the engine's code for the status (SyncCodeInfos, or a checker code);
	// StatusMessage its own words about this mailbox (an EWS error's text, say).
	StatusCode    string
	StatusMessage string
	// Meaning says what StatusCode means, in plain words; Fix what to do about it. Both
	// are empty when there is no code or it is not documented.
	Meaning       string
	Fix           string
	LastAttemptAt *time.Time
	LastSuccessAt *time.Time
	Items         int64 // items stored
}

// mailboxView describes a mailbox; app says the organization reads its mailboxes
// through Microsoft Graph with an app registration (the codes are explained in its
// words).
func mailboxView(m store.Mailbox, app bool) MailboxView {
	v := MailboxView{UserID: m.UserID, OrgID: m.OrgID, Email: m.Email, State: m.State, Status: m.Status, StatusCode: m.StatusCode,
		StatusMessage: m.StatusMessage, LastAttemptAt: m.LastAttemptAt, LastSuccessAt: m.LastSuccessAt, Items: m.Items}
	v.Meaning, v.Fix = explainSyncCode(m.StatusCode, app)
	return v
}

// MailboxFilter selects mailboxes; its zero value selects all.
type MailboxFilter struct {
	Status string // SyncPending, SyncSyncing, SyncOK, SyncError, or "" for any
	State  string // MailboxActive, MailboxPaused, MailboxStopped, or "" for any
	// Query keeps the mailboxes whose address contains it (case does not matter).
	Query string
}

// check validates a filter and normalizes its query.
func (f MailboxFilter) check() (MailboxFilter, error) {
	ie := inputErr()
	switch f.Status {
	case "", SyncPending, SyncSyncing, SyncOK, SyncError:
	default:
		ie.Fields["status"] = "Choose a status: pending, syncing, ok or error."
	}
	switch f.State {
	case "", MailboxActive, MailboxPaused, MailboxStopped:
	default:
		ie.Fields["state"] = "Choose a state: active, paused or stopped."
	}
	if len(ie.Fields) > 0 {
		return f, ie
	}
	f.Query = strings.ToLower(strings.TrimSpace(f.Query))
	return f, nil
}

func (f MailboxFilter) match(m store.Mailbox) bool {
	return (f.Status == "" || m.Status == f.Status) && (f.State == "" || m.State == f.State) &&
		(f.Query == "" || strings.Contains(strings.ToLower(m.Email), f.Query))
}

// ListMailboxes returns the organization's mailboxes that match the filter, by address.
// Users get a mailbox when sync is activated (a save of the Email Configuration): before
// that the list is empty. An unknown status or state is an *InputError.
func (s *Service) ListMailboxes(ctx context.Context, p Principal, orgID int64, filter MailboxFilter) ([]MailboxView, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	f, err := filter.check()
	if err != nil {
		return nil, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	all, err := s.st.ListMailboxes(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := []MailboxView{}
	app := s.isApp(ctx, orgID)
	for _, m := range all {
		if f.match(m) {
			out = append(out, mailboxView(m, app))
		}
	}
	return out, nil
}

// GetMailbox returns a user's mailbox; a user of another organization, or one whose
// sync was never activated, is store.ErrNotFound.
func (s *Service) GetMailbox(ctx context.Context, p Principal, orgID, userID int64) (MailboxView, error) {
	if err := orgAccess(p, orgID); err != nil {
		return MailboxView{}, err
	}
	m, err := s.st.GetMailbox(ctx, orgID, userID)
	if err != nil {
		return MailboxView{}, err
	}
	return mailboxView(m, s.isApp(ctx, orgID)), nil
}

// PauseMailbox stops syncing a user's mailbox until an admin resumes it; saving the
// Email Configuration leaves it paused. Pausing a paused mailbox changes nothing.
func (s *Service) PauseMailbox(ctx context.Context, p Principal, orgID, userID int64) (MailboxView, error) {
	return s.setMailboxState(ctx, p, orgID, userID, MailboxPaused)
}

// ResumeMailbox syncs a paused mailbox again, or one the engine stopped after an access
// error (without waiting for a save of the Email Configuration). Resuming an active
// mailbox changes nothing.
func (s *Service) ResumeMailbox(ctx context.Context, p Principal, orgID, userID int64) (MailboxView, error) {
	return s.setMailboxState(ctx, p, orgID, userID, MailboxActive)
}

func (s *Service) setMailboxState(ctx context.Context, p Principal, orgID, userID int64, state string) (MailboxView, error) {
	if err := orgAccess(p, orgID); err != nil {
		return MailboxView{}, err
	}
	m, err := s.st.GetMailbox(ctx, orgID, userID)
	if err != nil {
		return MailboxView{}, err
	}
	if m.State == state {
		return mailboxView(m, s.isApp(ctx, orgID)), nil
	}
	if err := s.st.SetMailboxState(ctx, p.actor(), orgID, userID, state); err != nil {
		return MailboxView{}, err
	}
	if state == MailboxActive && s.cfg.OnActivate != nil {
		s.cfg.OnActivate(ctx, orgID, []int64{userID})
	}
	if m, err = s.st.GetMailbox(ctx, orgID, userID); err != nil {
		return MailboxView{}, err
	}
	return mailboxView(m, s.isApp(ctx, orgID)), nil
}

// SyncSummary sums up how the sync of an organization's mailboxes goes. Each mailbox is
// counted once: paused and stopped ones by their state, active ones by their status.
type SyncSummary struct {
	Total   int // mailboxes (users whose sync was activated)
	Pending int // active, not synced yet
	Syncing int
	OK      int
	Error   int // active, failing (the engine retries)
	Paused  int
	Stopped int // stopped by the engine until new credentials are saved
	// Items counts the items stored, of every mailbox.
	Items int64
	// OldestSuccess is the oldest last successful sync among the mailboxes not paused
	// (nil when none has synced yet), and Lag the time since: how old the oldest data
	// is. NeverSynced counts the mailboxes not paused that have never synced.
	OldestSuccess *time.Time
	Lag           time.Duration
	NeverSynced   int
}

// MailboxSummary sums up the organization's mailboxes (see SyncSummary).
func (s *Service) MailboxSummary(ctx context.Context, p Principal, orgID int64) (SyncSummary, error) {
	if err := orgAccess(p, orgID); err != nil {
		return SyncSummary{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return SyncSummary{}, err
	}
	all, err := s.st.ListMailboxes(ctx, orgID)
	if err != nil {
		return SyncSummary{}, err
	}
	var sum SyncSummary
	for _, m := range all {
		sum.Total++
		sum.Items += m.Items
		switch {
		case m.State == MailboxPaused:
			sum.Paused++
			continue
		case m.State == MailboxStopped:
			sum.Stopped++
		case m.Status == SyncSyncing:
			sum.Syncing++
		case m.Status == SyncOK:
			sum.OK++
		case m.Status == SyncError:
			sum.Error++
		default:
			sum.Pending++
		}
		switch {
		case m.LastSuccessAt == nil:
			sum.NeverSynced++
		case sum.OldestSuccess == nil || m.LastSuccessAt.Before(*sum.OldestSuccess):
			t := *m.LastSuccessAt
			sum.OldestSuccess = &t
		}
	}
	if sum.OldestSuccess != nil {
		sum.Lag = max(s.now().Sub(*sum.OldestSuccess), 0)
	}
	return sum, nil
}

// ActivateSync syncs every user of the organization: users without a mailbox get one,
// and mailboxes the engine stopped after an access error are renewed; paused ones stay
// paused. It returns the users whose mailbox became active, and tells Config.OnActivate.
// Saving the Email Configuration does the same; without a saved configuration there is
// nothing to sync with (an *InputError).
func (s *Service) ActivateSync(ctx context.Context, p Principal, orgID int64) ([]int64, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	if _, err := s.st.GetEmailConfig(ctx, orgID); errors.Is(err, store.ErrNotFound) {
		return nil, inputErr("email_config", "Save the Email Configuration first: mailboxes are synced through its service account.")
	} else if err != nil {
		return nil, err
	}
	return s.activate(ctx, p, orgID)
}

// activate is ActivateSync once p's access is checked.
func (s *Service) activate(ctx context.Context, p Principal, orgID int64) ([]int64, error) {
	ids, err := s.st.ActivateMailboxes(ctx, p.actor(), orgID)
	if err != nil {
		return nil, fmt.Errorf("control: activate sync: %w", err)
	}
	if len(ids) > 0 && s.cfg.OnActivate != nil {
		s.cfg.OnActivate(ctx, orgID, ids)
	}
	return ids, nil
}

// StatusChangeView is one entry of a mailbox's status history, with its code explained.
type StatusChangeView struct {
	At      time.Time
	State   string // MailboxActive, MailboxPaused, MailboxStopped
	Status  string // SyncPending, SyncSyncing, SyncOK, SyncError
	Code    string
	Message string
	Meaning string // what Code means, in plain words ("" when undocumented or none)
}

// MailboxHistory returns the last changes of a mailbox's state and status (at most
// store.HistoryKeep), newest first. A user of another organization, or one whose sync
// was never activated, is store.ErrNotFound.
func (s *Service) MailboxHistory(ctx context.Context, p Principal, orgID, userID int64) ([]StatusChangeView, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	if _, err := s.st.GetMailbox(ctx, orgID, userID); err != nil {
		return nil, err
	}
	hist, err := s.st.MailboxHistory(ctx, orgID, userID)
	if err != nil {
		return nil, err
	}
	out := make([]StatusChangeView, len(hist))
	app := s.isApp(ctx, orgID)
	for i, h := range hist {
		out[i] = StatusChangeView{At: h.At, State: h.State, Status: h.Status, Code: h.Code, Message: h.Message}
		out[i].Meaning, _ = explainSyncCode(h.Code, app)
	}
	return out, nil
}

// KindCount is how many items of a kind a mailbox has stored.
type KindCount struct {
	Kind string // "message", "event", "contact"
	N    int64
}

// MailboxDetail is everything the admin panel shows of one mailbox.
type MailboxDetail struct {
	Mailbox MailboxView
	// Items counts the stored items by kind: messages, events, contacts, in that order
	// (kinds without items included).
	Items   []KindCount
	History []StatusChangeView // newest first
}

// GetMailboxDetail returns a mailbox with its items by kind and its status history. A
// user of another organization, or one whose sync was never activated, is
// store.ErrNotFound.
func (s *Service) GetMailboxDetail(ctx context.Context, p Principal, orgID, userID int64) (MailboxDetail, error) {
	m, err := s.GetMailbox(ctx, p, orgID, userID)
	if err != nil {
		return MailboxDetail{}, err
	}
	d := MailboxDetail{Mailbox: m}
	kinds, err := s.st.CountItemsByKind(ctx, orgID, userID)
	if err != nil {
		return MailboxDetail{}, err
	}
	for _, k := range []string{"message", "event", "contact"} {
		d.Items = append(d.Items, KindCount{Kind: k, N: kinds[k]})
	}
	if d.History, err = s.MailboxHistory(ctx, p, orgID, userID); err != nil {
		return MailboxDetail{}, err
	}
	return d, nil
}
