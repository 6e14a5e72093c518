package api

import (
	"net/http"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
)

// tokenJSON is an API token as listed: its name and the first characters of its value,
// never the value.
type tokenJSON struct {
	ID         int64      `json:"id"`
	OrgID      *int64     `json:"org_id"` // null for an operator token
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func tokenView(t store.APIToken) tokenJSON {
	out := tokenJSON{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC(), LastUsedAt: utcPtr(t.LastUsedAt)}
	if t.OrgID != 0 {
		org := t.OrgID
		out.OrgID = &org
	}
	return out
}

// newTokenJSON is a token just created: the only time its value is shown.
type newTokenJSON struct {
	Token string `json:"token"`
	tokenJSON
}

func (h *Handler) listOrgTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.listTokens(w, r, c, c.org.ID)
}

func (h *Handler) createOrgToken(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.createToken(w, r, c, c.org.ID)
}

func (h *Handler) revokeOrgToken(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.revokeToken(w, r, c, c.org.ID)
}

func (h *Handler) listOperatorTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.listTokens(w, r, c, 0)
}

func (h *Handler) createOperatorToken(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.createToken(w, r, c, 0)
}

func (h *Handler) revokeOperatorToken(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.revokeToken(w, r, c, 0)
}

// listTokens lists an organization's tokens, or with orgID 0 the operator tokens.
func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request, c *call, orgID int64) error {
	toks, err := h.svc.ListAPITokens(r.Context(), c.p, orgID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, len(toks))
	for i, t := range toks {
		out[i] = tokenView(t)
	}
	writeJSON(w, http.StatusOK, struct {
		Tokens []tokenJSON `json:"tokens"`
	}{out})
	return nil
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, c *call, orgID int64) error {
	var in struct {
		Name string `json:"name"`
	}
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	t, err := h.svc.CreateAPIToken(r.Context(), c.p, orgID, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newTokenJSON{Token: t.Token, tokenJSON: tokenView(t.APIToken)})
	return nil
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, c *call, orgID int64) error {
	id, err := pathID(r, "token")
	if err != nil {
		return err
	}
	if err := h.svc.RevokeAPIToken(r.Context(), c.p, orgID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
