package exchangesim

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The Entra ID endpoints of the simulator, under the authority (the listener's base URL,
// standing for https://login.microsoftonline.com):
//
//	POST /{tenant}/oauth2/v2.0/token                        client credentials flow
//	GET  /{tenant}/v2.0/.well-known/openid-configuration    OpenID Connect metadata
//
// {tenant} is the tenant ID or one of its verified domains. Errors are Entra's JSON
// (error, error_description starting with the AADSTS code, error_codes, timestamp,
// trace_id, correlation_id) with Entra's HTTP statuses.

// entraRoute tells whether a path is one of the Entra endpoints, and which.
func entraRoute(path string) (tenant, endpoint string, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 || parts[0] == "" {
		return "", "", false
	}
	rest := strings.ToLower(strings.Join(parts[1:], "/"))
	switch rest {
	case "oauth2/v2.0/token":
		return parts[0], "token", true
	case "v2.0/.well-known/openid-configuration":
		return parts[0], "openid", true
	}
	return "", "", false
}

// entraError is an error of the token endpoint.
type entraError struct {
	status   int
	err      string // OAuth error code: invalid_request, invalid_client, …
	code     int    // AADSTS number
	msg      string // the description after "AADSTSnnn: "
	suberror string
}

func (s *Simulator) writeEntraError(w http.ResponseWriter, e entraError) {
	now := s.world.Now()
	trace, corr := randomGUID(), randomGUID()
	ts := now.Format("2006-01-02 15:04:05Z")
	body := map[string]any{
		"error": e.err,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.code, e.msg, trace, corr, ts),
		"error_codes":    []int{e.code},
		"timestamp":      ts,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      "https://login.microsoftonline.com/error?code=" + strconv.Itoa(e.code),
	}
	if e.suberror != "" {
		body["suberror"] = e.suberror
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, e.status, body)
}

// randomGUID returns a random version 4 GUID, for trace and correlation ids.
func randomGUID() string {
	var g [16]byte
	rand.Read(g[:])
	g[6] = g[6]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

func errTenantNotFound(tenant string) entraError {
	return entraError{status: http.StatusBadRequest, err: "invalid_request", code: 90002,
		msg: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)}
}

func errMissingParameter(name string) entraError {
	return entraError{status: http.StatusBadRequest, err: "invalid_request", code: 900144,
		msg: fmt.Sprintf("The request body must contain the following parameter: '%s'.", name)}
}

// requestBase is the scheme and host the client used, so that URLs the simulator hands
// out work both on its own address and under the Microsoft host names mapped to it.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Simulator) serveEntra(w http.ResponseWriter, r *http.Request, tenantName, endpoint string) {
	switch endpoint {
	case "openid":
		s.serveOpenIDConfiguration(w, r, tenantName)
	case "token":
		s.serveToken(w, r, tenantName)
	}
}

// serveOpenIDConfiguration answers the v2.0 OpenID Connect metadata document, whose
// issuer and endpoints carry the tenant ID even when asked by domain: that is how a
// client learns a tenant's ID from its domain.
func (s *Simulator) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request, tenantName string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	t, ok := s.world.resolveTenant(tenantName)
	if !ok {
		e := errTenantNotFound(tenantName)
		e.err = "invalid_tenant"
		s.writeEntraError(w, e)
		return
	}
	base := requestBase(r)
	authority := base + "/" + t.ID
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        authority + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              authority + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                authority + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
		"authorization_endpoint":                authority + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         authority + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  authority + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		"kerberos_endpoint":                     authority + "/kerberos",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	})
}

// maxTokenRequestBytes bounds the token request's form.
const maxTokenRequestBytes = 64 << 10

