package entra_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/entra"
)

const (
	tenantID = "8a1b2c3d-0000-4000-8000-00000000c0de"
	clientID = "11111111-2222-4333-8444-555555555555"
	secret   = "s3cr~Et.value+with/odd=chars"
)

// fakeEntra answers as the identity platform does: the token endpoint of one tenant
// (by ID and by domain) and its OpenID configuration document.
type fakeEntra struct {
	srv      *httptest.Server
	requests atomic.Int64 // token requests
	// answer, if set, overrides the token endpoint's answer: status and AADSTS code.
	status    int
	code      int
	oauthErr  string
	expiresIn int
	issued    atomic.Int64
	lastForm  chan url.Values
}

func newFakeEntra(t *testing.T) *fakeEntra {
	f := &fakeEntra{expiresIn: 3599, lastForm: make(chan url.Values, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", f.openID)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEntra) knownTenant(s string) bool {
	return s == tenantID || strings.EqualFold(s, "contoso.com") || strings.EqualFold(s, "contoso.onmicrosoft.com")
}

// aadError writes the error JSON of the identity platform.
func aadError(w http.ResponseWriter, status int, oauthErr string, code int, desc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"error":             oauthErr,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2026-12-07 10:00:00Z", code, desc),
		"error_codes":       []int{code},
		"timestamp":         "2026-12-07 10:00:00Z",
		"trace_id":          "0000aaaa-11bb-cccc-dd22-eeeeee333333",
		"correlation_id":    "aaaa0000-bb11-2222-33cc-444444dddddd",
		"error_uri":         "https://login.microsoftonline.com/error?code=" + fmt.Sprint(code),
	})
}

