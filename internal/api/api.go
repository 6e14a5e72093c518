// Package api is mailbridge's JSON API under /api/v1: what the admin panel does, for
// scripts and other programs, authenticated by API tokens (operator tokens for operator
// actions, organization tokens for one organization's data) and described by an
// OpenAPI 3 document served at /api/v1/openapi.json.
//
// Every action goes through internal/control, which validates, authorizes and audits
// it exactly as for the admin panel. The API adds tenant isolation at its edge too:
// a route naming an organization answers 404 to a principal that may not see it,
// before any other work, so ids of other tenants cannot be probed.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Prefix is where the app mounts the API; every route pattern starts with it.
const Prefix = "/api/v1"

// Options tune a Handler.
type Options struct {
	// Logger receives failed requests (500s) with their errors; nil discards them.
	Logger *slog.Logger
}

// access is who may call a route.
type access int

const (
	public       access = iota // no token (the OpenAPI document)
	anyToken                   // an operator or organization token
	operatorOnly               // an operator token; organization tokens get 403
)

// call is a request being served, with who makes it and, for routes naming an
// organization, that organization (already checked to be visible to the principal).
type call struct {
	p   control.Principal
	org store.Organization
}

// route is one row of the routing table, from which the mux, Routes and the OpenAPI
// cross-check are all built.
type route struct {
	method  string
	pattern string // ServeMux syntax, with the /api/v1 prefix
	access  access
	handle  func(h *Handler, w http.ResponseWriter, r *http.Request, c *call) error
}

