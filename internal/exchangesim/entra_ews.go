package exchangesim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Exchange Online mode of the EWS endpoint (Microsoft365Options.ExchangeOnline). Exchange
// Online accepts only OAuth there: Basic authentication is retired and NTLM never was
// offered, so a request without a bearer token gets 401 with a Bearer challenge alone. An
// app-only token must be for https://outlook.office365.com and carry full_access_as_app,
// and every request must name the mailbox it acts on in an ExchangeImpersonation header.
// Token failures are 401s whose x-ms-diagnostics header says why, in the form Exchange
// Online uses (2000003 wrong audience, 2000008 no usable permission; the simulator uses
// 2000001 for other invalid tokens). When the tenant's EWSEnabled switch is off the
// answer is 403 Forbidden, what Exchange Online answers when EWS is blocked.

// appCallerPrefix marks an app-only EWS caller: "app:" and the client ID.
const appCallerPrefix = "app:"

type exoCallerKey struct{}

// exoChallenge is the WWW-Authenticate challenge of Exchange Online's EWS.
const exoChallenge = `Bearer client_id="` + exchangeAppID + `", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`

// msgEWSDisabled is the body of the 403 that answers EWS requests when EWS is off.
const msgEWSDisabled = "EWS is disabled for this organization (EWSEnabled is False). Use Microsoft Graph, or ask an administrator to allow EWS for this application."

// exchangeOnlineAuth wraps the EWS handler with Exchange Online's bearer authentication.
func (s *Simulator) exchangeOnlineAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refuse := func(diag string) {
			w.Header().Set("WWW-Authenticate", exoChallenge+`, error="invalid_token"`)
			if diag != "" {
				w.Header().Set("x-ms-diagnostics", diag)
			}
			w.WriteHeader(http.StatusUnauthorized)
		}
		tok, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", exoChallenge)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		c, err := parseToken(s.tokenKey, tok, s.world.Now())
		switch {
		case errors.Is(err, errTokenExpired):
			refuse(`2000001;reason="The token has expired.";error_category="invalid_token"`)
			return
		case err != nil:
			refuse(`2000001;reason="The token is malformed or its signature is invalid.";error_category="invalid_token"`)
			return
		case !c.audienceIs(ExchangeResource):
			refuse(fmt.Sprintf(`2000003;reason="The audience claim value is invalid for current resource. Audience claim is '%s', request url is '%s' and resource type is 'Exchange'.";error_category="invalid_resource"`, c.Aud, requestBase(r)+r.URL.Path))
			return
		}
		if t, ok := s.world.Tenant(); !ok || t.ID != c.Tid {
			refuse(`2000001;reason="The token was issued by another tenant.";error_category="invalid_token"`)
			return
		}
		if _, ok := s.world.App(c.AppID); !ok || !c.hasRole(PermFullAccessAsApp) {
			refuse(`2000008;reason="The token contains no permissions, or permissions can not be understood.";error_category="invalid_grant"`)
			return
		}
		if !s.world.ewsEnabled() {
			http.Error(w, msgEWSDisabled, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exoCallerKey{}, c)))
	})
}

// checkAppImpersonation decides which mailbox an app-only EWS call acts on: the one its
// ExchangeImpersonation header names, which must be inside the app's RBAC for
// Applications scope.
func (s *Simulator) checkAppImpersonation(clientID string, c *ewsserver.Call) (User, error) {
	if !c.Impersonating() {
		return User{}, fault(ews.ErrorInvalidExchangeImpersonationHeaderData,
			"ExchangeImpersonation SOAP header must be present for this type of OAuth token.")
	}
	d := s.world.dir
	d.mu.RLock()
	target, err := d.impersonationTarget(c.Header.ExchangeImpersonation.ConnectingSID)
	var u User
	if err == nil {
		u = cloneUser(target)
	}
	d.mu.RUnlock()
	if err != nil {
		return User{}, err
	}
	if !s.world.appMayAccess(clientID, u.PrimarySMTP) {
		return User{}, fault(ews.ErrorImpersonateUserDenied, msgImpersonateUserDenied)
	}
	return u, nil
}
