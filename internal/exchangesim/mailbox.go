package exchangesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Response codes the ews package has no constant for (yet).
const (
	codeFolderExists                = "ErrorFolderExists"
	codeDeleteDistinguishedFolder   = "ErrorDeleteDistinguishedFolder"
	codeIrresolvableConflict        = "ErrorIrresolvableConflict"
	codeCannotDeleteObject          = "ErrorCannotDeleteObject"
	msgIrresolvableConflict         = "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."
	msgInvalidSyncState             = "Synchronization state data is corrupt or otherwise invalid."
	defaultTombstoneRetention       = 30 * 24 * time.Hour
	maxChangesReturnedLimit         = 512
	distinguishedMsgFolderRoot      = "msgfolderroot"
	distinguishedDeletedItems       = "deleteditems"
	distinguishedRecoverableDeletes = "recoverableitemsdeletions"
)

func xmlName(local string) xml.Name { return xml.Name{Local: local} }

// distinguishedFolders are created in every mailbox, in this order (which fixes their
// folder numbers). Folders under msgfolderroot are the visible (IPM) hierarchy.
var distinguishedFolders = []struct{ dist, name, class, kind, parent string }{
	{"root", "Root", "", ews.KindFolder, ""},
	{"msgfolderroot", "Top of Information Store", "", ews.KindFolder, "root"},
	{"inbox", "Inbox", "IPF.Note", ews.KindFolder, "msgfolderroot"},
	{"sentitems", "Sent Items", "IPF.Note", ews.KindFolder, "msgfolderroot"},
	{"drafts", "Drafts", "IPF.Note", ews.KindFolder, "msgfolderroot"},
	{"deleteditems", "Deleted Items", "IPF.Note", ews.KindFolder, "msgfolderroot"},
	{"outbox", "Outbox", "IPF.Note", ews.KindFolder, "msgfolderroot"},
	{"junkemail", "Junk Email", "IPF.Note", ews.KindFolder, "msgfolderroot"},
	{"calendar", "Calendar", "IPF.Appointment", ews.KindCalendarFolder, "msgfolderroot"},
	{"contacts", "Contacts", "IPF.Contact", ews.KindContactsFolder, "msgfolderroot"},
	{"tasks", "Tasks", "IPF.Task", ews.KindTasksFolder, "msgfolderroot"},
	{"notes", "Notes", "IPF.StickyNote", ews.KindFolder, "msgfolderroot"},
	{"journal", "Journal", "IPF.Journal", ews.KindFolder, "msgfolderroot"},
	{"conversationhistory", "Conversation History", "IPF.Note", ews.KindFolder, "msgfolderroot"},
	{"recoverableitemsroot", "Recoverable Items", "", ews.KindFolder, "root"},
	{"recoverableitemsdeletions", "Deletions", "", ews.KindFolder, "recoverableitemsroot"},
}

// FolderRef names a folder of a mailbox: a distinguished folder ("inbox", "calendar",
// "msgfolderroot", …) or a FolderId.Id. The zero FolderRef means "the default" where an
// operation has one (msgfolderroot for SyncFolders).
type FolderRef struct {
	Distinguished string
	Id            string
}

// FolderByName refers to a distinguished folder such as "inbox".
func FolderByName(name string) FolderRef { return FolderRef{Distinguished: name} }

// FolderByID refers to a folder by its FolderId.Id.
func FolderByID(id string) FolderRef { return FolderRef{Id: id} }

// RefFromEWS converts a request's t:FolderId or t:DistinguishedFolderId; resolving its
// t:Mailbox (delegate access) is the caller's business.
func RefFromEWS(b ews.BaseFolderId) FolderRef {
	if b.IsDistinguished() {
		return FolderRef{Distinguished: b.Id}
	}
	return FolderRef{Id: b.Id}
}

// IsZero reports whether r names no folder.
func (r FolderRef) IsZero() bool { return r.Distinguished == "" && r.Id == "" }

// DeleteMode is DeleteItem's DeleteType.
type DeleteMode int

// Delete modes.
const (
	HardDelete         DeleteMode = iota + 1 // gone
	SoftDelete                               // into Recoverable Items\Deletions
	MoveToDeletedItems                       // into Deleted Items (soft-deleted if already there)
)

// Mailbox is one user's mailbox: folders, items and their change journals. Its content is
// created on first use (see World.Mailbox); all methods are safe for concurrent use and
// serialize on the mailbox's own lock, so different mailboxes never contend.
type Mailbox struct {
	w       *World
	owner   User
	guid    [16]byte
	seed    uint64
	content *Content

	mu         sync.Mutex
	loaded     bool
	removed    bool
	gc         genContext
	folders    map[uint32]*folder
	byDist     map[string]uint32
	nextFolder uint32
	hcn        uint64
	hjournal   []jentry
	hjLimit    int
	hepoch     uint32
	wm         uint64
}

func newMailbox(w *World, owner User, content *Content) *Mailbox {
	mac := hmac.New(sha256.New, w.secret[:])
	mac.Write([]byte("mailbox\x00" + owner.SID))
	var guid [16]byte
	copy(guid[:], mac.Sum(nil))
	guid[6] = guid[6]&0x0f | 0x40 // a version 4 UUID, like Exchange's mailbox GUIDs
	guid[8] = guid[8]&0x3f | 0x80
	return &Mailbox{w: w, owner: owner, guid: guid, seed: mix(w.contentSeed, hashString(owner.PrimarySMTP)), content: content}
}

