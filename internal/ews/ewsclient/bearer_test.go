package ewsclient_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mailbridge/mailbridge/internal/entra"
	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// staleFirst hands out a token Exchange refuses until Invalidate is called, then the
// real source's: a cached token that was revoked.
type staleFirst struct {
	*entra.TokenSource
	invalidated atomic.Int32
}

func (s *staleFirst) AccessToken(ctx context.Context) (string, error) {
	if s.invalidated.Load() == 0 {
		return "stale.token.value", nil
	}
	return s.TokenSource.AccessToken(ctx)
}

func (s *staleFirst) Invalidate() {
	s.invalidated.Add(1)
	s.TokenSource.Invalidate()
}

// Exchange Online's EWS takes app-only bearer tokens: the client sends them, drops a
// refused one once and asks for a new one, and tells EWS switched off for the tenant by a
// typed error.
func TestBearerExchangeOnline(t *testing.T) {
	t.Parallel()
	tg := simTarget(t, exchangesim.Options{Microsoft365: exchangesim.Microsoft365Options{ExchangeOnline: true}}, exchangesim.ListenConfig{})
	ts, err := entra.NewTokenSource(entra.Credentials{Tenant: exchangesim.ContosoTenantID, ClientID: exchangesim.ContosoAppClientID,
		ClientSecret: exchangesim.ContosoAppSecret}, entra.EWSScope, entra.Options{Authority: tg.Srv.AuthorityURL()})
	if err != nil {
		t.Fatal(err)
	}
	inbox := &ews.GetFolderRequest{FolderShape: ews.FolderShape{BaseShape: ews.ShapeDefault},
		FolderIds: ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("inbox")}}}
	ctx := context.Background()

	c := tg.client(t, ewsclient.Bearer(ts), ewsclient.Options{})
	if _, err := c.GetFolder(ctx, "alice@contoso.com", inbox); err != nil {
		t.Fatalf("bearer: %v", err)
	}

	stale := &staleFirst{TokenSource: ts}
	c = tg.client(t, ewsclient.Bearer(stale), ewsclient.Options{})
	if _, err := c.GetFolder(ctx, "alice@contoso.com", inbox); err != nil || stale.invalidated.Load() != 1 {
		t.Fatalf("stale token: %v (invalidated %d times)", err, stale.invalidated.Load())
	}

	// A token that stays refused is an *AuthError after one retry, not a loop.
	bad := &staleFirst{TokenSource: ts}
	badAuth := ewsclient.Bearer(alwaysStale{bad})
	c = tg.client(t, badAuth, ewsclient.Options{})
	_, err = c.GetFolder(ctx, "alice@contoso.com", inbox)
	var ae *ewsclient.AuthError
	if !errors.As(err, &ae) || bad.invalidated.Load() != 1 || strings.Contains(err.Error(), "stale.token.value") || !strings.Contains(err.Error(), "full_access_as_app") {
		t.Fatalf("refused token: %v (invalidated %d times)", err, bad.invalidated.Load())
	}

	if err := tg.Sim.World().SetEWSEnabled(false); err != nil {
		t.Fatal(err)
	}
	c = tg.client(t, ewsclient.Bearer(ts), ewsclient.Options{})
	_, err = c.GetFolder(ctx, "alice@contoso.com", inbox)
	var he *ewsclient.HTTPError
	if !errors.Is(err, ewsclient.ErrEWSDisabled) || !errors.As(err, &he) || he.Status != 403 || !strings.Contains(err.Error(), "Microsoft Graph") {
		t.Fatalf("EWS disabled: %v", err)
	}
}

// alwaysStale never gets past the refused token.
type alwaysStale struct{ s *staleFirst }

func (a alwaysStale) AccessToken(context.Context) (string, error) { return "stale.token.value", nil }
func (a alwaysStale) Invalidate()                                 { a.s.invalidated.Add(1) }
