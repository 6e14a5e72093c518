package api

import (
	"net/http"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// adminJSON is an organization's admin account (never its password hash).
type adminJSON struct {
	ID        int64     `json:"id"`
	OrgID     int64     `json:"org_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func adminView(a store.Account) adminJSON {
	return adminJSON{ID: a.ID, OrgID: a.OrgID, Email: a.Email, Name: a.Name, Role: string(a.Role), CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

func (h *Handler) listAdmins(w http.ResponseWriter, r *http.Request, c *call) error {
	accs, err := h.svc.ListOrgAdmins(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	out := make([]adminJSON, len(accs))
	for i, a := range accs {
		out[i] = adminView(a)
	}
	writeJSON(w, http.StatusOK, struct {
		Admins []adminJSON `json:"admins"`
	}{out})
	return nil
}

func (h *Handler) createAdmin(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	a, err := h.svc.CreateOrgAdmin(r.Context(), c.p, c.org.ID, control.NewAdmin{Email: in.Email, Name: in.Name, Password: in.Password})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, adminView(a))
	return nil
}

func (h *Handler) deleteAdmin(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "admin")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteOrgAdmin(r.Context(), c.p, c.org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
