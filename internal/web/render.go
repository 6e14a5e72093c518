package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// asset is an embedded static file with its content hash (for cache busting).
type asset struct {
	body  []byte
	ctype string
	hash  string
}

func assetNames() []string {
	entries, _ := fs.ReadDir(staticFS, "static")
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	for _, name := range assetNames() {
		b, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		sum := sha256.Sum256(b)
		ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}[path.Ext(name)]
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[name] = asset{body: b, ctype: ct, hash: hex.EncodeToString(sum[:6])}
	}
	return out, nil
}

// serveAsset serves an embedded file; links carry ?v=<hash>, so such requests are cached
// for good.
func (h *Handler) serveAsset(name string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ *call) error {
		a := h.assets[name]
		w.Header().Set("Content-Type", a.ctype)
		w.Header().Set("ETag", `"`+a.hash+`"`)
		if r.URL.Query().Get("v") == a.hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		w.Write(a.body)
		return nil
	}
}

// view is what every page template gets.
type view struct {
	Title   string
	Section string // "orgs", "login", "error"
	Tab     string // the organization's tab
	CSRF    string
	// Account is the signed-in principal, nil on the login and some error pages.
	Account *control.Principal
	Org     *store.Organization
	Flash   *flash
	// Alerts are the titles of the organization's ongoing incidents, shown above its
	// tabs (but on the tab that lists them).
	Alerts []string
	Now    time.Time
	// Page holds the page's own data.
	Page any
}

// IsOperator tells whether the signed-in account is an operator.
func (v view) IsOperator() bool { return v.Account != nil && v.Account.IsOperator() }

func (h *Handler) parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("base").Funcs(h.funcs()).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFS, f)
		}
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// page fills in what every page of a signed-in request shows.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, c *call, title, tab string, data any) view {
	p := c.sess.Principal
	v := view{Title: title, Section: "orgs", Tab: tab, CSRF: c.sess.CSRFToken, Account: &p, Now: h.now(), Page: data,
		Flash: h.takeFlash(w, r, c.sess.Token)}
	if c.org.ID != 0 {
		o := c.org
		v.Org = &o
		if tab != "webhooks" {
			v.Alerts = h.ongoingAlerts(r, c)
		}
	}
	return v
}

// ongoingAlerts returns the titles of the organization's incidents not yet resolved.
// A failure to read them is logged and leaves the banner out: the page itself matters
// more.
func (h *Handler) ongoingAlerts(r *http.Request, c *call) []string {
	incs, err := h.svc.ListIncidents(r.Context(), c.principal(), c.org.ID, 20)
	if err != nil {
		h.log.WarnContext(r.Context(), "web: read incidents for the alert banner", "org_id", c.org.ID, "err", err)
		return nil
	}
	var out []string
	app := len(incs) > 0 && h.svc.UsesApp(r.Context(), c.org.ID)
	for _, in := range incs {
		if in.ResolvedAt == nil {
			out = append(out, control.AlertTitleFor(in.Kind, app))
		}
	}
	return out
}

