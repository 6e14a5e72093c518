package exchangesim_test

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

func getTimeZones(t *testing.T, c *ewsCaller, req *ews.GetServerTimeZonesRequest) []ews.ServerTimeZone {
	t.Helper()
	var resp ews.GetServerTimeZonesResponse
	c.mustCall(ews.OpGetServerTimeZones, req, &resp)
	if len(resp.ResponseMessages) != 1 {
		t.Fatalf("%d response messages, want 1", len(resp.ResponseMessages))
	}
	iwWantOK(t, resp.ResponseMessages[0].ResponseMessage)
	return resp.ResponseMessages[0].TimeZoneDefinitions.Definitions
}

var xsDurationRE = regexp.MustCompile(`^(-)?PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// tzMinutes reads an xs:duration of whole minutes ("-PT5H30M").
func tzMinutes(t *testing.T, d string) int {
	t.Helper()
	m := xsDurationRE.FindStringSubmatch(d)
	if m == nil {
		t.Fatalf("duration %q", d)
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	minutes := n(m[2])*60 + n(m[3]) + n(m[4])/60
	if m[1] != "" {
		minutes = -minutes
	}
	return minutes
}

// tzRules turns a full definition into the availability service's rules for its latest
// group, as exchangelib's TimeZone.from_server_timezone does: the standard period's bias,
// and the daylight one's relative to it.
func tzRules(t *testing.T, d ews.ServerTimeZone) ews.SerializableTimeZone {
	t.Helper()
	if d.Periods == nil || d.TransitionsGroups == nil || d.Transitions == nil {
		t.Fatalf("%s: not a full definition: %+v", d.Id, d)
	}
	periods := map[string]ews.TimeZonePeriod{}
	for _, p := range d.Periods.Periods {
		periods[p.Id] = p
	}
	last := d.Transitions.Transitions[len(d.Transitions.Transitions)-1]
	var group *ews.TimeZoneTransitions
	for i := range d.TransitionsGroups.Groups {
		if d.TransitionsGroups.Groups[i].Id == last.To.Value && last.To.Kind == ews.TransitionToGroup {
			group = &d.TransitionsGroups.Groups[i]
		}
	}
	if group == nil {
		t.Fatalf("%s: the last transition goes to no group: %+v", d.Id, last)
	}
	none := ews.SerializableTimeZoneTime{Time: "00:00:00", DayOfWeek: "Sunday"}
	out := ews.SerializableTimeZone{StandardTime: none, DaylightTime: none}
	var dltBias *int
	for _, tr := range group.Transitions {
		p, ok := periods[tr.To.Value]
		if !ok || tr.To.Kind != ews.TransitionToPeriod {
			t.Fatalf("%s: transition to %+v", d.Id, tr.To)
		}
		bias := tzMinutes(t, p.Bias)
		if p.Name == "Standard" {
			out.Bias = bias
		} else {
			dltBias = &bias
		}
		if tr.Kind() == ews.KindTransition {
			continue
		}
		order := tr.Occurrence
		if order == -1 {
			order = 5
		}
		off := time.Duration(tzMinutes(t, tr.TimeOffset)) * time.Minute
		rule := ews.SerializableTimeZoneTime{Time: fmt.Sprintf("%02d:%02d:00", int(off.Hours()), int(off.Minutes())%60),
			DayOrder: order, Month: tr.Month, DayOfWeek: tr.DayOfWeek}
		if p.Name == "Standard" {
			out.StandardTime = rule
		} else {
			out.DaylightTime = rule
		}
	}
	if dltBias != nil {
		out.DaylightTime.Bias = *dltBias - out.Bias
	}
	return out
}

func TestGetServerTimeZones(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")

	all := getTimeZones(t, alice, &ews.GetServerTimeZonesRequest{})
	byID := map[string]ews.ServerTimeZone{}
	for _, d := range all {
		if d.Name == "" || d.Periods == nil {
			t.Errorf("%s: no name or no periods without ReturnFullTimeZoneData (true by default)", d.Id)
		}
		byID[d.Id] = d
	}
	for _, id := range []string{"UTC", "W. Europe Standard Time", "GMT Standard Time", "Eastern Standard Time",
		"Central Standard Time", "Mountain Standard Time", "Pacific Standard Time", "Tokyo Standard Time", "AUS Eastern Standard Time"} {
		if _, ok := byID[id]; !ok {
			t.Errorf("%s missing from all zones", id)
		}
	}

	t.Run("names only", func(t *testing.T) {
		names := getTimeZones(t, alice, &ews.GetServerTimeZonesRequest{ReturnFullTimeZoneData: ews.Bool(false)})
		if len(names) != len(all) {
			t.Fatalf("%d zones by name, %d in full", len(names), len(all))
		}
		for i, d := range names {
			if want := (ews.ServerTimeZone{Id: all[i].Id, Name: all[i].Name}); !reflect.DeepEqual(d, want) {
				t.Errorf("zone %d: %+v, want %+v", i, d, want)
			}
		}
	})

	t.Run("the ones asked for, in order; unknown ids left out without an error", func(t *testing.T) {
		got := getTimeZones(t, alice, &ews.GetServerTimeZonesRequest{Ids: []string{"Pacific Standard Time", "Nowhere Standard Time", "utc"}})
		if len(got) != 2 || got[0].Id != "Pacific Standard Time" || got[1].Id != "UTC" {
			t.Fatalf("zones %+v", got)
		}
		if none := getTimeZones(t, alice, &ews.GetServerTimeZonesRequest{Ids: []string{"Nowhere Standard Time"}}); len(none) != 0 {
			t.Errorf("unknown id gave %+v", none)
		}
	})

	t.Run("Eastern: the rule before 2007 and the one since", func(t *testing.T) {
		est := byID["Eastern Standard Time"]
		if est.Name != "(UTC-05:00) Eastern Time (US & Canada)" || len(est.Periods.Periods) != 4 || len(est.TransitionsGroups.Groups) != 2 {
			t.Fatalf("%+v", est)
		}
		trs := est.Transitions.Transitions
		if len(trs) != 2 || trs[0].Kind() != ews.KindTransition || trs[0].To.Value != "0" ||
			trs[1].Kind() != ews.KindAbsoluteDateTransition || trs[1].To.Value != "1" || trs[1].DateTime.String() != "2007-01-01T00:00:00" {
			t.Errorf("transitions %+v", trs)
		}
		old := est.TransitionsGroups.Groups[0].Transitions
		if old[0].Month != 4 || old[0].Occurrence != 1 || old[1].Month != 10 || old[1].Occurrence != -1 {
			t.Errorf("the 2006 rule %+v", old)
		}
		want := ews.SerializableTimeZone{Bias: 300,
			StandardTime: ews.SerializableTimeZoneTime{Time: "02:00:00", DayOrder: 1, Month: 11, DayOfWeek: "Sunday"},
			DaylightTime: ews.SerializableTimeZoneTime{Bias: -60, Time: "02:00:00", DayOrder: 2, Month: 3, DayOfWeek: "Sunday"}}
		if got := tzRules(t, est); !reflect.DeepEqual(got, want) {
			t.Errorf("current rule %+v, want %+v", got, want)
		}
	})

	t.Run("no daylight time: one period, one Transition", func(t *testing.T) {
		india := byID["India Standard Time"]
		if len(india.Periods.Periods) != 1 || india.Periods.Periods[0].Bias != "-PT5H30M" ||
			len(india.TransitionsGroups.Groups[0].Transitions) != 1 || india.TransitionsGroups.Groups[0].Transitions[0].Kind() != ews.KindTransition {
			t.Errorf("%+v", india)
		}
		if utc := byID["UTC"]; utc.Periods.Periods[0].Bias != "PT0S" || utc.Name != "(UTC) Coordinated Universal Time" {
			t.Errorf("UTC %+v", utc)
		}
	})
}

// GetUserAvailability and GetServerTimeZones share one table: a request naming a zone in
// its TimeZoneContext header gets WorkingHours in exactly the rule GetServerTimeZones
// defines for that zone.
func TestServerTimeZonesMatchAvailability(t *testing.T) {
	t.Parallel()
	s := startSim(t, exchangesim.Options{})
	alice := s.svcAs(t, "alice@contoso.com")
	day := testClock().Truncate(24 * time.Hour)
	for _, d := range getTimeZones(t, alice, &ews.GetServerTimeZonesRequest{}) {
		if d.Id == "UTC" {
			continue // a UTC header leaves the request's own t:TimeZone in charge
		}
		t.Run(d.Id, func(t *testing.T) {
			h := &ews.RequestHeader{RequestServerVersion: &ews.RequestServerVersion{Version: "Exchange2016"},
				ExchangeImpersonation: ews.Impersonate("alice@contoso.com"), TimeZoneContext: &ews.TimeZoneContext{}}
			h.TimeZoneContext.TimeZoneDefinition.ID = d.Id
			var doc bytes.Buffer
			if err := ews.EncodeRequest(&doc, h, ews.OpGetUserAvailability, &ews.GetUserAvailabilityRequest{
				MailboxDataArray: []ews.MailboxData{{Email: ews.AvailabilityAddress{Address: "alice@contoso.com"}, AttendeeType: ews.AttendeeRequired}},
				FreeBusyViewOptions: &ews.FreeBusyViewOptions{RequestedView: ews.ViewFreeBusy,
					TimeWindow: ews.TimeWindow{StartTime: ews.Local(day), EndTime: ews.Local(day.Add(24 * time.Hour))}},
			}); err != nil {
				t.Fatal(err)
			}
			status, body := alice.post(doc.Bytes())
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var resp ews.GetUserAvailabilityResponse
			if _, err := ews.DecodeResponse(bytes.NewReader(body), ews.ResponseName(ews.OpGetUserAvailability), &resp); err != nil {
				t.Fatal(err)
			}
			fb := resp.FreeBusyResponses[0]
			iwWantOK(t, fb.ResponseMessage)
			got, want := fb.FreeBusyView.WorkingHours.TimeZone, tzRules(t, d)
			if got.Bias != want.Bias || (got.DaylightTime.Month != 0) != (want.DaylightTime.Month != 0) {
				t.Fatalf("WorkingHours zone %+v, GetServerTimeZones %+v", got, want)
			}
			if want.DaylightTime.Month != 0 && !reflect.DeepEqual(got, want) {
				t.Errorf("WorkingHours zone %+v, GetServerTimeZones %+v", got, want)
			}
		})
	}
}
