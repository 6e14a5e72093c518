package autodiscoverclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// pox POSTs an Outlook request for email to rawURL (an autodiscover.xml URL) and reads
// the answer. The attempt's outcome is set unless ans carries an EWS URL or a redirect,
// which ask judges.
func (r *run) pox(ctx context.Context, rawURL, email string) (a Attempt, ans answer) {
	a = Attempt{Method: MethodPOX, URL: redactURL(rawURL), Email: email}
	start := r.opts.Now()
	defer func() { a.Duration = r.opts.Now().Sub(start) }()

	var body bytes.Buffer
	if err := autodiscover.EncodePOXRequest(&body, &autodiscover.POXRequest{EMailAddress: email}); err != nil {
		a.Outcome, a.Err = OutcomeError, err.Error()
		return a, answer{}
	}
	x, err := r.send(ctx, r.authed, http.MethodPost, rawURL, "text/xml; charset=utf-8", nil, body.Bytes())
	if err != nil {
		r.fail(ctx, &a, err)
		return a, answer{}
	}
	if loc, ok := isRedirect(x, rawURL); ok {
		a.HTTPStatus = x.status
		return a, answer{redirectURL: loc}
	}
	if x.status != http.StatusOK {
		r.statusOutcome(&a, x)
		return a, answer{}
	}
	a.HTTPStatus = x.status
	if x.tooBig {
		a.Outcome, a.Err = OutcomeInvalidResponse, fmt.Sprintf("the answer is larger than %d bytes", r.opts.MaxResponseBytes)
		return a, answer{}
	}
	resp, err := autodiscover.DecodePOXResponse(bytes.NewReader(x.body))
	if err != nil {
		a.Outcome = OutcomeInvalidResponse
		a.Err = fmt.Sprintf("not a POX Autodiscover answer (%s)", contentType(x))
		if errors.Is(err, autodiscover.ErrMalformed) && contentType(x) != "text/html" {
			a.Err += ": " + err.Error()
		}
		return a, answer{}
	}
	if e := resp.Error; e != nil {
		a.Outcome = OutcomeAutodiscoverError
		if e.Code == autodiscover.POXUserNotFound {
			a.Outcome = OutcomeUserNotFound
		}
		a.Err = fmt.Sprintf("POX error %d: %s", e.Code, e.Message)
		return a, answer{}
	}
	acct := resp.Account
	switch acct.Action {
	case autodiscover.POXActionRedirectAddr:
		if acct.RedirectAddr == "" {
			a.Outcome, a.Err = OutcomeInvalidResponse, "redirectAddr without a RedirectAddr"
			return a, answer{}
		}
		return a, answer{redirectAddr: acct.RedirectAddr}
	case autodiscover.POXActionRedirectURL:
		if acct.RedirectURL == "" {
			a.Outcome, a.Err = OutcomeInvalidResponse, "redirectUrl without a RedirectUrl"
			return a, answer{}
		}
		return a, answer{redirectURL: acct.RedirectURL}
	}
	if u := poxEWSURL(acct); u != "" {
		return a, answer{ewsURL: u}
	}
	a.Outcome, a.Err = OutcomeAutodiscoverError, "the settings name no EWS URL (no EwsUrl in an EXPR or EXCH protocol)"
	return a, answer{}
}

// poxEWSURL picks the EWS URL of a settings answer: the external one (EXPR), then the
// internal one (EXCH), as a client outside the network should.
func poxEWSURL(acct *autodiscover.POXAccount) string {
	for _, typ := range []autodiscover.POXProtocolType{autodiscover.POXProtocolEXPR, autodiscover.POXProtocolEXCH} {
		for _, p := range acct.Protocols {
			if p.Type == typ && p.EWSURL != "" {
				return p.EWSURL
			}
		}
	}
	return ""
}
