package exchangesim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Certificate credentials: an app registration holds certificates' public parts; a
// client proves itself with a client assertion (private_key_jwt): a JWT signed RS256
// with the certificate's key, naming the certificate by its SHA-1 thumbprint (x5t),
// whose aud is the token endpoint, iss and sub the client ID, within its nbf/exp.

// clientAssertionType is the only client_assertion_type Entra ID takes.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// appCert is a certificate registered on an app.
type appCert struct {
	thumbprint [20]byte
	pub        *rsa.PublicKey
	notAfter   time.Time
}

// CertificateInfo describes a registered certificate.
type CertificateInfo struct {
	Thumbprint string    `json:"thumbprint"` // SHA-1, hexadecimal upper case
	Expires    time.Time `json:"expires"`
}

// parseAppCert reads a certificate's public part: PEM (CERTIFICATE) or DER.
func parseAppCert(data []byte) (appCert, error) {
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "CERTIFICATE" {
			return appCert{}, fmt.Errorf("a %s is not a certificate: %w", b.Type, ErrInvalid)
		}
		data = b.Bytes
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return appCert{}, fmt.Errorf("the certificate cannot be read: %w", ErrInvalid)
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return appCert{}, fmt.Errorf("only RSA certificates are supported: %w", ErrInvalid)
	}
	return appCert{thumbprint: sha1.Sum(c.Raw), pub: pub, notAfter: c.NotAfter}, nil
}

// AddAppCertificate registers a certificate's public part (PEM or DER) on an app.
func (w *World) AddAppCertificate(clientID string, cert []byte) error {
	c, err := parseAppCert(cert)
	if err != nil {
		return fmt.Errorf("exchangesim: app %s: %w", clientID, err)
	}
	return w.changeApp(clientID, func(_ *entra, a *app) error { a.certs = append(a.certs, c); return nil })
}

// adminAddAppCertificate is POST /sim/api/apps/{id}/certificates {"pem": "…"}.
func (s *Simulator) adminAddAppCertificate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PEM string `json:"pem"`
	}
	if decodeJSON(w, r, &body) {
		s.adminAppChange(w, r, s.world.AddAppCertificate(r.PathValue("id"), []byte(body.PEM)))
	}
}

// assertionClaims are the claims of a client assertion the token endpoint reads.
type assertionClaims struct {
	Aud string `json:"aud"`
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Exp int64  `json:"exp"`
	Nbf int64  `json:"nbf"`
}

// checkAssertion verifies a client assertion for the app and the token endpoint
// (audience ends with "/{tenant}/oauth2/v2.0/token" for the tenant's ID or a domain).
// It returns the app as it is and why it is refused, with Entra's code.
func (w *World) checkAssertion(clientID, assertion string, t Tenant, now time.Time) (App, credentialError, string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return App{}, credBadAssertion, "The client assertion is not a JWT."
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	var header struct {
		Alg string `json:"alg"`
		X5t string `json:"x5t"`
	}
	var claims assertionClaims
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return App{}, credBadAssertion, "The client assertion cannot be read."
	}
	if clientID == "" {
		clientID = claims.Iss
	}
	e := w.entra
	if e == nil {
		return App{}, credUnknownApp, ""
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := e.apps[normGUID(clientID)]
	if a == nil {
		return App{}, credUnknownApp, ""
	}
	if normGUID(claims.Iss) != a.clientID || normGUID(claims.Sub) != a.clientID {
		return a.info(), credBadAssertion, "The client assertion's iss and sub must be the client ID."
	}
	okAud := false
	for _, name := range append([]string{t.ID}, t.Domains...) {
		okAud = okAud || strings.HasSuffix(strings.ToLower(claims.Aud), "/"+name+"/oauth2/v2.0/token")
	}
	if !okAud {
		return a.info(), credBadAssertion, "The client assertion's audience is not this token endpoint."
	}
	if now.Unix() >= claims.Exp || claims.Nbf > now.Add(5*time.Minute).Unix() {
		return a.info(), credAssertionExpired, ""
	}
	if header.Alg != "RS256" {
		return a.info(), credBadCertificate, ""
	}
	tp, err := base64.RawURLEncoding.DecodeString(header.X5t)
	if err != nil {
		return a.info(), credBadCertificate, ""
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, c := range a.certs {
		if string(c.thumbprint[:]) != string(tp) {
			continue
		}
		if rsa.VerifyPKCS1v15(c.pub, crypto.SHA256, digest[:], sig) != nil {
			return a.info(), credBadCertificate, ""
		}
		if !now.Before(c.notAfter) {
			return a.info(), credExpiredCertificate, ""
		}
		if !a.consent {
			return a.info(), credNoConsent, ""
		}
		return a.info(), credOK, ""
	}
	return a.info(), credBadCertificate, ""
}
