package exchangesim

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

func TestDistinguishedFolders(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "bob@contoso.com")
	tests := []struct{ dist, name, kind, class, parent string }{
		{"root", "Root", ews.KindFolder, "", ""},
		{"msgfolderroot", "Top of Information Store", ews.KindFolder, "", "root"},
		{"inbox", "Inbox", ews.KindFolder, "IPF.Note", "msgfolderroot"},
		{"sentitems", "Sent Items", ews.KindFolder, "IPF.Note", "msgfolderroot"},
		{"drafts", "Drafts", ews.KindFolder, "IPF.Note", "msgfolderroot"},
		{"deleteditems", "Deleted Items", ews.KindFolder, "IPF.Note", "msgfolderroot"},
		{"outbox", "Outbox", ews.KindFolder, "IPF.Note", "msgfolderroot"},
		{"junkemail", "Junk Email", ews.KindFolder, "IPF.Note", "msgfolderroot"},
		{"calendar", "Calendar", ews.KindCalendarFolder, "IPF.Appointment", "msgfolderroot"},
		{"contacts", "Contacts", ews.KindContactsFolder, "IPF.Contact", "msgfolderroot"},
		{"tasks", "Tasks", ews.KindTasksFolder, "IPF.Task", "msgfolderroot"},
		{"notes", "Notes", ews.KindFolder, "IPF.StickyNote", "msgfolderroot"},
		{"journal", "Journal", ews.KindFolder, "IPF.Journal", "msgfolderroot"},
		{"conversationhistory", "Conversation History", ews.KindFolder, "IPF.Note", "msgfolderroot"},
		{"recoverableitemsdeletions", "Deletions", ews.KindFolder, "", "recoverableitemsroot"},
	}
	for _, tt := range tests {
		f, err := m.Folder(FolderByName(strings.ToUpper(tt.dist[:1]) + tt.dist[1:]))
		if err != nil {
			t.Fatalf("%s: %v", tt.dist, err)
		}
		if f.DisplayName != tt.name || f.Kind() != tt.kind || f.FolderClass != tt.class {
			t.Errorf("%s = %s %s %s", tt.dist, f.DisplayName, f.Kind(), f.FolderClass)
		}
		if tt.parent == "" {
			if f.ParentFolderId != nil {
				t.Errorf("root has a parent")
			}
			continue
		}
		p := must[ews.Folder](t)(m.Folder(FolderByName(tt.parent)))
		if f.ParentFolderId == nil || f.ParentFolderId.Id != p.FolderId.Id {
			t.Errorf("%s: parent is not %s", tt.dist, tt.parent)
		}
		// Ids round-trip.
		if g := must[ews.Folder](t)(m.Folder(FolderByID(f.FolderId.Id))); g.DisplayName != f.DisplayName {
			t.Errorf("%s by id: %s", tt.dist, g.DisplayName)
		}
		if (f.UnreadCount == nil) != (tt.kind == ews.KindCalendarFolder || tt.kind == ews.KindContactsFolder) {
			t.Errorf("%s: UnreadCount presence wrong for %s", tt.dist, tt.kind)
		}
	}
	top := must[[]ews.Folder](t)(m.FindFolders(FolderByName("msgfolderroot"), false))
	if len(top) != 12 {
		t.Fatalf("%d folders under msgfolderroot", len(top))
	}
	deep := must[[]ews.Folder](t)(m.FindFolders(FolderByName("root"), true))
	if len(deep) != 15 {
		t.Fatalf("%d folders under root (deep)", len(deep))
	}
	_, err := m.Folder(FolderByName("archivemsgfolderroot"))
	wantCode(t, err, ews.ErrorFolderNotFound)
}

