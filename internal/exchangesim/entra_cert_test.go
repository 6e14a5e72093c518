package exchangesim_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Certificate credentials (private_key_jwt): the app's registered certificate gets a
// token; an expired one, one the app does not hold, or an assertion for another
// endpoint is refused with Entra's codes.
func TestCertificateCredentials(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	token := func(pemText string, tenant string) (string, error) {
		t.Helper()
		c, err := entra.ParseCertificatePEM([]byte(pemText))
		if err != nil {
			t.Fatal(err)
		}
		ts, err := entra.NewTokenSource(entra.Credentials{Tenant: tenant, ClientID: exchangesim.ContosoAppClientID, Certificate: c},
			entra.GraphScope, entra.Options{Authority: s.AuthorityURL(), Now: s.Sim.World().Now})
		if err != nil {
			t.Fatal(err)
		}
		return ts.AccessToken(context.Background())
	}
	tok, err := token(exchangesim.ContosoAppCertificatePEM, "contoso.com")
	if err != nil || tok == "" {
		t.Fatalf("the registered certificate: %v", err)
	}
	// The token reads a Sales mailbox, as the secret's does.
	g := &graph{t: t, base: s.GraphURL(), tok: tok}
	g.mustGet("/users/alice@contoso.com/mailFolders/inbox")

	if _, err := token(exchangesim.ContosoExpiredCertificatePEM, exchangesim.ContosoTenantID); !errors.Is(err, entra.ErrCertificateRefused) {
		t.Fatalf("an expired certificate: %v", err)
	}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "not registered"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	other := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	var te *entra.TokenError
	if _, err := token(other, "contoso.com"); !errors.As(err, &te) || te.Code != 700027 || te.Fix == "" {
		t.Fatalf("an unregistered certificate: %v", err)
	}

	// Registered through the admin API, it works.
	body := `{"pem":` + jsonString(other[:strings.Index(other, "-----BEGIN RSA")]) + `}`
	admin(t, s, "POST", "/apps/"+exchangesim.ContosoAppClientID+"/certificates", body, http.StatusOK, nil)
	if _, err := token(other, "contoso.com"); err != nil {
		t.Fatalf("after registering it: %v", err)
	}

	// A malformed assertion and a wrong assertion type.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {exchangesim.ContosoAppClientID},
		"scope": {exchangesim.GraphResource + "/.default"}, "client_assertion_type": {entra.ClientAssertionType}, "client_assertion": {"a.b.c"}}
	if status, body := postForm(t, s.AuthorityURL()+"/contoso.com/oauth2/v2.0/token", form); status != 401 || !strings.Contains(body, "50027") {
		t.Fatalf("a malformed assertion: %d %s", status, body)
	}
	form.Set("client_assertion_type", "urn:other")
	if status, body := postForm(t, s.AuthorityURL()+"/contoso.com/oauth2/v2.0/token", form); status != 400 || !strings.Contains(body, "client_assertion_type") {
		t.Fatalf("another assertion type: %d %s", status, body)
	}
}

func postForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
