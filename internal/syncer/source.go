package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Kinds of change a Source reports.
const (
	OpCreate   = "create"
	OpUpdate   = "update"
	OpDelete   = "delete"
	OpReadFlag = "read_flag"
)

// FolderChange is one change of a mailbox's folder hierarchy.
type FolderChange struct {
	Op       string // OpCreate, OpUpdate, OpDelete
	FolderID string
	ParentID string
	Name     string
	Class    string
}

// HierarchyPage is one page of folder changes.
type HierarchyPage struct {
	Changes []FolderChange
	State   string
	Last    bool
}

// ItemChange is one change of a folder's items, as cheap as the source can report it.
type ItemChange struct {
	Op        string // OpCreate, OpUpdate, OpDelete, OpReadFlag
	ItemID    string
	ChangeKey string
	IsRead    bool
	// Time decides the look-back window: a message's received time, an event's end; nil
	// when unknown or not applicable (contacts).
	Time *time.Time
}

// ItemsPage is one page of a folder's item changes.
type ItemsPage struct {
	Changes []ItemChange
	State   string
	Last    bool
}

// FolderRef names a folder to a Source.
type FolderRef struct {
	ID    string
	Class string
}

// Source reads mailboxes. Every call names the mailbox (the impersonated user).
type Source interface {
	// Distinguished returns the ids of well-known folders ("inbox", "sentitems",
	// "calendar", "contacts", "msgfolderroot").
	Distinguished(ctx context.Context, mailbox string, names []string) (map[string]string, error)
	// SyncHierarchy returns the folder changes after state ("" for all folders).
	SyncHierarchy(ctx context.Context, mailbox, state string) (HierarchyPage, error)
	// SyncItems returns at most max item changes of a folder after state.
	SyncItems(ctx context.Context, mailbox string, folder FolderRef, state string, max int) (ItemsPage, error)
	// GetItems fetches what is stored of the items; items that no longer exist are left
	// out of the result.
	GetItems(ctx context.Context, mailbox string, folder FolderRef, ids []string, fullBody bool) ([]store.ItemRecord, error)
}

// Errors a Source returns (wrapped) for the engine to branch on.
var (
	// ErrInvalidSyncState: the state is invalid or expired; resync from scratch.
	ErrInvalidSyncState = errors.New("sync state invalid or expired")
	// ErrAuth: the service account's credentials were refused.
	ErrAuth = errors.New("credentials refused")
	// ErrMailboxUnavailable: the mailbox does not exist or may not be impersonated.
	ErrMailboxUnavailable = errors.New("mailbox unavailable")
	// ErrNoMailbox is the ErrMailboxUnavailable of a user without a mailbox (or no
	// such user), as opposed to one the service account or app may not read.
	ErrNoMailbox = fmt.Errorf("%w: no mailbox", ErrMailboxUnavailable)
)

// EWSSource is a Source over EWS with impersonation.
type EWSSource struct {
	Client *ewsclient.Client
	// FetchBatch is how many items one GetItem asks for; default 100.
	FetchBatch int
}

// classify maps EWS errors to the engine's.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ae *ewsclient.AuthError
	switch {
	case errors.As(err, &ae):
		return fmt.Errorf("%w: %w", ErrAuth, err)
	case ews.Code(err) == ews.ErrorInvalidSyncStateData:
		return fmt.Errorf("%w: %w", ErrInvalidSyncState, err)
	case ews.Code(err) == ews.ErrorNonExistentMailbox:
		return fmt.Errorf("%w: %w", ErrNoMailbox, err)
	case ews.Code(err) == ews.ErrorImpersonateUserDenied, ews.Code(err) == ews.ErrorMailboxMoveInProgress:
		return fmt.Errorf("%w: %w", ErrMailboxUnavailable, err)
	}
	return err
}

// Distinguished implements Source.
func (s *EWSSource) Distinguished(ctx context.Context, mailbox string, names []string) (map[string]string, error) {
	req := &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly}}
	for _, n := range names {
		req.FolderIds.Ids = append(req.FolderIds.Ids, ews.DistinguishedFolder(n))
	}
	resp, err := s.Client.GetFolder(ctx, mailbox, req)
	if err != nil {
		return nil, classify(err)
	}
	out := map[string]string{}
	for i, m := range resp.ResponseMessages {
		if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
			return nil, classify(err)
		}
		if i < len(names) && len(m.Folders.Folders) == 1 && m.Folders.Folders[0].FolderId != nil {
			out[names[i]] = m.Folders.Folders[0].FolderId.Id
		}
	}
	return out, nil
}

