-- mailbridge schema version 9 (PostgreSQL): Microsoft Graph change-notification
-- subscriptions of the mailboxes of Microsoft 365 (app-only) organizations. Graph's
-- subscription id names the mailbox a notification is for; the clientState secret Graph
-- echoes in every notification is kept as its SHA-256 (hex) only, enough to check it and
-- useless to forge one.
CREATE TABLE graph_subscriptions (
    id         TEXT PRIMARY KEY,
    org_id     BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource   TEXT NOT NULL,
    state_hash TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, resource)
);
CREATE INDEX graph_subscriptions_org ON graph_subscriptions (org_id, expires_at);
