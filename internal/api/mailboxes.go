package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
)

// mailboxJSON is a user's mailbox: how its sync goes, with the status code explained.
type mailboxJSON struct {
	UserID        int64      `json:"user_id"`
	OrgID         int64      `json:"org_id"`
	Email         string     `json:"email"`
	State         string     `json:"state"`
	Status        string     `json:"status"`
	StatusCode    string     `json:"status_code"`
	StatusMessage string     `json:"status_message"`
	Meaning       string     `json:"meaning"`
	Fix           string     `json:"fix"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	Items         int64      `json:"items"`
}

func mailboxView(m control.MailboxView) mailboxJSON {
	return mailboxJSON{UserID: m.UserID, OrgID: m.OrgID, Email: m.Email, State: m.State, Status: m.Status, StatusCode: m.StatusCode,
		StatusMessage: m.StatusMessage, Meaning: m.Meaning, Fix: m.Fix, LastAttemptAt: utcPtr(m.LastAttemptAt),
		LastSuccessAt: utcPtr(m.LastSuccessAt), Items: m.Items}
}

// summaryJSON sums up an organization's mailboxes; each is counted once, paused and
// stopped ones by their state, active ones by their status.
type summaryJSON struct {
	Total           int        `json:"total"`
	Pending         int        `json:"pending"`
	Syncing         int        `json:"syncing"`
	OK              int        `json:"ok"`
	Error           int        `json:"error"`
	Paused          int        `json:"paused"`
	Stopped         int        `json:"stopped"`
	Items           int64      `json:"items"`
	NeverSynced     int        `json:"never_synced"`
	OldestSuccessAt *time.Time `json:"oldest_success_at"`
	LagSeconds      *int64     `json:"lag_seconds"`
}

func (h *Handler) listMailboxes(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	mbs, err := h.svc.ListMailboxes(r.Context(), c.p, c.org.ID, control.MailboxFilter{Status: q.Get("status"), State: q.Get("state"), Query: q.Get("q")})
	var ie *control.InputError
	if errors.As(err, &ie) {
		// The filters are query parameters: a wrong one is a bad request, not a value to fix.
		var msgs []string
		for name, msg := range ie.Fields {
			msgs = append(msgs, "Query parameter “"+name+"”: "+msg)
		}
		slices.Sort(msgs)
		return badRequest(strings.Join(msgs, " "), ie.Fields)
	}
	if err != nil {
		return err
	}
	out := make([]mailboxJSON, len(mbs))
	for i, m := range mbs {
		out[i] = mailboxView(m)
	}
	writeJSON(w, http.StatusOK, struct {
		Mailboxes []mailboxJSON `json:"mailboxes"`
	}{out})
	return nil
}

func (h *Handler) mailboxSummary(w http.ResponseWriter, r *http.Request, c *call) error {
	s, err := h.svc.MailboxSummary(r.Context(), c.p, c.org.ID)
	if err != nil {
		return err
	}
	out := summaryJSON{Total: s.Total, Pending: s.Pending, Syncing: s.Syncing, OK: s.OK, Error: s.Error, Paused: s.Paused,
		Stopped: s.Stopped, Items: s.Items, NeverSynced: s.NeverSynced, OldestSuccessAt: utcPtr(s.OldestSuccess)}
	if s.OldestSuccess != nil {
		lag := int64(s.Lag / time.Second)
		out.LagSeconds = &lag
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) getMailbox(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	m, err := h.svc.GetMailbox(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mailboxView(m))
	return nil
}

func (h *Handler) pauseMailbox(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.setMailboxState(w, r, c, (*control.Service).PauseMailbox)
}

func (h *Handler) resumeMailbox(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.setMailboxState(w, r, c, (*control.Service).ResumeMailbox)
}

// setMailboxState pauses or resumes a mailbox and answers with it. The body is empty or
// an empty JSON object.
func (h *Handler) setMailboxState(w http.ResponseWriter, r *http.Request, c *call,
	set func(*control.Service, context.Context, control.Principal, int64, int64) (control.MailboxView, error)) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	var in struct{}
	if _, err := decodeJSON(w, r, &in, true); err != nil {
		return err
	}
	m, err := set(h.svc, r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mailboxView(m))
	return nil
}

// statusChangeJSON is one change of a mailbox's state or status.
type statusChangeJSON struct {
	At            time.Time `json:"at"`
	State         string    `json:"state"`
	Status        string    `json:"status"`
	StatusCode    string    `json:"status_code"`
	StatusMessage string    `json:"status_message"`
	Meaning       string    `json:"meaning"`
}

func (h *Handler) mailboxHistory(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	hist, err := h.svc.MailboxHistory(r.Context(), c.p, c.org.ID, id)
	if err != nil {
		return err
	}
	out := make([]statusChangeJSON, len(hist))
	for i, s := range hist {
		out[i] = statusChangeJSON{At: s.At.UTC(), State: s.State, Status: s.Status, StatusCode: s.Code, StatusMessage: s.Message, Meaning: s.Meaning}
	}
	writeJSON(w, http.StatusOK, struct {
		History []statusChangeJSON `json:"history"`
	}{out})
	return nil
}
