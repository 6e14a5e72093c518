package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/graph"
)

// TestWithEntraTokens runs the client on entra's token source against one loopback
// server playing both Entra ID and Graph: one token serves many requests, and a token
// Graph refuses (revoked early) is replaced once.
func TestWithEntraTokens(t *testing.T) {
	t.Parallel()
	const tenant, client, secret = "8a1b2c3d-0000-4000-8000-00000000c0de", "11111111-2222-4333-8444-555555555555", "s3cret-value"
	var issued, apiCalls atomic.Int64
	var revoked atomic.Value // a token Graph refuses
	revoked.Store("")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /"+tenant+"/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("client_secret") != secret || r.PostForm.Get("scope") != entra.GraphScope {
			http.Error(w, `{"error":"invalid_client","error_codes":[7000215]}`, 401)
			return
		}
		n := issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": "tok-" + string(rune('0'+n))})
	})
	mux.HandleFunc("GET /v1.0/users/{u}", func(w http.ResponseWriter, r *http.Request) {
		apiCalls.Add(1)
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "Bearer tok-") || auth == "Bearer "+revoked.Load().(string) {
			graphError(w, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
			return
		}
		writeJSON(w, map[string]any{"id": "u1", "userPrincipalName": r.PathValue("u")})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ts, err := entra.NewTokenSource(entra.Credentials{Tenant: tenant, ClientID: client, ClientSecret: secret}, entra.GraphScope,
		entra.Options{Authority: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c, err := graph.New(ts, graph.Options{BaseURL: srv.URL + "/v1.0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 5 {
		if _, err := c.GetUser(ctx, "alice@contoso.com"); err != nil {
			t.Fatal(err)
		}
	}
	if issued.Load() != 1 {
		t.Errorf("%d tokens issued for 5 calls, want 1", issued.Load())
	}
	revoked.Store("tok-1")
	if _, err := c.GetUser(ctx, "alice@contoso.com"); err != nil {
		t.Fatalf("after the token was revoked: %v", err)
	}
	if issued.Load() != 2 || apiCalls.Load() != 7 {
		t.Errorf("tokens %d, API calls %d; want 2 and 7 (the refused call sent again once)", issued.Load(), apiCalls.Load())
	}
}
