package web

import (
	"net/http"
	"strconv"

	"github.com/mailbridge/mailbridge/internal/store"
)

// auditPerPage is how many entries a page of the audit log shows.
const auditPerPage = 100

type auditData struct {
	Entries   []store.AuditEntry
	OlderURL  string
	NewestURL string
}

// auditPage lists the organization's audit log, newest first, a page at a time
// (?before=<id>).
func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, c *call) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := h.svc.Audit(r.Context(), c.principal(), c.org.ID, before, auditPerPage+1)
	if err != nil {
		return err
	}
	d := auditData{Entries: entries}
	if len(entries) > auditPerPage {
		d.Entries = entries[:auditPerPage]
		d.OlderURL = orgPath(c, "/audit?before="+itoa(d.Entries[len(d.Entries)-1].ID))
	}
	if before > 0 {
		d.NewestURL = orgPath(c, "/audit")
	}
	return h.render(w, http.StatusOK, "audit", h.page(w, r, c, "Audit log · "+c.org.Name, "audit", d))
}
