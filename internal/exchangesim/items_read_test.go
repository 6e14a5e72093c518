package exchangesim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Tests of the reading operations: SyncFolderHierarchy, SyncFolderItems, GetItem,
// FindFolder and FindItem, over the harness (every response is schema-validated).

const alice = "alice@contoso.com"

// syncPage is one SyncFolderItems call's result.
type syncPage struct {
	changes []ews.SyncFolderItemsChange
	state   string
	last    bool
}

// syncItems calls SyncFolderItems once and fails on an error message.
func syncItems(t *testing.T, c *ewsCaller, folder ews.BaseFolderId, state string, max int, shape ews.ItemShape) syncPage {
	t.Helper()
	var resp ews.SyncFolderItemsResponse
	c.mustCall(ews.OpSyncFolderItems, &ews.SyncFolderItemsRequest{
		ItemShape:          shape,
		SyncFolderId:       ews.FolderIds{Ids: []ews.BaseFolderId{folder}},
		SyncState:          state,
		MaxChangesReturned: max,
		SyncScope:          ews.SyncNormalItems,
	}, &resp)
	if len(resp.ResponseMessages) != 1 {
		t.Fatalf("%d messages", len(resp.ResponseMessages))
	}
	m := resp.ResponseMessages[0]
	if err := m.Err(); err != nil {
		t.Fatalf("SyncFolderItems: %v", err)
	}
	if m.SyncState == "" || m.IncludesLastItemInRange == nil || m.Changes == nil {
		t.Fatalf("incomplete success message: state %q, last %v, changes %v", m.SyncState, m.IncludesLastItemInRange, m.Changes)
	}
	return syncPage{m.Changes.Changes, m.SyncState, *m.IncludesLastItemInRange}
}

// syncAll pages SyncFolderItems to the end and returns every change and the final state.
func syncAll(t *testing.T, c *ewsCaller, folder ews.BaseFolderId, state string, max int) ([]ews.SyncFolderItemsChange, string) {
	t.Helper()
	var all []ews.SyncFolderItemsChange
	for range 10000 {
		p := syncItems(t, c, folder, state, max, ews.ItemShape{BaseShape: ews.ShapeIdOnly})
		if len(p.changes) > max {
			t.Fatalf("a page of %d changes exceeds MaxChangesReturned %d", len(p.changes), max)
		}
		if !p.last && len(p.changes) == 0 {
			t.Fatal("an empty page that is not the last")
		}
		all = append(all, p.changes...)
		state = p.state
		if p.last {
			return all, state
		}
	}
	t.Fatal("SyncFolderItems never reached the end")
	return nil, ""
}

func changeID(ch ews.SyncFolderItemsChange) string {
	if ch.Item != nil && ch.Item.ItemId != nil {
		return ch.Item.ItemId.Id
	}
	if ch.ItemId != nil {
		return ch.ItemId.Id
	}
	return ""
}

func inboxID() ews.BaseFolderId { return ews.DistinguishedFolder("inbox") }

func worldMailbox(t *testing.T, s *simServer, addr string) *exchangesim.Mailbox {
	t.Helper()
	mb, err := s.Sim.World().Mailbox(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

func TestSyncFolderItemsInitialPaging(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	total := inboxCount(t, c)
	if total != 50 {
		t.Fatalf("contoso alice's Inbox has %d items, want 50", total)
	}
	for _, max := range []int{1, 10, 512} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			t.Parallel()
			changes, state := syncAll(t, c, inboxID(), "", max)
			seen := map[string]bool{}
			for _, ch := range changes {
				if ch.Kind() != ews.ChangeCreate {
					t.Fatalf("initial sync change %s, want only creates", ch.Kind())
				}
				if ch.Item.Kind() != ews.KindMessage || ch.Item.ItemId.ChangeKey == "" || ch.Item.Subject != "" {
					t.Fatalf("IdOnly create %+v", ch.Item)
				}
				id := changeID(ch)
				if seen[id] {
					t.Fatalf("item %s synced twice", id)
				}
				seen[id] = true
			}
			if len(seen) != total {
				t.Fatalf("synced %d items, TotalCount is %d", len(seen), total)
			}
			rest := syncItems(t, c, inboxID(), state, max, ews.ItemShape{BaseShape: ews.ShapeIdOnly})
			if len(rest.changes) != 0 || !rest.last {
				t.Fatalf("from the final state: %d changes, last %v", len(rest.changes), rest.last)
			}
		})
	}
}