// serveToken is the client credentials grant of the v2.0 token endpoint.
func (s *Simulator) serveToken(w http.ResponseWriter, r *http.Request, tenantName string) {
	if r.Method != http.MethodPost {
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "invalid_request", code: 900561,
			msg: "The endpoint only accepts POST requests. Received a " + r.Method + " request."})
		return
	}
	t, ok := s.world.resolveTenant(tenantName)
	if !ok {
		s.writeEntraError(w, errTenantNotFound(tenantName))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBytes)
	if err := r.ParseForm(); err != nil {
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "invalid_request", code: 900144,
			msg: "The request body must contain the following parameter: 'grant_type'."})
		return
	}
	form := r.PostForm
	grant := form.Get("grant_type")
	if grant == "" {
		s.writeEntraError(w, errMissingParameter("grant_type"))
		return
	}
	if grant != "client_credentials" {
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "unsupported_grant_type", code: 70003,
			msg: fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant)})
		return
	}
	// client_secret_post or client_secret_basic (the form-encoded id and secret in the
	// Authorization header), as Entra ID accepts both.
	clientID, secretValue := form.Get("client_id"), form.Get("client_secret")
	if user, pass, ok := r.BasicAuth(); ok {
		u, err1 := url.QueryUnescape(user)
		p, err2 := url.QueryUnescape(pass)
		if err1 == nil && err2 == nil {
			clientID, secretValue = u, p
		}
	}
	if clientID == "" {
		s.writeEntraError(w, errMissingParameter("client_id"))
		return
	}
	scope := strings.TrimSpace(form.Get("scope"))
	if scope == "" {
		s.writeEntraError(w, errMissingParameter("scope"))
		return
	}
	resource, ok := strings.CutSuffix(scope, "/.default")
	if !ok || strings.Contains(resource, " ") {
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "invalid_scope", code: 1002012,
			msg: fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)})
		return
	}
	switch strings.TrimSuffix(strings.ToLower(resource), "/") {
	case GraphResource, graphAppID:
		resource = GraphResource
	case ExchangeResource, exchangeAppID:
		resource = ExchangeResource
	default:
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "invalid_resource", code: 500011,
			msg: fmt.Sprintf("The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, t.DisplayName)})
		return
	}
	if secretValue == "" && form.Get("client_assertion") == "" {
		s.writeEntraError(w, entraError{status: http.StatusUnauthorized, err: "invalid_client", code: 7000218,
			msg: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."})
		return
	}
	now := s.world.Now()
	var (
		a      App
		res    credentialError
		detail string
	)
	if assertion := form.Get("client_assertion"); assertion != "" && secretValue == "" {
		if at := form.Get("client_assertion_type"); at != clientAssertionType {
			s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "invalid_request", code: 50027,
				msg: "Invalid client_assertion_type '" + at + "': it must be " + clientAssertionType + "."})
			return
		}
		a, res, detail = s.world.checkAssertion(clientID, assertion, t, now)
	} else {
		a, res = s.world.checkClient(clientID, secretValue, now)
	}
	switch res {
	case credBadAssertion:
		s.writeEntraError(w, entraError{status: http.StatusUnauthorized, err: "invalid_client", code: 50027,
			msg: "Invalid JWT token. " + detail})
		return
	case credAssertionExpired:
		s.writeEntraError(w, entraError{status: http.StatusUnauthorized, err: "invalid_client", code: 700024,
			msg: "Client assertion is not within its valid time range."})
		return
	case credBadCertificate:
		s.writeEntraError(w, entraError{status: http.StatusUnauthorized, err: "invalid_client", code: 700027,
			msg: fmt.Sprintf("Client assertion failed signature validation: no certificate of app '%s' matches the key identifier of the assertion.", a.ClientID)})
		return
	case credExpiredCertificate:
		s.writeEntraError(w, entraError{status: http.StatusUnauthorized, err: "invalid_client", code: 700027,
			msg: fmt.Sprintf("Client assertion failed signature validation: the certificate of app '%s' used to sign it has expired.", a.ClientID)})
		return
	case credUnknownApp:
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "unauthorized_client", code: 700016,
			msg: fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, t.DisplayName)})
		return
	case credBadSecret:
		s.writeEntraError(w, entraError{status: http.StatusUnauthorized, err: "invalid_client", code: 7000215,
			msg: fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.ClientID)})
		return
	case credExpiredSecret:
		s.writeEntraError(w, entraError{status: http.StatusUnauthorized, err: "invalid_client", code: 7000222,
			msg: fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", a.ClientID)})
		return
	case credNoConsent:
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "invalid_grant", code: 65001, suberror: "consent_required",
			msg: fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", a.ClientID, a.DisplayName)})
		return
	}
	var roles []string
	for _, p := range a.Permissions {
		if resourceOf(p) == resource {
			roles = append(roles, p)
		}
	}
	if len(roles) == 0 {
		s.writeEntraError(w, entraError{status: http.StatusBadRequest, err: "invalid_client", code: 650056,
			msg: fmt.Sprintf("Misconfigured application. This could be due to one of the following: the client has not listed any permissions for '%s' in the requested permissions in the client's application registration. Or, the admin has not consented in the tenant. Or, check the application identifier in the request to ensure it matches the configured client application identifier. Please contact your admin to fix the configuration or consent on behalf of the tenant. Client app ID: %s.", resource, a.ClientID)})
		return
	}
	life := s.tokenLifetime()
	sp := s.world.objectGUID("servicePrincipal", a.ClientID)
	tok := signToken(s.tokenKey, tokenClaims{
		Aud: resource, Iss: "https://sts.windows.net/" + t.ID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(life).Unix(),
		AppDisplayName: a.DisplayName, AppID: a.ClientID, AppIDAcr: "1",
		IdP: "https://sts.windows.net/" + t.ID + "/", IdTyp: "app",
		Oid: sp, Sub: sp, Roles: roles, Tid: t.ID, Ver: "1.0",
	})
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	secs := int(life / time.Second)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok,
	})
}

func (s *Simulator) tokenLifetime() time.Duration {
	if l := s.opts.Microsoft365.TokenLifetime; l > 0 {
		return l
	}
	return defaultTokenLifetime
}

// newTokenKey draws the key that signs the simulator's access tokens.
func newTokenKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}
