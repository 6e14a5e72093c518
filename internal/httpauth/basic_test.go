package httpauth

import (
	"net/http"
	"strings"
	"testing"
)

func basicRequest(t *testing.T, s *testServer, user, password string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/EWS/Exchange.asmx", strings.NewReader(soapBody))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	return readResult(t, resp)
}

func TestBasic(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)

	ok := []struct {
		name, user, password, wantBody string
	}{
		{"upn", "alice@contoso.com", alicePassword, `user=alice@contoso.com login=alice@contoso.com method=Basic scheme=Basic`},
		{"upn other case", "Alice@Contoso.com", alicePassword, `user=alice@contoso.com login=Alice@Contoso.com method=Basic`},
		{"netbios domain", `CONTOSO\alice`, alicePassword, `user=alice@contoso.com login=CONTOSO\alice method=Basic`},
		{"netbios domain lower case", `contoso\alice`, alicePassword, `login=CONTOSO\alice`},
		{"dns domain", `contoso.com\alice`, alicePassword, `login=CONTOSO\alice`},
		{"bare name", "alice", alicePassword, `user=alice@contoso.com login=CONTOSO\alice`},
		{"non-ascii password", `CONTOSO\bob`, bobPassword, `user=bob@contoso.com`},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := basicRequest(t, s, tt.user, tt.password)
			if got.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", got.status)
			}
			if !strings.Contains(got.body, tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", got.body, tt.wantBody)
			}
			if !strings.Contains(got.body, "body=16000") {
				t.Errorf("body = %q, handler did not receive the whole request body", got.body)
			}
		})
	}

	// A wrong password, an unknown user, a foreign domain and no
	// credentials at all must be indistinguishable.
	reference := basicRequest(t, s, "alice@contoso.com", "wrong")
	wantFinal401(t, reference, allOffers)
	denied := []struct {
		name, user, password string
	}{
		{"wrong password", `CONTOSO\alice`, "passw0rd!"},
		{"unknown user", "mallory@contoso.com", alicePassword},
		{"unknown bare user", "mallory", "x"},
		{"foreign domain", `FABRIKAM\alice`, alicePassword},
		{"empty password", "alice@contoso.com", ""},
		{"empty user", "", alicePassword},
		{"other user's password", "bob@contoso.com", alicePassword},
		{"no credentials", "", ""},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := basicRequest(t, s, tt.user, tt.password)
			wantFinal401(t, got, allOffers)
			if got.body != reference.body || got.header.Get("Content-Length") != reference.header.Get("Content-Length") {
				t.Errorf("response differs from a wrong password's: %+v vs %+v", got, reference)
			}
			if got.status == http.StatusForbidden {
				t.Error("403 leaks that the user exists")
			}
		})
	}
}

func TestBasicRealm(t *testing.T) {
	t.Parallel()
	cfg := defaultConfig()
	cfg.Realm = `mail."contoso".com`
	s := newTestServer(t, cfg, nil)
	wantFinal401(t, basicRequest(t, s, "", ""), []string{"Negotiate", "NTLM", `Basic realm="mail.\"contoso\".com"`})
}

func TestMethodsDisabled(t *testing.T) {
	t.Parallel()
	t.Run("basic off", func(t *testing.T) {
		t.Parallel()
		cfg := defaultConfig()
		cfg.Basic = false
		s := newTestServer(t, cfg, nil)
		wantFinal401(t, basicRequest(t, s, "", ""), []string{"Negotiate", "NTLM"})
		// Right credentials over a disabled scheme are refused too.
		wantFinal401(t, basicRequest(t, s, "alice@contoso.com", alicePassword), []string{"Negotiate", "NTLM"})
	})
	t.Run("ntlm off", func(t *testing.T) {
		t.Parallel()
		cfg := defaultConfig()
		cfg.NTLM = false
		s := newTestServer(t, cfg, nil)
		offers := []string{`Basic realm="127.0.0.1"`}
		wantFinal401(t, basicRequest(t, s, "", ""), offers)
		rc := dialRaw(t, s)
		wantFinal401(t, rc.do("NTLM "+b64(negotiateMessage(t)), ""), offers)
		wantFinal401(t, rc.do("Negotiate "+b64(negotiateMessage(t)), ""), offers)
		if got := basicRequest(t, s, "alice@contoso.com", alicePassword); got.status != http.StatusOK {
			t.Errorf("basic with NTLM off: status %d, want 200", got.status)
		}
	})
}

func TestBasicPasswordChange(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, defaultConfig(), nil)
	if got := basicRequest(t, s, "alice@contoso.com", alicePassword); got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", got.status)
	}
	s.accounts.setPassword("alice@contoso.com", "N3w-password")
	wantFinal401(t, basicRequest(t, s, "alice@contoso.com", alicePassword), allOffers)
	if got := basicRequest(t, s, "alice@contoso.com", "N3w-password"); got.status != http.StatusOK {
		t.Fatalf("new password: status = %d, want 200", got.status)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	valid := defaultConfig()
	valid.Accounts = newAccounts()
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"no method", func(c *Config) { c.Basic, c.NTLM = false, false }},
		{"no accounts", func(c *Config) { c.Accounts = nil }},
		{"no domain", func(c *Config) { c.NetBIOSDomain = "" }},
		{"ntlm without server name", func(c *Config) { c.ServerName = "" }},
		{"negative drain", func(c *Config) { c.MaxDrainBytes = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tt.mutate(&cfg)
			if _, err := New(cfg); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	if _, err := New(valid); err != nil {
		t.Errorf("New(valid): %v", err)
	}
	basicOnly := valid
	basicOnly.NTLM, basicOnly.ServerName = false, ""
	if _, err := New(basicOnly); err != nil {
		t.Errorf("New(basic only, no server name): %v", err)
	}
}
