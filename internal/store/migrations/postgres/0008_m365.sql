-- mailbridge schema version 8 (PostgreSQL): the "Microsoft 365 (app-only)" access type. Its
-- configuration names the tenant as the admin entered it (a domain or an ID) and as
-- resolved (the tenant ID), and the app registration's client ID; the client secret is
-- sealed in password_sealed, as the service account's password is for EWS.
ALTER TABLE email_configs ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
ALTER TABLE email_configs ADD COLUMN tenant_id TEXT NOT NULL DEFAULT '';
ALTER TABLE email_configs ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
