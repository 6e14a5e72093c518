-- mailbridge schema version 6 (SQLite): webhooks and alerts. Each organization's webhook
-- subscriptions (secrets sealed, the previous one kept during a rotation, the change
-- feed's cursor of each), the deliveries waiting or done (an outbox: status events are
-- queued in the transaction that raises them), the log of delivery attempts (bounded per
-- subscription), the incidents alerts are sent for (at most one unresolved per
-- organization and kind), and the mailbox statuses last reported to subscribers.

CREATE TABLE webhooks (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    events                 TEXT NOT NULL,
    active                 BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason        TEXT NOT NULL DEFAULT '',
    secret_sealed          BLOB NOT NULL,
    previous_secret_sealed BLOB,
    previous_expires_at    TIMESTAMP,
    change_cursor          INTEGER NOT NULL DEFAULT 0,
    created_by             TEXT NOT NULL DEFAULT '',
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    org_id          INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uid             TEXT NOT NULL UNIQUE,
    event           TEXT NOT NULL CHECK (event IN ('changes', 'status', 'ping')),
    payload         TEXT NOT NULL DEFAULT '',
    from_seq        INTEGER NOT NULL DEFAULT 0,
    to_seq          INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    completed_at    TIMESTAMP
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, state, id);

CREATE TABLE webhook_attempts (
    id            INTEGER PRIMARY KEY,
    webhook_id    INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery_uid  TEXT NOT NULL,
    event         TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    at            TIMESTAMP NOT NULL,
    status_code   INTEGER NOT NULL DEFAULT 0,
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    next_retry_at TIMESTAMP
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, id);

CREATE TABLE incidents (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind                TEXT NOT NULL,
    detected_at         TIMESTAMP NOT NULL,
    opened_at           TIMESTAMP,
    resolved_at         TIMESTAMP,
    summary             TEXT NOT NULL DEFAULT '',
    mailboxes           INTEGER NOT NULL DEFAULT 0,
    emailed_at          TIMESTAMP,
    recovery_emailed_at TIMESTAMP
);
CREATE UNIQUE INDEX incidents_unresolved ON incidents (org_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX incidents_org ON incidents (org_id, id);

CREATE TABLE mailbox_status_seen (
    user_id     INTEGER PRIMARY KEY REFERENCES mailboxes (user_id) ON DELETE CASCADE,
    org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    status      TEXT NOT NULL,
    status_code TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mailbox_status_seen_org ON mailbox_status_seen (org_id);
