package control

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/store"
)

// CheckOutcome is what a check run came to.
type CheckOutcome struct {
	Run     store.CheckRun
	Summary checker.Summary
}

// resultBatch is how many results are written to the store at a time.
const resultBatch = 200

// RunCheck is "Check Users Exchange Impersonated Access": it checks the form's values as
// they stand (unsaved; an empty Password means the saved one) against every user of the
// organization, reports each result to emit as soon as it is known, keeps the run and
// its results as history and records each user's status. Cancelling ctx stops the check;
// the run is then recorded as cancelled. What Exchange refuses or fails at is a result
// of the run (with its diagnosis), not an error; a saved password that cannot be
// decrypted is ErrSealedPasswordUnreadable.
func (s *Service) RunCheck(ctx context.Context, p Principal, orgID int64, in EmailConfigInput, emit func(checker.Result)) (CheckOutcome, error) {
	if err := orgAccess(p, orgID); err != nil {
		return CheckOutcome{}, err
	}
	if _, err := s.st.GetOrganization(ctx, orgID); err != nil {
		return CheckOutcome{}, err
	}
	rc, err := s.resolve(ctx, orgID, in, true)
	if err != nil {
		return CheckOutcome{}, err
	}
	users, err := s.st.ListUsers(ctx, orgID)
	if err != nil {
		return CheckOutcome{}, err
	}
	emails := make([]string, len(users))
	for i, u := range users {
		emails[i] = u.Email
	}
	ck, err := s.newChecker(rc)
	if err != nil {
		return CheckOutcome{}, err
	}
	record := store.CheckRun{OrgID: orgID, EWSURL: rc.ewsURL, AccountLogon: rc.logon}
	if rc.accessType == AccessMicrosoft365App {
		record.EWSURL, record.AccountLogon = s.graphURL(), rc.clientID
	}
	run, err := s.st.StartCheckRun(ctx, p.actor(), record)
	if err != nil {
		return CheckOutcome{}, err
	}
	// The run's records are written even when ctx ends: they say it was cancelled.
	bg := context.WithoutCancel(ctx)
	var (
		batch   []store.CheckResult
		saveErr error
		final   = map[string]checker.Result{} // each user's last result
		flush   = func() {
			if saveErr == nil && len(batch) > 0 {
				saveErr = s.st.AddCheckResults(bg, orgID, run.ID, batch)
			}
			batch = batch[:0]
		}
	)
	sum, checkErr := ck.Check(ctx, emails, func(r checker.Result) {
		detail, _ := json.Marshal(struct {
			Confidence       checker.Confidence `json:"confidence,omitempty"`
			ConfidenceReason string             `json:"confidence_reason,omitempty"`
			Refined          bool               `json:"refined,omitempty"`
			Evidence         checker.Evidence   `json:"evidence"`
		}{r.Confidence, r.ConfidenceReason, r.Refined, r.Evidence})
		batch = append(batch, store.CheckResult{User: r.User, Check: r.Check, Status: string(r.Status), Code: string(r.Code),
			Message: r.Message, Fix: r.Fix, Detail: string(detail)})
		if len(batch) >= resultBatch {
			flush()
		}
		if r.User != "" {
			final[r.User] = r
		}
		if emit != nil {
			emit(r)
		}
	})
	flush()
	statuses := make([]store.UserStatus, 0, len(final))
	for u, r := range final {
		statuses = append(statuses, store.UserStatus{Email: u, Status: string(r.Status), Code: string(r.Code), Message: r.Message})
	}
	if err := s.st.SetUserStatuses(bg, orgID, statuses); err != nil && saveErr == nil {
		saveErr = err
	}
	state, errText := "done", ""
	switch {
	case errors.Is(checkErr, context.Canceled) || errors.Is(checkErr, context.DeadlineExceeded):
		state = "cancelled"
	case checkErr != nil:
		state, errText = "failed", checkErr.Error()
	case saveErr != nil:
		state, errText = "failed", "results could not be saved"
	}
	sumJSON, _ := json.Marshal(sum)
	fctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	if err := s.st.FinishCheckRun(fctx, orgID, run.ID, state, errText, string(sumJSON)); err != nil && saveErr == nil {
		saveErr = err
	}
	run.State, run.Error, run.Summary = state, errText, string(sumJSON)
	if checkErr != nil {
		return CheckOutcome{Run: run, Summary: sum}, checkErr
	}
	return CheckOutcome{Run: run, Summary: sum}, saveErr
}

// IsAppCheckRun reports whether a check run checked Microsoft 365 app-only access: its
// record then holds the app's client ID (a GUID, which no EWS account logon is) as
// AccountLogon and Microsoft Graph's base URL as EWSURL.
func IsAppCheckRun(run store.CheckRun) bool { return isGUID(run.AccountLogon) }

// accessChecker is what checks a configuration: checker.Checker (EWS impersonation) or
// checker.AppChecker (Microsoft 365 app-only).
type accessChecker interface {
	Check(ctx context.Context, users []string, emit func(checker.Result)) (checker.Summary, error)
}

// newChecker returns the checker of a configuration's access type.
func (s *Service) newChecker(rc resolvedConfig) (accessChecker, error) {
	if rc.accessType == AccessMicrosoft365App {
		ck, err := checker.NewApp(s.appCheckerConfig(rc), s.cfg.CheckOptions)
		if err != nil {
			return nil, inputErr("tenant", err.Error())
		}
		return ck, nil
	}
	ck, err := checker.New(s.checkerConfig(rc), s.cfg.CheckOptions)
	if err != nil {
		return nil, inputErr("ews_url", err.Error())
	}
	return ck, nil
}

// ListCheckRuns returns an organization's newest check runs.
func (s *Service) ListCheckRuns(ctx context.Context, p Principal, orgID int64, limit int) ([]store.CheckRun, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListCheckRuns(ctx, orgID, limit)
}

// GetCheckRun returns a check run of the organization with its results.
func (s *Service) GetCheckRun(ctx context.Context, p Principal, orgID, runID int64) (store.CheckRun, []store.CheckResult, error) {
	if err := orgAccess(p, orgID); err != nil {
		return store.CheckRun{}, nil, err
	}
	return s.st.GetCheckRun(ctx, orgID, runID)
}

// scheduledCheck is the principal of the periodic re-checks.
var scheduledCheck = Principal{Kind: Operator, Label: "scheduled check"}

// RecheckAccess re-checks an organization's saved configuration against all its users,
// as the check button does (the run is kept as history and the users' statuses are
// updated): the periodic monitoring of access. An organization without a saved
// configuration is skipped.
func (s *Service) RecheckAccess(ctx context.Context, orgID int64) error {
	c, err := s.st.GetEmailConfig(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.RunCheck(ctx, scheduledCheck, orgID, EmailConfigInput{AccessType: c.AccessType, AccountLogon: c.AccountLogon,
		EWSURL: c.EWSURL, AuthMethod: c.AuthMethod, Tenant: c.Tenant, ClientID: c.ClientID}, nil)
	return err
}
