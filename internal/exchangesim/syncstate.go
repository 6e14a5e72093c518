package exchangesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Sync states work like Exchange's ICS states: a state is what the client has been told,
// not a position in a log, so that changes made while a client pages through a sync are
// neither lost nor reported twice.
//
// A state holds
//   - cnSeen: the change numbers the client has been given, as W ("every cn ≤ W") plus
//     ranges above W;
//   - idsGiven: the instance numbers (folder numbers, for the hierarchy) the client knows
//     to exist, as ranges.
//
// A page lists, in cn order, the live objects whose cn is not in cnSeen and the tombstones
// whose cn is not in cnSeen and whose number the client knows. An unknown number is a
// Create; a known one whose contentCN the client has seen is a ReadFlagChange, otherwise
// an Update; a tombstone is a Delete. Giving a change adds its cn and contentCN to cnSeen
// and adds or removes its number in idsGiven. W is then raised as far as nothing the
// client still needs lies below it, so a state that is up to date is W plus a few ranges.
//
// Encoding (then base64): version, kind ('I' items, 'H' hierarchy), uvarints folder
// number, epoch, issue time (Unix milliseconds of the World's clock), base (the folder's
// purged-tombstone mark when the enumeration began) and W, the ranges
// above W, the ranges of idsGiven (see rangeSet), and a 16-byte HMAC-SHA256 under the
// World's secret over the mailbox GUID and all of the above. The MAC makes a corrupt,
// truncated or foreign (other mailbox, other World) state detectable; folder, kind and
// epoch bind it to its folder and to the mailbox's current sync epoch (see
// Mailbox.ExpireSyncStates); the issue time lets states expire with age
// (World.SetSyncStateTTL).

// ChangeKind is the kind of a sync change.
type ChangeKind int

// Sync change kinds.
const (
	ChangeCreate ChangeKind = iota + 1
	ChangeUpdate
	ChangeDelete
	ChangeReadFlag
)

// String returns the element name: Create, Update, Delete or ReadFlagChange.
func (k ChangeKind) String() string {
	switch k {
	case ChangeCreate:
		return "Create"
	case ChangeUpdate:
		return "Update"
	case ChangeDelete:
		return "Delete"
	case ChangeReadFlag:
		return "ReadFlagChange"
	}
	return "Unknown"
}

// ItemChange is one change SyncItems reports.
type ItemChange struct {
	Kind   ChangeKind
	Item   ews.Item   // Create and Update: the item with all properties
	ItemId ews.ItemId // every kind; Delete has no ChangeKey
	IsRead bool       // ReadFlagChange
}

// FolderChange is one change SyncFolders reports.
type FolderChange struct {
	Kind     ChangeKind // Create, Update or Delete
	Folder   ews.Folder // Create and Update: the folder with all properties
	FolderId ews.FolderId
}

const (
	stateVersion      = 3
	stateKindItems    = 'I'
	stateKindFolders  = 'H'
	stateMACLen       = 16
	stateMinLen       = 2 + 6 + stateMACLen
	stateMaxBase64Len = 1 << 20
)

// syncRec is what the sync engine needs of an item or folder.
type syncRec struct {
	state         uint8 // recLive, recTomb or recGone (unknown, purged, out of scope)
	cn, contentCN uint64
}

// syncSource is a journal with its objects: a folder's items, or a mailbox's folders.
type syncSource interface {
	entries() []jentry
	lookup(ref uint64) syncRec
}

func (f *folder) entries() []jentry { return f.journal }

func (f *folder) lookup(inst uint64) syncRec {
	r := f.rec(inst)
	if r == nil {
		return syncRec{state: recGone}
	}
	return syncRec{r.state, r.cn, r.contentCN}
}

// hierarchy is the folders below root, as a sync source.
type hierarchy struct {
	m    *Mailbox
	root uint32
}

func (h hierarchy) entries() []jentry { return h.m.hjournal }

func (h hierarchy) lookup(num uint64) syncRec {
	f := h.m.folders[uint32(num)]
	if f == nil || !h.m.within(f, h.root) {
		return syncRec{state: recGone}
	}
	return syncRec{f.state, f.hcn, f.hcn}
}

