package control

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsclient"
	"github.com/mailbridge/mailbridge/internal/graph"
	"github.com/mailbridge/mailbridge/internal/store"
)

// Joiners and leavers. An organization keeps its users in sync with distribution groups
// ("group sources"): every re-read expands each kept group through the saved service
// account; members who are not users yet are added (their Source is "group:ADDRESS")
// and start syncing; users whose Source is a kept group and who are no longer members of
// any kept group are removed, with their data. Removal is guarded:
//
//   - a group that cannot be read (Exchange down, credentials refused, the group gone)
//     removes nobody, and while any kept group cannot be read nobody is removed at all
//     (a leaver of one group might be a member of the unreadable one);
//   - a re-read that would remove more than GroupGuardMinUsers users and more than half
//     of the group's users, or anyone at all when the group has no member left, is held:
//     it removes nobody and waits for an admin to confirm (a group emptied by mistake
//     must not wipe an organization).

// GroupGuardMinUsers: a re-read may remove this many of a group's users without a
// confirmation, whatever their share of the group.
const GroupGuardMinUsers = 10

// maxGroupDepth bounds the nesting of distribution groups an import follows.
const maxGroupDepth = 5

// groupExpansion is what expanding a distribution group found.
type groupExpansion struct {
	members []store.NewUser // people, in the order Exchange listed them
	skipped []string        // members that are not people, nested groups beyond the limit
}

// expandGroup expands a distribution group (ExpandDL, nested groups followed up to
// maxGroupDepth). An unknown group is an *InputError; Exchange failing, an
// *ExchangeError.
func expandGroup(ctx context.Context, client *ewsclient.Client, addr string) (groupExpansion, error) {
	var res groupExpansion
	seen := map[string]bool{addr: true}
	var expand func(list string, depth int) error
	expand = func(list string, depth int) error {
		resp, err := client.ExpandDL(ctx, "", &ews.ExpandDLRequest{Mailbox: ews.EmailAddress{EmailAddress: list}})
		if err != nil {
			if ews.Code(err) == ews.ErrorNameResolutionNoResults {
				if depth == 0 {
					return inputErr("group", "Exchange knows no distribution group "+list+".")
				}
				res.skipped = append(res.skipped, list)
				return nil
			}
			return exchangeFailure(ctx, "expand "+list, err)
		}
		for _, m := range resp.ResponseMessages {
			if m.DLExpansion == nil {
				continue
			}
			for _, mb := range m.DLExpansion.Mailboxes {
				a := strings.ToLower(mb.EmailAddress)
				if a == "" || seen[a] {
					continue
				}
				seen[a] = true
				switch mb.MailboxType {
				case "PublicDL":
					if depth+1 >= maxGroupDepth {
						res.skipped = append(res.skipped, a)
						continue
					}
					if err := expand(a, depth+1); err != nil {
						return err
					}
				case "Mailbox", "MailUser", "":
					if mb.RoutingType != "" && mb.RoutingType != "SMTP" {
						res.skipped = append(res.skipped, a)
						continue
					}
					res.members = append(res.members, store.NewUser{Email: a, DisplayName: mb.Name})
				default: // Contact, OneOff, PrivateDL, GroupMailbox, PublicFolder
					res.skipped = append(res.skipped, a)
				}
			}
		}
		return nil
	}
	if err := expand(addr, 0); err != nil {
		return groupExpansion{}, err
	}
	return res, nil
}

// groupSourcePrefix starts the Source of a user added from a group.
const groupSourcePrefix = "group:"

// scheduledGroupRead is the principal of the periodic re-reads (the audit log's
// "system").
var scheduledGroupRead = Principal{Kind: Operator, Label: store.System.Label}

// ListGroupSources returns the distribution groups an organization keeps its users in
// sync with, by address, with the outcome of their last read.
func (s *Service) ListGroupSources(ctx context.Context, p Principal, orgID int64) ([]store.GroupSource, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	return s.st.ListGroupSources(ctx, orgID)
}

