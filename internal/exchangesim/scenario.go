package exchangesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Scenario is a simulated organization as data: domains, users, groups, room lists,
// management scopes, role assignments and what each mailbox contains. Contoso and
// Generate build scenarios in code; LoadScenario reads one from JSON:
//
//	{
//	  "name": "acme",
//	  "seed": 7,
//	  "domains": [{"name": "acme.test", "netbios": "ACME"}],
//	  "users": [
//	    {"smtp": "svc-ews@acme.test", "password": "Svc-Pass-2026!", "displayName": "EWS service"},
//	    {"smtp": "svc-nomb@acme.test", "password": "Svc-Pass-2026!", "mailbox": false},
//	    {"smtp": "ann@acme.test", "password": "User-Pass-2026!", "givenName": "Ann",
//	     "surname": "Lee", "department": "Sales", "proxyAddresses": ["a.lee@acme.test"],
//	     "content": {
//	       "counts": {"inbox": 200, "inbox/Projects": 20, "sentitems": 30, "calendar": 40},
//	       "folders": ["Archive/2025"],
//	       "items": [
//	         {"folder": "inbox", "subject": "Welcome", "from": "svc-ews@acme.test",
//	          "body": "<p>Hello Ann</p>", "received": "-2h", "isRead": false},
//	         {"folder": "calendar", "subject": "Kickoff", "start": "+1d", "end": "+25h",
//	          "location": "Room 1", "attendees": ["ann@acme.test"], "freeBusy": "Busy"},
//	         {"folder": "contacts", "givenName": "Raj", "surname": "Patel",
//	          "email": "raj@fabrikam.test", "phone": "+1 425 555 0100", "companyName": "Fabrikam"}
//	       ]}},
//	    {"smtp": "room-1@acme.test", "kind": "RoomMailbox", "displayName": "Room 1",
//	     "content": {"counts": {"calendar": 15}}}
//	  ],
//	  "groups": [
//	    {"smtp": "sales@acme.test", "displayName": "Sales", "members": ["ann@acme.test"]},
//	    {"smtp": "rooms@acme.test", "displayName": "Rooms", "roomList": true, "members": ["room-1@acme.test"]}
//	  ],
//	  "scopes": [{"name": "SalesScope", "members": ["ann@acme.test", "room-1@acme.test"]}],
//	  "roleAssignments": [
//	    {"name": "ews-imp", "role": "ApplicationImpersonation", "user": "svc-ews@acme.test", "scope": "SalesScope"}
//	  ],
//	  "defaultContent": {"counts": {"inbox": 50, "sentitems": 10, "calendar": 20, "contacts": 10}}
//	}
//
// Users have a mailbox unless "mailbox" is false; "licensed" defaults to having a mailbox;
// "kind" is "UserMailbox" (default) or "RoomMailbox" (rooms have no password and cannot
// sign in). "upn" defaults to the SMTP address and "sam" to its local part. A user without
// "content" gets "defaultContent". A role assignment without "scope" is organization-wide.
//
// Content "counts" maps folder paths to numbers of generated items: a path is a
// distinguished folder name ("inbox", "sentitems", "calendar", "contacts", "tasks", …) or
// a top-level folder name, then subfolder names, separated by "/"; missing folders are
// created. Calendar folders get events spread over ±90 days, contact folders contacts,
// task folders tasks, other folders ~2 KB messages spread over the last 180 days. "items"
// are explicit items; their times are RFC 3339 or offsets from the World's start ("-2h",
// "+1d"). Generated content is a function of "seed", the mailbox address and the folder
// path only; the people it mentions are the users with a mailbox and a given name.
type Scenario struct {
	Name            string           `json:"name,omitempty"`
	Seed            int64            `json:"seed"`
	Domains         []Domain         `json:"domains"`
	Users           []UserSpec       `json:"users"`
	Groups          []GroupSpec      `json:"groups,omitempty"`
	Scopes          []ScopeSpec      `json:"scopes,omitempty"`
	RoleAssignments []RoleAssignment `json:"roleAssignments,omitempty"`
	DefaultContent  *Content         `json:"defaultContent,omitempty"`
	// Tenant is the organization's Entra ID tenant, for Microsoft Graph and Exchange
	// Online mode; nil means none (Graph and the token endpoint then know no tenant).
	Tenant *TenantSpec `json:"tenant,omitempty"`
}

