package entra_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/entra"
)

// selfSigned returns a self-signed certificate for key, PEM encoded.
func selfSigned(t *testing.T, key any, pub any) []byte {
	t.Helper()
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pkcs8(t *testing.T, key any) []byte {
	t.Helper()
	b, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})
}

// A certificate with its RSA key is read in either order and in PKCS #1 or #8; what
// is missing, mismatched or not RSA is said, without the key.
func TestParseCertificatePEM(t *testing.T) {
	t.Parallel()
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert1 := selfSigned(t, k1, &k1.PublicKey)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k1)})
	for name, in := range map[string][]byte{
		"cert then key": append(append([]byte{}, cert1...), pkcs8(t, k1)...),
		"key then cert": append(append([]byte{}, pkcs8(t, k1)...), cert1...),
		"PKCS #1 key":   append(append([]byte{}, cert1...), pkcs1...),
	} {
		c, err := entra.ParseCertificatePEM(in)
		if err != nil || len(c.Thumbprint()) != 40 || strings.ToUpper(c.Thumbprint()) != c.Thumbprint() {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, tc := range map[string]struct {
		in   []byte
		want string
	}{
		"nothing":      {[]byte("not PEM"), "no PEM"},
		"no key":       {cert1, "private key"},
		"no cert":      {pkcs8(t, k1), "certificate"},
		"another key":  {append(append([]byte{}, cert1...), pkcs8(t, k2)...), "does not belong"},
		"an EC key":    {append(selfSigned(t, ec, &ec.PublicKey), pkcs8(t, ec)...), "not an RSA key"},
		"encrypted":    {append(append([]byte{}, cert1...), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})...), "encrypted"},
		"a broken key": {append(append([]byte{}, cert1...), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}})...), "cannot be read"},
	} {
		_, err := entra.ParseCertificatePEM(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
