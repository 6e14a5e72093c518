package exchangesim

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// windowsZone is a Windows time zone as an Exchange 2016 server (Windows Server 2016)
// knows it: its id (the registry key, e.g. "W. Europe Standard Time"), display name, and
// rules. A zone whose rules changed (the United States and Canada in 2007) has one era per
// rule, as the registry's Dynamic DST key lists them.
type windowsZone struct {
	id, name string
	eras     []zoneEra // oldest first; the first one also covers every earlier year
}

// zoneEra is a zone's rule from a year on, in the availability service's form: Bias plus
// StandardTime.Bias is the standard offset, Bias plus DaylightTime.Bias the daylight one
// (minutes to add to local time to get UTC), and Month 0 means no daylight time.
type zoneEra struct {
	from int // first year; 1 for a zone without Dynamic DST (the "1-" of period ids)
	rule ews.SerializableTimeZone
}

// rules returns the zone's current rule.
func (z *windowsZone) rules() ews.SerializableTimeZone { return z.eras[len(z.eras)-1].rule }

// definition returns the zone as GetServerTimeZones writes it: Id and Name, and with full
// the periods and transitions Exchange derives from the registry. Periods are named
// "trule:Microsoft/Registry/<id>/<first year>-Standard" (and -Daylight); each era is a
// TransitionsGroup (to daylight time, then back to standard time, or one Transition to
// standard time for a zone without daylight time); the first group applies from the start
// and each later one from 1 January of its first year.
func (z *windowsZone) definition(full bool) ews.ServerTimeZone {
	d := ews.ServerTimeZone{Id: z.id, Name: z.name}
	if !full {
		return d
	}
	d.Periods, d.TransitionsGroups, d.Transitions = &ews.TimeZonePeriods{}, &ews.TimeZoneTransitionsGroups{}, &ews.TimeZoneTransitions{}
	for i, era := range z.eras {
		r := era.rule
		prefix := fmt.Sprintf("trule:Microsoft/Registry/%s/%d-", z.id, era.from)
		std := ews.TimeZonePeriod{Bias: xsDuration(r.Bias + r.StandardTime.Bias), Name: "Standard", Id: prefix + "Standard"}
		d.Periods.Periods = append(d.Periods.Periods, std)
		group := ews.TimeZoneTransitions{Id: fmt.Sprint(i)}
		if zoneHasDST(r) {
			dlt := ews.TimeZonePeriod{Bias: xsDuration(r.Bias + r.DaylightTime.Bias), Name: "Daylight", Id: prefix + "Daylight"}
			d.Periods.Periods = append(d.Periods.Periods, dlt)
			group.Transitions = []ews.TimeZoneTransition{recurringDay(dlt.Id, r.DaylightTime), recurringDay(std.Id, r.StandardTime)}
		} else {
			group.Transitions = []ews.TimeZoneTransition{{XMLName: xmlName(ews.KindTransition),
				To: ews.TransitionTarget{Kind: ews.TransitionToPeriod, Value: std.Id}}}
		}
		d.TransitionsGroups.Groups = append(d.TransitionsGroups.Groups, group)
		to := ews.TransitionTarget{Kind: ews.TransitionToGroup, Value: group.Id}
		if i == 0 {
			d.Transitions.Transitions = append(d.Transitions.Transitions, ews.TimeZoneTransition{XMLName: xmlName(ews.KindTransition), To: to})
		} else {
			d.Transitions.Transitions = append(d.Transitions.Transitions, ews.TimeZoneTransition{XMLName: xmlName(ews.KindAbsoluteDateTransition),
				To: to, DateTime: ews.Local(time.Date(era.from, time.January, 1, 0, 0, 0, 0, time.UTC))})
		}
	}
	return d
}

