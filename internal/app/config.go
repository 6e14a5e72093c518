package app

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mailbridge/mailbridge/internal/autodiscover/autodiscoverclient"
	"github.com/mailbridge/mailbridge/internal/hostoverride"
	"github.com/mailbridge/mailbridge/internal/secrets"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Config is the whole configuration of a mailbridge server. The command line fills it
// from flags and MAILBRIDGE_* environment variables (README, "Configuration").
type Config struct {
	// Addr is the listen address of the admin panel and API.
	Addr string
	// DataDir holds the SQLite database and the generated master key file.
	DataDir string
	// Database is the database: "sqlite:PATH" or "postgres://…"; default
	// sqlite:DataDir/mailbridge.db.
	Database string
	// Migrate applies missing schema migrations at start; without it an out-of-date
	// database is refused (run `mailbridge migrate`).
	Migrate bool

	// MasterKey is the key that seals stored secrets (64 hex characters or base64 of 32
	// bytes); it takes precedence over MasterKeyFile.
	MasterKey string
	// MasterKeyFile is a file holding the master key; default DataDir/master.key.
	MasterKeyFile string
	// GenerateKey creates MasterKeyFile (mode 0600) when neither a key nor the file exists.
	GenerateKey bool
	// PreviousKeys are retired master keys still accepted for reading, during a rotation.
	PreviousKeys []string

	// AllowPrivateEndpoints lets EWS URLs and Autodiscover reach loopback and private
	// networks (an Exchange on the company network, the simulator); cloud metadata
	// addresses stay refused.
	AllowPrivateEndpoints bool
	// Resolve are host overrides in curl's --resolve form.
	Resolve []string
	// CAFile is a PEM file of extra certificate authorities trusted for Exchange.
	CAFile string
	// RootCAs, when set (demo, tests), are the only authorities trusted for Exchange.
	RootCAs *x509.CertPool
	// EntraAuthority and GraphURL are where Microsoft 365 app-only access asks for tokens
	// and reads mailboxes; empty: Microsoft's global cloud.
	EntraAuthority, GraphURL string
	// Resolver answers Autodiscover's DNS SRV lookups (demo, tests); nil: the system's.
	Resolver autodiscoverclient.Resolver

	// TLSCert and TLSKey serve HTTPS directly; PublicURL is the address people use (its
	// scheme decides whether cookies are Secure when a proxy terminates TLS).
	TLSCert, TLSKey string
	PublicURL       string
	// ShutdownTimeout bounds how long in-flight requests may take to finish at shutdown.
	ShutdownTimeout time.Duration
	// CheckConcurrency bounds the EWS requests one access check has in flight.
	CheckConcurrency int
	// PasswordParams are the argon2id parameters of admin passwords (zero: the defaults).
	PasswordParams secrets.Params

	// Workers bounds the mailbox sync jobs this node runs at once; 0 runs none (a node
	// that serves the panel only).
	Workers int
	// PollInterval is how often an up-to-date mailbox is synced again: default 1 minute,
	// or 10 minutes with streaming notifications (which sync a changed mailbox within
	// seconds; polling is then the fallback).
	PollInterval time.Duration
	// RecheckInterval is how often every organization's access is re-checked (default 6
	// hours).
	RecheckInterval time.Duration
	// GroupSyncInterval is how often the distribution groups organizations keep in sync
	// are re-read (default 60 minutes); RetentionInterval how often items older than an
	// organization's retention are purged (default 1 hour).
	GroupSyncInterval, RetentionInterval time.Duration
	// AccountSlots and ServerSlots bound the sync steps running at once, across all
	// nodes, per service account and per Exchange server (defaults 8 and 64).
	AccountSlots, ServerSlots int
	// LeaseTTL is how long a mailbox lease lasts without renewal: a dead worker's
	// mailboxes are taken over within about 1.5 LeaseTTL (default 12 s).
	LeaseTTL time.Duration
	PollOnly bool // no streaming notifications: mailboxes are synced by polling alone
	// LookBack limits the initial sync to the items of the last LookBack.
	LookBack time.Duration
	// FullBody stores message bodies, not only their preview.
	FullBody bool
	// NodeID names this node in leases and the job queue (default: generated).
	NodeID string
	// PageSize is how many item changes one SyncFolderItems asks for (1–512; default
	// 512); FetchBatch how many items one GetItem fetches (default 128).
	PageSize, FetchBatch int
	// Failpoint, if set, is called at the sync engine's named points (see
	// syncer.Options.Failpoint): `mailbridge worker` sets it for crash-safety tests.
	Failpoint func(name string)
	// Notify configures webhooks and alerts (notify.go).
	Notify NotifyConfig
}

