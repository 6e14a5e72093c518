package ews_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
)

func tzTo(kind, id string) ews.TransitionTarget { return ews.TransitionTarget{Kind: kind, Value: id} }

func tzPeriodTransition(id string) ews.TimeZoneTransition {
	return ews.TimeZoneTransition{XMLName: itKind(ews.KindTransition), To: tzTo(ews.TransitionToPeriod, id)}
}

func tzGroupTransition(id string) ews.TimeZoneTransition {
	return ews.TimeZoneTransition{XMLName: itKind(ews.KindTransition), To: tzTo(ews.TransitionToGroup, id)}
}

func tzRecurringDay(to, offset string, month int, day string, occurrence int) ews.TimeZoneTransition {
	return ews.TimeZoneTransition{XMLName: itKind(ews.KindRecurringDayTransition), To: tzTo(ews.TransitionToPeriod, to),
		TimeOffset: offset, Month: month, DayOfWeek: day, Occurrence: occurrence}
}

// Zones as Exchange 2016 writes them: one without daylight time, one with, and one whose
// rule changed (two groups, the second from an AbsoluteDateTransition).
func serverTimeZones() []ews.ServerTimeZone {
	const utc = "trule:Microsoft/Registry/UTC/1-Standard"
	const weStd, weDlt = "trule:Microsoft/Registry/W. Europe Standard Time/1-Standard", "trule:Microsoft/Registry/W. Europe Standard Time/1-Daylight"
	est := func(year, period string) string {
		return "trule:Microsoft/Registry/Eastern Standard Time/" + year + "-" + period
	}
	return []ews.ServerTimeZone{
		{Id: "UTC", Name: "(UTC) Coordinated Universal Time",
			Periods:           &ews.TimeZonePeriods{Periods: []ews.TimeZonePeriod{{Bias: "PT0S", Name: "Standard", Id: utc}}},
			TransitionsGroups: &ews.TimeZoneTransitionsGroups{Groups: []ews.TimeZoneTransitions{{Id: "0", Transitions: []ews.TimeZoneTransition{tzPeriodTransition(utc)}}}},
			Transitions:       &ews.TimeZoneTransitions{Transitions: []ews.TimeZoneTransition{tzGroupTransition("0")}}},
		{Id: "W. Europe Standard Time", Name: "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
			Periods: &ews.TimeZonePeriods{Periods: []ews.TimeZonePeriod{{Bias: "-PT1H", Name: "Standard", Id: weStd}, {Bias: "-PT2H", Name: "Daylight", Id: weDlt}}},
			TransitionsGroups: &ews.TimeZoneTransitionsGroups{Groups: []ews.TimeZoneTransitions{{Id: "0", Transitions: []ews.TimeZoneTransition{
				tzRecurringDay(weDlt, "PT2H", 3, "Sunday", -1), tzRecurringDay(weStd, "PT3H", 10, "Sunday", -1)}}}},
			Transitions: &ews.TimeZoneTransitions{Transitions: []ews.TimeZoneTransition{tzGroupTransition("0")}}},
		{Id: "Eastern Standard Time", Name: "(UTC-05:00) Eastern Time (US & Canada)",
			Periods: &ews.TimeZonePeriods{Periods: []ews.TimeZonePeriod{{Bias: "PT5H", Name: "Standard", Id: est("2006", "Standard")}, {Bias: "PT4H", Name: "Daylight", Id: est("2006", "Daylight")},
				{Bias: "PT5H", Name: "Standard", Id: est("2007", "Standard")}, {Bias: "PT4H", Name: "Daylight", Id: est("2007", "Daylight")}}},
			TransitionsGroups: &ews.TimeZoneTransitionsGroups{Groups: []ews.TimeZoneTransitions{
				{Id: "0", Transitions: []ews.TimeZoneTransition{
					tzRecurringDay(est("2006", "Daylight"), "PT2H", 4, "Sunday", 1), tzRecurringDay(est("2006", "Standard"), "PT2H", 10, "Sunday", -1)}},
				{Id: "1", Transitions: []ews.TimeZoneTransition{
					tzRecurringDay(est("2007", "Daylight"), "PT2H", 3, "Sunday", 2), tzRecurringDay(est("2007", "Standard"), "PT2H", 11, "Sunday", 1)}}}},
			Transitions: &ews.TimeZoneTransitions{Transitions: []ews.TimeZoneTransition{tzGroupTransition("0"),
				{XMLName: itKind(ews.KindAbsoluteDateTransition), To: tzTo(ews.TransitionToGroup, "1"),
					DateTime: ews.Local(time.Date(2007, 1, 1, 0, 0, 0, 0, time.UTC))}}}},
	}
}

