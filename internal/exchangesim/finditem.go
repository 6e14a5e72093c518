package exchangesim

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// FindItem response codes and texts the ews package has no constant for.
const (
	findCodeExceededCountLimit       = "ErrorExceededFindCountLimit"
	findCodeUnsupportedPath          = "ErrorUnsupportedPathForQuery"
	findCodeUnsupportedSort          = "ErrorUnsupportedPathForSortGroup"
	findCodeInvalidValue             = "ErrorInvalidValueForProperty"
	findCodeIndexedPaging            = "ErrorInvalidIndexedPagingParameters"
	findCodeFractionalPaging         = "ErrorInvalidFractionalPagingParameters"
	findCodePagingMaxRows            = "ErrorInvalidPagingMaxRows"
	findCodeCalendarEndBeforeStart   = "ErrorCalendarEndDateIsEarlierThanStartDate"
	findCountLimit                   = 1000 // EWSFindCountLimit, fixed on Exchange 2013 and later
	findCountLimitSearch             = 250  // the same for restricted and AQS searches
	maxCalendarViewRange             = 2    // years
	findMsgUnsupportedPath           = "The property can not be used with this type of restriction."
	findMsgCalendarViewNoRestriction = "Restrictions and sort order may not be specified for a CalendarView."
)

// FindItem implements ewsserver.FindItemBackend: one message per parent folder, each with
// one page of the folder's items, filtered by Restriction (or QueryString), sorted by
// SortOrder (newest first by default) and paged by the request's view:
//
//   - IndexedPageItemView: MaxEntriesReturned items from Offset, counted from BasePoint;
//     IndexedPagingOffset is where the next page starts.
//   - FractionalPageItemView: from Numerator/Denominator of the view; NumeratorOffset and
//     AbsoluteDenominator say where the next page starts.
//   - SeekToConditionPageItemView: from the first item matching Condition.
//   - CalendarView: the calendar items overlapping [StartDate, EndDate), by start, at most
//     MaxEntriesReturned (TotalItemsInView counts them all; IncludesLastItemInRange is
//     false when some were left out). No Restriction or SortOrder with it, as on Exchange.
//   - ContactsView: contacts whose display names lie between InitialName and FinalName.
//
// A page holds at most EWSFindCountLimit items (1000; 250 for restricted and AQS
// searches): more make a partial page with IncludesLastItemInRange=false, or, for clients
// older than Exchange2010_SP1, ErrorExceededFindCountLimit. Associated and SoftDeleted
// traversals find nothing: the simulator has neither kind of item.
func (s *Simulator) FindItem(ctx context.Context, c *ewsserver.Call, req *ews.FindItemRequest) (*ews.FindItemResponse, error) {
	q, err := compileFindItem(c, req)
	var schemaErr *ews.SchemaError
	if errors.As(err, &schemaErr) {
		return nil, err
	}
	if len(req.ParentFolderIds.Ids) == 0 {
		return nil, &ews.SchemaError{Violation: "The element 'ParentFolderIds' has incomplete content."}
	}
	mb, mbErr := s.mailbox(ctx, c)
	resp := &ews.FindItemResponse{ResponseMessages: make([]ews.FindItemResponseMessage, 0, len(req.ParentFolderIds.Ids))}
	for _, id := range req.ParentFolderIds.Ids {
		var root *ews.FindItemRootFolder
		e := err
		if e == nil {
			e = mbErr
		}
		if e == nil {
			var ref FolderRef
			if ref, e = s.folderRef(c, id); e == nil {
				root, e = mb.findItems(ref, q)
			}
		}
		msg := ews.FindItemResponseMessage{ResponseMessage: ews.Success(), RootFolder: root}
		if e != nil {
			msg = ews.FindItemResponseMessage{ResponseMessage: ews.FailureFrom(e)}
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

// viewKind is the paging view of a find request.
type viewKind uint8

const (
	viewNone viewKind = iota
	viewIndexed
	viewFractional
	viewSeek
	viewCalendar
	viewContacts
)

// pageSpec is a find request's view.
type pageSpec struct {
	kind       viewKind
	max        int // 0: no limit
	offset     int
	fromEnd    bool
	num, den   int
	start, end time.Time // calendar view
	first      string    // contacts view: InitialName, FinalName (lower case)
	last       string
}

// findItemQuery is a compiled FindItem request.
type findItemQuery struct {
	shaper    *itemShaper
	traversal string
	where     propPredicate[*itemCand]
	seek      propPredicate[*itemCand]
	terms     []string // QueryString words, lower case
	order     []propSortKey[*itemCand]
	page      pageSpec
	limit     int
	legacy    bool // the client is older than Exchange2010_SP1
}

// compileFindItem checks a FindItem request: schema violations are *ews.SchemaError;
// anything else Exchange answers per folder is a *ews.ResponseError.
func compileFindItem(c *ewsserver.Call, req *ews.FindItemRequest) (*findItemQuery, error) {
	q := &findItemQuery{traversal: req.Traversal, limit: findCountLimit, legacy: legacyFindLimit(c.Version)}
	switch req.Traversal {
	case ews.TraversalShallow, ews.TraversalSoftDeleted, ews.TraversalAssociated:
	default:
		return nil, enumViolation("Traversal", req.Traversal, "ItemQueryTraversalType")
	}
	views := 0
	for _, set := range []bool{req.IndexedPageItemView != nil, req.FractionalPageItemView != nil,
		req.SeekToConditionPageItemView != nil, req.CalendarView != nil, req.ContactsView != nil} {
		if set {
			views++
		}
	}
	if views > 1 {
		return nil, &ews.SchemaError{Violation: "The element 'FindItem' has more than one paging view."}
	}
	if req.Restriction != nil && req.QueryString != nil {
		return nil, &ews.SchemaError{Violation: "The element 'FindItem' has both Restriction and QueryString."}
	}
	sh, shErr := compileItemShape(req.ItemShape, true)
	var schemaErr *ews.SchemaError
	if errors.As(shErr, &schemaErr) {
		return nil, shErr
	}
	q.shaper = sh
	var err error
	if req.Restriction != nil {
		if q.where, err = compileRestriction(req.Restriction, itemAccessor); err != nil {
			return nil, err
		}
		q.limit = findCountLimitSearch
	}
	if req.SortOrder != nil {
		if q.order, err = compileSort(req.SortOrder, itemAccessor); err != nil {
			return nil, err
		}
	}
	if req.QueryString != nil {
		q.terms = queryTerms(req.QueryString.Query)
		q.limit = findCountLimitSearch
	}
	if q.page, err = compilePage(req); err != nil {
		return nil, err
	}
	if v := req.SeekToConditionPageItemView; v != nil {
		if q.seek, err = compileRestriction(&v.Condition, itemAccessor); err != nil {
			return nil, err
		}
	}
	if shErr != nil {
		return nil, shErr
	}
	if q.page.kind == viewCalendar && (req.Restriction != nil || req.SortOrder != nil) {
		return nil, &ews.ResponseError{Code: ews.ErrorInvalidRestriction, Message: findMsgCalendarViewNoRestriction}
	}
	return q, nil
}

// legacyFindLimit reports whether a client of this schema version gets
// ErrorExceededFindCountLimit rather than a partial page (versions before 2010 SP1).
func legacyFindLimit(version string) bool {
	switch version {
	case "Exchange2007", "Exchange2007_SP1", "Exchange2009", "Exchange2010":
		return true
	}
	return false
}

// compilePage reads the request's view.
func compilePage(req *ews.FindItemRequest) (pageSpec, error) {
	switch {
	case req.IndexedPageItemView != nil:
		return indexedPage(req.IndexedPageItemView)
	case req.FractionalPageItemView != nil:
		return fractionalPage(req.FractionalPageItemView)
	case req.SeekToConditionPageItemView != nil:
		v := req.SeekToConditionPageItemView
		p, err := indexedPage(&ews.IndexedPageView{MaxEntriesReturned: v.MaxEntriesReturned, BasePoint: v.BasePoint})
		p.kind = viewSeek
		return p, err
	case req.CalendarView != nil:
		v := req.CalendarView
		p := pageSpec{kind: viewCalendar, max: v.MaxEntriesReturned, start: v.StartDate.Time, end: v.EndDate.Time}
		switch {
		case v.StartDate.IsZero() || v.EndDate.IsZero():
			return p, &ews.SchemaError{Violation: "The required attributes 'StartDate' and 'EndDate' of 'CalendarView' are missing."}
		case v.MaxEntriesReturned < 0:
			return p, errPagingMaxRows()
		case p.end.Before(p.start):
			return p, &ews.ResponseError{Code: findCodeCalendarEndBeforeStart, Message: "EndDate is earlier than StartDate"}
		case p.end.After(p.start.AddDate(maxCalendarViewRange, 0, 0)):
			return p, &ews.ResponseError{Code: ews.ErrorCalendarViewRangeTooBig, Message: "The time range of the calendar view exceeds the maximum of two years."}
		}
		return p, nil
	case req.ContactsView != nil:
		v := req.ContactsView
		if v.MaxEntriesReturned < 0 {
			return pageSpec{}, errPagingMaxRows()
		}
		return pageSpec{kind: viewContacts, max: v.MaxEntriesReturned, first: strings.ToLower(v.InitialName), last: strings.ToLower(v.FinalName)}, nil
	}
	return pageSpec{kind: viewNone}, nil
}

func indexedPage(v *ews.IndexedPageView) (pageSpec, error) {
	p := pageSpec{kind: viewIndexed, max: v.MaxEntriesReturned, offset: v.Offset}
	switch v.BasePoint {
	case ews.BasePointBeginning:
	case ews.BasePointEnd:
		p.fromEnd = true
	default:
		return p, enumViolation("BasePoint", v.BasePoint, "IndexBasePointType")
	}
	if v.MaxEntriesReturned < 0 {
		return p, errPagingMaxRows()
	}
	if v.Offset < 0 {
		return p, &ews.ResponseError{Code: findCodeIndexedPaging, Message: "The indexed paging offset must not be negative."}
	}
	return p, nil
}

func fractionalPage(v *ews.FractionalPageView) (pageSpec, error) {
	p := pageSpec{kind: viewFractional, max: v.MaxEntriesReturned, num: v.Numerator, den: v.Denominator}
	if v.MaxEntriesReturned < 0 {
		return p, errPagingMaxRows()
	}
	if v.Denominator <= 0 || v.Numerator < 0 || v.Numerator > v.Denominator {
		return p, &ews.ResponseError{Code: findCodeFractionalPaging, Message: "The fractional paging parameters are invalid: the numerator must lie between 0 and the denominator, which must be positive."}
	}
	return p, nil
}

func errPagingMaxRows() error {
	return &ews.ResponseError{Code: findCodePagingMaxRows, Message: "MaxEntriesReturned must be positive."}
}

// window is the page of a view of total entries: [lo, hi), and the paging attributes.
func (p pageSpec) window(total, limit int, legacy bool, seekAt int) (lo, hi int, paging ews.Paging, err error) {
	lo, hi = 0, total
	switch p.kind {
	case viewIndexed, viewSeek:
		if p.kind == viewSeek {
			if seekAt < 0 { // nothing matches: an empty page at the end
				lo, hi = total, total
				break
			}
			if p.fromEnd {
				hi = seekAt + 1
				lo = 0
			} else {
				lo = seekAt
			}
		} else if p.fromEnd {
			hi = max(total-p.offset, 0)
			lo = 0
		} else {
			lo = min(p.offset, total)
		}
		if p.max > 0 {
			if p.fromEnd {
				lo = max(hi-p.max, lo)
			} else {
				hi = min(lo+p.max, hi)
			}
		}
	case viewFractional:
		lo = int(int64(total) * int64(p.num) / int64(p.den))
		if p.max > 0 {
			hi = min(lo+p.max, total)
		}
	default:
		if p.max > 0 {
			hi = min(p.max, total)
		}
	}
	if hi-lo > limit {
		if legacy {
			return 0, 0, paging, &ews.ResponseError{Code: findCodeExceededCountLimit, Message: "The number of items found exceeds the maximum of " + strconv.Itoa(limit) + " that may be returned."}
		}
		if p.fromEnd && (p.kind == viewIndexed || p.kind == viewSeek) {
			lo = hi - limit
		} else {
			hi = lo + limit
		}
	}
	paging.TotalItemsInView = total
	switch p.kind {
	case viewIndexed, viewSeek:
		if p.fromEnd {
			paging.IncludesLastItemInRange = lo == 0
			paging.IndexedPagingOffset = ews.Int(total - lo)
		} else {
			paging.IncludesLastItemInRange = hi >= total
			paging.IndexedPagingOffset = ews.Int(hi)
		}
	case viewFractional:
		paging.IncludesLastItemInRange = hi >= total
		paging.NumeratorOffset, paging.AbsoluteDenominator = ews.Int(hi), ews.Int(total)
	default:
		paging.IncludesLastItemInRange = hi >= total
	}
	return lo, hi, paging, nil
}

// itemCand is an item a find considers: its record and, once something needed more than
// the record, the materialized item.
type itemCand struct {
	scan *itemScan
	inst uint64
	r    *itemRec
	it   *ews.Item
	keys []propSortValue
}

// itemScan is one FindItem over one folder, under the mailbox lock.
type itemScan struct {
	m *Mailbox
	f *folder
}

// item materializes the candidate (once).
func (c *itemCand) item() *ews.Item {
	if c.it == nil {
		it := c.scan.m.render(c.scan.f, c.inst, c.r)
		c.it = &it
	}
	return c.it
}

// findItems runs a compiled FindItem over one folder.
func (m *Mailbox) findItems(ref FolderRef, q *findItemQuery) (*ews.FindItemRootFolder, error) {
	if err := m.begin(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	f, err := m.resolveFolder(ref)
	if err != nil {
		return nil, err
	}
	scan := &itemScan{m: m, f: f}
	var cands []itemCand
	if q.traversal == ews.TraversalShallow {
		cands = make([]itemCand, 0, f.live)
		for i := range f.recs {
			r := &f.recs[i]
			if r.state != recLive {
				continue
			}
			c := itemCand{scan: scan, inst: f.base + uint64(i), r: r}
			if !q.inView(&c) || q.where != nil && !q.where(&c) || len(q.terms) > 0 && !matchTerms(c.item(), q.terms) {
				continue
			}
			cands = append(cands, c)
		}
	}
	q.sort(cands)
	seekAt := -1
	if q.page.kind == viewSeek {
		if q.page.fromEnd {
			for i := len(cands) - 1; i >= 0 && seekAt < 0; i-- {
				if q.seek(&cands[i]) {
					seekAt = i
				}
			}
		} else {
			for i := range cands {
				if q.seek(&cands[i]) {
					seekAt = i
					break
				}
			}
		}
	}
	lo, hi, paging, err := q.page.window(len(cands), q.limit, q.legacy, seekAt)
	if err != nil {
		return nil, err
	}
	root := &ews.FindItemRootFolder{Paging: paging}
	root.Items.Items = make([]ews.Item, 0, hi-lo)
	for i := lo; i < hi; i++ {
		c := &cands[i]
		if q.shaper.idOnly {
			root.Items.Items = append(root.Items.Items, idOnlyItem(recKind(c.r), m.itemID(f, c.inst, c.r)))
			continue
		}
		root.Items.Items = append(root.Items.Items, q.shaper.apply(c.item()))
	}
	return root, nil
}

// inView applies the calendar and contacts views' own selection.
func (q *findItemQuery) inView(c *itemCand) bool {
	switch q.page.kind {
	case viewCalendar:
		_, start, end, event := c.r.times()
		if !event || !start.Before(q.page.end) {
			return false
		}
		// Overlapping [start, end): ends after the window starts; an instant event counts
		// when it lies within the window.
		return end.After(q.page.start) || end.Equal(start) && !start.Before(q.page.start)
	case viewContacts:
		k := recKind(c.r)
		if k != ews.KindContact && k != ews.KindDistributionList {
			return false
		}
		name := strings.ToLower(c.item().DisplayName)
		if q.page.first != "" && name < q.page.first {
			return false
		}
		return q.page.last == "" || name <= q.page.last || strings.HasPrefix(name, q.page.last)
	}
	return true
}

// sort orders the candidates: by SortOrder, by start (calendar view), by display name
// (contacts view) or newest first; ties by creation order.
func (q *findItemQuery) sort(cands []itemCand) {
	switch {
	case len(q.order) > 0:
		for i := range cands {
			c := &cands[i]
			c.keys = make([]propSortValue, len(q.order))
			for k, o := range q.order {
				v, ok := o.acc.get(c)
				c.keys[k] = propSortValue{v, ok}
			}
		}
		slices.SortStableFunc(cands, func(a, b itemCand) int {
			for k, o := range q.order {
				if c := comparePropSort(a.keys[k], b.keys[k], o.acc.kind); c != 0 {
					if o.desc {
						return -c
					}
					return c
				}
			}
			return cmp.Compare(a.inst, b.inst)
		})
	case q.page.kind == viewCalendar:
		for i := range cands {
			_, start, _, _ := cands[i].r.times()
			cands[i].keys = []propSortValue{{propValue{t: start}, true}}
		}
		slices.SortFunc(cands, func(a, b itemCand) int {
			return cmp.Or(a.keys[0].v.t.Compare(b.keys[0].v.t), cmp.Compare(a.inst, b.inst))
		})
	case q.page.kind == viewContacts:
		slices.SortFunc(cands, func(a, b itemCand) int {
			return cmp.Or(strings.Compare(strings.ToLower(a.item().DisplayName), strings.ToLower(b.item().DisplayName)), cmp.Compare(a.inst, b.inst))
		})
	default:
		slices.SortFunc(cands, func(a, b itemCand) int {
			return cmp.Or(cmp.Compare(b.r.date, a.r.date), cmp.Compare(b.inst, a.inst))
		})
	}
}

// queryTerms splits an AQS query into lower-case words, dropping property prefixes
// ("subject:budget" searches for "budget") and the AND keyword.
func queryTerms(query string) []string {
	var terms []string
	for _, w := range strings.Fields(query) {
		if _, v, ok := strings.Cut(w, ":"); ok {
			w = v
		}
		w = strings.Trim(w, `"()`)
		if w == "" || w == "AND" {
			continue
		}
		terms = append(terms, strings.ToLower(w))
	}
	return terms
}

// matchTerms is the simulator's AQS: every term occurs in the subject, the body or the
// sender's name or address.
func matchTerms(it *ews.Item, terms []string) bool {
	var b strings.Builder
	b.WriteString(strings.ToLower(it.Subject))
	if it.Body != nil {
		b.WriteByte(' ')
		b.WriteString(strings.ToLower(it.Body.Value))
	}
	if it.From != nil {
		b.WriteByte(' ')
		b.WriteString(strings.ToLower(it.From.Mailbox.Name + " " + it.From.Mailbox.EmailAddress))
	}
	text := b.String()
	for _, t := range terms {
		if !strings.Contains(text, t) {
			return false
		}
	}
	return true
}

// ---- restrictions and sort orders ----

// propKind is the type of a property as restrictions compare it.
type propKind uint8

const (
	propString  propKind = iota + 1
	propStrings          // multi-valued string (Categories)
	propBool
	propTime
	propInt
)

// propValue is a property value of one of the kinds.
type propValue struct {
	s  string
	ss []string
	b  bool
	t  time.Time
	n  int64
}

// propAccessor reads one property of a T (an item candidate, a folder); ok is false when
// the property is not set.
type propAccessor[T any] struct {
	kind propKind
	get  func(T) (v propValue, ok bool)
}

// propPredicate is a compiled restriction.
type propPredicate[T any] func(T) bool

// propSortKey is one compiled FieldOrder.
type propSortKey[T any] struct {
	acc  propAccessor[T]
	desc bool
}

// propSortValue is a candidate's value for one sort key.
type propSortValue struct {
	v  propValue
	ok bool
}

// comparePropSort orders values of one kind; an unset value comes first.
func comparePropSort(a, b propSortValue, kind propKind) int {
	switch {
	case !a.ok || !b.ok:
		return cmp.Compare(boolToInt(a.ok), boolToInt(b.ok))
	}
	return comparePropValues(a.v, b.v, kind)
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// comparePropValues orders two values of one kind; strings compare without case, as the
// store does.
func comparePropValues(a, b propValue, kind propKind) int {
	switch kind {
	case propString:
		return strings.Compare(strings.ToLower(a.s), strings.ToLower(b.s))
	case propStrings:
		return strings.Compare(strings.ToLower(strings.Join(a.ss, ";")), strings.ToLower(strings.Join(b.ss, ";")))
	case propBool:
		return cmp.Compare(boolToInt(a.b), boolToInt(b.b))
	case propTime:
		return a.t.Compare(b.t)
	case propInt:
		return cmp.Compare(a.n, b.n)
	}
	return 0
}

// parsePropConstant reads a restriction constant as a value of kind.
func parsePropConstant(s string, kind propKind) (propValue, error) {
	bad := &ews.ResponseError{Code: findCodeInvalidValue, Message: "The value '" + s + "' is not valid for the property."}
	switch kind {
	case propString:
		return propValue{s: s}, nil
	case propStrings:
		return propValue{ss: []string{s}}, nil
	case propBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1":
			return propValue{b: true}, nil
		case "false", "0":
			return propValue{}, nil
		}
		return propValue{}, bad
	case propTime:
		t, err := ews.ParseDateTime(s)
		if err != nil {
			return propValue{}, bad
		}
		return propValue{t: t}, nil
	case propInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 0, 64)
		if err != nil {
			return propValue{}, bad
		}
		return propValue{n: n}, nil
	}
	return propValue{}, bad
}

// compileSort compiles a SortOrder.
func compileSort[T any](so *ews.SortOrder, lookup func(ews.PropertyPath) (propAccessor[T], error)) ([]propSortKey[T], error) {
	keys := make([]propSortKey[T], 0, len(so.FieldOrders))
	for _, fo := range so.FieldOrders {
		switch fo.Order {
		case ews.Ascending, ews.Descending:
		default:
			return nil, enumViolation("Order", fo.Order, "SortDirectionType")
		}
		p := fo.Path()
		if p == nil {
			return nil, &ews.SchemaError{Violation: "The element 'FieldOrder' has incomplete content: a property path is expected."}
		}
		acc, err := lookup(*p)
		if err != nil {
			var re *ews.ResponseError
			if errors.As(err, &re) && re.Code == findCodeUnsupportedPath {
				return nil, &ews.ResponseError{Code: findCodeUnsupportedSort, Message: "The property can not be used for sorting or grouping results."}
			}
			return nil, err
		}
		keys = append(keys, propSortKey[T]{acc: acc, desc: fo.Order == ews.Descending})
	}
	return keys, nil
}

// compileRestriction compiles a Restriction over the properties lookup knows.
func compileRestriction[T any](r *ews.Restriction, lookup func(ews.PropertyPath) (propAccessor[T], error)) (propPredicate[T], error) {
	if r.Expression.XMLName.Local == "" {
		return nil, &ews.SchemaError{Violation: "The element 'Restriction' has incomplete content: a search expression is expected."}
	}
	return compileExpr(&r.Expression, lookup)
}

var (
	containmentModes = map[string]bool{"": true, "FullString": true, "Prefixed": true, "Substring": true,
		"PrefixOnWords": true, "ExactPhrase": true}
	containmentComparisons = map[string]bool{"": true, "Exact": true, "IgnoreCase": true,
		"IgnoreNonSpacingCharacters": true, "Loose": true, "IgnoreCaseAndNonSpacingCharacters": true,
		"LooseAndIgnoreCase": true, "LooseAndIgnoreNonSpace": true, "LooseAndIgnoreCaseAndIgnoreNonSpace": true}
)

func compileExpr[T any](e *ews.SearchExpression, lookup func(ews.PropertyPath) (propAccessor[T], error)) (propPredicate[T], error) {
	op := e.Operator()
	switch op {
	case ews.ExprNot:
		if len(e.Operands) != 1 {
			return nil, &ews.SchemaError{Violation: "The element 'Not' must contain exactly one search expression."}
		}
		inner, err := compileExpr(&e.Operands[0], lookup)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { return !inner(x) }, nil
	case ews.ExprAnd, ews.ExprOr:
		if len(e.Operands) == 0 {
			return nil, &ews.SchemaError{Violation: "The element '" + strings.TrimPrefix(op, "t:") + "' has incomplete content: a search expression is expected."}
		}
		parts := make([]propPredicate[T], len(e.Operands))
		for i := range e.Operands {
			p, err := compileExpr(&e.Operands[i], lookup)
			if err != nil {
				return nil, err
			}
			parts[i] = p
		}
		if op == ews.ExprAnd {
			return func(x T) bool {
				for _, p := range parts {
					if !p(x) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(x T) bool {
			for _, p := range parts {
				if p(x) {
					return true
				}
			}
			return false
		}, nil
	}
	path := e.Path()
	if path == nil {
		return nil, &ews.SchemaError{Violation: "The element '" + strings.TrimPrefix(op, "t:") + "' has incomplete content: a property path is expected."}
	}
	acc, err := lookup(*path)
	if err != nil {
		return nil, err
	}
	switch op {
	case ews.ExprExists:
		return func(x T) bool { _, ok := acc.get(x); return ok }, nil
	case ews.ExprContains:
		return compileContains(e, acc)
	case ews.ExprExcludes:
		if e.Bitmask == nil {
			return nil, &ews.SchemaError{Violation: "The element 'Excludes' has incomplete content: 'Bitmask' is expected."}
		}
		if acc.kind != propInt {
			return nil, &ews.ResponseError{Code: ews.ErrorInvalidRestriction, Message: "Excludes applies to integer properties only."}
		}
		mask, err := parsePropConstant(e.Bitmask.Value, propInt)
		if err != nil {
			return nil, err
		}
		return func(x T) bool { v, ok := acc.get(x); return ok && v.n&mask.n == 0 }, nil
	case ews.ExprIsEqualTo, ews.ExprIsNotEqualTo, ews.ExprIsGreaterThan, ews.ExprIsGreaterThanOrEqualTo,
		ews.ExprIsLessThan, ews.ExprIsLessThanOrEqualTo:
	default:
		return nil, &ews.SchemaError{Violation: "The element '" + op + "' is not a search expression."}
	}
	if e.FieldURIOrConstant == nil {
		return nil, &ews.SchemaError{Violation: "The element '" + strings.TrimPrefix(op, "t:") + "' has incomplete content: 'FieldURIOrConstant' is expected."}
	}
	var rhs func(T) (propValue, bool)
	if k := e.FieldURIOrConstant.Constant; k != nil {
		c, err := parsePropConstant(k.Value, acc.kind)
		if err != nil {
			return nil, err
		}
		rhs = func(T) (propValue, bool) { return c, true }
	} else if p := e.FieldURIOrConstant.Path(); p != nil {
		other, err := lookup(*p)
		if err != nil {
			return nil, err
		}
		if other.kind != acc.kind {
			return nil, &ews.ResponseError{Code: ews.ErrorInvalidRestriction, Message: "The properties compared have different types."}
		}
		rhs = other.get
	} else {
		return nil, &ews.SchemaError{Violation: "The element 'FieldURIOrConstant' has incomplete content."}
	}
	test := comparisonTest(op)
	kind := acc.kind
	return func(x T) bool {
		a, ok := acc.get(x)
		if !ok {
			return false
		}
		b, ok := rhs(x)
		if !ok {
			return false
		}
		if kind == propStrings { // a multi-valued property matches when one of its values does
			for _, s := range a.ss {
				if test(comparePropValues(propValue{s: s}, propValue{s: firstString(b.ss)}, propString)) {
					return true
				}
			}
			return false
		}
		return test(comparePropValues(a, b, kind))
	}, nil
}

func firstString(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// comparisonTest returns the test of a comparison operator on comparePropValues' result.
func comparisonTest(op string) func(int) bool {
	switch op {
	case ews.ExprIsNotEqualTo:
		return func(c int) bool { return c != 0 }
	case ews.ExprIsGreaterThan:
		return func(c int) bool { return c > 0 }
	case ews.ExprIsGreaterThanOrEqualTo:
		return func(c int) bool { return c >= 0 }
	case ews.ExprIsLessThan:
		return func(c int) bool { return c < 0 }
	case ews.ExprIsLessThanOrEqualTo:
		return func(c int) bool { return c <= 0 }
	}
	return func(c int) bool { return c == 0 }
}

// compileContains compiles a Contains expression. Without attributes it is a case-sensitive
// full-string match, as MAPI's content restriction is by default; the Loose and
// NonSpacing comparisons are treated as IgnoreCase.
func compileContains[T any](e *ews.SearchExpression, acc propAccessor[T]) (propPredicate[T], error) {
	if !containmentModes[e.ContainmentMode] {
		return nil, enumViolation("ContainmentMode", e.ContainmentMode, "ContainmentModeType")
	}
	if !containmentComparisons[e.ContainmentComparison] {
		return nil, enumViolation("ContainmentComparison", e.ContainmentComparison, "ContainmentComparisonType")
	}
	if e.Constant == nil {
		return nil, &ews.SchemaError{Violation: "The element 'Contains' has incomplete content: 'Constant' is expected."}
	}
	if acc.kind != propString && acc.kind != propStrings {
		return nil, &ews.ResponseError{Code: ews.ErrorInvalidRestriction, Message: "Contains applies to string properties only."}
	}
	fold := e.ContainmentComparison != "" && e.ContainmentComparison != "Exact"
	want := e.Constant.Value
	if fold {
		want = strings.ToLower(want)
	}
	match := func(s string) bool {
		if fold {
			s = strings.ToLower(s)
		}
		switch e.ContainmentMode {
		case "Substring", "ExactPhrase":
			return strings.Contains(s, want)
		case "Prefixed":
			return strings.HasPrefix(s, want)
		case "PrefixOnWords":
			for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '-' || r == '.' || r == ',' }) {
				if strings.HasPrefix(w, want) {
					return true
				}
			}
			return false
		}
		return s == want
	}
	return func(x T) bool {
		v, ok := acc.get(x)
		if !ok {
			return false
		}
		if acc.kind == propStrings {
			return slices.ContainsFunc(v.ss, match)
		}
		return match(v.s)
	}, nil
}

// ---- item properties for restrictions and sorting ----

// itemAccessor returns how to read a property of an item candidate: a FieldURI of
// itemQueryFields, a contact's e-mail address (IndexedFieldURI) or an extended property.
// Other valid paths give ErrorUnsupportedPathForQuery; invalid ones a schema error.
func itemAccessor(p ews.PropertyPath) (propAccessor[*itemCand], error) {
	switch p.XMLName.Local {
	case "t:FieldURI":
		if !validFieldURI(p.FieldURI) {
			return propAccessor[*itemCand]{}, enumViolation("FieldURI", p.FieldURI, "UnindexedFieldURIType")
		}
		if a, ok := itemQueryFields[p.FieldURI]; ok {
			return a, nil
		}
	case "t:IndexedFieldURI":
		if !validDictionaryURI(p.FieldURI) {
			return propAccessor[*itemCand]{}, enumViolation("FieldURI", p.FieldURI, "DictionaryURIType")
		}
		if p.FieldURI == "contacts:EmailAddress" {
			key := p.FieldIndex
			return propAccessor[*itemCand]{propString, func(c *itemCand) (propValue, bool) {
				if it := c.item(); it.EmailAddresses != nil {
					for _, e := range it.EmailAddresses.Entries {
						if e.Key == key && e.Value != "" {
							return propValue{s: e.Value}, true
						}
					}
				}
				return propValue{}, false
			}}, nil
		}
	case "t:ExtendedFieldURI":
		want := p
		return propAccessor[*itemCand]{propString, func(c *itemCand) (propValue, bool) {
			for _, e := range c.item().ExtendedProperties {
				if sameExtendedProperty(e.ExtendedFieldURI, want) {
					if e.Values != nil {
						return propValue{s: strings.Join(e.Values.Values, ";")}, true
					}
					return propValue{s: e.Value}, true
				}
			}
			return propValue{}, false
		}}, nil
	default:
		return propAccessor[*itemCand]{}, &ews.SchemaError{Violation: "The element '" + p.XMLName.Local + "' is not a valid property path."}
	}
	return propAccessor[*itemCand]{}, &ews.ResponseError{Code: findCodeUnsupportedPath, Message: findMsgUnsupportedPath}
}

func itemString(f func(*ews.Item) string) propAccessor[*itemCand] {
	return propAccessor[*itemCand]{propString, func(c *itemCand) (propValue, bool) {
		s := f(c.item())
		return propValue{s: s}, s != ""
	}}
}

func itemTime(f func(*ews.Item) ews.DateTime) propAccessor[*itemCand] {
	return propAccessor[*itemCand]{propTime, func(c *itemCand) (propValue, bool) {
		t := f(c.item())
		return propValue{t: t.Time}, !t.IsZero()
	}}
}

func itemBool(f func(*ews.Item) *bool) propAccessor[*itemCand] {
	return propAccessor[*itemCand]{propBool, func(c *itemCand) (propValue, bool) {
		b := f(c.item())
		if b == nil {
			return propValue{}, false
		}
		return propValue{b: *b}, true
	}}
}

func itemInt(f func(*ews.Item) *int) propAccessor[*itemCand] {
	return propAccessor[*itemCand]{propInt, func(c *itemCand) (propValue, bool) {
		n := f(c.item())
		if n == nil {
			return propValue{}, false
		}
		return propValue{n: int64(*n)}, true
	}}
}

func mailboxName(r *ews.SingleRecipient) string {
	if r == nil {
		return ""
	}
	if r.Mailbox.EmailAddress != "" {
		return r.Mailbox.EmailAddress
	}
	return r.Mailbox.Name
}

// itemQueryFields are the item properties restrictions and sort orders can use. Dates,
// read flags and calendar times come from the record where it has them, so that common
// queries over large folders do not materialize every item.
var itemQueryFields = map[string]propAccessor[*itemCand]{
	"item:Subject":   itemString(func(it *ews.Item) string { return it.Subject }),
	"item:ItemClass": itemString(func(it *ews.Item) string { return it.ItemClass }),
	"item:DateTimeReceived": {propTime, func(c *itemCand) (propValue, bool) {
		if c.r.full == nil && (c.r.kind == genMessage || c.r.kind == genSent || c.r.kind == genContact) {
			return propValue{t: time.Unix(c.r.date, 0).UTC()}, true
		}
		t := c.item().DateTimeReceived
		return propValue{t: t.Time}, !t.IsZero()
	}},
	"item:DateTimeSent":     itemTime(func(it *ews.Item) ews.DateTime { return it.DateTimeSent }),
	"item:DateTimeCreated":  itemTime(func(it *ews.Item) ews.DateTime { return it.DateTimeCreated }),
	"item:LastModifiedTime": itemTime(func(it *ews.Item) ews.DateTime { return it.LastModifiedTime }),
	"item:ReminderDueBy":    itemTime(func(it *ews.Item) ews.DateTime { return it.ReminderDueBy }),
	"item:Importance":       itemString(func(it *ews.Item) string { return it.Importance }),
	"item:Sensitivity":      itemString(func(it *ews.Item) string { return it.Sensitivity }),
	"item:InReplyTo":        itemString(func(it *ews.Item) string { return it.InReplyTo }),
	"item:DisplayTo":        itemString(func(it *ews.Item) string { return it.DisplayTo }),
	"item:DisplayCc":        itemString(func(it *ews.Item) string { return it.DisplayCc }),
	"item:Culture":          itemString(func(it *ews.Item) string { return it.Culture }),
	"item:LastModifiedName": itemString(func(it *ews.Item) string { return it.LastModifiedName }),
	"item:Size":             itemInt(func(it *ews.Item) *int { return it.Size }),
	"item:HasAttachments":   itemBool(func(it *ews.Item) *bool { return it.HasAttachments }),
	"item:IsDraft":          itemBool(func(it *ews.Item) *bool { return it.IsDraft }),
	"item:IsFromMe":         itemBool(func(it *ews.Item) *bool { return it.IsFromMe }),
	"item:IsSubmitted":      itemBool(func(it *ews.Item) *bool { return it.IsSubmitted }),
	"item:IsUnmodified":     itemBool(func(it *ews.Item) *bool { return it.IsUnmodified }),
	"item:IsResend":         itemBool(func(it *ews.Item) *bool { return it.IsResend }),
	"item:IsAssociated":     itemBool(func(it *ews.Item) *bool { return it.IsAssociated }),
	"item:ReminderIsSet":    itemBool(func(it *ews.Item) *bool { return it.ReminderIsSet }),
	"item:Categories": {propStrings, func(c *itemCand) (propValue, bool) {
		if cs := c.item().Categories; cs != nil && len(cs.Strings) > 0 {
			return propValue{ss: cs.Strings}, true
		}
		return propValue{}, false
	}},
	"message:IsRead": {propBool, func(c *itemCand) (propValue, bool) {
		if !hasReadFlag(recKind(c.r)) {
			return propValue{}, false
		}
		return propValue{b: c.r.read}, true
	}},
	"message:From":                   itemString(func(it *ews.Item) string { return mailboxName(it.From) }),
	"message:Sender":                 itemString(func(it *ews.Item) string { return mailboxName(it.Sender) }),
	"message:ConversationTopic":      itemString(func(it *ews.Item) string { return it.ConversationTopic }),
	"message:InternetMessageId":      itemString(func(it *ews.Item) string { return it.InternetMessageId }),
	"message:IsReadReceiptRequested": itemBool(func(it *ews.Item) *bool { return it.IsReadReceiptRequested }),
	"message:IsResponseRequested":    itemBool(func(it *ews.Item) *bool { return it.IsResponseRequested }),
	"calendar:Start": {propTime, func(c *itemCand) (propValue, bool) {
		_, start, _, event := c.r.times()
		return propValue{t: start}, event
	}},
	"calendar:End": {propTime, func(c *itemCand) (propValue, bool) {
		_, _, end, event := c.r.times()
		return propValue{t: end}, event
	}},
	"calendar:Location":             itemString(func(it *ews.Item) string { return it.Location }),
	"calendar:LegacyFreeBusyStatus": itemString(func(it *ews.Item) string { return it.LegacyFreeBusyStatus }),
	"calendar:CalendarItemType":     itemString(func(it *ews.Item) string { return it.CalendarItemType }),
	"calendar:MyResponseType":       itemString(func(it *ews.Item) string { return it.MyResponseType }),
	"calendar:UID":                  itemString(func(it *ews.Item) string { return it.UID }),
	"calendar:Organizer":            itemString(func(it *ews.Item) string { return mailboxName(it.Organizer) }),
	"calendar:IsAllDayEvent":        itemBool(func(it *ews.Item) *bool { return it.IsAllDayEvent }),
	"calendar:IsMeeting":            itemBool(func(it *ews.Item) *bool { return it.IsMeeting }),
	"calendar:IsCancelled":          itemBool(func(it *ews.Item) *bool { return it.IsCancelled }),
	"calendar:IsRecurring":          itemBool(func(it *ews.Item) *bool { return it.IsRecurring }),
	"contacts:DisplayName":          itemString(func(it *ews.Item) string { return it.DisplayName }),
	"contacts:GivenName":            itemString(func(it *ews.Item) string { return it.GivenName }),
	"contacts:Surname":              itemString(func(it *ews.Item) string { return it.Surname }),
	"contacts:CompanyName":          itemString(func(it *ews.Item) string { return it.CompanyName }),
	"contacts:FileAs":               itemString(func(it *ews.Item) string { return it.FileAs }),
	"contacts:JobTitle":             itemString(func(it *ews.Item) string { return it.JobTitle }),
	"contacts:Department":           itemString(func(it *ews.Item) string { return it.Department }),
}
