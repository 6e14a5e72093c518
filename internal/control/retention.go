package control

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/store"
	"github.com/mailbridge/mailbridge/internal/syncer"
)

// Retention. An organization may keep its items for N days only: a periodic purge
// deletes the messages received and the events ended before then (contacts have no
// date and stay), each deletion in the change feed, and the sync engine does not fetch
// such items again. The engine's look-back already skips every item created or updated
// outside its window (see syncer.Options.LookBack), so with N ≥ the look-back a purged
// item is never fetched again; with N < the look-back, an item between N days and the
// look-back would come back with a full resync, a new mailbox or an edit of an old item:
// SyncSource leaves such items out of what the engine sees.

// Retention returns how many days of items the organization keeps (0: forever).
func (s *Service) Retention(ctx context.Context, p Principal, orgID int64) (int, error) {
	if err := orgAccess(p, orgID); err != nil {
		return 0, err
	}
	return s.st.Retention(ctx, orgID)
}

// SetRetention sets how many days of items the organization keeps: 0 keeps them
// forever, otherwise 1 to store.MaxRetentionDays. Items older than that are purged by the
// next periodic purge.
func (s *Service) SetRetention(ctx context.Context, p Principal, orgID int64, days int) error {
	if err := orgAccess(p, orgID); err != nil {
		return err
	}
	if days < 0 || days > store.MaxRetentionDays {
		return inputErr("days", "Enter a number of days from 1 to "+strconv.Itoa(store.MaxRetentionDays)+", or 0 to keep items forever.")
	}
	return s.st.SetRetention(ctx, p.actor(), orgID, days)
}

// ParseRetentionDays reads a number of days typed in a form ("" is 0: forever).
func ParseRetentionDays(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, inputErr("days", "Enter a whole number of days, or 0 to keep items forever.")
	}
	return n, nil
}

// retentionCutoff returns the time before which the organization's items are purged,
// or false when it keeps them forever.
func (s *Service) retentionCutoff(ctx context.Context, orgID int64) (time.Time, bool, error) {
	days, err := s.st.Retention(ctx, orgID)
	if err != nil || days == 0 {
		return time.Time{}, false, err
	}
	return s.now().UTC().Add(-time.Duration(days) * 24 * time.Hour), true, nil
}

// purgeBatch is how many items one purge transaction deletes at most.
const purgeBatch = 500

// PurgeExpired deletes the organization's items older than its retention (the job
// runner's, not an admin's action), under the lease "retention:org:<id>"; an
// organization without a retention, deleted, or being purged elsewhere is skipped.
func (s *Service) PurgeExpired(ctx context.Context, orgID int64) (store.PurgeResult, error) {
	var res store.PurgeResult
	err := s.withLease(ctx, "retention:org:"+strconv.FormatInt(orgID, 10), errPurgeBusy, func(ctx context.Context) error {
		cutoff, ok, err := s.retentionCutoff(ctx, orgID)
		if !ok || err != nil {
			return err
		}
		res, err = s.st.PurgeItems(ctx, store.System, orgID, cutoff, purgeBatch)
		return err
	})
	if errors.Is(err, errPurgeBusy) || errors.Is(err, store.ErrNotFound) {
		return res, nil
	}
	return res, err
}

// errPurgeBusy: another node purges the organization.
var errPurgeBusy = errors.New("control: a purge of the organization is running")

// SyncSource returns what the sync engine reads an organization's mailboxes through:
// EWS with the saved configuration (see EWSClient), leaving out the items older than the
// organization's retention, so that a purged item is not fetched again. Like EWSClient
// it is the wiring's, not an admin's; it is asked at every step, so a changed retention
// applies at the next one.
func (s *Service) SyncSource(ctx context.Context, orgID int64, fetchBatch int) (syncer.Source, error) {
	cfg, err := s.st.GetEmailConfig(ctx, orgID) // read once: the step's hot path
	if err != nil {
		return nil, err
	}
	var src syncer.Source
	if cfg.AccessType == AccessMicrosoft365App {
		c, err := s.graphClientFor(ctx, cfg)
		if err != nil {
			return nil, err
		}
		src = &syncer.GraphSource{Client: c, Now: s.now}
	} else {
		c, err := s.ewsClientFor(ctx, cfg)
		if err != nil {
			return nil, err
		}
		src = &syncer.EWSSource{Client: c, FetchBatch: fetchBatch}
	}
	cutoff, ok, err := s.retentionCutoff(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if ok {
		src = RetentionSource(src, cutoff)
	}
	return src, nil
}

// RetentionSource returns a Source that leaves out of src's item changes the creates and
// updates of items dated before cutoff (their Time: a message's received time, an
// event's end), as the engine leaves out those outside its look-back: they are neither
// fetched nor stored. Deletes and read flags pass (they only touch stored items).
func RetentionSource(src syncer.Source, cutoff time.Time) syncer.Source {
	return retentionSource{Source: src, cutoff: cutoff}
}

type retentionSource struct {
	syncer.Source
	cutoff time.Time
}

// SyncItems implements syncer.Source.
func (r retentionSource) SyncItems(ctx context.Context, mailbox string, folder syncer.FolderRef, state string, max int) (syncer.ItemsPage, error) {
	page, err := r.Source.SyncItems(ctx, mailbox, folder, state, max)
	if err != nil {
		return page, err
	}
	kept := page.Changes[:0:0]
	for _, c := range page.Changes {
		if (c.Op == syncer.OpCreate || c.Op == syncer.OpUpdate) && c.Time != nil && c.Time.Before(r.cutoff) {
			continue
		}
		kept = append(kept, c)
	}
	page.Changes = kept
	return page, nil
}
