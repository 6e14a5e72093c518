package crash_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// mailbox reads the simulated mailbox over EWS, as the service account impersonating
// its owner, and changes it through the simulator's admin API.
type mailbox struct {
	ews   *ewsclient.Client
	admin string // the simulator's admin URL
	addr  string
	// live are the items the harness may change: id -> kind ("message", "event",
	// "contact"); ids keeps them in a stable order for the seeded choices.
	live map[string]string
	ids  []string
	rng  *rand.Rand
	// Counts of the changes made.
	created, modified, readFlags, deleted int
}

func newMailbox(t *testing.T, info simInfo, addr string) *mailbox {
	t.Helper()
	c, err := ewsclient.New(info.EWSURL, ewsclient.Basic(svcAccount, svcPassword), ewsclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &mailbox{ews: c, admin: strings.TrimSuffix(info.AdminURL, "/"), addr: addr, live: map[string]string{},
		rng: rand.New(rand.NewPCG(2026, 7))}
}

// syncedFolders returns the folders the engine syncs: Inbox and its subfolders of
// messages, Sent Items, Calendar, Contacts.
func (m *mailbox) syncedFolders(ctx context.Context, t *testing.T) []ews.BaseFolderId {
	t.Helper()
	out := []ews.BaseFolderId{ews.DistinguishedFolder("inbox"), ews.DistinguishedFolder("sentitems"),
		ews.DistinguishedFolder("calendar"), ews.DistinguishedFolder("contacts")}
	resp, err := m.ews.FindFolder(ctx, m.addr, &ews.FindFolderRequest{
		Traversal: ews.TraversalDeep,
		FolderShape: ews.FolderShape{BaseShape: ews.ShapeIdOnly, AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{
			ews.Field("folder:FolderClass")}}},
		ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}},
	})
	if err != nil {
		t.Fatalf("FindFolder: %v", err)
	}
	for _, rm := range resp.ResponseMessages {
		if err := ewsclient.MessageErr(&rm.ResponseMessage); err != nil {
			t.Fatalf("FindFolder: %v", err)
		}
		if rm.RootFolder == nil || rm.RootFolder.Folders == nil {
			continue
		}
		for _, f := range rm.RootFolder.Folders.Folders {
			class := strings.ToLower(f.FolderClass)
			if f.FolderId == nil || strings.HasPrefix(class, "ipf.appointment") || strings.HasPrefix(class, "ipf.contact") ||
				f.XMLName.Local == "CalendarFolder" || f.XMLName.Local == "ContactsFolder" {
				continue
			}
			out = append(out, ews.FolderRef(*f.FolderId))
		}
	}
	return out
}

// items lists every item of the synced folders: id -> change key, and id -> kind. The
// worker's look-back window (400 days) holds every item the simulator generates.
func (m *mailbox) items(ctx context.Context, t *testing.T) (map[string]string, map[string]string) {
	t.Helper()
	keys, kinds := map[string]string{}, map[string]string{}
	for _, folder := range m.syncedFolders(ctx, t) {
		for offset := 0; ; {
			resp, err := m.ews.FindItem(ctx, m.addr, &ews.FindItemRequest{
				Traversal:           ews.TraversalShallow,
				ItemShape:           ews.ItemShape{BaseShape: ews.ShapeIdOnly},
				IndexedPageItemView: &ews.IndexedPageView{MaxEntriesReturned: 1000, Offset: offset, BasePoint: ews.BasePointBeginning},
				ParentFolderIds:     ews.FolderIds{Ids: []ews.BaseFolderId{folder}},
			})
			if err != nil {
				t.Fatalf("FindItem: %v", err)
			}
			if len(resp.ResponseMessages) != 1 {
				t.Fatalf("FindItem: %d response messages", len(resp.ResponseMessages))
			}
			rm := resp.ResponseMessages[0]
			if err := ewsclient.MessageErr(&rm.ResponseMessage); err != nil {
				t.Fatalf("FindItem %s: %v", folder.Id, err)
			}
			if rm.RootFolder == nil {
				t.Fatalf("FindItem %s: no RootFolder", folder.Id)
			}
			for _, it := range rm.RootFolder.Items.Items {
				if it.ItemId == nil {
					continue
				}
				if _, dup := keys[it.ItemId.Id]; dup {
					t.Fatalf("the simulator lists item %s twice", it.ItemId.Id)
				}
				keys[it.ItemId.Id] = it.ItemId.ChangeKey
				kinds[it.ItemId.Id] = kindOf(it.XMLName.Local)
			}
			if rm.RootFolder.IncludesLastItemInRange || len(rm.RootFolder.Items.Items) == 0 {
				break
			}
			offset += len(rm.RootFolder.Items.Items)
		}
	}
	return keys, kinds
}

