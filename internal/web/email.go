package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/control"
)

// emailFields maps control's field names to the Email Configuration form's ids.
var emailFields = map[string]string{
	"access_type":        "access_type",
	"account_logon":      "account_logon",
	"password":           "password",
	"ews_url":            "ews_url",
	"auth_method":        "auth_method",
	"email":              "account_logon", // the wand's address: the logon, when it is one
	"autodiscover_trail": "ews_url",
	"version":            "version",
	"sync_folders":       "sync_folders",
	"tenant":             "tenant",
	"client_id":          "client_id",
	"client_secret":      "client_secret",
	"client_certificate": "client_certificate",
}

// folderBox is a checkbox of the "Folders to sync" group.
type folderBox struct {
	control.SyncFolderChoice
	Checked bool
}

// folderBoxes are the group's checkboxes, those of the selection checked.
func folderBoxes(selected []string) []folderBox {
	out := make([]folderBox, len(control.SyncFolderChoices))
	for i, c := range control.SyncFolderChoices {
		out[i] = folderBox{SyncFolderChoice: c, Checked: slices.Contains(selected, c.Value)}
	}
	return out
}

// authMethods are the choices of the Authentication select.
var authMethods = []control.AccessType{{Value: "ntlm", Label: "NTLM"}, {Value: "basic", Label: "Basic"}}

// emailData is the Email Configuration tab's data.
type emailData struct {
	AccessTypes []control.AccessType
	AuthMethods []control.AccessType
	Form        form // access_type, account_logon, ews_url, auth_method (never the password)
	BaseVersion int64
	HasPassword bool
	// TrailJSON is the hidden field: a fresh wand result not saved yet ("" keeps the
	// saved one).
	TrailJSON string
	// Trail is the wand result shown under the URL field: the fresh one, or the saved.
	Trail *trailView
	// Conflict is set when someone else saved meanwhile.
	Conflict  string
	UpdatedAt time.Time
	UpdatedBy string
	Users     int
	// PasswordRetype: a password was typed but is not shown again; say so.
	PasswordRetype bool
	// Folders are the "Folders to sync" checkboxes.
	Folders []folderBox
	// SavedAuth is a saved Microsoft 365 configuration's credential (client_secret or
	// certificate), SavedThumbprint its certificate's thumbprint.
	SavedAuth, SavedThumbprint string
	// SavedType is the saved configuration's access type ("" when none is saved), and
	// TenantID its tenant ID and SavedTenant the tenant as entered (Microsoft 365).
	SavedType, TenantID, SavedTenant string
}

func (h *Handler) emailPage(w http.ResponseWriter, r *http.Request, c *call) error {
	cfg, err := h.svc.GetEmailConfig(r.Context(), c.principal(), c.org.ID)
	if err != nil {
		return err
	}
	d := emailData{Form: form{Values: map[string]string{
		"access_type": cfg.AccessType, "account_logon": cfg.AccountLogon, "ews_url": cfg.EWSURL, "auth_method": cfg.AuthMethod,
		"tenant": cfg.Tenant, "client_id": cfg.ClientID, "app_auth": appAuthOf(cfg),
	}, Errors: map[string]string{}}, BaseVersion: cfg.Version, Folders: folderBoxes(cfg.SyncFolders)}
	return h.renderEmail(w, r, c, http.StatusOK, cfg, d)
}

func (h *Handler) renderEmail(w http.ResponseWriter, r *http.Request, c *call, status int, cfg control.EmailConfigView, d emailData) error {
	d.AccessTypes, d.AuthMethods = control.AccessTypes, authMethods
	d.HasPassword, d.UpdatedAt, d.UpdatedBy = cfg.HasPassword, cfg.UpdatedAt, cfg.UpdatedBy
	if cfg.Exists {
		d.SavedType, d.TenantID, d.SavedTenant = cfg.AccessType, cfg.TenantID, cfg.Tenant
	}
	if cfg.Exists && cfg.AccessType == control.AccessMicrosoft365App {
		d.SavedAuth, d.SavedThumbprint = cfg.AuthMethod, cfg.CertificateThumbprint
	}
	if a := d.Form.Values["auth_method"]; a == "" || a == string(control.AuthClientSecret) || a == string(control.AuthCertificate) {
		d.Form.Values["auth_method"] = "ntlm" // the EWS select's default
	}
	if d.Trail == nil && cfg.Trail != nil {
		d.Trail = newTrailView(cfg.Trail, nil, true)
	}
	if users, err := h.svc.ListUsers(r.Context(), c.principal(), c.org.ID); err == nil {
		d.Users = len(users)
	}
	return h.render(w, status, "email", h.page(w, r, c, "Email Configuration · "+c.org.Name, "email", d))
}

