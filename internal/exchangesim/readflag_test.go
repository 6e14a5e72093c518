package exchangesim_test

import (
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

func unreadCount(t *testing.T, c *ewsCaller, dist string) int {
	t.Helper()
	var resp ews.GetFolderResponse
	c.mustCall(ews.OpGetFolder, &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder(dist)}}}, &resp)
	iwWantOK(t, resp.ResponseMessages[0].ResponseMessage)
	f := resp.ResponseMessages[0].Folders.Folders[0]
	if f.UnreadCount == nil {
		t.Fatalf("%s has no UnreadCount", dist)
	}
	return *f.UnreadCount
}

func getIsRead(t *testing.T, c *ewsCaller, id string) *bool {
	t.Helper()
	var resp ews.GetItemResponse
	c.mustCall(ews.OpGetItem, &ews.GetItemRequest{ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly,
		AdditionalProperties: &ews.PropertyPaths{Paths: []ews.PropertyPath{ews.Field("message:IsRead")}}},
		ItemIds: iwIDs(id)}, &resp)
	iwWantOK(t, resp.ResponseMessages[0].ResponseMessage)
	return resp.ResponseMessages[0].Items.Items[0].IsRead
}

// Meeting messages and post items have a read flag, as messages do: a meeting request
// arrives unread (and counts in the Inbox's UnreadCount), its sender's copy is read,
// UpdateItem and a message:IsRead restriction see the flag, and a post its owner writes is
// read.
func TestMeetingMessagesAndPostsHaveReadFlag(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice, carol := s.svcAs(t, "alice@contoso.com"), s.svcAs(t, "carol@contoso.com")
	unread := unreadCount(t, carol, "inbox")
	start := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	iwCreateOne(t, alice, "", ews.SendToAllAndSaveCopy, ews.Item{XMLName: iwKind(ews.KindCalendarItem), Subject: "Read flag review",
		Start: ews.Date(start), End: ews.Date(start.Add(time.Hour)),
		RequiredAttendees: &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: iwAddr("carol@contoso.com")}}}})

	req := iwOne(t, s, "carol@contoso.com", "inbox", "Read flag review")
	if req.Kind() != ews.KindMeetingRequest {
		t.Fatalf("carol got a %s", req.Kind())
	}
	if r := getIsRead(t, carol, req.ItemId.Id); r == nil || *r {
		t.Errorf("meeting request IsRead %v, want false", r)
	}
	if n := unreadCount(t, carol, "inbox"); n != unread+1 {
		t.Errorf("carol's unread %d -> %d, want one more", unread, n)
	}
	sent := iwOne(t, s, "alice@contoso.com", "sentitems", "Read flag review")
	if r := getIsRead(t, alice, sent.ItemId.Id); r == nil || !*r {
		t.Errorf("alice's sent meeting request IsRead %v, want true", r)
	}

	var found ews.FindItemResponse
	carol.mustCall(ews.OpFindItem, &ews.FindItemRequest{Traversal: ews.TraversalShallow, ItemShape: ews.ItemShape{BaseShape: ews.ShapeIdOnly},
		Restriction:     ews.Where(ews.IsEqualTo(ews.Field("message:IsRead"), "false")),
		ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}, &found)
	iwWantOK(t, found.ResponseMessages[0].ResponseMessage)
	var unreadIDs []string
	for _, it := range found.ResponseMessages[0].RootFolder.Items.Items {
		unreadIDs = append(unreadIDs, it.ItemId.Id)
	}
	if len(unreadIDs) != unread+1 || !containsString(unreadIDs, req.ItemId.Id) {
		t.Errorf("IsRead=false restriction found %d items (request among them: %v), want %d", len(unreadIDs), containsString(unreadIDs, req.ItemId.Id), unread+1)
	}

	iwUpdateOne(t, carol, ews.AutoResolve, ews.SaveOnly, "", *req.ItemId, ews.SetItemField(ews.Field("message:IsRead"),
		ews.Item{XMLName: iwKind(ews.KindMeetingRequest), IsRead: ews.Bool(true)}))
	if r := getIsRead(t, carol, req.ItemId.Id); r == nil || !*r {
		t.Errorf("after UpdateItem IsRead %v, want true", r)
	}
	if n := unreadCount(t, carol, "inbox"); n != unread {
		t.Errorf("carol's unread after reading the request %d, want %d", n, unread)
	}

	post := iwCreateOne(t, alice, "", "", ews.Item{XMLName: iwKind(ews.KindPostItem), Subject: "Team note",
		Body: &ews.Body{BodyType: "Text", Value: "Posted to the Inbox"}})
	if r := getIsRead(t, alice, post.Id); r == nil || !*r {
		t.Errorf("post IsRead %v, want true", r)
	}
	iwUpdateOne(t, alice, ews.AutoResolve, "", "", post, ews.SetItemField(ews.Field("message:IsRead"),
		ews.Item{XMLName: iwKind(ews.KindPostItem), IsRead: ews.Bool(false)}))
	if r := getIsRead(t, alice, post.Id); r == nil || *r {
		t.Errorf("post IsRead after UpdateItem %v, want false", r)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