// Every kind of change made after a sync, through the admin API or the world model, is
// exactly one change of the right kind in the next sync.
func TestSyncFolderItemsIncremental(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	mb := worldMailbox(t, s, alice)
	_, state := syncAll(t, c, inboxID(), "", 512)

	one := func(kind, id string) ews.SyncFolderItemsChange {
		t.Helper()
		changes, next := syncAll(t, c, inboxID(), state, 512)
		if len(changes) != 1 || changes[0].Kind() != kind || (id != "" && changeID(changes[0]) != id) {
			var got []string
			for _, ch := range changes {
				got = append(got, ch.Kind()+" "+changeID(ch))
			}
			t.Fatalf("want one %s of %s, got %v", kind, id, got)
		}
		state = next
		return changes[0]
	}

	// Delivered through the admin API.
	admin(t, s, http.MethodPost, "/deliver", `{"from":"bob@contoso.com","to":["alice@contoso.com"],"subject":"incremental"}`, http.StatusOK, nil)
	created := one(ews.ChangeCreate, "")
	id := changeID(created)

	// Created through the world model.
	own, err := mb.CreateItem(exchangesim.FolderByName("inbox"), ews.Item{XMLName: xml.Name{Local: ews.KindMessage}, Subject: "from the model"})
	if err != nil {
		t.Fatal(err)
	}
	one(ews.ChangeCreate, own.Id)

	if _, err := mb.UpdateItem(ews.ItemId{Id: id}, func(it *ews.Item) error { it.Subject = "incremental, edited"; return nil }); err != nil {
		t.Fatal(err)
	}
	one(ews.ChangeUpdate, id)

	if _, err := mb.SetRead(id, true); err != nil {
		t.Fatal(err)
	}
	rf := one(ews.ChangeReadFlag, id)
	if rf.IsRead == nil || !*rf.IsRead {
		t.Fatalf("ReadFlagChange IsRead %v, want true", rf.IsRead)
	}
	admin(t, s, http.MethodPatch, "/mailboxes/alice@contoso.com/items/"+id, `{"is_read":false}`, http.StatusOK, nil)
	if rf := one(ews.ChangeReadFlag, id); rf.IsRead == nil || *rf.IsRead {
		t.Fatalf("ReadFlagChange IsRead %v, want false", rf.IsRead)
	}

	admin(t, s, http.MethodDelete, "/mailboxes/alice@contoso.com/items/"+id, "", http.StatusNoContent, nil)
	del := one(ews.ChangeDelete, id)
	if del.ItemId == nil || del.ItemId.ChangeKey != "" {
		t.Fatalf("Delete change %+v: want the id without ChangeKey", del.ItemId)
	}
	if err := mb.DeleteItem(own.Id, exchangesim.MoveToDeletedItems); err != nil {
		t.Fatal(err)
	}
	one(ews.ChangeDelete, own.Id)

	// A change the client made itself can be left out with Ignore.
	ignored, err := mb.CreateItem(exchangesim.FolderByName("inbox"), ews.Item{XMLName: xml.Name{Local: ews.KindMessage}, Subject: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	var resp ews.SyncFolderItemsResponse
	c.mustCall(ews.OpSyncFolderItems, &ews.SyncFolderItemsRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly},
		SyncFolderId: ews.FolderIds{Ids: []ews.BaseFolderId{inboxID()}}, SyncState: state, MaxChangesReturned: 10,
		Ignore: &ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ignored)}}}, &resp)
	if m := resp.ResponseMessages[0]; m.Err() != nil || len(m.Changes.Changes) != 0 {
		t.Fatalf("ignored create: %v, %d changes", m.Err(), len(m.Changes.Changes))
	} else if changes, _ := syncAll(t, c, inboxID(), m.SyncState, 10); len(changes) != 0 {
		t.Fatalf("the ignored create came later: %d changes", len(changes))
	}
}

// Changes are shaped like GetItem's items: a create in Default shape carries the subject.
func TestSyncFolderItemsShaped(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	p := syncItems(t, c, ews.DistinguishedFolder("calendar"), "", 5, ews.ItemShape{BaseShape: ews.ShapeIdOnly,
		AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("item:Subject"), ews.Field("calendar:Start")}}})
	if len(p.changes) != 5 || p.last {
		t.Fatalf("%d changes, last %v", len(p.changes), p.last)
	}
	for _, ch := range p.changes {
		it := ch.Item
		if it.Kind() != ews.KindCalendarItem || it.Subject == "" || it.Start.IsZero() || it.End.IsZero() == false || it.Body != nil {
			t.Fatalf("shaped create %+v", it)
		}
	}
}

func TestSyncFolderItemsInvalidState(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	_, inboxState := syncAll(t, c, inboxID(), "", 512)
	_, sentState := syncAll(t, c, ews.DistinguishedFolder("sentitems"), "", 512)
	_, carolState := syncAll(t, s.svcAs(t, "carol@contoso.com"), inboxID(), "", 512)

	corrupt := []byte(inboxState)
	corrupt[len(corrupt)/2] ^= 1
	cases := []struct{ name, state string }{
		{"not base64", "this is not a sync state"},
		{"garbage", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"corrupt", string(corrupt)},
		{"truncated", inboxState[:len(inboxState)-8]},
		{"another folder's", sentState},
		{"another mailbox's", carolState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			syncStateError(t, c, inboxID(), tc.state)
		})
	}
	t.Run("expired", func(t *testing.T) {
		admin(t, s, http.MethodPost, "/mailboxes/alice@contoso.com/expire-sync-states", "", http.StatusNoContent, nil)
		syncStateError(t, c, inboxID(), inboxState)
		// A fresh sync works again.
		if changes, _ := syncAll(t, c, inboxID(), "", 512); len(changes) != 50 {
			t.Fatalf("fresh sync after expiry: %d changes", len(changes))
		}
	})
}

func syncStateError(t *testing.T, c *ewsCaller, folder ews.BaseFolderId, state string) {
	t.Helper()
	var resp ews.SyncFolderItemsResponse
	c.mustCall(ews.OpSyncFolderItems, &ews.SyncFolderItemsRequest{
		ItemShape:          ews.ItemShape{BaseShape: ews.ShapeIdOnly},
		SyncFolderId:       ews.FolderIds{Ids: []ews.BaseFolderId{folder}},
		SyncState:          state,
		MaxChangesReturned: 10,
	}, &resp)
	m := resp.ResponseMessages[0]
	if ews.Code(m.Err()) != ews.ErrorInvalidSyncStateData {
		t.Fatalf("error %v, want ErrorInvalidSyncStateData", m.Err())
	}
	// exchangelib reads IncludesLastItemInRange (and SyncState) before the response class.
	if m.IncludesLastItemInRange == nil || !*m.IncludesLastItemInRange || m.Changes != nil {
		t.Fatalf("error message: IncludesLastItemInRange %v, changes %v", m.IncludesLastItemInRange, m.Changes)
	}
}

// Values the schema forbids are ErrorSchemaValidation faults, as Exchange's schema
// validation makes them.
func TestReadOperationsSchemaFaults(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	sync := func(max int, shape ews.ItemShape) *ews.SyncFolderItemsRequest {
		return &ews.SyncFolderItemsRequest{ItemShape: shape, MaxChangesReturned: max,
			SyncFolderId: ews.FolderIds{Ids: []ews.BaseFolderId{inboxID()}}}
	}
	idOnly := ews.ItemShape{BaseShape: ews.ShapeIdOnly}
	cases := []struct {
		name string
		op   string
		req  any
	}{
		{"MaxChangesReturned 0", ews.OpSyncFolderItems, sync(0, idOnly)},
		{"MaxChangesReturned 513", ews.OpSyncFolderItems, sync(513, idOnly)},
		{"unknown BaseShape", ews.OpSyncFolderItems, sync(10, ews.ItemShape{BaseShape: "Everything"})},
		{"unknown FieldURI", ews.OpGetItem, &ews.GetItemRequest{
			ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("item:NoSuchThing")}}},
			ItemIds:   ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: "x"})}}}},
		{"unknown BodyType", ews.OpGetItem, &ews.GetItemRequest{
			ItemShape: ews.ItemShape{BaseShape: ews.ShapeDefault, BodyType: "Markdown"},
			ItemIds:   ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: "x"})}}}},
		{"unknown Traversal", ews.OpFindItem, &ews.FindItemRequest{Traversal: "Sideways", ItemShape: idOnly,
			ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{inboxID()}}}},
		{"unknown restriction path", ews.OpFindItem, &ews.FindItemRequest{Traversal: ews.TraversalShallow, ItemShape: idOnly,
			Restriction:     ews.Where(ews.IsEqualTo(ews.Field("item:Colour"), "red")),
			ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{inboxID()}}}},
		{"unknown folder traversal", ews.OpFindFolder, &ews.FindFolderRequest{Traversal: "Sideways",
			FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly}, ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{inboxID()}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var resp struct{}
			err := c.call(tc.op, tc.req, &resp)
			var re *ews.ResponseError
			if !errors.As(err, &re) || !re.Fault || re.Code != ews.ErrorSchemaValidation {
				t.Fatalf("err %v, want an ErrorSchemaValidation fault", err)
			}
		})
	}
}

