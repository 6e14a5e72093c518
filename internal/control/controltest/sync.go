package controltest

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// testWorker is the lease owner of the helpers below, standing in for the sync engine.
const testWorker = "controltest"

// lease takes an active mailbox's lease for the test.
func (e *Env) lease(t testing.TB, userID int64) store.Lease {
	t.Helper()
	l, err := e.Store.AcquireLease(context.Background(), userID, testWorker, time.Minute)
	if err != nil {
		t.Fatalf("lease of user %d: %v", userID, err)
	}
	return l
}

// SyncStatus records a sync status on an active mailbox, as the engine would: under the
// mailbox's lease, given back afterwards. A status with Stop set stops the mailbox.
func (e *Env) SyncStatus(t testing.TB, userID int64, st store.MailboxStatus) {
	t.Helper()
	ctx := context.Background()
	l := e.lease(t, userID)
	if err := e.Store.SetMailboxStatus(ctx, l, st); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.ReleaseLease(ctx, l); err != nil {
		t.Fatal(err)
	}
}

// SyncItems stores n messages in an active mailbox's Inbox, as the engine would, so
// that its item count is n more.
func (e *Env) SyncItems(t testing.TB, userID int64, n int) {
	t.Helper()
	ctx := context.Background()
	l := e.lease(t, userID)
	defer func() {
		if err := e.Store.ReleaseLease(ctx, l); err != nil {
			t.Error(err)
		}
	}()
	inbox := store.Folder{FolderID: "inbox-" + strconv.FormatInt(userID, 10), Name: "Inbox", Class: "IPF.Note", Distinguished: "inbox", Synced: true}
	if err := e.Store.CommitHierarchy(ctx, l, store.HierarchyCommit{Upserts: []store.Folder{inbox}, NewState: "h1"}); err != nil {
		t.Fatal(err)
	}
	folders, err := e.Store.ListFolders(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	var f store.Folder
	for _, x := range folders {
		if x.FolderID == inbox.FolderID {
			f = x
		}
	}
	now := time.Now().UTC()
	page := store.PageCommit{Folder: f.ID, Generation: f.Generation, NewState: "s" + strconv.FormatInt(now.UnixNano(), 10)}
	for i := range n {
		data, _ := json.Marshal(map[string]string{"subject": "Message " + strconv.Itoa(i)})
		id := strconv.FormatInt(now.UnixNano(), 36) + "-" + strconv.Itoa(i)
		page.Upserts = append(page.Upserts, store.ItemRecord{ItemID: id, ChangeKey: "ck" + id, Kind: "message",
			Subject: "Message " + strconv.Itoa(i), Sender: "sender@contoso.com", ItemTime: &now, Data: data})
	}
	if _, err := e.Store.CommitPage(ctx, l, page); err != nil {
		t.Fatal(err)
	}
}

// SyncMailbox syncs a user's active mailbox to the end, as the sync engine's jobs do:
// through the organization's saved service account and folder selection, under the
// mailbox's lease, from the simulator into the store. pageSize is SyncFolderItems' page
// (0: the engine's default); small pages make many commits.
func (e *Env) SyncMailbox(t testing.TB, orgID, userID int64, pageSize int) syncer.Stats {
	t.Helper()
	ctx := context.Background()
	u, err := e.Store.GetUser(ctx, orgID, userID)
	if err != nil {
		t.Fatal(err)
	}
	client, err := e.Service.EWSClient(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CloseIdleConnections()
	folders, err := e.Service.SyncFolders(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	l := e.lease(t, userID)
	defer func() {
		if err := e.Store.ReleaseLease(ctx, l); err != nil {
			t.Error(err)
		}
	}()
	eng := syncer.New(e.Store, syncer.Options{PageSize: pageSize})
	var total syncer.Stats
	for {
		st, err := eng.SyncMailbox(ctx, l, u.Email, &syncer.EWSSource{Client: client}, folders)
		total.Created += st.Created
		total.Updated += st.Updated
		total.Deleted += st.Deleted
		total.Pages += st.Pages
		if errors.Is(err, syncer.ErrMore) {
			continue
		}
		if err != nil {
			t.Fatalf("sync %s: %v", u.Email, err)
		}
		return total
	}
}
