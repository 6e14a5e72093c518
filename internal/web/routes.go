package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// access says what a route needs from the client.
type access int

const (
	public   access = iota // anyone; no session looked up
	signedIn               // a session; every POST carries its CSRF token
)

// route is one entry of the table that both the mux and Routes are built from.
type route struct {
	method  string
	pattern string
	access  access
	// json routes are called by the page's script: errors are answered in JSON, and an
	// expired session with 401 instead of a redirect.
	json bool
	// bodyLimit bounds a POST's body; 0 means defaultBodyLimit.
	bodyLimit int64
	fn        handlerFunc
}

// handlerFunc serves one route; an error it returns is answered by fail.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// call is what a request of a signed-in route carries: its session and, under
// /orgs/{org}, the organization (already checked to be the principal's).
type call struct {
	route route
	sess  control.Session
	org   store.Organization
}

// principal returns who acts.
func (c *call) principal() control.Principal { return c.sess.Principal }

// defaultBodyLimit bounds ordinary form posts (the Email Configuration form carries the
// wand's trail, up to 256 KiB).
const defaultBodyLimit = 1 << 20

// importBodyLimit bounds the import form: a pasted list and an uploaded file, each up to
// control.MaxImportBytes, and the multipart framing.
const importBodyLimit = 2*control.MaxImportBytes + 64<<10

// table lists every route the panel serves.
func (h *Handler) table() []route {
	rs := []route{
		{method: "GET", pattern: "/{$}", access: signedIn, fn: h.home},
		{method: "GET", pattern: "/login", access: public, fn: h.loginPage},
		{method: "POST", pattern: "/login", access: public, fn: h.loginSubmit},
		{method: "POST", pattern: "/logout", access: public, fn: h.logout},

		{method: "GET", pattern: "/orgs", access: signedIn, fn: h.orgsPage},
		{method: "POST", pattern: "/orgs", access: signedIn, fn: h.createOrg},
		{method: "GET", pattern: "/orgs/{org}", access: signedIn, fn: h.orgHome},

		{method: "GET", pattern: "/orgs/{org}/users", access: signedIn, fn: h.usersPage},
		{method: "POST", pattern: "/orgs/{org}/users", access: signedIn, fn: h.addUser},
		{method: "POST", pattern: "/orgs/{org}/users/import", access: signedIn, bodyLimit: importBodyLimit, fn: h.importUsers},
		{method: "POST", pattern: "/orgs/{org}/users/group", access: signedIn, fn: h.importGroup},
		{method: "POST", pattern: "/orgs/{org}/users/{user}/remove", access: signedIn, fn: h.removeUser},
		{method: "POST", pattern: "/orgs/{org}/users/groups/reread", access: signedIn, fn: h.rereadGroups},
		{method: "POST", pattern: "/orgs/{org}/users/groups/{source}/confirm", access: signedIn, fn: h.confirmGroupRemovals},
		{method: "POST", pattern: "/orgs/{org}/users/groups/{source}/remove", access: signedIn, fn: h.removeGroupSource},
		{method: "POST", pattern: "/orgs/{org}/users/retention", access: signedIn, fn: h.saveRetention},

		{method: "GET", pattern: "/orgs/{org}/email", access: signedIn, fn: h.emailPage},
		{method: "POST", pattern: "/orgs/{org}/email", access: signedIn, fn: h.saveEmail},
		{method: "POST", pattern: "/orgs/{org}/email/discover", access: signedIn, json: true, fn: h.discover},
		{method: "POST", pattern: "/orgs/{org}/email/tenant", access: signedIn, json: true, fn: h.discoverTenant},
		{method: "POST", pattern: "/orgs/{org}/email/check", access: signedIn, json: true, fn: h.check},

		{method: "GET", pattern: "/orgs/{org}/mailboxes", access: signedIn, fn: h.mailboxesPage},
		{method: "GET", pattern: "/orgs/{org}/mailboxes/{user}", access: signedIn, fn: h.mailboxPage},
		{method: "POST", pattern: "/orgs/{org}/mailboxes/{user}/pause", access: signedIn, fn: h.pauseMailbox},
		{method: "POST", pattern: "/orgs/{org}/mailboxes/{user}/resume", access: signedIn, fn: h.resumeMailbox},

		{method: "GET", pattern: "/orgs/{org}/rooms", access: signedIn, fn: h.roomsPage},

		{method: "GET", pattern: "/orgs/{org}/checks", access: signedIn, fn: h.checksPage},
		{method: "GET", pattern: "/orgs/{org}/checks/{run}", access: signedIn, fn: h.checkRunPage},

		{method: "GET", pattern: "/orgs/{org}/admins", access: signedIn, fn: h.adminsPage},
		{method: "POST", pattern: "/orgs/{org}/admins", access: signedIn, fn: h.createAdmin},
		{method: "POST", pattern: "/orgs/{org}/admins/{admin}/remove", access: signedIn, fn: h.removeAdmin},

		{method: "GET", pattern: "/orgs/{org}/tokens", access: signedIn, fn: h.tokensPage},
		{method: "POST", pattern: "/orgs/{org}/tokens", access: signedIn, fn: h.createToken},
		{method: "POST", pattern: "/orgs/{org}/tokens/{token}/revoke", access: signedIn, fn: h.revokeToken},

		{method: "GET", pattern: "/orgs/{org}/webhooks", access: signedIn, fn: h.webhooksPage},
		{method: "POST", pattern: "/orgs/{org}/webhooks", access: signedIn, fn: h.createWebhook},
		{method: "GET", pattern: "/orgs/{org}/webhooks/{webhook}", access: signedIn, fn: h.webhookPage},
		{method: "POST", pattern: "/orgs/{org}/webhooks/{webhook}/edit", access: signedIn, fn: h.editWebhook},
		{method: "POST", pattern: "/orgs/{org}/webhooks/{webhook}/test", access: signedIn, fn: h.testWebhook},
		{method: "POST", pattern: "/orgs/{org}/webhooks/{webhook}/rotate", access: signedIn, fn: h.rotateWebhook},
		{method: "POST", pattern: "/orgs/{org}/webhooks/{webhook}/enable", access: signedIn, fn: h.setWebhookActive(true)},
		{method: "POST", pattern: "/orgs/{org}/webhooks/{webhook}/disable", access: signedIn, fn: h.setWebhookActive(false)},
		{method: "POST", pattern: "/orgs/{org}/webhooks/{webhook}/delete", access: signedIn, fn: h.deleteWebhook},

		{method: "GET", pattern: "/orgs/{org}/audit", access: signedIn, fn: h.auditPage},
	}
	for _, name := range assetNames() {
		rs = append(rs, route{method: "GET", pattern: "/static/" + name, access: public, fn: h.serveAsset(name)})
	}
	return rs
}

