package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// form is a submitted form to show again: the values typed and what is wrong with them.
type form struct {
	Values map[string]string
	Errors map[string]string
	// Error is a message for the whole form (or for a field the form does not show).
	Error string
}

// newForm keeps the named values of a submitted form.
func newForm(r *http.Request, names ...string) form {
	f := form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, n := range names {
		f.Values[n] = r.PostForm.Get(n)
	}
	return f
}

// inputErrors returns err's field messages when err is an *InputError: those of the
// form's fields (fields maps control's names to the form's) go next to them, any other
// to the top of the form.
func (f *form) inputErrors(err error, fields map[string]string) bool {
	var ie *control.InputError
	if !errors.As(err, &ie) {
		return false
	}
	var other []string
	for k, msg := range ie.Fields {
		if id, ok := fields[k]; ok {
			f.Errors[id] = msg
		} else {
			other = append(other, msg)
		}
	}
	f.Error = strings.Join(other, " ")
	return true
}

// orgsData is the organizations page's data.
type orgsData struct {
	Orgs   []store.Organization
	Create form
}

// orgsPage lists the organizations (operators); an organization's admin goes straight
// to theirs.
func (h *Handler) orgsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := c.principal()
	if !p.IsOperator() {
		return redirect(w, r, "/orgs/"+itoa(p.OrgID)+"/users")
	}
	return h.renderOrgs(w, r, c, http.StatusOK, form{})
}

func (h *Handler) renderOrgs(w http.ResponseWriter, r *http.Request, c *call, status int, f form) error {
	orgs, err := h.svc.ListOrganizations(r.Context(), c.principal())
	if err != nil {
		return err
	}
	return h.render(w, status, "orgs", h.page(w, r, c, "Organizations", "", orgsData{Orgs: orgs, Create: f}))
}

// createOrg creates an organization and leads on to its admins.
func (h *Handler) createOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	f := newForm(r, "name")
	o, err := h.svc.CreateOrganization(r.Context(), c.principal(), f.Values["name"])
	if f.inputErrors(err, map[string]string{"name": "org-name"}) {
		return h.renderOrgs(w, r, c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Organization “" + o.Name + "” created.", Lines: []string{"Next: create its admin, then add its users."}})
	return redirect(w, r, "/orgs/"+itoa(o.ID)+"/admins")
}

// orgHome opens an organization on its users.
func (h *Handler) orgHome(w http.ResponseWriter, r *http.Request, c *call) error {
	return redirect(w, r, "/orgs/"+itoa(c.org.ID)+"/users")
}

// orgPath is the path of an organization's page.
func orgPath(c *call, rest string) string { return "/orgs/" + itoa(c.org.ID) + rest }