func TestContosoMailboxContent(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	want := map[string]map[string]int{
		"alice":      {"inbox": 50, "sentitems": 10, "calendar": 20, "contacts": 10, "drafts": 0, "tasks": 0},
		"bob":        {"inbox": 50, "sentitems": 10, "calendar": 20, "contacts": 10},
		"erin":       {"inbox": 50, "sentitems": 10, "calendar": 20, "contacts": 10},
		"room-atlas": {"inbox": 0, "calendar": 12},
		"svc-sync":   {"inbox": 0, "sentitems": 0, "calendar": 0, "contacts": 0},
		"svc-norole": {"inbox": 0, "calendar": 0},
	}
	for user, folders := range want {
		m := mailbox(t, w, user+"@contoso.com")
		for folder, n := range folders {
			f := must[ews.Folder](t)(m.Folder(FolderByName(folder)))
			if *f.TotalCount != n || len(folderItems(t, m, FolderByName(folder))) != n {
				t.Errorf("%s %s: %d items, want %d", user, folder, *f.TotalCount, n)
			}
		}
	}
	_, err := w.Mailbox(context.Background(), "frank@contoso.com")
	wantCode(t, err, ews.ErrorNonExistentMailbox)
	_, err = w.Mailbox(context.Background(), "svc-nombx@contoso.com")
	wantCode(t, err, ews.ErrorNonExistentMailbox)

	alice := mailbox(t, w, "alice@contoso.com")
	now := w.Now()
	for _, it := range folderItems(t, alice, FolderByName("inbox")) {
		if it.Kind() != ews.KindMessage || it.ItemClass != "IPM.Note" || it.Subject == "" || it.From == nil || it.IsRead == nil {
			t.Fatalf("inbox item %+v", it)
		}
		if it.ToRecipients == nil || it.ToRecipients.Mailboxes[0].EmailAddress != "alice@contoso.com" {
			t.Fatalf("inbox item not to alice: %+v", it.ToRecipients)
		}
		if age := now.Sub(it.DateTimeReceived.Time); age < 0 || age > 180*24*time.Hour {
			t.Fatalf("received %v, %v before now", it.DateTimeReceived, age)
		}
		if n := len(it.Body.Value); n < 1800 || n > 2800 || *it.Size < n {
			t.Fatalf("body %d bytes, size %d", n, *it.Size)
		}
		if it.From.Mailbox.EmailAddress == "alice@contoso.com" || strings.HasPrefix(it.From.Mailbox.EmailAddress, "svc-") {
			t.Fatalf("inbox message from %s", it.From.Mailbox.EmailAddress)
		}
	}
	for _, it := range folderItems(t, alice, FolderByName("sentitems")) {
		if it.From.Mailbox.EmailAddress != "alice@contoso.com" || !*it.IsRead || !*it.IsFromMe {
			t.Fatalf("sent item %+v", it.From)
		}
	}
	for _, it := range folderItems(t, alice, FolderByName("calendar")) {
		if it.Kind() != ews.KindCalendarItem || it.Organizer == nil || it.LegacyFreeBusyStatus == "" || !it.End.After(it.Start.Time) {
			t.Fatalf("calendar item %+v", it)
		}
		if d := it.Start.Sub(now); d < -91*24*time.Hour || d > 91*24*time.Hour {
			t.Fatalf("event starts %v from now", d)
		}
	}
	for _, it := range folderItems(t, alice, FolderByName("contacts")) {
		if it.Kind() != ews.KindContact || it.GivenName == "" || it.Surname == "" || it.CompanyName == "" ||
			it.EmailAddresses == nil || it.PhoneNumbers == nil || it.IsRead != nil {
			t.Fatalf("contact %+v", it)
		}
	}
	for _, it := range folderItems(t, mailbox(t, w, "room-cygnus@contoso.com"), FolderByName("calendar")) {
		if it.Location != "Cygnus Room" || it.Resources == nil || it.Organizer.Mailbox.EmailAddress == "room-cygnus@contoso.com" {
			t.Fatalf("room booking %+v", it)
		}
	}
}

