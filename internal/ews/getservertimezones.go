package ews

import "encoding/xml"

// GetServerTimeZonesRequest is the m:GetServerTimeZones operation (Exchange 2010 and
// later): the server's Windows time zone definitions, all of them or the ones Ids names.
// Ids the server does not know are left out of the answer without an error (MS-OXWSGTZ).
// exchangelib calls it before every GetUserAvailability, to build that request's
// t:TimeZone.
type GetServerTimeZonesRequest struct {
	// ReturnFullTimeZoneData asks for each zone's periods and transitions, not only its Id
	// and Name; absent means true (see FullData).
	ReturnFullTimeZoneData *bool    `xml:"ReturnFullTimeZoneData,attr"`
	Ids                    []string `xml:"m:Ids>t:Id"`
}

// FullData reports whether the request asks for full definitions: ReturnFullTimeZoneData,
// true when absent.
func (r *GetServerTimeZonesRequest) FullData() bool {
	return r.ReturnFullTimeZoneData == nil || *r.ReturnFullTimeZoneData
}

// GetServerTimeZonesResponse is the m:GetServerTimeZonesResponse element: one message
// carrying every definition.
type GetServerTimeZonesResponse struct {
	ResponseMessages []GetServerTimeZonesResponseMessage `xml:"m:ResponseMessages>m:GetServerTimeZonesResponseMessage"`
}

// GetServerTimeZonesResponseMessage carries the definitions. The schema requires
// m:TimeZoneDefinitions, so it is written (empty) on errors too.
type GetServerTimeZonesResponseMessage struct {
	ResponseMessage
	TimeZoneDefinitions ServerTimeZones `xml:"m:TimeZoneDefinitions"`
}

// ServerTimeZones is ArrayOfTimeZoneDefinitionType.
type ServerTimeZones struct {
	Definitions []ServerTimeZone `xml:"t:TimeZoneDefinition"`
}

// ServerTimeZone is a t:TimeZoneDefinition with everything TimeZoneDefinitionType has, as
// GetServerTimeZones returns it (TimeZoneDefinition, used on calendar items, keeps only Id
// and Name). Periods are the zone's offsets from UTC; TransitionsGroups are rule sets,
// each switching between periods every year (RecurringDayTransition) or once
// (Transition); Transitions say which group applies from when (a Transition to the first
// group, then AbsoluteDateTransitions).
type ServerTimeZone struct {
	Id                string                     `xml:"Id,attr,omitempty"`
	Name              string                     `xml:"Name,attr,omitempty"`
	Periods           *TimeZonePeriods           `xml:"t:Periods"`
	TransitionsGroups *TimeZoneTransitionsGroups `xml:"t:TransitionsGroups"`
	Transitions       *TimeZoneTransitions       `xml:"t:Transitions"`
}

// TimeZonePeriods is NonEmptyArrayOfPeriodsType.
type TimeZonePeriods struct {
	Periods []TimeZonePeriod `xml:"t:Period"`
}

// TimeZoneTransitionsGroups is ArrayOfTransitionsGroupsType.
type TimeZoneTransitionsGroups struct {
	Groups []TimeZoneTransitions `xml:"t:TransitionsGroup"`
}

// TimeZonePeriod is a span of a time zone with one offset (PeriodType). Bias is an
// xs:duration to add to local time to get UTC ("-PT1H" for UTC+1); Name is Standard or
// Daylight; Id is what transitions point to.
type TimeZonePeriod struct {
	Bias string `xml:"Bias,attr,omitempty"`
	Name string `xml:"Name,attr,omitempty"`
	Id   string `xml:"Id,attr,omitempty"`
}

// TimeZoneTransitions is ArrayOfTransitionsType: a t:TransitionsGroup (with its Id) or a
// definition's t:Transitions, in document order.
type TimeZoneTransitions struct {
	Id          string               `xml:"Id,attr,omitempty"`
	Transitions []TimeZoneTransition `xml:",any"`
}

// Transition kinds, as element names (XMLName of a TimeZoneTransition).
const (
	KindTransition              = "t:Transition"
	KindAbsoluteDateTransition  = "t:AbsoluteDateTransition"
	KindRecurringDayTransition  = "t:RecurringDayTransition"
	KindRecurringDateTransition = "t:RecurringDateTransition"
)

// Transition target kinds (TransitionTargetKindType).
const (
	TransitionToPeriod = "Period"
	TransitionToGroup  = "Group"
)

// TimeZoneTransition is any transition, as XMLName says (the Kind…Transition
// constants): t:Transition (To only), t:AbsoluteDateTransition (DateTime, a local time
// without zone), t:RecurringDayTransition (TimeOffset after midnight local time, on the
// Occurrence-th DayOfWeek of Month, -1 the last) or t:RecurringDateTransition (on Day of
// Month).
type TimeZoneTransition struct {
	XMLName    xml.Name
	To         TransitionTarget `xml:"t:To"`
	DateTime   LocalDateTime    `xml:"t:DateTime"`
	TimeOffset string           `xml:"t:TimeOffset,omitempty"`
	Month      int              `xml:"t:Month,omitempty"`
	DayOfWeek  string           `xml:"t:DayOfWeek,omitempty"`
	Occurrence int              `xml:"t:Occurrence,omitempty"`
	Day        int              `xml:"t:Day,omitempty"`
}

// Kind returns the transition's element name (e.g. KindRecurringDayTransition).
func (t *TimeZoneTransition) Kind() string { return t.XMLName.Local }

// TransitionTarget is the t:To of a transition: a period's or a group's Id.
type TransitionTarget struct {
	Kind  string `xml:"Kind,attr"`
	Value string `xml:",chardata"`
}
