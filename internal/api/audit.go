package api

import (
	"net/http"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// auditJSON is an entry of the audit log.
type auditJSON struct {
	ID     int64             `json:"id"`
	OrgID  int64             `json:"org_id"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target"`
	Detail map[string]string `json:"detail"`
}

func auditView(e store.AuditEntry) auditJSON {
	d := e.Detail
	if d == nil {
		d = map[string]string{}
	}
	return auditJSON{ID: e.ID, OrgID: e.OrgID, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: d}
}

// defaultAuditPage is how many entries a page of the audit log holds unless asked.
const defaultAuditPage = 100

// listAudit returns a page of the organization's audit log, newest first; next_before
// asks for the following page.
func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	before, err := queryInt(r, "before", 0, 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", defaultAuditPage, 1000)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = defaultAuditPage
	}
	entries, err := h.svc.Audit(r.Context(), c.p, c.org.ID, before, int(limit))
	if err != nil {
		return err
	}
	out := struct {
		Entries    []auditJSON `json:"entries"`
		NextBefore *int64      `json:"next_before"`
	}{Entries: make([]auditJSON, len(entries))}
	for i, e := range entries {
		out.Entries[i] = auditView(e)
	}
	if n := len(entries); n > 0 && int64(n) == limit {
		next := entries[n-1].ID
		out.NextBefore = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
