package web

import (
	"net/http"

	"github.com/mailbridge/mailbridge/internal/store"
)

type tokensData struct {
	Tokens []store.APIToken
	Create form // name
}

// tokensPage lists the organization's API tokens.
func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.renderTokens(w, r, c, http.StatusOK, form{})
}

func (h *Handler) renderTokens(w http.ResponseWriter, r *http.Request, c *call, status int, f form) error {
	toks, err := h.svc.ListAPITokens(r.Context(), c.principal(), c.org.ID)
	if err != nil {
		return err
	}
	return h.render(w, status, "tokens", h.page(w, r, c, "API tokens · "+c.org.Name, "tokens", tokensData{Tokens: toks, Create: f}))
}

// createToken creates a token; the page it redirects to shows it once.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r, "name")
	tok, err := h.svc.CreateAPIToken(r.Context(), c.principal(), c.org.ID, f.Values["name"])
	if f.inputErrors(err, map[string]string{"name": "token-name"}) {
		return h.renderTokens(w, r, c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "API token “" + tok.Name + "” created.", Secret: tok.Token,
		Lines: []string{"Copy it now: it is shown only this once. Send it as “Authorization: Bearer …” to /api/v1."}})
	return redirect(w, r, orgPath(c, "/tokens"))
}

// revokeToken deletes a token.
func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id, ok := pathID(r, "token")
	if !ok {
		return store.ErrNotFound
	}
	if err := h.svc.RevokeAPIToken(r.Context(), c.principal(), c.org.ID, id); err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "API token revoked."})
	return redirect(w, r, orgPath(c, "/tokens"))
}