func getServerTimeZonesCases() []opCase {
	names := serverTimeZones()
	for i := range names {
		names[i] = ews.ServerTimeZone{Id: names[i].Id, Name: names[i].Name}
	}
	return []opCase{
		{golden: "GetServerTimeZones.request.xml", op: ews.OpGetServerTimeZones, body: &ews.GetServerTimeZonesRequest{
			ReturnFullTimeZoneData: ews.Bool(true), Ids: []string{"UTC", "W. Europe Standard Time", "Eastern Standard Time"}}},
		{golden: "GetServerTimeZones.response.xml", response: "GetServerTimeZonesResponse", body: &ews.GetServerTimeZonesResponse{
			ResponseMessages: []ews.GetServerTimeZonesResponseMessage{{ResponseMessage: ews.Success(),
				TimeZoneDefinitions: ews.ServerTimeZones{Definitions: serverTimeZones()}}}}},
		{golden: "GetServerTimeZones-Names.response.xml", response: "GetServerTimeZonesResponse", body: &ews.GetServerTimeZonesResponse{
			ResponseMessages: []ews.GetServerTimeZonesResponseMessage{{ResponseMessage: ews.Success(),
				TimeZoneDefinitions: ews.ServerTimeZones{Definitions: names}}}}},
		// Unknown ids give no definition and no error (MS-OXWSGTZ); the container stays.
		{golden: "GetServerTimeZones-Empty.response.xml", response: "GetServerTimeZonesResponse", body: &ews.GetServerTimeZonesResponse{
			ResponseMessages: []ews.GetServerTimeZonesResponseMessage{{ResponseMessage: ews.Success()}}}},
	}
}

// GetServerTimeZones requests and responses encode to their goldens, decode back to the
// same values and validate against both schema sets.
func TestGetServerTimeZonesGolden(t *testing.T) {
	var paths []string
	for _, c := range getServerTimeZonesCases() {
		t.Run(c.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.encode(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, c.golden, b.Bytes())
			got, err := c.decode(b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.body) {
				t.Errorf("round trip:\ngot  %+v\nwant %+v", got, c.body)
			}
		})
		paths = append(paths, filepath.Join("testdata", c.golden))
	}
	ewsschema.ValidateFiles(t, ewsschema.Primary, paths...)
	ewsschema.ValidateFiles(t, ewsschema.Exchange2016, paths...)
}

// exchangelib's request (before every GetUserAvailability) decodes; the documented
// default of ReturnFullTimeZoneData is true.
func TestDecodeGetServerTimeZonesRequests(t *testing.T) {
	t.Parallel()
	var r ews.GetServerTimeZonesRequest
	decodeRequestFile(t, filepath.Join("testdata", "exchangelib", "GetServerTimeZones.request.xml"), ews.OpGetServerTimeZones, &r)
	if !r.FullData() || !reflect.DeepEqual(r.Ids, []string{"UTC"}) {
		t.Errorf("exchangelib request: %+v", r)
	}
	if !(&ews.GetServerTimeZonesRequest{}).FullData() {
		t.Error("FullData without ReturnFullTimeZoneData = false, want true")
	}
	if (&ews.GetServerTimeZonesRequest{ReturnFullTimeZoneData: ews.Bool(false)}).FullData() {
		t.Error("FullData with ReturnFullTimeZoneData false = true")
	}
}
