package exchangesim

import (
	"sort"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Change numbers. Every folder counts its item changes: creating an item, moving one in,
// changing its content or only its read flag, deleting it or moving it out each take the
// folder's next change number (cn). An item remembers its current cn and the cn of its last
// content change (contentCN), which is what tells an Update from a ReadFlagChange. A
// deleted or moved-out item stays behind as a tombstone holding the cn of its removal, so
// that sync states can learn of it, until tombstones are purged.
//
// The journal of a folder is the append-only list of (cn, instance) pairs, in cn order. An
// entry is stale once its instance has a newer cn and no longer refers to the entry's cn
// as its contentCN; stale entries are skipped and, when they outnumber the rest, compacted
// away. "What changed after cn W" is therefore a binary search and a scan proportional to
// what is returned. Folders (for SyncFolderHierarchy) use the same scheme with one counter
// and one journal per mailbox.

// Record states.
const (
	recLive uint8 = iota + 1
	recTomb       // deleted or moved out; cn is the removal's
	recGone       // tombstone purged
)

// Kinds of generated content; genNone means the record stores a full ews.Item.
const (
	genNone uint8 = iota
	genMessage
	genSent
	genEvent
	genContact
	genTask
)

// itemRec is one item instance in a folder, kept small: generated items are materialized
// from (kind, date, seed) on demand, and only created or modified items store a full item.
type itemRec struct {
	cn        uint64
	contentCN uint64
	date      int64 // unix seconds: received (messages), start (events), created; removal time for tombstones
	seed      uint64
	full      *ews.Item
	kind      uint8
	read      bool
	state     uint8
}

// jentry is a journal entry: change number cn happened to ref (an item instance number or,
// in the hierarchy journal, a folder number).
type jentry struct{ cn, ref uint64 }

// folder is a mailbox folder: its place in the hierarchy and its items.
type folder struct {
	num    uint32
	parent uint32
	dist   string // distinguished name, e.g. "inbox"; "" for user folders
	name   string
	class  string
	kind   string // ews.KindFolder, ews.KindCalendarFolder, …
	hcn    uint64 // hierarchy cn of the folder's last change
	state  uint8  // recLive or recTomb

	cn           uint64 // last item cn
	base         uint64 // instance number of recs[0]
	recs         []itemRec
	journal      []jentry
	journalLimit int
	tombQ        []uint64 // tombstone instances in removal order
	purgedCN     uint64   // highest cn of a purged tombstone
	epoch        uint32   // bumped to invalidate every sync state of the folder
	live, unread int
}

func newFolder(num, parent uint32, dist, name, class, kind string) *folder {
	return &folder{num: num, parent: parent, dist: dist, name: name, class: class, kind: kind, state: recLive, base: 1}
}

// rec returns the record of an instance, or nil when it was never there or is purged.
func (f *folder) rec(inst uint64) *itemRec {
	if inst < f.base || inst-f.base >= uint64(len(f.recs)) {
		return nil
	}
	r := &f.recs[inst-f.base]
	if r.state == recGone {
		return nil
	}
	return r
}

// liveRec returns the record of a live instance, or nil.
func (f *folder) liveRec(inst uint64) *itemRec {
	if r := f.rec(inst); r != nil && r.state == recLive {
		return r
	}
	return nil
}

func (f *folder) nextInst() uint64 { return f.base + uint64(len(f.recs)) }

func (f *folder) log(cn, ref uint64) {
	f.journal = append(f.journal, jentry{cn, ref})
	if len(f.journal) > f.journalLimit {
		f.compact()
	}
}

// compact drops stale journal entries.
func (f *folder) compact() {
	if f.journalLimit > 0 {
		out := f.journal[:0]
		for _, e := range f.journal {
			if r := f.rec(e.ref); r != nil && (r.cn == e.cn || r.state == recLive && r.contentCN == e.cn) {
				out = append(out, e)
			}
		}
		clear(f.journal[len(out):])
		f.journal = out
	}
	f.journalLimit = max(1024, 2*len(f.journal))
}

// insert adds an item instance (created, delivered, moved or copied in) and returns its
// instance number.
func (f *folder) insert(r itemRec) uint64 {
	f.cn++
	r.cn, r.contentCN, r.state = f.cn, f.cn, recLive
	inst := f.nextInst()
	f.recs = append(f.recs, r)
	f.live++
	if !r.read {
		f.unread++
	}
	f.log(r.cn, inst)
	return inst
}

// touch records a change to a live item: content (an Update) or only its read flag.
func (f *folder) touch(inst uint64, r *itemRec, content bool) {
	f.cn++
	r.cn = f.cn
	if content {
		r.contentCN = f.cn
	}
	f.log(r.cn, inst)
}

// setRead changes the read flag and keeps the unread count.
func (f *folder) setRead(r *itemRec, read bool) {
	if r.read == read {
		return
	}
	r.read = read
	if read {
		f.unread--
	} else {
		f.unread++
	}
}

// remove turns a live item into a tombstone (delete or move out).
func (f *folder) remove(inst uint64, r *itemRec, now time.Time) {
	f.cn++
	r.cn, r.state, r.full, r.date = f.cn, recTomb, nil, now.Unix()
	f.live--
	if !r.read {
		f.unread--
	}
	f.tombQ = append(f.tombQ, inst)
	f.log(r.cn, inst)
}

// purgeTombstones forgets tombstones removed before cutoff (all of them for a zero time).
// Sync states that might still need one of them become invalid (see purgedCN).
func (f *folder) purgeTombstones(cutoff time.Time) {
	n := 0
	for _, inst := range f.tombQ {
		r := f.rec(inst)
		if r == nil || r.state != recTomb {
			n++
			continue
		}
		if !cutoff.IsZero() && r.date >= cutoff.Unix() {
			break
		}
		r.state = recGone
		f.purgedCN = max(f.purgedCN, r.cn)
		n++
	}
	if n == 0 {
		return
	}
	f.tombQ = append(f.tombQ[:0:0], f.tombQ[n:]...)
	// Drop the purged prefix of recs so that churn does not grow memory forever.
	k := 0
	for k < len(f.recs) && f.recs[k].state == recGone {
		k++
	}
	if k > 0 {
		f.base += uint64(k)
		f.recs = append(f.recs[:0:0], f.recs[k:]...)
	}
	f.compact()
}

// firstAfter returns the index of the first journal entry with cn > w.
func firstAfter(j []jentry, w uint64) int {
	return sort.Search(len(j), func(i int) bool { return j[i].cn > w })
}

// EventKind is the kind of a mailbox event, for subscriptions.
type EventKind int

// Event kinds, as EWS names them.
const (
	EventCreated EventKind = iota + 1
	EventModified
	EventDeleted
	EventMoved
	EventCopied
	EventNewMail
)

// String returns the EWS element name, e.g. "CreatedEvent".
func (k EventKind) String() string {
	switch k {
	case EventCreated:
		return "CreatedEvent"
	case EventModified:
		return "ModifiedEvent"
	case EventDeleted:
		return "DeletedEvent"
	case EventMoved:
		return "MovedEvent"
	case EventCopied:
		return "CopiedEvent"
	case EventNewMail:
		return "NewMailEvent"
	}
	return "UnknownEvent"
}

// Event is one change in a mailbox, as a subscription reports it. Exactly one of ItemId
// and FolderId is set. Watermark counts the mailbox's events (1, 2, 3, …), so a
// subscription can resume after any event it has seen.
type Event struct {
	Kind              EventKind
	Mailbox           string // owner's primary SMTP address
	Watermark         uint64
	Time              time.Time
	ItemId            *ews.ItemId
	FolderId          *ews.FolderId
	ParentFolderId    ews.FolderId
	OldItemId         *ews.ItemId   // Moved and Copied events
	OldParentFolderId *ews.FolderId // Moved and Copied events
}
