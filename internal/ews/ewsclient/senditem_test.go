package ewsclient_test

import (
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// SendItem sends a draft: it leaves Drafts, the recipient receives it, and a copy is
// kept in Sent Items. Only against the simulator: it really sends mail.
func TestSendItem(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{}, exchangesim.ListenConfig{})
	c := tg.client(t, tg.ntlm(), ewsclient.Options{})
	ctx := t.Context()
	const from, to, subject = "alice@contoso.com", "carol@contoso.com", "mailbridge SendItem test"
	draft := func() ews.ItemId {
		t.Helper()
		resp, err := c.CreateItem(ctx, from, &ews.CreateItemRequest{
			MessageDisposition: ews.SaveOnly,
			SavedItemFolderId:  &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("drafts")}},
			Items: ews.Items{Items: []ews.Item{{XMLName: xmlName(ews.KindMessage), Subject: subject,
				Body:         &ews.Body{BodyType: "Text", Value: "hello"},
				ToRecipients: &ews.Recipients{Mailboxes: []ews.EmailAddress{{EmailAddress: to}}}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		m := resp.ResponseMessages[0]
		if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
			t.Fatal(err)
		}
		return *m.Items.Items[0].ItemId
	}
	withSubject := func(mailbox, folder string) int {
		t.Helper()
		resp, err := c.FindItem(ctx, mailbox, &ews.FindItemRequest{
			Traversal:       ews.TraversalShallow,
			ItemShape:       ews.ItemShape{BaseShape: ews.ShapeIdOnly},
			ParentFolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder(folder)}},
			Restriction:     ews.Where(ews.IsEqualTo(ews.Field("item:Subject"), subject)),
		})
		if err != nil {
			t.Fatal(err)
		}
		m := resp.ResponseMessages[0]
		if err := ewsclient.MessageErr(&m.ResponseMessage); err != nil {
			t.Fatal(err)
		}
		return len(m.RootFolder.Items.Items)
	}

	id := draft()
	resp, err := c.SendItem(ctx, from, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(true),
		ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(id)}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ResponseMessages) != 1 {
		t.Fatalf("%d messages for one id", len(resp.ResponseMessages))
	}
	if err := ewsclient.MessageErr(&resp.ResponseMessages[0].ResponseMessage); err != nil {
		t.Fatalf("SendItem: %v", err)
	}
	if d, s, r := withSubject(from, "drafts"), withSubject(from, "sentitems"), withSubject(to, "inbox"); d != 0 || s != 1 || r != 1 {
		t.Errorf("after sending: %d in Drafts, %d in Sent Items, %d in the recipient's Inbox; want 0, 1, 1", d, s, r)
	}

	// Per-id errors come in the response, not as the call's error: the draft is gone now,
	// and a folder to save in with SaveItemToFolder false is refused.
	resp, err = c.SendItem(ctx, from, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(true),
		ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: id.Id})}}})
	if err != nil {
		t.Fatal(err)
	}
	if code := ews.Code(ewsclient.MessageErr(&resp.ResponseMessages[0].ResponseMessage)); code != ews.ErrorItemNotFound {
		t.Errorf("sending it again: %q, want ErrorItemNotFound", code)
	}
	resp, err = c.SendItem(ctx, from, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(false),
		ItemIds:           ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(draft())}},
		SavedItemFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("sentitems")}}})
	if err != nil {
		t.Fatal(err)
	}
	if code := ews.Code(ewsclient.MessageErr(&resp.ResponseMessages[0].ResponseMessage)); code != ews.ErrorInvalidSendItemSaveSettings {
		t.Errorf("SavedItemFolderId without SaveItemToFolder: %q, want ErrorInvalidSendItemSaveSettings", code)
	}
}