func TestSyncFolderHierarchy(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	hier := func(state string) ews.SyncFolderHierarchyResponseMessage {
		t.Helper()
		var resp ews.SyncFolderHierarchyResponse
		c.mustCall(ews.OpSyncFolderHierarchy, &ews.SyncFolderHierarchyRequest{
			FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("folder:FolderClass")}}},
			SyncState:   state,
		}, &resp)
		m := resp.ResponseMessages[0]
		if err := m.Err(); err != nil {
			t.Fatal(err)
		}
		if m.SyncState == "" || m.IncludesLastFolderInRange == nil || !*m.IncludesLastFolderInRange || m.Changes == nil {
			t.Fatalf("incomplete message %+v", m)
		}
		return m
	}
	first := hier("")
	kinds := map[string]string{}
	ids := map[string]bool{}
	for _, ch := range first.Changes.Changes {
		if ch.Kind() != ews.ChangeCreate || ch.Folder == nil {
			t.Fatalf("initial change %s", ch.Kind())
		}
		if ids[ch.Folder.FolderId.Id] {
			t.Fatalf("folder %s listed twice", ch.Folder.DisplayName)
		}
		ids[ch.Folder.FolderId.Id] = true
		kinds[ch.Folder.DisplayName] = ch.Folder.Kind()
	}
	want := map[string]string{"Inbox": ews.KindFolder, "Sent Items": ews.KindFolder, "Drafts": ews.KindFolder,
		"Deleted Items": ews.KindFolder, "Calendar": ews.KindCalendarFolder, "Contacts": ews.KindContactsFolder,
		"Tasks": ews.KindTasksFolder}
	for name, kind := range want {
		if kinds[name] != kind {
			t.Errorf("%s: kind %q, want %q", name, kinds[name], kind)
		}
	}
	if _, ok := kinds["Top of Information Store"]; ok {
		t.Error("the sync root itself was listed")
	}
	if again := hier(first.SyncState); len(again.Changes.Changes) != 0 {
		t.Fatalf("%d changes from an up-to-date state", len(again.Changes.Changes))
	}

	mb := worldMailbox(t, s, alice)
	f, err := mb.CreateFolder(exchangesim.FolderByName("inbox"), "Projects", "")
	if err != nil {
		t.Fatal(err)
	}
	next := hier(first.SyncState)
	if len(next.Changes.Changes) != 1 || next.Changes.Changes[0].Kind() != ews.ChangeCreate ||
		next.Changes.Changes[0].Folder.FolderId.Id != f.FolderId.Id || next.Changes.Changes[0].Folder.DisplayName != "Projects" {
		t.Fatalf("after CreateFolder: %+v", next.Changes.Changes)
	}
	if again := hier(next.SyncState); len(again.Changes.Changes) != 0 {
		t.Fatalf("the new folder was listed again: %+v", again.Changes.Changes)
	}
	if _, err := mb.RenameFolder(exchangesim.FolderByID(f.FolderId.Id), "Projects 2026"); err != nil {
		t.Fatal(err)
	}
	renamed := hier(next.SyncState)
	if len(renamed.Changes.Changes) != 1 || renamed.Changes.Changes[0].Kind() != ews.ChangeUpdate || renamed.Changes.Changes[0].Folder.DisplayName != "Projects 2026" {
		t.Fatalf("after RenameFolder: %+v", renamed.Changes.Changes)
	}
	if err := mb.DeleteFolder(exchangesim.FolderByID(f.FolderId.Id)); err != nil {
		t.Fatal(err)
	}
	deleted := hier(renamed.SyncState)
	if len(deleted.Changes.Changes) != 1 || deleted.Changes.Changes[0].Kind() != ews.ChangeDelete || deleted.Changes.Changes[0].FolderId.Id != f.FolderId.Id {
		t.Fatalf("after DeleteFolder: %+v", deleted.Changes.Changes)
	}

	// Below a folder of the request's choosing: only its subtree.
	sub, err := mb.CreateFolder(exchangesim.FolderByName("calendar"), "Team calendar", "IPF.Appointment")
	if err != nil {
		t.Fatal(err)
	}
	var below ews.SyncFolderHierarchyResponse
	c.mustCall(ews.OpSyncFolderHierarchy, &ews.SyncFolderHierarchyRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		SyncFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("calendar")}}}, &below)
	if ch := below.ResponseMessages[0].Changes.Changes; len(ch) != 1 || ch[0].Folder.FolderId.Id != sub.FolderId.Id || ch[0].Folder.Kind() != ews.KindCalendarFolder {
		t.Fatalf("below the calendar: %+v", ch)
	}

	var bad ews.SyncFolderHierarchyResponse
	c.mustCall(ews.OpSyncFolderHierarchy, &ews.SyncFolderHierarchyRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly}, SyncState: "bm9wZQ=="}, &bad)
	if m := bad.ResponseMessages[0]; ews.Code(m.Err()) != ews.ErrorInvalidSyncStateData || m.IncludesLastFolderInRange == nil {
		t.Fatalf("bad state: %v, IncludesLastFolderInRange %v", m.Err(), m.IncludesLastFolderInRange)
	}
}

