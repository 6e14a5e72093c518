package control

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/mailbridge/mailbridge/internal/store"
)

// ListUsers returns an organization's users.
func (s *Service) ListUsers(ctx context.Context, p Principal, orgID int64) ([]store.User, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListUsers(ctx, orgID)
}

// GetUser returns a user of an organization; a user of another organization is
// store.ErrNotFound.
func (s *Service) GetUser(ctx context.Context, p Principal, orgID, userID int64) (store.User, error) {
	if err := orgAccess(p, orgID); err != nil {
		return store.User{}, err
	}
	return s.st.GetUser(ctx, orgID, userID)
}

// AddUser adds one user to an organization.
func (s *Service) AddUser(ctx context.Context, p Principal, orgID int64, email, displayName string) (store.User, error) {
	if err := orgAccess(p, orgID); err != nil {
		return store.User{}, err
	}
	norm, msg := NormalizeEmail(email)
	if msg != "" {
		return store.User{}, inputErr("email", msg)
	}
	name := strings.TrimSpace(displayName)
	if name != "" {
		if name, msg = cleanName(name, "a display name", 256); msg != "" {
			return store.User{}, inputErr("display_name", msg)
		}
	}
	source := "manual"
	if p.Kind == OrgToken || p.Kind == OperatorToken {
		source = "api"
	}
	res, err := s.st.AddUsers(ctx, p.actor(), orgID, source, []store.NewUser{{Email: norm, DisplayName: name}}, false)
	var dup *store.DuplicateError
	if errors.As(err, &dup) {
		return store.User{}, inputErr("email", norm+" is already a user of this organization.")
	}
	if err != nil {
		return store.User{}, err
	}
	s.syncNewUsers(ctx, p, orgID)
	return res.Added[0], nil
}

// ImportResult tells what an import did.
type ImportResult struct {
	Added      int
	Existing   []string // already users, left as they were
	Duplicates int      // listed more than once
	Skipped    []string // group members that are not users (contacts, rooms, nested lists beyond the limit)
}

// ImportUsers adds the users of a pasted or uploaded list (see parseUserList for the
// forms understood). Either every line is understood and all new users are added, or
// nothing is added and an *ImportError lists the lines to fix. Users already in the
// organization are left as they are.
func (s *Service) ImportUsers(ctx context.Context, p Principal, orgID int64, list io.Reader) (ImportResult, error) {
	if err := orgAccess(p, orgID); err != nil {
		return ImportResult{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return ImportResult{}, err
	}
	entries, dupes, err := parseUserList(list)
	if err != nil {
		return ImportResult{}, err
	}
	nu := make([]store.NewUser, len(entries))
	for i, e := range entries {
		nu[i] = store.NewUser{Email: e.email, DisplayName: e.name}
	}
	res, err := s.st.AddUsers(ctx, p.actor(), orgID, "csv", nu, true)
	if err != nil {
		return ImportResult{}, err
	}
	if len(res.Added) > 0 {
		s.syncNewUsers(ctx, p, orgID)
	}
	return ImportResult{Added: len(res.Added), Existing: res.Skipped, Duplicates: dupes}, nil
}

// ImportGroup adds the members of an Exchange distribution group (ExpandDL through the
// saved service account; nested groups are followed). Members that are not people
// (contacts, public folders) are reported and skipped. Exchange failing to expand a
// group is an *ExchangeError; a saved password that cannot be decrypted is
// ErrSealedPasswordUnreadable.
func (s *Service) ImportGroup(ctx context.Context, p Principal, orgID int64, group string) (ImportResult, error) {
	if err := orgAccess(p, orgID); err != nil {
		return ImportResult{}, err
	}
	addr, msg := NormalizeEmail(group)
	if msg != "" {
		return ImportResult{}, inputErr("group", msg)
	}
	cfg, err := s.savedConfig(ctx, orgID)
	if err != nil {
		return ImportResult{}, err
	}
	if cfg.accessType == AccessMicrosoft365App {
		return ImportResult{}, inputErr("group", errGroupWithApp)
	}
	client, err := s.ewsClient(cfg)
	if err != nil {
		return ImportResult{}, err
	}
	exp, err := expandGroup(ctx, client, addr)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Skipped: exp.skipped}
	members := exp.members
	if len(members) == 0 {
		return res, inputErr("group", "The group "+addr+" has no members that are people.")
	}
	added, err := s.st.AddUsers(ctx, p.actor(), orgID, "group:"+addr, members, true)
	if err != nil {
		return ImportResult{}, err
	}
	res.Added, res.Existing = len(added.Added), added.Skipped
	if res.Added > 0 {
		s.syncNewUsers(ctx, p, orgID)
	}
	return res, nil
}

// RemoveUser removes a user from an organization: its sync stops and everything synced
// for it is deleted, each item recorded as deleted in the change feed.
func (s *Service) RemoveUser(ctx context.Context, p Principal, orgID, userID int64) error {
	if err := orgAccess(p, orgID); err != nil {
		return err
	}
	return s.st.RemoveUser(ctx, p.actor(), orgID, userID)
}

// syncNewUsers starts syncing users added to an organization whose sync is active (its
// Email Configuration is saved): joiners are synced with no further action. Mailboxes
// stopped after an access error stay stopped; only new credentials renew them. A failure
// here is not the addition's: the job runner's reconciler picks the users up later, so
// it is not returned.
func (s *Service) syncNewUsers(ctx context.Context, p Principal, orgID int64) {
	if _, err := s.st.GetEmailConfig(ctx, orgID); err != nil {
		return
	}
	ids, err := s.st.CreateMailboxes(ctx, p.actor(), orgID)
	if err == nil && len(ids) > 0 && s.cfg.OnActivate != nil {
		s.cfg.OnActivate(ctx, orgID, ids)
	}
}
