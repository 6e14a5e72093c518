package exchangesim

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Sentinel errors of the World's admin mutations, wrapped with detail; callers branch on
// them with errors.Is (an admin API maps them to 404, 409 and 400).
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
)

// RecipientKind is a directory object's type, named as Exchange's RecipientTypeDetails
// names it.
type RecipientKind string

// Recipient kinds. A service account is just a user, with or without a mailbox.
const (
	RecipientUser        RecipientKind = "User"        // an account without a mailbox
	RecipientUserMailbox RecipientKind = "UserMailbox" // a person's (or service's) mailbox
	RecipientRoomMailbox RecipientKind = "RoomMailbox" // a bookable room; cannot sign in
)

// RoleApplicationImpersonation is the RBAC role that lets an account impersonate users.
const RoleApplicationImpersonation = "ApplicationImpersonation"

// Domain is an accepted domain with its NetBIOS name (CONTOSO in CONTOSO\alice).
type Domain struct {
	Name    string `json:"name"`              // DNS name, e.g. contoso.com
	NetBIOS string `json:"netbios,omitempty"` // e.g. CONTOSO; default: the first label, upper case
}

// User is a directory account: a person, a service account or a room. Addresses are
// stored in lower case.
type User struct {
	PrimarySMTP    string
	ProxyAddresses []string // further SMTP addresses, without "smtp:"
	UPN            string
	SAMAccountName string
	Domain         string // DNS name of the account's domain
	SID            string
	DisplayName    string
	GivenName      string
	Surname        string
	Department     string
	Password       string
	HasMailbox     bool
	Licensed       bool
	Kind           RecipientKind
}

// Address returns the user as an EWS mailbox address.
func (u User) Address() ews.EmailAddress {
	return ews.EmailAddress{Name: u.DisplayName, EmailAddress: u.PrimarySMTP, RoutingType: "SMTP", MailboxType: "Mailbox"}
}

// Group is a distribution group; a room list is a group whose members are rooms.
type Group struct {
	PrimarySMTP string
	DisplayName string
	Members     []string // members' primary SMTP addresses
	RoomList    bool
}

// Address returns the group as an EWS mailbox address (MailboxType PublicDL).
func (g Group) Address() ews.EmailAddress {
	return ews.EmailAddress{Name: g.DisplayName, EmailAddress: g.PrimarySMTP, RoutingType: "SMTP", MailboxType: "PublicDL"}
}

// ManagementScope is an RBAC scope with an explicit member list: it stands for whatever
// -RecipientRestrictionFilter selected.
type ManagementScope struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// RoleAssignment grants Role to User, over the recipients of the management scope Scope,
// or over the whole organization when Scope is empty.
type RoleAssignment struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	User  string `json:"user"`
	Scope string `json:"scope,omitempty"`
}

// Directory is the organization's Active Directory: domains, users, groups, management
// scopes and role assignments. Reads are safe for concurrent use and return copies;
// changes go through the World.
type Directory struct {
	mu          sync.RWMutex
	domains     []Domain
	users       map[string]*User // by primary SMTP
	byAddr      map[string]*User // by primary and proxy SMTP
	byUPN       map[string]*User
	bySAM       map[string]*User // lower-case SAM account name
	bySID       map[string]*User
	groups      map[string]*Group // by SMTP
	scopes      map[string]*ManagementScope
	assignments []RoleAssignment
	nextRID     uint32
}

func newDirectory() *Directory {
	return &Directory{
		users:   map[string]*User{},
		byAddr:  map[string]*User{},
		byUPN:   map[string]*User{},
		bySAM:   map[string]*User{},
		bySID:   map[string]*User{},
		groups:  map[string]*Group{},
		scopes:  map[string]*ManagementScope{},
		nextRID: 1104,
	}
}

// normAddr lower-cases an address and strips an "smtp:" prefix.
func normAddr(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "smtp:")
}

// validAddr reports whether s looks like local@domain.
func validAddr(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at == strings.LastIndexByte(s, '@') && at < len(s)-1 &&
		!strings.ContainsAny(s, " \t\r\n\\/<>\"")
}

func cloneUser(u *User) User {
	c := *u
	c.ProxyAddresses = slices.Clone(u.ProxyAddresses)
	return c
}