// KeepGroup imports a distribution group's members as ImportGroup does, then keeps the
// organization's users in sync with it: its membership is re-read on a schedule.
func (s *Service) KeepGroup(ctx context.Context, p Principal, orgID int64, group string) (store.GroupSource, ImportResult, error) {
	if err := orgAccess(p, orgID); err != nil {
		return store.GroupSource{}, ImportResult{}, err
	}
	addr, msg := NormalizeEmail(group)
	if msg != "" {
		return store.GroupSource{}, ImportResult{}, inputErr("group", msg)
	}
	kept, err := s.st.ListGroupSources(ctx, orgID)
	if err != nil {
		return store.GroupSource{}, ImportResult{}, err
	}
	alreadyKept := inputErr("group", "The group "+addr+" is kept in sync already.")
	if slices.ContainsFunc(kept, func(g store.GroupSource) bool { return g.Address == addr }) {
		return store.GroupSource{}, ImportResult{}, alreadyKept
	}
	res, err := s.ImportGroup(ctx, p, orgID, addr)
	if err != nil {
		return store.GroupSource{}, ImportResult{}, err
	}
	src, err := s.st.AddGroupSource(ctx, p.actor(), orgID, addr, store.GroupRead{Status: "ok", Members: res.Added + len(res.Existing), Added: res.Added})
	var dup *store.DuplicateError
	if errors.As(err, &dup) {
		return store.GroupSource{}, res, alreadyKept
	}
	return src, res, err
}

// RemoveGroupSource stops keeping the organization's users in sync with a group. Its
// users stay (remove them by hand if they should go).
func (s *Service) RemoveGroupSource(ctx context.Context, p Principal, orgID, sourceID int64) error {
	if err := orgAccess(p, orgID); err != nil {
		return err
	}
	return s.st.RemoveGroupSource(ctx, p.actor(), orgID, sourceID)
}

// RereadGroups re-reads every group the organization keeps, now, as the schedule does,
// and returns the group sources with their new outcome. A re-read already running (on
// any node) is an *InputError on "groups".
func (s *Service) RereadGroups(ctx context.Context, p Principal, orgID int64) ([]store.GroupSource, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	if err := s.syncGroups(ctx, p, orgID, 0, true); err != nil {
		return nil, err
	}
	return s.st.ListGroupSources(ctx, orgID)
}

// ConfirmGroupRemovals confirms a held re-read of a group source: the groups are read
// again, and the users the held read would have removed are removed if they are still
// leavers (anyone else leaving meanwhile is guarded as usual). A source with nothing
// held is an *InputError.
func (s *Service) ConfirmGroupRemovals(ctx context.Context, p Principal, orgID, sourceID int64) ([]store.GroupSource, error) {
	if err := orgAccess(p, orgID); err != nil {
		return nil, err
	}
	src, err := s.st.GetGroupSource(ctx, orgID, sourceID)
	if err != nil {
		return nil, err
	}
	if src.Status != "held" || len(src.Held) == 0 {
		return nil, inputErr("source", "No removal of the group "+src.Address+" waits for a confirmation.")
	}
	if err := s.syncGroups(ctx, p, orgID, sourceID, true); err != nil {
		return nil, err
	}
	return s.st.ListGroupSources(ctx, orgID)
}

