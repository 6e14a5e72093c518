package syncer

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	// FetchBatch is how many items one GetItem asks for; default 128.
	FetchBatch int
	// FetchConcurrency bounds the GetItem requests one mailbox has in flight; default 3
	// (Exchange allows 27 requests in flight per mailbox budget, shared by every client).
	FetchConcurrency int
	// FullBody stores message bodies (as text), not only their preview.
	FullBody bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// StepBudget bounds one SyncMailbox call: once it is spent, the call stops at the next
	// page boundary and returns ErrMore (the job runner then continues in a new step, so
	// that no job runs long and a crashed worker's mailboxes are picked up quickly). Zero
	// means no bound.
	StepBudget time.Duration
	// Failpoint, if set, is called at named points of a page's sync (crash-safety tests
	// kill the process there): "mid-fetch" (a GetItem batch of a page of several is
	// fetched, others are not), "before-commit" (the page's items are fetched),
	// "inside-tx" (inside the page's transaction, before it commits) and "after-commit"
	// (the page and its SyncState are committed, the step goes on).
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
	if opts.FetchBatch <= 0 {
		opts.FetchBatch = 128
	}
	if opts.FetchConcurrency <= 0 {
		opts.FetchConcurrency = 3
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

// syncedRoots are the distinguished folders the selectable ones are found by (the Inbox
// also by its subfolders). All are looked up whatever the selection, so that a folder
// taken out of it is still known for what it is.
var syncedRoots = []string{"inbox", "sentitems", "calendar", "contacts"}

// ErrNoFolders: SyncMailbox was given an empty folder selection.
var ErrNoFolders = errors.New("syncer: no folder selected")

// SyncMailbox brings one mailbox's stored copy up to date: its folder hierarchy, then
// the items of every folder of the selection, page by page. A folder outside the
// selection keeps no items: those stored are deleted (and recorded as deleted in the
// change feed), and if it is selected again it is synced from scratch. It holds the
// mailbox through l; every commit checks l's fencing token, so a worker that lost the
// lease stops with store.ErrLeaseLost instead of writing.
func (e *Engine) SyncMailbox(ctx context.Context, l store.Lease, mailbox string, src Source, sel Folders) (Stats, error) {
	var st Stats
	if sel&AllFolders == 0 {
		return st, ErrNoFolders
	}
	deadline := time.Time{}
	if e.opts.StepBudget > 0 {
		deadline = time.Now().Add(e.opts.StepBudget)
	}
	folders, err := e.syncHierarchy(ctx, l, mailbox, src, sel)
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
func (e *Engine) syncHierarchy(ctx context.Context, l store.Lease, mailbox string, src Source, sel Folders) ([]store.Folder, error) {
	folders, err := e.st.ListFolders(ctx, l.UserID)
	if err != nil {
		return nil, err
	}
	byID := map[string]store.Folder{}
	stored := map[string]store.Folder{} // as the store holds them
	roots := map[string]string{}        // distinguished name -> folder id
	for _, f := range folders {
		byID[f.FolderID] = f
		stored[f.FolderID] = f
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
	changed := false
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
		// Only what changed goes to the store: an idle mailbox's poll writes nothing.
		var upserts []store.Folder
		for _, f := range markSynced(byID, roots, sel) {
			if old, ok := stored[f.FolderID]; !ok || old.ParentID != f.ParentID || old.Name != f.Name || old.Class != f.Class ||
				old.Synced != f.Synced || (f.Distinguished != "" && old.Distinguished != f.Distinguished) {
				upserts = append(upserts, f)
			}
		}
		if len(upserts) > 0 || len(deletes) > 0 || page.State != state {
			if err := e.st.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: upserts, Deletes: deletes, NewState: page.State}); err != nil {
				return nil, err
			}
			changed = true
			for _, f := range upserts {
				stored[f.FolderID] = f
			}
			for _, id := range deletes {
				delete(stored, id)
			}
		}
		state = page.State
		if page.Last {
			break
		}
	}
	if !changed {
		return folders, nil
	}
	return e.st.ListFolders(ctx, l.UserID)
}

// markSynced sets Synced (by the selection) and Distinguished on every folder and
// returns them all.
func markSynced(byID map[string]store.Folder, roots map[string]string, sel Folders) []store.Folder {
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
		switch f.Distinguished {
		case "inbox":
			f.Synced = sel.Has(FolderInbox)
		case "sentitems":
			f.Synced = sel.Has(FolderSentItems)
		case "calendar":
			f.Synced = sel.Has(FolderCalendar)
		case "contacts":
			f.Synced = sel.Has(FolderContacts)
		default:
			f.Synced = sel.Has(FolderInboxSubfolders) && inbox != "" && underInbox(id) && kindOfClass(f.Class) == "message"
		}
		out = append(out, f)
	}
	return out
}

