package exchangesim

import (
	"net/http"
	"regexp"
	"strings"
)

// Groups in Graph: GET /groups (with $filter=mail eq '…', the way a client finds a
// distribution group by address) and GET /groups/{id}/transitiveMembers (the users and
// groups it contains, nested ones followed), for apps holding GroupMember.Read.All,
// Group.Read.All or Directory.Read.All. Room lists are places, not groups, as in
// Exchange Online.

// mailFilter is the one $filter /groups understands.
var mailFilter = regexp.MustCompile(`(?i)^\s*mail\s+eq\s+'([^']*)'\s*$`)

func (s *Simulator) groupAllowed(r *http.Request) bool {
	return graphCaller(r.Context()).hasRole(PermGroupMemberReadAll, PermGroupReadAll, PermDirectoryReadAll)
}

func (s *Simulator) graphGroupEntity(g Group) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.group", "id": s.world.objectGUID("group", g.PrimarySMTP),
		"displayName": g.DisplayName, "mail": g.PrimarySMTP, "mailEnabled": true, "securityEnabled": false, "groupTypes": []string{}}
}

// graphListGroups is GET /groups.
func (s *Simulator) graphListGroups(w http.ResponseWriter, r *http.Request) error {
	if !s.groupAllowed(r) {
		return errInsufficientPrivileges()
	}
	want := ""
	if f := r.URL.Query().Get("$filter"); f != "" {
		m := mailFilter.FindStringSubmatch(f)
		if m == nil {
			return errBadRequest("Unsupported query: the simulator filters groups by mail eq '…' only.")
		}
		want = strings.ToLower(m[1])
	}
	sel := parseSelect(r.URL.Query().Get("$select"))
	value := []map[string]any{}
	for _, g := range s.world.Directory().Groups() {
		if g.RoomList || want != "" && !strings.EqualFold(g.PrimarySMTP, want) {
			continue
		}
		value = append(value, selectFields(s.graphGroupEntity(g), sel))
	}
	writeGraphJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups", "value": value})
	return nil
}

// graphGroupMembers is GET /groups/{id}/transitiveMembers.
func (s *Simulator) graphGroupMembers(w http.ResponseWriter, r *http.Request) error {
	if !s.groupAllowed(r) {
		return errInsufficientPrivileges()
	}
	id := strings.ToLower(r.PathValue("group"))
	dir := s.world.Directory()
	var root *Group
	for _, g := range dir.Groups() {
		if !g.RoomList && s.world.objectGUID("group", g.PrimarySMTP) == id {
			root = &g
			break
		}
	}
	if root == nil {
		return &graphErr{status: http.StatusNotFound, code: "Request_ResourceNotFound",
			msg: "Resource '" + r.PathValue("group") + "' does not exist or one of its queried reference-property objects are not present."}
	}
	sel := parseSelect(r.URL.Query().Get("$select"))
	value := []map[string]any{}
	seen := map[string]bool{root.PrimarySMTP: true}
	var walk func(g Group)
	walk = func(g Group) {
		for _, m := range g.Members {
			if seen[m] {
				continue
			}
			seen[m] = true
			if u, ok := dir.Lookup(m); ok {
				e := s.graphUserEntity(u)
				e["@odata.type"] = "#microsoft.graph.user"
				value = append(value, selectWithType(e, sel))
			} else if sub, ok := dir.Group(m); ok {
				value = append(value, selectWithType(s.graphGroupEntity(sub), sel))
				walk(sub)
			}
		}
	}
	walk(*root)
	writeGraphJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects", "value": value})
	return nil
}

// selectWithType is selectFields keeping @odata.type, which tells users from groups.
func selectWithType(e map[string]any, sel []string) map[string]any {
	out := selectFields(e, sel)
	out["@odata.type"] = e["@odata.type"]
	return out
}
