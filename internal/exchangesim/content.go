package exchangesim

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
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
	topics = [...]string{
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

// words is the vocabulary of generated text, and capitalized the same words as they start
// a sentence. Arrays, so that picking a word divides by a constant (a multiplication).
var words = [...]string{
	"the", "a", "our", "this", "that", "we", "you", "they", "project", "customer", "team",
	"plan", "review", "budget", "quarter", "report", "update", "meeting", "schedule",
	"pipeline", "forecast", "contract", "proposal", "invoice", "delivery", "launch",
	"release", "roadmap", "feedback", "design", "draft", "approval", "timeline",
	"milestone", "risk", "issue", "action", "item", "owner", "status", "summary",
	"numbers", "target", "revenue", "margin", "region", "account", "partner", "vendor",
	"support", "ticket", "migration", "rollout", "training", "workshop", "agenda",
	"notes", "follow-up", "decision", "estimate", "scope", "change", "request",
	"sign-off", "priority", "deadline", "resource", "capacity", "hiring", "onboarding",
	"office", "travel", "expense", "policy", "security", "compliance", "audit", "backup",
	"server", "network", "license", "renewal", "subscription", "webinar", "campaign",
	"lead", "opportunity", "deal", "pricing", "discount", "quote", "order", "shipment",
	"inventory", "should", "will", "can", "could", "might", "need", "please", "confirm",
	"share", "send", "check", "align", "discuss", "prepare", "finalize", "update",
	"review", "approve", "schedule", "move", "cancel", "join", "attach", "include",
	"today", "tomorrow", "next", "week", "Monday", "Tuesday", "Wednesday", "Thursday",
	"Friday", "soon", "later", "and", "or", "but", "with", "for", "from", "about",
	"before", "after", "during", "by", "on", "in", "at", "to", "of",
}

var capitalized = func() (c [len(words)]string) {
	for i, w := range words {
		c[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return c
}()

// The strings generated messages derive from their topic, made once.
var (
	replySubjects   = prefixed("RE: ", topics[:])
	forwardSubjects = prefixed("FW: ", topics[:])
	taskSubjects    = prefixed("Follow up: ", topics[:])
	topicConvIDs    = func() (ids [len(topics)]string) {
		for i, t := range topics {
			ids[i] = conversationID(t).Id
		}
		return ids
	}()
)

func prefixed(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

func oneOff(name, addr string) ews.EmailAddress {
	return ews.EmailAddress{Name: name, EmailAddress: addr, RoutingType: "SMTP", MailboxType: "OneOff"}
}

// spacedWords holds each word preceded by a space, padded to 16 bytes, and its length, so
// that appending a word is one fixed-size copy.
var spacedWords = func() (t [len(words)]struct {
	b [16]byte
	n int
}) {
	for i, w := range words {
		if len(w)+1 > len(t[i].b) {
			panic("exchangesim: word too long: " + w)
		}
		t[i].n = copy(t[i].b[1:], w) + 1
		t[i].b[0] = ' '
	}
	return t
}()

// appendSentence appends one sentence of n random words.
func appendSentence(b []byte, r *rng, n int) []byte {
	b = slices.Grow(b, 16*n+16) // room for the fixed-size copies
	for i := range n {
		k := r.next() % uint64(len(words)) // as choose(r, words)
		if i == 0 {
			b = append(b, capitalized[k]...)
			continue
		}
		w, l := &spacedWords[k], len(b)
		*(*[16]byte)(b[l : l+16]) = w.b
		b = b[:l+w.n]
	}
	return append(b, '.')
}

// htmlBody returns an HTML body of about size bytes: a greeting paragraph, random
// paragraphs, and a signature paragraph, the greeting and the signature each the
// concatenation of their parts.
func htmlBody(r *rng, size int, greeting, signature []string) string {
	var scratch [4096]byte // generated text fits, and is copied once into the result
	b := append(scratch[:0], "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body><p>"...)
	for _, s := range greeting {
		b = append(b, s...)
	}
	b = append(b, "</p>"...)
	for len(b) < size {
		b = append(b, "<p>"...)
		for range 3 + r.intn(4) {
			b = appendSentence(b, r, 8+r.intn(9))
			b = append(b, ' ')
		}
		b = append(b, "</p>"...)
	}
	b = append(b, "<p>"...)
	for _, s := range signature {
		b = append(b, s...)
	}
	b = append(b, "</p></body></html>"...)
	return string(b)
}

func firstName(a ews.EmailAddress) string {
	n, _, _ := strings.Cut(a.Name, " ")
	if n == "" {
		n, _, _ = strings.Cut(a.EmailAddress, "@")
	}
	return n
}

func displayList(as []ews.EmailAddress) string {
	name := func(a *ews.EmailAddress) string {
		if a.Name == "" {
			return a.EmailAddress
		}
		return a.Name
	}
	if len(as) == 1 {
		return name(&as[0])
	}
	n := 0
	for i := range as {
		n += len(name(&as[i])) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i := range as {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name(&as[i]))
	}
	return b.String()
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
	// "First Last" and "first.last@domain" in one allocation.
	var scratch [128]byte
	b := append(append(append(scratch[:0], first...), ' '), last...)
	b = appendLower(append(appendLower(b, first), '.'), last)
	b = append(append(b, '@'), g.domain...)
	s, n := string(b), len(first)+1+len(last)
	return ews.EmailAddress{Name: s[:n], EmailAddress: s[n:], RoutingType: "SMTP", MailboxType: "Mailbox"}
}

// appendLower appends s lower-cased; s is ASCII.
func appendLower(b []byte, s string) []byte {
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
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
			Subject:         taskSubjects[r.intn(len(topics))],
			Sensitivity:     "Normal",
			Body:            &ews.Body{BodyType: "HTML", Value: htmlBody(&r, 300, []string{"To do:"}, nil)},
			DateTimeCreated: ews.Date(t), LastModifiedTime: ews.Date(t), Importance: "Normal",
		}
	}
}

// messageParts is what a generated message points to, allocated together.
type messageParts struct {
	body         ews.Body
	sender, from ews.SingleRecipient
	to, cc       ews.Recipients
	toList       [1]ews.EmailAddress
	ccList       [2]ews.EmailAddress
	convID       ews.ItemId

	// The boolean properties, each its own variable as with ews.Bool.
	submitted, draft, fromMe, resend, unmodified             bool
	hasAttachments, associated, readReceipt, deliveryReceipt bool
	responseRequested                                        bool
}

func (g *genContext) message(r *rng, sent bool, t time.Time, seed uint64) ews.Item {
	p := new(messageParts)
	ti := r.intn(len(topics)) // as choose(r, topics)
	topic := topics[ti]
	subject := topic
	switch r.intn(10) {
	case 0, 1, 2:
		subject = replySubjects[ti]
	case 3:
		subject = forwardSubjects[ti]
	}
	var from ews.EmailAddress
	to, cc := p.toList[:], p.ccList[:0]
	if sent {
		from = g.owner
		to[0] = g.correspondent(r)
	} else {
		if r.chance(75) {
			from = g.correspondent(r)
		} else {
			from = choose(r, externalSenders)
		}
		to[0] = g.owner
	}
	for range r.intn(3) {
		cc = append(cc, g.correspondent(r))
	}
	p.body = ews.Body{BodyType: "HTML", Value: htmlBody(r, 1800+r.intn(400),
		[]string{"Hi ", firstName(to[0]), ","}, []string{"Best regards,<br>", from.Name})}
	sentAt := t.Add(-time.Duration(5+r.intn(300)) * time.Second)
	importance := "Normal"
	if r.chance(5) {
		importance = "High"
	}
	dom := from.EmailAddress[strings.IndexByte(from.EmailAddress, '@')+1:]
	p.sender.Mailbox, p.from.Mailbox, p.to.Mailboxes = from, from, to
	p.convID.Id = topicConvIDs[ti]
	p.fromMe, p.unmodified = sent, true
	it := ews.Item{
		XMLName:           xmlName(ews.KindMessage),
		ItemClass:         "IPM.Note",
		Subject:           subject,
		Sensitivity:       "Normal",
		Body:              &p.body,
		DateTimeReceived:  ews.Date(t),
		Importance:        importance,
		IsSubmitted:       &p.submitted,
		IsDraft:           &p.draft,
		IsFromMe:          &p.fromMe,
		IsResend:          &p.resend,
		IsUnmodified:      &p.unmodified,
		DateTimeSent:      ews.Date(sentAt),
		DateTimeCreated:   ews.Date(t),
		DisplayTo:         displayList(to),
		DisplayCc:         displayList(cc),
		HasAttachments:    &p.hasAttachments,
		Culture:           "en-US",
		LastModifiedName:  g.owner.Name,
		LastModifiedTime:  ews.Date(t),
		IsAssociated:      &p.associated,
		ConversationId:    &p.convID,
		Sender:            &p.sender,
		ToRecipients:      &p.to,
		ConversationIndex: conversationIndex(seed, sentAt),
		ConversationTopic: topic,
		From:              &p.from,
		InternetMessageId: internetMessageID(seed, dom),

		IsReadReceiptRequested:     &p.readReceipt,
		IsDeliveryReceiptRequested: &p.deliveryReceipt,
		IsResponseRequested:        &p.responseRequested,
	}
	if len(cc) > 0 {
		p.cc.Mailboxes = cc
		it.CcRecipients = &p.cc
	}
	return it
}

// internetMessageID returns "<seed as 16 hex digits@domain>".
func internetMessageID(seed uint64, domain string) string {
	const hex = "0123456789abcdef"
	var scratch [128]byte
	b := append(scratch[:0], '<')
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hex[seed>>shift&0xf])
	}
	b = append(append(append(b, '@'), domain...), '>')
	return string(b)
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
		Body:                  &ews.Body{BodyType: "HTML", Value: htmlBody(r, 400, []string{"Agenda:"}, []string{organizer.Name})},
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