// recurringDay is the yearly transition to period id at rule r's time: the DayOrder-th
// DayOfWeek of Month, where Exchange writes the last one (DayOrder 5) as -1.
func recurringDay(id string, r ews.SerializableTimeZoneTime) ews.TimeZoneTransition {
	occ := r.DayOrder
	if occ < 1 || occ > 4 {
		occ = -1
	}
	var h, m, s int
	fmt.Sscanf(strings.TrimSpace(r.Time), "%d:%d:%d", &h, &m, &s)
	return ews.TimeZoneTransition{XMLName: xmlName(ews.KindRecurringDayTransition),
		To:         ews.TransitionTarget{Kind: ews.TransitionToPeriod, Value: id},
		TimeOffset: xsDurationOf(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second),
		Month:      r.Month, DayOfWeek: r.DayOfWeek, Occurrence: occ}
}

// zoneHasDST reports whether a rule has daylight time (both transitions in a month).
func zoneHasDST(r ews.SerializableTimeZone) bool {
	valid := func(m int) bool { return m >= 1 && m <= 12 }
	return valid(r.StandardTime.Month) && valid(r.DaylightTime.Month)
}

// xsDuration writes a bias in minutes as an xs:duration, as Exchange does ("-PT1H",
// "PT5H30M", "PT0S").
func xsDuration(minutes int) string { return xsDurationOf(time.Duration(minutes) * time.Minute) }

// xsDurationOf writes d as .NET's XmlConvert does: the largest units first, zero units
// left out, and PT0S for nothing.
func xsDurationOf(d time.Duration) string {
	if d == 0 {
		return "PT0S"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	b.WriteByte('P')
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dD", days)
		d -= days * 24 * time.Hour
	}
	if d == 0 {
		return b.String()
	}
	b.WriteByte('T')
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
		d -= m * time.Minute
	}
	if d > 0 {
		b.WriteString(strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.7f", d.Seconds()), "0"), "."))
		b.WriteByte('S')
	}
	return b.String()
}

func zoneTime(month, order int, day, at string, bias int) ews.SerializableTimeZoneTime {
	return ews.SerializableTimeZoneTime{Bias: bias, Time: at, DayOrder: order, Month: month, DayOfWeek: day}
}

// zoneNoDST is a rule without daylight time.
func zoneNoDST(bias int) ews.SerializableTimeZone {
	none := zoneTime(0, 0, "Sunday", "00:00:00", 0)
	return ews.SerializableTimeZone{Bias: bias, StandardTime: none, DaylightTime: none}
}

func zoneDST(bias int, std, dlt ews.SerializableTimeZoneTime) ews.SerializableTimeZone {
	return ews.SerializableTimeZone{Bias: bias, StandardTime: std, DaylightTime: dlt}
}

