package exchangesim

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Generated content: a generated item is (kind, date, seed) and everything else about it
// (subject, people, body, times) is derived from the seed here, identically every time.

// rng is SplitMix64: tiny, fast and the same on every platform.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// chance returns true with probability pct/100.
func (r *rng) chance(pct int) bool { return r.intn(100) < pct }

func choose[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// mix derives a seed from a parent seed and a few numbers.
func mix(seed uint64, parts ...uint64) uint64 {
	r := rng{seed}
	v := r.next()
	for _, p := range parts {
		r.s ^= p * 0xd6e8feb86659fd93
		v = r.next()
	}
	return v
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

var (
	words = strings.Fields(`the a our this that we you they project customer team plan review
		budget quarter report update meeting schedule pipeline forecast contract proposal
		invoice delivery launch release roadmap feedback design draft approval timeline
		milestone risk issue action item owner status summary numbers target revenue margin
		region account partner vendor support ticket migration rollout training workshop
		agenda notes follow-up decision estimate scope change request sign-off priority
		deadline resource capacity hiring onboarding office travel expense policy security
		compliance audit backup server network license renewal subscription webinar
		campaign lead opportunity deal pricing discount quote order shipment inventory
		should will can could might need please confirm share send check align discuss
		prepare finalize update review approve schedule move cancel join attach include
		today tomorrow next week Monday Tuesday Wednesday Thursday Friday soon later
		and or but with for from about before after during by on in at to of`)
	topics = []string{
		"Q3 pipeline review", "Contract renewal for Fabrikam", "Budget forecast update",
		"Weekly status report", "Travel expense policy", "Onboarding plan for new hires",
		"Product launch checklist", "Customer feedback summary", "Vendor pricing proposal",
		"Security audit findings", "Office move logistics", "Partner workshop agenda",
		"License renewal reminder", "Quarterly business review", "Marketing campaign results",
		"Support ticket escalation", "Roadmap planning session", "Hiring committee notes",
		"Regional sales targets", "Migration rollout schedule", "Training session recap",
		"Invoice 4471 overdue", "Shipment delay for order 1182", "Team offsite ideas",
		"Board deck draft", "Discount approval request", "Compliance training due",
		"Server maintenance window", "Webinar follow-up", "Account plan for Litware",
	}
	meetingTopics = []string{
		"Team sync", "1:1", "Pipeline review", "Customer call: Fabrikam", "Planning session",
		"Design review", "Budget review", "All hands", "Interview loop", "Project kickoff",
		"Quarterly business review", "Training", "Lunch and learn", "Retrospective",
		"Vendor demo", "Sales huddle", "Status check-in", "Workshop prep",
	}
	firstNames = []string{
		"Adele", "Alex", "Allan", "Ben", "Camille", "Cecil", "Christie", "Debra", "Diego",
		"Elena", "Enrico", "Grady", "Henrietta", "Irvin", "Isaiah", "Johanna", "Joni",
		"Lee", "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Patti", "Pradeep", "Raul",
		"Sanjay", "Sofia", "Tomas", "Yuki",
	}
	lastNames = []string{
		"Vance", "Wilber", "Deyoung", "Walters", "Santos", "Burke", "Cline", "Berg",
		"Siciliani", "Gonzalez", "Fernandez", "Archie", "Chen", "Herrera", "Lambert",
		"Lauren", "Sherman", "Gomez", "Holloway", "Robbins", "Bowen", "Patel", "Wilke",
		"Fernandes", "Nakamura", "Okafor", "Larsen", "Moreau", "Novak", "Rossi",
	}
	companies = []string{
		"Fabrikam", "Litware", "Northwind Traders", "Tailspin Toys", "Wide World Importers",
		"Adventure Works", "Proseware", "Woodgrove Bank", "Coho Winery", "Lucerne Publishing",
	}
	jobTitles = []string{
		"Account Manager", "Sales Director", "Purchasing Manager", "CFO", "IT Manager",
		"Project Lead", "Consultant", "Marketing Specialist", "Operations Manager", "Engineer",
	}
	externalSenders = []ews.EmailAddress{
		oneOff("Fabrikam Billing", "billing@fabrikam.com"),
		oneOff("Litware Newsletter", "news@litware.com"),
		oneOff("Northwind Orders", "orders@northwindtraders.com"),
		oneOff("Tailspin Support", "support@tailspintoys.com"),
		oneOff("Woodgrove Bank Alerts", "alerts@woodgrovebank.com"),
		oneOff("Adventure Works Events", "events@adventure-works.com"),
	}
	onlineLocations = []string{"Microsoft Teams Meeting", "Conference Room 2", "Building 4 / 1120", "Phone bridge", "Cafeteria"}
)

func oneOff(name, addr string) ews.EmailAddress {
	return ews.EmailAddress{Name: name, EmailAddress: addr, RoutingType: "SMTP", MailboxType: "OneOff"}
}

// sentence appends one sentence of n random words.
func sentence(b *strings.Builder, r *rng, n int) {
	for i := range n {
		w := choose(r, words)
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteByte('.')
}

// htmlBody returns an HTML body of about size bytes.
func htmlBody(r *rng, greeting, signature string, size int) string {
	var b strings.Builder
	b.Grow(size + 256)
	b.WriteString("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body><p>")
	b.WriteString(greeting)
	b.WriteString("</p>")
	for b.Len() < size {
		b.WriteString("<p>")
		for range 3 + r.intn(4) {
			sentence(&b, r, 8+r.intn(9))
			b.WriteByte(' ')
		}
		b.WriteString("</p>")
	}
	b.WriteString("<p>")
	b.WriteString(signature)
	b.WriteString("</p></body></html>")
	return b.String()
}

func firstName(a ews.EmailAddress) string {
	n, _, _ := strings.Cut(a.Name, " ")
	if n == "" {
		n, _, _ = strings.Cut(a.EmailAddress, "@")
	}
	return n
}

func displayList(as []ews.EmailAddress) string {
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
		if names[i] == "" {
			names[i] = a.EmailAddress
		}
	}
	return strings.Join(names, "; ")
}

// conversationID derives a ConversationId from a topic.
func conversationID(topic string) *ews.ItemId {
	var b [20]byte
	copy(b[:4], []byte{0x00, 0x10, 0x00, 0x00})
	h := fnv.New128a()
	h.Write([]byte(strings.ToLower(topic)))
	copy(b[4:], h.Sum(nil))
	return &ews.ItemId{Id: "AAQk" + base64.StdEncoding.EncodeToString(b[:])}
}

func conversationIndex(seed uint64, t time.Time) string {
	var b [22]byte
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:9], uint64(t.UnixNano()/100))
	binary.BigEndian.PutUint64(b[9:17], seed)
	return base64.StdEncoding.EncodeToString(b[:])
}