func TestItemIds(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	alice := mailbox(t, w, "alice@contoso.com")
	bob := mailbox(t, w, "bob@contoso.com")
	it := folderItems(t, alice, FolderByName("inbox"))[0]
	if !strings.HasPrefix(it.ItemId.Id, "AAMkA") || !strings.HasPrefix(it.ItemId.ChangeKey, "CQAAA") {
		t.Fatalf("id %s ck %s", it.ItemId.Id, it.ItemId.ChangeKey)
	}
	if it.ParentFolderId == nil || !strings.HasPrefix(it.ParentFolderId.Id, "AAMkA") {
		t.Fatal("no parent folder id")
	}
	got := must[ews.Item](t)(alice.Item(it.ItemId.Id))
	if got.Subject != it.Subject || got.ItemId.ChangeKey != it.ItemId.ChangeKey {
		t.Fatal("Item differs from FindItems")
	}
	raw, _ := base64.StdEncoding.DecodeString(it.ItemId.Id)
	bogusKind := append([]byte(nil), raw...)
	bogusKind[4] = 'X'
	tests := []struct {
		name, id, code string
		m              *Mailbox
	}{
		{"empty", "", ews.ErrorInvalidIdMalformed, alice},
		{"garbage", "hello world", ews.ErrorInvalidIdMalformed, alice},
		{"truncated", it.ItemId.Id[:20], ews.ErrorInvalidIdMalformed, alice},
		{"wrong header", base64.StdEncoding.EncodeToString(append([]byte{1}, raw[1:]...)), ews.ErrorInvalidIdMalformed, alice},
		{"wrong kind byte", base64.StdEncoding.EncodeToString(bogusKind), ews.ErrorInvalidIdMalformed, alice},
		{"too long", base64.StdEncoding.EncodeToString(append(raw, 0, 0, 0)), ews.ErrorInvalidIdMalformed, alice},
		{"other mailbox", it.ItemId.Id, ews.ErrorItemNotFound, bob},
		{"folder id as item id", it.ParentFolderId.Id, ews.ErrorItemNotFound, alice},
		{"absent instance", objectID{kind: idKindItem, guid: alice.guid, folder: 3, inst: 9999}.String(), ews.ErrorItemNotFound, alice},
		{"absent folder", objectID{kind: idKindItem, guid: alice.guid, folder: 999, inst: 1}.String(), ews.ErrorItemNotFound, alice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.m.Item(tt.id)
			wantCode(t, err, tt.code)
		})
	}
	_, err := bob.Folder(FolderByID(it.ParentFolderId.Id))
	wantCode(t, err, ews.ErrorFolderNotFound)
	_, err = alice.Folder(FolderByID(it.ItemId.Id))
	wantCode(t, err, ews.ErrorFolderNotFound)
	_, err = alice.Folder(FolderByID("AAMkA"))
	wantCode(t, err, ews.ErrorInvalidIdMalformed)
	// Ids of one mailbox are stable across identical worlds.
	w2, _ := contosoWorld(t)
	if again := must[ews.Item](t)(mailbox(t, w2, "alice@contoso.com").Item(it.ItemId.Id)); again.Subject != it.Subject {
		t.Fatal("ids differ between identical worlds")
	}
}

