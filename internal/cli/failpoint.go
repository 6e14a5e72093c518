package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Failpoints let a crash-safety test (test/crash) stop `mailbridge worker` dead at a
// named point of a sync and kill it there: the worker reports the hit on a FIFO or
// file, then blocks forever. They are set by environment variables only, never by a
// flag, so that no configuration file or service unit arms one by accident.
const (
	envFailpoints    = "MAILBRIDGE_FAILPOINTS"
	envFailpointFIFO = "MAILBRIDGE_FAILPOINT_FIFO"
)

// failpointNames are the points a worker can stop at, in the order a page meets them
// (see syncer.Options.Failpoint and syncer.EWSSource.Failpoint).
var failpointNames = []string{"mid-fetch", "before-commit", "inside-tx", "after-commit"}

// failpointUsage ends the worker's usage text.
const failpointUsage = `
Crash-safety tests (environment variables only):
  MAILBRIDGE_FAILPOINTS=NAME[:N][,NAME[:N]...]
        stop at the Nth hit (default: the first) of each named point of a sync:
        mid-fetch      between two GetItem batches of a page
        before-commit  a page is fetched, its transaction not begun
        inside-tx      inside the page's transaction, before COMMIT
        after-commit   the page is committed, the job's step not completed
  MAILBRIDGE_FAILPOINT_FIFO=PATH
        where the worker writes "HIT NAME" when it stops: a FIFO, an inherited
        pipe (/dev/fd/3) or a file (fsynced); then it blocks until killed
`

// failpointFromEnv returns the failpoint hook MAILBRIDGE_FAILPOINTS asks for, or nil
// when it is not set.
func failpointFromEnv(getenv func(string) string, stderr io.Writer) (func(string), error) {
	spec := strings.TrimSpace(getenv(envFailpoints))
	if spec == "" {
		return nil, nil
	}
	path := getenv(envFailpointFIFO)
	if path == "" {
		return nil, fmt.Errorf("%s is set but %s is not: a stopped worker must say where it stopped", envFailpoints, envFailpointFIFO)
	}
	armed, err := parseFailpoints(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envFailpoints, err)
	}
	fp := &failpoints{armed: armed, hits: map[string]int{}, path: path, stderr: stderr}
	return fp.hit, nil
}

// parseFailpoints parses "NAME[:N][,NAME[:N]...]" into the hit at which each named
// point stops the worker (1: the first).
func parseFailpoints(spec string) (map[string]int, error) {
	armed := map[string]int{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, count, hasCount := strings.Cut(item, ":")
		n := 1
		if hasCount {
			var err error
			if n, err = strconv.Atoi(count); err != nil || n < 1 {
				return nil, fmt.Errorf("%q: the hit to stop at must be a positive number", item)
			}
		}
		if !slices.Contains(failpointNames, name) {
			return nil, fmt.Errorf("unknown failpoint %q (known: %s)", name, strings.Join(failpointNames, ", "))
		}
		if _, dup := armed[name]; dup {
			return nil, fmt.Errorf("failpoint %q named twice", name)
		}
		armed[name] = n
	}
	if len(armed) == 0 {
		return nil, errors.New("no failpoint named")
	}
	return armed, nil
}

// failpoints counts the hits of the armed points (sync jobs run concurrently).
type failpoints struct {
	mu     sync.Mutex
	armed  map[string]int // name -> the hit that stops the worker
	hits   map[string]int
	path   string
	stderr io.Writer
}

// hit is the hook: at an armed point's chosen hit it reports "HIT NAME" and never
// returns, so that the process can be killed exactly there.
func (f *failpoints) hit(name string) {
	f.mu.Lock()
	n, ok := f.armed[name]
	if ok {
		f.hits[name]++
		ok = f.hits[name] == n
	}
	f.mu.Unlock()
	if !ok {
		return
	}
	fmt.Fprintf(f.stderr, "mailbridge worker: failpoint %s (hit %d): stopped, waiting to be killed\n", name, n)
	if err := reportHit(f.path, name); err != nil {
		fmt.Fprintf(f.stderr, "mailbridge worker: failpoint %s: report to %s: %v\n", name, f.path, err)
	}
	select {}
}

// reportHit appends "HIT NAME" to path, and syncs it when path is a regular file.
func reportHit(path, name string) error {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer file.Close()
	if _, err := fmt.Fprintf(file, "HIT %s\n", name); err != nil {
		return err
	}
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		return file.Sync()
	}
	return nil
}