// genContext is what generation needs to know about the mailbox.
type genContext struct {
	owner  ews.EmailAddress
	room   bool
	people []ews.EmailAddress // the organization's people, for senders and attendees
	rooms  []ews.EmailAddress
	domain string
}

// correspondent picks someone other than the owner.
func (g *genContext) correspondent(r *rng) ews.EmailAddress {
	for range 4 {
		if len(g.people) == 0 {
			break
		}
		p := choose(r, g.people)
		if p.EmailAddress != g.owner.EmailAddress {
			return p
		}
	}
	first, last := choose(r, firstNames), choose(r, lastNames)
	return ews.EmailAddress{Name: first + " " + last, EmailAddress: strings.ToLower(first+"."+last) + "@" + g.domain, RoutingType: "SMTP", MailboxType: "Mailbox"}
}

// eventTimes returns a generated event's start, end and whether it lasts all day; date is
// the record's date.
func eventTimes(date int64, seed uint64) (start, end time.Time, allDay bool) {
	r := rng{mix(seed, 1)}
	t := time.Unix(date, 0).UTC()
	if r.chance(4) {
		start = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return start, start.Add(24 * time.Hour), true
	}
	start = time.Date(t.Year(), t.Month(), t.Day(), 8+r.intn(9), 30*r.intn(2), 0, 0, time.UTC)
	return start, start.Add(time.Duration(1+r.intn(4)) * 30 * time.Minute), false
}

// eventDate returns a generated event's record date in [anchor-90d, anchor+90d].
func eventDate(anchor time.Time, seed uint64) int64 {
	r := rng{mix(seed, 2)}
	return anchor.Add(time.Duration(r.intn(180*24*60)-90*24*60) * time.Minute).Unix()
}

// generate materializes a generated record. Ids, IsRead and the parent folder are set by
// the caller.
func (g *genContext) generate(kind uint8, date int64, seed uint64) ews.Item {
	r := rng{seed}
	t := time.Unix(date, 0).UTC()
	switch kind {
	case genMessage, genSent:
		return g.message(&r, kind == genSent, t, seed)
	case genEvent:
		return g.event(&r, date, seed)
	case genContact:
		return g.contact(&r, t)
	default:
		return ews.Item{
			XMLName: xmlName(ews.KindTask), ItemClass: "IPM.Task",
			Subject:         "Follow up: " + choose(&r, topics),
			Sensitivity:     "Normal",
			Body:            &ews.Body{BodyType: "HTML", Value: htmlBody(&r, "To do:", "", 300)},
			DateTimeCreated: ews.Date(t), LastModifiedTime: ews.Date(t), Importance: "Normal",
		}
	}
}