type syncState struct {
	kind   byte
	folder uint32
	epoch  uint32
	// base is the folder's purgedCN when the client's enumeration began (its empty
	// state): tombstones purged before that were never owed to it.
	base uint64
	w    uint64
	seen rangeSet // cns > w the client has seen
	ids  rangeSet
}

func (st *syncState) hasSeen(cn uint64) bool { return cn <= st.w || st.seen.contains(cn) }

func (st *syncState) markSeen(cn uint64) {
	if cn > st.w {
		st.seen.add(cn)
	}
}

// candidate reports whether r is owed to the client.
func (st *syncState) candidate(ref uint64, r syncRec) bool {
	switch r.state {
	case recLive:
		return !st.hasSeen(r.cn)
	case recTomb:
		return !st.hasSeen(r.cn) && st.ids.contains(ref)
	}
	return false
}

// give records that the client has been given r's change and returns its kind.
func (st *syncState) give(ref uint64, r syncRec) ChangeKind {
	var k ChangeKind
	switch {
	case r.state == recTomb:
		k = ChangeDelete
		st.ids.remove(ref)
	case !st.ids.contains(ref):
		k = ChangeCreate
		st.ids.add(ref)
	case st.hasSeen(r.contentCN):
		k = ChangeReadFlag
	default:
		k = ChangeUpdate
	}
	st.markSeen(r.cn)
	if r.state == recLive {
		st.markSeen(r.contentCN)
	}
	return k
}

type pick struct {
	kind ChangeKind
	ref  uint64
}

// scan calls visit for every journal entry above W whose cn the client has not seen, in
// cn order, jumping over seen ranges; visit returns false to stop.
func (st *syncState) scan(j []jentry, visit func(e jentry) bool) {
	i := firstAfter(j, st.w)
	for i < len(j) {
		e := j[i]
		if sp, ok := st.seen.spanAt(e.cn); ok {
			i += firstAfter(j[i:], sp.hi)
			continue
		}
		if !visit(e) {
			return
		}
		i++
	}
}

// page gives the client up to maxChanges changes (all when maxChanges ≤ 0) and reports whether none
// remain. ignore lists objects whose pending change the client already knows about.
func (st *syncState) page(src syncSource, maxChanges int, ignore []uint64) (picks []pick, last bool) {
	for _, ref := range ignore {
		if r := src.lookup(ref); st.candidate(ref, r) {
			st.give(ref, r)
		}
	}
	last = true
	st.scan(src.entries(), func(e jentry) bool {
		r := src.lookup(e.ref)
		if r.cn != e.cn || !st.candidate(e.ref, r) {
			return true
		}
		if maxChanges > 0 && len(picks) == maxChanges {
			last = false
			return false
		}
		picks = append(picks, pick{st.give(e.ref, r), e.ref})
		return true
	})
	return picks, last
}

// normalize raises W to just below the first change number the client may still need: the
// cn of an object it has not been given, or the contentCN of a known item whose content it
// has not seen. Seen ranges at or below the new W are dropped.
func (st *syncState) normalize(src syncSource, counter uint64) {
	w := counter
	st.scan(src.entries(), func(e jentry) bool {
		r := src.lookup(e.ref)
		needed := false
		switch r.state {
		case recLive:
			needed = r.cn == e.cn || r.contentCN == e.cn && st.ids.contains(e.ref)
		case recTomb:
			needed = r.cn == e.cn && st.ids.contains(e.ref)
		}
		if needed {
			w = e.cn - 1
		}
		return !needed
	})
	if w > st.w {
		st.w = w
		st.seen.dropThrough(w)
	}
}

func (m *Mailbox) stateMAC(body []byte) []byte {
	mac := hmac.New(sha256.New, m.w.secret[:])
	mac.Write([]byte("syncstate\x00"))
	mac.Write(m.guid[:])
	mac.Write(body)
	return mac.Sum(nil)[:stateMACLen]
}

