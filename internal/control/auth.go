package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

// ErrBadCredentials: the email address or the password is wrong (which one is not said).
var ErrBadCredentials = errors.New("wrong email address or password")

// RateLimitedError: too many failed logins; try again after RetryAfter.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %d minute(s)", int(e.RetryAfter.Minutes())+1)
}

// Login limits: an address is locked after accountFailures failed logins within
// failureWindow, a client address after ipFailures, until the window has passed since
// the last failure.
const (
	accountFailures = 5
	ipFailures      = 20
	failureWindow   = 15 * time.Minute
	maxTracked      = 100000
)

// loginLimiter counts failed logins per account and per client address.
type loginLimiter struct {
	now  func() time.Time
	mu   sync.Mutex
	fail map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, fail: map[string]*failures{}}
}

// blocked returns how long key must wait, or 0.
func (l *loginLimiter) blocked(key string, limit int) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fail[key]
	if f == nil {
		return 0
	}
	if wait := f.last.Add(failureWindow).Sub(l.now()); wait <= 0 {
		delete(l.fail, key)
		return 0
	} else if f.n >= limit {
		return wait
	}
	return 0
}

func (l *loginLimiter) failed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fail) >= maxTracked {
		for k, f := range l.fail {
			if now.Sub(f.last) > failureWindow {
				delete(l.fail, k)
			}
		}
	}
	for _, k := range keys {
		f := l.fail[k]
		if f == nil || now.Sub(f.last) > failureWindow {
			f = &failures{}
			l.fail[k] = f
		}
		f.n++
		f.last = now
	}
}

func (l *loginLimiter) succeeded(key string) {
	l.mu.Lock()
	delete(l.fail, key)
	l.mu.Unlock()
}

// Session is a login: the token goes into the browser's cookie, the CSRF token into
// every form.
type Session struct {
	Token     string
	CSRFToken string
	Principal Principal
	ExpiresAt time.Time
}

// Login checks an email address and password and opens a session. clientIP is used to
// limit failed attempts.
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	acctKey, ipKey := "account:"+email, "ip:"+clientIP
	if wait := max(s.login.blocked(acctKey, accountFailures), s.login.blocked(ipKey, ipFailures)); wait > 0 {
		return Session{}, &RateLimitedError{RetryAfter: wait}
	}
	acc, err := s.st.GetAccountByEmail(ctx, email)
	hash := acc.PasswordHash
	if errors.Is(err, store.ErrNotFound) {
		hash = s.dummyHash
	} else if err != nil {
		return Session{}, err
	}
	ok, _, verr := secrets.VerifyPassword(hash, password, s.cfg.PasswordParams)
	if err != nil || !ok || verr != nil || password == "" {
		s.login.failed(acctKey, ipKey)
		return Session{}, ErrBadCredentials
	}
	s.login.succeeded(acctKey)
	token, err := secrets.NewToken()
	if err != nil {
		return Session{}, err
	}
	csrf, err := secrets.NewToken()
	if err != nil {
		return Session{}, err
	}
	exp := s.now().Add(s.cfg.SessionTTL)
	if err := s.st.CreateSession(ctx, store.Session{TokenHash: secrets.HashToken(token), AccountID: acc.ID, CSRFToken: csrf, ExpiresAt: exp}); err != nil {
		return Session{}, err
	}
	return Session{Token: token, CSRFToken: csrf, Principal: accountPrincipal(acc), ExpiresAt: exp}, nil
}

func accountPrincipal(acc store.Account) Principal {
	if acc.Role == store.RoleOperator {
		return Principal{Kind: Operator, AccountID: acc.ID, Label: acc.Email}
	}
	return Principal{Kind: OrgAdmin, AccountID: acc.ID, OrgID: acc.OrgID, Label: acc.Email}
}

// SessionFor returns the session of a browser's session token.
func (s *Service) SessionFor(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrUnauthenticated
	}
	sess, acc, err := s.st.GetSession(ctx, secrets.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrUnauthenticated
	}
	if err != nil {
		return Session{}, err
	}
	return Session{Token: token, CSRFToken: sess.CSRFToken, Principal: accountPrincipal(acc), ExpiresAt: sess.ExpiresAt}, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.st.DeleteSession(ctx, secrets.HashToken(token))
}

// tokenPrefix starts every API token, so that a leaked one is recognisable (secret
// scanners) and cannot be mistaken for a session.
const tokenPrefix = "mbt_"

// NewAPIToken is a token just created: Token is shown once and never again.
type NewAPIToken struct {
	Token string
	store.APIToken
}

// CreateAPIToken creates an API token for an organization, or with orgID 0 an operator
// token (operators only).
func (s *Service) CreateAPIToken(ctx context.Context, p Principal, orgID int64, name string) (NewAPIToken, error) {
	if orgID == 0 {
		if err := operatorOnly(p); err != nil {
			return NewAPIToken{}, err
		}
	} else if err := orgAccess(p, orgID); err != nil {
		return NewAPIToken{}, err
	}
	name, msg := cleanName(name, "a name for the token (what will use it)", 100)
	if msg != "" {
		return NewAPIToken{}, inputErr("name", msg)
	}
	raw, err := secrets.NewToken()
	if err != nil {
		return NewAPIToken{}, err
	}
	tok := tokenPrefix + raw
	t, err := s.st.CreateAPIToken(ctx, p.actor(), store.APIToken{OrgID: orgID, Name: name, TokenHash: secrets.HashToken(tok), Prefix: tok[:len(tokenPrefix)+6]})
	if err != nil {
		return NewAPIToken{}, err
	}
	return NewAPIToken{Token: tok, APIToken: t}, nil
}

// ListAPITokens lists an organization's tokens (orgID 0: the operator tokens).
func (s *Service) ListAPITokens(ctx context.Context, p Principal, orgID int64) ([]store.APIToken, error) {
	if orgID == 0 {
		if err := operatorOnly(p); err != nil {
			return nil, err
		}
	} else if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListAPITokens(ctx, orgID)
}

// RevokeAPIToken deletes a token.
func (s *Service) RevokeAPIToken(ctx context.Context, p Principal, orgID, id int64) error {
	if orgID == 0 {
		if err := operatorOnly(p); err != nil {
			return err
		}
	} else if err := orgAccess(p, orgID); err != nil {
		return err
	}
	return s.st.RevokeAPIToken(ctx, p.actor(), orgID, id)
}

// TokenPrincipal returns the principal of an API bearer token.
func (s *Service) TokenPrincipal(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	t, err := s.st.UseAPIToken(ctx, secrets.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	if t.OrgID == 0 {
		return Principal{Kind: OperatorToken, Label: "token:" + t.Name}, nil
	}
	return Principal{Kind: OrgToken, OrgID: t.OrgID, Label: "token:" + t.Name}, nil
}