// render writes a page; it renders into a buffer first, so that a template error is an
// error page and not half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, v view) error {
	t := h.pages[name]
	if t == nil {
		return fmt.Errorf("web: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// errorPage renders an error page; the top bar shows the account when the request has a
// session.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	v := view{Title: title, Section: "error", Now: h.now(), Page: errorData{Status: status, Title: title, Message: msg}}
	if s, err := h.session(r); err == nil {
		p := s.Principal
		v.Account, v.CSRF = &p, s.CSRFToken
	}
	if err := h.render(w, status, "error", v); err != nil {
		h.log.Error("web: error page", "err", err)
		http.Error(w, msg, status)
	}
}

type errorData struct {
	Status  int
	Title   string
	Message string
}

// jsonError is the script's error answer, also the NDJSON stream's error line.
type jsonError struct {
	Type    string            `json:"type"`
	Message string            `json:"message,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"type":"error","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// redirect answers a successful POST (post/redirect/get).
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) string {
			if a, ok := h.assets[name]; ok {
				return "/static/" + name + "?v=" + a.hash
			}
			return "/static/" + name
		},
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"datetime":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"when":         when,
		"whenp":        func(t *time.Time) string { return whenPtr(t) },
		"statusLabel":  statusLabel,
		"statusClass":  statusClass,
		"sourceLabel":  sourceLabel,
		"stateLabel":   stateLabel,
		"stateClass":   stateClass,
		"methodLabel":  methodLabel,
		"outcomeClass": outcomeClass,
		"ms":           func(d time.Duration) string { return formatDuration(d) },
		"number":       number,
		"summary":      parseSummary,
		"sortedKeys": func(m map[string]string) []string {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			return keys
		},
		"add":               func(a, b int) int { return a + b },
		"initial":           initial,
		"checkLabel":        checkLabel,
		"appRun":            control.IsAppCheckRun,
		"outcomeLabel":      func(o autodiscoverclient.Outcome) string { return strings.ReplaceAll(string(o), "_", " ") },
		"httpStatus":        formatStatus,
		"actionLabel":       actionLabel,
		"ago":               func(t time.Time) string { return ago(h.now(), t) },
		"duration":          durationWords,
		"number64":          func(n int64) string { return number(int(n)) },
		"mailboxStateLabel": mailboxStateLabel,
		"mailboxStateClass": mailboxStateClass,
		"syncStatusLabel":   syncStatusLabel,
		"syncStatusClass":   syncStatusClass,
		"kindLabel":         kindLabel,
		"roleLabel": func(p *control.Principal) string {
			if p != nil && p.IsOperator() {
				return "Operator"
			}
			return "Organization admin"
		},
	}
}

// checkLabel names a check for a table (as the page's script does for live results).
func checkLabel(c string) string {
	labels := map[string]string{
		checker.CheckEndpoint: "Endpoint", checker.CheckTLS: "TLS", checker.CheckAuthentication: "Authentication",
		checker.CheckEWS: "EWS", checker.CheckServerVersion: "Server version", checker.CheckServiceMailbox: "Service mailbox",
		checker.CheckAddress: "Address", checker.CheckMailbox: "Mailbox", checker.CheckImpersonation: "Impersonation",
		checker.CheckFolders: "Folders", checker.CheckSync: "Sync", checker.CheckAccess: "Access",
		checker.CheckPermissions: "Permissions",
	}
	if l, ok := labels[c]; ok {
		return l
	}
	return c
}

// initial is the first letter of s, upper-cased, for an avatar.
func initial(s string) string {
	for _, r := range s {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// when formats a time for a table; the page's script rewrites it in the reader's time
// zone.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return when(*t)
}

func statusLabel(s string) string {
	switch s {
	case string(checker.StatusOK):
		return "OK"
	case string(checker.StatusWarning):
		return "Warning"
	case string(checker.StatusFailure):
		return "Failure"
	}
	return "Not checked"
}

func statusClass(s string) string {
	switch s {
	case string(checker.StatusOK):
		return "badge-ok"
	case string(checker.StatusWarning):
		return "badge-warning"
	case string(checker.StatusFailure):
		return "badge-failure"
	}
	return "badge-none"
}

func sourceLabel(s string) string {
	switch {
	case s == "manual":
		return "Added by hand"
	case s == "csv":
		return "CSV import"
	case s == "api":
		return "API"
	case strings.HasPrefix(s, "group:"):
		return "Group " + strings.TrimPrefix(s, "group:")
	}
	return s
}

func stateLabel(s string) string {
	switch s {
	case "running":
		return "Running"
	case "done":
		return "Done"
	case "failed":
		return "Failed"
	case "cancelled":
		return "Cancelled"
	}
	return s
}

func stateClass(s string) string {
	switch s {
	case "done":
		return "badge-ok"
	case "failed":
		return "badge-failure"
	case "cancelled":
		return "badge-warning"
	}
	return "badge-none"
}

func methodLabel(m autodiscoverclient.Method) string {
	switch m {
	case autodiscoverclient.MethodPOX:
		return "POX"
	case autodiscoverclient.MethodHTTPRedirect:
		return "HTTP redirect"
	case autodiscoverclient.MethodSRV:
		return "DNS SRV"
	case autodiscoverclient.MethodSOAP:
		return "SOAP"
	case autodiscoverclient.MethodStandardURL:
		return "Standard URL"
	}
	return string(m)
}

func outcomeClass(o autodiscoverclient.Outcome) string {
	switch o {
	case autodiscoverclient.OutcomeOK:
		return "badge-ok"
	case autodiscoverclient.OutcomeRedirect, autodiscoverclient.OutcomeSuggestion, autodiscoverclient.OutcomeSkipped:
		return "badge-info"
	case autodiscoverclient.OutcomeNotFound, autodiscoverclient.OutcomeNoRedirect:
		return "badge-none"
	case autodiscoverclient.OutcomeUnauthorized:
		return "badge-warning"
	}
	return "badge-failure"
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// number writes n with thousands separators.
func number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// parseSummary reads a check run's stored summary.
func parseSummary(s string) *checker.Summary {
	if s == "" {
		return nil
	}
	var sum checker.Summary
	if json.Unmarshal([]byte(s), &sum) != nil {
		return nil
	}
	return &sum
}

// actionLabel turns an audit action into words.
func actionLabel(a string) string {
	labels := map[string]string{
		"organization.create": "Created the organization",
		"organization.delete": "Deleted the organization",
		"account.create":      "Created an account",
		"account.delete":      "Removed an account",
		"account.password":    "Changed a password",
		"user.add":            "Added users",
		"user.remove":         "Removed a user",
		"email_config.save":   "Saved the Email Configuration",
		"check.start":         "Started a check",
		"api_token.create":    "Created an API token",
		"api_token.revoke":    "Revoked an API token",
		"webhook.create":      "Added a webhook",
		"webhook.update":      "Changed a webhook",
		"webhook.rotate":      "Rotated a webhook's secret",
		"webhook.delete":      "Deleted a webhook",
		"webhook.disable":     "Disabled a failing webhook",
		"sync.activate":       "Started syncing mailboxes",
		"sync.paused":         "Paused a mailbox's sync",
		"sync.active":         "Resumed a mailbox's sync",
		"group.add":           "Kept a distribution group in sync",
		"group.remove":        "Stopped keeping a distribution group in sync",
		"group.reread":        "Re-read a distribution group",
		"retention.set":       "Changed the data retention",
		"retention.purge":     "Purged items older than the retention",
	}
	if l, ok := labels[a]; ok {
		return l
	}
	return a
}
