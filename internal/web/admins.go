package web

import (
	"net/http"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

type adminsData struct {
	Admins []store.Account
	Create form // email, name (never the password)
}

// adminsPage lists the organization's admins; operators may add and remove them.
func (h *Handler) adminsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.renderAdmins(w, r, c, http.StatusOK, form{})
}

func (h *Handler) renderAdmins(w http.ResponseWriter, r *http.Request, c *call, status int, f form) error {
	admins, err := h.svc.ListOrgAdmins(r.Context(), c.principal(), c.org.ID)
	if err != nil {
		return err
	}
	return h.render(w, status, "admins", h.page(w, r, c, "Admins · "+c.org.Name, "admins", adminsData{Admins: admins, Create: f}))
}

// createAdmin creates an admin of the organization (operators).
func (h *Handler) createAdmin(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r, "email", "name")
	acc, err := h.svc.CreateOrgAdmin(r.Context(), c.principal(), c.org.ID, control.NewAdmin{
		Email: f.Values["email"], Name: f.Values["name"], Password: r.PostForm.Get("password")})
	if f.inputErrors(err, map[string]string{"email": "admin-email", "name": "admin-name", "password": "admin-password"}) {
		return h.renderAdmins(w, r, c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Admin " + acc.Email + " created.",
		Lines: []string{"They can log in now with the password you chose; give it to them by a safe channel."}})
	return redirect(w, r, orgPath(c, "/admins"))
}

// removeAdmin removes an admin of the organization (operators).
func (h *Handler) removeAdmin(w http.ResponseWriter, r *http.Request, c *call) error {
	id, ok := pathID(r, "admin")
	if !ok {
		return store.ErrNotFound
	}
	if err := h.svc.DeleteOrgAdmin(r.Context(), c.principal(), c.org.ID, id); err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Admin removed."})
	return redirect(w, r, orgPath(c, "/admins"))
}