// inboxIDs returns the first n item ids of a folder, by SyncFolderItems.
func folderItemIDs(t *testing.T, c *ewsCaller, folder ews.BaseFolderId, n int) []ews.ItemId {
	t.Helper()
	p := syncItems(t, c, folder, "", n, ews.ItemShape{BaseShape: ews.ShapeIdOnly})
	ids := make([]ews.ItemId, 0, n)
	for _, ch := range p.changes {
		ids = append(ids, *ch.Item.ItemId)
	}
	if len(ids) != n {
		t.Fatalf("%d ids, want %d", len(ids), n)
	}
	return ids
}

func getItems(t *testing.T, c *ewsCaller, shape ews.ItemShape, ids ...ews.ItemId) []ews.GetItemResponseMessage {
	t.Helper()
	req := &ews.GetItemRequest{ItemShape: shape}
	for _, id := range ids {
		req.ItemIds.Ids = append(req.ItemIds.Ids, ews.ItemRef(id))
	}
	var resp ews.GetItemResponse
	c.mustCall(ews.OpGetItem, req, &resp)
	if len(resp.ResponseMessages) != len(ids) {
		t.Fatalf("%d messages for %d ids", len(resp.ResponseMessages), len(ids))
	}
	return resp.ResponseMessages
}

func TestGetItemBatch(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	ids := folderItemIDs(t, c, inboxID(), 3)
	carol := folderItemIDs(t, s.svcAs(t, "carol@contoso.com"), inboxID(), 1)[0]
	folderAsItem := ews.ItemId{Id: worldFolderID(t, s, alice, "inbox")}
	gone := ids[2]
	if err := worldMailbox(t, s, alice).DeleteItem(gone.Id, exchangesim.HardDelete); err != nil {
		t.Fatal(err)
	}
	batch := []ews.ItemId{ids[0], {Id: "not an id!"}, carol, gone, {Id: ""}, folderAsItem, ids[1]}
	want := []string{"", ews.ErrorInvalidIdMalformed, ews.ErrorItemNotFound, ews.ErrorItemNotFound, "ErrorInvalidIdEmpty", ews.ErrorItemNotFound, ""}
	msgs := getItems(t, c, ews.ItemShape{BaseShape: ews.ShapeDefault}, batch...)
	for i, m := range msgs {
		if got := ews.Code(m.Err()); got != want[i] {
			t.Errorf("id %d: code %q, want %q", i, got, want[i])
			continue
		}
		if want[i] != "" {
			if len(m.Items.Items) != 0 || m.DescriptiveLinkKey == nil {
				t.Errorf("id %d: error message with items or without DescriptiveLinkKey", i)
			}
			continue
		}
		if len(m.Items.Items) != 1 || m.Items.Items[0].ItemId.Id != batch[i].Id || m.Items.Items[0].Subject == "" {
			t.Errorf("id %d: items %+v", i, m.Items.Items)
		}
	}
}

func worldFolderID(t *testing.T, s *simServer, addr, name string) string {
	t.Helper()
	f, err := worldMailbox(t, s, addr).Folder(exchangesim.FolderByName(name))
	if err != nil {
		t.Fatal(err)
	}
	return f.FolderId.Id
}