// appAuthOf is the Credential select's value for a configuration.
func appAuthOf(cfg control.EmailConfigView) string {
	if cfg.AccessType == control.AccessMicrosoft365App && cfg.AuthMethod == string(control.AuthCertificate) {
		return string(control.AuthCertificate)
	}
	return string(control.AuthClientSecret)
}

// emailInput reads the Email Configuration form. The folder checkboxes count only when
// the form showed them (its sync_folders_shown field): then none checked is a choice of
// none, which control refuses; a form without them keeps the saved selection.
func emailInput(r *http.Request) control.EmailConfigInput {
	base, _ := strconv.ParseInt(r.PostForm.Get("base_version"), 10, 64)
	in := control.EmailConfigInput{
		AccessType:   r.PostForm.Get("access_type"),
		AccountLogon: r.PostForm.Get("account_logon"),
		Password:     r.PostForm.Get("password"),
		EWSURL:       r.PostForm.Get("ews_url"),
		AuthMethod:   r.PostForm.Get("auth_method"),
		BaseVersion:  base,
		Tenant:       r.PostForm.Get("tenant"),
		ClientID:     r.PostForm.Get("client_id"),
	}
	if in.AccessType == control.AccessMicrosoft365App {
		// The app's secret or certificate travels in its own field; the EWS fields are
		// ignored.
		if r.PostForm.Get("app_auth") == string(control.AuthCertificate) {
			in.Password, in.AuthMethod = r.PostForm.Get("client_certificate"), string(control.AuthCertificate)
		} else {
			in.Password, in.AuthMethod = r.PostForm.Get("client_secret"), string(control.AuthClientSecret)
		}
	}
	if r.PostForm.Get("sync_folders_shown") != "" {
		in.SyncFolders = append([]string{}, r.PostForm["sync_folders"]...)
	}
	return in
}

// saveEmail saves the Email Configuration (post/redirect/get). On errors the form is
// shown again with what was typed, except the password.
func (h *Handler) saveEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	in := emailInput(r)
	trailJSON := strings.TrimSpace(r.PostForm.Get("autodiscover_trail"))
	trail, err := control.ParseTrail(trailJSON)
	if err == nil {
		in.Trail = trail
		_, err = h.svc.SaveEmailConfig(r.Context(), c.principal(), c.org.ID, in)
	}
	if err == nil {
		h.setFlash(w, c, flash{Kind: "success", Title: "Saved", Lines: []string{"The Email Configuration of " + c.org.Name + " was saved.",
			"Every user's mailbox is synced through it (paused ones excepted): follow them on the Mailboxes tab."}})
		return redirect(w, r, orgPath(c, "/email"))
	}
	f := newForm(r, "access_type", "account_logon", "ews_url", "auth_method", "tenant", "client_id", "app_auth")
	if !f.inputErrors(err, emailFields) {
		return err
	}
	d := emailData{Form: f, BaseVersion: in.BaseVersion}
	if trail != nil {
		d.TrailJSON = trailJSON
		d.Trail = newTrailView(trail, nil, false)
	}
	// A save over someone else's newer save: said at the top, in words of its own.
	d.Conflict = f.Errors["version"]
	d.PasswordRetype = in.Password != ""
	cfg, gerr := h.svc.GetEmailConfig(r.Context(), c.principal(), c.org.ID)
	if gerr != nil {
		return gerr
	}
	if in.SyncFolders != nil {
		d.Folders = folderBoxes(in.SyncFolders) // as submitted
	} else {
		d.Folders = folderBoxes(cfg.SyncFolders)
	}
	status := http.StatusUnprocessableEntity
	if d.Conflict != "" {
		status = http.StatusConflict
	}
	return h.renderEmail(w, r, c, status, cfg, d)
}

// trailView is a wand result as the page shows it.
type trailView struct {
	*autodiscoverclient.Result
	// Verdict says whether the URL was verified, only suggested, or not found.
	Verdict string
	// Kind is ok (verified), warning (a suggestion) or failure.
	Kind  string
	Error string
	Saved bool // the trail saved with the configuration, not a fresh run
}

// newTrailView describes a wand result; err is Discover's error, if any.
func newTrailView(res *autodiscoverclient.Result, err error, saved bool) *trailView {
	t := &trailView{Result: res, Saved: saved}
	switch {
	case res.Verified:
		t.Kind = "ok"
		t.Verdict = "Verified by Autodiscover (" + methodLabel(res.Method) + "): Exchange named this EWS URL"
		if res.Mailbox != "" {
			t.Verdict += " for " + res.Mailbox
		}
		t.Verdict += "."
	case res.EWSURL != "":
		t.Kind = "warning"
		t.Verdict = "Only a suggestion: no Autodiscover answer named an EWS URL, so " + res.EWSURL +
			" is the standard address, not verified. Press Check Users Exchange Impersonated Access to test it before saving."
	default:
		t.Kind = "failure"
		t.Verdict = "No EWS URL was found."
	}
	if err != nil {
		t.Error = discoverErrorText(err)
	}
	return t
}
