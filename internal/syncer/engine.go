package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// Options tune the engine.
type Options struct {
	// LookBack limits the initial sync to items of the last LookBack (messages received,
	// events ended); default 90 days. SyncFolderItems has no date filter: older items are
	// skipped by their date.
	LookBack time.Duration
	// PageSize is SyncFolderItems' MaxChangesReturned (1–512); default 512.
	PageSize int
	// FullBody stores message bodies (as text), not only their preview.
	FullBody bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// StepBudget bounds one SyncMailbox call: once it is spent, the call stops at the next
	// page boundary and returns ErrMore (the job runner then continues in a new step, so
	// that no job runs long and a crashed worker's mailboxes are picked up quickly). Zero
	// means no bound.
	StepBudget time.Duration
	// Failpoint, if set, is called at named points of a sync (crash-safety tests kill
	// the process there): "before-commit", "after-commit", "mid-fetch".
	Failpoint func(name string)
}

// ErrMore: SyncMailbox spent its step budget; the mailbox has more to sync.
var ErrMore = errors.New("syncer: more to sync")

// Engine syncs mailboxes into the store.
type Engine struct {
	st   *store.Store
	opts Options
}

// New returns an Engine.
func New(st *store.Store, opts Options) *Engine {
	if opts.LookBack <= 0 {
		opts.LookBack = 90 * 24 * time.Hour
	}
	if opts.PageSize <= 0 || opts.PageSize > 512 {
		opts.PageSize = 512
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Engine{st: st, opts: opts}
}

// Stats counts what one sync did.
type Stats struct {
	Folders   int
	Pages     int
	Fetched   int
	Created   int
	Updated   int
	Deleted   int
	Unchanged int
	Skipped   int // outside the look-back window
	Resyncs   int // full resyncs after an invalid sync state
}

func (e *Engine) failpoint(name string) {
	if e.opts.Failpoint != nil {
		e.opts.Failpoint(name)
	}
}

// syncedRoots are the distinguished folders synced (the Inbox with its subfolders).
var syncedRoots = []string{"inbox", "sentitems", "calendar", "contacts"}

// SyncMailbox brings one mailbox's stored copy up to date: its folder hierarchy, then
// every synced folder's items, page by page. It holds the mailbox through l; every
// commit checks l's fencing token, so a worker that lost the lease stops with
// store.ErrLeaseLost instead of writing.
func (e *Engine) SyncMailbox(ctx context.Context, l store.Lease, mailbox string, src Source) (Stats, error) {
	var st Stats
	deadline := time.Time{}
	if e.opts.StepBudget > 0 {
		deadline = time.Now().Add(e.opts.StepBudget)
	}
	folders, err := e.syncHierarchy(ctx, l, mailbox, src)
	if err != nil {
		return st, err
	}
	for _, f := range folders {
		if !f.Synced {
			continue
		}
		st.Folders++
		if err := e.syncFolder(ctx, l, mailbox, src, f, &st, deadline); err != nil {
			if errors.Is(err, ErrMore) {
				return st, err
			}
			return st, fmt.Errorf("folder %q: %w", f.Name, err)
		}
	}
	return st, nil
}

// syncHierarchy syncs the folder list and decides which folders are synced.
func (e *Engine) syncHierarchy(ctx context.Context, l store.Lease, mailbox string, src Source) ([]store.Folder, error) {
	folders, err := e.st.ListFolders(ctx, l.UserID)
	if err != nil {
		return nil, err
	}
	byID := map[string]store.Folder{}
	roots := map[string]string{} // distinguished name -> folder id
	for _, f := range folders {
		byID[f.FolderID] = f
		if f.Distinguished != "" {
			roots[f.Distinguished] = f.FolderID
		}
	}
	if len(roots) < len(syncedRoots) {
		ids, err := src.Distinguished(ctx, mailbox, syncedRoots)
		if err != nil {
			return nil, err
		}
		for name, id := range ids {
			roots[name] = id
		}
	}
	mb, err := e.st.GetMailbox(ctx, l.OrgID, l.UserID)
	if err != nil {
		return nil, err
	}
	state := mb.HierarchyState
	full := state == ""
	seen := map[string]bool{}
	for {
		page, err := src.SyncHierarchy(ctx, mailbox, state)
		if errors.Is(err, ErrInvalidSyncState) && state != "" {
			if err := e.st.ResetHierarchy(ctx, l); err != nil {
				return nil, err
			}
			state, full, seen = "", true, map[string]bool{}
			continue
		}
		if err != nil {
			return nil, err
		}
		var deletes []string
		for _, c := range page.Changes {
			if c.Op == OpDelete {
				delete(byID, c.FolderID)
				deletes = append(deletes, c.FolderID)
				continue
			}
			seen[c.FolderID] = true
			f := byID[c.FolderID]
			f.FolderID, f.ParentID, f.Name, f.Class = c.FolderID, c.ParentID, c.Name, c.Class
			byID[c.FolderID] = f
		}
		if page.Last && full {
			// A full listing: folders it did not name are gone.
			for id := range byID {
				if !seen[id] {
					delete(byID, id)
					deletes = append(deletes, id)
				}
			}
		}
		upserts := e.markSynced(byID, roots)
		if err := e.st.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: upserts, Deletes: deletes, NewState: page.State}); err != nil {
			return nil, err
		}
		state = page.State
		if page.Last {
			break
		}
	}
	return e.st.ListFolders(ctx, l.UserID)
}

