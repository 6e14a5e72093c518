package ewsclient_test

import (
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
)

func TestGetServerTimeZones(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	c := tg.client(t, tg.ntlm(), ewsclient.Options{})

	// Named ids, full definitions: an unknown id is left out without an error.
	resp, err := c.GetServerTimeZones(t.Context(), "", &ews.GetServerTimeZonesRequest{
		Ids: []string{"W. Europe Standard Time", "Nowhere Standard Time"}})
	skipUnsupported(t, err)
	if err != nil {
		t.Fatal(err)
	}
	defs := resp.ResponseMessages[0].TimeZoneDefinitions.Definitions
	if len(defs) != 1 || defs[0].Id != "W. Europe Standard Time" || defs[0].Name == "" {
		t.Fatalf("definitions %+v", defs)
	}
	if p := defs[0].Periods; p == nil || len(p.Periods) < 2 || defs[0].TransitionsGroups == nil || defs[0].Transitions == nil {
		t.Errorf("W. Europe Standard Time without its periods and transitions: %+v", defs[0])
	}

	// Every zone, ids and names only.
	short := false
	resp, err = c.GetServerTimeZones(t.Context(), tg.Mailbox, &ews.GetServerTimeZonesRequest{ReturnFullTimeZoneData: &short})
	if err != nil {
		t.Fatal(err)
	}
	defs = resp.ResponseMessages[0].TimeZoneDefinitions.Definitions
	if len(defs) < 20 {
		t.Errorf("%d time zones, want the server's whole list", len(defs))
	}
	seen := map[string]bool{}
	for _, d := range defs {
		seen[d.Id] = true
		if d.Periods != nil || d.Transitions != nil {
			t.Errorf("%s: full data although ReturnFullTimeZoneData is false", d.Id)
		}
	}
	for _, id := range []string{"UTC", "W. Europe Standard Time", "Pacific Standard Time"} {
		if !seen[id] {
			t.Errorf("%q missing from the list", id)
		}
	}
}
