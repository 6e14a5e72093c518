package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Folder ids GraphSource gives the default calendar and the default contacts folder.
// Graph keeps them out of mailFolders, so the source adds them to the hierarchy under
// these ids, which are also the well-known names Graph addresses them by.
const (
	GraphCalendarFolder = "calendar"
	GraphContactsFolder = "contacts"
)

// GraphSource is a Source over Microsoft Graph with app-only access. Its sync states
// are Graph's links: a folder's state is the @odata.nextLink to read next within a
// delta round, or the @odata.deltaLink that starts the next round. An expired link
// (410, syncStateNotFound) is ErrInvalidSyncState: the engine resyncs the folder and
// reconciles.
//
// A delta page already holds the items' properties, so SyncItems keeps them and
// GetItems serves them without another request; only items it was not given (or a
// body asked for and not read) are fetched one by one.
type GraphSource struct {
	Client *graph.Client
	// CalendarPast and CalendarFuture bound the calendar view the default calendar is
	// synced through (occurrences of recurring events expanded); defaults 1 year back
	// and 2 years ahead. The window is fixed when a delta round starts.
	CalendarPast, CalendarFuture time.Duration
	// LookBack, if positive, limits a message folder's first round to messages received
	// within it ($filter on receivedDateTime).
	LookBack time.Duration
	// FullBody reads message bodies (as text) in the delta rounds.
	FullBody bool
	// Now is the clock; default time.Now.
	Now func() time.Time

	mu    sync.Mutex
	pages map[string]map[string]store.ItemRecord // by mailbox and folder: the last page's records by id
}

func (s *GraphSource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// classifyGraph maps Graph's errors to the engine's.
func classifyGraph(err error) error {
	if err == nil {
		return nil
	}
	var te *entra.TokenError
	switch {
	case errors.As(err, &te), graph.IsUnauthorized(err):
		return fmt.Errorf("%w: %w", ErrAuth, err)
	case graph.IsSyncStateNotFound(err):
		return fmt.Errorf("%w: %w", ErrInvalidSyncState, err)
	case graph.IsAccessDenied(err):
		return fmt.Errorf("%w: %w", ErrMailboxUnavailable, err)
	case graph.IsMailboxNotEnabledForRESTAPI(err):
		return fmt.Errorf("%w: %w", ErrNoMailbox, err)
	}
	var ge *graph.Error
	if errors.As(err, &ge) && (ge.Code == "ErrorInvalidUser" || ge.Code == "MailboxNotFound" || ge.Code == "Request_ResourceNotFound") {
		return fmt.Errorf("%w: %w", ErrNoMailbox, err)
	}
	return err
}

// Distinguished implements Source.
func (s *GraphSource) Distinguished(ctx context.Context, mailbox string, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		switch n {
		case "calendar":
			out[n] = GraphCalendarFolder
		case "contacts":
			out[n] = GraphContactsFolder
		default:
			f, err := s.Client.MailFolder(ctx, mailbox, n)
			if err != nil {
				return nil, classifyGraph(err)
			}
			out[n] = f.ID
		}
	}
	return out, nil
}

// SyncHierarchy implements Source with the mail folders' delta rounds; the first page
// of a full listing also names the default calendar and contacts folders.
func (s *GraphSource) SyncHierarchy(ctx context.Context, mailbox, state string) (HierarchyPage, error) {
	p, err := s.Client.MailFoldersDelta(ctx, mailbox, state)
	if err != nil {
		return HierarchyPage{}, classifyGraph(err)
	}
	page := HierarchyPage{State: p.Link(), Last: p.Last()}
	if state == "" {
		page.Changes = append(page.Changes,
			FolderChange{Op: OpCreate, FolderID: GraphCalendarFolder, Name: "Calendar", Class: "IPF.Appointment"},
			FolderChange{Op: OpCreate, FolderID: GraphContactsFolder, Name: "Contacts", Class: "IPF.Contact"})
	}
	for _, f := range p.Items {
		page.Changes = append(page.Changes, FolderChange{Op: OpUpdate, FolderID: f.ID, ParentID: f.ParentFolderID, Name: f.DisplayName, Class: "IPF.Note"})
	}
	for _, r := range p.Removed {
		page.Changes = append(page.Changes, FolderChange{Op: OpDelete, FolderID: r.ID})
	}
	return page, nil
}

