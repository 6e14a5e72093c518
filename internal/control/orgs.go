package control

import (
	"context"
	"errors"

	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

// CreateOrganization creates an organization (operators only).
func (s *Service) CreateOrganization(ctx context.Context, p Principal, name string) (store.Organization, error) {
	if err := operatorOnly(p); err != nil {
		return store.Organization{}, err
	}
	name, msg := cleanName(name, "the organization's name", 200)
	if msg != "" {
		return store.Organization{}, inputErr("name", msg)
	}
	o, err := s.st.CreateOrganization(ctx, p.actor(), name)
	var dup *store.DuplicateError
	if errors.As(err, &dup) {
		return o, inputErr("name", "An organization named “"+name+"” exists already.")
	}
	return o, err
}

// ListOrganizations returns the organizations p may see.
func (s *Service) ListOrganizations(ctx context.Context, p Principal) ([]store.Organization, error) {
	if p.IsOperator() {
		return s.st.ListOrganizations(ctx)
	}
	if p.OrgID == 0 {
		return nil, ErrUnauthenticated
	}
	o, err := s.st.GetOrganization(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	return []store.Organization{o}, nil
}

// GetOrganization returns an organization p may see.
func (s *Service) GetOrganization(ctx context.Context, p Principal, orgID int64) (store.Organization, error) {
	if err := orgAccess(p, orgID); err != nil {
		return store.Organization{}, err
	}
	return s.st.GetOrganization(ctx, orgID)
}

// DeleteOrganization deletes an organization and everything it owns (operators only).
func (s *Service) DeleteOrganization(ctx context.Context, p Principal, orgID int64) error {
	if err := operatorOnly(p); err != nil {
		return err
	}
	if err := s.st.DeleteOrganization(ctx, p.actor(), orgID); err != nil {
		return err
	}
	if s.cfg.OnOrganizationDeleted != nil {
		s.cfg.OnOrganizationDeleted(ctx, orgID)
	}
	return nil
}

// NewAdmin is an organization admin to create.
type NewAdmin struct {
	Email    string
	Name     string
	Password string
}

// CreateOrgAdmin creates an organization's admin account (operators only).
func (s *Service) CreateOrgAdmin(ctx context.Context, p Principal, orgID int64, in NewAdmin) (store.Account, error) {
	if err := operatorOnly(p); err != nil {
		return store.Account{}, err
	}
	return s.createAccount(ctx, p, store.RoleOrgAdmin, orgID, in)
}

// CreateOperator creates an operator account. p is the operator creating it, or, for
// the first operator (`mailbridge admin create-operator`), an Operator principal
// labelled "cli".
func (s *Service) CreateOperator(ctx context.Context, p Principal, in NewAdmin) (store.Account, error) {
	if err := operatorOnly(p); err != nil {
		return store.Account{}, err
	}
	return s.createAccount(ctx, p, store.RoleOperator, 0, in)
}

func (s *Service) createAccount(ctx context.Context, p Principal, role store.Role, orgID int64, in NewAdmin) (store.Account, error) {
	ie := inputErr()
	email, msg := NormalizeEmail(in.Email)
	if msg != "" {
		ie.Fields["email"] = msg
	}
	name := in.Name
	if name != "" {
		if name, msg = cleanName(in.Name, "a name", 200); msg != "" {
			ie.Fields["name"] = msg
		}
	}
	if msg := checkNewPassword(in.Password); msg != "" {
		ie.Fields["password"] = msg
	}
	if len(ie.Fields) > 0 {
		return store.Account{}, ie
	}
	if orgID != 0 {
		if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
			return store.Account{}, err
		}
	}
	hash, err := secrets.HashPassword(in.Password, s.cfg.PasswordParams)
	if err != nil {
		return store.Account{}, err
	}
	acc, err := s.st.CreateAccount(ctx, p.actor(), store.Account{OrgID: orgID, Role: role, Email: email, Name: name, PasswordHash: hash})
	var dup *store.DuplicateError
	if errors.As(err, &dup) {
		return acc, inputErr("email", "An account with this address exists already.")
	}
	return acc, err
}

// ListOrgAdmins returns an organization's admins.
func (s *Service) ListOrgAdmins(ctx context.Context, p Principal, orgID int64) ([]store.Account, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListAccounts(ctx, orgID)
}

// DeleteOrgAdmin removes an organization's admin (operators only).
func (s *Service) DeleteOrgAdmin(ctx context.Context, p Principal, orgID, accountID int64) error {
	if err := operatorOnly(p); err != nil {
		return err
	}
	return s.st.DeleteAccount(ctx, p.actor(), orgID, accountID)
}

// Audit returns an organization's audit log, newest first (see store.ListAudit).
func (s *Service) Audit(ctx context.Context, p Principal, orgID, before int64, limit int) ([]store.AuditEntry, error) {
	if orgID == 0 {
		if err := operatorOnly(p); err != nil {
			return nil, err
		}
	} else if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListAudit(ctx, orgID, before, limit)
}

// ResetPassword sets a new password for an account, found by its address (operators
// only: `mailbridge admin reset-password`, the demo). Its sessions end.
func (s *Service) ResetPassword(ctx context.Context, p Principal, email, password string) error {
	if err := operatorOnly(p); err != nil {
		return err
	}
	if msg := checkNewPassword(password); msg != "" {
		return inputErr("password", msg)
	}
	acc, err := s.st.GetAccountByEmail(ctx, email)
	if err != nil {
		return err
	}
	hash, err := secrets.HashPassword(password, s.cfg.PasswordParams)
	if err != nil {
		return err
	}
	return s.st.SetAccountPassword(ctx, p.actor(), acc.ID, hash)
}
