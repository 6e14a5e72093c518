package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// NamedLease gives one node the right to do a named piece of work that nodes sharing the
// database must not do twice at once, such as watching an organization's mailboxes for
// streaming notifications ("watch:org:<id>"). Like a mailbox Lease it expires unless
// renewed, so a crashed holder's work is taken over once its TTL has passed, and its
// Token (the fencing token) grows with every new holder. The sentinels are the mailbox
// leases': ErrLeaseHeld and ErrLeaseLost.
type NamedLease struct {
	Name      string
	Owner     string
	Token     int64
	ExpiresAt time.Time
}

// AcquireNamedLease gives owner the lease called name for ttl, with a new fencing token,
// unless another owner holds an unexpired one (ErrLeaseHeld). The lease is created on
// first use.
func (s *Store) AcquireNamedLease(ctx context.Context, name, owner string, ttl time.Duration) (NamedLease, error) {
	l := NamedLease{Name: name, Owner: owner}
	now := s.timestamp()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var cur string
		var token int64
		var exp sql.NullTime
		err := tx.QueryRowContext(ctx, s.q(`SELECT owner, token, expires_at FROM leases WHERE name = ?`+s.forUpdate()), name).
			Scan(&cur, &token, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			l.Token, l.ExpiresAt = 1, now.Add(ttl)
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO leases (name, owner, token, expires_at) VALUES (?, ?, ?, ?)`),
				name, owner, l.Token, l.ExpiresAt)
			if isUnique(err) {
				return ErrLeaseHeld // another node created it meanwhile (PostgreSQL)
			}
			return err
		}
		if err != nil {
			return err
		}
		if cur != "" && cur != owner && exp.Valid && exp.Time.After(now) {
			return ErrLeaseHeld
		}
		l.Token, l.ExpiresAt = token+1, now.Add(ttl)
		_, err = tx.ExecContext(ctx, s.q(`UPDATE leases SET owner = ?, token = ?, expires_at = ? WHERE name = ?`),
			owner, l.Token, l.ExpiresAt, name)
		return err
	})
	if err != nil {
		return NamedLease{}, wrap("acquire lease "+name, err)
	}
	return l, nil
}

// checkNamedLease verifies inside tx that l still holds its lease (the fencing check).
func (s *Store) checkNamedLease(ctx context.Context, tx *sql.Tx, l NamedLease) error {
	var owner string
	var token int64
	err := tx.QueryRowContext(ctx, s.q(`SELECT owner, token FROM leases WHERE name = ?`+s.forUpdate()), l.Name).Scan(&owner, &token)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrLeaseLost
	}
	if err != nil {
		return err
	}
	if owner != l.Owner || token != l.Token {
		return ErrLeaseLost
	}
	return nil
}

// RenewNamedLease extends a held lease by ttl from now, or fails with ErrLeaseLost when
// another owner took it (or it was released). A lease that expired but was not taken
// over is renewed.
func (s *Store) RenewNamedLease(ctx context.Context, l NamedLease, ttl time.Duration) (NamedLease, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkNamedLease(ctx, tx, l); err != nil {
			return err
		}
		l.ExpiresAt = s.timestamp().Add(ttl)
		_, err := tx.ExecContext(ctx, s.q(`UPDATE leases SET expires_at = ? WHERE name = ?`), l.ExpiresAt, l.Name)
		return err
	})
	if err != nil {
		return l, wrap("renew lease "+l.Name, err)
	}
	return l, nil
}

// ReleaseNamedLease gives a held lease back, so that another node may take it at once
// (its token stays, so the next holder gets a greater one). ErrLeaseLost when it was no
// longer held.
func (s *Store) ReleaseNamedLease(ctx context.Context, l NamedLease) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkNamedLease(ctx, tx, l); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE leases SET owner = '', expires_at = NULL WHERE name = ?`), l.Name)
		return err
	})
	return wrap("release lease "+l.Name, err)
}

