package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
	"github.com/mailbridge/mailbridge/internal/control"
)

// The check stream is NDJSON: one object a line, flushed as soon as it is known.
//
//	{"type":"start","users":N}
//	{"type":"result", …checker.Result}   (one per result, as the checker reports it)
//	{"type":"summary", …checker.Summary, "run_id":…, "state":…, "run_url":…}
//
// or, instead of all of these when the form is wrong, {"type":"error","fields":{…},
// "message":…} (HTTP 422); an error after the start is an error line too.

type startLine struct {
	Type  string `json:"type"`
	Users int    `json:"users"`
}

type resultLine struct {
	Type string `json:"type"`
	checker.Result
}

type summaryLine struct {
	Type string `json:"type"`
	checker.Summary
	RunID  int64  `json:"run_id"`
	State  string `json:"state"`
	RunURL string `json:"run_url"`
}

// check is "Check Users Exchange Impersonated Access": the form's values as they stand
// (unsaved; an empty password means the saved one) against every user, streamed. The
// check stops when the client goes away.
func (h *Handler) check(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	in := emailInput(r)
	users, err := h.svc.ListUsers(r.Context(), c.principal(), c.org.ID)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	started := false
	var writeErr error
	send := func(v any) {
		if !started {
			started = true
			// A check of many users outlasts the server's write timeout.
			_ = rc.SetWriteDeadline(time.Time{})
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("X-Accel-Buffering", "no")
			w.WriteHeader(http.StatusOK)
			enc.Encode(startLine{Type: "start", Users: len(users)})
		}
		if writeErr != nil {
			return
		}
		if writeErr = enc.Encode(v); writeErr == nil {
			writeErr = rc.Flush()
		}
	}
	out, err := h.svc.RunCheck(r.Context(), c.principal(), c.org.ID, in, func(res checker.Result) {
		send(resultLine{Type: "result", Result: res})
	})
	if !started {
		if in.AccessType == control.AccessMicrosoft365App {
			err = h.unreadablePassword(r, c, err, "client_secret", "paste the client secret again.")
		} else {
			err = h.unreadablePassword(r, c, err, "password", "enter the password again.")
		}
	}
	var ie *control.InputError
	switch {
	case errors.As(err, &ie) && !started:
		fields := map[string]string{}
		for k, msg := range ie.Fields {
			if id, ok := emailFields[k]; ok {
				fields[id] = msg
			} else {
				fields["form"] = msg
			}
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnprocessableEntity)
		enc.Encode(jsonError{Type: "error", Fields: fields, Message: "Check the highlighted fields, then try again."})
		return nil
	case err != nil && r.Context().Err() != nil:
		return nil // the client went away; the run is recorded as cancelled
	case err != nil && !started:
		return err
	case err != nil:
		ref := newRef()
		h.log.ErrorContext(r.Context(), "web: check failed", "org_id", c.org.ID, "run_id", out.Run.ID, "ref", ref, "err", err)
		send(jsonError{Type: "error", Message: "The check could not finish. The error was logged with reference " + ref + "."})
		return nil
	}
	send(summaryLine{Type: "summary", Summary: out.Summary, RunID: out.Run.ID, State: out.Run.State,
		RunURL: orgPath(c, "/checks/"+itoa(out.Run.ID))})
	return nil
}

// unreadablePassword turns control.ErrSealedPasswordUnreadable into an error on a form
// field, since the admin mends it by typing the password again (fix says how); the
// operator hears of it in the log. Other errors are returned as they are.
func (h *Handler) unreadablePassword(r *http.Request, c *call, err error, field, fix string) error {
	if !errors.Is(err, control.ErrSealedPasswordUnreadable) {
		return err
	}
	h.log.WarnContext(r.Context(), "web: saved password cannot be decrypted", "org_id", c.org.ID, "err", err)
	return &control.InputError{Fields: map[string]string{field: "The saved password cannot be decrypted (was the master key changed?): " + fix}}
}
