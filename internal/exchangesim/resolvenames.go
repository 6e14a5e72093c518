package exchangesim

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Response codes of ResolveNames that the ews package has no constant for.
const (
	codeResolveNamesOnlyOneContactsFolderAllowed = "ErrorResolveNamesOnlyOneContactsFolderAllowed"
	codeResolveNamesInvalidFolderType            = "ErrorResolveNamesInvalidFolderType"
)

// ResolveNames implements ewsserver.ResolveNamesBackend: one message per UnresolvedEntry,
// in request order (Exchange's schema allows one entry; exchangelib sends several).
//
// Each entry is resolved as Exchange's ResolveNames command does it:
//   - SearchScope orders the steps: ActiveDirectory, Contacts, ActiveDirectoryContacts (the
//     default: directory first) or ContactsActiveDirectory. Results of both steps are
//     listed, at most 100 in all; IncludesLastItemInRange is false when more matched.
//   - The directory step is ambiguous name resolution over users, rooms and groups (see
//     Directory.Search): it needs no mailbox. ReturnFullContactData adds a t:Contact built
//     from the directory entry (ContactSource ActiveDirectory; ContactDataShape IdOnly,
//     Default or AllProperties).
//   - The contacts step searches the acting mailbox's Contacts folder, or the one folder in
//     ParentFolderIds (more than one: ErrorResolveNamesOnlyOneContactsFolderAllowed; not a
//     contacts folder: ErrorResolveNamesInvalidFolderType). Store results carry their
//     ItemId and MailboxType Contact (or PrivateDL), and never a t:Contact. An acting
//     account without a mailbox fails this step, and so the entry, with
//     ErrorNonExistentMailbox.
//   - No result: Error ErrorNameResolutionNoResults. One: Success. Several: Warning
//     ErrorNameResolutionMultipleResults with the candidates.
func (s *Simulator) ResolveNames(ctx context.Context, c *ewsserver.Call, req *ews.ResolveNamesRequest) (*ews.ResolveNamesResponse, error) {
	resp := &ews.ResolveNamesResponse{ResponseMessages: make([]ews.ResolveNamesResponseMessage, 0, len(req.UnresolvedEntries))}
	for _, entry := range req.UnresolvedEntries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		set, err := s.resolveName(ctx, c, req, entry)
		msg := ews.ResolveNamesResponseMessage{}
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			msg.ResponseMessage = ews.FailureFrom(err)
		case set.TotalItemsInView == 0:
			msg.ResponseMessage = ews.FailureFrom(errNameResolutionNoResults())
		case set.TotalItemsInView == 1:
			msg.ResponseMessage, msg.ResolutionSet = ews.Success(), set
		default:
			zero := 0
			msg.ResponseMessage = ews.ResponseMessage{ResponseClass: ews.ClassWarning, MessageText: msgNameResolutionMultipleResults,
				ResponseCode: ews.ErrorNameResolutionMultipleResults, DescriptiveLinkKey: &zero}
			msg.ResolutionSet = set
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

type resolveStep int

const (
	resolveInDirectory resolveStep = iota
	resolveInContacts
)

// resolveSteps returns the steps of a SearchScope, in order.
func resolveSteps(scope string) []resolveStep {
	switch scope {
	case ews.ScopeActiveDirectory:
		return []resolveStep{resolveInDirectory}
	case ews.ScopeContacts:
		return []resolveStep{resolveInContacts}
	case ews.ScopeContactsActiveDirectory:
		return []resolveStep{resolveInContacts, resolveInDirectory}
	}
	return []resolveStep{resolveInDirectory, resolveInContacts}
}

// resolveName resolves one entry into a ResolutionSet of at most ews.MaxResolutions
// candidates.
func (s *Simulator) resolveName(ctx context.Context, c *ewsserver.Call, req *ews.ResolveNamesRequest, entry string) (*ews.ResolutionSet, error) {
	set := &ews.ResolutionSet{IncludesLastItemInRange: true}
	entry = strings.TrimSpace(entry)
	for _, step := range resolveSteps(req.SearchScope) {
		left := ews.MaxResolutions - len(set.Resolutions)
		if left <= 0 {
			break
		}
		var found []ews.Resolution
		var err error
		if step == resolveInDirectory {
			found = s.resolveInDirectory(entry, req)
		} else if found, err = s.resolveInContacts(ctx, c, req, entry); err != nil {
			return nil, err
		}
		if len(found) > left {
			found, set.IncludesLastItemInRange = found[:left], false
		}
		set.Resolutions = append(set.Resolutions, found...)
	}
	set.TotalItemsInView = len(set.Resolutions)
	return set, nil
}

// resolveInDirectory finds the users, rooms and groups an entry names, sorted by display
// name, with their contact data when the request asks for it.
func (s *Simulator) resolveInDirectory(entry string, req *ews.ResolveNamesRequest) []ews.Resolution {
	if entry == "" {
		return nil
	}
	users, groups := s.world.Directory().Search(entry)
	type candidate struct {
		name string
		res  ews.Resolution
	}
	cands := make([]candidate, 0, len(users)+len(groups))
	for i := range users {
		r := ews.Resolution{Mailbox: users[i].Address()}
		if req.ReturnFullContactData {
			r.Contact = directoryUserContact(&users[i], req.ContactDataShape)
		}
		cands = append(cands, candidate{users[i].DisplayName, r})
	}
	for i := range groups {
		r := ews.Resolution{Mailbox: groups[i].Address()}
		if req.ReturnFullContactData {
			r.Contact = directoryGroupContact(&groups[i], req.ContactDataShape)
		}
		cands = append(cands, candidate{groups[i].DisplayName, r})
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)),
			strings.Compare(a.res.Mailbox.EmailAddress, b.res.Mailbox.EmailAddress))
	})
	out := make([]ews.Resolution, len(cands))
	for i, cd := range cands {
		out[i] = cd.res
	}
	return out
}