// SyncHierarchy implements Source.
func (s *EWSSource) SyncHierarchy(ctx context.Context, mailbox, state string) (HierarchyPage, error) {
	resp, err := s.Client.SyncFolderHierarchy(ctx, mailbox, &ews.SyncFolderHierarchyRequest{
		FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{
			ews.Field("folder:ParentFolderId"), ews.Field("folder:DisplayName"), ews.Field("folder:FolderClass")}}},
		SyncState: state,
	})
	if err != nil {
		return HierarchyPage{}, classify(err)
	}
	if len(resp.ResponseMessages) != 1 {
		return HierarchyPage{}, fmt.Errorf("SyncFolderHierarchy: %d response messages", len(resp.ResponseMessages))
	}
	m := resp.ResponseMessages[0]
	page := HierarchyPage{State: m.SyncState, Last: m.IncludesLastFolderInRange == nil || *m.IncludesLastFolderInRange}
	if m.Changes != nil {
		for _, c := range m.Changes.Changes {
			fc := FolderChange{}
			switch c.Kind() {
			case ews.ChangeCreate:
				fc.Op = OpCreate
			case ews.ChangeUpdate:
				fc.Op = OpUpdate
			case ews.ChangeDelete:
				fc.Op = OpDelete
			default:
				continue
			}
			if c.Folder != nil {
				if c.Folder.FolderId != nil {
					fc.FolderID = c.Folder.FolderId.Id
				}
				if c.Folder.ParentFolderId != nil {
					fc.ParentID = c.Folder.ParentFolderId.Id
				}
				fc.Name, fc.Class = c.Folder.DisplayName, c.Folder.FolderClass
				if fc.Class == "" {
					switch c.Folder.Kind() {
					case ews.KindCalendarFolder:
						fc.Class = "IPF.Appointment"
					case ews.KindContactsFolder:
						fc.Class = "IPF.Contact"
					}
				}
			} else if c.FolderId != nil {
				fc.FolderID = c.FolderId.Id
			}
			page.Changes = append(page.Changes, fc)
		}
	}
	return page, nil
}

// kindOfClass tells which kind of items a folder class holds.
func kindOfClass(class string) string {
	switch {
	case hasPrefixFold(class, "IPF.Appointment"):
		return "event"
	case hasPrefixFold(class, "IPF.Contact"):
		return "contact"
	}
	return "message"
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// windowField is the property that places an item in the look-back window.
func windowField(kind string) string {
	switch kind {
	case "message":
		return "item:DateTimeReceived"
	case "event":
		return "calendar:End"
	}
	return ""
}

// SyncItems implements Source.
func (s *EWSSource) SyncItems(ctx context.Context, mailbox string, folder FolderRef, state string, max int) (ItemsPage, error) {
	shape := ews.ItemShape{BaseShape: ews.ShapeIdOnly}
	kind := kindOfClass(folder.Class)
	if f := windowField(kind); f != "" {
		shape.AdditionalProperties = &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field(f)}}
	}
	resp, err := s.Client.SyncFolderItems(ctx, mailbox, &ews.SyncFolderItemsRequest{
		ItemShape:          shape,
		SyncFolderId:       ews.FolderIds{Ids: []ews.BaseFolderId{ews.FolderRef(ews.FolderId{Id: folder.ID})}},
		SyncState:          state,
		MaxChangesReturned: max,
	})
	if err != nil {
		return ItemsPage{}, classify(err)
	}
	if len(resp.ResponseMessages) != 1 {
		return ItemsPage{}, fmt.Errorf("SyncFolderItems: %d response messages", len(resp.ResponseMessages))
	}
	m := resp.ResponseMessages[0]
	page := ItemsPage{State: m.SyncState, Last: m.IncludesLastItemInRange == nil || *m.IncludesLastItemInRange}
	if m.Changes == nil {
		return page, nil
	}
	for _, c := range m.Changes.Changes {
		ic := ItemChange{}
		switch c.Kind() {
		case ews.ChangeCreate, ews.ChangeUpdate:
			ic.Op = OpCreate
			if c.Kind() == ews.ChangeUpdate {
				ic.Op = OpUpdate
			}
			if c.Item == nil || c.Item.ItemId == nil {
				continue
			}
			ic.ItemID, ic.ChangeKey = c.Item.ItemId.Id, c.Item.ItemId.ChangeKey
			switch kindOf(c.Item) {
			case "message":
				ic.Time = when(c.Item.DateTimeReceived)
			case "event":
				ic.Time = when(c.Item.End)
			}
		case ews.ChangeDelete:
			if c.ItemId == nil {
				continue
			}
			ic.Op, ic.ItemID = OpDelete, c.ItemId.Id
		case ews.ChangeReadFlag:
			if c.ItemId == nil {
				continue
			}
			ic.Op, ic.ItemID, ic.ChangeKey, ic.IsRead = OpReadFlag, c.ItemId.Id, c.ItemId.ChangeKey, flag(c.IsRead)
		default:
			continue
		}
		page.Changes = append(page.Changes, ic)
	}
	return page, nil
}

