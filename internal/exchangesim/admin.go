package exchangesim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// adminHandler is the simulator's JSON admin API, for changing the world while clients
// run. Its routes are listed in the README ("Simulator admin API"). It has no
// authentication: the simulator is a test and demo tool, listening on loopback.
func (s *Simulator) adminHandler() http.Handler {
	mux := http.NewServeMux()
	p := strings.TrimSuffix(AdminPrefix, "/")
	mux.HandleFunc("GET "+p+"/state", s.adminState)
	mux.HandleFunc("POST "+p+"/users", s.adminAddUser)
	mux.HandleFunc("DELETE "+p+"/users/{addr}", s.adminRemoveUser)
	mux.HandleFunc("PUT "+p+"/users/{addr}/password", s.adminSetPassword)
	mux.HandleFunc("POST "+p+"/roles", s.adminGrantRole)
	mux.HandleFunc("DELETE "+p+"/roles/{name}", s.adminRevokeRole)
	mux.HandleFunc("POST "+p+"/scopes/{name}/members", s.adminScopeMembers(true))
	mux.HandleFunc("DELETE "+p+"/scopes/{name}/members", s.adminScopeMembers(false))
	mux.HandleFunc("POST "+p+"/deliver", s.adminDeliver)
	mux.HandleFunc("POST "+p+"/mailboxes/{addr}/items", s.adminCreateItem)
	mux.HandleFunc("PATCH "+p+"/mailboxes/{addr}/items/{id}", s.adminUpdateItem)
	mux.HandleFunc("DELETE "+p+"/mailboxes/{addr}/items/{id}", s.adminDeleteItem)
	mux.HandleFunc("POST "+p+"/mailboxes/{addr}/expire-sync-states", s.adminExpire)
	mux.HandleFunc("GET "+p+"/faults", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.faults.get()) })
	mux.HandleFunc("PUT "+p+"/faults", s.adminSetFaults)
	mux.HandleFunc("GET "+p+"/throttle", s.adminThrottle)
	mux.HandleFunc("PUT "+p+"/throttle", s.adminSetThrottle)
	s.adminEntraRoutes(mux)
	return mux
}

const maxAdminBody = 1 << 20

// decodeJSON reads a bounded JSON body into v, rejecting unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("invalid JSON body: %w", err))
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, errors.New("invalid JSON body: trailing data"))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// worldError maps a World error to an HTTP status: unknown things are 404, EWS errors and
// validation failures 400.
func worldError(w http.ResponseWriter, err error) {
	switch ews.Code(err) {
	case ews.ErrorNonExistentMailbox, ews.ErrorItemNotFound, ews.ErrorFolderNotFound:
		writeError(w, http.StatusNotFound, err)
		return
	}
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeError(w, http.StatusBadRequest, err)
}

type adminStateResponse struct {
	Scenario  string            `json:"scenario"`
	Now       string            `json:"now"`
	Users     int               `json:"users"`
	Mailboxes int               `json:"mailboxes_materialized"`
	Throttle  ThrottlePolicy    `json:"throttle"`
	Stats     ThrottleStats     `json:"throttle_stats"`
	Faults    Faults            `json:"faults"`
	Roles     []RoleAssignment  `json:"role_assignments"`
	Scopes    []ManagementScope `json:"scopes"`
}

func (s *Simulator) adminState(w http.ResponseWriter, r *http.Request) {
	pol, stats := s.throttle.snapshot()
	writeJSON(w, http.StatusOK, adminStateResponse{
		Scenario: s.name, Now: ews.Date(s.world.Now()).String(),
		Users: len(s.world.Directory().Users()), Mailboxes: s.world.MaterializedMailboxes(),
		Throttle: pol, Stats: stats, Faults: s.faults.get(),
		Roles: s.world.Directory().RoleAssignments(), Scopes: s.world.Directory().Scopes(),
	})
}

func (s *Simulator) adminAddUser(w http.ResponseWriter, r *http.Request) {
	var spec UserSpec
	if !decodeJSON(w, r, &spec) {
		return
	}
	u, err := s.world.AddUser(spec)
	if err != nil {
		worldError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"smtp": u.PrimarySMTP, "has_mailbox": u.HasMailbox})
}