func TestItemShapes(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	msgID := folderItemIDs(t, c, inboxID(), 1)[0]
	eventID := folderItemIDs(t, c, ews.DistinguishedFolder("calendar"), 1)[0]
	contactID := folderItemIDs(t, c, ews.DistinguishedFolder("contacts"), 1)[0]
	paths := func(ps ...ews.PropertyPath) *ews.PropertyPaths { return &ews.PropertyPaths{Paths: ps} }
	get := func(t *testing.T, shape ews.ItemShape, id ews.ItemId) ews.Item {
		t.Helper()
		m := getItems(t, c, shape, id)[0]
		if err := m.Err(); err != nil {
			t.Fatal(err)
		}
		return m.Items.Items[0]
	}

	t.Run("IdOnly", func(t *testing.T) {
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeIdOnly}, msgID)
		if it.ItemId == nil || it.ItemId.Id != msgID.Id || it.Subject != "" || it.Body != nil || it.IsRead != nil || !it.DateTimeReceived.IsZero() {
			t.Fatalf("%+v", it)
		}
	})
	t.Run("Default message", func(t *testing.T) {
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeDefault}, msgID)
		if it.Subject == "" || it.Body == nil || it.Body.BodyType != "HTML" || it.From == nil || it.From.Mailbox.EmailAddress == "" ||
			it.ToRecipients == nil || it.IsRead == nil || it.Size == nil || it.DateTimeSent.IsZero() || it.HasAttachments == nil {
			t.Fatalf("default message lacks a default property: %+v", it)
		}
		if it.InternetMessageId != "" || it.ConversationTopic != "" || it.ParentFolderId != nil || it.ItemClass != "" {
			t.Fatalf("default message has more than the default properties: %+v", it)
		}
	})
	t.Run("Default calendar item", func(t *testing.T) {
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeDefault}, eventID)
		if it.Kind() != ews.KindCalendarItem || it.Subject == "" || it.Start.IsZero() || it.End.IsZero() || it.Location == "" || it.Organizer == nil || it.LegacyFreeBusyStatus == "" {
			t.Fatalf("%+v", it)
		}
		if it.Body != nil || it.RequiredAttendees != nil {
			t.Fatalf("default calendar item has a body or attendees: %+v", it)
		}
	})
	t.Run("AllProperties", func(t *testing.T) {
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeAllProperties}, msgID)
		if it.ParentFolderId == nil || it.ItemClass != "IPM.Note" || it.DateTimeReceived.IsZero() || it.ConversationTopic == "" ||
			it.InternetMessageId == "" || it.Body == nil || it.Sender == nil || it.IsRead == nil || it.MimeContent != nil {
			t.Fatalf("%+v", it)
		}
	})
	t.Run("AdditionalProperties", func(t *testing.T) {
		shape := ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: paths(ews.Field("item:Subject"), ews.Field("message:IsRead"),
			ews.Field("calendar:Start"), ews.Field("item:DateTimeReceived"))}
		it := get(t, shape, msgID)
		if it.Subject == "" || it.IsRead == nil || it.DateTimeReceived.IsZero() || !it.Start.IsZero() || it.Body != nil || it.From != nil {
			t.Fatalf("message: %+v", it)
		}
		ev := get(t, shape, eventID)
		if ev.Subject == "" || ev.Start.IsZero() || ev.IsRead != nil {
			t.Fatalf("calendar item: %+v", ev)
		}
	})
	t.Run("IndexedFieldURI", func(t *testing.T) {
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: paths(
			ews.IndexedField("contacts:EmailAddress", "EmailAddress1"), ews.IndexedField("contacts:PhoneNumber", "MobilePhone"))}, contactID)
		if it.EmailAddresses == nil || len(it.EmailAddresses.Entries) != 1 || it.EmailAddresses.Entries[0].Key != "EmailAddress1" ||
			!strings.Contains(it.EmailAddresses.Entries[0].Value, "@") {
			t.Fatalf("email addresses %+v", it.EmailAddresses)
		}
		if it.PhoneNumbers == nil || len(it.PhoneNumbers.Entries) != 1 || it.PhoneNumbers.Entries[0].Key != "MobilePhone" {
			t.Fatalf("phone numbers %+v", it.PhoneNumbers)
		}
	})
	t.Run("BodyType Text", func(t *testing.T) {
		html := get(t, ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: paths(ews.Field("item:Body"))}, msgID)
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeIdOnly, BodyType: "Text", AdditionalProperties: paths(ews.Field("item:Body"))}, msgID)
		if it.Body == nil || it.Body.BodyType != "Text" || strings.ContainsAny(it.Body.Value, "<>") || len(it.Body.Value) < 1000 {
			t.Fatalf("text body %+v", it.Body)
		}
		if !strings.HasPrefix(html.Body.Value, "<html>") || !strings.HasPrefix(it.Body.Value, "Hi ") {
			t.Fatalf("HTML %.60q, text %.60q", html.Body.Value, it.Body.Value)
		}
	})
	t.Run("BodyType HTML of a text body", func(t *testing.T) {
		id, err := worldMailbox(t, s, alice).CreateItem(exchangesim.FolderByName("drafts"), ews.Item{XMLName: xml.Name{Local: ews.KindMessage},
			Subject: "plain", Body: &ews.Body{BodyType: "Text", Value: "one < two\nthree"}})
		if err != nil {
			t.Fatal(err)
		}
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeIdOnly, BodyType: "HTML", AdditionalProperties: paths(ews.Field("item:Body"))}, id)
		if it.Body.BodyType != "HTML" || !strings.Contains(it.Body.Value, "one &lt; two<br>") {
			t.Fatalf("html body %+v", it.Body)
		}
	})
	t.Run("IncludeMimeContent", func(t *testing.T) {
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeDefault, IncludeMimeContent: ews.Bool(true)}, msgID)
		if it.MimeContent == nil || it.MimeContent.CharacterSet != "UTF-8" {
			t.Fatalf("MimeContent %+v", it.MimeContent)
		}
		raw, err := base64.StdEncoding.DecodeString(it.MimeContent.Value)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		from, err := msg.Header.AddressList("From")
		if err != nil || len(from) != 1 || from[0].Address != it.From.Mailbox.EmailAddress {
			t.Fatalf("From %v (%v), want %s", from, err, it.From.Mailbox.EmailAddress)
		}
		if msg.Header.Get("Subject") != it.Subject || !strings.HasPrefix(msg.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("headers %v", msg.Header)
		}
		body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
		if err != nil || string(body) != it.Body.Value {
			t.Fatalf("MIME body differs from the item's (%v)", err)
		}
	})
	t.Run("MaximumBodySize", func(t *testing.T) {
		it := get(t, ews.ItemShape{BaseShape: ews.ShapeDefault, BodyType: "Text", MaximumBodySize: 100}, msgID)
		if it.Body == nil || utf8.RuneCountInString(it.Body.Value) != 100 || it.Body.IsTruncated == nil || !*it.Body.IsTruncated {
			t.Fatalf("truncated body: %d characters, IsTruncated %v", utf8.RuneCountInString(it.Body.Value), it.Body.IsTruncated)
		}
		whole := get(t, ews.ItemShape{BaseShape: ews.ShapeDefault, MaximumBodySize: 1 << 20}, msgID)
		if whole.Body.IsTruncated == nil || *whole.Body.IsTruncated {
			t.Fatalf("a body within the maximum: IsTruncated %v", whole.Body.IsTruncated)
		}
	})
}

// findItems calls FindItem on one folder.
func findItems(t *testing.T, c *ewsCaller, req *ews.FindItemRequest) ews.FindItemResponseMessage {
	t.Helper()
	if req.Traversal == "" {
		req.Traversal = ews.TraversalShallow
	}
	var resp ews.FindItemResponse
	c.mustCall(ews.OpFindItem, req, &resp)
	if len(resp.ResponseMessages) != len(req.ParentFolderIds.Ids) {
		t.Fatalf("%d messages", len(resp.ResponseMessages))
	}
	return resp.ResponseMessages[0]
}

func folderIds(ids ...ews.BaseFolderId) ews.FolderIds { return ews.FolderIds{Ids: ids} }

