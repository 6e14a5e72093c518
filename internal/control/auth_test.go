package control_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/control/controltest"
	"github.com/mailbridge/mailbridge/internal/store"
)

func TestLoginAndSessions(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	org := e.Org(t, "Contoso")
	acc, err := e.Service.CreateOrgAdmin(ctx, e.Operator, org, control.NewAdmin{Email: "Admin@Contoso.com", Name: "Ada", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.PasswordHash == "" || acc.PasswordHash == "correct horse battery" {
		t.Fatal("password not hashed")
	}
	_, err = e.Service.CreateOrgAdmin(ctx, e.Operator, org, control.NewAdmin{Email: "x@contoso.com", Password: "short"})
	fieldErr(t, err, "password", "12 characters")
	_, err = e.Service.CreateOrgAdmin(ctx, e.Operator, org, control.NewAdmin{Email: "admin@contoso.com", Password: "another long password"})
	fieldErr(t, err, "email", "exists already")

	sess, err := e.Service.Login(ctx, "admin@contoso.com", "correct horse battery", "192.0.2.1")
	if err != nil || sess.Token == "" || sess.CSRFToken == "" || sess.Principal.Kind != control.OrgAdmin || sess.Principal.OrgID != org {
		t.Fatalf("login: %+v %v", sess, err)
	}
	got, err := e.Service.SessionFor(ctx, sess.Token)
	if err != nil || got.Principal != sess.Principal || got.CSRFToken != sess.CSRFToken {
		t.Fatalf("session: %+v %v", got, err)
	}
	if err := e.Service.Logout(ctx, sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.SessionFor(ctx, sess.Token); !errors.Is(err, control.ErrUnauthenticated) {
		t.Fatalf("session after logout: %v", err)
	}
	if _, err := e.Service.SessionFor(ctx, "forged"); !errors.Is(err, control.ErrUnauthenticated) {
		t.Fatalf("forged session: %v", err)
	}
	// A wrong password and an unknown address get the same answer.
	_, err1 := e.Service.Login(ctx, "admin@contoso.com", "wrong", "192.0.2.2")
	_, err2 := e.Service.Login(ctx, "nobody@contoso.com", "wrong", "192.0.2.2")
	if !errors.Is(err1, control.ErrBadCredentials) || !errors.Is(err2, control.ErrBadCredentials) || err1.Error() != err2.Error() {
		t.Fatalf("wrong password %v, unknown address %v", err1, err2)
	}
	if _, err := e.Service.Login(ctx, "admin@contoso.com", "", "192.0.2.2"); !errors.Is(err, control.ErrBadCredentials) {
		t.Fatalf("empty password: %v", err)
	}
}

func TestLoginRateLimited(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	e := controltest.New(t, controltest.Options{})
	// A service with a controllable clock over the same store.
	svc := e.WithClock(t, func() time.Time { return now })
	org := e.Org(t, "Contoso")
	if _, err := svc.CreateOrgAdmin(ctx, e.Operator, org, control.NewAdmin{Email: "admin@contoso.com", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := svc.Login(ctx, "admin@contoso.com", "wrong", "192.0.2.1"); !errors.Is(err, control.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Locked now, even with the right password, from any address.
	_, err := svc.Login(ctx, "admin@contoso.com", "correct horse battery", "198.51.100.7")
	var rl *control.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter <= 0 || rl.RetryAfter > 15*time.Minute {
		t.Fatalf("sixth attempt: %v", err)
	}
	now = now.Add(16 * time.Minute)
	if _, err := svc.Login(ctx, "admin@contoso.com", "correct horse battery", "198.51.100.7"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// One client address trying many accounts is limited too.
	for i := range 20 {
		svc.Login(ctx, "user"+string(rune('a'+i))+"@contoso.com", "x", "203.0.113.9")
	}
	if _, err := svc.Login(ctx, "admin@contoso.com", "correct horse battery", "203.0.113.9"); !errors.As(err, &rl) {
		t.Fatalf("address over its limit: %v", err)
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	e := controltest.New(t, controltest.Options{})
	a := e.Org(t, "A")
	b := e.Org(t, "B")
	tok, err := e.Service.CreateAPIToken(ctx, controltest.Admin(a), a, "CRM")
	if err != nil || len(tok.Token) < 40 || tok.Prefix == "" || tok.Token[:len(tok.Prefix)] != tok.Prefix {
		t.Fatalf("create: %+v %v", tok, err)
	}
	p, err := e.Service.TokenPrincipal(ctx, tok.Token)
	if err != nil || p.Kind != control.OrgToken || p.OrgID != a || p.Label != "token:CRM" {
		t.Fatalf("principal: %+v %v", p, err)
	}
	if _, err := e.Service.GetOrganization(ctx, p, b); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("A's token read B: %v", err)
	}
	if _, err := e.Service.CreateAPIToken(ctx, controltest.Admin(a), 0, "ops"); !errors.Is(err, control.ErrForbidden) {
		t.Fatalf("an admin made an operator token: %v", err)
	}
	if _, err := e.Service.CreateAPIToken(ctx, controltest.Admin(a), b, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("A's admin made a token for B: %v", err)
	}
	opTok, err := e.Service.CreateAPIToken(ctx, e.Operator, 0, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.Service.TokenPrincipal(ctx, opTok.Token); err != nil || !p.IsOperator() {
		t.Fatalf("operator token: %+v %v", p, err)
	}
	for _, bad := range []string{"", "mbt_", "mbt_nope", tok.Token + "x", tok.Token[4:]} {
		if _, err := e.Service.TokenPrincipal(ctx, bad); !errors.Is(err, control.ErrUnauthenticated) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := e.Service.RevokeAPIToken(ctx, controltest.Admin(b), b, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("B revoked A's token: %v", err)
	}
	if err := e.Service.RevokeAPIToken(ctx, controltest.Admin(a), a, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.TokenPrincipal(ctx, tok.Token); !errors.Is(err, control.ErrUnauthenticated) {
		t.Fatalf("revoked token: %v", err)
	}
}
