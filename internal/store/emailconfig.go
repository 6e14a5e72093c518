package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
)

// EmailConfig is how mailbridge reaches an organization's mailboxes: the seed's "Email
// Configuration" tab.
type EmailConfig struct {
	OrgID int64
	// AccessType is the mailbox access type, e.g. "exchange_impersonation".
	AccessType   string
	AccountLogon string
	// PasswordSealed is the configuration's secret sealed by the caller (bound to the
	// organization): the service account's password, or the app's client secret. Never
	// the secret itself.
	PasswordSealed []byte
	// Tenant is the Microsoft 365 tenant as the admin entered it (a domain or an ID),
	// TenantID the tenant ID it resolved to, ClientID the app registration's; empty for
	// EWS impersonation.
	Tenant, TenantID, ClientID string
	EWSURL                     string
	AuthMethod                 string // "ntlm" or "basic"
	// AutodiscoverTrail is the last magic-wand run, as JSON.
	AutodiscoverTrail string
	// SyncFolders is the selection of folders the organization's mailboxes sync, as
	// comma-separated names (see syncer.Folders; the store does not interpret it). An
	// empty value given to SaveEmailConfig keeps the saved selection, or the default
	// (every folder) for a new configuration.
	SyncFolders string
	// Version increases with every save: SaveEmailConfig refuses a save based on an
	// older version (two admins editing at once).
	Version   int64
	UpdatedAt time.Time
	UpdatedBy string // the label of the last actor
}

// GetEmailConfig returns an organization's email configuration, or ErrNotFound when it
// has none yet.
func (s *Store) GetEmailConfig(ctx context.Context, orgID int64) (EmailConfig, error) {
	c := EmailConfig{OrgID: orgID}
	var by sql.NullString
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT c.access_type, c.account_logon, c.password_sealed, c.ews_url, c.auth_method,
			c.autodiscover_trail, c.sync_folders, c.tenant, c.tenant_id, c.client_id, c.version, c.updated_at, a.email
		FROM email_configs c LEFT JOIN accounts a ON a.id = c.updated_by WHERE c.org_id = ?`), orgID).
		Scan(&c.AccessType, &c.AccountLogon, &c.PasswordSealed, &c.EWSURL, &c.AuthMethod, &c.AutodiscoverTrail, &c.SyncFolders,
			&c.Tenant, &c.TenantID, &c.ClientID, &c.Version, &c.UpdatedAt, &by)
	c.UpdatedAt, c.UpdatedBy = c.UpdatedAt.UTC(), by.String
	return c, wrap("get email configuration", err)
}

// ErrNoPassword: a first save without a password.
var ErrNoPassword = errors.New("store: the configuration has no saved password")

// SaveEmailConfig creates or replaces an organization's email configuration.
// baseVersion is the Version the change was made from (0 when there was none): if the
// stored configuration has moved on since, the save fails with ErrConflict. A nil
// PasswordSealed keeps the saved password (ErrNoPassword if there is none), an empty
// SyncFolders the saved selection. accountID, when not 0, is recorded as the last editor.
// It returns the saved configuration.
func (s *Store) SaveEmailConfig(ctx context.Context, a Actor, accountID int64, c EmailConfig, baseVersion int64) (EmailConfig, error) {
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var old EmailConfig
		err := tx.QueryRowContext(ctx, s.q(`SELECT access_type, account_logon, password_sealed, ews_url, auth_method, sync_folders,
			tenant, tenant_id, client_id, version FROM email_configs WHERE org_id = ?`), c.OrgID).
			Scan(&old.AccessType, &old.AccountLogon, &old.PasswordSealed, &old.EWSURL, &old.AuthMethod, &old.SyncFolders,
				&old.Tenant, &old.TenantID, &old.ClientID, &old.Version)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if old.Version != baseVersion {
			return ErrConflict
		}
		passwordChanged := c.PasswordSealed != nil
		if !passwordChanged {
			if !exists {
				return ErrNoPassword
			}
			c.PasswordSealed = old.PasswordSealed
		}
		if c.SyncFolders == "" {
			c.SyncFolders = old.SyncFolders // "" for a new configuration: the column's default
		}
		c.Version, c.UpdatedAt = old.Version+1, now
		if exists {
			var res sql.Result
			res, err = tx.ExecContext(ctx, s.q(`UPDATE email_configs SET access_type = ?, account_logon = ?, password_sealed = ?, ews_url = ?,
				auth_method = ?, autodiscover_trail = ?, sync_folders = ?, tenant = ?, tenant_id = ?, client_id = ?, version = ?, updated_at = ?, updated_by = ?
				WHERE org_id = ? AND version = ?`),
				c.AccessType, c.AccountLogon, c.PasswordSealed, c.EWSURL, c.AuthMethod, c.AutodiscoverTrail, c.SyncFolders, c.Tenant, c.TenantID, c.ClientID,
				c.Version, now, nullID(accountID), c.OrgID, old.Version)
			if err == nil {
				// A concurrent save that committed first moved the version: on PostgreSQL
				// this UPDATE then matches no row.
				if n, rerr := res.RowsAffected(); rerr != nil {
					err = rerr
				} else if n == 0 {
					return ErrConflict
				}
			}
		} else {
			// Without a selection the column's default applies: every folder.
			cols, marks := "", ""
			args := []any{c.OrgID, c.AccessType, c.AccountLogon, c.PasswordSealed, c.EWSURL, c.AuthMethod, c.AutodiscoverTrail,
				c.Tenant, c.TenantID, c.ClientID, c.Version, now, nullID(accountID)}
			if c.SyncFolders != "" {
				cols, marks = ", sync_folders", ", ?"
				args = append(args, c.SyncFolders)
			}
			err = tx.QueryRowContext(ctx, s.q(`INSERT INTO email_configs (org_id, access_type, account_logon, password_sealed, ews_url,
				auth_method, autodiscover_trail, tenant, tenant_id, client_id, version, updated_at, updated_by`+cols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`+marks+`)
				RETURNING sync_folders`), args...).Scan(&c.SyncFolders)
		}
		switch {
		case isForeignKey(err):
			return ErrNotFound
		case isUnique(err):
			return ErrConflict
		case err != nil:
			return err
		}
		detail := map[string]string{"version": strconv.FormatInt(c.Version, 10)}
		changed := func(name, before, after string) {
			if before != after {
				detail[name] = after
			}
		}
		changed("access_type", old.AccessType, c.AccessType)
		changed("account_logon", old.AccountLogon, c.AccountLogon)
		changed("ews_url", old.EWSURL, c.EWSURL)
		changed("auth_method", old.AuthMethod, c.AuthMethod)
		changed("sync_folders", old.SyncFolders, c.SyncFolders)
		changed("tenant", old.Tenant, c.Tenant)
		changed("tenant_id", old.TenantID, c.TenantID)
		changed("client_id", old.ClientID, c.ClientID)
		if passwordChanged {
			detail["password"] = "changed"
		}
		subject := c.AccountLogon
		if subject == "" {
			subject = c.ClientID
		}
		return s.audit(ctx, tx, c.OrgID, a, "email_config.save", subject, detail)
	})
	if err != nil {
		return EmailConfig{}, wrap("save email configuration", err)
	}
	return c, nil
}
