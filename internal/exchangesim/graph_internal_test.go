package exchangesim

import (
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/ews"
)

func TestGraphThrottleMailboxConcurrency(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	th := newGraphThrottle(clock.Now, GraphThrottlePolicy{MailboxConcurrency: 4})
	var releases []func()
	for i := range 4 {
		rel, ok := th.enter("app", "alice@contoso.com")
		if !ok {
			t.Fatalf("slot %d refused", i)
		}
		releases = append(releases, rel)
	}
	if _, ok := th.enter("app", "alice@contoso.com"); ok {
		t.Fatal("a 5th concurrent request on one mailbox was admitted")
	}
	// Other mailboxes and other apps have their own slots.
	if _, ok := th.enter("app", "carol@contoso.com"); !ok {
		t.Error("another mailbox refused")
	}
	if _, ok := th.enter("other-app", "alice@contoso.com"); !ok {
		t.Error("another app refused")
	}
	releases[0]()
	releases[0]() // releasing twice frees one slot only
	if _, ok := th.enter("app", "alice@contoso.com"); !ok {
		t.Error("a released slot was not reusable")
	}
	if _, ok := th.enter("app", "alice@contoso.com"); ok {
		t.Error("a double release freed two slots")
	}
	if _, st := th.snapshot(); st.ConcurrencyDenied != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestGraphThrottleBudgetWindow(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	th := newGraphThrottle(clock.Now, GraphThrottlePolicy{Requests: 2, WindowSeconds: 60})
	for range 2 {
		if _, ok := th.request("app"); !ok {
			t.Fatal("request within the budget refused")
		}
	}
	clock.Advance(15 * time.Second)
	wait, ok := th.request("app")
	if ok || wait != 45*time.Second {
		t.Fatalf("over budget: ok=%v wait=%v", ok, wait)
	}
	if _, ok := th.request("other"); !ok {
		t.Error("another app shares the budget")
	}
	clock.Advance(45 * time.Second)
	if _, ok := th.request("app"); !ok {
		t.Error("a new window did not start")
	}
}

func TestDeltaTokenRoundTrip(t *testing.T) {
	t.Parallel()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := deltaToken{Kind: "event", Folder: "calendar", Dist: true, Select: "subject", Start: 1, End: 2, State: "abc"}
	enc := s.encodeDeltaToken(in)
	out, ok := s.decodeDeltaToken(enc)
	if !ok || out != in {
		t.Fatalf("round trip: %+v %v", out, ok)
	}
	other, _ := New(Options{Seed: 7})
	if _, ok := other.decodeDeltaToken(enc); ok {
		t.Error("a token of another world was accepted")
	}
	if _, ok := s.decodeDeltaToken(enc[:len(enc)-2]); ok {
		t.Error("a truncated token was accepted")
	}
}

// bodyPreview is the body's text: tags out, white space collapsed, at most 255
// characters, as the straightforward definition below computes it.
func TestBodyPreview(t *testing.T) {
	t.Parallel()
	naive := func(body, typ string) string {
		if strings.EqualFold(typ, "HTML") {
			var b strings.Builder
			in := false
			for _, c := range body {
				switch {
				case c == '<':
					in = true
				case c == '>':
					in = false
				case !in:
					b.WriteRune(c)
				}
			}
			body = b.String()
		}
		text := strings.Join(strings.Fields(body), " ")
		if r := []rune(text); len(r) > 255 {
			text = string(r[:255])
		}
		return text
	}
	long := strings.Repeat("Größe  naïve\t\n café ", 40)
	for _, tc := range []struct{ body, typ string }{
		{"", "Text"}, {"   ", "Text"}, {"  hello\n\n world  ", "Text"}, {long, "Text"}, {long, "HTML"},
		{"<html><body><p>Hello</p>\n<p>  world</p></body></html>", "HTML"}, {"a<b>b</b>c", "HTML"},
		{strings.Repeat("x", 300), "Text"}, {strings.Repeat("é ", 200), "Text"}, {"<p>" + strings.Repeat("ab ", 200) + "</p>", "html"},
	} {
		it := &ews.Item{Body: &ews.Body{BodyType: tc.typ, Value: tc.body}}
		if got, want := bodyPreview(it), naive(tc.body, tc.typ); got != want {
			t.Errorf("%q (%s): got %q, want %q", tc.body[:min(len(tc.body), 40)], tc.typ, got, want)
		}
	}
}