func (g *genContext) message(r *rng, sent bool, t time.Time, seed uint64) ews.Item {
	topic := choose(r, topics)
	subject := topic
	switch r.intn(10) {
	case 0, 1, 2:
		subject = "RE: " + topic
	case 3:
		subject = "FW: " + topic
	}
	var from ews.EmailAddress
	var to, cc []ews.EmailAddress
	if sent {
		from = g.owner
		to = []ews.EmailAddress{g.correspondent(r)}
	} else {
		if r.chance(75) {
			from = g.correspondent(r)
		} else {
			from = choose(r, externalSenders)
		}
		to = []ews.EmailAddress{g.owner}
	}
	for range r.intn(3) {
		cc = append(cc, g.correspondent(r))
	}
	greeting := "Hi " + firstName(to[0]) + ","
	body := htmlBody(r, greeting, "Best regards,<br>"+from.Name, 1800+r.intn(400))
	sentAt := t.Add(-time.Duration(5+r.intn(300)) * time.Second)
	importance := "Normal"
	if r.chance(5) {
		importance = "High"
	}
	dom := from.EmailAddress[strings.IndexByte(from.EmailAddress, '@')+1:]
	it := ews.Item{
		XMLName:           xmlName(ews.KindMessage),
		ItemClass:         "IPM.Note",
		Subject:           subject,
		Sensitivity:       "Normal",
		Body:              &ews.Body{BodyType: "HTML", Value: body},
		DateTimeReceived:  ews.Date(t),
		Importance:        importance,
		IsSubmitted:       ews.Bool(false),
		IsDraft:           ews.Bool(false),
		IsFromMe:          ews.Bool(sent),
		IsResend:          ews.Bool(false),
		IsUnmodified:      ews.Bool(true),
		DateTimeSent:      ews.Date(sentAt),
		DateTimeCreated:   ews.Date(t),
		DisplayTo:         displayList(to),
		DisplayCc:         displayList(cc),
		HasAttachments:    ews.Bool(false),
		Culture:           "en-US",
		LastModifiedName:  g.owner.Name,
		LastModifiedTime:  ews.Date(t),
		IsAssociated:      ews.Bool(false),
		ConversationId:    conversationID(topic),
		Sender:            &ews.SingleRecipient{Mailbox: from},
		ToRecipients:      &ews.Recipients{Mailboxes: to},
		ConversationIndex: conversationIndex(seed, sentAt),
		ConversationTopic: topic,
		From:              &ews.SingleRecipient{Mailbox: from},
		InternetMessageId: fmt.Sprintf("<%016x@%s>", seed, dom),

		IsReadReceiptRequested:     ews.Bool(false),
		IsDeliveryReceiptRequested: ews.Bool(false),
		IsResponseRequested:        ews.Bool(false),
	}
	if len(cc) > 0 {
		it.CcRecipients = &ews.Recipients{Mailboxes: cc}
	}
	return it
}