func cloneGroup(g *Group) Group {
	c := *g
	c.Members = slices.Clone(g.Members)
	return c
}

// domainSID derives the deterministic S-1-5-21-a-b-c prefix of a domain's SIDs.
func domainSID(name string) string {
	h := sha256.Sum256([]byte("exchangesim domain sid\x00" + strings.ToLower(name)))
	return fmt.Sprintf("S-1-5-21-%d-%d-%d", binary.BigEndian.Uint32(h[0:4]), binary.BigEndian.Uint32(h[4:8]), binary.BigEndian.Uint32(h[8:12]))
}

func (d *Directory) domainOf(addr string) (Domain, bool) {
	dom := addr[strings.IndexByte(addr, '@')+1:]
	for _, x := range d.domains {
		if strings.EqualFold(x.Name, dom) {
			return x, true
		}
	}
	return Domain{}, false
}

// Domains returns the accepted domains.
func (d *Directory) Domains() []Domain {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.domains)
}

// Lookup finds a user by any name Exchange accepts for it: a primary or proxy SMTP address
// (with or without "smtp:"), a UPN, DOMAIN\sam (NetBIOS or DNS domain), a bare SAM account
// name, or a SID.
func (d *Directory) Lookup(name string) (User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u := d.lookup(name)
	if u == nil {
		return User{}, false
	}
	return cloneUser(u), true
}

func (d *Directory) lookup(name string) *User {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	if strings.HasPrefix(strings.ToUpper(name), "S-1-") {
		return d.bySID[strings.ToUpper(name)]
	}
	if i := strings.IndexByte(name, '\\'); i >= 0 {
		dom, sam := name[:i], strings.ToLower(name[i+1:])
		u := d.bySAM[sam]
		if u == nil {
			return nil
		}
		for _, x := range d.domains {
			if strings.EqualFold(x.Name, u.Domain) && (strings.EqualFold(x.NetBIOS, dom) || strings.EqualFold(x.Name, dom)) {
				return u
			}
		}
		return nil
	}
	if strings.Contains(name, "@") {
		a := normAddr(name)
		if u := d.byAddr[a]; u != nil {
			return u
		}
		return d.byUPN[a]
	}
	return d.bySAM[strings.ToLower(name)]
}

// LookupAccount resolves a sign-in name (SMTP or proxy address, UPN, DOMAIN\sam or sam)
// to the account's primary SMTP address and its current password. Rooms and other
// accounts without a password cannot sign in (ok is false).
func (d *Directory) LookupAccount(name string) (smtp, password string, ok bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(name)), "S-1-") {
		return "", "", false
	}
	u := d.lookup(name)
	if u == nil || u.Password == "" {
		return "", "", false
	}
	return u.PrimarySMTP, u.Password, true
}

// Users returns every user, sorted by primary SMTP address.
func (d *Directory) Users() []User {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]User, 0, len(d.users))
	for _, u := range d.users {
		out = append(out, cloneUser(u))
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.PrimarySMTP, b.PrimarySMTP) })
	return out
}

// Group returns the group with the given SMTP address.
func (d *Directory) Group(smtp string) (Group, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	g := d.groups[normAddr(smtp)]
	if g == nil {
		return Group{}, false
	}
	return cloneGroup(g), true
}

// Groups returns every group (room lists included), sorted by SMTP address.
func (d *Directory) Groups() []Group {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Group, 0, len(d.groups))
	for _, g := range d.groups {
		out = append(out, cloneGroup(g))
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.PrimarySMTP, b.PrimarySMTP) })
	return out
}

// Scopes returns the management scopes, sorted by name, with sorted members.
func (d *Directory) Scopes() []ManagementScope {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]ManagementScope, 0, len(d.scopes))
	for _, s := range d.scopes {
		c := ManagementScope{Name: s.Name, Members: slices.Clone(s.Members)}
		slices.Sort(c.Members)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b ManagementScope) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// RoleAssignments returns the role assignments in the order they were made.
func (d *Directory) RoleAssignments() []RoleAssignment {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return slices.Clone(d.assignments)
}

