package exchangesim_test

import (
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// iwSend sends ids with SendItem and returns the response messages, one per id.
func iwSend(t *testing.T, c *ewsCaller, req *ews.SendItemRequest) []ews.SendItemResponseMessage {
	t.Helper()
	var resp ews.SendItemResponse
	c.mustCall(ews.OpSendItem, req, &resp)
	if len(resp.ResponseMessages) != len(req.ItemIds.Ids) {
		t.Fatalf("%d messages for %d ids", len(resp.ResponseMessages), len(req.ItemIds.Ids))
	}
	return resp.ResponseMessages
}

func sendIDs(ids ...ews.ItemId) ews.ItemIds {
	var out ews.ItemIds
	for _, id := range ids {
		out.Ids = append(out.Ids, ews.ItemRef(id))
	}
	return out
}

func TestSendItemSendsDrafts(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	sentBefore := len(iwFolder(t, s, "alice@contoso.com", "sentitems"))

	t.Run("SaveItemToFolder: a copy in Sent Items", func(t *testing.T) {
		id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Quarterly numbers", "carol@contoso.com"))
		msgs := iwSend(t, alice, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(id)})
		iwWantOK(t, msgs[0].ResponseMessage)
		iwGone(t, s, "alice@contoso.com", id.Id)
		got := iwOne(t, s, "carol@contoso.com", "inbox", "Quarterly numbers")
		if got.IsRead == nil || *got.IsRead || got.IsDraft == nil || *got.IsDraft || got.From == nil || got.From.Mailbox.EmailAddress != "alice@contoso.com" {
			t.Errorf("carol received %+v", got)
		}
		sent := iwOne(t, s, "alice@contoso.com", "sentitems", "Quarterly numbers")
		if sent.IsRead == nil || !*sent.IsRead || sent.IsDraft == nil || *sent.IsDraft || sent.InternetMessageId != got.InternetMessageId {
			t.Errorf("sent copy: IsRead %v IsDraft %v InternetMessageId %q (received %q)", sent.IsRead, sent.IsDraft, sent.InternetMessageId, got.InternetMessageId)
		}
	})

	t.Run("SavedItemFolderId: the copy goes there", func(t *testing.T) {
		id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("Filed copy", "dave@contoso.com"))
		msgs := iwSend(t, alice, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(id),
			SavedItemFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.FolderRef(ews.FolderId{Id: iwFolderID(t, s, "alice@contoso.com", "deleteditems")})}}})
		iwWantOK(t, msgs[0].ResponseMessage)
		iwOne(t, s, "alice@contoso.com", "deleteditems", "Filed copy")
		iwOne(t, s, "dave@contoso.com", "inbox", "Filed copy")
		if len(iwWithSubject(t, s, "alice@contoso.com", "sentitems", "Filed copy")) != 0 {
			t.Error("a copy went to Sent Items too")
		}
	})

	t.Run("without SaveItemToFolder: no copy", func(t *testing.T) {
		id := iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage("No copy kept", "erin@contoso.com"))
		msgs := iwSend(t, alice, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(false), ItemIds: sendIDs(id)})
		iwWantOK(t, msgs[0].ResponseMessage)
		iwGone(t, s, "alice@contoso.com", id.Id)
		iwOne(t, s, "erin@contoso.com", "inbox", "No copy kept")
		if len(iwWithSubject(t, s, "alice@contoso.com", "sentitems", "No copy kept")) != 0 {
			t.Error("a copy was kept")
		}
	})

	if n := len(iwFolder(t, s, "alice@contoso.com", "sentitems")); n != sentBefore+1 {
		t.Errorf("Sent Items %d -> %d, want one more", sentBefore, n)
	}
}

