package exchangesim

import "net/http"

// graphMailFoldersDelta is GET /users/{id}/mailFolders/delta: the mailbox's mail folders
// (every level) added, changed or deleted since the token, on the same engine as EWS's
// SyncFolderHierarchy, so that a folder created through EWS appears in the next round.
// Calendars, contacts and the other non-mail folders are left out, as Graph's mailFolders
// do.
func (s *Simulator) graphMailFoldersDelta(w http.ResponseWriter, r *http.Request) error {
	mb, release, err := s.graphMailbox(r, PermMailRead, PermMailReadWrite)
	if err != nil {
		return err
	}
	defer release()
	tok, err := s.deltaRequest(r, deltaToken{Kind: "folder", Select: r.URL.Query().Get("$select")})
	if err != nil {
		return err
	}
	size, applied, err := pageSize(r, defaultDeltaPageSize, maxDeltaPageSize)
	if err != nil {
		return err
	}
	sel := parseSelect(tok.Select)
	value := []map[string]any{}
	state, last := tok.State, false
	for len(value) < size && !last {
		var changes []FolderChange
		changes, state, last, err = mb.SyncFolders(FolderRef{}, state, min(size-len(value), maxChangesReturnedLimit))
		if err != nil {
			return s.deltaError(r, err)
		}
		for _, c := range changes {
			switch {
			case c.Kind == ChangeDelete:
				value = append(value, map[string]any{"@odata.type": "#microsoft.graph.mailFolder", "id": restID(c.FolderId.Id),
					"@removed": map[string]string{"reason": "deleted"}})
			case isMailFolder(c.Folder):
				value = append(value, selectFields(graphFolderEntity(c.Folder), sel))
			}
		}
	}
	tok.State = state
	s.writeDeltaPage(w, r, tok, "#microsoft.graph.mailFolder", value, last, applied, size)
	return nil
}