// errCSRF: a POST without the session's CSRF token.
var errCSRF = errors.New("web: missing or wrong CSRF token")

// wrap turns a route into an http.Handler: security headers, the session, the CSRF
// check, the body limit and the organization, then the route's function.
func (h *Handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		c := &call{route: rt}
		if r.Method == http.MethodPost {
			limit := rt.bodyLimit
			if limit == 0 {
				limit = defaultBodyLimit
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if rt.access == signedIn {
			sess, err := h.session(r)
			if err != nil {
				if errors.Is(err, control.ErrUnauthenticated) {
					h.unauthenticated(w, r, rt)
					return
				}
				h.fail(w, r, c, err)
				return
			}
			c.sess = sess
			if r.Method == http.MethodPost {
				if err := h.checkCSRF(r, sess); err != nil {
					h.fail(w, r, c, err)
					return
				}
			}
			if strings.Contains(rt.pattern, "{org}") {
				id, ok := pathID(r, "org")
				if !ok {
					h.fail(w, r, c, store.ErrNotFound)
					return
				}
				org, err := h.svc.GetOrganization(r.Context(), sess.Principal, id)
				if err != nil {
					h.fail(w, r, c, err)
					return
				}
				c.org = org
			}
		}
		if err := rt.fn(w, r, c); err != nil {
			h.fail(w, r, c, err)
		}
	})
}

// pathID reads a numeric path wildcard.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// unauthenticated answers a request without a valid session: a page asks the browser to
// log in and come back; the script's requests get 401.
func (h *Handler) unauthenticated(w http.ResponseWriter, r *http.Request, rt route) {
	if _, err := r.Cookie(sessionCookie); err == nil {
		h.clearCookie(w, sessionCookie, "/")
	}
	switch {
	case rt.json:
		writeJSON(w, http.StatusUnauthorized, jsonError{Type: "error", Message: "Your session has ended: reload the page and log in again."})
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

// fail answers an error no handler dealt with: not found, forbidden, too large, or —
// logged with a reference the person can quote — an unexpected error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	var tooLarge *http.MaxBytesError
	status, title, msg := 0, "", ""
	switch {
	case errors.Is(err, control.ErrUnauthenticated):
		h.unauthenticated(w, r, c.route)
		return
	case errors.Is(err, store.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Not found", "There is nothing here, or you may not see it."
	case errors.Is(err, control.ErrForbidden):
		status, title, msg = http.StatusForbidden, "Not allowed", "Your account may not do this. Ask an operator."
	case errors.Is(err, errCSRF):
		status, title, msg = http.StatusForbidden, "Form expired", "This form has expired or did not come from this site. Reload the page and try again."
	case errors.As(err, &tooLarge) && c.route.bodyLimit == importBodyLimit:
		status, title, msg = http.StatusRequestEntityTooLarge, "Too large",
			"The list sent is larger than an import takes ("+itoa(control.MaxImportBytes>>20)+" MB). Split it into smaller files and import them one after the other."
	case errors.As(err, &tooLarge):
		status, title, msg = http.StatusRequestEntityTooLarge, "Too large", "What was sent is too large."
	case r.Context().Err() != nil && errors.Is(err, context.Canceled):
		return // the client went away
	default:
		ref := newRef()
		h.log.ErrorContext(r.Context(), "web: request failed", "method", r.Method, "path", r.URL.Path, "org_id", c.org.ID, "ref", ref, "err", err)
		status, title, msg = http.StatusInternalServerError, "Something went wrong",
			"The request could not be completed. The error was logged with reference "+ref+"; try again, and quote the reference if it persists."
	}
	if c.route.json {
		writeJSON(w, status, jsonError{Type: "error", Message: msg})
		return
	}
	h.errorPage(w, r, status, title, msg)
}

// newRef returns a short random reference for a logged error.
func newRef() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusNotFound, "Not found", "There is nothing here, or you may not see it.")
}

// home is "/": the organizations.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, c *call) error {
	http.Redirect(w, r, "/orgs", http.StatusSeeOther)
	return nil
}
