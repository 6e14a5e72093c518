package ews

// ExpandDLRequest is the m:ExpandDL operation: list the members of a distribution list,
// named by address (or by ItemId for a private list).
type ExpandDLRequest struct {
	Mailbox EmailAddress `xml:"m:Mailbox"`
}

// ExpandDLResponse is the m:ExpandDLResponse element: one message for the list.
type ExpandDLResponse struct {
	ResponseMessages []ExpandDLResponseMessage `xml:"m:ResponseMessages>m:ExpandDLResponseMessage"`
}

// ExpandDLResponseMessage carries the members, or an error such as
// ErrorNameResolutionNoResults for an unknown list.
type ExpandDLResponseMessage struct {
	ResponseMessage
	DLExpansion *DLExpansion `xml:"m:DLExpansion"`
}

// DLExpansion lists the members of a distribution list (one level: nested lists appear as
// members with MailboxType PublicDL).
type DLExpansion struct {
	TotalItemsInView        int            `xml:"TotalItemsInView,attr"`
	IncludesLastItemInRange bool           `xml:"IncludesLastItemInRange,attr"`
	Mailboxes               []EmailAddress `xml:"t:Mailbox"`
}
