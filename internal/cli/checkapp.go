package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
)

// runCheckApp is `mailbridge check --access-type microsoft365_app`: the app's token and
// permissions, then each user's mailbox through Microsoft Graph (checker.AppChecker).
// The flags common to both access types are already checked; users are read.
func runCheckApp(ctx context.Context, f checkFlags, users []string, overrides *hostoverride.Overrides,
	stdout, stderr io.Writer, usageErr func(string, ...any) int) int {
	tenant := strings.ToLower(strings.TrimSpace(f.tenant))
	clientID := strings.ToLower(strings.TrimSpace(f.clientID))
	switch {
	case tenant == "":
		return usageErr("--tenant is required: one of the tenant's domains (contoso.com) or its ID")
	case !entra.ValidTenant(tenant):
		return usageErr("--tenant %q: want a domain such as contoso.com or a tenant ID (a GUID)", f.tenant)
	case clientID == "":
		return usageErr("--client-id is required: the app registration's Application (client) ID")
	case !entra.IsTenantID(clientID):
		return usageErr("--client-id %q: the Application (client) ID is a GUID, on the app registration's Overview page", f.clientID)
	}
	var (
		secret string
		cert   *entra.Certificate
		err    error
	)
	if f.certFile != "" {
		data, rerr := os.ReadFile(f.certFile)
		if rerr != nil {
			return usageErr("--client-certificate: %v", rerr)
		}
		if cert, err = entra.ParseCertificatePEM(data); err != nil {
			return usageErr("--client-certificate %s: %s", f.certFile, strings.TrimPrefix(err.Error(), "entra: "))
		}
	} else if secret, err = clientSecret(f.secretEnv); err != nil {
		return usageErr("%v", err)
	}
	for _, u := range []struct{ flag, value string }{{"--entra-authority", f.entraAuthority}, {"--graph-url", f.graphURL}} {
		if err := checkHTTPSURL(u.value); err != nil {
			return usageErr("%s: %v", u.flag, err)
		}
	}
	pool, err := caPool(f.caFile)
	if err != nil {
		return usageErr("%v", err)
	}
	cfg := checker.AppConfig{TenantID: tenant, ClientID: clientID, ClientSecret: secret, Certificate: cert,
		Authority: f.entraAuthority, GraphURL: f.graphURL, RootCAs: pool}
	if overrides.Len() > 0 {
		cfg.DialContext = overrides.DialContext(nil)
	}
	c, err := checker.NewApp(cfg, checker.Options{Concurrency: f.concurrency})
	if err != nil {
		return usageErr("%v", err)
	}
	if len(users) == 0 {
		fmt.Fprintln(stderr, "mailbridge check: no users given (--user, --users): checking the app only")
	}
	target := checkTarget{
		head:     fmt.Sprintf("App %s in tenant %s, through %s", clientID, tenant, strings.TrimRight(f.graphURL, "/")),
		account:  "app",
		requests: "Graph",
	}
	return reportCheck(ctx, f, target, len(checker.UniqueUsers(users)), func(ctx context.Context, emit func(checker.Result)) (checker.Summary, error) {
		return c.Check(ctx, users, emit)
	}, stdout, stderr)
}

// clientSecret reads the app's client secret from the environment variable env.
func clientSecret(env string) (string, error) {
	if env == "" {
		return "", errors.New("--client-secret-env: name the environment variable holding the client secret")
	}
	secret, ok := os.LookupEnv(env)
	secret = strings.TrimSpace(secret)
	switch {
	case !ok || secret == "":
		return "", fmt.Errorf("the client secret is read from $%s, which is not set (the secret is never a flag)", env)
	case entra.IsTenantID(secret):
		return "", fmt.Errorf("$%s holds a GUID: that is the secret's ID, not the secret; copy the Value column of Certificates & secrets", env)
	}
	return secret, nil
}

// checkHTTPSURL accepts an absolute https URL without credentials, query or fragment:
// the client secret and the app's tokens travel to it.
func checkHTTPSURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err
	case u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("%q is not an https URL", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: only a scheme, a host and a path are allowed", u.Redacted())
	}
	return nil
}

// caPool returns the system's certificate authorities and those of the PEM file name;
// nil (the system's) when name is empty.
func caPool(name string) (*x509.CertPool, error) {
	if name == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", name)
	}
	return pool, nil
}