func TestCreateUpdateItem(t *testing.T) {
	t.Parallel()
	w, clock := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	drafts := FolderByName("drafts")
	msg := newMessage("Quarterly numbers")
	msg.ToRecipients = &ews.Recipients{Mailboxes: []ews.EmailAddress{{Name: "Bob Brown", EmailAddress: "bob@contoso.com"}}}
	id := must[ews.ItemId](t)(m.CreateItem(drafts, msg))
	msg.Subject = "mutated by the caller" // the store keeps its own copy
	msg.Body.Value = "mutated"
	it := must[ews.Item](t)(m.Item(id.Id))
	now := clock.Now()
	if it.Subject != "Quarterly numbers" || it.Body.Value != "body of Quarterly numbers" || it.ItemClass != "IPM.Note" ||
		*it.IsRead || !it.DateTimeCreated.Equal(now) || !it.DateTimeReceived.Equal(now) || !it.DateTimeSent.Equal(now) ||
		it.Size == nil || *it.Size <= 0 || it.DisplayTo != "Bob Brown" || it.InternetMessageId == "" || it.ConversationId == nil {
		t.Fatalf("created %+v", it)
	}
	it.Subject = "mutated copy"
	it.ToRecipients.Mailboxes[0].Name = "mutated"
	if again := must[ews.Item](t)(m.Item(id.Id)); again.Subject != "Quarterly numbers" || again.ToRecipients.Mailboxes[0].Name != "Bob Brown" {
		t.Fatal("Item returned shared memory")
	}
	f := must[ews.Folder](t)(m.Folder(drafts))
	if *f.TotalCount != 1 || *f.UnreadCount != 1 {
		t.Fatalf("drafts counts %d/%d", *f.TotalCount, *f.UnreadCount)
	}

	clock.Advance(time.Hour)
	id2 := must[ews.ItemId](t)(m.UpdateItem(id, func(x *ews.Item) error { x.Subject = "Q3 numbers"; return nil }))
	if id2.Id != id.Id || id2.ChangeKey == id.ChangeKey {
		t.Fatal("ChangeKey did not change on update")
	}
	it = must[ews.Item](t)(m.Item(id.Id))
	if it.Subject != "Q3 numbers" || !it.LastModifiedTime.Equal(clock.Now()) || *it.IsUnmodified {
		t.Fatalf("updated %+v", it)
	}
	// A stale ChangeKey conflicts.
	_, err := m.UpdateItem(id, func(x *ews.Item) error { x.Subject = "x"; return nil })
	wantCode(t, err, codeIrresolvableConflict)
	// The function's error is returned and nothing changes.
	boom := errors.New("boom")
	if _, err := m.UpdateItem(id2, func(x *ews.Item) error { x.Subject = "no"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	id3 := must[ews.ItemId](t)(m.SetRead(id.Id, true))
	if id3.ChangeKey == id2.ChangeKey {
		t.Fatal("ChangeKey did not change on read")
	}
	it = must[ews.Item](t)(m.Item(id.Id))
	if !*it.IsRead || !it.LastModifiedTime.Equal(clock.Now()) || it.Subject != "Q3 numbers" {
		t.Fatalf("after read %+v", it)
	}
	if f := must[ews.Folder](t)(m.Folder(drafts)); *f.UnreadCount != 0 {
		t.Fatalf("unread %d", *f.UnreadCount)
	}
	if same := must[ews.ItemId](t)(m.SetRead(id.Id, true)); same.ChangeKey != id3.ChangeKey {
		t.Fatal("setting the same read flag changed the ChangeKey")
	}
	// A generated item becomes a stored one when its content changes, and keeps the rest.
	gen := folderItems(t, m, FolderByName("inbox"))[7]
	must[ews.ItemId](t)(m.UpdateItem(*gen.ItemId, func(x *ews.Item) error { x.Categories = &ews.Strings{Strings: []string{"Red"}}; return nil }))
	after := must[ews.Item](t)(m.Item(gen.ItemId.Id))
	if after.Subject != gen.Subject || after.Body.Value != gen.Body.Value || after.Categories == nil || after.Categories.Strings[0] != "Red" {
		t.Fatal("update lost content")
	}

	// Calendar items and contacts.
	ev := ews.Item{Subject: "Review", Start: ews.Date(now.Add(48 * time.Hour)), Location: "Atlas Room",
		RequiredAttendees: &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: ews.EmailAddress{EmailAddress: "bob@contoso.com"}}}}}
	evID := must[ews.ItemId](t)(m.CreateItem(FolderByName("calendar"), ev))
	got := must[ews.Item](t)(m.Item(evID.Id))
	if got.Kind() != ews.KindCalendarItem || got.ItemClass != "IPM.Appointment" || got.End.Sub(got.Start.Time) != 30*time.Minute ||
		got.LegacyFreeBusyStatus != "Busy" || got.Organizer.Mailbox.EmailAddress != "alice@contoso.com" || !*got.IsMeeting || got.IsRead != nil {
		t.Fatalf("event %+v", got)
	}
	c := ews.Item{GivenName: "Raj", Surname: "Patel", CompanyName: "Fabrikam",
		EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", Value: "raj@fabrikam.com"}}}}
	cID := must[ews.ItemId](t)(m.CreateItem(FolderByName("contacts"), c))
	got = must[ews.Item](t)(m.Item(cID.Id))
	if got.Kind() != ews.KindContact || got.DisplayName != "Raj Patel" || got.FileAs != "Patel, Raj" || got.ItemClass != "IPM.Contact" {
		t.Fatalf("contact %+v", got)
	}
}