// SyncGroupSources is the scheduled re-read of an organization's groups (the job
// runner's, not an admin's action): see RereadGroups. An organization without group
// sources, or whose re-read is running elsewhere, is skipped.
func (s *Service) SyncGroupSources(ctx context.Context, orgID int64) error {
	err := s.syncGroups(ctx, scheduledGroupRead, orgID, 0, false)
	if errors.Is(err, errGroupsBusy) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// errGroupsBusy: another re-read of the organization's groups holds its lease.
var errGroupsBusy = inputErr("groups", "A re-read of this organization's groups is running: try again in a minute.")

// syncGroups re-reads every group source of the organization under the lease
// "groups:org:<id>". confirm is the source whose held removals were confirmed (0:
// none). manual re-reads are always audited; scheduled ones when they changed
// something or their outcome changed.
func (s *Service) syncGroups(ctx context.Context, p Principal, orgID, confirm int64, manual bool) error {
	return s.withLease(ctx, "groups:org:"+strconv.FormatInt(orgID, 10), errGroupsBusy, func(ctx context.Context) error {
		sources, err := s.st.ListGroupSources(ctx, orgID)
		if err != nil || len(sources) == 0 {
			return err
		}
		exps, errs := s.expandSources(ctx, orgID, sources)
		users, err := s.st.ListUsers(ctx, orgID)
		if err != nil {
			return err
		}
		isUser := make(map[string]bool, len(users))
		for _, u := range users {
			isUser[u.Email] = true
		}
		// A member belongs to the first kept group (by address) that lists them.
		memberOf := map[string]string{}
		unread := ""
		for i, src := range sources {
			if errs[i] != nil {
				unread = cmp.Or(unread, src.Address)
				continue
			}
			for _, m := range exps[i].members {
				if _, ok := memberOf[m.Email]; !ok {
					memberOf[m.Email] = src.Address
				}
			}
		}
		reads := make([]store.GroupRead, len(sources))
		// Joiners.
		joined := 0
		for i, src := range sources {
			if errs[i] != nil {
				reads[i] = store.GroupRead{Status: "error", Message: groupErrorText(errs[i])}
				continue
			}
			reads[i] = store.GroupRead{Status: "ok", Members: len(exps[i].members)}
			var join []store.NewUser
			for _, m := range exps[i].members {
				if !isUser[m.Email] && memberOf[m.Email] == src.Address {
					join = append(join, m)
				}
			}
			if len(join) == 0 {
				continue
			}
			res, err := s.st.AddUsers(ctx, p.actor(), orgID, groupSourcePrefix+src.Address, join, true)
			if err != nil {
				return err
			}
			reads[i].Added = len(res.Added)
			joined += len(res.Added)
		}
		if joined > 0 {
			s.syncNewUsers(ctx, p, orgID)
		}
		// Leavers, only when every kept group was read.
		for i, src := range sources {
			if errs[i] != nil {
				continue
			}
			if unread != "" {
				reads[i].Message = "Nobody was removed: the group " + unread + " could not be read."
				continue
			}
			if err := s.removeLeavers(ctx, p, orgID, src, users, memberOf, confirm == src.ID, &reads[i]); err != nil {
				return err
			}
		}
		for i, src := range sources {
			r := reads[i]
			audit := manual || r.Added > 0 || r.Removed > 0 || r.Status != src.Status || r.Message != src.Message || !slices.Equal(r.Held, src.Held)
			if err := s.st.RecordGroupRead(ctx, p.actor(), orgID, src.ID, r, audit); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err // a source removed meanwhile has nothing to record
			}
		}
		return nil
	})
}

// expandSources expands every group source with the organization's saved service
// account; errs[i] is why source i could not be read.
func (s *Service) expandSources(ctx context.Context, orgID int64, sources []store.GroupSource) ([]groupExpansion, []error) {
	exps := make([]groupExpansion, len(sources))
	errs := make([]error, len(sources))
	expand, done, err := s.groupExpander(ctx, orgID)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return exps, errs
	}
	defer done()
	for i, src := range sources {
		exps[i], errs[i] = expand(ctx, src.Address)
	}
	return exps, errs
}

// groupExpander returns how the organization's groups are expanded: ExpandDL through
// the saved service account (EWS), or Graph's transitiveMembers for Microsoft 365
// app-only access. done releases what it holds.
func (s *Service) groupExpander(ctx context.Context, orgID int64) (expand func(ctx context.Context, addr string) (groupExpansion, error), done func(), err error) {
	if s.isApp(ctx, orgID) {
		c, err := s.GraphClient(ctx, orgID)
		if err != nil {
			return nil, nil, err
		}
		return func(ctx context.Context, addr string) (groupExpansion, error) { return expandAppGroup(ctx, c, addr) }, func() {}, nil
	}
	cfg, err := s.savedConfig(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	client, err := s.ewsClient(cfg)
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context, addr string) (groupExpansion, error) { return expandGroup(ctx, client, addr) },
		client.CloseIdleConnections, nil
}

