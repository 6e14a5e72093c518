package exchangesim

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

func TestNewWorldNeedsAClock(t *testing.T) {
	t.Parallel()
	if _, err := NewWorld(Contoso(), WorldConfig{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	w, _ := newWorld(t, nil, WorldConfig{})
	if len(w.Directory().Users()) != 0 {
		t.Fatal("empty world has users")
	}
}

func TestGenerateScenario(t *testing.T) {
	t.Parallel()
	sc := Generate(3, 1000, 9)
	if len(sc.Users) != 4 || sc.Users[1].SMTP != "user00001@example.com" || sc.Users[3].SMTP != "user00003@example.com" {
		t.Fatalf("users %+v", sc.Users)
	}
	c := sc.DefaultContent.Counts
	if c["inbox"] != 800 || c["sentitems"] != 100 || c["calendar"] != 60 || c["contacts"] != 40 {
		t.Fatalf("counts %v", c)
	}
	small := Generate(1, 7, 9).DefaultContent.Counts
	if small["inbox"]+small["sentitems"]+small["calendar"]+small["contacts"] != 7 {
		t.Fatalf("counts %v do not add up to 7", small)
	}
	w, _ := newWorld(t, sc, WorldConfig{})
	if _, pw, ok := w.LookupAccount(`EXAMPLE\user00002`); !ok || pw != DefaultUserPassword {
		t.Fatal("user00002 cannot sign in")
	}
	if _, pw, ok := w.LookupAccount("svc-sync@example.com"); !ok || pw != DefaultServicePassword {
		t.Fatal("svc-sync cannot sign in")
	}
	for _, target := range []string{"user00001@example.com", "user00003@example.com", "svc-sync@example.com"} {
		if _, err := w.CheckImpersonation("svc-sync@example.com", ews.ConnectingSID{PrimarySmtpAddress: target}); err != nil {
			t.Fatalf("org-wide impersonation of %s: %v", target, err)
		}
	}
	svc := mailbox(t, w, "svc-sync@example.com")
	if n := *must[ews.Folder](t)(svc.Folder(FolderByName("inbox"))).TotalCount; n != 0 {
		t.Fatalf("svc-sync inbox has %d items", n)
	}
	m := mailbox(t, w, "user00002@example.com")
	for f, n := range c {
		if got := *must[ews.Folder](t)(m.Folder(FolderByName(f))).TotalCount; got != n {
			t.Errorf("%s: %d, want %d", f, got, n)
		}
	}
}

// marshalFolder renders every item of a folder as XML.
func marshalFolder(t testing.TB, m *Mailbox, folder string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, it := range folderItems(t, m, FolderByName(folder)) {
		b, err := xml.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
	}
	return buf.Bytes()
}

func TestGenerationIsDeterministic(t *testing.T) {
	t.Parallel()
	build := func(scSeed, worldSeed int64) *World {
		w, _ := newWorld(t, Generate(50, 200, scSeed), WorldConfig{Seed: worldSeed})
		return w
	}
	a, b, c := build(1, 1), build(1, 1), build(2, 1)
	for _, folder := range []string{"inbox", "sentitems", "calendar", "contacts"} {
		xa := marshalFolder(t, mailbox(t, a, "user00042@example.com"), folder)
		xb := marshalFolder(t, mailbox(t, b, "user00042@example.com"), folder)
		if len(xa) == 0 || !bytes.Equal(xa, xb) {
			t.Fatalf("%s differs between worlds with the same seeds", folder)
		}
		if xc := marshalFolder(t, mailbox(t, c, "user00042@example.com"), folder); bytes.Equal(xa, xc) {
			t.Fatalf("%s is the same with another seed", folder)
		}
		if xo := marshalFolder(t, mailbox(t, a, "user00043@example.com"), folder); bytes.Equal(xa, xo) {
			t.Fatalf("%s is the same in two mailboxes", folder)
		}
	}
	// Materializing in another order, or twice, gives the same bytes.
	d := build(1, 1)
	mailbox(t, d, "user00007@example.com").Folder(FolderByName("inbox"))
	m := mailbox(t, d, "user00042@example.com")
	first := marshalFolder(t, m, "inbox")
	if !bytes.Equal(first, marshalFolder(t, m, "inbox")) || !bytes.Equal(first, marshalFolder(t, mailbox(t, a, "user00042@example.com"), "inbox")) {
		t.Fatal("materializing is not repeatable")
	}
}

func TestMailboxesAreMaterializedLazily(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, _ := newWorld(t, Generate(1000, 1000, 1), WorldConfig{})
	if n := len(w.Directory().Users()); n != 1001 {
		t.Fatalf("%d users", n)
	}
	// Directory work and getting mailbox handles create no content.
	for _, u := range []string{"user00001@example.com", "user00500@example.com", "user01000@example.com"} {
		if _, err := w.CheckImpersonation("svc-sync@example.com", ews.ConnectingSID{PrimarySmtpAddress: u}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Mailbox(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.MaterializedMailboxes(); n != 0 {
		t.Fatalf("%d mailboxes materialized before use", n)
	}
	m := mailbox(t, w, "user00500@example.com")
	if m.Materialized() {
		t.Fatal("materialized before use")
	}
	if n := *must[ews.Folder](t)(m.Folder(FolderByName("inbox"))).TotalCount; n != 800 {
		t.Fatalf("inbox %d", n)
	}
	if n := w.MaterializedMailboxes(); n != 1 || !m.Materialized() {
		t.Fatalf("%d mailboxes materialized after using one", n)
	}
	// Generated items are stored compactly until changed.
	f := m.folders[m.byDist["inbox"]]
	for _, r := range f.recs {
		if r.full != nil {
			t.Fatal("a generated item is stored in full")
		}
	}
	_, _ = m.UpdateItem(*folderItems(t, m, FolderByName("inbox"))[0].ItemId, func(it *ews.Item) error { it.Subject = "x"; return nil })
	full := 0
	for _, r := range f.recs {
		if r.full != nil {
			full++
		}
	}
	if full != 1 {
		t.Fatalf("%d full items after one update", full)
	}
}

func TestWorldClockDrivesDates(t *testing.T) {
	t.Parallel()
	w, clock := contosoWorld(t)
	m := mailbox(t, w, "alice@contoso.com")
	clock.Advance(90 * time.Minute)
	id := must[ews.ItemId](t)(m.CreateItem(FolderByName("drafts"), newMessage("later")))
	if it := must[ews.Item](t)(m.Item(id.Id)); !it.DateTimeCreated.Equal(clock.Now()) {
		t.Fatalf("created %v, clock %v", it.DateTimeCreated, clock.Now())
	}
	// Generated content stays relative to the World's start, not to when it is read.
	before := marshalFolder(t, m, "inbox")
	clock.Advance(48 * time.Hour)
	w2, _ := newWorld(t, Contoso(), WorldConfig{Seed: 1, Clock: func() time.Time { return clock.Now().Add(-(48*time.Hour + 90*time.Minute)) }})
	if !bytes.Equal(before, marshalFolder(t, mailbox(t, w2, "alice@contoso.com"), "inbox")) {
		t.Fatal("generated content depends on when it is materialized")
	}
}

// BenchmarkGenerateWorld measures building a 1,000-user × 1,000-item World.
func BenchmarkGenerateWorld(b *testing.B) {
	clock := newTestClock()
	for b.Loop() {
		w, err := NewWorld(Generate(1000, 1000, 1), WorldConfig{Clock: clock.Now})
		if err != nil {
			b.Fatal(err)
		}
		_ = w
	}
}

// BenchmarkMaterializeMailbox measures creating one 1,000-item mailbox's content.
func BenchmarkMaterializeMailbox(b *testing.B) {
	w, _ := newWorld(b, Generate(1000, 1000, 1), WorldConfig{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i = i%1000 + 1
		m, err := w.Mailbox(ctx, fmt.Sprintf("user%05d@example.com", i))
		if err != nil {
			b.Fatal(err)
		}
		m.mu.Lock()
		m.load()
		m.mu.Unlock()
	}
}

// BenchmarkSyncFolderItems measures a full initial sync of an 800-item Inbox in pages of
// 512, items materialized.
func BenchmarkSyncFolderItems(b *testing.B) {
	w, _ := newWorld(b, Generate(1, 1000, 1), WorldConfig{})
	m := mailbox(b, w, "user00001@example.com")
	for b.Loop() {
		state := ""
		for {
			_, next, last, err := m.SyncItems(FolderByName("inbox"), state, 512, nil)
			if err != nil {
				b.Fatal(err)
			}
			state = next
			if last {
				break
			}
		}
	}
}
