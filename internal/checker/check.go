package checker

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Check checks the service account, then every user, and reports each result to emit
// as soon as it is known. emit is called from Check's own goroutine, one result at a
// time, in this order:
//
//  1. The service account (User empty), in check order: endpoint, tls, authentication,
//     ews, server_version, service_mailbox. If the endpoint cannot be reached, TLS fails,
//     the credentials are refused (never retried: that would lock the account out) or the
//     URL is not EWS, Check stops there.
//  2. One result per user, in the order the checks finish (entries that are not
//     addresses first). Users are checked concurrently, at most Options.Concurrency at
//     once. A user Exchange refused to let the account impersonate gets a provisional
//     impersonation_denied result.
//  3. Once every user is known, a refined result (Refined true) for each refused user,
//     in input order: no_role_likely when no user could be impersonated, out_of_scope
//     when some could. It replaces the user's provisional result.
//  4. One account-level impersonation result (User empty) stating the conclusion and how
//     sure it is (when a server_version could not be given in step 1, it comes just
//     before).
//
// Nothing is sent with credentials not yet known to work but the one request that tests
// them, so a wrong password costs one failed logon. With NTLM that request is the
// handshake itself (ewsclient.Client.Handshake), and the users' checks start as soon as
// it succeeds, while the service account's GetRoomLists runs; their results are still
// reported after the service account's, and dropped if those stop the check. With Basic
// the GetRoomLists request tests the credentials, and the users' checks start after it.
//
// Duplicate users (compared case-insensitively, see UniqueUsers) are checked once. Check
// returns when all its goroutines have ended. When ctx ends it returns promptly with
// ctx.Err() and the summary of what was reported so far; errors from building the
// client are returned before anything is reported. emit may be nil.
func (c *Checker) Check(ctx context.Context, users []string, emit func(Result)) (Summary, error) {
	r, err := c.newRun()
	if err != nil {
		return Summary{}, err
	}
	defer r.client.CloseIdleConnections()
	rec := newRecorder(r, emit)

	var list, invalid []string
	for _, u := range UniqueUsers(users) {
		if ValidAddress(u) {
			list = append(list, u)
		} else {
			invalid = append(invalid, u)
		}
	}

	var pending *userChecks
	defer func() {
		if pending != nil {
			pending.stop()
		}
	}()
	svc, verified, settled := r.handshake(ctx)
	if err := ctx.Err(); err != nil {
		return rec.summary(), err
	}
	if !settled {
		if verified {
			pending = r.startUsers(ctx, list)
		}
		if svc, err = r.serviceChecks(ctx); err != nil {
			return rec.summary(), err
		}
	}
	for _, res := range svc.results {
		rec.add(res)
	}
	if !svc.proceed {
		return rec.summary(), nil
	}
	for _, u := range invalid {
		rec.add(invalidOutcome(u).final())
	}
	if pending == nil {
		pending = r.startUsers(ctx, list)
	}

	outcomes, authFailed := pending.collect(rec)
	if err := ctx.Err(); err != nil {
		return rec.summary(), err
	}
	if authFailed {
		rec.add(Result{Check: CheckAuthentication, Status: StatusFailure, Code: CodeAuthFailed,
			Message: "Exchange stopped accepting the service account's credentials during the check (HTTP 401); the check stopped so as not to lock the account out.",
			Fix:     "Check whether the password was changed or the account locked out meanwhile, then run the check again."})
		return rec.summary(), nil
	}
	if !svc.versionDone {
		rec.add(r.lateVersion())
	}
	refined, account := r.infer(outcomes)
	for _, res := range refined {
		rec.add(res)
	}
	if account != nil {
		rec.add(*account)
	}
	return rec.summary(), nil
}

// userChecks are the users' checks under way: Options.Concurrency workers take the
// users in input order and leave each outcome in a buffer (one place per user, so that
// no worker waits for the outcomes to be read) until collect reports them.
type userChecks struct {
	users   []string
	cancel  context.CancelFunc
	results chan userDone // closed once the feeder and the workers have ended
}

type userDone struct {
	i int
	o userOutcome
}

// startUsers starts checking users; collect or stop must follow.
func (r *run) startUsers(ctx context.Context, users []string) *userChecks {
	ctx, cancel := context.WithCancel(ctx)
	u := &userChecks{users: users, cancel: cancel, results: make(chan userDone, len(users))}
	jobs := make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() { // feeder
		defer close(jobs)
		for i := range users {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	})
	for range min(r.c.opts.Concurrency, len(users)) {
		wg.Go(func() { // worker
			for i := range jobs {
				o, err := r.checkUser(ctx, users[i])
				if err != nil {
					continue // cancelled: drain the feeder's last job, if any
				}
				u.results <- userDone{i, o}
			}
		})
	}
	go func() { // closer: ends once the feeder and the workers have
		wg.Wait()
		close(u.results)
	}()
	return u
}