// UserSpec describes a user to create.
type UserSpec struct {
	SMTP           string        `json:"smtp"`
	Password       string        `json:"password,omitempty"`
	DisplayName    string        `json:"displayName,omitempty"`
	GivenName      string        `json:"givenName,omitempty"`
	Surname        string        `json:"surname,omitempty"`
	Department     string        `json:"department,omitempty"`
	UPN            string        `json:"upn,omitempty"`
	SAM            string        `json:"sam,omitempty"`
	ProxyAddresses []string      `json:"proxyAddresses,omitempty"`
	Kind           RecipientKind `json:"kind,omitempty"`
	Mailbox        *bool         `json:"mailbox,omitempty"`  // default true
	Licensed       *bool         `json:"licensed,omitempty"` // default: has a mailbox
	Content        *Content      `json:"content,omitempty"`
}

// GroupSpec describes a distribution group or, with RoomList, a room list.
type GroupSpec struct {
	SMTP        string   `json:"smtp"`
	DisplayName string   `json:"displayName,omitempty"`
	Members     []string `json:"members,omitempty"`
	RoomList    bool     `json:"roomList,omitempty"`
}

// ScopeSpec describes a management scope and its members.
type ScopeSpec struct {
	Name    string   `json:"name"`
	Members []string `json:"members,omitempty"`
}

// Content is what a mailbox holds when it is first used.
type Content struct {
	Counts  map[string]int `json:"counts,omitempty"`  // folder path → generated items
	Folders []string       `json:"folders,omitempty"` // extra (empty) folders, as paths
	Items   []ItemSpec     `json:"items,omitempty"`
}

// ItemSpec is an explicit item of a scenario. Kind is "message", "event", "contact" or
// "task"; empty means the folder's kind.
type ItemSpec struct {
	Folder      string   `json:"folder"`
	Kind        string   `json:"kind,omitempty"`
	Subject     string   `json:"subject,omitempty"`
	Body        string   `json:"body,omitempty"` // HTML when it starts with "<", else text
	From        string   `json:"from,omitempty"`
	To          []string `json:"to,omitempty"` // default: the mailbox owner (messages)
	Cc          []string `json:"cc,omitempty"`
	Received    string   `json:"received,omitempty"`
	IsRead      bool     `json:"isRead,omitempty"`
	Start       string   `json:"start,omitempty"`
	End         string   `json:"end,omitempty"`
	Location    string   `json:"location,omitempty"`
	Attendees   []string `json:"attendees,omitempty"`
	FreeBusy    string   `json:"freeBusy,omitempty"` // Free, Tentative, Busy, OOF
	GivenName   string   `json:"givenName,omitempty"`
	Surname     string   `json:"surname,omitempty"`
	CompanyName string   `json:"companyName,omitempty"`
	JobTitle    string   `json:"jobTitle,omitempty"`
	Email       string   `json:"email,omitempty"`
	Phone       string   `json:"phone,omitempty"`
}

// LoadScenario reads a JSON scenario (see Scenario) and validates it. Unknown fields are
// errors, so that typos do not pass silently.
func LoadScenario(r io.Reader) (*Scenario, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("exchangesim: load scenario: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("exchangesim: load scenario: trailing data after the scenario")
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// Validate checks what can be checked without building the directory (which checks the
// rest: unique addresses, known members and scopes).
func (sc *Scenario) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("exchangesim: scenario %q: %s: %w", sc.Name, fmt.Sprintf(format, args...), ErrInvalid)
	}
	if sc.DefaultContent != nil {
		if err := sc.DefaultContent.validate(); err != nil {
			return fail("defaultContent: %v", err)
		}
	}
	for _, u := range sc.Users {
		if u.Content != nil {
			if err := u.Content.validate(); err != nil {
				return fail("user %q: content: %v", u.SMTP, err)
			}
		}
	}
	return nil
}

func (c *Content) validate() error {
	for p, n := range c.Counts {
		if n < 0 || n > 10_000_000 {
			return fmt.Errorf("count %d for %q out of range", n, p)
		}
		if err := validPath(p); err != nil {
			return err
		}
	}
	for _, p := range c.Folders {
		if err := validPath(p); err != nil {
			return err
		}
	}
	for i, s := range c.Items {
		if err := validPath(s.Folder); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
		if _, err := s.item(time.Unix(0, 0), func(a string) ews.EmailAddress { return ews.EmailAddress{EmailAddress: a} }); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return nil
}

func validPath(p string) error {
	p = strings.Trim(p, "/")
	if p == "" {
		return errors.New("empty folder path")
	}
	for _, s := range strings.Split(p, "/") {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("folder path %q has an empty name", p)
		}
	}
	return nil
}

