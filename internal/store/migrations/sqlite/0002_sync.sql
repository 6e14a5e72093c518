-- mailbridge schema version 2 (SQLite): the sync engine's state. One mailbox per user
-- (its lease and status), the mailbox's folders with their sync states, the synced
-- items, and the change feed (every create, update and delete, in commit order).

CREATE TABLE mailboxes (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    org_id           INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    state            TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'stopped')),
    status           TEXT NOT NULL DEFAULT 'pending',
    status_code      TEXT NOT NULL DEFAULT '',
    status_message   TEXT NOT NULL DEFAULT '',
    hierarchy_state  TEXT NOT NULL DEFAULT '',
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_token      INTEGER NOT NULL DEFAULT 0,
    lease_expires_at TIMESTAMP,
    last_attempt_at  TIMESTAMP,
    last_success_at  TIMESTAMP,
    items            INTEGER NOT NULL DEFAULT 0,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX mailboxes_org ON mailboxes (org_id);

CREATE TABLE mailbox_folders (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES mailboxes (user_id) ON DELETE CASCADE,
    folder_id     TEXT NOT NULL,
    parent_id     TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    class         TEXT NOT NULL DEFAULT '',
    distinguished TEXT NOT NULL DEFAULT '',
    synced        BOOLEAN NOT NULL DEFAULT FALSE,
    sync_state    TEXT NOT NULL DEFAULT '',
    generation    INTEGER NOT NULL DEFAULT 1,
    complete      BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (user_id, folder_id)
);

CREATE TABLE items (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES mailboxes (user_id) ON DELETE CASCADE,
    folder      INTEGER NOT NULL REFERENCES mailbox_folders (id) ON DELETE CASCADE,
    item_id     TEXT NOT NULL,
    change_key  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('message', 'event', 'contact')),
    subject     TEXT NOT NULL DEFAULT '',
    sender      TEXT NOT NULL DEFAULT '',
    item_time   TIMESTAMP,
    end_time    TIMESTAMP,
    is_read     BOOLEAN NOT NULL DEFAULT FALSE,
    data        TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (user_id, item_id)
);
CREATE INDEX items_folder ON items (folder, generation);
CREATE INDEX items_user_time ON items (user_id, kind, item_time);

CREATE TABLE changes (
    seq     INTEGER PRIMARY KEY,
    org_id  INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    op      TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    at      TIMESTAMP NOT NULL
);
CREATE INDEX changes_org ON changes (org_id, seq);
