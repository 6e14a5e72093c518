package autodiscover

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Autodiscover v2 protocol names (the Protocol query parameter and response field).
const (
	JSONProtocolEWS            = "EWS"
	JSONProtocolAutodiscoverV1 = "AutodiscoverV1" // Url is the POX autodiscover.xml endpoint
	JSONProtocolActiveSync     = "ActiveSync"
)

// Paths of the Autodiscover endpoints. Exchange (IIS) matches them case-insensitively.
const (
	POXPath      = "/autodiscover/autodiscover.xml"
	SOAPPath     = "/autodiscover/autodiscover.svc"
	JSONPath     = "/autodiscover/autodiscover.json"
	jsonV1Prefix = JSONPath + "/v1.0/"
)

// JSONResponse is the answer of GET …/autodiscover/autodiscover.json: the URL of the
// requested protocol.
type JSONResponse struct {
	Protocol string `json:"Protocol"`
	URL      string `json:"Url"`
}

// JSONError is the error body of the v2 endpoint (HTTP 4xx/5xx), and the error
// DecodeJSONResponse returns for it.
type JSONError struct {
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

// Error formats the error code and message.
func (e *JSONError) Error() string {
	return fmt.Sprintf("autodiscover: json error %s: %s", e.ErrorCode, e.ErrorMessage)
}

// JSONRequest is a parsed v2 request.
type JSONRequest struct {
	Email    string
	Protocol string
	// RedirectCount is the RedirectCount query parameter of the older form, or "".
	RedirectCount string
}

// JSONRequestPath returns the path and query of the v1.0 form for email and protocol:
// /autodiscover/autodiscover.json/v1.0/<email>?Protocol=<protocol>.
func JSONRequestPath(email, protocol string) string {
	return jsonV1Prefix + url.PathEscape(email) + "?Protocol=" + url.QueryEscape(protocol)
}

// IsJSONPath reports whether p (a URL path) is one of the v2 endpoint's forms,
// ignoring case.
func IsJSONPath(p string) bool {
	lp := strings.ToLower(p)
	return lp == JSONPath || (strings.HasPrefix(lp, jsonV1Prefix) && len(lp) > len(jsonV1Prefix))
}

// ParseJSONRequest parses either v2 form: /autodiscover/autodiscover.json/v1.0/<email>
// with ?Protocol=, or /autodiscover/autodiscover.json?Email=&Protocol=. Path and
// parameter names match case-insensitively. Missing parameters leave fields empty;
// only a path of another shape is an error.
func ParseJSONRequest(u *url.URL) (*JSONRequest, error) {
	if !IsJSONPath(u.Path) {
		return nil, fmt.Errorf("autodiscover: %q is not an autodiscover.json path: %w", u.Path, ErrMalformed)
	}
	req := &JSONRequest{}
	for k, vs := range u.Query() {
		if len(vs) == 0 {
			continue
		}
		switch strings.ToLower(k) {
		case "protocol":
			req.Protocol = strings.TrimSpace(vs[0])
		case "email":
			req.Email = strings.TrimSpace(vs[0])
		case "redirectcount":
			req.RedirectCount = vs[0]
		}
	}
	if len(u.Path) > len(jsonV1Prefix) {
		req.Email = strings.TrimSpace(u.Path[len(jsonV1Prefix):])
	}
	return req, nil
}

// EncodeJSONResponse writes resp as the v2 endpoint does.
func EncodeJSONResponse(w io.Writer, resp *JSONResponse) error {
	if err := json.NewEncoder(w).Encode(resp); err != nil {
		return fmt.Errorf("autodiscover: encode json response: %w", err)
	}
	return nil
}

// EncodeJSONError writes an error body of the v2 endpoint.
func EncodeJSONError(w io.Writer, e *JSONError) error {
	if err := json.NewEncoder(w).Encode(e); err != nil {
		return fmt.Errorf("autodiscover: encode json error: %w", err)
	}
	return nil
}

// DecodeJSONResponse reads a v2 answer. An error body comes back as a *JSONError error;
// a body with neither a Url nor an ErrorCode is malformed. The reader must be bounded
// by the caller.
func DecodeJSONResponse(r io.Reader) (*JSONResponse, error) {
	rr := &readErrReader{r: r}
	var body struct {
		JSONResponse
		JSONError
	}
	if err := json.NewDecoder(rr).Decode(&body); err != nil {
		if rr.err != nil {
			return nil, fmt.Errorf("autodiscover: decode json response: %w", rr.err)
		}
		return nil, fmt.Errorf("autodiscover: decode json response: %w: %w", ErrMalformed, err)
	}
	if body.ErrorCode != "" {
		e := body.JSONError
		return nil, &e
	}
	if body.URL == "" {
		return nil, fmt.Errorf("autodiscover: decode json response: %w: %w", ErrMalformed, errors.New("no Url"))
	}
	resp := body.JSONResponse
	return &resp, nil
}
