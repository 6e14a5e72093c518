package control

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/syncer"
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

// SyncFolders returns the folders an organization's saved configuration syncs: what the
// sync engine asks at each step. Like EWSClient it is the wiring's, not an admin's.
func (s *Service) SyncFolders(ctx context.Context, orgID int64) (syncer.Folders, error) {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if err != nil {
		return 0, err
	}
	f, err := syncer.ParseFolderList(c.SyncFolders)
	if err != nil {
		return 0, fmt.Errorf("control: the saved folder selection: %w", err)
	}
	if f == 0 {
		return 0, fmt.Errorf("control: the saved configuration selects no folder")
	}
	return f, nil
}
