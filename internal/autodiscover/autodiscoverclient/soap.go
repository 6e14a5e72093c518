package autodiscoverclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mailbridge/mailbridge/internal/autodiscover"
)

// soapSettings are the settings asked of SOAP Autodiscover.
var soapSettings = []string{"ExternalEwsUrl", "InternalEwsUrl", "AutoDiscoverSMTPAddress", "CasVersion", "EwsSupportedSchemas"}

// soapServerVersion is the RequestedServerVersion sent: the oldest SOAP Autodiscover
// version, which every Exchange from 2010 on answers.
const soapServerVersion = "Exchange2010"

// soap sends GetUserSettings for email to rawURL (an autodiscover.svc URL) and reads the
// answer, as pox does.
func (r *run) soap(ctx context.Context, rawURL, email string) (a Attempt, ans answer) {
	a = Attempt{Method: MethodSOAP, URL: redactURL(rawURL), Email: email}
	start := r.opts.Now()
	defer func() { a.Duration = r.opts.Now().Sub(start) }()

	var body bytes.Buffer
	err := autodiscover.EncodeGetUserSettingsRequest(&body,
		autodiscover.SOAPRequestHeader{RequestedServerVersion: soapServerVersion, To: rawURL},
		&autodiscover.GetUserSettingsRequest{Mailboxes: []string{email}, RequestedSettings: soapSettings})
	if err != nil {
		a.Outcome, a.Err = OutcomeError, err.Error()
		return a, answer{}
	}
	hdr := http.Header{"Soapaction": {`"` + autodiscover.ActionGetUserSettings + `"`}}
	x, err := r.send(ctx, r.authed, http.MethodPost, rawURL, "text/xml; charset=utf-8", hdr, body.Bytes())
	if err != nil {
		r.fail(ctx, &a, err)
		return a, answer{}
	}
	if loc, ok := isRedirect(x, rawURL); ok {
		a.HTTPStatus = x.status
		return a, answer{redirectURL: loc}
	}
	a.HTTPStatus = x.status
	if x.tooBig {
		a.Outcome, a.Err = OutcomeInvalidResponse, fmt.Sprintf("the answer is larger than %d bytes", r.opts.MaxResponseBytes)
		return a, answer{}
	}
	// WCF sends faults with HTTP 500: decode those too.
	if x.status != http.StatusOK && x.status != http.StatusInternalServerError {
		r.statusOutcome(&a, x)
		return a, answer{}
	}
	resp, err := autodiscover.DecodeGetUserSettingsResponse(bytes.NewReader(x.body))
	var fault *autodiscover.SOAPFault
	switch {
	case errors.As(err, &fault):
		a.Outcome, a.Err = OutcomeAutodiscoverError, fmt.Sprintf("SOAP fault %s: %s", fault.Code, fault.String)
		return a, answer{}
	case err != nil && x.status != http.StatusOK:
		r.statusOutcome(&a, x)
		return a, answer{}
	case err != nil:
		a.Outcome = OutcomeInvalidResponse
		a.Err = fmt.Sprintf("not a SOAP Autodiscover answer (%s)", contentType(x))
		return a, answer{}
	}
	if resp.ErrorCode != "" && resp.ErrorCode != autodiscover.NoError {
		a.Outcome, a.Err = OutcomeAutodiscoverError, fmt.Sprintf("%s: %s", resp.ErrorCode, resp.ErrorMessage)
		return a, answer{}
	}
	if len(resp.UserResponses) == 0 {
		a.Outcome, a.Err = OutcomeInvalidResponse, "no UserResponse in the answer"
		return a, answer{}
	}
	ur := &resp.UserResponses[0]
	switch ur.ErrorCode {
	case autodiscover.NoError, "":
	case autodiscover.RedirectAddress:
		if ur.RedirectTarget == "" {
			a.Outcome, a.Err = OutcomeInvalidResponse, "RedirectAddress without a RedirectTarget"
			return a, answer{}
		}
		return a, answer{redirectAddr: ur.RedirectTarget}
	case autodiscover.RedirectURL:
		if ur.RedirectTarget == "" {
			a.Outcome, a.Err = OutcomeInvalidResponse, "RedirectUrl without a RedirectTarget"
			return a, answer{}
		}
		return a, answer{redirectURL: ur.RedirectTarget}
	case autodiscover.InvalidUser:
		a.Outcome, a.Err = OutcomeUserNotFound, fmt.Sprintf("%s: %s", ur.ErrorCode, ur.ErrorMessage)
		return a, answer{}
	default:
		a.Outcome, a.Err = OutcomeAutodiscoverError, fmt.Sprintf("%s: %s", ur.ErrorCode, ur.ErrorMessage)
		return a, answer{}
	}
	for _, name := range []string{"ExternalEwsUrl", "InternalEwsUrl"} {
		if v, ok := ur.Setting(name); ok && v != "" {
			return a, answer{ewsURL: v}
		}
	}
	a.Outcome, a.Err = OutcomeAutodiscoverError, "the settings name no EWS URL (no ExternalEwsUrl or InternalEwsUrl)"
	return a, answer{}
}
