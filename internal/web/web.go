// Package web is the admin panel: server-rendered pages for operators and organization
// admins — log in, organizations, users, the Email Configuration with its magic wand and
// its check button, the sync of every mailbox (with pause and resume), rooms and their
// free/busy day, check history, admins, API tokens and the audit log.
//
// Every action goes through internal/control, which authorizes, validates and audits it;
// this package only turns HTTP requests into those calls and their results into HTML (or,
// for the wand and the check button, into JSON and NDJSON for the page's script). Pages
// are html/template files embedded in the binary and parsed once; assets are one CSS and
// one script file, embedded as well, with no build step and nothing loaded from elsewhere.
//
// Sessions live in an HttpOnly cookie; every POST carries the session's CSRF token (a
// hidden form field, or the X-CSRF-Token header for the script's requests), checked in
// constant time, and the whole handler sits behind net/http's CrossOriginProtection.
//
// Visible labels are part of the product (the seed's guide and the tests use them).
// Element ids that browser tests may rely on: on the Email Configuration tab, the
// fields access_type, account_logon, password, ews_url, auth_method; the wand button
// #wand (accessible name "Generate EWS URL") and its trail #wand-result; the hidden
// #autodiscover_trail; #check-button, #check-stop, #check-progress, #check-summary and
// #check-results, whose rows carry data-user, data-check and data-code. On the Users tab:
// add-email, add-display-name, import-text, import-file, group-address, user-search. On
// the Mailboxes tab: the filters mailbox-status and mailbox-search, and #mailboxes, whose
// rows carry data-user, data-state and data-status. On the Rooms tab: the choices
// rooms-list and rooms-date, #rooms, whose rows carry data-room, and #rooms-problem. On
// other tabs: org-name, admin-email, admin-name, admin-password, token-name, new-token.
// A field's error is #<id>-error.
package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
)

// Options configure the admin panel.
type Options struct {
	// Secure marks cookies Secure (HTTPS deployments); false for plain-HTTP loopback demos.
	Secure bool
	// Logger receives unexpected errors (never a password); default slog.Default().
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Handler serves the admin panel. It owns every path except /api/, /healthz and /readyz,
// which others serve. Safe for concurrent use.
type Handler struct {
	svc    *control.Service
	secure bool
	log    *slog.Logger
	now    func() time.Time

	pages  map[string]*template.Template
	assets map[string]asset
	routes []route
	mux    *http.ServeMux
	root   http.Handler

	// flashAEAD seals the one-shot messages carried across a redirect (they may hold a
	// new API token); loginKey signs the login form's CSRF token. Both are random per
	// process: a restart only expires pending flashes and login forms.
	flashAEAD cipher.AEAD
	loginKey  []byte
}

// New returns the admin panel over svc. It parses the embedded templates once.
func New(svc *control.Service, opts Options) (*Handler, error) {
	if svc == nil {
		return nil, fmt.Errorf("web: a control service is required")
	}
	h := &Handler{svc: svc, secure: opts.Secure, log: opts.Logger, now: opts.Now}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	key := make([]byte, 32)
	h.loginKey = make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand panics rather than return an error)
	rand.Read(h.loginKey)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if h.flashAEAD, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if h.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if h.pages, err = h.parseTemplates(); err != nil {
		return nil, err
	}
	h.routes = h.table()
	h.mux = http.NewServeMux()
	for _, rt := range h.routes {
		h.mux.Handle(rt.method+" "+rt.pattern, h.wrap(rt))
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusForbidden, "Request refused",
			"This request came from another site, so it was refused. Open the page on this site and try again.")
	}))
	h.root = cop.Handler(http.HandlerFunc(h.dispatch))
	return h, nil
}

// ServeHTTP serves the admin panel.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.root.ServeHTTP(w, r) }

// Routes lists every route the handler serves as "METHOD PATTERN" in net/http ServeMux
// syntax, for tests generated from the registered routes (tenant isolation). Path
// wildcards are {org}, {user}, {run}, {admin} and {token}.
func (h *Handler) Routes() []string {
	out := make([]string, len(h.routes))
	for i, rt := range h.routes {
		out[i] = rt.method + " " + rt.pattern
	}
	return out
}

// dispatch serves a request through the mux, with the panel's own pages for paths and
// methods it does not serve.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern == "" {
		securityHeaders(w)
		if allow := h.allowed(r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			h.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed", "This address does not accept this kind of request.")
			return
		}
		h.notFound(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// allowed returns the methods that some route serves at r's path.
func (h *Handler) allowed(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := h.mux.Handler(probe); p != "" {
			out = append(out, m)
		}
	}
	return out
}

// securityHeaders sets the headers every response of the panel carries.
func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
}
