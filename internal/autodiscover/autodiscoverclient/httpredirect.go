package autodiscoverclient

import (
	"context"
	"fmt"
	"net/http"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// httpRedirect runs the HTTP redirect method for domain: an unauthenticated GET of
// http://autodiscover.<domain>/autodiscover/autodiscover.xml, of which only a 302 to an
// https URL counts. It returns that URL, or "". The answer is remembered per domain.
func (r *run) httpRedirect(ctx context.Context, domain string) string {
	if loc, ok := r.httpLoc[domain]; ok {
		return loc
	}
	rawURL := "http://autodiscover." + domain + autodiscover.POXPath
	a := Attempt{Method: MethodHTTPRedirect, URL: rawURL}
	start := r.opts.Now()
	loc := r.getRedirect(ctx, &a, rawURL)
	a.Duration = r.opts.Now().Sub(start)
	if a.Outcome == OutcomeCanceled {
		r.stop = ctx.Err()
	} else {
		r.httpLoc[domain] = loc
	}
	r.record(a)
	return loc
}

func (r *run) getRedirect(ctx context.Context, a *Attempt, rawURL string) string {
	// No credentials: the request travels in the clear.
	x, err := r.send(ctx, r.anon, http.MethodGet, rawURL, "", nil, nil)
	if err != nil {
		r.fail(ctx, a, err)
		return ""
	}
	a.HTTPStatus = x.status
	loc, ok := isRedirect(x, rawURL)
	switch {
	case !ok || x.status != http.StatusFound:
		a.Outcome = OutcomeNoRedirect
		a.Err = fmt.Sprintf("HTTP %d: only a 302 redirect counts", x.status)
		if ok {
			a.RedirectTo = redactURL(loc)
		}
		return ""
	}
	a.RedirectTo = redactURL(loc)
	if err := httpsOnly(loc); err != nil {
		a.Outcome, a.Err = OutcomeRefused, err.Error()
		return ""
	}
	if !r.countRedirect(a) {
		return ""
	}
	a.Outcome = OutcomeRedirect
	return loc
}