func TestFindItemPaging(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	shape := ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("item:DateTimeReceived")}}}
	var items []ews.Item
	offset, pages := 0, 0
	for {
		m := findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(inboxID()),
			IndexedPageItemView: &ews.IndexedPageView{MaxEntriesReturned: 7, Offset: offset, BasePoint: ews.BasePointBeginning}})
		if err := m.Err(); err != nil {
			t.Fatal(err)
		}
		r := m.RootFolder
		if r.TotalItemsInView != 50 || len(r.Items.Items) > 7 || r.IndexedPagingOffset == nil || *r.IndexedPagingOffset != offset+len(r.Items.Items) {
			t.Fatalf("page at %d: total %d, %d items, next %v", offset, r.TotalItemsInView, len(r.Items.Items), r.IndexedPagingOffset)
		}
		items = append(items, r.Items.Items...)
		offset = *r.IndexedPagingOffset
		pages++
		if r.IncludesLastItemInRange {
			break
		}
		if pages > 20 {
			t.Fatal("never reached the end")
		}
	}
	if len(items) != 50 || pages != 8 {
		t.Fatalf("%d items in %d pages", len(items), pages)
	}
	ids := map[string]bool{}
	for i, it := range items {
		if ids[it.ItemId.Id] {
			t.Fatalf("item %s twice", it.ItemId.Id)
		}
		ids[it.ItemId.Id] = true
		if i > 0 && it.DateTimeReceived.After(items[i-1].DateTimeReceived.Time) {
			t.Fatalf("not newest first at %d", i)
		}
	}

	// From the end: the oldest 5, in view order.
	m := findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(inboxID()),
		IndexedPageItemView: &ews.IndexedPageView{MaxEntriesReturned: 5, Offset: 0, BasePoint: ews.BasePointEnd}})
	r := m.RootFolder
	if len(r.Items.Items) != 5 || r.Items.Items[4].ItemId.Id != items[49].ItemId.Id || r.IncludesLastItemInRange {
		t.Fatalf("from the end: %d items, includes last %v", len(r.Items.Items), r.IncludesLastItemInRange)
	}

	// Fractional: from the middle.
	m = findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(inboxID()),
		FractionalPageItemView: &ews.FractionalPageView{MaxEntriesReturned: 10, Numerator: 1, Denominator: 2}})
	r = m.RootFolder
	if len(r.Items.Items) != 10 || r.Items.Items[0].ItemId.Id != items[25].ItemId.Id || r.NumeratorOffset == nil || *r.NumeratorOffset != 35 ||
		r.AbsoluteDenominator == nil || *r.AbsoluteDenominator != 50 {
		t.Fatalf("fractional page: %d items, numerator %v, denominator %v", len(r.Items.Items), r.NumeratorOffset, r.AbsoluteDenominator)
	}

	// Sorted by subject, ascending.
	m = findItems(t, c, &ews.FindItemRequest{ParentFolderIds: folderIds(inboxID()),
		ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("item:Subject")}}},
		SortOrder: ews.SortBy(ews.OrderBy(ews.Field("item:Subject"), ews.Ascending))})
	subjects := make([]string, 0, 50)
	for _, it := range m.RootFolder.Items.Items {
		subjects = append(subjects, strings.ToLower(it.Subject))
	}
	if len(subjects) != 50 || !slices.IsSorted(subjects) {
		t.Fatalf("not sorted by subject: %q", subjects)
	}
}

func TestFindItemReturnsLess(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	m := findItems(t, c, &ews.FindItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeAllProperties}, ParentFolderIds: folderIds(inboxID()),
		IndexedPageItemView: &ews.IndexedPageView{MaxEntriesReturned: 3, BasePoint: ews.BasePointBeginning}})
	for _, it := range m.RootFolder.Items.Items {
		if it.Body != nil || it.ToRecipients != nil || it.From == nil || it.From.Mailbox.EmailAddress != "" || it.From.Mailbox.Name == "" || it.Subject == "" {
			t.Fatalf("FindItem AllProperties: body %v, to %v, from %+v", it.Body, it.ToRecipients, it.From)
		}
	}
	for _, traversal := range []string{ews.TraversalAssociated, ews.TraversalSoftDeleted} {
		m := findItems(t, c, &ews.FindItemRequest{Traversal: traversal, ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly}, ParentFolderIds: folderIds(inboxID())})
		if m.Err() != nil || m.RootFolder.TotalItemsInView != 0 || len(m.RootFolder.Items.Items) != 0 || !m.RootFolder.IncludesLastItemInRange {
			t.Fatalf("%s traversal: %v, %+v", traversal, m.Err(), m.RootFolder)
		}
	}
	req := &ews.FindItemRequest{ParentFolderIds: folderIds(inboxID()),
		ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("item:Body")}}}}
	if m := findItems(t, c, req); ews.Code(m.Err()) != "ErrorInvalidPropertyForOperation" || m.RootFolder != nil {
		t.Fatalf("FindItem with item:Body: %v", m.Err())
	}
	req.ItemShape = ews.ItemShape{BaseShape: ews.ShapeIdOnly, IncludeMimeContent: ews.Bool(true)}
	if m := findItems(t, c, req); ews.Code(m.Err()) != "ErrorInvalidPropertyForOperation" {
		t.Fatalf("FindItem with MIME content: %v", m.Err())
	}
}

func TestFindItemRestriction(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	shape := ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{
		ews.Field("item:DateTimeReceived"), ews.Field("item:Subject"), ews.Field("message:IsRead")}}}
	all := findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(inboxID())}).RootFolder.Items.Items
	if len(all) != 50 {
		t.Fatalf("%d items", len(all))
	}
	cut := all[20].DateTimeReceived // newest first: 20 items are newer
	expect := func(keep func(ews.Item) bool) []string {
		var ids []string
		for _, it := range all {
			if keep(it) {
				ids = append(ids, it.ItemId.Id)
			}
		}
		return ids
	}
	topic := strings.TrimPrefix(strings.TrimPrefix(all[0].Subject, "RE: "), "FW: ")
	word := strings.Fields(topic)[0]
	cases := []struct {
		name string
		expr ews.SearchExpression
		want []string
	}{
		{"received after", ews.IsGreaterThan(ews.Field("item:DateTimeReceived"), cut.String()),
			expect(func(it ews.Item) bool { return it.DateTimeReceived.After(cut.Time) })},
		{"received at or before", ews.IsLessThanOrEqualTo(ews.Field("item:DateTimeReceived"), cut.String()),
			expect(func(it ews.Item) bool { return !it.DateTimeReceived.After(cut.Time) })},
		{"unread", ews.IsEqualTo(ews.Field("message:IsRead"), "false"),
			expect(func(it ews.Item) bool { return !*it.IsRead })},
		{"subject contains", ews.Contains(ews.Field("item:Subject"), strings.ToLower(word), "Substring", "IgnoreCase"),
			expect(func(it ews.Item) bool { return strings.Contains(strings.ToLower(it.Subject), strings.ToLower(word)) })},
		{"subject equals", ews.IsEqualTo(ews.Field("item:Subject"), all[3].Subject),
			expect(func(it ews.Item) bool { return strings.EqualFold(it.Subject, all[3].Subject) })},
		{"and, or, not", ews.And(
			ews.Or(ews.IsEqualTo(ews.Field("message:IsRead"), "true"), ews.IsGreaterThanOrEqualTo(ews.Field("item:DateTimeReceived"), cut.String())),
			ews.Not(ews.IsNotEqualTo(ews.Field("item:Subject"), all[3].Subject))),
			expect(func(it ews.Item) bool {
				return (*it.IsRead || !it.DateTimeReceived.Before(cut.Time)) && strings.EqualFold(it.Subject, all[3].Subject)
			})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.want) == 0 || len(tc.want) == len(all) {
				t.Fatalf("the case selects %d of %d items: it tests nothing", len(tc.want), len(all))
			}
			m := findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(inboxID()), Restriction: ews.Where(tc.expr)})
			if err := m.Err(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range m.RootFolder.Items.Items {
				got = append(got, it.ItemId.Id)
			}
			if !slices.Equal(got, tc.want) || m.RootFolder.TotalItemsInView != len(tc.want) {
				t.Fatalf("got %d items (total %d), want %d", len(got), m.RootFolder.TotalItemsInView, len(tc.want))
			}
		})
	}
	unsupported := findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(inboxID()),
		Restriction: ews.Where(ews.IsEqualTo(ews.Field("item:EffectiveRights"), "x"))})
	if ews.Code(unsupported.Err()) != "ErrorUnsupportedPathForQuery" {
		t.Fatalf("restriction on an unsupported path: %v", unsupported.Err())
	}
}

