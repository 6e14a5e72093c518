package exchangesim

import (
	"context"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// Response codes and texts of name resolution that the ews package has no constant for.
const (
	codeInvalidItemForOperationExpandDL = "ErrorInvalidItemForOperationExpandDL"
	codeMissingInformationEmailAddress  = "ErrorMissingInformationEmailAddress"
	msgNameResolutionNoResults          = "No results were found."
	msgNameResolutionMultipleResults    = "Multiple results were found."
)

func errNameResolutionNoResults() error {
	return &ews.ResponseError{Code: ews.ErrorNameResolutionNoResults, Message: msgNameResolutionNoResults}
}

func errNameResolutionMultipleResults() error {
	return &ews.ResponseError{Code: ews.ErrorNameResolutionMultipleResults, Message: msgNameResolutionMultipleResults}
}

// ExpandDL implements ewsserver.ExpandDLBackend: the members of one distribution list, one
// level deep (nested lists appear as PublicDL members), in one response message.
//
// As Exchange does it:
//   - Mailbox/EmailAddress names a directory list: an SMTP address (optionally
//     "smtp:"-prefixed), else an alias, else a display name; several matches give
//     ErrorNameResolutionMultipleResults, none (or a recipient that is not a group)
//     ErrorNameResolutionNoResults. The acting account must have a mailbox
//     (ErrorNameResolutionNoMailbox otherwise).
//   - Mailbox/ItemId names a private list (a t:DistributionList in the acting mailbox); any
//     other item gives ErrorInvalidItemForOperationExpandDL.
//   - Members are Mailbox (users, rooms and mail users alike — Exchange maps MailUser to
//     Mailbox) or PublicDL (groups). TotalItemsInView counts them; IncludesLastItemInRange
//     is always true.
func (s *Simulator) ExpandDL(ctx context.Context, c *ewsserver.Call, req *ews.ExpandDLRequest) (*ews.ExpandDLResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var exp *ews.DLExpansion
	var err error
	switch m := req.Mailbox; {
	case strings.TrimSpace(m.EmailAddress) != "":
		exp, err = s.expandDirectoryDL(c, strings.TrimSpace(m.EmailAddress))
	case m.ItemId != nil:
		exp, err = s.expandStoreDL(ctx, c, m.ItemId.Id)
	default:
		err = &ews.ResponseError{Code: codeMissingInformationEmailAddress, Message: "The EmailAddress or ItemId element is missing."}
	}
	msg := ews.ExpandDLResponseMessage{}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg.ResponseMessage = ews.FailureFrom(err)
	} else {
		msg.ResponseMessage = ews.Success()
		msg.DLExpansion = exp
	}
	return &ews.ExpandDLResponse{ResponseMessages: []ews.ExpandDLResponseMessage{msg}}, nil
}

// expandDirectoryDL expands a public distribution list of the directory.
func (s *Simulator) expandDirectoryDL(c *ewsserver.Call, name string) (*ews.DLExpansion, error) {
	if !s.hasAccessingPrincipal(c) {
		return nil, errNameResolutionNoMailbox()
	}
	g, err := s.findDirectoryDL(name)
	if err != nil {
		return nil, err
	}
	dir := s.world.Directory()
	exp := &ews.DLExpansion{IncludesLastItemInRange: true}
	for _, m := range g.Members {
		if sub, ok := dir.Group(m); ok {
			exp.Mailboxes = append(exp.Mailboxes, sub.Address())
		} else if u, ok := dir.Lookup(m); ok {
			exp.Mailboxes = append(exp.Mailboxes, u.Address())
		}
	}
	exp.TotalItemsInView = len(exp.Mailboxes)
	return exp, nil
}

// findDirectoryDL resolves the name of a directory list the way Exchange's ExpandDL does:
// by address (any recipient), then by alias, then by display name. A match that is not a
// group is no result.
func (s *Simulator) findDirectoryDL(name string) (Group, error) {
	dir := s.world.Directory()
	if strings.Contains(name, "@") {
		addr := normAddr(name)
		if g, ok := dir.Group(addr); ok {
			return g, nil
		}
		if _, ok := dir.Lookup(addr); ok {
			return Group{}, errNameResolutionNoResults()
		}
	}
	var byAlias, byName []Group
	key := strings.ToLower(name)
	for _, g := range dir.Groups() {
		if alias, _, _ := strings.Cut(g.PrimarySMTP, "@"); alias == key {
			byAlias = append(byAlias, g)
		}
		if strings.ToLower(g.DisplayName) == key {
			byName = append(byName, g)
		}
	}
	for _, found := range [][]Group{byAlias, byName} {
		switch {
		case len(found) == 1:
			return found[0], nil
		case len(found) > 1:
			return Group{}, errNameResolutionMultipleResults()
		}
	}
	return Group{}, errNameResolutionNoResults()
}

// expandStoreDL expands a private distribution list (a contact group) of the acting
// mailbox. The store keeps no member list for such items (ews.Item has no Members), so a
// private list expands to no members.
func (s *Simulator) expandStoreDL(ctx context.Context, c *ewsserver.Call, id string) (*ews.DLExpansion, error) {
	mb, err := s.mailbox(ctx, c)
	if err != nil {
		return nil, err
	}
	it, err := mb.Item(id)
	if err != nil {
		return nil, err
	}
	if it.Kind() != ews.KindDistributionList {
		return nil, &ews.ResponseError{Code: codeInvalidItemForOperationExpandDL, Message: "The item is not a distribution list."}
	}
	return &ews.DLExpansion{IncludesLastItemInRange: true}, nil
}
