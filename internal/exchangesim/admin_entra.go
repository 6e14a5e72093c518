package exchangesim

import (
	"net/http"
	"strings"
)

// Admin API routes for the Microsoft 365 side: the tenant, its app registrations and
// Graph's throttling. Secrets go in and never come out: apps are shown with their
// secrets' hints and expiry dates only.
func (s *Simulator) adminEntraRoutes(mux *http.ServeMux) {
	p := strings.TrimSuffix(AdminPrefix, "/")
	mux.HandleFunc("GET "+p+"/tenant", s.adminTenant)
	mux.HandleFunc("PUT "+p+"/tenant", s.adminSetTenant)
	mux.HandleFunc("GET "+p+"/apps", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.world.Apps()) })
	mux.HandleFunc("POST "+p+"/apps", s.adminAddApp)
	mux.HandleFunc("GET "+p+"/apps/{id}", s.adminGetApp)
	mux.HandleFunc("DELETE "+p+"/apps/{id}", s.adminRemoveApp)
	mux.HandleFunc("PUT "+p+"/apps/{id}/consent", s.adminSetConsent)
	mux.HandleFunc("PUT "+p+"/apps/{id}/scope", s.adminSetAppScope)
	mux.HandleFunc("PUT "+p+"/apps/{id}/permissions", s.adminSetAppPermissions)
	mux.HandleFunc("POST "+p+"/apps/{id}/secrets", s.adminAddAppSecret)
	mux.HandleFunc("POST "+p+"/apps/{id}/certificates", s.adminAddAppCertificate)
	mux.HandleFunc("GET "+p+"/graph/throttle", s.adminGraphThrottle)
	mux.HandleFunc("PUT "+p+"/graph/throttle", s.adminSetGraphThrottle)
	s.adminGraphSubscriptionRoutes(mux)
}

func (s *Simulator) adminTenant(w http.ResponseWriter, r *http.Request) {
	t, ok := s.world.Tenant()
	if !ok {
		worldError(w, errNoTenant)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tenant": t, "apps": s.world.Apps()})
}

// adminSetTenant changes the tenant's switches: {"ews_enabled": false} blocks EWS.
func (s *Simulator) adminSetTenant(w http.ResponseWriter, r *http.Request) {
	var body struct {
		EWSEnabled *bool `json:"ews_enabled"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if body.EWSEnabled != nil {
		if err := s.world.SetEWSEnabled(*body.EWSEnabled); err != nil {
			worldError(w, err)
			return
		}
	}
	t, ok := s.world.Tenant()
	if !ok {
		worldError(w, errNoTenant)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Simulator) adminAddApp(w http.ResponseWriter, r *http.Request) {
	var spec AppSpec
	if !decodeJSON(w, r, &spec) {
		return
	}
	a, err := s.world.AddApp(spec)
	if err != nil {
		worldError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Simulator) adminGetApp(w http.ResponseWriter, r *http.Request) {
	a, ok := s.world.App(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, ErrNotFound)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Simulator) adminRemoveApp(w http.ResponseWriter, r *http.Request) {
	if err := s.world.RemoveApp(r.PathValue("id")); err != nil {
		worldError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminAppChange answers an app change with the app as it now is.
func (s *Simulator) adminAppChange(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		worldError(w, err)
		return
	}
	a, _ := s.world.App(r.PathValue("id"))
	writeJSON(w, http.StatusOK, a)
}

func (s *Simulator) adminSetConsent(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Granted bool `json:"granted"`
	}
	if decodeJSON(w, r, &body) {
		s.adminAppChange(w, r, s.world.SetAdminConsent(r.PathValue("id"), body.Granted))
	}
}

func (s *Simulator) adminSetAppScope(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Scope string `json:"scope"`
	}
	if decodeJSON(w, r, &body) {
		s.adminAppChange(w, r, s.world.SetAppScope(r.PathValue("id"), body.Scope))
	}
}

func (s *Simulator) adminSetAppPermissions(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Permissions []string `json:"permissions"`
	}
	if decodeJSON(w, r, &body) {
		s.adminAppChange(w, r, s.world.SetAppPermissions(r.PathValue("id"), body.Permissions))
	}
}

func (s *Simulator) adminAddAppSecret(w http.ResponseWriter, r *http.Request) {
	var spec SecretSpec
	if decodeJSON(w, r, &spec) {
		s.adminAppChange(w, r, s.world.AddAppSecret(r.PathValue("id"), spec))
	}
}

func (s *Simulator) adminGraphThrottle(w http.ResponseWriter, r *http.Request) {
	pol, stats := s.graphThrottle.snapshot()
	writeJSON(w, http.StatusOK, map[string]any{"policy": pol, "stats": stats})
}

// adminSetGraphThrottle replaces Graph's throttling policy (and starts new windows).
func (s *Simulator) adminSetGraphThrottle(w http.ResponseWriter, r *http.Request) {
	var pol GraphThrottlePolicy
	if !decodeJSON(w, r, &pol) {
		return
	}
	if pol.MailboxConcurrency < 0 || pol.Requests < 0 || pol.WindowSeconds < 0 {
		writeError(w, http.StatusBadRequest, ErrInvalid)
		return
	}
	s.graphThrottle.set(pol)
	writeJSON(w, http.StatusOK, pol)
}