// SyncItems implements Source: one page of the folder's delta round, of at most size
// entries (Prefer: odata.maxpagesize, which Graph honours as an upper bound). Without
// it Graph pages messages by 10, ten times the requests of the engine's pages.
func (s *GraphSource) SyncItems(ctx context.Context, mailbox string, folder FolderRef, state string, size int) (ItemsPage, error) {
	client := s.Client.WithPageSize(size)
	var (
		page    ItemsPage
		records = map[string]store.ItemRecord{}
		add     = func(rec store.ItemRecord, t *time.Time) {
			records[rec.ItemID] = rec
			page.Changes = append(page.Changes, ItemChange{Op: OpUpdate, ItemID: rec.ItemID, ChangeKey: rec.ChangeKey, IsRead: rec.IsRead, Time: t})
		}
		removed []graph.Removal
		err     error
	)
	switch kindOfClass(folder.Class) {
	case "event":
		now := s.now()
		past, future := s.CalendarPast, s.CalendarFuture
		if past <= 0 {
			past = 365 * 24 * time.Hour
		}
		if future <= 0 {
			future = 2 * 365 * 24 * time.Hour
		}
		var p *graph.DeltaPage[graph.Event]
		if p, err = client.CalendarViewDelta(ctx, mailbox, now.Add(-past), now.Add(future), state); err != nil {
			break
		}
		page.State, page.Last, removed = p.Link(), p.Last(), p.Removed
		for i := range p.Items {
			rec, err := GraphEventRecord(&p.Items[i])
			if err != nil {
				return ItemsPage{}, fmt.Errorf("graph event %s: %w", p.Items[i].ID, err)
			}
			add(rec, rec.EndTime)
		}
	case "contact":
		var p *graph.DeltaPage[graph.Contact]
		if p, err = client.ContactsDelta(ctx, mailbox, folder.ID, state); err != nil {
			break
		}
		page.State, page.Last, removed = p.Link(), p.Last(), p.Removed
		for i := range p.Items {
			rec, err := GraphContactRecord(&p.Items[i])
			if err != nil {
				return ItemsPage{}, err
			}
			add(rec, nil)
		}
	default:
		o := graph.MessagesDeltaOptions{}
		if s.FullBody {
			o.Select = append(append([]string(nil), graph.MessageSelect...), "body")
		}
		if s.LookBack > 0 {
			o.Since = s.now().Add(-s.LookBack)
		}
		var p *graph.DeltaPage[graph.Message]
		if p, err = client.MessagesDelta(ctx, mailbox, folder.ID, state, o); err != nil {
			break
		}
		page.State, page.Last, removed = p.Link(), p.Last(), p.Removed
		for i := range p.Items {
			rec, err := GraphMessageRecord(&p.Items[i])
			if err != nil {
				return ItemsPage{}, err
			}
			add(rec, rec.ItemTime)
		}
	}
	if err != nil {
		return ItemsPage{}, classifyGraph(err)
	}
	// "deleted" and "changed" (moved out of the folder, or out of the calendar view)
	// both take the item out of this folder.
	for _, r := range removed {
		page.Changes = append(page.Changes, ItemChange{Op: OpDelete, ItemID: r.ID})
	}
	s.mu.Lock()
	if s.pages == nil {
		s.pages = map[string]map[string]store.ItemRecord{}
	}
	s.pages[pageKey(mailbox, folder.ID)] = records
	s.mu.Unlock()
	return page, nil
}

func pageKey(mailbox, folder string) string { return strings.ToLower(mailbox) + "\x00" + folder }

// GetItems implements Source from the records of the folder's last page. An id the
// page did not hold is read with a GET (messages) or left out (events and contacts:
// their next delta page reports them).
func (s *GraphSource) GetItems(ctx context.Context, mailbox string, folder FolderRef, ids []string, fullBody bool) ([]store.ItemRecord, error) {
	s.mu.Lock()
	cached := s.pages[pageKey(mailbox, folder.ID)]
	s.mu.Unlock()
	out := make([]store.ItemRecord, 0, len(ids))
	for _, id := range ids {
		if rec, ok := cached[id]; ok && (!fullBody || s.FullBody) {
			out = append(out, rec)
			continue
		}
		if kindOfClass(folder.Class) != "message" {
			continue
		}
		m, err := s.Client.GetMessage(ctx, mailbox, id, fullBody)
		if graph.IsNotFound(err) && !graph.IsMailboxNotEnabledForRESTAPI(err) {
			continue // deleted since: the next page reports it
		}
		if err != nil {
			return nil, classifyGraph(err)
		}
		rec, err := GraphMessageRecord(m)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}
