package control

import (
	"context"
	"net/url"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

// EWSClient returns an EWS client for an organization's saved configuration, through
// the address guard: what the sync engine reads mailboxes with. It is not an admin's
// action (no principal): the application's wiring hands it to the engine.
func (s *Service) EWSClient(ctx context.Context, orgID int64) (*ewsclient.Client, error) {
	rc, err := s.savedConfig(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return s.ewsClient(rc)
}

// EWSHost returns the host (and port) of an organization's saved EWS URL, lower case:
// what the sync engine bounds its concurrency per Exchange server by.
func (s *Service) EWSHost(ctx context.Context, orgID int64) (string, error) {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(c.EWSURL)
	if err != nil {
		return "", err
	}
	return strings.ToLower(u.Host), nil
}
