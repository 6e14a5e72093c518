package control

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// EWSClient returns an EWS client for an organization's saved configuration, through
// the address guard: what the sync engine reads mailboxes with. It is not an admin's
// action (no principal): the application's wiring hands it to the engine. The client is
// kept for as long as the configuration's version stays the same, so that the sync steps
// of an organization share its connections (and their NTLM logins); a new save builds a
// new client and lets the old one's idle connections go.
func (s *Service) EWSClient(ctx context.Context, orgID int64) (*ewsclient.Client, error) {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return s.ewsClientFor(ctx, c)
}

// ewsClientFor is EWSClient for the organization's configuration as just read.
func (s *Service) ewsClientFor(ctx context.Context, c store.EmailConfig) (*ewsclient.Client, error) {
	orgID := c.OrgID
	if c.AccessType == AccessMicrosoft365App {
		return nil, ErrNotEWS
	}
	s.clients.mu.Lock()
	cached, ok := s.clients.m[orgID]
	s.clients.mu.Unlock()
	if ok && cached.version == c.Version {
		return cached.client, nil
	}
	rc, err := s.savedConfig(ctx, orgID)
	if err != nil {
		return nil, err
	}
	client, err := s.ewsClient(rc)
	if err != nil {
		return nil, err
	}
	s.clients.mu.Lock()
	defer s.clients.mu.Unlock()
	if s.clients.m == nil {
		s.clients.m = map[int64]cachedClient{}
	}
	if cur, ok := s.clients.m[orgID]; ok {
		if cur.version >= c.Version {
			client.CloseIdleConnections()
			return cur.client, nil // another caller built it meanwhile
		}
		cur.client.CloseIdleConnections()
	}
	s.clients.m[orgID] = cachedClient{version: c.Version, client: client}
	return client, nil
}

// ErrNotEWS: the organization uses Microsoft 365 app-only access, read through
// Microsoft Graph (GraphClient), not EWS.
var ErrNotEWS = errors.New("control: the organization is not reached through EWS")

// clientCache holds one EWS client per organization, for its configuration's version.
type clientCache struct {
	mu sync.Mutex
	m  map[int64]cachedClient
}

type cachedClient struct {
	version int64
	client  *ewsclient.Client
}

// EWSHost returns the host (and port) of an organization's saved EWS URL, lower case:
// what the sync engine bounds its concurrency per Exchange server by.
func (s *Service) EWSHost(ctx context.Context, orgID int64) (string, error) {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if err != nil {
		return "", err
	}
	raw := c.EWSURL
	if c.AccessType == AccessMicrosoft365App {
		raw = s.graphURL() // Graph's limits are per tenant: one pool per tenant
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if c.AccessType == AccessMicrosoft365App {
		return strings.ToLower(u.Host) + "/" + c.TenantID, nil
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
