package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/checker"
)

// progressInterval is how often the progress line is redrawn.
const progressInterval = 200 * time.Millisecond

// progress is the live progress line of `mailbridge check` on a terminal: the users done
// out of the distinct users given, by status, and the time elapsed. One goroutine owns
// the line and its state: it takes the results as they arrive and redraws the line at
// each tick; stop ends it, waits for it, and clears the line, so that the final tables
// start on a clean line.
type progress struct {
	results chan checker.Result
	quit    chan struct{}
	done    chan struct{}
	// stopTick releases the ticker, if progress made one.
	stopTick func()
}

// startTerminalProgress draws on w, redrawing every progressInterval, for total users.
func startTerminalProgress(w io.Writer, total int) *progress {
	t := time.NewTicker(progressInterval)
	p := startProgress(w, total, time.Now(), t.C)
	p.stopTick = t.Stop
	return p
}

// startProgress starts the goroutine that draws on w at each tick, the time elapsed
// counted from start.
func startProgress(w io.Writer, total int, start time.Time, tick <-chan time.Time) *progress {
	p := &progress{results: make(chan checker.Result), quit: make(chan struct{}), done: make(chan struct{}), stopTick: func() {}}
	go p.run(w, newProgressState(total, start), tick)
	return p
}

func (p *progress) run(w io.Writer, st *progressState, tick <-chan time.Time) {
	defer close(p.done)
	drawn := false
	for {
		select {
		case r := <-p.results:
			st.add(r)
		case now := <-tick:
			fmt.Fprint(w, "\r\033[K"+st.line(now))
			drawn = true
		case <-p.quit:
			if drawn {
				fmt.Fprint(w, "\r\033[K")
			}
			return
		}
	}
}

// add hands a result to the drawing goroutine; it returns once the goroutine has it.
func (p *progress) add(r checker.Result) {
	select {
	case p.results <- r:
	case <-p.done:
	}
}

// stop ends the drawing goroutine, waits for it and clears the line. It must be called
// once, after the last add.
func (p *progress) stop() {
	close(p.quit)
	<-p.done
	p.stopTick()
}

// progressState counts users by their latest status: a user's provisional result is
// replaced by its refined one, and spellings of an address differing in case are one
// user, as for the checker.
type progressState struct {
	total   int
	start   time.Time
	account bool // a service-account result has arrived
	latest  map[string]checker.Status
	counts  map[checker.Status]int
}

func newProgressState(total int, start time.Time) *progressState {
	return &progressState{total: total, start: start, latest: map[string]checker.Status{}, counts: map[checker.Status]int{}}
}

func (st *progressState) add(r checker.Result) {
	if r.User == "" {
		st.account = true
		return
	}
	key := strings.ToLower(r.User)
	if old, ok := st.latest[key]; ok {
		st.counts[old]--
	}
	st.latest[key] = r.Status
	st.counts[r.Status]++
}

// progressBarWidth is the number of cells of the bar.
const progressBarWidth = 20

// line renders the progress at now, without a line break.
func (st *progressState) line(now time.Time) string {
	elapsed := now.Sub(st.start).Truncate(time.Second)
	done := len(st.latest)
	if done == 0 && !st.account {
		return fmt.Sprintf("checking the service account…  %s", elapsed)
	}
	filled := progressBarWidth
	if st.total > 0 && done < st.total {
		filled = done * progressBarWidth / st.total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat("-", progressBarWidth-filled)
	return fmt.Sprintf("checking users [%s] %d/%d  ok %d  warning %d  failure %d  %s", bar, done, st.total,
		st.counts[checker.StatusOK], st.counts[checker.StatusWarning], st.counts[checker.StatusFailure], elapsed)
}