// Owner returns the directory entry of the mailbox's owner, as it was when the mailbox was
// first used.
func (m *Mailbox) Owner() User { return m.owner }

// SMTP returns the owner's primary SMTP address.
func (m *Mailbox) SMTP() string { return m.owner.PrimarySMTP }

// ExchangeGUID returns the mailbox GUID (as Autodiscover and X-AnchorMailbox use it).
func (m *Mailbox) ExchangeGUID() string {
	g := m.guid
	return fmt.Sprintf("%x-%x-%x-%x-%x", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// Materialized reports whether the mailbox's content has been created.
func (m *Mailbox) Materialized() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loaded
}

// Watermark returns the watermark of the mailbox's latest event (0 before any).
func (m *Mailbox) Watermark() uint64 {
	if err := m.begin(); err != nil {
		return 0
	}
	defer m.mu.Unlock()
	return m.wm
}

func errNoMailbox() error {
	return &ews.ResponseError{Code: ews.ErrorNonExistentMailbox, Message: msgNoMailbox}
}

// begin locks the mailbox and creates its content on first use. On success the caller
// must unlock m.mu.
func (m *Mailbox) begin() error {
	m.mu.Lock()
	if m.removed {
		m.mu.Unlock()
		return errNoMailbox()
	}
	if !m.loaded {
		m.load()
	}
	return nil
}

func (m *Mailbox) load() {
	m.folders = map[uint32]*folder{}
	m.byDist = map[string]uint32{}
	m.nextFolder = 1
	for _, d := range distinguishedFolders {
		m.addFolder(m.byDist[d.parent], d.dist, d.name, d.class, d.kind, false)
	}
	m.gc = genContext{
		owner:  m.owner.Address(),
		room:   m.owner.Kind == RecipientRoomMailbox,
		people: m.w.people,
		rooms:  m.w.rooms,
		domain: m.owner.Domain,
	}
	if m.content != nil {
		m.applyContent(m.content)
	}
	m.loaded = true
}

// ---- events ----

func (m *Mailbox) emit(e Event) {
	m.wm++
	e.Mailbox, e.Watermark, e.Time = m.owner.PrimarySMTP, m.wm, m.w.now()
	m.w.notify(e)
}

func (m *Mailbox) emitItem(kind EventKind, f *folder, id ews.ItemId, old *ews.ItemId, oldParent *folder) {
	e := Event{Kind: kind, ItemId: &id, ParentFolderId: m.folderID(f), OldItemId: old}
	if oldParent != nil {
		op := m.folderID(oldParent)
		e.OldParentFolderId = &op
	}
	m.emit(e)
}

func (m *Mailbox) emitFolder(kind EventKind, f *folder) {
	id := m.folderID(f)
	var parent ews.FolderId
	if p := m.folders[f.parent]; p != nil {
		parent = m.folderID(p)
	}
	m.emit(Event{Kind: kind, FolderId: &id, ParentFolderId: parent})
}

// ---- folders ----

func (m *Mailbox) folderID(f *folder) ews.FolderId {
	return ews.FolderId{Id: objectID{kind: idKindFolder, guid: m.guid, folder: f.num}.String(), ChangeKey: changeKey(f.hcn)}
}

// addFolder creates a folder and logs it in the hierarchy journal.
func (m *Mailbox) addFolder(parent uint32, dist, name, class, kind string, notify bool) *folder {
	f := newFolder(m.nextFolder, parent, dist, name, class, kind)
	m.nextFolder++
	m.folders[f.num] = f
	if dist != "" {
		m.byDist[dist] = f.num
	}
	m.touchFolder(f)
	if notify {
		m.emitFolder(EventCreated, f)
	}
	return f
}

// touchFolder gives a folder the next hierarchy change number.
func (m *Mailbox) touchFolder(f *folder) {
	m.hcn++
	f.hcn = m.hcn
	m.hjournal = append(m.hjournal, jentry{m.hcn, uint64(f.num)})
	if len(m.hjournal) > m.hjLimit {
		out := m.hjournal[:0]
		for _, e := range m.hjournal {
			if g := m.folders[uint32(e.ref)]; g != nil && g.hcn == e.cn {
				out = append(out, e)
			}
		}
		m.hjournal = out
		m.hjLimit = max(256, 2*len(out))
	}
}

func (m *Mailbox) resolveFolder(ref FolderRef) (*folder, error) {
	if ref.Distinguished != "" {
		num, ok := m.byDist[strings.ToLower(ref.Distinguished)]
		if !ok {
			return nil, errFolderNotFound()
		}
		return m.folders[num], nil
	}
	o, ok := parseID(ref.Id)
	if !ok {
		return nil, errIDMalformed()
	}
	if o.kind != idKindFolder || o.guid != m.guid {
		return nil, errFolderNotFound()
	}
	f := m.folders[o.folder]
	if f == nil || f.state != recLive {
		return nil, errFolderNotFound()
	}
	return f, nil
}

// within reports whether f is a strict descendant of root.
func (m *Mailbox) within(f *folder, root uint32) bool {
	for p := f.parent; p != 0; p = m.folders[p].parent {
		if p == root {
			return true
		}
	}
	return false
}

func (m *Mailbox) children(f *folder) []*folder {
	var out []*folder
	for _, c := range m.folders {
		if c.parent == f.num && c.state == recLive {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *folder) int {
		return cmpOr(strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), int(a.num)-int(b.num))
	})
	return out
}