// Search finds the users and groups a ResolveNames entry matches: an exact address
// (optionally "smtp:"-prefixed), or a case-insensitive prefix of a display name, given
// name, surname, SAM account name or address. Results are sorted by display name.
func (d *Directory) Search(fragment string) ([]User, []Group) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	f := normAddr(fragment)
	if f == "" {
		return nil, nil
	}
	if strings.Contains(f, "@") {
		if u := d.byAddr[f]; u != nil {
			return []User{cloneUser(u)}, nil
		}
		if g := d.groups[f]; g != nil {
			return nil, []Group{cloneGroup(g)}
		}
	}
	match := func(fields ...string) bool {
		for _, s := range fields {
			if s != "" && strings.HasPrefix(strings.ToLower(s), f) {
				return true
			}
		}
		return false
	}
	var users []User
	for _, u := range d.users {
		if match(u.DisplayName, u.GivenName, u.Surname, u.SAMAccountName, u.PrimarySMTP) {
			users = append(users, cloneUser(u))
		}
	}
	var groups []Group
	for _, g := range d.groups {
		if match(g.DisplayName, g.PrimarySMTP) {
			groups = append(groups, cloneGroup(g))
		}
	}
	slices.SortFunc(users, func(a, b User) int {
		return cmpOr(strings.Compare(a.DisplayName, b.DisplayName), strings.Compare(a.PrimarySMTP, b.PrimarySMTP))
	})
	slices.SortFunc(groups, func(a, b Group) int {
		return cmpOr(strings.Compare(a.DisplayName, b.DisplayName), strings.Compare(a.PrimarySMTP, b.PrimarySMTP))
	})
	return users, groups
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// ExpandGroup returns the users a group's mail reaches, following nested groups.
func (d *Directory) ExpandGroup(smtp string) ([]User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	g := d.groups[normAddr(smtp)]
	if g == nil {
		return nil, false
	}
	seen := map[string]bool{}
	var out []User
	var walk func(g *Group)
	walk = func(g *Group) {
		for _, m := range g.Members {
			if seen[m] {
				continue
			}
			seen[m] = true
			if u := d.users[m]; u != nil {
				out = append(out, cloneUser(u))
			} else if sub := d.groups[m]; sub != nil {
				walk(sub)
			}
		}
	}
	seen[g.PrimarySMTP] = true
	walk(g)
	return out, true
}

// ---- mutations (the World calls these with d.mu held for writing) ----

func (d *Directory) addDomain(dom Domain) error {
	dom.Name = strings.ToLower(strings.TrimSpace(dom.Name))
	if dom.Name == "" || strings.ContainsAny(dom.Name, "@ \\/") {
		return fmt.Errorf("exchangesim: add domain %q: %w", dom.Name, ErrInvalid)
	}
	if dom.NetBIOS == "" {
		dom.NetBIOS, _, _ = strings.Cut(dom.Name, ".")
	}
	dom.NetBIOS = strings.ToUpper(dom.NetBIOS)
	for _, x := range d.domains {
		if x.Name == dom.Name || x.NetBIOS == dom.NetBIOS {
			return fmt.Errorf("exchangesim: add domain %q: %w", dom.Name, ErrExists)
		}
	}
	d.domains = append(d.domains, dom)
	return nil
}

// addressTaken reports whether a is any user's or group's address.
func (d *Directory) addressTaken(a string) bool {
	return d.byAddr[a] != nil || d.groups[a] != nil
}