// withDefaults fills in the defaults.
func (c Config) withDefaults() Config {
	if c.PollInterval == 0 {
		c.PollInterval = 10 * time.Minute
		if c.PollOnly {
			c.PollInterval = time.Minute
		}
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "mailbridge-data"
	}
	if c.Database == "" {
		c.Database = "sqlite:" + filepath.Join(c.DataDir, "mailbridge.db")
	}
	if c.MasterKeyFile == "" {
		c.MasterKeyFile = filepath.Join(c.DataDir, "master.key")
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	return c
}

// Validate reports what is wrong with the configuration.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, _, err := store.ParseDSN(c.Database); err != nil {
		errs = append(errs, err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if _, err := hostoverride.Parse(c.Resolve); err != nil {
		errs = append(errs, fmt.Errorf("--resolve: %w", err))
	}
	if c.CAFile != "" {
		if _, err := os.Stat(c.CAFile); err != nil {
			errs = append(errs, fmt.Errorf("--ca-file: %w", err))
		}
	}
	if c.Workers < 0 {
		errs = append(errs, errors.New("--workers must not be negative"))
	}
	if c.PollInterval < 0 || c.LookBack < 0 {
		errs = append(errs, errors.New("--poll-interval and --look-back must not be negative"))
	}
	if c.PageSize < 0 || c.PageSize > 512 {
		errs = append(errs, errors.New("--page-size must be 1–512"))
	}
	if c.FetchBatch < 0 {
		errs = append(errs, errors.New("--fetch-batch must be positive"))
	}
	if c.CheckConcurrency < 0 {
		errs = append(errs, errors.New("--check-concurrency must not be negative"))
	}
	if err := c.Notify.SMTP.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Notify.Alerts.ErrorMailboxes < 0 || c.Notify.Alerts.ErrorPercent < 0 || c.Notify.Alerts.ErrorPercent > 100 || c.Notify.Alerts.ErrorFor < 0 {
		errs = append(errs, errors.New("--alert-error-mailboxes, --alert-error-percent (0–100) and --alert-error-for must not be negative"))
	}
	return errors.Join(errs...)
}

// loadKeys returns the master key (and retired ones) as configured, creating the key
// file when asked to and none exists.
func (c Config) loadKeys() (primary []byte, previous [][]byte, generated bool, err error) {
	switch {
	case c.MasterKey != "":
		if primary, err = secrets.LoadKey(c.MasterKey); err != nil {
			return nil, nil, false, fmt.Errorf("MAILBRIDGE_MASTER_KEY: %w", err)
		}
	default:
		primary, err = secrets.LoadKeyFile(c.MasterKeyFile)
		if errors.Is(err, os.ErrNotExist) && c.GenerateKey {
			if err := os.MkdirAll(filepath.Dir(c.MasterKeyFile), 0o700); err != nil {
				return nil, nil, false, err
			}
			primary, err = secrets.GenerateKeyFile(c.MasterKeyFile)
			generated = err == nil
		}
		if err != nil {
			return nil, nil, false, fmt.Errorf("master key: %w (set MAILBRIDGE_MASTER_KEY, or --master-key-file; `mailbridge serve` creates %s on first start)", err, c.MasterKeyFile)
		}
	}
	for i, k := range c.PreviousKeys {
		b, err := secrets.LoadKey(k)
		if err != nil {
			return nil, nil, false, fmt.Errorf("previous master key %d: %w", i+1, err)
		}
		previous = append(previous, b)
	}
	return primary, previous, generated, nil
}
