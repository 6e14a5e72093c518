package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// groupSourceJSON is a distribution group the organization keeps its users in sync
// with, and the outcome of its last read.
type groupSourceJSON struct {
	ID         int64      `json:"id"`
	OrgID      int64      `json:"org_id"`
	Address    string     `json:"address"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	LastReadAt *time.Time `json:"last_read_at"`
	Status     string     `json:"status"`
	Message    string     `json:"message"`
	Members    int        `json:"members"`
	Added      int        `json:"added"`
	Removed    int        `json:"removed"`
	Held       []string   `json:"held"`
}

func groupSourceView(g store.GroupSource) groupSourceJSON {
	return groupSourceJSON{ID: g.ID, OrgID: g.OrgID, Address: g.Address, CreatedAt: g.CreatedAt.UTC(), CreatedBy: g.CreatedBy,
		LastReadAt: utcPtr(g.LastReadAt), Status: g.Status, Message: g.Message, Members: g.Members, Added: g.Added, Removed: g.Removed,
		Held: nonNil(g.Held)}
}

// writeGroupSources answers with a list of group sources.
func writeGroupSources(w http.ResponseWriter, list []store.GroupSource) {
	out := make([]groupSourceJSON, len(list))
	for i, g := range list {
		out[i] = groupSourceView(g)
	}
	writeJSON(w, http.StatusOK, struct {
		GroupSources []groupSourceJSON `json:"group_sources"`
	}{out})
}

func (h *Handler) listGroupSources(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := h.svc.ListGroupSources(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	writeGroupSources(w, list)
	return nil
}

// keepGroup imports a distribution group's members and keeps the organization in sync
// with it.
func (h *Handler) keepGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Group string `json:"group"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	src, res, err := h.svc.KeepGroup(r.Context(), c.p, c.org.ID, in.Group)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/orgs/"+strconv.FormatInt(c.org.ID, 10)+"/group-sources/"+strconv.FormatInt(src.ID, 10))
	writeJSON(w, http.StatusCreated, struct {
		GroupSource groupSourceJSON `json:"group_source"`
		Import      importJSON      `json:"import"`
	}{groupSourceView(src), importView(res)})
	return nil
}

func (h *Handler) removeGroupSource(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "source")
	if err != nil {
		return err
	}
	if err := h.svc.RemoveGroupSource(r.Context(), c.p, c.org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rereadGroups re-reads the organization's kept groups now.
func (h *Handler) rereadGroups(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := h.svc.RereadGroups(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	writeGroupSources(w, list)
	return nil
}

// confirmGroupRemovals removes the users a held re-read would have removed.
func (h *Handler) confirmGroupRemovals(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "source")
	if err != nil {
		return err
	}
	list, err := h.svc.ConfirmGroupRemovals(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	writeGroupSources(w, list)
	return nil
}

// retentionJSON is how many days of items the organization keeps (0: forever).
type retentionJSON struct {
	Days int `json:"days"`
}

func (h *Handler) getRetention(w http.ResponseWriter, r *http.Request, c *call) error {
	days, err := h.svc.Retention(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, retentionJSON{days})
	return nil
}

func (h *Handler) setRetention(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Days *int `json:"days"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	if in.Days == nil {
		return badRequest("Field “days” is required (0 keeps items forever).", map[string]string{"days": "required"})
	}
	if err := h.svc.SetRetention(r.Context(), c.p, c.org.ID, *in.Days); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, retentionJSON{*in.Days})
	return nil
}