func (d *Directory) addUser(s UserSpec) (*User, error) {
	smtp := normAddr(s.SMTP)
	fail := func(err error) (*User, error) {
		return nil, fmt.Errorf("exchangesim: add user %q: %w", smtp, err)
	}
	if !validAddr(smtp) {
		return fail(fmt.Errorf("%w address", ErrInvalid))
	}
	dom, ok := d.domainOf(smtp)
	if !ok {
		return fail(fmt.Errorf("%w: domain is not an accepted domain", ErrInvalid))
	}
	hasMailbox := s.Mailbox == nil || *s.Mailbox
	licensed := hasMailbox
	if s.Licensed != nil {
		licensed = *s.Licensed
	}
	kind := s.Kind
	switch {
	case kind == "" && hasMailbox:
		kind = RecipientUserMailbox
	case kind == "" || kind == RecipientUser:
		kind = RecipientUser
		if hasMailbox {
			return fail(fmt.Errorf("%w: kind User cannot have a mailbox", ErrInvalid))
		}
	case kind == RecipientUserMailbox || kind == RecipientRoomMailbox:
		if !hasMailbox {
			return fail(fmt.Errorf("%w: kind %s needs a mailbox", ErrInvalid, kind))
		}
	default:
		return fail(fmt.Errorf("%w kind %q", ErrInvalid, kind))
	}
	local := smtp[:strings.IndexByte(smtp, '@')]
	u := &User{
		PrimarySMTP:    smtp,
		UPN:            normAddr(s.UPN),
		SAMAccountName: strings.TrimSpace(s.SAM),
		Domain:         dom.Name,
		DisplayName:    s.DisplayName,
		GivenName:      s.GivenName,
		Surname:        s.Surname,
		Department:     s.Department,
		Password:       s.Password,
		HasMailbox:     hasMailbox,
		Licensed:       licensed,
		Kind:           kind,
	}
	if u.UPN == "" {
		u.UPN = smtp
	}
	if u.SAMAccountName == "" {
		u.SAMAccountName = local
		if len(u.SAMAccountName) > 20 {
			u.SAMAccountName = u.SAMAccountName[:20]
		}
	}
	if u.DisplayName == "" {
		u.DisplayName = strings.TrimSpace(u.GivenName + " " + u.Surname)
		if u.DisplayName == "" {
			u.DisplayName = local
		}
	}
	if !validAddr(u.UPN) || strings.ContainsAny(u.SAMAccountName, "@\\/ ") {
		return fail(fmt.Errorf("%w UPN or SAM account name", ErrInvalid))
	}
	if d.addressTaken(smtp) || d.byUPN[u.UPN] != nil || d.bySAM[strings.ToLower(u.SAMAccountName)] != nil {
		return fail(ErrExists)
	}
	for _, p := range s.ProxyAddresses {
		p = normAddr(p)
		if p == smtp || slices.Contains(u.ProxyAddresses, p) {
			continue
		}
		if !validAddr(p) {
			return fail(fmt.Errorf("%w proxy address %q", ErrInvalid, p))
		}
		if d.addressTaken(p) {
			return fail(fmt.Errorf("proxy address %q: %w", p, ErrExists))
		}
		u.ProxyAddresses = append(u.ProxyAddresses, p)
	}
	u.SID = fmt.Sprintf("%s-%d", domainSID(dom.Name), d.nextRID)
	d.nextRID++
	d.users[smtp] = u
	d.byAddr[smtp] = u
	for _, p := range u.ProxyAddresses {
		d.byAddr[p] = u
	}
	d.byUPN[u.UPN] = u
	d.bySAM[strings.ToLower(u.SAMAccountName)] = u
	d.bySID[u.SID] = u
	return u, nil
}

// removeUser deletes a user and every reference to it (group and scope membership, role
// assignments) and returns what was removed.
func (d *Directory) removeUser(name string) (User, error) {
	u := d.lookup(name)
	if u == nil || d.users[u.PrimarySMTP] != u {
		return User{}, fmt.Errorf("exchangesim: remove user %q: %w", name, ErrNotFound)
	}
	delete(d.users, u.PrimarySMTP)
	delete(d.byAddr, u.PrimarySMTP)
	for _, p := range u.ProxyAddresses {
		delete(d.byAddr, p)
	}
	delete(d.byUPN, u.UPN)
	delete(d.bySAM, strings.ToLower(u.SAMAccountName))
	delete(d.bySID, u.SID)
	for _, g := range d.groups {
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == u.PrimarySMTP })
	}
	for _, s := range d.scopes {
		s.Members = slices.DeleteFunc(s.Members, func(m string) bool { return m == u.PrimarySMTP })
	}
	d.assignments = slices.DeleteFunc(d.assignments, func(a RoleAssignment) bool { return a.User == u.PrimarySMTP })
	return cloneUser(u), nil
}

func (d *Directory) setPassword(name, password string) error {
	u := d.lookup(name)
	if u == nil {
		return fmt.Errorf("exchangesim: set password of %q: %w", name, ErrNotFound)
	}
	u.Password = password
	return nil
}