func (m *Mailbox) renderFolder(f *folder) ews.Folder {
	id := m.folderID(f)
	out := ews.Folder{
		XMLName:          xmlName(f.kind),
		FolderId:         &id,
		FolderClass:      f.class,
		DisplayName:      f.name,
		TotalCount:       ews.Int(f.live),
		ChildFolderCount: ews.Int(len(m.children(f))),
	}
	if p := m.folders[f.parent]; p != nil {
		pid := m.folderID(p)
		out.ParentFolderId = &pid
	}
	if f.kind == ews.KindFolder || f.kind == ews.KindTasksFolder || f.kind == ews.KindSearchFolder {
		out.UnreadCount = ews.Int(f.unread)
	}
	return out
}

// Folder returns a folder with all its properties (GetFolder).
func (m *Mailbox) Folder(ref FolderRef) (ews.Folder, error) {
	if err := m.begin(); err != nil {
		return ews.Folder{}, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return ews.Folder{}, err
	}
	return m.renderFolder(f), nil
}

// FindFolders returns the child folders of parent, sorted by display name; deep returns
// every descendant, depth first (FindFolder Traversal Shallow or Deep).
func (m *Mailbox) FindFolders(parent FolderRef, deep bool) ([]ews.Folder, error) {
	if err := m.begin(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(parent)
	if err != nil {
		return nil, err
	}
	var out []ews.Folder
	var walk func(f *folder)
	walk = func(f *folder) {
		for _, c := range m.children(f) {
			out = append(out, m.renderFolder(c))
			if deep {
				walk(c)
			}
		}
	}
	walk(f)
	return out, nil
}

// kindForClass returns the folder element for a FolderClass.
func kindForClass(class string) string {
	switch {
	case strings.HasPrefix(class, "IPF.Appointment"):
		return ews.KindCalendarFolder
	case strings.HasPrefix(class, "IPF.Contact"):
		return ews.KindContactsFolder
	case strings.HasPrefix(class, "IPF.Task"):
		return ews.KindTasksFolder
	}
	return ews.KindFolder
}

func (m *Mailbox) childNamed(parent *folder, name string) *folder {
	for _, c := range m.folders {
		if c.parent == parent.num && c.state == recLive && strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

// CreateFolder creates a user folder under parent (CreateFolder). An empty class means
// "IPF.Note"; the folder's kind (t:CalendarFolder, …) follows the class. A sibling of the
// same name gives ErrorFolderExists.
func (m *Mailbox) CreateFolder(parent FolderRef, name, class string) (ews.Folder, error) {
	if err := m.begin(); err != nil {
		return ews.Folder{}, err
	}
	defer m.mu.Unlock()
	p, err := m.resolveFolder(parent)
	if err != nil {
		return ews.Folder{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return ews.Folder{}, &ews.ResponseError{Code: ews.ErrorInvalidRequest, Message: "The folder name is empty."}
	}
	if m.childNamed(p, name) != nil {
		return ews.Folder{}, &ews.ResponseError{Code: codeFolderExists, Message: "A folder with the specified name already exists."}
	}
	if class == "" {
		class = "IPF.Note"
	}
	f := m.addFolder(p.num, "", name, class, kindForClass(class), true)
	return m.renderFolder(f), nil
}

// RenameFolder changes a folder's display name (UpdateFolder).
func (m *Mailbox) RenameFolder(ref FolderRef, name string) (ews.Folder, error) {
	if err := m.begin(); err != nil {
		return ews.Folder{}, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return ews.Folder{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return ews.Folder{}, &ews.ResponseError{Code: ews.ErrorInvalidRequest, Message: "The folder name is empty."}
	}
	if p := m.folders[f.parent]; p != nil {
		if c := m.childNamed(p, name); c != nil && c != f {
			return ews.Folder{}, &ews.ResponseError{Code: codeFolderExists, Message: "A folder with the specified name already exists."}
		}
	}
	if f.name != name {
		f.name = name
		m.touchFolder(f)
		m.emitFolder(EventModified, f)
	}
	return m.renderFolder(f), nil
}

// DeleteFolder hard-deletes a user folder with its subfolders and items. Distinguished
// folders cannot be deleted (ErrorDeleteDistinguishedFolder).
func (m *Mailbox) DeleteFolder(ref FolderRef) error {
	if err := m.begin(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return err
	}
	if f.dist != "" {
		return &ews.ResponseError{Code: codeDeleteDistinguishedFolder, Message: "Distinguished folders cannot be deleted."}
	}
	var del func(f *folder)
	del = func(f *folder) {
		for _, c := range m.children(f) {
			del(c)
		}
		f.state = recTomb
		f.recs, f.journal, f.tombQ, f.live, f.unread = nil, nil, nil, 0, 0
		m.touchFolder(f)
		m.emitFolder(EventDeleted, f)
	}
	del(f)
	return nil
}

// folderPath finds or creates the folder a content path names: a distinguished name or a
// top-level folder name, then subfolder names, separated by "/".
func (m *Mailbox) folderPath(path string) *folder {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var f *folder
	if num, ok := m.byDist[strings.ToLower(segs[0])]; ok {
		f = m.folders[num]
	} else {
		segs = append([]string{distinguishedMsgFolderRoot}, segs...)
		f = m.folders[m.byDist[distinguishedMsgFolderRoot]]
	}
	for _, s := range segs[1:] {
		c := m.childNamed(f, s)
		if c == nil {
			class := f.class
			if class == "" {
				class = "IPF.Note"
			}
			c = m.addFolder(f.num, "", s, class, kindForClass(class), false)
		}
		f = c
	}
	return f
}

// ---- items ----

func (m *Mailbox) itemID(f *folder, inst uint64, r *itemRec) ews.ItemId {
	return ews.ItemId{Id: objectID{kind: idKindItem, guid: m.guid, folder: f.num, inst: inst}.String(), ChangeKey: changeKey(r.cn)}
}

func (m *Mailbox) resolveItem(id string) (*folder, uint64, *itemRec, error) {
	o, ok := parseID(id)
	if !ok {
		return nil, 0, nil, errIDMalformed()
	}
	if o.kind != idKindItem || o.guid != m.guid {
		return nil, 0, nil, errItemNotFound()
	}
	f := m.folders[o.folder]
	if f == nil || f.state != recLive {
		return nil, 0, nil, errItemNotFound()
	}
	r := f.liveRec(o.inst)
	if r == nil {
		return nil, 0, nil, errItemNotFound()
	}
	return f, o.inst, r, nil
}

// render materializes an item with all its properties.
func (m *Mailbox) render(f *folder, inst uint64, r *itemRec) ews.Item {
	var it ews.Item
	if r.full != nil {
		it = cloneItem(*r.full)
	} else {
		it = m.gc.generate(r.kind, r.date, r.seed)
	}
	id := m.itemID(f, inst, r)
	pid := m.folderID(f)
	it.ItemId, it.ParentFolderId = &id, &pid
	if hasReadFlag(it.Kind()) {
		it.IsRead = ews.Bool(r.read)
	} else {
		it.IsRead = nil
	}
	if it.Size == nil {
		it.Size = ews.Int(itemSize(&it))
	}
	return it
}

// Item returns an item with all its properties (the operation layer shapes it). A
// malformed id gives ErrorInvalidIdMalformed; an id of another mailbox or of an item that
// is gone gives ErrorItemNotFound.
func (m *Mailbox) Item(id string) (ews.Item, error) {
	if err := m.begin(); err != nil {
		return ews.Item{}, err
	}
	defer m.mu.Unlock()
	f, inst, r, err := m.resolveItem(id)
	if err != nil {
		return ews.Item{}, err
	}
	return m.render(f, inst, r), nil
}

// ItemQuery selects and pages the items of a folder (FindItem).
type ItemQuery struct {
	Offset  int  // items to skip (from the start, or from the end with FromEnd)
	Max     int  // page size; 0 means all
	FromEnd bool // IndexedPageItemView BasePoint="End"
	// Start and End, when either is set, make a calendar view: the calendar items that
	// overlap [Start, End), sorted by start. Otherwise items are sorted newest first.
	Start, End time.Time
}

// ItemPage is one page of FindItems.
type ItemPage struct {
	Items        []ews.Item
	Total        int  // items in the whole view
	Offset       int  // index of Items[0] in the view
	IncludesLast bool // the page reaches the end of the view
}

// itemTimes returns an item's sort date and, for calendar items, its start and end.
func (r *itemRec) times() (date, start, end time.Time, event bool) {
	date = time.Unix(r.date, 0).UTC()
	switch {
	case r.full != nil && r.full.Kind() == ews.KindCalendarItem:
		start, end = r.full.Start.Time, r.full.End.Time
		if start.IsZero() {
			start = date
		}
		if end.Before(start) {
			end = start
		}
		return date, start, end, true
	case r.full == nil && r.kind == genEvent:
		start, end, _ = eventTimes(r.date, r.seed)
		return date, start, end, true
	}
	return date, date, date, false
}

// FindItems returns a page of the folder's items, fully materialized.
func (m *Mailbox) FindItems(ref FolderRef, q ItemQuery) (ItemPage, error) {
	if err := m.begin(); err != nil {
		return ItemPage{}, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return ItemPage{}, err
	}
	type entry struct {
		inst uint64
		key  time.Time
	}
	calView := !q.Start.IsZero() || !q.End.IsZero()
	var view []entry
	for i := range f.recs {
		r := &f.recs[i]
		if r.state != recLive {
			continue
		}
		inst := f.base + uint64(i)
		date, start, end, event := r.times()
		if !calView {
			view = append(view, entry{inst, date})
			continue
		}
		if !event || (!q.End.IsZero() && !start.Before(q.End)) {
			continue
		}
		if !q.Start.IsZero() && !end.After(q.Start) && !(end.Equal(start) && !start.Before(q.Start)) {
			continue
		}
		view = append(view, entry{inst, start})
	}
	slices.SortFunc(view, func(a, b entry) int {
		c := a.key.Compare(b.key)
		if c == 0 {
			c = cmpU64(a.inst, b.inst)
		}
		if !calView {
			c = -c
		}
		return c
	})
	page := ItemPage{Total: len(view)}
	lo, hi := q.Offset, len(view)
	if q.FromEnd {
		hi = max(len(view)-q.Offset, 0)
		lo = 0
		if q.Max > 0 {
			lo = max(hi-q.Max, 0)
		}
		page.IncludesLast = lo == 0
	} else {
		lo = min(max(lo, 0), len(view))
		if q.Max > 0 {
			hi = min(lo+q.Max, len(view))
		}
		page.IncludesLast = hi == len(view)
	}
	page.Offset = lo
	for _, e := range view[lo:hi] {
		page.Items = append(page.Items, m.render(f, e.inst, f.rec(e.inst)))
	}
	return page, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// itemDate is the record date of a full item: received (messages), start (calendar items)
// or created.
func itemDate(it *ews.Item) int64 {
	switch {
	case it.Kind() == ews.KindCalendarItem && !it.Start.IsZero():
		return it.Start.Unix()
	case !it.DateTimeReceived.IsZero():
		return it.DateTimeReceived.Unix()
	}
	return it.DateTimeCreated.Unix()
}

func defaultKind(f *folder) string {
	switch f.kind {
	case ews.KindCalendarFolder:
		return ews.KindCalendarItem
	case ews.KindContactsFolder:
		return ews.KindContact
	case ews.KindTasksFolder:
		return ews.KindTask
	}
	return ews.KindMessage
}

var defaultItemClass = map[string]string{
	ews.KindMessage: "IPM.Note", ews.KindCalendarItem: "IPM.Appointment", ews.KindContact: "IPM.Contact",
	ews.KindTask: "IPM.Task", ews.KindItem: "IPM.Note",
}

// hasReadFlag reports whether items of kind have a read flag (IsRead): messages, the
// meeting messages and post items. The record keeps it; other items count as read.
func hasReadFlag(kind string) bool { return readFlagKinds[kind] }

// readFlagKinds holds the kinds whose schema type has t:IsRead (ews.KindHasElement),
// worked out once: render asks for every item it materializes.
var readFlagKinds = func() map[string]bool {
	m := make(map[string]bool)
	for _, k := range []string{ews.KindItem, ews.KindMessage, ews.KindCalendarItem, ews.KindContact, ews.KindDistributionList,
		ews.KindMeetingMessage, ews.KindMeetingRequest, ews.KindMeetingResponse, ews.KindMeetingCancellation, ews.KindTask, ews.KindPostItem} {
		if ews.KindHasElement(k, "IsRead") {
			m[k] = true
		}
	}
	return m
}()

// prepareNew fills in what the store sets on a new item and returns its read flag, which
// the record keeps (the stored item has IsRead nil). Items with a read flag (see
// hasReadFlag) are unread unless IsRead says otherwise.
func (m *Mailbox) prepareNew(it *ews.Item, f *folder, now time.Time) bool {
	if it.XMLName.Local == "" {
		it.XMLName = xmlName(defaultKind(f))
	}
	it.XMLName.Space = ""
	if it.ItemClass == "" {
		it.ItemClass = defaultItemClass[it.Kind()]
	}
	it.ItemId, it.ParentFolderId, it.Size = nil, nil, nil
	if it.DateTimeCreated.IsZero() {
		it.DateTimeCreated = ews.Date(now)
	}
	it.LastModifiedTime = ews.Date(now)
	if it.LastModifiedName == "" {
		it.LastModifiedName = m.owner.DisplayName
	}
	if it.Sensitivity == "" {
		it.Sensitivity = "Normal"
	}
	if it.Importance == "" {
		it.Importance = "Normal"
	}
	if it.HasAttachments == nil {
		it.HasAttachments = ews.Bool(it.Attachments != nil && len(it.Attachments.Attachments) > 0)
	}
	if it.IsAssociated == nil {
		it.IsAssociated = ews.Bool(false)
	}
	read := true
	if hasReadFlag(it.Kind()) {
		read = it.IsRead != nil && *it.IsRead
	}
	switch it.Kind() {
	case ews.KindMessage:
		if it.DateTimeReceived.IsZero() {
			it.DateTimeReceived = ews.Date(now)
		}
		if it.DateTimeSent.IsZero() {
			it.DateTimeSent = ews.Date(now)
		}
		if it.ToRecipients != nil && it.DisplayTo == "" {
			it.DisplayTo = displayList(it.ToRecipients.Mailboxes)
		}
		if it.CcRecipients != nil && it.DisplayCc == "" {
			it.DisplayCc = displayList(it.CcRecipients.Mailboxes)
		}
		if it.ConversationTopic == "" {
			it.ConversationTopic = conversationTopic(it.Subject)
		}
		if it.ConversationId == nil {
			it.ConversationId = conversationID(it.ConversationTopic)
		}
		if it.InternetMessageId == "" {
			it.InternetMessageId = fmt.Sprintf("<%016x%08x@%s>", mix(m.seed, uint64(now.UnixNano())), f.cn+1, m.owner.Domain)
		}
		for _, p := range []**bool{&it.IsDraft, &it.IsSubmitted, &it.IsResend, &it.IsReadReceiptRequested, &it.IsDeliveryReceiptRequested} {
			if *p == nil {
				*p = ews.Bool(false)
			}
		}
		if it.IsFromMe == nil {
			it.IsFromMe = ews.Bool(it.From != nil && strings.EqualFold(it.From.Mailbox.EmailAddress, m.owner.PrimarySMTP))
		}
	case ews.KindCalendarItem:
		if it.DateTimeReceived.IsZero() {
			it.DateTimeReceived = ews.Date(now)
		}
		if it.Start.IsZero() {
			it.Start = ews.Date(now.Truncate(30 * time.Minute).Add(30 * time.Minute))
		}
		if it.End.IsZero() || it.End.Before(it.Start.Time) {
			it.End = ews.Date(it.Start.Add(30 * time.Minute))
		}
		if it.Duration == "" {
			it.Duration = isoDuration(it.End.Sub(it.Start.Time))
		}
		if it.LegacyFreeBusyStatus == "" {
			it.LegacyFreeBusyStatus = "Busy"
		}
		if it.CalendarItemType == "" {
			it.CalendarItemType = "Single"
		}
		if it.UID == "" {
			it.UID = fmt.Sprintf("040000008200E00074C5B7101A82E008%016X%016X", mix(m.seed, uint64(now.UnixNano())), uint64(f.num)<<32|f.cn+1)
		}
		if it.Organizer == nil {
			it.Organizer = &ews.SingleRecipient{Mailbox: m.owner.Address()}
			it.MyResponseType = "Organizer"
		}
		for _, p := range []**bool{&it.IsAllDayEvent, &it.IsCancelled, &it.IsRecurring} {
			if *p == nil {
				*p = ews.Bool(false)
			}
		}
		if it.IsMeeting == nil {
			it.IsMeeting = ews.Bool(it.RequiredAttendees != nil || it.OptionalAttendees != nil)
		}
	case ews.KindContact:
		if it.DisplayName == "" {
			it.DisplayName = strings.TrimSpace(it.GivenName + " " + it.Surname)
		}
		if it.FileAs == "" {
			it.FileAs = it.DisplayName
			if it.Surname != "" && it.GivenName != "" {
				it.FileAs = it.Surname + ", " + it.GivenName
			}
		}
		if it.Subject == "" {
			it.Subject = it.DisplayName
		}
	}
	it.IsRead = nil
	return read
}

func conversationTopic(subject string) string {
	for {
		s := strings.TrimSpace(subject)
		up := strings.ToUpper(s)
		switch {
		case strings.HasPrefix(up, "RE:"), strings.HasPrefix(up, "FW:"):
			subject = s[3:]
		case strings.HasPrefix(up, "FWD:"):
			subject = s[4:]
		default:
			return s
		}
	}
}

// insertFull stores a new full item in f and returns its id.
func (m *Mailbox) insertFull(f *folder, it ews.Item, now time.Time) (uint64, *itemRec) {
	read := m.prepareNew(&it, f, now)
	inst := f.insert(itemRec{full: &it, date: itemDate(&it), read: read})
	return inst, f.rec(inst)
}

// CreateItem saves a new item in a folder (CreateItem with SaveOnly, or the saved copy of
// SendAndSaveCopy) and returns its id. The item's element (t:Message, t:CalendarItem, …)
// defaults to the folder's kind; the store fills in ItemClass, DateTimeCreated,
// DateTimeReceived and DateTimeSent (messages), LastModifiedTime, Size and IsRead (false
// for messages unless set).
func (m *Mailbox) CreateItem(ref FolderRef, it ews.Item) (ews.ItemId, error) {
	if err := m.begin(); err != nil {
		return ews.ItemId{}, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return ews.ItemId{}, err
	}
	inst, r := m.insertFull(f, cloneItem(it), m.w.now())
	id := m.itemID(f, inst, r)
	m.emitItem(EventCreated, f, id, nil, nil)
	return id, nil
}

// deliver puts a received copy of msg in the Inbox.
func (m *Mailbox) deliver(msg ews.Item, now time.Time) (ews.ItemId, error) {
	if err := m.begin(); err != nil {
		return ews.ItemId{}, err
	}
	defer m.mu.Unlock()
	f := m.folders[m.byDist["inbox"]]
	it := cloneItem(msg)
	it.XMLName = xmlName(ews.KindMessage)
	it.BccRecipients = nil
	it.DateTimeReceived = ews.Date(now)
	it.DateTimeCreated = ews.Date(now)
	it.IsRead = ews.Bool(false)
	it.IsDraft, it.IsFromMe, it.IsSubmitted, it.IsUnmodified = ews.Bool(false), ews.Bool(false), ews.Bool(false), ews.Bool(true)
	it.LastModifiedName = ""
	inst, r := m.insertFull(f, it, now)
	id := m.itemID(f, inst, r)
	m.emitItem(EventCreated, f, id, nil, nil)
	m.emitItem(EventNewMail, f, id, nil, nil)
	return id, nil
}

// contentOf returns a comparable copy of an item's content: what an Update changes.
func contentOf(it ews.Item) ews.Item {
	it.ItemId, it.ParentFolderId, it.IsRead, it.Size = nil, nil, nil, nil
	it.LastModifiedTime = ews.DateTime{}
	return it
}

// UpdateItem changes an item (UpdateItem): fn edits a full copy of it, with all
// properties. A change of IsRead alone is a read-flag change; any other change is a
// content change (both give the item a new ChangeKey; only content changes update
// LastModifiedTime). When id.ChangeKey is set and is not the item's current one, the
// update fails with ErrorIrresolvableConflict. An edit that changes nothing changes
// nothing. Returns the item's id with its new ChangeKey.
func (m *Mailbox) UpdateItem(id ews.ItemId, fn func(*ews.Item) error) (ews.ItemId, error) {
	if err := m.begin(); err != nil {
		return ews.ItemId{}, err
	}
	defer m.mu.Unlock()
	f, inst, r, err := m.resolveItem(id.Id)
	if err != nil {
		return ews.ItemId{}, err
	}
	if id.ChangeKey != "" && id.ChangeKey != changeKey(r.cn) {
		return ews.ItemId{}, &ews.ResponseError{Code: codeIrresolvableConflict, Message: msgIrresolvableConflict}
	}
	cur := m.render(f, inst, r)
	next := cloneItem(cur)
	if err := fn(&next); err != nil {
		return ews.ItemId{}, err
	}
	read := r.read
	if hasReadFlag(next.Kind()) && next.IsRead != nil {
		read = *next.IsRead
	}
	next.XMLName = cur.XMLName
	contentChanged := !reflect.DeepEqual(contentOf(cur), contentOf(next))
	if !contentChanged && read == r.read {
		return m.itemID(f, inst, r), nil
	}
	f.setRead(r, read)
	if contentChanged {
		now := m.w.now()
		stored := contentOf(next)
		stored.LastModifiedTime = ews.Date(now)
		stored.LastModifiedName = m.owner.DisplayName
		if stored.Kind() == ews.KindMessage {
			stored.IsUnmodified = ews.Bool(false)
		}
		r.full, r.kind, r.date = &stored, genNone, itemDate(&stored)
	}
	f.touch(inst, r, contentChanged)
	nid := m.itemID(f, inst, r)
	m.emitItem(EventModified, f, nid, nil, nil)
	return nid, nil
}

// SetRead sets an item's read flag: a read-flag change, which SyncFolderItems reports as
// ReadFlagChange. Setting it to its current value changes nothing.
func (m *Mailbox) SetRead(id string, read bool) (ews.ItemId, error) {
	if err := m.begin(); err != nil {
		return ews.ItemId{}, err
	}
	defer m.mu.Unlock()
	f, inst, r, err := m.resolveItem(id)
	if err != nil {
		return ews.ItemId{}, err
	}
	if r.read != read {
		f.setRead(r, read)
		f.touch(inst, r, false)
		m.emitItem(EventModified, f, m.itemID(f, inst, r), nil, nil)
	}
	return m.itemID(f, inst, r), nil
}

// moveLocked moves an item between folders: a tombstone in the source, a new instance
// (and id) in the destination.
func (m *Mailbox) moveLocked(f *folder, inst uint64, r *itemRec, to *folder, notify bool) ews.ItemId {
	old := m.itemID(f, inst, r)
	moved := itemRec{full: r.full, seed: r.seed, kind: r.kind, date: r.date, read: r.read}
	f.remove(inst, r, m.w.now())
	ninst := to.insert(moved)
	id := m.itemID(to, ninst, to.rec(ninst))
	if notify {
		m.emitItem(EventMoved, to, id, &old, f)
	}
	return id
}

// MoveItem moves an item to another folder (MoveItem) and returns its new id; moving an
// item to its own folder changes nothing.
func (m *Mailbox) MoveItem(id string, to FolderRef) (ews.ItemId, error) {
	if err := m.begin(); err != nil {
		return ews.ItemId{}, err
	}
	defer m.mu.Unlock()
	f, inst, r, err := m.resolveItem(id)
	if err != nil {
		return ews.ItemId{}, err
	}
	dst, err := m.resolveFolder(to)
	if err != nil {
		return ews.ItemId{}, err
	}
	if dst == f {
		return m.itemID(f, inst, r), nil
	}
	return m.moveLocked(f, inst, r, dst, true), nil
}

// CopyItem copies an item into a folder (CopyItem) and returns the copy's id.
func (m *Mailbox) CopyItem(id string, to FolderRef) (ews.ItemId, error) {
	if err := m.begin(); err != nil {
		return ews.ItemId{}, err
	}
	defer m.mu.Unlock()
	f, inst, r, err := m.resolveItem(id)
	if err != nil {
		return ews.ItemId{}, err
	}
	dst, err := m.resolveFolder(to)
	if err != nil {
		return ews.ItemId{}, err
	}
	c := itemRec{seed: r.seed, kind: r.kind, date: r.date, read: r.read}
	if r.full != nil {
		full := cloneItem(*r.full)
		c.full = &full
	}
	ninst := dst.insert(c)
	nid := m.itemID(dst, ninst, dst.rec(ninst))
	old := m.itemID(f, inst, r)
	m.emitItem(EventCopied, dst, nid, &old, f)
	return nid, nil
}

// DeleteItem deletes an item (DeleteItem). HardDelete removes it; SoftDelete moves it to
// Recoverable Items\Deletions, out of the visible hierarchy; MoveToDeletedItems moves it to
// Deleted Items, or soft-deletes it when it is already there.
func (m *Mailbox) DeleteItem(id string, mode DeleteMode) error {
	if err := m.begin(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	f, inst, r, err := m.resolveItem(id)
	if err != nil {
		return err
	}
	deleted := m.folders[m.byDist[distinguishedDeletedItems]]
	recoverable := m.folders[m.byDist[distinguishedRecoverableDeletes]]
	if mode == MoveToDeletedItems && (f == deleted || f == recoverable || m.within(f, recoverable.parent)) {
		mode = SoftDelete
	}
	if mode == SoftDelete && (f == recoverable || m.within(f, recoverable.parent)) {
		mode = HardDelete
	}
	switch mode {
	case HardDelete:
		old := m.itemID(f, inst, r)
		f.remove(inst, r, m.w.now())
		m.emitItem(EventDeleted, f, old, nil, nil)
	case SoftDelete:
		old := m.itemID(f, inst, r)
		m.moveLocked(f, inst, r, recoverable, false)
		m.emitItem(EventDeleted, f, old, nil, nil)
	case MoveToDeletedItems:
		m.moveLocked(f, inst, r, deleted, true)
	default:
		return &ews.ResponseError{Code: codeCannotDeleteObject, Message: "The delete type is not valid."}
	}
	return nil
}

// ExpireSyncStates makes every sync state of the mailbox (items and hierarchy) invalid, as
// when Exchange loses them: the next SyncFolderItems or SyncFolderHierarchy with an old
// state fails with ErrorInvalidSyncStateData. Tombstones are purged too.
func (m *Mailbox) ExpireSyncStates() error {
	if err := m.begin(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.hepoch++
	for _, f := range m.folders {
		f.epoch++
		f.purgeTombstones(time.Time{})
	}
	return nil
}

// PurgeTombstones forgets every deleted item's tombstone without expiring sync states:
// states that might still be owed a Delete become invalid, up-to-date ones stay valid.
func (m *Mailbox) PurgeTombstones() error {
	if err := m.begin(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, f := range m.folders {
		f.purgeTombstones(time.Time{})
	}
	return nil
}

// ---- content ----

// applyContent creates a mailbox's scenario content: folders, generated items, explicit
// items. Content was validated when the scenario was loaded.
func (m *Mailbox) applyContent(c *Content) {
	for _, p := range c.Folders {
		m.folderPath(p)
	}
	paths := make([]string, 0, len(c.Counts))
	for p := range c.Counts {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	anchor := m.w.anchor
	for _, p := range paths {
		n := c.Counts[p]
		f := m.folderPath(p)
		fseed := mix(m.seed, hashString(strings.ToLower(strings.Trim(p, "/"))))
		span := 180 * 24 * time.Hour
		f.recs = slices.Grow(f.recs, n)
		for i := range n {
			seed := mix(fseed, uint64(i))
			r := rng{mix(seed, 3)}
			rec := itemRec{seed: seed, read: true}
			switch f.kind {
			case ews.KindCalendarFolder:
				rec.kind, rec.date = genEvent, eventDate(anchor, seed)
			case ews.KindContactsFolder:
				rec.kind, rec.date = genContact, anchor.Add(-time.Duration(r.intn(365*24*60))*time.Minute).Unix()
			case ews.KindTasksFolder:
				rec.kind, rec.date = genTask, anchor.Add(-time.Duration(r.intn(90*24*60))*time.Minute).Unix()
			default:
				// Spread over the last 180 days, oldest first, as mail arrives.
				slot := span / time.Duration(n)
				at := anchor.Add(-span + time.Duration(i)*slot + time.Duration(r.next()%uint64(max(slot, time.Second))))
				rec.date = at.Unix()
				rec.kind = genMessage
				if f.dist == "sentitems" {
					rec.kind = genSent
				} else if anchor.Sub(at) > 7*24*time.Hour {
					rec.read = r.chance(85)
				} else {
					rec.read = r.chance(30)
				}
			}
			f.insert(rec)
		}
	}
	for _, s := range c.Items {
		f := m.folderPath(s.Folder)
		it, _ := s.item(anchor, m.w.addressOf)
		if it.XMLName.Local == "" {
			it.XMLName = xmlName(defaultKind(f))
		}
		if it.Kind() == ews.KindMessage && it.ToRecipients == nil {
			it.ToRecipients = &ews.Recipients{Mailboxes: []ews.EmailAddress{m.owner.Address()}}
		}
		now := anchor
		if !it.DateTimeReceived.IsZero() {
			now = it.DateTimeReceived.Time
		}
		m.insertFull(f, it, now)
	}
}

// ---- cloning ----

// cloneItem deep-copies an item, so that stored items never share memory with callers.
func cloneItem(it ews.Item) ews.Item {
	var out ews.Item
	deepCopy(reflect.ValueOf(&out).Elem(), reflect.ValueOf(it))
	return out
}

func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		mp := reflect.MakeMapWithSize(src.Type(), src.Len())
		for _, k := range src.MapKeys() {
			v := reflect.New(src.Type().Elem()).Elem()
			deepCopy(v, src.MapIndex(k))
			mp.SetMapIndex(k, v)
		}
		dst.Set(mp)
	case reflect.Struct:
		dst.Set(src) // unexported fields (time.Time's) are values: copied here
		for i := range src.NumField() {
			if src.Type().Field(i).IsExported() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
}
