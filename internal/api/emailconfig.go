package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/control"
)

// emailConfigJSON is an organization's email configuration. It never holds the
// password or the client secret: has_password says whether one is saved.
type emailConfigJSON struct {
	Exists          bool   `json:"exists"`
	AccessType      string `json:"access_type"`
	AccessTypeLabel string `json:"access_type_label"`
	AccountLogon    string `json:"account_logon"`
	HasPassword     bool   `json:"has_password"`
	EWSURL          string `json:"ews_url"`
	AuthMethod      string `json:"auth_method"`
	Tenant          string `json:"tenant,omitempty"`
	TenantID        string `json:"tenant_id,omitempty"`
	ClientID        string `json:"client_id,omitempty"`
	// CertificateThumbprint and CertificateExpires describe a saved certificate.
	CertificateThumbprint string                     `json:"certificate_thumbprint,omitempty"`
	CertificateExpires    *time.Time                 `json:"certificate_expires,omitempty"`
	SyncFolders           []string                   `json:"sync_folders"`
	AutodiscoverTrail     *autodiscoverclient.Result `json:"autodiscover_trail"`
	Version               int64                      `json:"version"`
	UpdatedAt             *time.Time                 `json:"updated_at"`
	UpdatedBy             string                     `json:"updated_by"`
}

func emailConfigView(v control.EmailConfigView) emailConfigJSON {
	out := emailConfigJSON{Exists: v.Exists, AccessType: v.AccessType, AccessTypeLabel: control.AccessTypeLabel(v.AccessType),
		AccountLogon: v.AccountLogon, HasPassword: v.HasPassword, EWSURL: v.EWSURL, AuthMethod: v.AuthMethod, SyncFolders: nonNil(v.SyncFolders),
		Tenant: v.Tenant, TenantID: v.TenantID, ClientID: v.ClientID, CertificateThumbprint: v.CertificateThumbprint,
		AutodiscoverTrail: v.Trail, Version: v.Version, UpdatedBy: v.UpdatedBy}
	if v.Exists {
		out.UpdatedAt = utcPtr(&v.UpdatedAt)
	}
	if !v.CertificateExpires.IsZero() {
		out.CertificateExpires = utcPtr(&v.CertificateExpires)
	}
	return out
}

// emailConfigInput is the body of PUT email-config.
type emailConfigInput struct {
	AccessType   string `json:"access_type"`
	AccountLogon string `json:"account_logon"`
	// Password: empty or missing keeps the saved one.
	Password    string `json:"password"`
	EWSURL      string `json:"ews_url"`
	AuthMethod  string `json:"auth_method"`
	BaseVersion int64  `json:"base_version"`
	// Tenant, ClientID and ClientSecret: Microsoft 365 (app-only); an empty or missing
	// secret keeps the saved one.
	Tenant       string `json:"tenant"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// ClientCertificate: with auth_method "certificate", the certificate and its private
	// key (PEM) instead of a client secret.
	ClientCertificate string `json:"client_certificate"`
	// AutodiscoverTrail is a discover result to keep with the configuration.
	AutodiscoverTrail json.RawMessage `json:"autodiscover_trail"`
	// SyncFolders: missing or null keeps the saved selection; [] is refused.
	SyncFolders []string `json:"sync_folders"`
}

func (h *Handler) getEmailConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := h.svc.GetEmailConfig(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emailConfigView(v))
	return nil
}

func (h *Handler) saveEmailConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	var in emailConfigInput
	if _, err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	var trail *autodiscoverclient.Result
	if len(in.AutodiscoverTrail) > 0 && string(in.AutodiscoverTrail) != "null" {
		var err error
		if trail, err = control.ParseTrail(string(in.AutodiscoverTrail)); err != nil {
			return err
		}
	}
	v, err := h.svc.SaveEmailConfig(r.Context(), c.p, c.org.ID, configInput(in, trail))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emailConfigView(v))
	return nil
}

// configInput maps the request body on control's input: the client secret is the
// configuration's secret for Microsoft 365.
func configInput(in emailConfigInput, trail *autodiscoverclient.Result) control.EmailConfigInput {
	out := control.EmailConfigInput{
		AccessType: in.AccessType, AccountLogon: in.AccountLogon, Password: in.Password, EWSURL: in.EWSURL,
		AuthMethod: in.AuthMethod, BaseVersion: in.BaseVersion, Trail: trail, SyncFolders: in.SyncFolders,
		Tenant: in.Tenant, ClientID: in.ClientID,
	}
	if in.AccessType == control.AccessMicrosoft365App {
		out.Password = in.ClientSecret
		if in.AuthMethod == string(control.AuthCertificate) {
			out.Password = in.ClientCertificate
		}
	}
	return out
}

// discoverJSON is the magic wand's result: the EWS URL found (or suggested) and the
// whole trail of attempts, with error set when nothing was verified.
type discoverJSON struct {
	*autodiscoverclient.Result
	Error string `json:"error,omitempty"`
}

// discover is the magic wand. With an empty body it starts from the saved
// configuration's account; an empty password means the saved one. For Microsoft 365
// (access_type microsoft365_app) it finds the tenant ID of the tenant's domain. It
// saves nothing.
func (h *Handler) discover(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		AccessType   string `json:"access_type"`
		AccountLogon string `json:"account_logon"`
		Password     string `json:"password"`
		AuthMethod   string `json:"auth_method"`
		Email        string `json:"email"`
		Tenant       string `json:"tenant"`
	}
	if _, err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	if in.AccessType == control.AccessMicrosoft365App {
		info, err := h.svc.DiscoverTenant(r.Context(), c.p, c.org.ID, in.Tenant)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct {
			Tenant   string `json:"tenant"`
			TenantID string `json:"tenant_id"`
		}{info.Tenant, info.TenantID})
		return nil
	}
	di := control.DiscoverInput{AccountLogon: in.AccountLogon, Password: in.Password, AuthMethod: in.AuthMethod, Email: in.Email}
	if di.AccountLogon == "" && di.AuthMethod == "" {
		saved, err := h.svc.GetEmailConfig(r.Context(), c.p, c.org.ID)
		if err != nil {
			return err
		}
		if saved.Exists {
			di.AccountLogon, di.AuthMethod = saved.AccountLogon, saved.AuthMethod
		}
	}
	res, err := h.svc.Discover(r.Context(), c.p, c.org.ID, di)
	if res == nil {
		if err == nil {
			err = errors.New("api: discover returned nothing")
		}
		return err
	}
	out := discoverJSON{Result: res}
	if err != nil {
		if ctxErr(r.Context(), err) {
			return err
		}
		out.Error = sentence(strings.TrimPrefix(err.Error(), "autodiscoverclient: "))
	}
	out.Attempts = nonNil(out.Attempts)
	writeJSON(w, http.StatusOK, out)
	return nil
}