func TestFindItemCalendarView(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	cal := ews.DistinguishedFolder("calendar")
	shape := ews.ItemShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{
		ews.Field("calendar:Start"), ews.Field("calendar:End")}}}
	all := findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(cal)}).RootFolder.Items.Items
	if len(all) != 20 {
		t.Fatalf("%d events", len(all))
	}
	now := testClock()
	view := func(start, end time.Time, max int) ews.FindItemResponseMessage {
		return findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(cal),
			CalendarView: &ews.CalendarView{StartDate: ews.Date(start), EndDate: ews.Date(end), MaxEntriesReturned: max}})
	}
	windows := []struct{ start, end time.Time }{
		{now.AddDate(0, 0, -100), now.AddDate(0, 0, 100)},
		{now.AddDate(0, 0, -100), now},
		{now, now.AddDate(0, 0, 30)},
		// Around an event: starts inside it, ends inside the next.
		{all[5].Start.Add(time.Minute), all[5].End.Add(time.Minute)},
	}
	for i, w := range windows {
		m := view(w.start, w.end, 0)
		if err := m.Err(); err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, it := range all {
			if it.Start.Before(w.end) && it.End.After(w.start) {
				want = append(want, it.ItemId.Id)
			}
		}
		items := m.RootFolder.Items.Items
		for j, it := range items {
			got = append(got, it.ItemId.Id)
			if j > 0 && it.Start.Before(items[j-1].Start.Time) {
				t.Errorf("window %d: not sorted by start", i)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("window %d: %d events, want the %d overlapping ones", i, len(got), len(want))
		}
		if i == 1 && len(want) == 20 {
			t.Error("window 1 should leave out the future events")
		}
	}
	capped := view(now.AddDate(0, 0, -100), now.AddDate(0, 0, 100), 5)
	if r := capped.RootFolder; len(r.Items.Items) != 5 || r.TotalItemsInView != 20 || r.IncludesLastItemInRange || r.IndexedPagingOffset != nil {
		t.Fatalf("capped view: %d items, total %d, includes last %v", len(r.Items.Items), r.TotalItemsInView, r.IncludesLastItemInRange)
	}
	if m := view(now, now.AddDate(0, 0, -1), 0); ews.Code(m.Err()) != "ErrorCalendarEndDateIsEarlierThanStartDate" {
		t.Fatalf("end before start: %v", m.Err())
	}
	if m := view(now, now.AddDate(3, 0, 0), 0); ews.Code(m.Err()) != ews.ErrorCalendarViewRangeTooBig {
		t.Fatalf("three years: %v", m.Err())
	}
	withSort := findItems(t, c, &ews.FindItemRequest{ItemShape: shape, ParentFolderIds: folderIds(cal),
		CalendarView: &ews.CalendarView{StartDate: ews.Date(now), EndDate: ews.Date(now.AddDate(0, 1, 0))},
		SortOrder:    ews.SortBy(ews.OrderBy(ews.Field("item:Subject"), ews.Ascending))})
	if ews.Code(withSort.Err()) != ews.ErrorInvalidRestriction {
		t.Fatalf("calendar view with a sort order: %v", withSort.Err())
	}
}

// A folder larger than EWSFindCountLimit is returned 1000 items at a time.
func TestFindItemCountLimit(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{Scenario: exchangesim.Generate(1, 1500, 7)})
	c := s.as(t, "svc-sync@example.com", exchangesim.DefaultServicePassword, "user00001@example.com")
	m := findItems(t, c, &ews.FindItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly}, ParentFolderIds: folderIds(inboxID())})
	if r := m.RootFolder; len(r.Items.Items) != 1000 || r.TotalItemsInView != 1200 || r.IncludesLastItemInRange {
		t.Fatalf("%d items of %d, includes last %v", len(r.Items.Items), r.TotalItemsInView, r.IncludesLastItemInRange)
	}
	m = findItems(t, c, &ews.FindItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly}, ParentFolderIds: folderIds(inboxID()),
		IndexedPageItemView: &ews.IndexedPageView{Offset: 1000, BasePoint: ews.BasePointBeginning}})
	if r := m.RootFolder; len(r.Items.Items) != 200 || !r.IncludesLastItemInRange || *r.IndexedPagingOffset != 1200 {
		t.Fatalf("second page: %d items, includes last %v", len(r.Items.Items), r.IncludesLastItemInRange)
	}
}

