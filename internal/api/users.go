package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// userJSON is a user of an organization, with the outcome of their last check.
type userJSON struct {
	ID            int64      `json:"id"`
	OrgID         int64      `json:"org_id"`
	Email         string     `json:"email"`
	DisplayName   string     `json:"display_name"`
	Source        string     `json:"source"`
	Status        string     `json:"status"`
	StatusCode    string     `json:"status_code"`
	StatusMessage string     `json:"status_message"`
	CheckedAt     *time.Time `json:"checked_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

func userView(u store.User) userJSON {
	return userJSON{ID: u.ID, OrgID: u.OrgID, Email: u.Email, DisplayName: u.DisplayName, Source: u.Source, Status: u.Status,
		StatusCode: u.StatusCode, StatusMessage: u.StatusMessage, CheckedAt: utcPtr(u.CheckedAt), CreatedAt: u.CreatedAt.UTC()}
}

// utcPtr returns t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// importJSON is what an import did.
type importJSON struct {
	Added      int      `json:"added"`
	Existing   []string `json:"existing"`
	Duplicates int      `json:"duplicates"`
	Skipped    []string `json:"skipped"`
}

func importView(res control.ImportResult) importJSON {
	return importJSON{Added: res.Added, Existing: nonNil(res.Existing), Duplicates: res.Duplicates, Skipped: nonNil(res.Skipped)}
}

// nonNil makes a nil slice marshal as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	users, err := h.svc.ListUsers(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userView(u)
	}
	writeJSON(w, http.StatusOK, struct {
		Users []userJSON `json:"users"`
	}{out})
	return nil
}

func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Email       string `json:"email"`
		DisplayName string `json:"display_name"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	u, err := h.svc.AddUser(r.Context(), c.p, c.org.ID, in.Email, in.DisplayName)
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/orgs/"+strconv.FormatInt(c.org.ID, 10)+"/users/"+strconv.FormatInt(u.ID, 10))
	writeJSON(w, http.StatusCreated, userView(u))
	return nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	u, err := h.svc.GetUser(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userView(u))
	return nil
}

func (h *Handler) removeUser(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	if err := h.svc.RemoveUser(r.Context(), c.p, c.org.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// importUsers adds the users of a list sent as text/csv or text/plain: all of them, or,
// when a line is not understood, none (422 with the lines to fix).
func (h *Handler) importUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	if mt := mediaType(r); mt != "text/csv" && mt != "text/plain" {
		return unsupportedMedia("text/csv or text/plain (the list itself, one user a line or CSV)")
	}
	if r.ContentLength > control.MaxImportBytes {
		return &http.MaxBytesError{Limit: control.MaxImportBytes}
	}
	res, err := h.svc.ImportUsers(r.Context(), c.p, c.org.ID, http.MaxBytesReader(w, r.Body, control.MaxImportBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, importView(res))
	return nil
}

// importGroup adds the members of an Exchange distribution group, through the saved
// service account.
func (h *Handler) importGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Group string `json:"group"`
		Keep  bool   `json:"keep"` // keep the organization in sync with the group (lifecycle.go)
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	var res control.ImportResult
	var err error
	if in.Keep {
		_, res, err = h.svc.KeepGroup(r.Context(), c.p, c.org.ID, in.Group)
	} else {
		res, err = h.svc.ImportGroup(r.Context(), c.p, c.org.ID, in.Group)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, importView(res))
	return nil
}