func (f *fakeEntra) token(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.lastForm <- r.PostForm
	switch {
	case !f.knownTenant(r.PathValue("tenant")):
		aadError(w, 400, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", r.PathValue("tenant")))
		return
	case f.code != 0:
		aadError(w, f.status, f.oauthErr, f.code, "the server says no (with the request's client_secret echoed: "+r.PostForm.Get("client_secret")+")")
		return
	case r.PostForm.Get("grant_type") != "client_credentials":
		aadError(w, 400, "unsupported_grant_type", 70003, "unsupported grant type")
		return
	case r.PostForm.Get("client_id") != clientID:
		aadError(w, 400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory 'Contoso'.", r.PostForm.Get("client_id")))
		return
	case r.PostForm.Get("client_secret") != secret:
		aadError(w, 401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+clientID+"'.")
		return
	}
	n := f.issued.Add(1)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{
		"token_type":     "Bearer",
		"expires_in":     f.expiresIn,
		"ext_expires_in": f.expiresIn,
		"access_token":   fmt.Sprintf("eyJ0eXAiOiJKV1Qi.token-%d", n),
	})
}

func (f *fakeEntra) openID(w http.ResponseWriter, r *http.Request) {
	tn := r.PathValue("tenant")
	if !f.knownTenant(tn) {
		aadError(w, 400, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found.", tn))
		return
	}
	base := f.srv.URL
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{
		"token_endpoint":                        base + "/" + tenantID + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/" + tenantID + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"issuer":                                "https://login.microsoftonline.com/" + tenantID + "/v2.0",
		"authorization_endpoint":                base + "/" + tenantID + "/oauth2/v2.0/authorize",
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTokenIsCachedAndRefreshedBeforeExpiry(t *testing.T) {
	t.Parallel()
	f := newFakeEntra(t)
	clk := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	ts, err := entra.NewTokenSource(entra.Credentials{Tenant: tenantID, ClientID: clientID, ClientSecret: secret},
		entra.GraphScope, entra.Options{Authority: f.srv.URL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := ts.AccessToken(ctx)
	if err != nil || tok != "eyJ0eXAiOiJKV1Qi.token-1" {
		t.Fatalf("first token: %q, %v", tok, err)
	}
	form := <-f.lastForm
	if form.Get("scope") != entra.GraphScope || form.Get("grant_type") != "client_credentials" || form.Get("client_id") != clientID {
		t.Errorf("token request form: %v", form)
	}
	// Many callers, concurrently, well before expiry: no new request.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if got, err := ts.AccessToken(ctx); err != nil || got != tok {
				t.Errorf("cached token: %q, %v", got, err)
			}
		})
	}
	wg.Wait()
	clk.Add(50 * time.Minute) // 9m59s left: still more than the 5 minutes of RefreshBefore
	if got, _ := ts.AccessToken(ctx); got != tok {
		t.Errorf("token at 50 minutes: %q, want the cached %q", got, tok)
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("token requests before refresh: %d, want 1", n)
	}
	clk.Add(5 * time.Minute) // 4m59s left: refresh
	got, err := ts.AccessToken(ctx)
	if err != nil || got != "eyJ0eXAiOiJKV1Qi.token-2" {
		t.Fatalf("refreshed token: %q, %v", got, err)
	}
	if n := f.requests.Load(); n != 2 {
		t.Fatalf("token requests after refresh: %d, want 2", n)
	}
	ts.Invalidate()
	if got, _ := ts.AccessToken(ctx); got != "eyJ0eXAiOiJKV1Qi.token-3" {
		t.Errorf("after Invalidate: %q, want a new token", got)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		tenant    string
		client    string
		secret    string
		status    int
		code      int
		oauthErr  string
		want      error
		wantCode  int
		fixSubstr string
	}{
		{name: "unknown tenant", tenant: "fabrikam.example", client: clientID, secret: secret,
			want: entra.ErrUnknownTenant, wantCode: 90002, fixSubstr: "Directory (tenant) ID"},
		{name: "unknown app", tenant: tenantID, client: "99999999-2222-4333-8444-555555555555", secret: secret,
			want: entra.ErrUnknownApp, wantCode: 700016, fixSubstr: "Application (client) ID"},
		{name: "wrong secret", tenant: tenantID, client: clientID, secret: "not-the-secret",
			want: entra.ErrWrongSecret, wantCode: 7000215, fixSubstr: "Certificates & secrets"},
		{name: "expired secret", tenant: tenantID, client: clientID, secret: secret, status: 401, code: 7000222, oauthErr: "invalid_client",
			want: entra.ErrSecretExpired, wantCode: 7000222, fixSubstr: "new client secret"},
		{name: "no admin consent", tenant: tenantID, client: clientID, secret: secret, status: 400, code: 65001, oauthErr: "invalid_grant",
			want: entra.ErrConsentMissing, wantCode: 65001, fixSubstr: "/" + tenantID + "/adminconsent?client_id=" + clientID},
		{name: "misconfigured app", tenant: tenantID, client: clientID, secret: secret, status: 400, code: 650056, oauthErr: "invalid_client",
			want: entra.ErrConsentMissing, wantCode: 650056, fixSubstr: "adminconsent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeEntra(t)
			f.status, f.code, f.oauthErr = tc.status, tc.code, tc.oauthErr
			var logs strings.Builder
			log := slog.New(slog.NewTextHandler(&logs, nil))
			ts, err := entra.NewTokenSource(entra.Credentials{Tenant: tc.tenant, ClientID: tc.client, ClientSecret: tc.secret},
				entra.GraphScope, entra.Options{Authority: f.srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.Token(context.Background())
			log.Error("token", "err", err)
			var te *entra.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("error %v (%T), want *TokenError", err, err)
			}
			if !errors.Is(err, tc.want) || te.Code != tc.wantCode {
				t.Errorf("error %v: code %d, want %d and %v", err, te.Code, tc.wantCode, tc.want)
			}
			if !strings.Contains(te.Fix, tc.fixSubstr) || !strings.Contains(err.Error(), te.Fix) {
				t.Errorf("fix %q does not say %q, or the error %q does not carry it", te.Fix, tc.fixSubstr, err)
			}
			if te.TraceID == "" || strings.Contains(te.Description, "Trace ID") {
				t.Errorf("trace id %q, description %q: want the trace id parsed and the description's first line", te.TraceID, te.Description)
			}
			for _, s := range []string{err.Error(), te.Description, logs.String()} {
				if strings.Contains(s, tc.secret) {
					t.Errorf("the secret shows in %q", s)
				}
			}
			if f.requests.Load() != 1 {
				t.Errorf("token requests: %d, want 1 (a refused secret is not retried)", f.requests.Load())
			}
		})
	}
}

func TestDiscoverTenant(t *testing.T) {
	t.Parallel()
	f := newFakeEntra(t)
	opts := entra.Options{Authority: f.srv.URL}
	for _, domain := range []string{"contoso.com", "Contoso.OnMicrosoft.com", tenantID} {
		tn, err := entra.DiscoverTenant(context.Background(), domain, opts)
		if err != nil {
			t.Fatalf("%s: %v", domain, err)
		}
		if tn.ID != tenantID || tn.RegionScope != "EU" {
			t.Errorf("%s: %+v, want tenant %s", domain, tn, tenantID)
		}
	}
	_, err := entra.DiscoverTenant(context.Background(), "fabrikam.example", opts)
	var te *entra.TokenError
	if !errors.As(err, &te) || !errors.Is(err, entra.ErrUnknownTenant) || !strings.Contains(err.Error(), "fabrikam.example") {
		t.Errorf("unknown domain: %v, want a *TokenError matching ErrUnknownTenant naming the domain", err)
	}
	for _, bad := range []string{"", "contoso", "contoso.com/../x", "a b.com", "contoso.com?x=1", "http://contoso.com"} {
		if _, err := entra.DiscoverTenant(context.Background(), bad, opts); err == nil || errors.Is(err, entra.ErrUnknownTenant) {
			t.Errorf("%q: %v, want a refusal before any request", bad, err)
		}
	}
}

func TestDiscoverRefusesOversizeAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"issuer":"` + strings.Repeat("x", 4096) + `"}`))
	}))
	defer srv.Close()
	_, err := entra.DiscoverTenant(context.Background(), "contoso.com", entra.Options{Authority: srv.URL, MaxResponseBytes: 1024})
	if !errors.Is(err, entra.ErrResponseTooLarge) {
		t.Errorf("error %v, want ErrResponseTooLarge", err)
	}
}

func TestTokenContextCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"token_type":"Bearer","expires_in":3599,"access_token":"t"}`))
	}))
	defer srv.Close()
	defer close(release)
	ts, err := entra.NewTokenSource(entra.Credentials{Tenant: tenantID, ClientID: clientID, ClientSecret: secret},
		entra.EWSScope, entra.Options{Authority: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	go ts.Token(context.Background()) // holds the request slot until release
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ts.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled while another request runs", err)
	}
}

func TestAdminConsentURL(t *testing.T) {
	t.Parallel()
	got := entra.AdminConsentURL("", tenantID, clientID)
	want := "https://login.microsoftonline.com/" + tenantID + "/adminconsent?client_id=" + clientID
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestNewTokenSourceRefusesBadInput(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]entra.Credentials{
		"tenant path": {Tenant: "contoso.com/evil", ClientID: clientID, ClientSecret: secret},
		"no client":   {Tenant: tenantID, ClientSecret: secret},
		"no secret":   {Tenant: tenantID, ClientID: clientID},
	} {
		if _, err := entra.NewTokenSource(c, entra.GraphScope, entra.Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the secret shows in %v", name, err)
		}
	}
	if _, err := entra.NewTokenSource(entra.Credentials{Tenant: tenantID, ClientID: clientID, ClientSecret: secret}, entra.GraphScope,
		entra.Options{Authority: "ftp://login.example"}); err == nil {
		t.Error("ftp authority accepted")
	}
}