// routes is the API. Wildcards are named {org}, {user}, {run}, {admin}, {token}, {webhook},
// {source} (a kept distribution group) and {item} (an EWS ItemId, URL-escaped).
var routes = []route{
	{"GET", Prefix + "/openapi.json", public, (*Handler).getOpenAPI},

	{"GET", Prefix + "/orgs", anyToken, (*Handler).listOrgs},
	{"POST", Prefix + "/orgs", operatorOnly, (*Handler).createOrg},
	{"GET", Prefix + "/orgs/{org}", anyToken, (*Handler).getOrg},
	{"DELETE", Prefix + "/orgs/{org}", operatorOnly, (*Handler).deleteOrg},

	{"GET", Prefix + "/orgs/{org}/admins", anyToken, (*Handler).listAdmins},
	{"POST", Prefix + "/orgs/{org}/admins", operatorOnly, (*Handler).createAdmin},
	{"DELETE", Prefix + "/orgs/{org}/admins/{admin}", operatorOnly, (*Handler).deleteAdmin},

	{"GET", Prefix + "/orgs/{org}/users", anyToken, (*Handler).listUsers},
	{"POST", Prefix + "/orgs/{org}/users", anyToken, (*Handler).addUser},
	{"GET", Prefix + "/orgs/{org}/users/{user}", anyToken, (*Handler).getUser},
	{"DELETE", Prefix + "/orgs/{org}/users/{user}", anyToken, (*Handler).removeUser},
	{"POST", Prefix + "/orgs/{org}/users/import", anyToken, (*Handler).importUsers},
	{"POST", Prefix + "/orgs/{org}/users/import-group", anyToken, (*Handler).importGroup},
	{"GET", Prefix + "/orgs/{org}/group-sources", anyToken, (*Handler).listGroupSources},
	{"POST", Prefix + "/orgs/{org}/group-sources", anyToken, (*Handler).keepGroup},
	{"POST", Prefix + "/orgs/{org}/group-sources/sync", anyToken, (*Handler).rereadGroups},
	{"DELETE", Prefix + "/orgs/{org}/group-sources/{source}", anyToken, (*Handler).removeGroupSource},
	{"POST", Prefix + "/orgs/{org}/group-sources/{source}/confirm", anyToken, (*Handler).confirmGroupRemovals},
	{"GET", Prefix + "/orgs/{org}/retention", anyToken, (*Handler).getRetention},
	{"PUT", Prefix + "/orgs/{org}/retention", anyToken, (*Handler).setRetention},

	{"GET", Prefix + "/orgs/{org}/email-config", anyToken, (*Handler).getEmailConfig},
	{"PUT", Prefix + "/orgs/{org}/email-config", anyToken, (*Handler).saveEmailConfig},
	{"POST", Prefix + "/orgs/{org}/email-config/discover", anyToken, (*Handler).discover},

	{"GET", Prefix + "/orgs/{org}/mailboxes", anyToken, (*Handler).listMailboxes},
	{"GET", Prefix + "/orgs/{org}/mailboxes/summary", anyToken, (*Handler).mailboxSummary},
	{"GET", Prefix + "/orgs/{org}/mailboxes/{user}", anyToken, (*Handler).getMailbox},
	{"GET", Prefix + "/orgs/{org}/mailboxes/{user}/history", anyToken, (*Handler).mailboxHistory},
	{"POST", Prefix + "/orgs/{org}/mailboxes/{user}/pause", anyToken, (*Handler).pauseMailbox},
	{"POST", Prefix + "/orgs/{org}/mailboxes/{user}/resume", anyToken, (*Handler).resumeMailbox},

	{"POST", Prefix + "/orgs/{org}/checks", anyToken, (*Handler).runCheck},
	{"GET", Prefix + "/orgs/{org}/checks", anyToken, (*Handler).listChecks},
	{"GET", Prefix + "/orgs/{org}/checks/{run}", anyToken, (*Handler).getCheck},

	{"GET", Prefix + "/orgs/{org}/tokens", anyToken, (*Handler).listOrgTokens},
	{"POST", Prefix + "/orgs/{org}/tokens", anyToken, (*Handler).createOrgToken},
	{"DELETE", Prefix + "/orgs/{org}/tokens/{token}", anyToken, (*Handler).revokeOrgToken},

	{"GET", Prefix + "/orgs/{org}/audit", anyToken, (*Handler).listAudit},

	{"GET", Prefix + "/orgs/{org}/changes", anyToken, (*Handler).listChanges},
	{"GET", Prefix + "/orgs/{org}/users/{user}/messages", anyToken, (*Handler).listMessages},
	{"GET", Prefix + "/orgs/{org}/users/{user}/messages/{item}", anyToken, (*Handler).getMessage},
	{"GET", Prefix + "/orgs/{org}/users/{user}/events", anyToken, (*Handler).listEvents},
	{"GET", Prefix + "/orgs/{org}/users/{user}/events/{item}", anyToken, (*Handler).getEvent},
	{"GET", Prefix + "/orgs/{org}/users/{user}/contacts", anyToken, (*Handler).listContacts},
	{"GET", Prefix + "/orgs/{org}/users/{user}/contacts/{item}", anyToken, (*Handler).getContact},

	{"GET", Prefix + "/orgs/{org}/rooms/lists", anyToken, (*Handler).listRoomLists},
	{"GET", Prefix + "/orgs/{org}/rooms", anyToken, (*Handler).listRooms},
	{"GET", Prefix + "/orgs/{org}/availability", anyToken, (*Handler).availability},

	{"GET", Prefix + "/orgs/{org}/webhooks", anyToken, (*Handler).listWebhooks},
	{"POST", Prefix + "/orgs/{org}/webhooks", anyToken, (*Handler).createWebhook},
	{"GET", Prefix + "/orgs/{org}/webhooks/{webhook}", anyToken, (*Handler).getWebhook},
	{"PATCH", Prefix + "/orgs/{org}/webhooks/{webhook}", anyToken, (*Handler).updateWebhook},
	{"DELETE", Prefix + "/orgs/{org}/webhooks/{webhook}", anyToken, (*Handler).deleteWebhook},
	{"POST", Prefix + "/orgs/{org}/webhooks/{webhook}/rotate-secret", anyToken, (*Handler).rotateWebhookSecret},
	{"POST", Prefix + "/orgs/{org}/webhooks/{webhook}/test", anyToken, (*Handler).testWebhook},
	{"GET", Prefix + "/orgs/{org}/webhooks/{webhook}/deliveries", anyToken, (*Handler).listWebhookDeliveries},
	{"GET", Prefix + "/orgs/{org}/incidents", anyToken, (*Handler).listIncidents},

	{"GET", Prefix + "/tokens", operatorOnly, (*Handler).listOperatorTokens},
	{"POST", Prefix + "/tokens", operatorOnly, (*Handler).createOperatorToken},
	{"DELETE", Prefix + "/tokens/{token}", operatorOnly, (*Handler).revokeOperatorToken},
}

// Handler serves the API. Safe for concurrent use.
type Handler struct {
	svc     *control.Service
	log     *slog.Logger
	mux     *http.ServeMux
	methods *http.ServeMux // every route's path, any method: tells 405 from 404
	allowed map[string][]string
	openapi []byte
}

