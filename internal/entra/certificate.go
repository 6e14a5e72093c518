package entra

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// Certificate credentials. Instead of a client secret, an app registration may hold the
// public part of a certificate; the app then proves itself with a client assertion: a
// JWT it signs with the certificate's private key (RS256), naming the certificate by its
// SHA-1 thumbprint (x5t), addressed to the token endpoint, valid for a few minutes.

// ClientAssertionType is the client_assertion_type of certificate credentials.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how long a client assertion is valid.
const assertionLifetime = 10 * time.Minute

// Certificate is a certificate with its RSA private key.
type Certificate struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

// Thumbprint returns the certificate's SHA-1 thumbprint in hexadecimal, upper case, as
// the Entra admin center shows it.
func (c *Certificate) Thumbprint() string {
	sum := sha1.Sum(c.Cert.Raw)
	return fmt.Sprintf("%X", sum[:])
}

// ParseCertificatePEM reads a certificate and its private key from PEM blocks (the
// CERTIFICATE and a PRIVATE KEY in PKCS #8 or an RSA PRIVATE KEY in PKCS #1, in any
// order). The key must be RSA and match the certificate. Errors say what is missing,
// never the key.
func ParseCertificatePEM(data []byte) (*Certificate, error) {
	var c Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			if c.Cert != nil {
				continue // a chain: the first certificate is the app's
			}
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, errors.New("entra: the certificate cannot be read")
			}
			c.Cert = cert
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, errors.New("entra: the private key cannot be read (PKCS #8)")
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, errors.New("entra: the private key is not an RSA key: Microsoft Entra ID signs client assertions with RSA")
			}
			c.Key = rk
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, errors.New("entra: the private key cannot be read (PKCS #1)")
			}
			c.Key = k
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("entra: the private key is encrypted: export it without a password")
		}
	}
	switch {
	case c.Cert == nil && c.Key == nil:
		return nil, errors.New("entra: no PEM certificate or private key found")
	case c.Cert == nil:
		return nil, errors.New("entra: the certificate (BEGIN CERTIFICATE) is missing")
	case c.Key == nil:
		return nil, errors.New("entra: the private key (BEGIN PRIVATE KEY) is missing")
	}
	pub, ok := c.Cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&c.Key.PublicKey) {
		return nil, errors.New("entra: the private key does not belong to the certificate")
	}
	return &c, nil
}

// assertion returns a client assertion for clientID at the token endpoint audience.
func (c *Certificate) assertion(clientID, audience string, now time.Time) (string, error) {
	sum := sha1.Sum(c.Cert.Raw)
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "x5t": base64.RawURLEncoding.EncodeToString(sum[:])})
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	claims, err := json.Marshal(map[string]any{"aud": audience, "iss": clientID, "sub": clientID,
		"jti": base64.RawURLEncoding.EncodeToString(jti), "nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix()})
	if err != nil {
		return "", err
	}
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.Key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("entra: sign the client assertion: %w", err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
