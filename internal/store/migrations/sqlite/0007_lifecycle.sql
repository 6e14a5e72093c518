-- mailbridge schema version 7 (SQLite): joiners, leavers and retention. An
-- organization's kept distribution groups ("group sources"), whose membership is re-read
-- on a schedule, with the outcome of the last read (a removal held for an admin's
-- confirmation keeps the addresses it would remove); and how many days of items an
-- organization keeps (0: forever).
ALTER TABLE organizations ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;

CREATE TABLE group_sources (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    address      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    last_read_at TIMESTAMP,
    status       TEXT NOT NULL DEFAULT '' CHECK (status IN ('', 'ok', 'error', 'held')),
    message      TEXT NOT NULL DEFAULT '',
    members      INTEGER NOT NULL DEFAULT 0,
    added        INTEGER NOT NULL DEFAULT 0,
    removed      INTEGER NOT NULL DEFAULT 0,
    held         TEXT NOT NULL DEFAULT '',
    UNIQUE (org_id, address)
);
