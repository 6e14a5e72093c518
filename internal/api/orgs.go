package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// orgJSON is an organization.
type orgJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Users     int       `json:"users"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func orgView(o store.Organization) orgJSON {
	return orgJSON{ID: o.ID, Name: o.Name, Users: o.Users, CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC()}
}

func (h *Handler) listOrgs(w http.ResponseWriter, r *http.Request, c *call) error {
	orgs, err := h.svc.ListOrganizations(r.Context(), c.p)
	if err != nil {
		return err
	}
	out := make([]orgJSON, len(orgs))
	for i, o := range orgs {
		out[i] = orgView(o)
	}
	writeJSON(w, http.StatusOK, struct {
		Organizations []orgJSON `json:"organizations"`
	}{out})
	return nil
}

func (h *Handler) createOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Name string `json:"name"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	o, err := h.svc.CreateOrganization(r.Context(), c.p, in.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/orgs/"+strconv.FormatInt(o.ID, 10))
	writeJSON(w, http.StatusCreated, orgView(o))
	return nil
}

func (h *Handler) getOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, orgView(c.org))
	return nil
}

func (h *Handler) deleteOrg(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := h.svc.DeleteOrganization(r.Context(), c.p, c.org.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
