package ews

// Item traversals (ItemQueryTraversalType).
const (
	TraversalShallow     = "Shallow"
	TraversalSoftDeleted = "SoftDeleted"
	TraversalAssociated  = "Associated"
)

// Base points of an indexed page view.
const (
	BasePointBeginning = "Beginning"
	BasePointEnd       = "End"
)

// FindItem response codes.
const (
	ErrorCalendarViewRangeTooBig = "ErrorCalendarViewRangeTooBig"
	ErrorInvalidRestriction      = "ErrorInvalidRestriction"
)

// FindItemRequest is the m:FindItem operation: list the items of folders, filtered by
// Restriction (or QueryString), sorted by SortOrder and paged by one view. CalendarView
// expands recurring series into occurrences between its dates instead of paging.
//
// At most one view is set. Grouping (m:GroupBy, m:DistinguishedGroupBy) is not modelled:
// such a request decodes without it.
type FindItemRequest struct {
	Traversal                   string                   `xml:"Traversal,attr"`
	ItemShape                   ItemShape                `xml:"m:ItemShape"`
	IndexedPageItemView         *IndexedPageView         `xml:"m:IndexedPageItemView"`
	FractionalPageItemView      *FractionalPageView      `xml:"m:FractionalPageItemView"`
	SeekToConditionPageItemView *SeekToConditionPageView `xml:"m:SeekToConditionPageItemView"`
	CalendarView                *CalendarView            `xml:"m:CalendarView"`
	ContactsView                *ContactsView            `xml:"m:ContactsView"`
	Restriction                 *Restriction             `xml:"m:Restriction"`
	SortOrder                   *SortOrder               `xml:"m:SortOrder"`
	ParentFolderIds             FolderIds                `xml:"m:ParentFolderIds"`
	QueryString                 *QueryString             `xml:"m:QueryString"`
}

// IndexedPageView pages by position: MaxEntriesReturned entries from Offset, counted from
// BasePoint (BasePointBeginning or BasePointEnd). MaxEntriesReturned 0 means no limit.
type IndexedPageView struct {
	MaxEntriesReturned int    `xml:"MaxEntriesReturned,attr,omitempty"`
	Offset             int    `xml:"Offset,attr"`
	BasePoint          string `xml:"BasePoint,attr"`
}

// FractionalPageView pages by fraction: start at Numerator/Denominator of the view.
type FractionalPageView struct {
	MaxEntriesReturned int `xml:"MaxEntriesReturned,attr,omitempty"`
	Numerator          int `xml:"Numerator,attr"`
	Denominator        int `xml:"Denominator,attr"`
}

// SeekToConditionPageView starts the page at the first item matching Condition.
type SeekToConditionPageView struct {
	MaxEntriesReturned int         `xml:"MaxEntriesReturned,attr,omitempty"`
	BasePoint          string      `xml:"BasePoint,attr"`
	Condition          Restriction `xml:"t:Condition"`
}

// CalendarView returns the calendar items and occurrences that overlap [StartDate,
// EndDate), at most MaxEntriesReturned of them (0 means no limit).
type CalendarView struct {
	MaxEntriesReturned int      `xml:"MaxEntriesReturned,attr,omitempty"`
	StartDate          DateTime `xml:"StartDate,attr"`
	EndDate            DateTime `xml:"EndDate,attr"`
}

// ContactsView returns the contacts whose display names fall between InitialName and
// FinalName.
type ContactsView struct {
	MaxEntriesReturned int    `xml:"MaxEntriesReturned,attr,omitempty"`
	InitialName        string `xml:"InitialName,attr,omitempty"`
	FinalName          string `xml:"FinalName,attr,omitempty"`
}

// QueryString is an AQS search (Exchange 2013 and later), used instead of a Restriction.
type QueryString struct {
	ResetCache           *bool  `xml:"ResetCache,attr"`
	ReturnHighlightTerms *bool  `xml:"ReturnHighlightTerms,attr"`
	ReturnDeletedItems   *bool  `xml:"ReturnDeletedItems,attr"`
	Query                string `xml:",chardata"`
}

// FindItemResponse is the m:FindItemResponse element: one message per parent folder.
type FindItemResponse struct {
	ResponseMessages []FindItemResponseMessage `xml:"m:ResponseMessages>m:FindItemResponseMessage"`
}

// FindItemResponseMessage carries one page of one folder's items.
type FindItemResponseMessage struct {
	ResponseMessage
	RootFolder *FindItemRootFolder `xml:"m:RootFolder"`
}

// Paging describes the page a find operation returned (FindResponsePagingAttributes).
// TotalItemsInView and IncludesLastItemInRange are always written: exchangelib reads
// both unconditionally. IndexedPagingOffset is the offset of the next page (indexed
// views); NumeratorOffset and AbsoluteDenominator are the next position of a fractional
// view.
type Paging struct {
	IndexedPagingOffset     *int `xml:"IndexedPagingOffset,attr"`
	NumeratorOffset         *int `xml:"NumeratorOffset,attr"`
	AbsoluteDenominator     *int `xml:"AbsoluteDenominator,attr"`
	IncludesLastItemInRange bool `xml:"IncludesLastItemInRange,attr"`
	TotalItemsInView        int  `xml:"TotalItemsInView,attr"`
}

// FindItemRootFolder is the m:RootFolder of a FindItem answer: the paging state and the
// items of the page. Grouped results (t:Groups) are not modelled.
type FindItemRootFolder struct {
	Paging
	Items Items `xml:"t:Items"`
}