func (s *Simulator) adminRemoveUser(w http.ResponseWriter, r *http.Request) {
	if err := s.world.RemoveUser(r.PathValue("addr")); err != nil {
		worldError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) adminSetPassword(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Password string `json:"password"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	if err := s.world.SetPassword(r.PathValue("addr"), body.Password); err != nil {
		worldError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) adminGrantRole(w http.ResponseWriter, r *http.Request) {
	var a RoleAssignment
	if !decodeJSON(w, r, &a) {
		return
	}
	if err := s.world.GrantRole(a); err != nil {
		worldError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) adminRevokeRole(w http.ResponseWriter, r *http.Request) {
	if err := s.world.RevokeRole(r.PathValue("name")); err != nil {
		worldError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) adminScopeMembers(add bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Members []string `json:"members"`
		}
		if !decodeJSON(w, r, &body) {
			return
		}
		var err error
		if add {
			err = s.world.AddScopeMembers(r.PathValue("name"), body.Members...)
		} else {
			err = s.world.RemoveScopeMembers(r.PathValue("name"), body.Members...)
		}
		if err != nil {
			worldError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

type deliverRequest struct {
	From    string   `json:"from"`
	To      []string `json:"to"`
	Cc      []string `json:"cc,omitempty"`
	Subject string   `json:"subject"`
	Body    string   `json:"body,omitempty"`
}

func (s *Simulator) adminDeliver(w http.ResponseWriter, r *http.Request) {
	var req deliverRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if len(req.To)+len(req.Cc) == 0 {
		writeError(w, http.StatusBadRequest, errors.New("deliver: no recipients"))
		return
	}
	msg := ews.Item{XMLName: xmlName(ews.KindMessage), Subject: req.Subject,
		Body: &ews.Body{BodyType: "Text", Value: req.Body}}
	if req.From != "" {
		msg.From = &ews.SingleRecipient{Mailbox: s.world.addressOf(req.From)}
		msg.Sender = msg.From
	}
	msg.ToRecipients = addressList(req.To, s.world.addressOf)
	msg.CcRecipients = addressList(req.Cc, s.world.addressOf)
	delivered, err := s.world.Deliver(r.Context(), msg)
	if err != nil {
		worldError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"delivered_to": delivered})
}

func (s *Simulator) adminCreateItem(w http.ResponseWriter, r *http.Request) {
	var spec ItemSpec
	if !decodeJSON(w, r, &spec) {
		return
	}
	mb, err := s.world.Mailbox(r.Context(), r.PathValue("addr"))
	if err != nil {
		worldError(w, err)
		return
	}
	it, err := spec.item(s.world.Now(), s.world.addressOf)
	if err != nil {
		worldError(w, err)
		return
	}
	if spec.Folder == "" {
		spec.Folder = "inbox"
	}
	id, err := mb.CreateItem(FolderByName(spec.Folder), it)
	if err != nil {
		worldError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id.Id, "change_key": id.ChangeKey})
}

type itemPatch struct {
	Subject *string `json:"subject,omitempty"`
	Body    *string `json:"body,omitempty"`
	IsRead  *bool   `json:"is_read,omitempty"`
}

func (s *Simulator) adminUpdateItem(w http.ResponseWriter, r *http.Request) {
	var patch itemPatch
	if !decodeJSON(w, r, &patch) {
		return
	}
	mb, err := s.world.Mailbox(r.Context(), r.PathValue("addr"))
	if err != nil {
		worldError(w, err)
		return
	}
	id := ews.ItemId{Id: r.PathValue("id")}
	if patch.Subject != nil || patch.Body != nil {
		id, err = mb.UpdateItem(id, func(it *ews.Item) error {
			if patch.Subject != nil {
				it.Subject = *patch.Subject
			}
			if patch.Body != nil {
				it.Body = &ews.Body{BodyType: "Text", Value: *patch.Body}
			}
			return nil
		})
		if err != nil {
			worldError(w, err)
			return
		}
	}
	if patch.IsRead != nil {
		if id, err = mb.SetRead(id.Id, *patch.IsRead); err != nil {
			worldError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id.Id, "change_key": id.ChangeKey})
}

func (s *Simulator) adminDeleteItem(w http.ResponseWriter, r *http.Request) {
	mode := HardDelete
	switch r.URL.Query().Get("mode") {
	case "", "hard":
	case "soft":
		mode = SoftDelete
	case "move":
		mode = MoveToDeletedItems
	default:
		writeError(w, http.StatusBadRequest, errors.New("mode must be hard, soft or move"))
		return
	}
	mb, err := s.world.Mailbox(r.Context(), r.PathValue("addr"))
	if err != nil {
		worldError(w, err)
		return
	}
	if err := mb.DeleteItem(r.PathValue("id"), mode); err != nil {
		worldError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) adminExpire(w http.ResponseWriter, r *http.Request) {
	if err := s.world.ExpireSyncStates(r.Context(), r.PathValue("addr")); err != nil {
		worldError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// adminSetFaults changes the injected faults. Only the fields the body names change
// (error_rate and mailbox_move_in_progress are replaced as a whole when named); `{}`
// changes nothing, and a field set to its zero value (0, "", [] or {}) turns it off.
func (s *Simulator) adminSetFaults(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if !decodeJSON(w, r, &raw) {
		return
	}
	f, err := s.faults.update(func(f *Faults) error {
		keys, err := objectKeys(raw)
		if err != nil {
			return err
		}
		// Named reference fields are replaced, not merged into (encoding/json would add
		// to the current map and overwrite the current slice's backing array).
		if _, ok := keys["error_rate"]; ok {
			f.ErrorRate = nil
		}
		if _, ok := keys["mailbox_move_in_progress"]; ok {
			f.MovingMailboxes = nil
		}
		return mergeJSON(raw, f)
	})
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Simulator) adminThrottle(w http.ResponseWriter, r *http.Request) {
	pol, stats := s.throttle.snapshot()
	writeJSON(w, http.StatusOK, map[string]any{"policy": pol, "stats": stats})
}

// adminSetThrottle changes the throttling policy. Only the fields the body names change;
// the others keep the values they were last set to (a field never set keeps following
// its default, e.g. burst one second's worth of rate_per_second).
func (s *Simulator) adminSetThrottle(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if !decodeJSON(w, r, &raw) {
		return
	}
	pol, err := s.throttle.update(func(p *ThrottlePolicy) error {
		if _, err := objectKeys(raw); err != nil {
			return err
		}
		if err := mergeJSON(raw, p); err != nil {
			return err
		}
		if p.ChargeTo != "" && p.ChargeTo != ChargeTarget && p.ChargeTo != ChargeCaller {
			return errors.New("charge_to must be target or caller")
		}
		return nil
	})
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, pol)
}

// objectKeys returns the members of the JSON object raw.
func objectKeys(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil || keys == nil {
		return nil, errors.New("invalid JSON body: want an object")
	}
	return keys, nil
}

// mergeJSON decodes the JSON object raw onto dst: the fields it names change, the others
// keep their values. Unknown fields are an error.
func mergeJSON(raw json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	return nil
}
