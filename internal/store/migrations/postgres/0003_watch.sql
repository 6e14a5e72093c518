-- mailbridge schema version 3 (PostgreSQL): named leases, for work that one node of
-- several does at a time, such as watching an organization's mailboxes for streaming
-- notifications ("watch:org:<id>"). The token is a fencing token: it grows with every
-- new holder.

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL DEFAULT '',
    token      BIGINT NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ
);