// New returns the API handler over svc. It fails when the OpenAPI document does not
// describe exactly the routes served.
func New(svc *control.Service, opts Options) (*Handler, error) {
	if svc == nil {
		return nil, errors.New("api: a control service is required")
	}
	h := &Handler{svc: svc, log: opts.Logger, mux: http.NewServeMux(), methods: http.NewServeMux(), allowed: map[string][]string{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	doc, err := loadOpenAPI()
	if err != nil {
		return nil, err
	}
	h.openapi = doc
	if err := checkOpenAPI(doc, h.Routes()); err != nil {
		return nil, err
	}
	for _, rt := range routes {
		h.mux.Handle(rt.method+" "+rt.pattern, h.wrap(rt))
		if _, seen := h.allowed[rt.pattern]; !seen {
			h.methods.Handle(rt.pattern, http.NotFoundHandler())
		}
		h.allowed[rt.pattern] = append(h.allowed[rt.pattern], rt.method)
	}
	return h, nil
}

// Routes lists every route as "METHOD PATTERN" (ServeMux syntax, with the /api/v1
// prefix), in the order of the routing table.
func (h *Handler) Routes() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.method + " " + rt.pattern
	}
	return out
}

// OpenAPI returns the OpenAPI 3.0 document served at GET /api/v1/openapi.json.
func (h *Handler) OpenAPI() []byte { return slices.Clone(h.openapi) }

// ServeHTTP serves a request under /api/v1/. Requests matching no route get a JSON 404
// or, when the path exists with other methods, a JSON 405 with an Allow header.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern == "" {
		if _, p := h.methods.Handler(r); p != "" && h.allowed[p] != nil {
			allow := slices.Clone(h.allowed[p])
			if slices.Contains(allow, "GET") {
				allow = append(allow, "HEAD")
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, apiError{Code: codeMethodNotAllowed, Message: r.Method + " is not allowed here; use " + strings.Join(allow, ", ") + "."})
			return
		}
		writeError(w, http.StatusNotFound, apiError{Code: codeNotFound, Message: "There is no such API endpoint."})
		return
	}
	h.mux.ServeHTTP(w, r)
}

// wrap authenticates a request, resolves the organization it names and turns the
// handler's error into the JSON error response.
func (h *Handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c := &call{}
		err := h.prepare(r, rt, c)
		if err == nil {
			err = rt.handle(h, w, r, c)
		}
		if err != nil {
			h.fail(w, r, err)
		}
	})
}

// prepare authenticates the request and checks the route's access rules: another
// organization's ids answer 404 before an operator-only route answers 403.
func (h *Handler) prepare(r *http.Request, rt route, c *call) error {
	if rt.access == public {
		return nil
	}
	p, err := h.authenticate(r)
	if err != nil {
		return err
	}
	c.p = p
	if strings.Contains(rt.pattern, "{org}") {
		id, err := pathID(r, "org")
		if err != nil {
			return err
		}
		// GetOrganization answers store.ErrNotFound both for an organization that does
		// not exist and for one the principal may not see.
		if c.org, err = h.svc.GetOrganization(r.Context(), p, id); err != nil {
			return err
		}
	}
	if rt.access == operatorOnly && !p.IsOperator() {
		return control.ErrForbidden
	}
	return nil
}

// errBadToken is an Authorization header with a token that is not valid.
var errBadToken = errors.New("api: invalid token")

// authenticate returns the principal of the request's bearer token. Cookies are never
// looked at: the API has no sessions, hence no CSRF surface.
func (h *Handler) authenticate(r *http.Request) (control.Principal, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return control.Principal{}, control.ErrUnauthenticated
	}
	scheme, token, ok := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return control.Principal{}, errBadToken
	}
	p, err := h.svc.TokenPrincipal(r.Context(), token)
	if errors.Is(err, control.ErrUnauthenticated) {
		return control.Principal{}, errBadToken
	}
	if err != nil {
		return control.Principal{}, fmt.Errorf("api: authenticate: %w", err)
	}
	if p.Kind != control.OperatorToken && p.Kind != control.OrgToken {
		return control.Principal{}, errBadToken
	}
	return p, nil
}

// errNoSuchID is a path id that is not a positive integer: nothing has it.
var errNoSuchID = fmt.Errorf("api: bad id: %w", store.ErrNotFound)

// pathID returns the positive integer of a path wildcard.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNoSuchID
	}
	return id, nil
}

// ctxErr tells whether err is the request's context ending (the client went away).
func ctxErr(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
