package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// lifecycleData is the Users tab's "Kept groups" and "Data retention" sections
// (templates/_lifecycle.html).
type lifecycleData struct {
	Sources []groupSourceView
	// Retention is the retention form: days (the saved value unless shown again after
	// an error).
	Retention form
}

// groupSourceView is a kept group as the Users tab shows it.
type groupSourceView struct {
	store.GroupSource
	StatusLabel, StatusClass string
}

// fillLifecycle reads the organization's group sources and retention into l.
func (h *Handler) fillLifecycle(r *http.Request, c *call, l *lifecycleData) error {
	list, err := h.svc.ListGroupSources(r.Context(), c.principal(), c.org.ID)
	if err != nil {
		return err
	}
	l.Sources = make([]groupSourceView, len(list))
	for i, g := range list {
		l.Sources[i] = groupSourceView{GroupSource: g, StatusLabel: groupStatusLabel(g.Status), StatusClass: groupStatusClass(g.Status)}
	}
	if l.Retention.Values == nil {
		days, err := h.svc.Retention(r.Context(), c.principal(), c.org.ID)
		if err != nil {
			return err
		}
		l.Retention = form{Values: map[string]string{"days": strconv.Itoa(days)}, Errors: map[string]string{}}
	}
	return nil
}

// importGroupForm imports a distribution group, and keeps the organization in sync with
// it when the form's "keep" box is ticked.
func (h *Handler) importGroupForm(r *http.Request, c *call, f form) (control.ImportResult, error) {
	if f.Values["keep"] == "" {
		return h.svc.ImportGroup(r.Context(), c.principal(), c.org.ID, f.Values["group"])
	}
	_, res, err := h.svc.KeepGroup(r.Context(), c.principal(), c.org.ID, f.Values["group"])
	return res, err
}

// groupFlash sums up a group's import, and says when it is kept in sync.
func groupFlash(res control.ImportResult, group string, keep bool) flash {
	f := importFlash(res, group)
	if keep {
		f.Lines = append(f.Lines, "Kept in sync: the group is re-read every hour; joiners are added and synced, leavers removed with their data.")
	}
	return f
}

// removeGroupSource stops keeping the organization in sync with a group.
func (h *Handler) removeGroupSource(w http.ResponseWriter, r *http.Request, c *call) error {
	id, ok := pathID(r, "source")
	if !ok {
		return store.ErrNotFound
	}
	addr := "the group"
	if list, err := h.svc.ListGroupSources(r.Context(), c.principal(), c.org.ID); err == nil {
		for _, g := range list {
			if g.ID == id {
				addr = g.Address
			}
		}
	}
	if err := h.svc.RemoveGroupSource(r.Context(), c.principal(), c.org.ID, id); err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "No longer keeping " + addr + " in sync.", Lines: []string{"Its users stay: remove them by hand if they should go."}})
	return redirect(w, r, orgPath(c, "/users"))
}

// rereadGroups re-reads the organization's kept groups now.
func (h *Handler) rereadGroups(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := h.svc.RereadGroups(r.Context(), c.principal(), c.org.ID)
	return h.groupsDone(w, r, c, "Re-read the kept groups.", list, err)
}

// confirmGroupRemovals removes the users a held re-read would have removed.
func (h *Handler) confirmGroupRemovals(w http.ResponseWriter, r *http.Request, c *call) error {
	id, ok := pathID(r, "source")
	if !ok {
		return store.ErrNotFound
	}
	list, err := h.svc.ConfirmGroupRemovals(r.Context(), c.principal(), c.org.ID, id)
	return h.groupsDone(w, r, c, "Confirmed: the group's leavers are removed.", list, err)
}

// groupsDone answers a re-read with a flash of each group's outcome.
func (h *Handler) groupsDone(w http.ResponseWriter, r *http.Request, c *call, title string, list []store.GroupSource, err error) error {
	var ie *control.InputError
	if errors.As(err, &ie) {
		f := flash{Kind: "error", Title: "Nothing was done."}
		for _, m := range ie.Fields {
			f.Lines = append(f.Lines, m)
		}
		h.setFlash(w, c, f)
		return redirect(w, r, orgPath(c, "/users"))
	}
	if err != nil {
		return err
	}
	f := flash{Kind: "success", Title: title}
	for _, g := range list {
		line := g.Address + ": " + groupOutcome(g)
		if g.Message != "" {
			line += " " + g.Message
		}
		f.Lines = append(f.Lines, line)
		if g.Status != "ok" {
			f.Kind = "info"
		}
	}
	h.setFlash(w, c, f)
	return redirect(w, r, orgPath(c, "/users"))
}

// groupOutcome says in words what the last read of a group did.
func groupOutcome(g store.GroupSource) string {
	switch g.Status {
	case "error":
		return "could not be read."
	case "held":
		if len(g.Held) == 1 {
			return "1 removal waits for a confirmation."
		}
		return number(len(g.Held)) + " removals wait for a confirmation."
	}
	return number(g.Members) + " member" + plural(g.Members) + ", " + number(g.Added) + " added, " + number(g.Removed) + " removed."
}

// saveRetention sets how many days of items the organization keeps.
func (h *Handler) saveRetention(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r, "days")
	days, err := control.ParseRetentionDays(strings.TrimSpace(f.Values["days"]))
	if err == nil {
		err = h.svc.SetRetention(r.Context(), c.principal(), c.org.ID, days)
	}
	if f.inputErrors(err, map[string]string{"days": "retention-days"}) {
		return h.renderUsers(w, r, c, http.StatusUnprocessableEntity, usersData{Open: "retention", Lifecycle: lifecycleData{Retention: f}})
	}
	if err != nil {
		return err
	}
	title := "Items are kept forever."
	if days > 0 {
		title = "Items are kept for " + number(days) + " day" + plural(days) + "."
	}
	h.setFlash(w, c, flash{Kind: "success", Title: title})
	return redirect(w, r, orgPath(c, "/users"))
}

// groupStatusLabel and groupStatusClass show a group source's last read.
func groupStatusLabel(s string) string {
	switch s {
	case "ok":
		return "OK"
	case "error":
		return "Error"
	case "held":
		return "Needs confirmation"
	}
	return "Not read yet"
}

func groupStatusClass(s string) string {
	switch s {
	case "ok":
		return "badge-ok"
	case "error":
		return "badge-failure"
	case "held":
		return "badge-warning"
	}
	return "badge-none"
}
