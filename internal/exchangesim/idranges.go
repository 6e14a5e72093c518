package exchangesim

import (
	"encoding/binary"
	"errors"
	"sort"
)

// span is the closed interval [lo, hi].
type span struct{ lo, hi uint64 }

// rangeSet is a set of uint64 kept as sorted, disjoint, non-adjacent closed intervals, so
// that the mostly contiguous sets a sync state holds (change numbers seen, instance numbers
// given) stay a handful of numbers however many values they contain.
type rangeSet []span

// find returns the index of the first span whose hi is ≥ x (len(s) when none).
func (s rangeSet) find(x uint64) int {
	return sort.Search(len(s), func(i int) bool { return s[i].hi >= x })
}

// contains reports whether x is in the set.
func (s rangeSet) contains(x uint64) bool {
	i := s.find(x)
	return i < len(s) && s[i].lo <= x
}

// spanAt returns the span holding x, if any.
func (s rangeSet) spanAt(x uint64) (span, bool) {
	i := s.find(x)
	if i < len(s) && s[i].lo <= x {
		return s[i], true
	}
	return span{}, false
}

// add inserts x, merging with neighbouring spans.
func (s *rangeSet) add(x uint64) {
	r := *s
	i := r.find(x)
	if i < len(r) && r[i].lo <= x {
		return
	}
	joinPrev := i > 0 && r[i-1].hi+1 == x
	joinNext := i < len(r) && x+1 == r[i].lo
	switch {
	case joinPrev && joinNext:
		r[i-1].hi = r[i].hi
		r = append(r[:i], r[i+1:]...)
	case joinPrev:
		r[i-1].hi = x
	case joinNext:
		r[i].lo = x
	default:
		r = append(r, span{})
		copy(r[i+1:], r[i:])
		r[i] = span{x, x}
	}
	*s = r
}

// remove deletes x, splitting its span if needed.
func (s *rangeSet) remove(x uint64) {
	r := *s
	i := r.find(x)
	if i == len(r) || r[i].lo > x {
		return
	}
	sp := r[i]
	switch {
	case sp.lo == sp.hi:
		r = append(r[:i], r[i+1:]...)
	case x == sp.lo:
		r[i].lo++
	case x == sp.hi:
		r[i].hi--
	default:
		r = append(r, span{})
		copy(r[i+1:], r[i:])
		r[i] = span{sp.lo, x - 1}
		r[i+1] = span{x + 1, sp.hi}
	}
	*s = r
}

// dropThrough removes every value ≤ w.
func (s *rangeSet) dropThrough(w uint64) {
	r := *s
	i := r.find(w + 1)
	r = r[i:]
	if len(r) > 0 && r[0].lo <= w {
		r[0].lo = w + 1
	}
	*s = append(rangeSet(nil), r...)
}

// count returns the number of values in the set (saturating).
func (s rangeSet) count() uint64 {
	var n uint64
	for _, sp := range s {
		n += sp.hi - sp.lo + 1
	}
	return n
}

// appendTo encodes the set as uvarints: the span count, then for each span its gap from
// the previous one (from base for the first) and its length minus one, so that
// readRangeSet(appendTo(s)) == s.
func (s rangeSet) appendTo(b []byte, base uint64) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	next := base
	for _, sp := range s {
		b = binary.AppendUvarint(b, sp.lo-next)
		b = binary.AppendUvarint(b, sp.hi-sp.lo)
		next = sp.hi + 2
	}
	return b
}

var errBadRanges = errors.New("exchangesim: malformed range set")

// readRangeSet decodes what appendTo wrote and returns the rest of b.
func readRangeSet(b []byte, base uint64) (rangeSet, []byte, error) {
	n, b, err := readUvarint(b)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(len(b))/2 {
		return nil, nil, errBadRanges
	}
	s := make(rangeSet, 0, n)
	next := base
	for range n {
		var gap, length uint64
		if gap, b, err = readUvarint(b); err != nil {
			return nil, nil, err
		}
		if length, b, err = readUvarint(b); err != nil {
			return nil, nil, err
		}
		lo := next + gap
		hi := lo + length
		if lo < next || hi < lo || hi >= 1<<63 {
			return nil, nil, errBadRanges
		}
		s = append(s, span{lo, hi})
		next = hi + 2
	}
	return s, b, nil
}

func readUvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, errBadRanges
	}
	return v, b[n:], nil
}
