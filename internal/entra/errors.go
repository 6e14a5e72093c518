package entra

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Sentinels matched (errors.Is) by a *TokenError of the corresponding case.
var (
	// ErrUnknownTenant: no tenant has this ID or domain (AADSTS90002, AADSTS900023).
	ErrUnknownTenant = errors.New("unknown tenant")
	// ErrUnknownApp: no application with this client ID exists in the tenant
	// (AADSTS700016).
	ErrUnknownApp = errors.New("unknown application")
	// ErrWrongSecret: the client secret is not one of the app's (AADSTS7000215).
	ErrWrongSecret = errors.New("wrong client secret")
	// ErrSecretExpired: the client secret has expired (AADSTS7000222).
	ErrSecretExpired = errors.New("client secret expired")
	// ErrConsentMissing: no administrator has granted the app its permissions in this
	// tenant (AADSTS65001, AADSTS650056, AADSTS650057, AADSTS500011).
	ErrConsentMissing = errors.New("admin consent missing")
	// ErrCertificateRefused: the certificate that signed the client assertion is not one
	// of the app's, or has expired (AADSTS700027).
	ErrCertificateRefused = errors.New("certificate refused")
)

// ErrResponseTooLarge is returned (wrapped) when an answer exceeds
// Options.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response too large")

// TokenError is a token request (or a discovery request) that Entra ID refused.
type TokenError struct {
	// Status is the HTTP status of the answer (400, 401, …).
	Status int
	// OAuthError is the OAuth 2.0 "error" field: invalid_client, invalid_request,
	// unauthorized_client, invalid_tenant…
	OAuthError string
	// Code is the first AADSTS code of the answer ("error_codes"), 0 when none.
	Code int
	// Description is Entra's error_description up to its trace lines (first line).
	Description string
	// TraceID and CorrelationID identify the request in Entra's sign-in logs.
	TraceID, CorrelationID string

	// Message says plainly what is wrong, and Fix what the admin does about it, for
	// the known cases; both are empty otherwise.
	Message, Fix string

	kind error // one of the sentinels, or nil
}

func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("token request refused")
	if e.Code != 0 {
		fmt.Fprintf(&b, " (AADSTS%d)", e.Code)
	} else if e.OAuthError != "" {
		fmt.Fprintf(&b, " (%s)", e.OAuthError)
	} else if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	switch {
	case e.Message != "":
		b.WriteString(": " + e.Message)
		if e.Fix != "" {
			b.WriteString(" Fix: " + e.Fix)
		}
	case e.Description != "":
		b.WriteString(": " + e.Description)
	}
	return b.String()
}

// Is matches the sentinel of the error's case.
func (e *TokenError) Is(target error) bool { return e.kind != nil && target == e.kind }

// Kind returns the sentinel of the error's case (ErrWrongSecret, …), or nil.
func (e *TokenError) Kind() error { return e.kind }

// errorBody is Entra's error answer, as the identity platform documents it.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
}

// parseError builds a *TokenError from an answer's status and body. It returns nil
// when the body is not Entra's error JSON.
func parseError(status int, body []byte, tenant, clientID string, authority string) *TokenError {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil || eb.Error == "" && len(eb.ErrorCodes) == 0 {
		return nil
	}
	e := &TokenError{Status: status, OAuthError: eb.Error, TraceID: eb.TraceID, CorrelationID: eb.CorrelationID}
	e.Description, _, _ = strings.Cut(eb.ErrorDescription, "\r\n")
	e.Description, _, _ = strings.Cut(e.Description, "\n")
	e.Description = strings.TrimSpace(e.Description)
	if len(eb.ErrorCodes) > 0 {
		e.Code = eb.ErrorCodes[0]
	} else if c, ok := codeInDescription(e.Description); ok {
		e.Code = c
	}
	e.explain(tenant, clientID, authority)
	return e
}

// codeInDescription reads the code of a description that starts "AADSTS<n>:".
func codeInDescription(d string) (int, bool) {
	rest, ok := strings.CutPrefix(d, "AADSTS")
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, ":")
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// explain fills Message, Fix and the sentinel for the known codes.
func (e *TokenError) explain(tenant, clientID, authority string) {
	switch e.Code {
	case 90002, 900023:
		e.kind = ErrUnknownTenant
		e.Message = fmt.Sprintf("Microsoft Entra ID knows no tenant %q.", tenant)
		e.Fix = "Enter the tenant ID (a GUID, shown on the app registration's Overview page as \"Directory (tenant) ID\") " +
			"or a domain verified in the tenant, such as contoso.onmicrosoft.com."
	case 700016:
		e.kind = ErrUnknownApp
		e.Message = fmt.Sprintf("The tenant has no application with client ID %q.", clientID)
		e.Fix = "Copy the \"Application (client) ID\" from the app registration's Overview page in the Entra admin center, " +
			"and check that the app is registered in (or consented to by) this tenant."
	case 7000215:
		e.kind = ErrWrongSecret
		e.Message = "The client secret is not one of this application's secrets."
		e.Fix = "Enter the secret's Value (not its Secret ID) from Certificates & secrets of the app registration, " +
			"or create a new client secret there and enter its value."
	case 7000222:
		e.kind = ErrSecretExpired
		e.Message = "The client secret has expired."
		e.Fix = "Create a new client secret under Certificates & secrets of the app registration and enter its value here."
	case 700027:
		e.kind = ErrCertificateRefused
		e.Message = "Microsoft Entra ID refused the certificate: it is not one of this application's certificates, or it has expired."
		e.Fix = "Upload the certificate's public part (.cer or .pem, without the key) under Certificates & secrets → Certificates of the app " +
			"registration, or enter a certificate that is registered there and not expired."
	case 65001, 650056, 650057, 500011:
		e.kind = ErrConsentMissing
		e.Message = "No administrator of the tenant has granted this application its permissions."
		e.Fix = "A Global or Privileged Role Administrator of the tenant opens " + AdminConsentURL(authority, tenant, clientID) +
			" and accepts, or presses \"Grant admin consent\" under API permissions of the app registration."
	}
}

// AdminConsentURL returns the page where a tenant's administrator grants an
// application the application permissions it asks for.
func AdminConsentURL(authority, tenant, clientID string) string {
	if authority == "" {
		authority = DefaultAuthority
	}
	return strings.TrimRight(authority, "/") + "/" + url.PathEscape(tenant) + "/adminconsent?client_id=" + url.QueryEscape(clientID)
}
