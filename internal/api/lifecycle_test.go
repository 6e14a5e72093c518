package api_test

import (
	"slices"
	"testing"
)

// import-group with keep keeps the group; the kept groups and the retention refuse bad
// input: a group kept already, a retention out of range, of the wrong type or missing,
// unknown fields, a malformed or another organization's source id.
func TestLifecycleInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, tok := e.org(t, "Contoso")
	other, otherTok := e.org(t, "Fabrikam")
	id := ids{org: org}
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/email-config", id), contosoConfig()).want(t, 200)

	var imp struct {
		Added int `json:"added"`
	}
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/users/import-group", id), map[string]any{"group": "sales@contoso.com", "keep": true}).want(t, 200).decode(t, &imp)
	if imp.Added != 6 {
		t.Fatalf("imported %+v", imp)
	}
	var srcs struct {
		GroupSources []struct {
			ID      int64  `json:"id"`
			Address string `json:"address"`
			Members int    `json:"members"`
		} `json:"group_sources"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/group-sources", id), nil).want(t, 200).decode(t, &srcs)
	if len(srcs.GroupSources) != 1 || srcs.GroupSources[0].Address != "sales@contoso.com" || srcs.GroupSources[0].Members != 6 {
		t.Fatalf("sources %+v", srcs)
	}
	src := ids{org: org, source: srcs.GroupSources[0].ID}
	er := e.do(t, tok, "POST", path("/api/v1/orgs/{org}/group-sources", id), map[string]any{"group": "sales@contoso.com"}).wantErr(t, 422, "invalid_input")
	if er.Error.Fields["group"] == "" {
		t.Fatalf("kept twice: %+v", er)
	}
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/group-sources", id), map[string]any{"group": "nosuch@contoso.com"}).wantErr(t, 422, "invalid_input")
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/group-sources", id), map[string]any{"group": "sales@contoso.com", "keep": true}).wantErr(t, 400, "invalid_input")
	e.do(t, tok, "POST", path("/api/v1/orgs/{org}/group-sources/{source}/confirm", src), nil).wantErr(t, 422, "invalid_input")

	for _, bad := range []struct {
		body   any
		status int
	}{
		{map[string]any{"days": -1}, 422},
		{map[string]any{"days": 36501}, 422},
		{map[string]any{"days": "30"}, 400},
		{map[string]any{"days": 1.5}, 400},
		{map[string]any{}, 400},
		{map[string]any{"days": 30, "purge": true}, 400},
	} {
		e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/retention", id), bad.body).wantErr(t, bad.status, "invalid_input")
	}
	e.do(t, tok, "PUT", path("/api/v1/orgs/{org}/retention", id), nil).wantErr(t, 400, "invalid_input")

	// Foreign and malformed ids.
	for _, p := range []string{"/api/v1/orgs/{org}/group-sources/0", "/api/v1/orgs/{org}/group-sources/abc", "/api/v1/orgs/{org}/group-sources/999999"} {
		e.do(t, tok, "DELETE", path(p, id), nil).wantErr(t, 404, "not_found")
	}
	e.do(t, otherTok, "DELETE", path("/api/v1/orgs/{org}/group-sources/{source}", ids{org: other, source: src.source}), nil).wantErr(t, 404, "not_found")
	e.do(t, otherTok, "POST", path("/api/v1/orgs/{org}/group-sources/{source}/confirm", ids{org: other, source: src.source}), nil).wantErr(t, 404, "not_found")
	e.do(t, otherTok, "GET", path("/api/v1/orgs/{org}/retention", id), nil).wantErr(t, 404, "not_found")
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/group-sources", id), nil).want(t, 200).decode(t, &srcs)
	if len(srcs.GroupSources) != 1 {
		t.Fatalf("sources after foreign requests %+v", srcs)
	}
	var audit struct {
		Entries []struct {
			Action string `json:"action"`
		} `json:"entries"`
	}
	e.do(t, tok, "GET", path("/api/v1/orgs/{org}/audit", id), nil).want(t, 200).decode(t, &audit)
	var actions []string
	for _, a := range audit.Entries {
		actions = append(actions, a.Action)
	}
	if !slices.Contains(actions, "group.add") || slices.Contains(actions, "retention.set") {
		t.Fatalf("audit %v", actions)
	}
}
