// Package store keeps mailbridge's state: organizations, the accounts that log in to the
// admin panel (operators and organization admins), each organization's users (the
// mailboxes it syncs, each with its status history), its email configuration (with the
// folders it syncs), check runs with their per-user results, browser sessions, API tokens
// and the audit log; and the synced items with the organization's change feed, read by
// the data APIs (items.go: keyset-paged listings, each upsert of the feed with its item's
// current content).
//
// One Store type works over SQLite (embedded, the default: a file in the data directory)
// and PostgreSQL (for several nodes). Queries are written once, with ? placeholders that
// are rewritten for PostgreSQL; the schema is an ordered list of migrations per dialect
// (migrations/sqlite, migrations/postgres), each applied in its own transaction, and Open
// refuses a database whose schema is older or newer than this build unless asked to
// migrate. The conformance suite in storetest runs against both.
//
// Every method that reads or changes an organization's data takes the organization's id
// and puts it in the WHERE clause, so a caller that passes the wrong id finds nothing
// (ErrNotFound) rather than another organization's rows. Every change that an admin makes
// writes its audit entry in the same transaction as the change itself.
//
// Secrets are stored only in forms that cannot be read back: the service account's
// password sealed by the caller (see internal/secrets), passwords as argon2id hashes,
// session and API tokens as SHA-256 hashes.
package store
