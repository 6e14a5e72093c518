package control

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// DiscoverInput is what the magic wand starts from: the form's service account (an
// empty Password means the saved one) and, optionally, the address to discover for.
type DiscoverInput struct {
	AccountLogon string
	Password     string
	AuthMethod   string
	// Email is the mailbox whose EWS URL to find; default the account logon when it is an
	// address, else the organization's first user.
	Email string
}

// Discover is the magic wand: it finds the EWS URL by Autodiscover, as Outlook does, and
// returns the whole trail of attempts — also with the error when nothing was found, so
// that the admin sees why. It saves nothing.
func (s *Service) Discover(ctx context.Context, p Principal, orgID int64, in DiscoverInput) (*autodiscoverclient.Result, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return nil, err
	}
	rc, err := s.resolve(ctx, orgID, EmailConfigInput{AccountLogon: in.AccountLogon, Password: in.Password, AuthMethod: in.AuthMethod}, false)
	if err != nil {
		return nil, err
	}
	email := strings.TrimSpace(in.Email)
	if email == "" && strings.Contains(rc.logon, "@") {
		email = rc.logon
	}
	if email == "" {
		users, err := s.st.ListUsers(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if len(users) == 0 {
			return nil, inputErr("account_logon", `Enter the account logon as an email address, or add a user first: the magic wand needs an address to ask Autodiscover about.`)
		}
		email = users[0].Email
	}
	if norm, msg := NormalizeEmail(email); msg != "" {
		return nil, inputErr("email", msg)
	} else {
		email = norm
	}
	var auth ewsclient.Authenticator
	if rc.auth == checker.AuthBasic {
		auth = ewsclient.Basic(rc.logon, rc.password)
	} else {
		auth = ewsclient.NTLM(rc.logon, rc.password)
	}
	res, err := autodiscoverclient.Discover(ctx, email, autodiscoverclient.Options{
		Auth: auth, Resolver: s.cfg.Resolver, DialContext: s.dial, RootCAs: s.cfg.RootCAs, Now: s.now,
	})
	if errors.Is(err, autodiscoverclient.ErrInvalidEmail) {
		return nil, inputErr("email", err.Error())
	}
	return res, err
}

// maxTrailBytes bounds a wand trail sent back with the Email Configuration form.
const maxTrailBytes = 256 << 10

// ParseTrail reads a magic-wand result that a form carried back (JSON, as Discover's
// result marshals). Empty gives nil.
func ParseTrail(s string) (*autodiscoverclient.Result, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if len(s) > maxTrailBytes {
		return nil, inputErr("autodiscover_trail", "The magic wand's trail is too large.")
	}
	var r autodiscoverclient.Result
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, inputErr("autodiscover_trail", "The magic wand's trail cannot be read: press the wand again.")
	}
	return &r, nil
}