// inWindow tells whether an item belongs to the look-back window.
func (e *Engine) inWindow(t *time.Time) bool {
	return t == nil || !t.Before(e.opts.Now().Add(-e.opts.LookBack))
}

// fetched is a page of changes with the records of its creates and updates, ready to
// commit.
type fetched struct {
	page    ItemsPage
	records []store.ItemRecord
	skipped int
	err     error
}

// syncFolder pages through a folder's changes, committing each page with its state. The
// next page is read and its items fetched while the current one commits: SyncFolderItems'
// states chain from response to response, not from commits, so the pipeline keeps the
// crash guarantee — the store only ever holds a prefix of the pages, each with its own
// state.
func (e *Engine) syncFolder(ctx context.Context, l store.Lease, mailbox string, src Source, f store.Folder, st *Stats, deadline time.Time) error {
	ref := FolderRef{ID: f.FolderID, Class: f.Class}
	state, gen := f.SyncState, f.Generation
	resynced := false
	for {
		err := e.pipeline(ctx, l, mailbox, src, ref, f.ID, state, gen, st, deadline)
		if errors.Is(err, ErrInvalidSyncState) && !resynced {
			// Full resync, reconciled with what is stored (see store.ResetFolder).
			if gen, err = e.st.ResetFolder(ctx, l, f.ID); err != nil {
				return err
			}
			state, resynced = "", true
			st.Resyncs++
			continue
		}
		return err
	}
}

// pipeline reads pages from state on and commits them in order.
func (e *Engine) pipeline(ctx context.Context, l store.Lease, mailbox string, src Source, ref FolderRef, folder int64, state string, gen int64, st *Stats, deadline time.Time) error {
	pctx, cancel := context.WithCancel(ctx)
	pages := make(chan fetched, 3)
	var wg sync.WaitGroup
	wg.Add(1)
	go func(state string) {
		defer wg.Done()
		defer close(pages)
		for {
			fp := e.fetchPage(pctx, mailbox, src, ref, state)
			select {
			case pages <- fp:
			case <-pctx.Done():
				return
			}
			if fp.err != nil || fp.page.Last {
				return
			}
			state = fp.page.State
		}
	}(state)
	defer func() {
		cancel()
		for range pages { // let the reader end
		}
		wg.Wait()
	}()
	for fp := range pages {
		if fp.err != nil {
			return fp.err
		}
		st.Pages++
		st.Skipped += fp.skipped
		st.Fetched += len(fp.records)
		if len(fp.page.Changes) == 0 && fp.page.State == state && fp.page.Last {
			return nil // nothing changed: an idle poll writes nothing
		}
		commit := store.PageCommit{Folder: folder, NewState: fp.page.State, Last: fp.page.Last, Generation: gen, Upserts: fp.records}
		if e.opts.Failpoint != nil {
			commit.BeforeCommit = func() { e.failpoint("inside-tx") }
		}
		for _, c := range fp.page.Changes {
			switch c.Op {
			case OpDelete:
				commit.Deletes = append(commit.Deletes, c.ItemID)
			case OpReadFlag:
				commit.ReadFlags = append(commit.ReadFlags, store.ReadFlag{ItemID: c.ItemID, ChangeKey: c.ChangeKey, IsRead: c.IsRead})
			}
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
		if fp.page.Last {
			return nil
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return ErrMore
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("syncer: page reader stopped early")
}

// fetchPage reads one page of changes after state and fetches what its creates and
// updates inside the window store, in concurrent GetItem batches.
func (e *Engine) fetchPage(ctx context.Context, mailbox string, src Source, ref FolderRef, state string) fetched {
	page, err := src.SyncItems(ctx, mailbox, ref, state, e.opts.PageSize)
	if err != nil {
		return fetched{err: err}
	}
	fp := fetched{page: page}
	var ids []string
	for _, c := range page.Changes {
		if c.Op != OpCreate && c.Op != OpUpdate {
			continue
		}
		if !e.inWindow(c.Time) {
			fp.skipped++
			continue
		}
		ids = append(ids, c.ItemID)
	}
	if len(ids) == 0 {
		return fp
	}
	batch := e.opts.FetchBatch
	var batches [][]string
	for start := 0; start < len(ids); start += batch {
		batches = append(batches, ids[start:min(start+batch, len(ids))])
	}
	results := make([][]store.ItemRecord, len(batches))
	errs := make([]error, len(batches))
	sem := make(chan struct{}, e.opts.FetchConcurrency)
	var wg sync.WaitGroup
	var once sync.Once
	for i, b := range batches {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = src.GetItems(ctx, mailbox, ref, b, e.opts.FullBody)
			if len(batches) > 1 {
				once.Do(func() { e.failpoint("mid-fetch") })
			}
		}()
	}
	wg.Wait()
	for i := range batches {
		if errs[i] != nil {
			return fetched{err: errs[i]}
		}
		fp.records = append(fp.records, results[i]...)
	}
	return fp
}