// GetNamedLease returns the lease called name as it stands (Owner is empty when it is
// free), or ErrNotFound when it was never acquired.
func (s *Store) GetNamedLease(ctx context.Context, name string) (NamedLease, error) {
	l := NamedLease{Name: name}
	var exp sql.NullTime
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT owner, token, expires_at FROM leases WHERE name = ?`), name).
		Scan(&l.Owner, &l.Token, &exp)
	if exp.Valid {
		l.ExpiresAt = exp.Time.UTC()
	}
	return l, wrap("get lease "+name, err)
}

// RenewNamedLeases extends several held leases by ttl in one transaction (a node renews
// every lease it holds at once). It returns those still held, with their new expiry;
// the others were taken over or released.
func (s *Store) RenewNamedLeases(ctx context.Context, ls []NamedLease, ttl time.Duration) ([]NamedLease, error) {
	var held []NamedLease
	err := s.tx(ctx, func(tx *sql.Tx) error {
		held = held[:0]
		exp := s.timestamp().Add(ttl)
		for _, l := range ls {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND token = ?`),
				exp, l.Name, l.Owner, l.Token)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				l.ExpiresAt = exp
				held = append(held, l)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("renew leases", err)
	}
	return held, nil
}

// NamedLeases returns the leases whose names start with prefix, by name.
func (s *Store) NamedLeases(ctx context.Context, prefix string) ([]NamedLease, error) {
	pattern := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT name, owner, token, expires_at FROM leases WHERE name LIKE ? ESCAPE '\' ORDER BY name`), pattern)
	if err != nil {
		return nil, wrap("list leases", err)
	}
	defer rows.Close()
	var out []NamedLease
	for rows.Next() {
		var l NamedLease
		var exp sql.NullTime
		if err := rows.Scan(&l.Name, &l.Owner, &l.Token, &exp); err != nil {
			return nil, wrap("list leases", err)
		}
		if exp.Valid {
			l.ExpiresAt = exp.Time.UTC()
		}
		out = append(out, l)
	}
	return out, wrap("list leases", rows.Err())
}

// MailboxAddress is an active mailbox and its user's address.
type MailboxAddress struct {
	UserID int64
	Email  string
}

// ActiveMailboxAddresses lists the organization's active mailboxes with their addresses,
// by address (the notification watcher subscribes them).
func (s *Store) ActiveMailboxAddresses(ctx context.Context, orgID int64) ([]MailboxAddress, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT m.user_id, u.email FROM mailboxes m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.state = 'active' ORDER BY u.email`), orgID)
	if err != nil {
		return nil, wrap("active mailbox addresses", err)
	}
	defer rows.Close()
	var out []MailboxAddress
	for rows.Next() {
		var m MailboxAddress
		if err := rows.Scan(&m.UserID, &m.Email); err != nil {
			return nil, wrap("active mailbox addresses", err)
		}
		out = append(out, m)
	}
	return out, wrap("active mailbox addresses", rows.Err())
}

// HoldNamedLease runs fn while holding the named lease, so that one holder at a time
// does the work: it renews the lease every ttl/3 as fn runs, cancels fn's context when
// another holder has taken the lease over, and releases it when fn returns. It returns
// ErrLeaseHeld, without calling fn, when the lease is held already.
func (s *Store) HoldNamedLease(ctx context.Context, name, owner string, ttl time.Duration, fn func(ctx context.Context) error) error {
	l, err := s.AcquireNamedLease(ctx, name, owner, ttl)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-t.C:
				nl, err := s.RenewNamedLease(cctx, l, ttl)
				if errors.Is(err, ErrLeaseLost) {
					cancel() // another holder took over: stop
					return
				}
				if err == nil {
					l = nl
				}
			}
		}
	}()
	err = fn(cctx)
	cancel()
	<-done
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	_ = s.ReleaseNamedLease(rctx, l)
	return err
}
