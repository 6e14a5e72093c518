package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
)

var progressStart = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	res := func(user string, status checker.Status) checker.Result {
		return checker.Result{User: user, Status: status}
	}
	for _, tc := range []struct {
		name    string
		total   int
		results []checker.Result
		at      time.Duration
		want    string
	}{
		{"before any result", 4, nil, 1500 * time.Millisecond, "checking the service account…  1s"},
		{"service account done", 4, []checker.Result{res("", checker.StatusOK)}, 2 * time.Second,
			"checking users [--------------------] 0/4  ok 0  warning 0  failure 0  2s"},
		{"half", 4, []checker.Result{res("", checker.StatusOK), res("alice@contoso.com", checker.StatusOK), res("bob@contoso.com", checker.StatusWarning)},
			65 * time.Second, "checking users [##########----------] 2/4  ok 1  warning 1  failure 0  1m5s"},
		{"a refined result replaces the provisional one, whatever the case", 3, []checker.Result{
			res("bob@contoso.com", checker.StatusFailure), res("alice@contoso.com", checker.StatusOK),
			res("Bob@Contoso.com", checker.StatusFailure), res("bob@contoso.com", checker.StatusWarning)},
			3 * time.Second, "checking users [#############-------] 2/3  ok 1  warning 1  failure 0  3s"},
		{"all done", 2, []checker.Result{res("alice@contoso.com", checker.StatusOK), res("frank@contoso.com", checker.StatusFailure)},
			4 * time.Second, "checking users [####################] 2/2  ok 1  warning 0  failure 1  4s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newProgressState(tc.total, progressStart)
			for _, r := range tc.results {
				st.add(r)
			}
			if got := st.line(progressStart.Add(tc.at)); got != tc.want {
				t.Errorf("line\n %q, want\n %q", got, tc.want)
			}
		})
	}
}

// The drawing goroutine redraws at each tick what it was given before it, and clears
// the line when stopped. Sends on the unbuffered channels order everything: a result
// handed over before a tick is in that tick's line.
func TestProgressRedrawsOnTicks(t *testing.T) {
	t.Parallel()
	var w bytes.Buffer
	tick := make(chan time.Time)
	p := startProgress(&w, 3, progressStart, tick)
	p.add(checker.Result{Check: checker.CheckEndpoint, Status: checker.StatusOK})
	tick <- progressStart.Add(time.Second)
	p.add(checker.Result{User: "alice@contoso.com", Status: checker.StatusOK})
	p.add(checker.Result{User: "bob@contoso.com", Status: checker.StatusFailure})
	p.add(checker.Result{User: "BOB@contoso.com", Status: checker.StatusFailure, Refined: true})
	tick <- progressStart.Add(2 * time.Second)
	tick <- progressStart.Add(3 * time.Second) // no news: the same counts, the time moves on
	p.stop()

	want := "\r\033[Kchecking users [--------------------] 0/3  ok 0  warning 0  failure 0  1s" +
		"\r\033[Kchecking users [#############-------] 2/3  ok 1  warning 0  failure 1  2s" +
		"\r\033[Kchecking users [#############-------] 2/3  ok 1  warning 0  failure 1  3s" +
		"\r\033[K"
	if got := w.String(); got != want {
		t.Errorf("drawn\n %q\nwant\n %q", got, want)
	}
}

// Without a tick nothing is drawn, and so nothing is cleared either.
func TestProgressNothingDrawn(t *testing.T) {
	t.Parallel()
	var w bytes.Buffer
	p := startProgress(&w, 2, progressStart, make(chan time.Time))
	p.add(checker.Result{User: "alice@contoso.com", Status: checker.StatusOK})
	p.stop()
	if w.Len() != 0 {
		t.Errorf("drew %q", w.String())
	}
	// add after stop does not block.
	done := make(chan struct{})
	go func() {
		p.add(checker.Result{User: "bob@contoso.com"})
		close(done)
	}()
	<-done
	if strings.Contains(w.String(), "bob") {
		t.Error("drew after stop")
	}
}
