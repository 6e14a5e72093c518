package store

import (
	"context"
	"database/sql"
	"time"
)

// CheckRun is one press of "Check Users Exchange Impersonated Access" (or a scheduled
// check): the configuration it checked and, when finished, its summary. Runs and their
// results are kept as history.
type CheckRun struct {
	ID           int64
	OrgID        int64
	StartedBy    string // the actor's label
	EWSURL       string
	AccountLogon string
	State        string // "running", "done", "failed", "cancelled"
	Error        string // why a failed run failed
	Summary      string // the checker's summary, as JSON
	StartedAt    time.Time
	FinishedAt   *time.Time
}

// CheckResult is one result of a run, for a user or (User empty) the service account.
type CheckResult struct {
	ID      int64
	RunID   int64
	User    string
	Check   string
	Status  string
	Code    string
	Message string
	Fix     string
	Detail  string // the rest of the result (evidence, confidence) as JSON; never a secret
}

// StartCheckRun records the start of a check run.
func (s *Store) StartCheckRun(ctx context.Context, a Actor, r CheckRun) (CheckRun, error) {
	r.State, r.StartedAt, r.StartedBy = "running", s.timestamp(), a.Label
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO check_runs (org_id, started_by, ews_url, account_logon, state, started_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), r.OrgID, r.StartedBy, r.EWSURL, r.AccountLogon, r.State, r.StartedAt).Scan(&r.ID)
		if isForeignKey(err) {
			return ErrNotFound
		}
		return err
	})
	return r, wrap("start check run", err)
}

// AddCheckResults appends results to a running run of the organization.
func (s *Store) AddCheckResults(ctx context.Context, orgID, runID int64, results []CheckResult) error {
	if len(results) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT state FROM check_runs WHERE org_id = ? AND id = ?`), orgID, runID).Scan(&state); err != nil {
			return err
		}
		if state != "running" {
			return ErrConflict
		}
		ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO check_results (run_id, org_id, user_email, check_name, status, code, message, fix, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`))
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, r := range results {
			if _, err := ins.ExecContext(ctx, runID, orgID, r.User, r.Check, r.Status, r.Code, r.Message, r.Fix, r.Detail); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("add check results", err)
}

// FinishCheckRun ends a running run with its state ("done", "failed" or "cancelled"),
// error text and summary.
func (s *Store) FinishCheckRun(ctx context.Context, orgID, runID int64, state, errText, summary string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE check_runs SET state = ?, error = ?, summary = ?, finished_at = ?
			WHERE org_id = ? AND id = ? AND state = 'running'`), state, errText, summary, s.timestamp(), orgID, runID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = ErrNotFound
			}
			return err
		}
		return nil
	})
	return wrap("finish check run", err)
}

const runColumns = `id, org_id, started_by, ews_url, account_logon, state, error, summary, started_at, finished_at`

func scanRun(sc interface{ Scan(...any) error }) (CheckRun, error) {
	var r CheckRun
	var fin sql.NullTime
	err := sc.Scan(&r.ID, &r.OrgID, &r.StartedBy, &r.EWSURL, &r.AccountLogon, &r.State, &r.Error, &r.Summary, &r.StartedAt, &fin)
	r.StartedAt, r.FinishedAt = r.StartedAt.UTC(), nullTime(fin)
	return r, err
}

// ListCheckRuns returns an organization's newest runs, at most limit.
func (s *Store) ListCheckRuns(ctx context.Context, orgID int64, limit int) ([]CheckRun, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+runColumns+` FROM check_runs WHERE org_id = ? ORDER BY id DESC LIMIT ?`), orgID, limit)
	if err != nil {
		return nil, wrap("list check runs", err)
	}
	defer rows.Close()
	var out []CheckRun
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, wrap("list check runs", err)
		}
		out = append(out, r)
	}
	return out, wrap("list check runs", rows.Err())
}

// GetCheckRun returns a run of the organization and its results in order.
func (s *Store) GetCheckRun(ctx context.Context, orgID, runID int64) (CheckRun, []CheckResult, error) {
	r, err := scanRun(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM check_runs WHERE org_id = ? AND id = ?`), orgID, runID))
	if err != nil {
		return CheckRun{}, nil, wrap("get check run", err)
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT id, run_id, user_email, check_name, status, code, message, fix, detail
		FROM check_results WHERE org_id = ? AND run_id = ? ORDER BY id`), orgID, runID)
	if err != nil {
		return CheckRun{}, nil, wrap("get check run", err)
	}
	defer rows.Close()
	var out []CheckResult
	for rows.Next() {
		var c CheckResult
		if err := rows.Scan(&c.ID, &c.RunID, &c.User, &c.Check, &c.Status, &c.Code, &c.Message, &c.Fix, &c.Detail); err != nil {
			return CheckRun{}, nil, wrap("get check run", err)
		}
		out = append(out, c)
	}
	return r, out, wrap("get check run", rows.Err())
}