// directoryID is a directory object's stable GUID (Exchange returns the object GUID as
// DirectoryId).
func directoryID(primarySMTP string) string {
	h := sha256.Sum256([]byte("exchangesim directory object\x00" + primarySMTP))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// directoryEmailAddresses lists up to three of a recipient's proxy addresses as
// EmailAddress1..3, in proxy-address form ("SMTP:" for the primary, "smtp:" for others),
// as Exchange fills a directory contact.
func directoryEmailAddresses(primary string, proxies []string) *ews.EmailAddresses {
	all := []string{"SMTP:" + primary}
	for _, p := range proxies {
		all = append(all, "smtp:"+p)
	}
	out := &ews.EmailAddresses{}
	for i, a := range all[:min(len(all), 3)] {
		out.Entries = append(out.Entries, ews.EmailAddressEntry{Key: fmt.Sprintf("EmailAddress%d", i+1), Value: a})
	}
	return out
}

// directoryUserContact is the t:Contact Exchange builds for a directory person (user,
// room or mail user) when ReturnFullContactData is set.
func directoryUserContact(u *User, shape string) *ews.Item {
	it := &ews.Item{XMLName: xmlName(ews.KindContact), ContactSource: "ActiveDirectory"}
	if shape == ews.ShapeIdOnly {
		it.DirectoryId = directoryID(u.PrimarySMTP)
		return it
	}
	it.DisplayName = u.DisplayName
	it.EmailAddresses = directoryEmailAddresses(u.PrimarySMTP, u.ProxyAddresses)
	it.GivenName = u.GivenName
	it.Surname = u.Surname
	it.Department = u.Department
	// Exchange always lists the business address and the directory's phone numbers, empty
	// when unset.
	it.PhysicalAddresses = &ews.PhysicalAddresses{Entries: []ews.PhysicalAddressEntry{{Key: "Business"}}}
	it.PhoneNumbers = &ews.PhoneNumbers{}
	for _, k := range []string{"AssistantPhone", "BusinessFax", "BusinessPhone", "HomePhone", "MobilePhone", "Pager"} {
		it.PhoneNumbers.Entries = append(it.PhoneNumbers.Entries, ews.PhoneNumberEntry{Key: k})
	}
	if shape == ews.ShapeAllProperties {
		it.Alias = u.SAMAccountName
		it.DirectoryId = directoryID(u.PrimarySMTP)
	}
	return it
}

// directoryGroupContact is the t:Contact Exchange builds for a distribution group.
func directoryGroupContact(g *Group, shape string) *ews.Item {
	it := &ews.Item{XMLName: xmlName(ews.KindContact), ContactSource: "ActiveDirectory"}
	if shape == ews.ShapeIdOnly {
		it.DirectoryId = directoryID(g.PrimarySMTP)
		return it
	}
	it.DisplayName = g.DisplayName
	it.EmailAddresses = directoryEmailAddresses(g.PrimarySMTP, nil)
	if shape == ews.ShapeAllProperties {
		it.Alias, _, _ = strings.Cut(g.PrimarySMTP, "@")
		it.DirectoryId = directoryID(g.PrimarySMTP)
	}
	return it
}

// resolveInContacts searches a contacts folder of the acting mailbox: the default
// Contacts folder, or the single folder of ParentFolderIds.
func (s *Simulator) resolveInContacts(ctx context.Context, c *ewsserver.Call, req *ews.ResolveNamesRequest, entry string) ([]ews.Resolution, error) {
	ref := FolderByName("contacts")
	if req.ParentFolderIds != nil {
		if len(req.ParentFolderIds.Ids) != 1 {
			return nil, &ews.ResponseError{Code: codeResolveNamesOnlyOneContactsFolderAllowed, Message: "Only one contacts folder can be specified in request."}
		}
		id := req.ParentFolderIds.Ids[0]
		mb, mbErr := s.mailbox(ctx, c)
		f, err := s.folder(mb, mbErr, c, id)
		if err != nil {
			return nil, err
		}
		if f.Kind() != ews.KindContactsFolder {
			return nil, &ews.ResponseError{Code: codeResolveNamesInvalidFolderType, Message: "Only contacts folders can be used for name resolution."}
		}
		ref = RefFromEWS(id)
	}
	mb, err := s.mailbox(ctx, c)
	if err != nil {
		return nil, err
	}
	if entry == "" {
		return nil, nil
	}
	page, err := mb.FindItems(ref, ItemQuery{})
	if err != nil {
		return nil, err
	}
	frag := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(entry, "smtp:"), "SMTP:"))
	var out []ews.Resolution
	for _, it := range page.Items {
		out = append(out, contactResolutions(&it, frag)...)
	}
	slices.SortStableFunc(out, func(a, b ews.Resolution) int {
		return strings.Compare(strings.ToLower(a.Mailbox.Name), strings.ToLower(b.Mailbox.Name))
	})
	return out, nil
}