func TestSendItemErrors(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	draft := func(subject string, to ...string) ews.ItemId {
		return iwCreateOne(t, alice, ews.SaveOnly, "", iwMessage(subject, to...))
	}
	gone := draft("Deleted before sending", "carol@contoso.com")
	iwWantOK(t, iwDelete(t, alice, &ews.DeleteItemRequest{DeleteType: ews.HardDelete, ItemIds: iwIDs(gone.Id)})[0].ResponseMessage)
	contact := iwCreateOne(t, alice, "", "", ews.Item{XMLName: iwKind(ews.KindContact), GivenName: "Zed", Surname: "Zulu"})
	received := *iwFolder(t, s, "alice@contoso.com", "inbox")[0].ItemId
	stale := draft("Edited meanwhile", "carol@contoso.com")
	iwUpdateOne(t, alice, ews.AlwaysOverwrite, ews.SaveOnly, "", stale, ews.SetItemField(ews.Field("item:Subject"),
		ews.Item{XMLName: iwKind(ews.KindMessage), Subject: "Edited meanwhile (2)"}))
	noRecipients := draft("Nobody to send to")
	carolInbox := iwFolderID(t, s, "carol@contoso.com", "inbox")

	cases := []struct {
		name string
		req  ews.SendItemRequest
		code string
	}{
		{"item not found", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(ews.ItemId{Id: gone.Id})}, ews.ErrorItemNotFound},
		{"malformed id", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(ews.ItemId{Id: "AAMkAAAA"})}, ews.ErrorInvalidIdMalformed},
		{"empty id", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(ews.ItemId{})}, "ErrorInvalidIdEmpty"},
		{"a folder's id", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(ews.ItemId{Id: carolInbox})}, "ErrorCannotUseFolderIdForItemId"},
		{"not a message", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(contact)}, ews.ErrorInvalidItemForOperationSendItem},
		{"an occurrence", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: ews.ItemIds{Ids: []ews.BaseItemId{
			{XMLName: iwKind("t:OccurrenceItemId"), RecurringMasterId: contact.Id, InstanceIndex: 1}}}}, ews.ErrorInvalidItemForOperationSendItem},
		{"not a draft", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(received)}, ews.ErrorInvalidOperation},
		{"stale change key", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(stale)}, ews.ErrorStaleObject},
		{"no recipients", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(noRecipients)}, "ErrorInvalidRecipients"},
		{"SavedItemFolderId without SaveItemToFolder", ews.SendItemRequest{SaveItemToFolder: ews.Bool(false), ItemIds: sendIDs(noRecipients),
			SavedItemFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("sentitems")}}}, ews.ErrorInvalidSendItemSaveSettings},
		{"another mailbox's folder", ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(noRecipients),
			SavedItemFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.FolderRef(ews.FolderId{Id: carolInbox})}}}, "ErrorSavedItemFolderNotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iwWantCode(t, iwSend(t, alice, &tc.req)[0].ResponseMessage, tc.code)
		})
	}
	// Nothing failed halfway: the drafts are all still there, and carol got nothing.
	for _, id := range []ews.ItemId{stale, noRecipients} {
		iwItem(t, s, "alice@contoso.com", id.Id)
	}
	if n := len(iwWithSubject(t, s, "carol@contoso.com", "inbox", "Edited meanwhile (2)")); n != 0 {
		t.Errorf("carol received the stale draft %d times", n)
	}

	t.Run("per-id messages in order", func(t *testing.T) {
		first, third := draft("Batch one", "carol@contoso.com"), draft("Batch three", "carol@contoso.com")
		msgs := iwSend(t, alice, &ews.SendItemRequest{SaveItemToFolder: ews.Bool(true), ItemIds: sendIDs(first, contact, third)})
		iwWantOK(t, msgs[0].ResponseMessage)
		iwWantCode(t, msgs[1].ResponseMessage, ews.ErrorInvalidItemForOperationSendItem)
		iwWantOK(t, msgs[2].ResponseMessage)
		iwOne(t, s, "carol@contoso.com", "inbox", "Batch one")
		iwOne(t, s, "carol@contoso.com", "inbox", "Batch three")
	})
	t.Run("missing SaveItemToFolder is a schema fault", func(t *testing.T) {
		var resp ews.SendItemResponse
		err := alice.call(ews.OpSendItem, &ews.SendItemRequest{ItemIds: sendIDs(noRecipients)}, &resp)
		iwWantFault(t, err, ews.ErrorSchemaValidation)
	})
}
