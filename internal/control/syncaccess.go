package control

import (
	"context"

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