func findFolders(t *testing.T, c *ewsCaller, req *ews.FindFolderRequest) ews.FindFolderResponseMessage {
	t.Helper()
	var resp ews.FindFolderResponse
	c.mustCall(ews.OpFindFolder, req, &resp)
	m := resp.ResponseMessages[0]
	if err := m.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFindFolder(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	c := s.svcAs(t, alice)
	if _, err := worldMailbox(t, s, alice).CreateFolder(exchangesim.FolderByName("inbox"), "Receipts", ""); err != nil {
		t.Fatal(err)
	}
	root := ews.DistinguishedFolder("msgfolderroot")
	names := func(m ews.FindFolderResponseMessage) map[string]string {
		out := map[string]string{}
		for _, f := range m.RootFolder.Folders.Folders {
			out[f.DisplayName] = f.Kind()
		}
		if len(out) != len(m.RootFolder.Folders.Folders) || m.RootFolder.TotalItemsInView != len(out) {
			t.Fatalf("%d folders, %d names, total %d", len(m.RootFolder.Folders.Folders), len(out), m.RootFolder.TotalItemsInView)
		}
		return out
	}
	deep := names(findFolders(t, c, &ews.FindFolderRequest{Traversal: ews.TraversalDeep, FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		ParentFolderIds: folderIds(root)}))
	for name, kind := range map[string]string{"Inbox": ews.KindFolder, "Calendar": ews.KindCalendarFolder, "Contacts": ews.KindContactsFolder,
		"Sent Items": ews.KindFolder, "Receipts": ews.KindFolder} {
		if deep[name] != kind {
			t.Errorf("deep: %s is %q, want %q", name, deep[name], kind)
		}
	}
	shallow := names(findFolders(t, c, &ews.FindFolderRequest{Traversal: ews.TraversalShallow, FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly,
		AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("folder:DisplayName")}}}, ParentFolderIds: folderIds(root)}))
	if _, ok := shallow["Receipts"]; ok || shallow["Inbox"] == "" || len(shallow) != len(deep)-1 {
		t.Fatalf("shallow: %v", shallow)
	}

	var paged []string
	for offset := 0; ; {
		m := findFolders(t, c, &ews.FindFolderRequest{Traversal: ews.TraversalDeep, FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
			ParentFolderIds: folderIds(root), IndexedPageFolderView: &ews.IndexedPageView{MaxEntriesReturned: 3, Offset: offset, BasePoint: ews.BasePointBeginning}})
		for _, f := range m.RootFolder.Folders.Folders {
			paged = append(paged, f.DisplayName)
		}
		offset = *m.RootFolder.IndexedPagingOffset
		if m.RootFolder.IncludesLastItemInRange {
			break
		}
		if len(paged) > 100 {
			t.Fatal("paging never ended")
		}
	}
	if len(paged) != len(deep) {
		t.Fatalf("paged %d folders, deep traversal has %d", len(paged), len(deep))
	}

	calendars := names(findFolders(t, c, &ews.FindFolderRequest{Traversal: ews.TraversalDeep, FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		ParentFolderIds: folderIds(root), Restriction: ews.Where(ews.Contains(ews.Field("folder:FolderClass"), "IPF.Appointment", "Prefixed", "IgnoreCase"))}))
	if len(calendars) != 1 || calendars["Calendar"] == "" {
		t.Fatalf("restricted to calendars: %v", calendars)
	}
}

// BenchmarkSyncAndGetItem is a sync engine's first pass over a 20,000-item mailbox: pages
// of SyncFolderItems (IdOnly, 512 changes), each followed by GetItem of the page's ids
// (Default shape, with bodies), over the real listener. It reports items/s (one item is
// one sync change plus one GetItem message) and B/item and allocs/item (client and server
// together). Response bodies are read, not decoded, on the client side, so that the
// figures are mostly the server's.
func BenchmarkSyncAndGetItem(b *testing.B) {
	s := startSim(b, exchangesim.Options{Scenario: exchangesim.Generate(1, 20000, 1)})
	c := s.as(b, "svc-sync@example.com", exchangesim.DefaultServicePassword, "user00001@example.com")
	c.validate = false
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	var body bytes.Buffer // reused: the client side should cost little
	post := func(doc []byte) []byte {
		req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.SetBasicAuth(c.user, c.pass)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body.Reset()
		if _, err := body.ReadFrom(resp.Body); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("HTTP %d, %v: %.300s", resp.StatusCode, err, body.Bytes())
		}
		return body.Bytes()
	}
	hdr := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"},
		ExchangeImpersonation: ews.Impersonate("user00001@example.com")}
	var reqBuf bytes.Buffer
	encode := func(op string, req any) []byte {
		reqBuf.Reset()
		if err := ews.EncodeRequest(&reqBuf, hdr, op, req); err != nil {
			b.Fatal(err)
		}
		return reqBuf.Bytes()
	}
	items := 0
	b.ReportAllocs()
	// Per-item figures, client and server together (both run in this process), from the
	// runtime's own counters: the allocs/op and B/op that -benchmem prints are per full
	// 16,000-item sync, which hides the number the README compares.
	var before, after runtime.MemStats
	b.ResetTimer()
	runtime.ReadMemStats(&before)
	for range b.N {
		state, last := "", false
		for !last {
			page := post(encode(ews.OpSyncFolderItems, &ews.SyncFolderItemsRequest{
				ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly}, SyncFolderId: ews.FolderIds{Ids: []ews.BaseFolderId{inboxID()}},
				SyncState: state, MaxChangesReturned: 512}))
			var ids []ews.BaseItemId
			state, last, ids = scanSyncPage(b, page)
			if len(ids) == 0 {
				continue
			}
			got := post(encode(ews.OpGetItem, &ews.GetItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeDefault}, ItemIds: ews.ItemIds{Ids: ids}}))
			if n := bytes.Count(got, []byte(`ResponseClass="Success"`)); n != len(ids) {
				b.Fatalf("GetItem: %d successes for %d ids", n, len(ids))
			}
			items += len(ids)
		}
	}
	runtime.ReadMemStats(&after)
	b.StopTimer()
	if items != 16000*b.N {
		b.Fatalf("synced %d items, want %d", items, 16000*b.N)
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(items), "B/item")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(items), "allocs/item")
}

// scanSyncPage pulls the state, IncludesLastItemInRange and item ids out of a
// SyncFolderItems response without a full decode.
func scanSyncPage(b *testing.B, body []byte) (state string, last bool, ids []ews.BaseItemId) {
	between := func(s []byte, open, close string) ([]byte, []byte) {
		i := bytes.Index(s, []byte(open))
		if i < 0 {
			return nil, nil
		}
		s = s[i+len(open):]
		j := bytes.Index(s, []byte(close))
		if j < 0 {
			b.Fatalf("no %s after %s", close, open)
		}
		return s[:j], s[j+len(close):]
	}
	st, _ := between(body, "<m:SyncState>", "</m:SyncState>")
	l, _ := between(body, "<m:IncludesLastItemInRange>", "</m:IncludesLastItemInRange>")
	if st == nil || l == nil {
		b.Fatalf("not a sync page: %.300s", body)
	}
	for rest := body; ; {
		var id []byte
		id, rest = between(rest, `<t:ItemId Id="`, `"`)
		if id == nil {
			break
		}
		ids = append(ids, ews.ItemRef(ews.ItemId{Id: string(id)}))
	}
	return string(st), string(l) == "true", ids
}