// windowsZones are the Windows time zones the simulator knows, west to east, with their
// current rules (and, for the United States and Canada, the rule before 2007): what
// GetServerTimeZones lists and what a TimeZoneContext header may name.
var windowsZones = func() []windowsZone {
	one := func(id, name string, rule ews.SerializableTimeZone) windowsZone {
		return windowsZone{id: id, name: name, eras: []zoneEra{{from: 1, rule: rule}}}
	}
	eu := func(id, name string, bias int, std, dlt string) windowsZone {
		return one(id, name, zoneDST(bias, zoneTime(10, 5, "Sunday", std, 0), zoneTime(3, 5, "Sunday", dlt, -60)))
	}
	// North America: until 2006 from the first Sunday of April to the last Sunday of
	// October; since 2007 from the second Sunday of March to the first Sunday of November.
	na := func(id, name string, bias int) windowsZone {
		return windowsZone{id: id, name: name, eras: []zoneEra{
			{from: 2006, rule: zoneDST(bias, zoneTime(10, 5, "Sunday", "02:00:00", 0), zoneTime(4, 1, "Sunday", "02:00:00", -60))},
			{from: 2007, rule: zoneDST(bias, zoneTime(11, 1, "Sunday", "02:00:00", 0), zoneTime(3, 2, "Sunday", "02:00:00", -60))},
		}}
	}
	return []windowsZone{
		one("Hawaiian Standard Time", "(UTC-10:00) Hawaii", zoneNoDST(600)),
		na("Alaskan Standard Time", "(UTC-09:00) Alaska", 540),
		na("Pacific Standard Time", "(UTC-08:00) Pacific Time (US & Canada)", 480),
		one("US Mountain Standard Time", "(UTC-07:00) Arizona", zoneNoDST(420)),
		na("Mountain Standard Time", "(UTC-07:00) Mountain Time (US & Canada)", 420),
		na("Central Standard Time", "(UTC-06:00) Central Time (US & Canada)", 360),
		one("SA Pacific Standard Time", "(UTC-05:00) Bogota, Lima, Quito, Rio Branco", zoneNoDST(300)),
		na("Eastern Standard Time", "(UTC-05:00) Eastern Time (US & Canada)", 300),
		na("Atlantic Standard Time", "(UTC-04:00) Atlantic Time (Canada)", 240),
		one("E. South America Standard Time", "(UTC-03:00) Brasilia", zoneNoDST(180)),
		one("Argentina Standard Time", "(UTC-03:00) City of Buenos Aires", zoneNoDST(180)),
		one("UTC", "(UTC) Coordinated Universal Time", zoneNoDST(0)),
		eu("GMT Standard Time", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", 0, "02:00:00", "01:00:00"),
		one("Greenwich Standard Time", "(UTC+00:00) Monrovia, Reykjavik", zoneNoDST(0)),
		eu("W. Europe Standard Time", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", -60, "03:00:00", "02:00:00"),
		eu("Central Europe Standard Time", "(UTC+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague", -60, "03:00:00", "02:00:00"),
		eu("Romance Standard Time", "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris", -60, "03:00:00", "02:00:00"),
		eu("Central European Standard Time", "(UTC+01:00) Sarajevo, Skopje, Warsaw, Zagreb", -60, "03:00:00", "02:00:00"),
		eu("GTB Standard Time", "(UTC+02:00) Athens, Bucharest", -120, "04:00:00", "03:00:00"),
		one("South Africa Standard Time", "(UTC+02:00) Harare, Pretoria", zoneNoDST(-120)),
		eu("FLE Standard Time", "(UTC+02:00) Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius", -120, "04:00:00", "03:00:00"),
		one("Russian Standard Time", "(UTC+03:00) Moscow, St. Petersburg", zoneNoDST(-180)),
		one("Arabian Standard Time", "(UTC+04:00) Abu Dhabi, Muscat", zoneNoDST(-240)),
		one("India Standard Time", "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", zoneNoDST(-330)),
		one("China Standard Time", "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi", zoneNoDST(-480)),
		one("Singapore Standard Time", "(UTC+08:00) Kuala Lumpur, Singapore", zoneNoDST(-480)),
		one("Tokyo Standard Time", "(UTC+09:00) Osaka, Sapporo, Tokyo", zoneNoDST(-540)),
		one("Korea Standard Time", "(UTC+09:00) Seoul", zoneNoDST(-540)),
		one("E. Australia Standard Time", "(UTC+10:00) Brisbane", zoneNoDST(-600)),
		one("AUS Eastern Standard Time", "(UTC+10:00) Canberra, Melbourne, Sydney",
			zoneDST(-600, zoneTime(4, 1, "Sunday", "03:00:00", 0), zoneTime(10, 1, "Sunday", "02:00:00", -60))),
		one("New Zealand Standard Time", "(UTC+12:00) Auckland, Wellington",
			zoneDST(-720, zoneTime(4, 1, "Sunday", "03:00:00", 0), zoneTime(9, 5, "Sunday", "02:00:00", -60))),
	}
}()

// windowsZonesByID indexes windowsZones by lower-case id.
var windowsZonesByID = func() map[string]*windowsZone {
	m := make(map[string]*windowsZone, len(windowsZones))
	for i := range windowsZones {
		m[strings.ToLower(windowsZones[i].id)] = &windowsZones[i]
	}
	return m
}()

// lookupWindowsZone finds a zone by its Windows id, ignoring case as the registry does.
func lookupWindowsZone(id string) (*windowsZone, bool) {
	z, ok := windowsZonesByID[strings.ToLower(strings.TrimSpace(id))]
	return z, ok
}
