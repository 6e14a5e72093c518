package exchangesim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// graphFolderRef resolves a {folder} segment: a well-known name (inbox, sentitems, …) or
// a REST folder id.
func graphFolderRef(seg string) FolderRef {
	if _, ok := parseID(ewsID(seg)); ok {
		return FolderByID(ewsID(seg))
	}
	return FolderByName(strings.ToLower(seg))
}

// isMailFolder reports whether a folder holds mail (Graph's mailFolders leave calendars,
// contacts, tasks and notes out).
func isMailFolder(f ews.Folder) bool {
	return f.FolderClass == "" || f.FolderClass == "IPF.Note" || strings.HasPrefix(f.FolderClass, "IPF.Note.")
}

func graphFolderEntity(f ews.Folder) map[string]any {
	e := map[string]any{
		"id":               restID(f.FolderId.Id),
		"displayName":      f.DisplayName,
		"childFolderCount": derefInt(f.ChildFolderCount),
		"unreadItemCount":  derefInt(f.UnreadCount),
		"totalItemCount":   derefInt(f.TotalCount),
		"isHidden":         false,
	}
	if f.ParentFolderId != nil {
		e["parentFolderId"] = restID(f.ParentFolderId.Id)
	}
	return e
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// folderLookupError maps a folder lookup error to Graph's answer.
func folderLookupError(err error) error {
	switch ews.Code(err) {
	case ews.ErrorFolderNotFound, ews.ErrorInvalidIdMalformed:
		return &graphErr{status: http.StatusNotFound, code: "ErrorItemNotFound", msg: "The specified object was not found in the store."}
	case ews.ErrorNonExistentMailbox:
		return &graphErr{status: http.StatusNotFound, code: "MailboxNotEnabledForRESTAPI", msg: "The mailbox is either inactive, soft-deleted, or is hosted on-premise."}
	}
	return err
}

// graphMailFolders is GET /users/{id}/mailFolders: the top-level mail folders.
func (s *Simulator) graphMailFolders(w http.ResponseWriter, r *http.Request) error {
	return s.listFolders(w, r, FolderByName(distinguishedMsgFolderRoot))
}

// graphChildFolders is GET /users/{id}/mailFolders/{id}/childFolders.
func (s *Simulator) graphChildFolders(w http.ResponseWriter, r *http.Request) error {
	return s.listFolders(w, r, graphFolderRef(r.PathValue("folder")))
}

// listFolders answers the mail folders under parent, paged by $top (default 10, as
// Graph) and $skip.
func (s *Simulator) listFolders(w http.ResponseWriter, r *http.Request, parent FolderRef) error {
	mb, release, err := s.graphMailbox(r, PermMailRead, PermMailReadWrite)
	if err != nil {
		return err
	}
	defer release()
	n, _, err := pageSize(r, 10, 1000)
	if err != nil {
		return err
	}
	skip := 0
	if v := r.URL.Query().Get("$skip"); v != "" {
		if skip, err = strconv.Atoi(v); err != nil || skip < 0 {
			return errBadRequest("Invalid value '" + v + "' for $skip query option found.")
		}
	}
	folders, err := mb.FindFolders(parent, false)
	if err != nil {
		return folderLookupError(err)
	}
	var mail []ews.Folder
	for _, f := range folders {
		if isMailFolder(f) {
			mail = append(mail, f)
		}
	}
	sel := parseSelect(r.URL.Query().Get("$select"))
	value := []map[string]any{}
	for i := skip; i < len(mail) && len(value) < n; i++ {
		value = append(value, selectFields(graphFolderEntity(mail[i]), sel))
	}
	resp := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('" + mb.SMTP() + "')/mailFolders", "value": value}
	if next := skip + len(value); next < len(mail) {
		q := url.Values{"$top": {strconv.Itoa(n)}, "$skip": {strconv.Itoa(next)}}
		if len(sel) > 0 {
			q.Set("$select", strings.Join(sel, ","))
		}
		resp["@odata.nextLink"] = requestBase(r) + r.URL.Path + "?" + q.Encode()
	}
	writeGraphJSON(w, http.StatusOK, resp)
	return nil
}

// graphMailFolder is GET /users/{id}/mailFolders/{id | well-known name}.
func (s *Simulator) graphMailFolder(w http.ResponseWriter, r *http.Request) error {
	mb, release, err := s.graphMailbox(r, PermMailRead, PermMailReadWrite)
	if err != nil {
		return err
	}
	defer release()
	f, err := mb.Folder(graphFolderRef(r.PathValue("folder")))
	if err != nil {
		return folderLookupError(err)
	}
	e := selectFields(graphFolderEntity(f), parseSelect(r.URL.Query().Get("$select")))
	e["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users('" + mb.SMTP() + "')/mailFolders/$entity"
	writeGraphJSON(w, http.StatusOK, e)
	return nil
}

// graphMessagesDelta is GET /users/{id}/mailFolders/{id}/messages/delta.
func (s *Simulator) graphMessagesDelta(w http.ResponseWriter, r *http.Request) error {
	mb, release, err := s.graphMailbox(r, PermMailRead, PermMailReadWrite)
	if err != nil {
		return err
	}
	defer release()
	ref := graphFolderRef(r.PathValue("folder"))
	tok, err := s.deltaRequest(r, deltaToken{Kind: "message", Folder: ref.Id + ref.Distinguished, Dist: ref.Distinguished != "",
		Select: r.URL.Query().Get("$select")})
	if err != nil {
		return err
	}
	return s.graphDelta(w, r, mb, tok, "#microsoft.graph.message", func(c ItemChange) (map[string]any, bool, bool) {
		return graphMessage(&c.Item), false, true
	})
}

// graphMessage renders an item as a Graph message.
func graphMessage(it *ews.Item) map[string]any {
	e := baseEntity(it, "#microsoft.graph.message")
	importance := "normal"
	if it.Importance != "" {
		importance = strings.ToLower(it.Importance)
	}
	var conv any
	if it.ConversationId != nil {
		conv = restID(it.ConversationId.Id)
	}
	e["receivedDateTime"] = graphTime(it.DateTimeReceived.Time)
	e["sentDateTime"] = graphTime(it.DateTimeSent.Time)
	e["hasAttachments"] = boolOf(it.HasAttachments)
	e["internetMessageId"] = nullIfEmpty(it.InternetMessageId)
	e["subject"] = it.Subject
	e["bodyPreview"] = bodyPreview(it)
	e["importance"] = importance
	e["conversationId"] = conv
	e["isDeliveryReceiptRequested"] = boolOf(it.IsDeliveryReceiptRequested)
	e["isReadReceiptRequested"] = boolOf(it.IsReadReceiptRequested)
	e["isRead"] = boolOf(it.IsRead)
	e["isDraft"] = boolOf(it.IsDraft)
	e["inferenceClassification"] = "focused"
	e["body"] = graphBody(it.Body)
	e["sender"] = graphRecipient(it.Sender)
	e["from"] = graphRecipient(it.From)
	e["toRecipients"] = graphRecipients(it.ToRecipients)
	e["ccRecipients"] = graphRecipients(it.CcRecipients)
	e["bccRecipients"] = graphRecipients(it.BccRecipients)
	e["replyTo"] = graphRecipients(it.ReplyTo)
	e["flag"] = map[string]string{"flagStatus": "notFlagged"}
	return e
}