func (m *Mailbox) encodeState(st *syncState) string {
	b := make([]byte, 0, 64)
	b = append(b, stateVersion, st.kind)
	b = binary.AppendUvarint(b, uint64(st.folder))
	b = binary.AppendUvarint(b, uint64(st.epoch))
	b = binary.AppendUvarint(b, uint64(max(m.w.now().UnixMilli(), 0)))
	b = binary.AppendUvarint(b, st.base)
	b = binary.AppendUvarint(b, st.w)
	b = st.seen.appendTo(b, st.w+1)
	b = st.ids.appendTo(b, 1)
	b = append(b, m.stateMAC(b)...)
	return base64.StdEncoding.EncodeToString(b)
}

func errInvalidSyncState() error {
	return &ews.ResponseError{Code: ews.ErrorInvalidSyncStateData, Message: msgInvalidSyncState}
}

// stateBounds is what a valid state of a folder (or hierarchy) must fit in.
type stateBounds struct {
	kind     byte
	folder   uint32
	epoch    uint32
	counter  uint64 // highest cn handed out
	nextRef  uint64 // next instance (or folder) number
	purgedCN uint64 // highest cn of a purged tombstone
}

// decodeState parses and checks a state; "" is the empty state (nothing known).
func (m *Mailbox) decodeState(s string, bd stateBounds) (*syncState, error) {
	st := &syncState{kind: bd.kind, folder: bd.folder, epoch: bd.epoch}
	s = strings.TrimSpace(s)
	if s == "" {
		st.base = bd.purgedCN
		return st, nil
	}
	if len(s) > stateMaxBase64Len {
		return nil, errInvalidSyncState()
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) < stateMinLen {
		return nil, errInvalidSyncState()
	}
	body, mac := raw[:len(raw)-stateMACLen], raw[len(raw)-stateMACLen:]
	if !hmac.Equal(mac, m.stateMAC(body)) || body[0] != stateVersion || body[1] != bd.kind {
		return nil, errInvalidSyncState()
	}
	rest := body[2:]
	var folder, epoch, issued uint64
	if folder, rest, err = readUvarint(rest); err == nil {
		if epoch, rest, err = readUvarint(rest); err == nil {
			if issued, rest, err = readUvarint(rest); err == nil {
				if st.base, rest, err = readUvarint(rest); err == nil {
					st.w, rest, err = readUvarint(rest)
				}
			}
		}
	}
	if err == nil {
		st.seen, rest, err = readRangeSet(rest, st.w+1)
	}
	if err == nil {
		st.ids, rest, err = readRangeSet(rest, 1)
	}
	if err != nil || len(rest) != 0 || folder != uint64(bd.folder) || epoch != uint64(bd.epoch) {
		return nil, errInvalidSyncState()
	}
	if ttl := m.w.syncStateTTL(); ttl > 0 && issued <= math.MaxInt64 &&
		m.w.now().Sub(time.UnixMilli(int64(issued))) > ttl {
		return nil, errInvalidSyncState()
	}
	// A state from the future (e.g. of an earlier World with the same secret) or one that
	// may be owed a Delete whose tombstone is purged cannot be served. A tombstone purged
	// before the client's enumeration began (base) was never owed to it.
	if st.w > bd.counter || len(st.seen) > 0 && st.seen[len(st.seen)-1].hi > bd.counter ||
		len(st.ids) > 0 && st.ids[len(st.ids)-1].hi >= bd.nextRef ||
		len(st.ids) > 0 && st.w < bd.purgedCN && st.base < bd.purgedCN || st.base > bd.purgedCN {
		return nil, errInvalidSyncState()
	}
	return st, nil
}

// SyncItems answers SyncFolderItems for one folder: up to maxChanges changes (1–512) since the
// state (empty: since nothing, so every item is a Create), the new state, and whether no
// changes remain (IncludesLastItemInRange). Changes come in change-number order; items
// listed in ignore are left out but count as given. A corrupt, truncated or expired state,
// or one of another folder or mailbox, gives ErrorInvalidSyncStateData. Only normal items
// exist, so SyncScope NormalItems and NormalAndAssociatedItems are the same.
func (m *Mailbox) SyncItems(ref FolderRef, state string, maxChanges int, ignore []ews.ItemId) (changes []ItemChange, newState string, includesLast bool, err error) {
	newState, includesLast, err = m.pageItems(ref, state, maxChanges, ignore, func(f *folder, picks []pick) {
		changes = make([]ItemChange, 0, len(picks))
		for _, p := range picks {
			r := f.rec(p.ref)
			c := ItemChange{Kind: p.kind}
			switch p.kind {
			case ChangeDelete:
				c.ItemId = m.deletedItemID(f, p.ref)
			case ChangeReadFlag:
				c.ItemId, c.IsRead = m.itemID(f, p.ref, r), r.read
			default:
				c.Item = m.render(f, p.ref, r)
				c.ItemId = *c.Item.ItemId
			}
			changes = append(changes, c)
		}
	})
	return changes, newState, includesLast, err
}