func (g *genContext) event(r *rng, date int64, seed uint64) ews.Item {
	start, end, allDay := eventTimes(date, seed)
	organizer := g.owner
	response := "Organizer"
	if g.room || r.chance(50) {
		organizer = g.correspondent(r)
		response = "Accept"
	}
	var required []ews.Attendee
	for range 1 + r.intn(4) {
		if a := g.correspondent(r); a.EmailAddress != organizer.EmailAddress {
			required = append(required, ews.Attendee{Mailbox: a, ResponseType: choose(r, []string{"Accept", "Tentative", "NoResponseReceived", "Accept"})})
		}
	}
	if organizer.EmailAddress != g.owner.EmailAddress && !g.room {
		required = append(required, ews.Attendee{Mailbox: g.owner, ResponseType: "Accept"})
	}
	subject := choose(r, meetingTopics)
	location := choose(r, onlineLocations)
	var resources *ews.Attendees
	switch {
	case g.room:
		location = g.owner.Name
		resources = &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: g.owner, ResponseType: "Accept"}}}
	case len(g.rooms) > 0 && r.chance(30):
		room := choose(r, g.rooms)
		location = room.Name
		resources = &ews.Attendees{Attendees: []ews.Attendee{{Mailbox: room, ResponseType: "Accept"}}}
	}
	status := "Busy"
	switch r.intn(20) {
	case 0, 1:
		status = "Tentative"
	case 2:
		status = "Free"
	case 3:
		status = "OOF"
		subject = "Out of office"
	}
	if allDay && status == "Busy" {
		status = "Free"
	}
	created := start.Add(-time.Duration(1+r.intn(20*24)) * time.Hour)
	it := ews.Item{
		XMLName:               xmlName(ews.KindCalendarItem),
		ItemClass:             "IPM.Appointment",
		Subject:               subject,
		Sensitivity:           "Normal",
		Body:                  &ews.Body{BodyType: "HTML", Value: htmlBody(r, "Agenda:", organizer.Name, 400)},
		DateTimeReceived:      ews.Date(created),
		Importance:            "Normal",
		IsDraft:               ews.Bool(false),
		DateTimeSent:          ews.Date(created),
		DateTimeCreated:       ews.Date(created),
		ReminderIsSet:         ews.Bool(!allDay),
		DisplayTo:             displayList(attendeeAddrs(required)),
		HasAttachments:        ews.Bool(false),
		Culture:               "en-US",
		LastModifiedName:      organizer.Name,
		LastModifiedTime:      ews.Date(created),
		IsAssociated:          ews.Bool(false),
		UID:                   fmt.Sprintf("040000008200E00074C5B7101A82E008%032X", seed),
		DateTimeStamp:         ews.Date(created),
		Start:                 ews.Date(start),
		End:                   ews.Date(end),
		IsAllDayEvent:         ews.Bool(allDay),
		LegacyFreeBusyStatus:  status,
		Location:              location,
		IsMeeting:             ews.Bool(len(required) > 0),
		IsCancelled:           ews.Bool(false),
		IsRecurring:           ews.Bool(false),
		MeetingRequestWasSent: ews.Bool(len(required) > 0),
		CalendarItemType:      "Single",
		MyResponseType:        response,
		Organizer:             &ews.SingleRecipient{Mailbox: organizer},
		Resources:             resources,
		Duration:              isoDuration(end.Sub(start)),
		TimeZone:              "(UTC) Coordinated Universal Time",
	}
	if !allDay {
		it.ReminderMinutesBeforeStart = "15"
		it.ReminderDueBy = ews.Date(start)
	}
	if len(required) > 0 {
		it.RequiredAttendees = &ews.Attendees{Attendees: required}
	}
	return it
}

func attendeeAddrs(as []ews.Attendee) []ews.EmailAddress {
	out := make([]ews.EmailAddress, len(as))
	for i, a := range as {
		out[i] = a.Mailbox
	}
	return out
}

// isoDuration formats d as xs:duration (PT1H30M).
func isoDuration(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	s := "PT"
	if h > 0 {
		s += fmt.Sprintf("%dH", h)
	}
	if m > 0 || h == 0 {
		s += fmt.Sprintf("%dM", m)
	}
	return s
}

func (g *genContext) contact(r *rng, t time.Time) ews.Item {
	first, last, company := choose(r, firstNames), choose(r, lastNames), choose(r, companies)
	dom := strings.ToLower(strings.ReplaceAll(company, " ", "")) + ".com"
	email := strings.ToLower(first+"."+last) + "@" + dom
	display := first + " " + last
	return ews.Item{
		XMLName:          xmlName(ews.KindContact),
		ItemClass:        "IPM.Contact",
		Subject:          display,
		Sensitivity:      "Normal",
		DateTimeReceived: ews.Date(t),
		Importance:       "Normal",
		DateTimeCreated:  ews.Date(t),
		HasAttachments:   ews.Bool(false),
		Culture:          "en-US",
		LastModifiedName: g.owner.Name,
		LastModifiedTime: ews.Date(t),
		IsAssociated:     ews.Bool(false),
		FileAs:           last + ", " + first,
		DisplayName:      display,
		GivenName:        first,
		CompanyName:      company,
		EmailAddresses: &ews.EmailAddresses{Entries: []ews.EmailAddressEntry{
			{Key: "EmailAddress1", Name: display, RoutingType: "SMTP", MailboxType: "Contact", Value: email},
		}},
		PhoneNumbers: &ews.PhoneNumbers{Entries: []ews.PhoneNumberEntry{
			{Key: "BusinessPhone", Value: fmt.Sprintf("+1 425 555 %04d", r.intn(10000))},
			{Key: "MobilePhone", Value: fmt.Sprintf("+1 206 555 %04d", r.intn(10000))},
		}},
		JobTitle: choose(r, jobTitles),
		Surname:  last,
	}
}

// itemSize estimates an item's size in bytes, as Exchange's Size property reports it.
func itemSize(it *ews.Item) int {
	n := 600 + len(it.Subject)
	if it.Body != nil {
		n += len(it.Body.Value)
	}
	for _, rs := range []*ews.Recipients{it.ToRecipients, it.CcRecipients, it.BccRecipients} {
		if rs != nil {
			n += 96 * len(rs.Mailboxes)
		}
	}
	return n
}