// expandAppGroup expands a group through Graph: the group found by its address, then
// its transitive members; users are the members (by address, or by user principal name
// for one without a mailbox, as ExpandDL lists them: the check then says so), nested
// groups are followed (Graph lists their members too), anything else (contacts,
// devices) is skipped.
func expandAppGroup(ctx context.Context, c *graph.Client, addr string) (groupExpansion, error) {
	var res groupExpansion
	g, err := c.GroupByMail(ctx, addr)
	if errors.Is(err, graph.ErrGroupNotFound) {
		return res, inputErr("group", "Microsoft 365 knows no group "+addr+".")
	}
	if err != nil {
		return res, graphFailure(ctx, "find the group "+addr, err)
	}
	members, err := c.TransitiveMembers(ctx, g.ID)
	if err != nil {
		return res, graphFailure(ctx, "read the members of "+addr, err)
	}
	seen := map[string]bool{}
	for _, m := range members {
		a := strings.ToLower(cmp.Or(m.Mail, m.UserPrincipalName))
		switch {
		case m.Type == "#microsoft.graph.group":
			continue // its members are listed too
		case !m.IsUser() || a == "":
			res.skipped = append(res.skipped, cmp.Or(a, m.DisplayName, m.ID))
		case !seen[a]:
			seen[a] = true
			res.members = append(res.members, store.NewUser{Email: a, DisplayName: m.DisplayName})
		}
	}
	return res, nil
}

// removeLeavers removes the users of a group source that are members of no kept group,
// unless the guard holds them (recorded in r); approved releases the ones held before.
// A user of the source who is a member of another kept group now comes from that one.
func (s *Service) removeLeavers(ctx context.Context, p Principal, orgID int64, src store.GroupSource, users []store.User,
	memberOf map[string]string, approved bool, r *store.GroupRead) error {
	source := groupSourcePrefix + src.Address
	groupUsers := 0
	var confirmed, rest []store.User
	for _, u := range users {
		if u.Source != source {
			continue
		}
		groupUsers++
		switch g, member := memberOf[u.Email]; {
		case member && g != src.Address:
			if err := s.st.SetUserSource(ctx, orgID, u.ID, groupSourcePrefix+g); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		case member:
		case approved && slices.Contains(src.Held, u.Email):
			confirmed = append(confirmed, u)
		default:
			rest = append(rest, u)
		}
	}
	remove := confirmed
	if n := len(rest); n > 0 && (r.Members == 0 || n > GroupGuardMinUsers && 2*n > groupUsers) {
		r.Status = "held"
		for _, u := range rest {
			r.Held = append(r.Held, u.Email)
		}
		r.Message = fmt.Sprintf("%d of the group's %d users are no longer members: confirm to remove them.", n, groupUsers)
		if r.Members == 0 {
			r.Message = fmt.Sprintf("The group has no members that are people: confirm to remove its %d users.", n)
		}
	} else {
		remove = append(remove, rest...)
	}
	if len(remove) == 0 {
		return nil
	}
	ids := make([]int64, len(remove))
	for i, u := range remove {
		ids[i] = u.ID
	}
	n, err := s.st.RemoveUsers(ctx, p.actor(), orgID, ids, "no longer a member of "+src.Address)
	r.Removed = n
	return err
}

// groupErrorText says why a group could not be read, for the Users tab.
func groupErrorText(err error) string {
	var ie *InputError
	switch {
	case errors.As(err, &ie):
		for _, m := range ie.Fields {
			return m + " Nobody was removed."
		}
	case errors.Is(err, ErrSealedPasswordUnreadable):
		return "The saved password cannot be decrypted: save it again on the Email Configuration tab. Nobody was removed."
	}
	var ee *ExchangeError
	if errors.As(err, &ee) {
		return "Exchange could not " + ee.Error() + ". Nobody was removed."
	}
	return "The group could not be read: " + err.Error() + ". Nobody was removed."
}

// withLease runs fn while holding the named lease (renewed as it runs), so that one
// node at a time does the work; busy is returned when another holds it.
func (s *Service) withLease(ctx context.Context, name string, busy error, fn func(ctx context.Context) error) error {
	var b [8]byte
	rand.Read(b[:])
	err := s.st.HoldNamedLease(ctx, name, "control/"+hex.EncodeToString(b[:]), 2*time.Minute, fn)
	if errors.Is(err, store.ErrLeaseHeld) {
		return busy
	}
	return err
}