// collect reports each user's final result to rec as it arrives, and returns the
// outcomes in input order (those not finished are left out). authFailed says the
// credentials stopped working, which cancels the checks left.
func (u *userChecks) collect(rec *recorder) (outcomes []userOutcome, authFailed bool) {
	got := make([]*userOutcome, len(u.users))
	for d := range u.results {
		if authFailed {
			continue
		}
		got[d.i] = &d.o
		rec.add(d.o.final())
		if d.o.authFailed {
			authFailed = true
			u.cancel()
		}
	}
	for _, o := range got {
		if o != nil {
			outcomes = append(outcomes, *o)
		}
	}
	return outcomes, authFailed
}

// stop cancels the checks left and waits for their goroutines, dropping their outcomes.
func (u *userChecks) stop() {
	u.cancel()
	for range u.results {
	}
}

// lateVersion reports the server's version once a user's check has shown it, or that it
// never did.
func (r *run) lateVersion() Result {
	if v := r.client.ServerVersion(); v != nil {
		return versionResult(v)
	}
	return Result{Check: CheckServerVersion, Status: StatusWarning, Code: CodeVersionUnknown,
		Message: "The server did not report its version (no ServerVersionInfo in its answers).",
		Fix:     "Nothing to do if the other checks pass; a proxy in front of Exchange may be rewriting its answers."}
}

// CheckMailbox is the single-mailbox, step-by-step mode, like Microsoft's "Service
// Account Access (Developers)" test: the service account's steps (endpoint, tls,
// authentication, ews, server_version, service_mailbox), then the user's (address,
// mailbox, impersonation, folders, sync), each reported as it finishes, stopping at the
// first failure. Exchange checks that the mailbox exists before it checks the right to
// impersonate, so mailbox comes before impersonation. With one user there is nothing to
// compare: a refusal is reported as impersonation_denied, with the fixes for both causes.
func (c *Checker) CheckMailbox(ctx context.Context, user string, emit func(Result)) (Summary, error) {
	r, err := c.newRun()
	if err != nil {
		return Summary{}, err
	}
	defer r.client.CloseIdleConnections()
	rec := newRecorder(r, emit)
	svc, err := r.serviceChecks(ctx)
	if err != nil {
		return rec.summary(), err
	}
	for _, res := range svc.results {
		rec.add(res)
		if res.Status == StatusFailure {
			return rec.summary(), nil
		}
	}
	if !svc.proceed {
		return rec.summary(), nil
	}
	user = strings.TrimSpace(user)
	if !ValidAddress(user) {
		rec.add(invalidOutcome(user).final())
		return rec.summary(), nil
	}
	rec.add(Result{User: user, Check: CheckAddress, Status: StatusOK, Code: CodeOK, Message: user + " is an SMTP address."})
	o, err := r.checkUser(ctx, user)
	if err != nil {
		return rec.summary(), err
	}
	for _, res := range o.steps {
		rec.add(res)
	}
	if !svc.versionDone {
		rec.add(r.lateVersion())
	}
	return rec.summary(), nil
}

// tally keeps what a summary needs: the worst account-level status and each user's
// last result, in the order users first appeared. Both checkers use it.
type tally struct {
	emit    func(Result)
	account Status
	order   []string
	final   map[string]Result
}

func newTally(emit func(Result)) tally {
	return tally{emit: emit, account: StatusOK, final: map[string]Result{}}
}

// add counts a result and emits it.
func (t *tally) add(res Result) {
	if res.User == "" {
		t.account = worse(t.account, res.Status)
	} else {
		key := strings.ToLower(res.User)
		if _, ok := t.final[key]; !ok {
			t.order = append(t.order, key)
		}
		t.final[key] = res
	}
	if t.emit != nil {
		t.emit(res)
	}
}

// summary totals the results; requests and the duration are the caller's.
func (t *tally) summary(requests int64, d time.Duration) Summary {
	s := Summary{CodesVersion: CodesVersion, Users: len(t.order), ServiceAccount: t.account, Codes: map[Code]int{}, Requests: requests,
		Duration: d, DurationMS: d.Milliseconds()}
	for _, k := range t.order {
		res := t.final[k]
		switch res.Status {
		case StatusOK:
			s.OK++
		case StatusWarning:
			s.Warning++
		default:
			s.Failure++
		}
		s.Codes[res.Code]++
	}
	return s
}

// recorder reports the EWS checker's results (cleaned of secrets) and keeps what the
// summary needs. It is used from one goroutine.
type recorder struct {
	tally
	r     *run
	start time.Time
}

func newRecorder(r *run, emit func(Result)) *recorder {
	return &recorder{tally: newTally(emit), r: r, start: r.c.opts.Now()}
}

func (rec *recorder) add(res Result) { rec.tally.add(rec.r.clean(res)) }

func (rec *recorder) summary() Summary {
	s := rec.tally.summary(rec.r.requests(), rec.r.c.opts.Now().Sub(rec.start))
	if v := rec.r.client.ServerVersion(); v != nil {
		s.ServerVersion = versionResult(v).Evidence.ServerVersion
	}
	return s
}
