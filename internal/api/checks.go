package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// ndjson is the media type of a streamed check.
const ndjson = "application/x-ndjson"

// runJSON is a check run.
type runJSON struct {
	ID           int64           `json:"id"`
	OrgID        int64           `json:"org_id"`
	StartedBy    string          `json:"started_by"`
	EWSURL       string          `json:"ews_url"`
	AccountLogon string          `json:"account_logon"`
	State        string          `json:"state"`
	Error        string          `json:"error"`
	Summary      json.RawMessage `json:"summary"`
	StartedAt    time.Time       `json:"started_at"`
	FinishedAt   *time.Time      `json:"finished_at"`
}

func runView(r store.CheckRun) runJSON {
	sum := json.RawMessage("null")
	if r.Summary != "" && json.Valid([]byte(r.Summary)) {
		sum = json.RawMessage(r.Summary)
	}
	return runJSON{ID: r.ID, OrgID: r.OrgID, StartedBy: r.StartedBy, EWSURL: r.EWSURL, AccountLogon: r.AccountLogon,
		State: r.State, Error: r.Error, Summary: sum, StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt)}
}

// resultJSON is one result of a check: for the service account (user empty) or a user.
type resultJSON struct {
	User             string           `json:"user"`
	Check            string           `json:"check"`
	Status           string           `json:"status"`
	Code             string           `json:"code"`
	Message          string           `json:"message"`
	Fix              string           `json:"fix"`
	Confidence       string           `json:"confidence,omitempty"`
	ConfidenceReason string           `json:"confidence_reason,omitempty"`
	Refined          bool             `json:"refined,omitempty"`
	Evidence         checker.Evidence `json:"evidence"`
}

func resultView(r checker.Result) resultJSON {
	return resultJSON{User: r.User, Check: r.Check, Status: string(r.Status), Code: string(r.Code), Message: r.Message, Fix: r.Fix,
		Confidence: string(r.Confidence), ConfidenceReason: r.ConfidenceReason, Refined: r.Refined, Evidence: r.Evidence}
}

// storedResultView reads a result back from the history, where all but the headline
// fields are kept as JSON.
func storedResultView(r store.CheckResult) resultJSON {
	out := resultJSON{User: r.User, Check: r.Check, Status: r.Status, Code: r.Code, Message: r.Message, Fix: r.Fix}
	var d struct {
		Confidence       string           `json:"confidence"`
		ConfidenceReason string           `json:"confidence_reason"`
		Refined          bool             `json:"refined"`
		Evidence         checker.Evidence `json:"evidence"`
	}
	if r.Detail != "" && json.Unmarshal([]byte(r.Detail), &d) == nil {
		out.Confidence, out.ConfidenceReason, out.Refined, out.Evidence = d.Confidence, d.ConfidenceReason, d.Refined, d.Evidence
	}
	return out
}

// runDetailJSON is a run with its results.
type runDetailJSON struct {
	runJSON
	Results []resultJSON `json:"results"`
}

// streamLine is one line of a streamed check: a result as soon as it is known, then
// the run as recorded, or an error if the check could not finish.
type streamLine struct {
	Type   string      `json:"type"` // "result", "run" or "error"
	Result *resultJSON `json:"result,omitempty"`
	Run    *runJSON    `json:"run,omitempty"`
	Error  *apiError   `json:"error,omitempty"`
}

// checkInput is the body of POST checks: the Email Configuration form's values.
type checkInput struct {
	AccessType   string `json:"access_type"`
	AccountLogon string `json:"account_logon"`
	Password     string `json:"password"` // empty: the saved one
	EWSURL       string `json:"ews_url"`
	AuthMethod   string `json:"auth_method"`
}

// runCheck is "Check Users Exchange Impersonated Access": it checks the given values
// (or, with an empty body, the saved configuration) against every user. With Accept:
// application/x-ndjson the results stream as they come; otherwise the answer waits for
// the run to finish.
func (h *Handler) runCheck(w http.ResponseWriter, r *http.Request, c *call) error {
	var in checkInput
	if _, err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	ci := control.EmailConfigInput{AccessType: in.AccessType, AccountLogon: in.AccountLogon, Password: in.Password, EWSURL: in.EWSURL, AuthMethod: in.AuthMethod}
	if in == (checkInput{}) {
		saved, err := h.svc.GetEmailConfig(r.Context(), c.p, c.org.ID)
		if err != nil {
			return err
		}
		if !saved.Exists {
			return &control.InputError{Fields: map[string]string{"email_config": "Save the Email Configuration first, or send the values to check."}}
		}
		ci = control.EmailConfigInput{AccessType: saved.AccessType, AccountLogon: saved.AccountLogon, EWSURL: saved.EWSURL, AuthMethod: saved.AuthMethod}
	}
	if accepts(r, ndjson) {
		return h.streamCheck(w, r, c, ci)
	}
	var results []resultJSON
	out, err := h.svc.RunCheck(r.Context(), c.p, c.org.ID, ci, func(res checker.Result) { results = append(results, resultView(res)) })
	if err != nil {
		return err
	}
	w.Header().Set("Location", Prefix+"/orgs/"+strconv.FormatInt(c.org.ID, 10)+"/checks/"+strconv.FormatInt(out.Run.ID, 10))
	writeJSON(w, http.StatusCreated, runDetailJSON{runJSON: runView(out.Run), Results: nonNil(results)})
	return nil
}

// streamCheck runs a check and writes each result as a line of NDJSON when it is known.
// An error before the first result is an ordinary error response; after it, an error
// line ends the stream.
func (h *Handler) streamCheck(w http.ResponseWriter, r *http.Request, c *call, ci control.EmailConfigInput) error {
	rc := http.NewResponseController(w)
	started := false
	write := func(l streamLine) {
		if !started {
			started = true
			w.Header().Set("Content-Type", ndjson)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
		}
		b, err := json.Marshal(l)
		if err != nil {
			return
		}
		if _, err := w.Write(append(b, '\n')); err == nil {
			rc.Flush()
		}
	}
	out, err := h.svc.RunCheck(r.Context(), c.p, c.org.ID, ci, func(res checker.Result) {
		v := resultView(res)
		write(streamLine{Type: "result", Result: &v})
	})
	if err != nil {
		if !started {
			return err
		}
		if ctxErr(r.Context(), err) {
			return nil
		}
		status, body, internal := classify(err)
		if internal {
			h.log.ErrorContext(r.Context(), "api check failed", "method", r.Method, "route", r.Pattern, "status", status, "err", err)
		}
		line := streamLine{Type: "error", Error: &body}
		if out.Run.ID != 0 {
			run := runView(out.Run)
			line.Run = &run
		}
		write(line)
		return nil
	}
	run := runView(out.Run)
	write(streamLine{Type: "run", Run: &run})
	return nil
}

func (h *Handler) listChecks(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := queryInt(r, "limit", 50, 500)
	if err != nil {
		return err
	}
	runs, err := h.svc.ListCheckRuns(r.Context(), c.p, c.org.ID, int(limit))
	if err != nil {
		return err
	}
	out := make([]runJSON, len(runs))
	for i, run := range runs {
		out[i] = runView(run)
	}
	writeJSON(w, http.StatusOK, struct {
		Runs []runJSON `json:"runs"`
	}{out})
	return nil
}

func (h *Handler) getCheck(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "run")
	if err != nil {
		return err
	}
	run, results, err := h.svc.GetCheckRun(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	out := runDetailJSON{runJSON: runView(run), Results: make([]resultJSON, len(results))}
	for i, res := range results {
		out.Results[i] = storedResultView(res)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