// contactResolutions returns the candidates a store contact or private distribution list
// gives for a lower-case name fragment: a contact matching by name gives one candidate per
// e-mail address, one matching by address gives that address; a contact group matching by
// name gives itself (MailboxType PrivateDL, RoutingType MAPIPDL, no address).
func contactResolutions(it *ews.Item, frag string) []ews.Resolution {
	if frag == "" || it.ItemId == nil {
		return nil
	}
	prefix := func(vals ...string) bool {
		for _, v := range vals {
			if v != "" && strings.HasPrefix(strings.ToLower(v), frag) {
				return true
			}
		}
		return false
	}
	id := &ews.ItemId{Id: it.ItemId.Id, ChangeKey: it.ItemId.ChangeKey}
	name := it.DisplayName
	if name == "" {
		name = it.Subject
	}
	switch it.Kind() {
	case ews.KindDistributionList:
		if prefix(name, it.FileAs) {
			return []ews.Resolution{{Mailbox: ews.EmailAddress{Name: name, RoutingType: "MAPIPDL", MailboxType: "PrivateDL", ItemId: id}}}
		}
	case ews.KindContact:
		if it.EmailAddresses == nil {
			return nil
		}
		byName := prefix(name, it.GivenName, it.Surname, it.FileAs)
		var out []ews.Resolution
		for _, e := range it.EmailAddresses.Entries {
			addr := strings.TrimSpace(e.Value)
			if i := strings.IndexByte(addr, ':'); i > 0 && strings.EqualFold(addr[:i], "smtp") {
				addr = addr[i+1:]
			}
			if addr == "" || !(byName || prefix(addr)) {
				continue
			}
			rt := e.RoutingType
			if rt == "" {
				rt = "SMTP"
			}
			out = append(out, ews.Resolution{Mailbox: ews.EmailAddress{Name: name, EmailAddress: addr, RoutingType: rt, MailboxType: "Contact", ItemId: id}})
		}
		return out
	}
	return nil
}
