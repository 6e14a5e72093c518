package exchangesim_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// A group found by its address, then its members through nested groups; a $filter the
// simulator does not understand is a 400, an unknown group a 404.
func TestGraphGroups(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	body := g.mustGet("/groups?" + url.Values{"$filter": {"mail eq 'sales@contoso.com'"}}.Encode())
	groups := body["value"].([]any)
	if len(groups) != 1 {
		t.Fatalf("groups: %v", body)
	}
	id := groups[0].(map[string]any)["id"].(string)
	members := g.mustGet("/groups/" + id + "/transitiveMembers?$select=id,mail")["value"].([]any)
	var mails []string
	for _, m := range members {
		e := m.(map[string]any)
		if e["@odata.type"] == "#microsoft.graph.user" {
			mail, _ := e["mail"].(string)
			mails = append(mails, mail)
		}
	}
	want, _ := s.Sim.World().Directory().ExpandGroup("sales@contoso.com")
	if len(mails) != len(want) || !slices.Contains(mails, "alice@contoso.com") {
		t.Fatalf("members %q, directory %d", mails, len(want))
	}
	if n := len(g.mustGet("/groups?" + url.Values{"$filter": {"mail eq 'nobody@contoso.com'"}}.Encode())["value"].([]any)); n != 0 {
		t.Fatalf("%d groups for an unknown address", n)
	}
	if status, _, _ := g.get("/groups?" + url.Values{"$filter": {"startswith(mail,'s')"}}.Encode()); status != 400 {
		t.Fatalf("an unsupported filter: %d", status)
	}
	if status, _, _ := g.get("/groups/00000000-0000-4000-8000-000000000000/transitiveMembers"); status != 404 {
		t.Fatalf("an unknown group: %d", status)
	}
}
