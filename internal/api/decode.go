package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 1 << 20

// mediaType returns the request's media type in lower case, without parameters; "" when
// the header is missing, "invalid" when it cannot be read.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return strings.ToLower(mt)
}

func unsupportedMedia(want string) error {
	return &requestError{http.StatusUnsupportedMediaType, apiError{Code: codeUnsupportedMedia, Message: "Send the body as " + want + "."}}
}

// readBody reads a request body of at most limit bytes; a larger one is an
// *http.MaxBytesError (413).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, mbe
	}
	if err != nil {
		return nil, badRequest("The request body could not be read.", nil)
	}
	return b, nil
}

// decodeJSON reads the request's JSON object into dst. Unknown fields, trailing data and
// values of the wrong type are refused with a message saying where. With optional, an
// empty body leaves dst as it is and decodeJSON reports false.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, optional bool) (bool, error) {
	mt := mediaType(r)
	if mt != "" && mt != "application/json" {
		return false, unsupportedMedia("application/json")
	}
	b, err := readBody(w, r, maxJSONBody)
	if err != nil {
		return false, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if optional {
			return false, nil
		}
		return false, badRequest("The request needs a JSON body (Content-Type: application/json).", nil)
	}
	if mt == "" {
		return false, unsupportedMedia("application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return false, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return false, badRequest("The body must hold one JSON object and nothing after it.", nil)
	}
	return true, nil
}

// jsonError turns a decoding error into a 400 that says what to fix, without echoing
// the body (it may hold a password).
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badRequest(fmt.Sprintf("The body is not valid JSON: syntax error at byte %d.", se.Offset), nil)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The body is not valid JSON: it ends too soon.", nil)
	case errors.As(err, &te):
		if te.Field == "" {
			return badRequest("The body must be a JSON object.", nil)
		}
		got, _, _ := strings.Cut(te.Value, " ") // "number 1.5": the kind only, never the value
		return badRequest(fmt.Sprintf("Field “%s” must be %s, not %s.", te.Field, typeWords(te.Type.Kind().String()), typeWords(got)), map[string]string{te.Field: "must be " + typeWords(te.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return badRequest(fmt.Sprintf("Unknown field “%s”.", name), map[string]string{name: "unknown field"})
	}
	return badRequest("The body is not valid JSON.", nil)
}

func typeWords(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint", "uint64", "float64", "number":
		return "a number"
	case "bool":
		return "true or false"
	case "struct", "map", "ptr", "object":
		return "an object"
	case "slice", "array":
		return "an array"
	}
	return "of another type"
}

// queryInt reads an optional non-negative integer query parameter, at most max.
func queryInt(r *http.Request, name string, def, max int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest(fmt.Sprintf("Query parameter “%s” must be a non-negative integer.", name), map[string]string{name: "must be a non-negative integer"})
	}
	if max > 0 && n > max {
		return 0, badRequest(fmt.Sprintf("Query parameter “%s” must be at most %d.", name, max), map[string]string{name: fmt.Sprintf("must be at most %d", max)})
	}
	return n, nil
}

// accepts tells whether the request's Accept header names the media type exactly.
func accepts(r *http.Request, want string) bool {
	for _, h := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && strings.EqualFold(mt, want) && params["q"] != "0" {
				return true
			}
		}
	}
	return false
}