func kindOf(element string) string {
	switch element {
	case "CalendarItem", "MeetingRequest":
		return "event"
	case "Contact", "DistributionList":
		return "contact"
	}
	return "message"
}

// track makes the harness's changes choose among the mailbox's current items.
func (m *mailbox) track(kinds map[string]string) {
	for id, k := range kinds {
		m.live[id] = k
	}
	m.ids = m.ids[:0]
	for id := range m.live {
		m.ids = append(m.ids, id)
	}
	sort.Strings(m.ids)
}

// pick returns a random live item, of kind if not empty.
func (m *mailbox) pick(kind string) string {
	for {
		id := m.ids[m.rng.IntN(len(m.ids))]
		if kind == "" || m.live[id] == kind {
			return id
		}
	}
}

func (m *mailbox) forget(id string) {
	delete(m.live, id)
	i := sort.SearchStrings(m.ids, id)
	m.ids = append(m.ids[:i], m.ids[i+1:]...)
}

func (m *mailbox) remember(id, kind string) {
	m.live[id] = kind
	i := sort.SearchStrings(m.ids, id)
	m.ids = append(m.ids[:i], append([]string{id}, m.ids[i:]...)...)
}

// mutate changes the mailbox a little while no worker runs: two items created, two
// modified, one marked read or unread, one deleted for good and one moved to Deleted
// Items (out of the synced folders). The items are chosen at random, synced or not yet.
func (m *mailbox) mutate(ctx context.Context, t *testing.T, round int) {
	t.Helper()
	creates := []map[string]any{
		{"folder": "inbox", "kind": "message", "subject": fmt.Sprintf("crash round %d", round), "from": "user00001@example.com",
			"body": "arrived while the worker was dead", "received": "-1h"},
		[]map[string]any{
			{"folder": "sentitems", "kind": "message", "subject": fmt.Sprintf("sent in round %d", round), "received": "-2h"},
			{"folder": "calendar", "kind": "event", "subject": fmt.Sprintf("meeting of round %d", round), "start": "1d", "end": "1.05d"},
			{"folder": "contacts", "kind": "contact", "givenName": "Round", "surname": fmt.Sprint(round), "email": fmt.Sprintf("round%d@example.org", round)},
		}[round%3],
	}
	for _, spec := range creates {
		var res struct{ ID string }
		m.call(ctx, t, "POST", "/mailboxes/"+url.PathEscape(m.addr)+"/items", spec, &res)
		m.remember(res.ID, spec["kind"].(string))
		m.created++
	}
	for range 2 {
		id := m.pick("")
		m.call(ctx, t, "PATCH", "/mailboxes/"+url.PathEscape(m.addr)+"/items/"+url.PathEscape(id),
			map[string]any{"subject": fmt.Sprintf("changed in round %d", round)}, nil)
		m.modified++
	}
	id := m.pick("message")
	m.call(ctx, t, "PATCH", "/mailboxes/"+url.PathEscape(m.addr)+"/items/"+url.PathEscape(id),
		map[string]any{"is_read": round%2 == 0}, nil)
	m.readFlags++
	for _, mode := range []string{"hard", "move"} {
		id := m.pick("")
		m.call(ctx, t, "DELETE", "/mailboxes/"+url.PathEscape(m.addr)+"/items/"+url.PathEscape(id)+"?mode="+mode, nil, nil)
		m.forget(id)
		m.deleted++
	}
}

// admin_ calls the simulator's admin API and decodes its JSON answer into out.
func (m *mailbox) call(ctx context.Context, t *testing.T, method, path string, body, out any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.admin+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var msg bytes.Buffer
		msg.ReadFrom(resp.Body)
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, msg.String())
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