func TestMoveCopyDelete(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	inbox := FolderByName("inbox")
	items := folderItems(t, m, inbox)
	count := func(f string) int { return *must[ews.Folder](t)(m.Folder(FolderByName(f))).TotalCount }

	moved := must[ews.ItemId](t)(m.MoveItem(items[0].ItemId.Id, FolderByName("junkemail")))
	_, err := m.Item(items[0].ItemId.Id)
	wantCode(t, err, ews.ErrorItemNotFound)
	if it := must[ews.Item](t)(m.Item(moved.Id)); it.Subject != items[0].Subject || it.Body.Value != items[0].Body.Value || *it.IsRead != *items[0].IsRead {
		t.Fatal("moved item changed")
	}
	if same := must[ews.ItemId](t)(m.MoveItem(moved.Id, FolderByName("junkemail"))); same != moved {
		t.Fatal("moving into the same folder changed the id")
	}
	cp := must[ews.ItemId](t)(m.CopyItem(items[1].ItemId.Id, FolderByName("drafts")))
	if cp.Id == items[1].ItemId.Id || must[ews.Item](t)(m.Item(cp.Id)).Subject != items[1].Subject {
		t.Fatal("bad copy")
	}
	if err := m.DeleteItem(items[2].ItemId.Id, MoveToDeletedItems); err != nil {
		t.Fatal(err)
	}
	inDeleted := folderItems(t, m, FolderByName("deleteditems"))
	if len(inDeleted) != 1 || inDeleted[0].Subject != items[2].Subject {
		t.Fatalf("deleted items: %d", len(inDeleted))
	}
	// Deleting from Deleted Items soft-deletes; from Recoverable Items, hard-deletes.
	if err := m.DeleteItem(inDeleted[0].ItemId.Id, MoveToDeletedItems); err != nil {
		t.Fatal(err)
	}
	rec := folderItems(t, m, FolderByName("recoverableitemsdeletions"))
	if len(rec) != 1 || count("deleteditems") != 0 {
		t.Fatalf("recoverable %d, deleted %d", len(rec), count("deleteditems"))
	}
	if err := m.DeleteItem(rec[0].ItemId.Id, SoftDelete); err != nil {
		t.Fatal(err)
	}
	if count("recoverableitemsdeletions") != 0 {
		t.Fatal("soft delete in Recoverable Items kept the item")
	}
	if err := m.DeleteItem(items[3].ItemId.Id, HardDelete); err != nil {
		t.Fatal(err)
	}
	wantCode(t, m.DeleteItem(items[3].ItemId.Id, HardDelete), ews.ErrorItemNotFound)
	if n := count("inbox"); n != 47 {
		t.Fatalf("inbox %d, want 47", n)
	}
	if n := count("drafts"); n != 1 {
		t.Fatalf("drafts %d", n)
	}
	_, err = m.MoveItem(items[4].ItemId.Id, FolderByName("nope"))
	wantCode(t, err, ews.ErrorFolderNotFound)
}

func TestFolderOperations(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	p := must[ews.Folder](t)(m.CreateFolder(FolderByName("inbox"), "Projects", ""))
	if p.Kind() != ews.KindFolder || p.FolderClass != "IPF.Note" || *p.TotalCount != 0 {
		t.Fatalf("folder %+v", p)
	}
	cal := must[ews.Folder](t)(m.CreateFolder(FolderByName("calendar"), "Holidays", "IPF.Appointment"))
	if cal.Kind() != ews.KindCalendarFolder {
		t.Fatalf("kind %s", cal.Kind())
	}
	_, err := m.CreateFolder(FolderByName("inbox"), "projects", "")
	wantCode(t, err, codeFolderExists)
	_, err = m.CreateFolder(FolderByName("inbox"), " ", "")
	wantCode(t, err, ews.ErrorInvalidRequest)
	sub := must[ews.Folder](t)(m.CreateFolder(FolderByID(p.FolderId.Id), "Sub", ""))
	id := must[ews.ItemId](t)(m.CreateItem(FolderByID(sub.FolderId.Id), newMessage("in sub")))
	if inbox := must[ews.Folder](t)(m.Folder(FolderByName("inbox"))); *inbox.ChildFolderCount != 1 {
		t.Fatalf("inbox children %d", *inbox.ChildFolderCount)
	}
	r := must[ews.Folder](t)(m.RenameFolder(FolderByID(p.FolderId.Id), "Work"))
	if r.DisplayName != "Work" || r.FolderId.ChangeKey == p.FolderId.ChangeKey || r.FolderId.Id != p.FolderId.Id {
		t.Fatalf("renamed %+v", r)
	}
	wantCode(t, m.DeleteFolder(FolderByName("inbox")), codeDeleteDistinguishedFolder)
	if err := m.DeleteFolder(FolderByID(p.FolderId.Id)); err != nil {
		t.Fatal(err)
	}
	_, err = m.Folder(FolderByID(sub.FolderId.Id))
	wantCode(t, err, ews.ErrorFolderNotFound)
	_, err = m.Item(id.Id)
	wantCode(t, err, ews.ErrorItemNotFound)
	if inbox := must[ews.Folder](t)(m.Folder(FolderByName("inbox"))); *inbox.ChildFolderCount != 0 {
		t.Fatalf("inbox children %d", *inbox.ChildFolderCount)
	}
}

