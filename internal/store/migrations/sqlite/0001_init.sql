-- mailbridge schema version 1 (SQLite): organizations, the accounts that log in, the
-- mailboxes (users) of each organization, email configurations, check runs, sessions,
-- API tokens and the audit log.

CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organizations_name ON organizations (lower(name));

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'org_admin')),
    email         TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK ((role = 'operator') = (org_id IS NULL))
);
CREATE UNIQUE INDEX accounts_email ON accounts (email);
CREATE INDEX accounts_org ON accounts (org_id);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'unchecked',
    status_code    TEXT NOT NULL DEFAULT '',
    status_message TEXT NOT NULL DEFAULT '',
    checked_at     TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    UNIQUE (org_id, email)
);

CREATE TABLE email_configs (
    org_id             INTEGER PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    access_type        TEXT NOT NULL,
    account_logon      TEXT NOT NULL,
    password_sealed    BLOB NOT NULL,
    ews_url            TEXT NOT NULL,
    auth_method        TEXT NOT NULL,
    autodiscover_trail TEXT NOT NULL DEFAULT '',
    version            INTEGER NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    updated_by         INTEGER REFERENCES accounts (id) ON DELETE SET NULL
);

CREATE TABLE check_runs (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    started_by    TEXT NOT NULL,
    ews_url       TEXT NOT NULL,
    account_logon TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
    error         TEXT NOT NULL DEFAULT '',
    summary       TEXT NOT NULL DEFAULT '',
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP
);
CREATE INDEX check_runs_org ON check_runs (org_id, id);

CREATE TABLE check_results (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES check_runs (id) ON DELETE CASCADE,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_email TEXT NOT NULL DEFAULT '',
    check_name TEXT NOT NULL,
    status     TEXT NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    fix        TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX check_results_run ON check_results (run_id, id);

CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX api_tokens_org ON api_tokens (org_id);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    org_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
    at     TIMESTAMP NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