// parseWhen reads an RFC 3339 time or an offset from anchor such as "-36h", "+90m", "-3d".
func parseWhen(s string, anchor time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if strings.HasSuffix(s, "d") {
		days, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad time %q", s)
		}
		return anchor.Add(time.Duration(days * float64(24*time.Hour))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return anchor.Add(d), nil
}

func addressList(addrs []string, resolve func(string) ews.EmailAddress) *ews.Recipients {
	if len(addrs) == 0 {
		return nil
	}
	r := &ews.Recipients{}
	for _, a := range addrs {
		r.Mailboxes = append(r.Mailboxes, resolve(a))
	}
	return r
}

// item builds the ews.Item of an explicit scenario item; the store fills in the rest.
func (s ItemSpec) item(anchor time.Time, resolve func(string) ews.EmailAddress) (ews.Item, error) {
	var it ews.Item
	switch strings.ToLower(s.Kind) {
	case "":
	case "message":
		it.XMLName = xmlName(ews.KindMessage)
	case "event", "calendaritem", "appointment":
		it.XMLName = xmlName(ews.KindCalendarItem)
	case "contact":
		it.XMLName = xmlName(ews.KindContact)
	case "task":
		it.XMLName = xmlName(ews.KindTask)
	default:
		return it, fmt.Errorf("unknown item kind %q", s.Kind)
	}
	it.Subject = s.Subject
	if s.Body != "" {
		typ := "Text"
		if strings.HasPrefix(strings.TrimSpace(s.Body), "<") {
			typ = "HTML"
		}
		it.Body = &ews.Body{BodyType: typ, Value: s.Body}
	}
	received, err := parseWhen(s.Received, anchor)
	if err != nil {
		return it, err
	}
	start, err := parseWhen(s.Start, anchor)
	if err != nil {
		return it, err
	}
	end, err := parseWhen(s.End, anchor)
	if err != nil {
		return it, err
	}
	it.DateTimeReceived = ews.Date(received)
	if s.From != "" {
		from := resolve(s.From)
		it.From = &ews.SingleRecipient{Mailbox: from}
		it.Sender = &ews.SingleRecipient{Mailbox: from}
	}
	it.ToRecipients = addressList(s.To, resolve)
	it.CcRecipients = addressList(s.Cc, resolve)
	if s.IsRead {
		it.IsRead = ews.Bool(true)
	}
	it.Start, it.End = ews.Date(start), ews.Date(end)
	it.Location = s.Location
	it.LegacyFreeBusyStatus = s.FreeBusy
	switch s.FreeBusy {
	case "", "Free", "Tentative", "Busy", "OOF", "WorkingElsewhere", "NoData":
	default:
		return it, fmt.Errorf("unknown freeBusy %q", s.FreeBusy)
	}
	if len(s.Attendees) > 0 {
		it.RequiredAttendees = &ews.Attendees{}
		for _, a := range s.Attendees {
			it.RequiredAttendees.Attendees = append(it.RequiredAttendees.Attendees, ews.Attendee{Mailbox: resolve(a), ResponseType: "Accept"})
		}
	}
	it.GivenName, it.Surname, it.CompanyName, it.JobTitle = s.GivenName, s.Surname, s.CompanyName, s.JobTitle
	if s.Email != "" {
		it.EmailAddresses = &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{{Key: "EmailAddress1", RoutingType: "SMTP", Value: s.Email}}}
	}
	if s.Phone != "" {
		it.PhoneNumbers = &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{{Key: "BusinessPhone", Value: s.Phone}}}
	}
	return it, nil
}

// load builds the directory of a validated scenario.
func (w *World) load(sc *Scenario) error {
	d := w.dir
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, dom := range sc.Domains {
		if err := d.addDomain(dom); err != nil {
			return err
		}
	}
	for _, us := range sc.Users {
		u, err := d.addUser(us)
		if err != nil {
			return err
		}
		switch {
		case us.Content != nil:
			w.content[u.PrimarySMTP] = us.Content
		case sc.DefaultContent != nil && u.Kind == RecipientUserMailbox:
			w.content[u.PrimarySMTP] = sc.DefaultContent
		}
	}
	// Groups may contain groups: create them all, then fill them.
	for _, g := range sc.Groups {
		if err := d.addGroup(GroupSpec{SMTP: g.SMTP, DisplayName: g.DisplayName, RoomList: g.RoomList}); err != nil {
			return err
		}
	}
	for _, g := range sc.Groups {
		if err := d.setGroupMembers(g.SMTP, g.Members); err != nil {
			return err
		}
	}
	for _, s := range sc.Scopes {
		if err := d.addScope(s.Name); err != nil {
			return err
		}
		if err := d.changeScope(s.Name, true, s.Members); err != nil {
			return err
		}
	}
	for _, a := range sc.RoleAssignments {
		if err := d.addAssignment(a); err != nil {
			return err
		}
	}
	return nil
}