func TestFindItems(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	inbox := FolderByName("inbox")
	all := folderItems(t, m, inbox)
	for i := 1; i < len(all); i++ {
		if all[i].DateTimeReceived.After(all[i-1].DateTimeReceived.Time) {
			t.Fatal("not newest first")
		}
	}
	p := must[ItemPage](t)(m.FindItems(inbox, ItemQuery{Offset: 45, Max: 10}))
	if p.Total != 50 || len(p.Items) != 5 || !p.IncludesLast || p.Items[0].ItemId.Id != all[45].ItemId.Id {
		t.Fatalf("page %d items, total %d, last %v", len(p.Items), p.Total, p.IncludesLast)
	}
	p = must[ItemPage](t)(m.FindItems(inbox, ItemQuery{Offset: 0, Max: 10}))
	if len(p.Items) != 10 || p.IncludesLast {
		t.Fatal("first page")
	}
	p = must[ItemPage](t)(m.FindItems(inbox, ItemQuery{Offset: 0, Max: 10, FromEnd: true}))
	if len(p.Items) != 10 || p.Items[9].ItemId.Id != all[49].ItemId.Id || p.Offset != 40 || p.IncludesLast {
		t.Fatal("page from the end")
	}
	// Calendar view: overlapping events, by start.
	now := w.Now()
	start, end := now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour)
	cal := must[ItemPage](t)(m.FindItems(FolderByName("calendar"), ItemQuery{Start: start, End: end}))
	var want int
	for _, it := range folderItems(t, m, FolderByName("calendar")) {
		if it.Start.Before(end) && it.End.After(start) {
			want++
		}
	}
	if cal.Total != want || want == 0 || want == 20 {
		t.Fatalf("calendar view %d, want %d (of 20)", cal.Total, want)
	}
	for i, it := range cal.Items {
		if i > 0 && it.Start.Before(cal.Items[i-1].Start.Time) {
			t.Fatal("calendar view not by start")
		}
	}
}

func TestDeliverAndEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, _ := contosoWorld(t)
	var mu sync.Mutex
	var events []Event
	remove := w.AddListener(func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
	})
	msg := newMessage("Team lunch")
	msg.ToRecipients = &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: "Sales@contoso.com"}, {EmailAddress: "outsider@fabrikam.com"}}}
	msg.BccRecipients = &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: "alice@contoso.com"}, {EmailAddress: "svc-sync@contoso.com"}}}
	got := must[[]string](t)(w.Deliver(ctx, msg))
	if want := "alice@contoso.com bob@contoso.com carol@contoso.com dave@contoso.com erin@contoso.com svc-sync@contoso.com"; joinStr(got) != want {
		t.Fatalf("delivered to %s", joinStr(got))
	}
	alice := mailbox(t, w, "alice@contoso.com")
	in := folderItems(t, alice, FolderByName("inbox"))
	if len(in) != 51 || in[0].Subject != "Team lunch" || *in[0].IsRead || in[0].BccRecipients != nil || !in[0].DateTimeReceived.Equal(w.Now()) {
		t.Fatalf("delivered item %+v", in[0])
	}
	mu.Lock()
	var aliceKinds []EventKind
	for _, e := range events {
		if e.Mailbox == "alice@contoso.com" {
			aliceKinds = append(aliceKinds, e.Kind)
			if e.ItemId == nil || e.ItemId.Id != in[0].ItemId.Id || e.ParentFolderId.Id != in[0].ParentFolderId.Id {
				t.Errorf("event %+v", e)
			}
		}
	}
	n := len(events)
	mu.Unlock()
	if !slices.Equal(aliceKinds, []EventKind{EventCreated, EventNewMail}) || n != 12 {
		t.Fatalf("alice events %v, %d in all", aliceKinds, n)
	}
	// Every change has an event; watermarks count up per mailbox.
	moved := must[ews.ItemId](t)(alice.MoveItem(in[0].ItemId.Id, FolderByName("drafts")))
	must[ews.ItemId](t)(alice.SetRead(moved.Id, true))
	if err := alice.DeleteItem(moved.Id, HardDelete); err != nil {
		t.Fatal(err)
	}
	f := must[ews.Folder](t)(alice.CreateFolder(FolderByName("inbox"), "X", ""))
	mu.Lock()
	tail := events[n:]
	mu.Unlock()
	wantKinds := []EventKind{EventMoved, EventModified, EventDeleted, EventCreated}
	for i, e := range tail {
		if e.Kind != wantKinds[i] || e.Watermark != uint64(3+i) {
			t.Fatalf("event %d: %s wm %d", i, e.Kind, e.Watermark)
		}
	}
	if tail[0].OldItemId == nil || tail[0].OldItemId.Id != in[0].ItemId.Id || tail[0].OldParentFolderId == nil {
		t.Fatal("move event without old ids")
	}
	if tail[3].FolderId == nil || tail[3].FolderId.Id != f.FolderId.Id || tail[3].ItemId != nil {
		t.Fatal("folder event")
	}
	if alice.Watermark() != 6 {
		t.Fatalf("watermark %d", alice.Watermark())
	}
	remove()
	must[ews.ItemId](t)(alice.CreateItem(FolderByName("inbox"), newMessage("quiet")))
	mu.Lock()
	defer mu.Unlock()
	if len(events) != n+4 {
		t.Fatal("removed listener still called")
	}
}

func TestMailboxesDoNotShareLocks(t *testing.T) {
	t.Parallel()
	w, _ := contosoWorld(t)
	alice := mailbox(t, w, "alice@contoso.com")
	bob := mailbox(t, w, "bob@contoso.com")
	// While alice's lock is held (a listener runs under it), bob's mailbox still works.
	release := make(chan struct{})
	inside := make(chan struct{})
	remove := w.AddListener(func(e Event) {
		if e.Mailbox == "alice@contoso.com" {
			close(inside)
			<-release
		}
	})
	defer remove()
	done := make(chan error, 1)
	go func() {
		_, err := alice.CreateItem(FolderByName("inbox"), newMessage("slow"))
		done <- err
	}()
	<-inside
	if _, err := bob.CreateItem(FolderByName("inbox"), newMessage("fast")); err != nil {
		t.Fatal(err)
	}
	if n := len(folderItems(t, bob, FolderByName("inbox"))); n != 51 {
		t.Fatalf("bob inbox %d", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, _ := contosoWorld(t)
	var wg sync.WaitGroup
	for i, user := range []string{"alice", "bob", "carol", "alice", "bob", "carol"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := w.Mailbox(ctx, user+"@contoso.com")
			if err != nil {
				t.Error(err)
				return
			}
			r := newReplica()
			for j := range 20 {
				id, err := m.CreateItem(FolderByName("inbox"), newMessage("c"))
				if err != nil {
					t.Error(err)
					return
				}
				if j%3 == i%3 {
					if _, err := m.SetRead(id.Id, true); err != nil {
						t.Error(err)
					}
				}
				if _, _, _, err := m.SyncItems(FolderByName("inbox"), r.state, 5, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for _, user := range []string{"alice", "bob", "carol"} {
		if n := len(folderItems(t, mailbox(t, w, user+"@contoso.com"), FolderByName("inbox"))); n != 90 {
			t.Errorf("%s inbox %d, want 90", user, n)
		}
	}
}
