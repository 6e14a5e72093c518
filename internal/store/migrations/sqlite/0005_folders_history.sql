-- mailbridge schema version 5 (SQLite): the folders each organization syncs (a
-- comma-separated selection, see syncer.Folders), and each mailbox's status history: one
-- row per change of its state or status, the last 50 kept per mailbox.
ALTER TABLE email_configs ADD COLUMN sync_folders TEXT NOT NULL DEFAULT 'inbox,inbox_subfolders,sentitems,calendar,contacts';

CREATE TABLE mailbox_status_history (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES mailboxes (user_id) ON DELETE CASCADE,
    at             TIMESTAMP NOT NULL,
    state          TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_code    TEXT NOT NULL DEFAULT '',
    status_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mailbox_status_history_user ON mailbox_status_history (user_id, id);