// fetchFields are the properties stored per kind of item.
var fetchFields = map[string][]string{
	"message": {"item:ItemClass", "item:Subject", "item:DateTimeReceived", "item:DateTimeSent", "message:From", "message:Sender",
		"message:ToRecipients", "message:CcRecipients", "message:IsRead", "item:HasAttachments", "item:Attachments", "item:Preview",
		"message:InternetMessageId", "item:ConversationId", "item:Importance", "item:Categories", "item:Sensitivity"},
	"event": {"item:ItemClass", "item:Subject", "item:Preview", "item:Sensitivity", "calendar:Start", "calendar:End", "calendar:IsAllDayEvent",
		"calendar:Location", "calendar:Organizer", "calendar:RequiredAttendees", "calendar:OptionalAttendees", "calendar:IsRecurring",
		"calendar:Recurrence", "calendar:IsCancelled", "calendar:UID", "calendar:CalendarItemType", "calendar:LegacyFreeBusyStatus",
		"calendar:IsMeeting", "calendar:MyResponseType"},
	"contact": {"item:ItemClass", "item:Subject", "contacts:DisplayName", "contacts:GivenName", "contacts:Surname", "contacts:CompanyName",
		"contacts:JobTitle", "contacts:Department", "contacts:EmailAddresses", "contacts:PhoneNumbers"},
}

// GetItems implements Source: batched GetItem with the properties stored.
func (s *EWSSource) GetItems(ctx context.Context, mailbox string, folder FolderRef, ids []string, fullBody bool) ([]store.ItemRecord, error) {
	batch := s.FetchBatch
	if batch <= 0 {
		batch = 100
	}
	kind := kindOfClass(folder.Class)
	shape := ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{}}
	for _, f := range fetchFields[kind] {
		shape.AdditionalProperties.Paths = append(shape.AdditionalProperties.Paths, ews.Field(f))
	}
	if fullBody {
		shape.BodyType = "Text"
		shape.AdditionalProperties.Paths = append(shape.AdditionalProperties.Paths, ews.Field("item:Body"))
	}
	out := make([]store.ItemRecord, 0, len(ids))
	for start := 0; start < len(ids); start += batch {
		chunk := ids[start:min(start+batch, len(ids))]
		req := &ews.GetItemRequest{ItemShape: shape}
		for _, id := range chunk {
			req.ItemIds.Ids = append(req.ItemIds.Ids, ews.ItemRef(ews.ItemId{Id: id}))
		}
		resp, err := s.Client.GetItem(ctx, mailbox, req)
		if err != nil {
			return nil, classify(err)
		}
		for i := range resp.ResponseMessages {
			m := &resp.ResponseMessages[i]
			if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
				if ews.Code(err) == ews.ErrorItemNotFound {
					continue // deleted since: the next page reports the deletion
				}
				return nil, classify(err)
			}
			for j := range m.Items.Items {
				it := &m.Items.Items[j]
				if it.ItemId == nil {
					continue
				}
				rec, err := toRecord(it)
				if err != nil {
					return nil, err
				}
				out = append(out, rec)
			}
		}
	}
	return out, nil
}
