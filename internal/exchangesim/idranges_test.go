package exchangesim

import (
	"math/rand/v2"
	"testing"
)

func TestRangeSetAgainstAMap(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	for run := range 200 {
		var s rangeSet
		model := map[uint64]bool{}
		for range 300 {
			x := uint64(rnd.IntN(60))
			switch rnd.IntN(4) {
			case 0, 1:
				s.add(x)
				model[x] = true
			case 2:
				s.remove(x)
				delete(model, x)
			case 3:
				s.dropThrough(x / 2)
				for k := range model {
					if k <= x/2 {
						delete(model, k)
					}
				}
			}
			for i, sp := range s {
				if sp.lo > sp.hi || i > 0 && sp.lo <= s[i-1].hi+1 {
					t.Fatalf("run %d: not canonical: %v", run, s)
				}
			}
		}
		for x := range uint64(62) {
			if s.contains(x) != model[x] {
				t.Fatalf("run %d: contains(%d) = %v, model %v", run, x, s.contains(x), model[x])
			}
		}
		if s.count() != uint64(len(model)) {
			t.Fatalf("count %d, model %d", s.count(), len(model))
		}
		base := uint64(0)
		if len(s) > 0 {
			base = s[0].lo - uint64(rnd.IntN(int(s[0].lo)+1))
		}
		enc := s.appendTo(nil, base)
		dec, rest, err := readRangeSet(append(enc, 7), base)
		if err != nil || len(rest) != 1 || len(dec) != len(s) {
			t.Fatalf("decode: %v, %v, rest %v", dec, err, rest)
		}
		for i := range s {
			if dec[i] != s[i] {
				t.Fatalf("round trip: %v != %v", dec, s)
			}
		}
	}
}

func TestReadRangeSetRejectsGarbage(t *testing.T) {
	t.Parallel()
	for name, b := range map[string][]byte{
		"empty":           {},
		"count too large": {0x7f, 1, 1},
		"truncated":       {2, 0, 3},
		"bad varint":      {1, 0x80},
		"overflow":        {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0},
	} {
		if _, _, err := readRangeSet(b, 0); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	// A minimal span set with a huge length is refused rather than allocated.
	if _, _, err := readRangeSet([]byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 5); err == nil {
		t.Error("span beyond 2^63 decoded")
	}
}