func (d *Directory) addGroup(s GroupSpec) error {
	smtp := normAddr(s.SMTP)
	if !validAddr(smtp) {
		return fmt.Errorf("exchangesim: add group %q: %w address", smtp, ErrInvalid)
	}
	if d.addressTaken(smtp) {
		return fmt.Errorf("exchangesim: add group %q: %w", smtp, ErrExists)
	}
	g := &Group{PrimarySMTP: smtp, DisplayName: s.DisplayName, RoomList: s.RoomList}
	if g.DisplayName == "" {
		g.DisplayName = smtp[:strings.IndexByte(smtp, '@')]
	}
	d.groups[smtp] = g
	if err := d.setGroupMembers(smtp, s.Members); err != nil {
		delete(d.groups, smtp)
		return err
	}
	return nil
}

// setGroupMembers replaces a group's members. A room list's members must be rooms.
func (d *Directory) setGroupMembers(group string, members []string) error {
	g := d.groups[normAddr(group)]
	if g == nil {
		return fmt.Errorf("exchangesim: set members of %q: %w", group, ErrNotFound)
	}
	var out []string
	for _, m := range members {
		m = normAddr(m)
		if u := d.byAddr[m]; u != nil {
			m = u.PrimarySMTP
			if g.RoomList && u.Kind != RecipientRoomMailbox {
				return fmt.Errorf("exchangesim: room list %q: member %q is not a room: %w", g.PrimarySMTP, m, ErrInvalid)
			}
		} else if d.groups[m] == nil || g.RoomList || m == g.PrimarySMTP {
			return fmt.Errorf("exchangesim: group %q: member %q: %w", g.PrimarySMTP, m, ErrNotFound)
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	g.Members = out
	return nil
}

func (d *Directory) addScope(name string) error {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" {
		return fmt.Errorf("exchangesim: add scope: %w name", ErrInvalid)
	}
	if d.scopes[key] != nil {
		return fmt.Errorf("exchangesim: add scope %q: %w", name, ErrExists)
	}
	d.scopes[key] = &ManagementScope{Name: strings.TrimSpace(name)}
	return nil
}

func (d *Directory) changeScope(name string, add bool, members []string) error {
	s := d.scopes[strings.ToLower(strings.TrimSpace(name))]
	if s == nil {
		return fmt.Errorf("exchangesim: change scope %q: %w", name, ErrNotFound)
	}
	resolved := make([]string, 0, len(members))
	for _, m := range members {
		u := d.lookup(m)
		if u == nil {
			return fmt.Errorf("exchangesim: change scope %q: member %q: %w", name, m, ErrNotFound)
		}
		resolved = append(resolved, u.PrimarySMTP)
	}
	for _, m := range resolved {
		if add && !slices.Contains(s.Members, m) {
			s.Members = append(s.Members, m)
		}
		if !add {
			s.Members = slices.DeleteFunc(s.Members, func(x string) bool { return x == m })
		}
	}
	return nil
}

func (d *Directory) addAssignment(a RoleAssignment) error {
	u := d.lookup(a.User)
	fail := func(err error) error { return fmt.Errorf("exchangesim: grant %s to %q: %w", a.Role, a.User, err) }
	if u == nil {
		return fail(ErrNotFound)
	}
	if a.Role == "" {
		a.Role = RoleApplicationImpersonation
	}
	if a.Role != RoleApplicationImpersonation {
		return fail(fmt.Errorf("%w role", ErrInvalid))
	}
	a.User = u.PrimarySMTP
	if a.Scope != "" {
		s := d.scopes[strings.ToLower(a.Scope)]
		if s == nil {
			return fail(fmt.Errorf("scope %q: %w", a.Scope, ErrNotFound))
		}
		a.Scope = s.Name
	}
	if a.Name == "" {
		a.Name = fmt.Sprintf("%s-%s", a.Role, u.SAMAccountName)
		if a.Scope != "" {
			a.Name += "-" + a.Scope
		}
	}
	for _, x := range d.assignments {
		if strings.EqualFold(x.Name, a.Name) {
			return fail(fmt.Errorf("assignment %q: %w", a.Name, ErrExists))
		}
	}
	d.assignments = append(d.assignments, a)
	return nil
}

func (d *Directory) removeAssignment(name string) error {
	n := len(d.assignments)
	d.assignments = slices.DeleteFunc(d.assignments, func(a RoleAssignment) bool { return strings.EqualFold(a.Name, name) })
	if len(d.assignments) == n {
		return fmt.Errorf("exchangesim: revoke %q: %w", name, ErrNotFound)
	}
	return nil
}