// pageItems is the engine of SyncItems: it checks the request, gives the client the next
// page of changes (see syncState.page) and returns the new state. Before it returns, and
// while the mailbox is still locked, it calls render with the page's changes, so that the
// caller can materialize them in the form it needs (SyncItems as ItemChanges, the
// SyncFolderItems operation as shaped changes, an IdOnly page without generating content).
// render is not called when the request fails.
func (m *Mailbox) pageItems(ref FolderRef, state string, maxChanges int, ignore []ews.ItemId, render func(f *folder, picks []pick)) (newState string, includesLast bool, err error) {
	if maxChanges < 1 || maxChanges > maxChangesReturnedLimit {
		return "", false, &ews.ResponseError{Code: ews.ErrorInvalidRequest, Message: "MaxChangesReturned must be between 1 and 512."}
	}
	if err := m.begin(); err != nil {
		return "", false, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return "", false, err
	}
	if ret := m.w.retention(); ret > 0 {
		f.purgeTombstones(m.w.now().Add(-ret))
	}
	st, err := m.decodeState(state, stateBounds{
		kind: stateKindItems, folder: f.num, epoch: f.epoch,
		counter: f.cn, nextRef: f.nextInst(), purgedCN: f.purgedCN,
	})
	if err != nil {
		return "", false, err
	}
	var refs []uint64
	for _, id := range ignore {
		if o, ok := parseID(id.Id); ok && o.kind == idKindItem && o.guid == m.guid && o.folder == f.num {
			refs = append(refs, o.inst)
		}
	}
	picks, last := st.page(f, maxChanges, refs)
	st.normalize(f, f.cn)
	render(f, picks)
	return m.encodeState(st), last, nil
}

// deletedItemID is the id a Delete change reports: the item's id without a ChangeKey.
func (m *Mailbox) deletedItemID(f *folder, inst uint64) ews.ItemId {
	return ews.ItemId{Id: objectID{kind: idKindItem, guid: m.guid, folder: f.num, inst: inst}.String()}
}

// SyncFolders answers SyncFolderHierarchy: the folder changes below root (the zero
// FolderRef means msgfolderroot, the visible hierarchy) since the state, up to
// maxChanges (0 or less: all), the new state and whether no changes remain. Folders are created before
// their subfolders, so Creates come parents first.
func (m *Mailbox) SyncFolders(root FolderRef, state string, maxChanges int) (changes []FolderChange, newState string, includesLast bool, err error) {
	if err := m.begin(); err != nil {
		return nil, "", false, err
	}
	defer m.mu.Unlock()
	if root.IsZero() {
		root = FolderByName(distinguishedMsgFolderRoot)
	}
	rf, err := m.resolveFolder(root)
	if err != nil {
		return nil, "", false, err
	}
	src := hierarchy{m, rf.num}
	st, err := m.decodeState(state, stateBounds{
		kind: stateKindFolders, folder: rf.num, epoch: m.hepoch,
		counter: m.hcn, nextRef: uint64(m.nextFolder),
	})
	if err != nil {
		return nil, "", false, err
	}
	picks, last := st.page(src, maxChanges, nil)
	st.normalize(src, m.hcn)
	changes = make([]FolderChange, 0, len(picks))
	for _, p := range picks {
		f := m.folders[uint32(p.ref)]
		c := FolderChange{Kind: p.kind}
		if p.kind == ChangeDelete {
			c.FolderId = ews.FolderId{Id: objectID{kind: idKindFolder, guid: m.guid, folder: f.num}.String()}
		} else {
			c.Folder = m.renderFolder(f)
			c.FolderId = *c.Folder.FolderId
		}
		changes = append(changes, c)
	}
	return changes, m.encodeState(st), last, nil
}
