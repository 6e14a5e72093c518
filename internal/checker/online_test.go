package checker_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
	"github.com/mailbridge/mailbridge/internal/exchangesim/simtest"
)

// An EWS configuration that points at Exchange Online gets a plain warning that EWS is
// being switched off there, with the way to move: known by the server's answer (a 401
// that offers OAuth alone), or by the host name.
func TestExchangeOnlineWarning(t *testing.T) {
	t.Parallel()
	wantRetiring := func(t *testing.T, col *collector) {
		t.Helper()
		var found []checker.Result
		for _, r := range col.all() {
			if r.Code == checker.CodeEWSRetiring {
				found = append(found, r)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%d ews_retiring results:\n%s", len(found), dump(col.all()))
		}
		r := found[0]
		if r.Status != checker.StatusWarning || !strings.Contains(r.Message, "1 April 2027") || !strings.Contains(r.Fix, `"Microsoft 365 (app-only)"`) {
			t.Errorf("warning: %+v", r)
		}
	}

	t.Run("by its answer", func(t *testing.T) {
		t.Parallel()
		srv := startSim(t, exchangesim.Options{Microsoft365: exchangesim.Microsoft365Options{ExchangeOnline: true}}, false)
		col, _ := run(t, config(srv, "svc-sync@contoso.com", svcPass, checker.AuthBasic), checker.Options{}, "alice@contoso.com")
		if auth := col.account()[checker.CheckAuthentication]; auth.Code != checker.CodeAuthMethodUnavailable {
			t.Errorf("authentication: %+v", auth)
		}
		wantRetiring(t, col)
	})

	t.Run("by its host name", func(t *testing.T) {
		t.Parallel()
		_, srv := simtest.Start(t, exchangesim.Options{Clock: testClock}, exchangesim.ListenConfig{TLS: true, MicrosoftHosts: true})
		cfg := config(srv, "svc-sync@contoso.com", svcPass, checker.AuthNTLM)
		cfg.EWSURL = "https://outlook.office365.com/EWS/Exchange.asmx"
		addr := strings.TrimPrefix(srv.Info().BaseURL, "https://")
		cfg.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		col, _ := run(t, cfg, checker.Options{}, "alice@contoso.com")
		if auth := col.account()[checker.CheckAuthentication]; auth.Code != checker.CodeOK {
			t.Errorf("authentication: %+v", auth)
		}
		wantRetiring(t, col)
		if v := col.account()[checker.CheckServerVersion]; v.Code != checker.CodeEWSRetiring || v.Evidence.ServerVersion == "" {
			t.Errorf("server_version: %+v", v)
		}
	})

	t.Run("not on premises", func(t *testing.T) {
		t.Parallel()
		srv := startSim(t, exchangesim.Options{}, false)
		col, _ := run(t, config(srv, "svc-sync@contoso.com", svcPass, checker.AuthNTLM), checker.Options{}, "alice@contoso.com")
		for _, r := range col.all() {
			if r.Code == checker.CodeEWSRetiring {
				t.Fatalf("on-premises Exchange warned: %+v", r)
			}
		}
	})
}
