package ews

// ResolveNames search scopes (ResolveNamesSearchScopeType). Exchange's default is
// ScopeActiveDirectoryContacts.
const (
	ScopeActiveDirectory         = "ActiveDirectory"
	ScopeActiveDirectoryContacts = "ActiveDirectoryContacts"
	ScopeContacts                = "Contacts"
	ScopeContactsActiveDirectory = "ContactsActiveDirectory"
)

// Response codes of name resolution (ResolveNames, ExpandDL, GetRooms).
const (
	ErrorNameResolutionNoMailbox        = "ErrorNameResolutionNoMailbox"
	ErrorDistributionListMemberNotExist = "ErrorDistributionListMemberNotExist"
)

// MaxResolutions is the most candidates one ResolveNames message carries.
const MaxResolutions = 100

// ResolveNamesRequest is the m:ResolveNames operation: find directory entries and
// contacts matching a name fragment, an SMTP address or "smtp:address".
//
// The schema allows one m:UnresolvedEntry, but exchangelib sends up to 100 in one request
// and Exchange answers with one message per entry, in order; so entries are a list here.
type ResolveNamesRequest struct {
	ReturnFullContactData bool       `xml:"ReturnFullContactData,attr"`
	SearchScope           string     `xml:"SearchScope,attr,omitempty"`
	ContactDataShape      string     `xml:"ContactDataShape,attr,omitempty"`
	ParentFolderIds       *FolderIds `xml:"m:ParentFolderIds"`
	UnresolvedEntries     []string   `xml:"m:UnresolvedEntry"`
}

// ResolveNamesResponse is the m:ResolveNamesResponse element: one message per entry.
type ResolveNamesResponse struct {
	ResponseMessages []ResolveNamesResponseMessage `xml:"m:ResponseMessages>m:ResolveNamesResponseMessage"`
}

// ResolveNamesResponseMessage carries the candidates for one entry: Success with one,
// Warning (ErrorNameResolutionMultipleResults) with several, or Error
// (ErrorNameResolutionNoResults) with none.
type ResolveNamesResponseMessage struct {
	ResponseMessage
	ResolutionSet *ResolutionSet `xml:"m:ResolutionSet"`
}

// ResolutionSet lists at most MaxResolutions candidates. Both attributes are always
// written: exchangelib fails on a ResolutionSet without IncludesLastItemInRange.
type ResolutionSet struct {
	TotalItemsInView        int          `xml:"TotalItemsInView,attr"`
	IncludesLastItemInRange bool         `xml:"IncludesLastItemInRange,attr"`
	Resolutions             []Resolution `xml:"t:Resolution"`
}

// Resolution is one candidate: its mailbox and, when ReturnFullContactData was asked
// for, its contact data (a t:Contact item).
type Resolution struct {
	Mailbox EmailAddress `xml:"t:Mailbox"`
	Contact *Item        `xml:"t:Contact"`
}