// markSynced sets Synced and Distinguished on every folder and returns them all.
func (e *Engine) markSynced(byID map[string]store.Folder, roots map[string]string) []store.Folder {
	names := map[string]string{}
	for name, id := range roots {
		names[id] = name
	}
	inbox := roots["inbox"]
	underInbox := func(id string) bool {
		for hops := 0; id != "" && hops < 64; hops++ {
			if id == inbox {
				return true
			}
			f, ok := byID[id]
			if !ok {
				return false
			}
			id = f.ParentID
		}
		return false
	}
	out := make([]store.Folder, 0, len(byID))
	for id, f := range byID {
		f.Distinguished = names[id]
		f.Synced = f.Distinguished == "sentitems" || f.Distinguished == "calendar" || f.Distinguished == "contacts" ||
			(inbox != "" && underInbox(id) && kindOfClass(f.Class) == "message")
		out = append(out, f)
	}
	return out
}

// inWindow tells whether an item belongs to the look-back window.
func (e *Engine) inWindow(t *time.Time) bool {
	return t == nil || !t.Before(e.opts.Now().Add(-e.opts.LookBack))
}

// syncFolder pages through a folder's changes, committing each page with its state.
func (e *Engine) syncFolder(ctx context.Context, l store.Lease, mailbox string, src Source, f store.Folder, st *Stats, deadline time.Time) error {
	ref := FolderRef{ID: f.FolderID, Class: f.Class}
	state, gen := f.SyncState, f.Generation
	resynced := false
	for {
		page, err := src.SyncItems(ctx, mailbox, ref, state, e.opts.PageSize)
		if errors.Is(err, ErrInvalidSyncState) && !resynced {
			// Full resync, reconciled with what is stored (see store.ResetFolder).
			if gen, err = e.st.ResetFolder(ctx, l, f.ID); err != nil {
				return err
			}
			state, resynced = "", true
			st.Resyncs++
			continue
		}
		if err != nil {
			return err
		}
		st.Pages++
		commit := store.PageCommit{Folder: f.ID, NewState: page.State, Last: page.Last, Generation: gen}
		var fetch []string
		for _, c := range page.Changes {
			switch c.Op {
			case OpCreate, OpUpdate:
				if !e.inWindow(c.Time) {
					st.Skipped++
					continue
				}
				fetch = append(fetch, c.ItemID)
			case OpDelete:
				commit.Deletes = append(commit.Deletes, c.ItemID)
			case OpReadFlag:
				commit.ReadFlags = append(commit.ReadFlags, store.ReadFlag{ItemID: c.ItemID, ChangeKey: c.ChangeKey, IsRead: c.IsRead})
			}
		}
		if len(fetch) > 0 {
			e.failpoint("mid-fetch")
			recs, err := src.GetItems(ctx, mailbox, ref, fetch, e.opts.FullBody)
			if err != nil {
				return err
			}
			st.Fetched += len(recs)
			commit.Upserts = recs
		}
		e.failpoint("before-commit")
		res, err := e.st.CommitPage(ctx, l, commit)
		if err != nil {
			return err
		}
		e.failpoint("after-commit")
		st.Created += res.Created
		st.Updated += res.Updated
		st.Deleted += res.Deleted
		st.Unchanged += res.Unchanged
		state = page.State
		if page.Last {
			return nil
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return ErrMore
		}
	}
}
