// Package syncer mirrors mailboxes into the store, incrementally and crash-safely.
//
// For one mailbox, SyncMailbox first syncs the folder hierarchy (SyncFolderHierarchy)
// and decides which folders are synced, by the organization's selection (Folders): the
// Inbox, its subfolders, Sent Items, the Calendar and the Contacts, all by default. A
// folder taken out of the selection keeps no items (deleted, and recorded as deleted in
// the change feed); put back, it is synced from scratch. Then, per synced folder, it
// pages through SyncFolderItems
// from the folder's saved SyncState, asking only for ids and the one date that decides
// whether an item is inside the look-back window (a message's DateTimeReceived, an
// event's End); fetches what it stores with batched GetItem; and commits each page's
// items together with the folder's new SyncState in ONE store transaction that also
// checks the mailbox lease's fencing token. A crash anywhere loses nothing and
// duplicates nothing: the next run resumes from the last committed state, and re-applying
// a change is idempotent.
//
// An invalid or expired SyncState (ErrorInvalidSyncStateData) starts a full resync of
// the folder under a new generation: every item is read again, changed ones are updated,
// and when the pass ends the items it did not see are deleted — no duplicates, no stale
// items.
//
// The engine owns the Source interface it reads mailboxes through; EWSSource implements
// it over internal/ews/ewsclient, GraphSource over internal/graph (Microsoft Graph with
// app-only access), whose sync states are Graph's delta links and whose expired links
// (410, syncStateNotFound) start the same reconciling resync.
package syncer
