package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ScheduleItem is one busy block of a schedule.
type ScheduleItem struct {
	IsPrivate bool             `json:"isPrivate,omitempty"`
	Status    string           `json:"status"` // free, tentative, busy, oof, workingElsewhere, unknown
	Subject   string           `json:"subject,omitempty"`
	Location  string           `json:"location,omitempty"`
	Start     DateTimeTimeZone `json:"start"`
	End       DateTimeTimeZone `json:"end"`
}

// ScheduleError is the error of one schedule (for example, an unknown address).
type ScheduleError struct {
	Message      string `json:"message"`
	ResponseCode string `json:"responseCode"`
}

// ScheduleInformation is the availability of one user, room or distribution list.
type ScheduleInformation struct {
	ScheduleID string `json:"scheduleId"`
	// AvailabilityView has one digit per interval: 0 free, 1 tentative, 2 busy, 3 out
	// of office, 4 working elsewhere.
	AvailabilityView string          `json:"availabilityView,omitempty"`
	ScheduleItems    []ScheduleItem  `json:"scheduleItems,omitempty"`
	WorkingHours     json.RawMessage `json:"workingHours,omitempty"`
	Error            *ScheduleError  `json:"error,omitempty"`
}

// GetSchedule returns the availability of schedules (SMTP addresses of users, rooms,
// distribution lists) between start and end, in intervals of interval (5 minutes to a
// day; 0 means 30 minutes), as mailbox sees it. Times are in UTC.
func (c *Client) GetSchedule(ctx context.Context, mailbox string, schedules []string, start, end time.Time, interval time.Duration) ([]ScheduleInformation, error) {
	if len(schedules) == 0 {
		return nil, errors.New("graph: getSchedule: no schedules")
	}
	if interval == 0 {
		interval = 30 * time.Minute
	}
	if interval < 5*time.Minute || interval > 24*time.Hour {
		return nil, fmt.Errorf("graph: getSchedule: interval %v outside 5 minutes to 1 day", interval)
	}
	const layout = "2006-01-02T15:04:05"
	body, err := json.Marshal(map[string]any{
		"schedules":                schedules,
		"startTime":                DateTimeTimeZone{DateTime: start.UTC().Format(layout), TimeZone: "UTC"},
		"endTime":                  DateTimeTimeZone{DateTime: end.UTC().Format(layout), TimeZone: "UTC"},
		"availabilityViewInterval": int(interval / time.Minute),
	})
	if err != nil {
		return nil, err
	}
	var out struct {
		Value []ScheduleInformation `json:"value"`
	}
	err = c.do(ctx, call{op: "calendar.getSchedule", mailbox: mailbox, method: http.MethodPost,
		url: c.path("/users"+seg(mailbox)+"/calendar/getSchedule", nil), body: body, prefer: []string{`outlook.timezone="UTC"`}}, &out)
	if err != nil {
		return nil, err
	}
	return out.Value, nil
}
