-- mailbridge schema version 4 (PostgreSQL): each mailbox's sync job generation (a job of
-- an older generation has been superseded, e.g. after its worker died) and a request to
-- sync again as soon as the running step ends (a notification during a step).
ALTER TABLE mailboxes ADD COLUMN job_gen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN wake_at TIMESTAMPTZ;
