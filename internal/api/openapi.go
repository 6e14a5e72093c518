package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// openapiJSON is the API's OpenAPI 3.0 document, written by hand beside the routing
// table; New refuses to start when the two disagree.
//
//go:embed openapi.json
var openapiJSON []byte

// openapiDoc is the part of the document checked against the routes.
type openapiDoc struct {
	OpenAPI string                                `json:"openapi"`
	Info    struct{ Title, Version string }       `json:"info"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// loadOpenAPI returns the document, compacted, after checking that it is JSON.
func loadOpenAPI() ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, openapiJSON); err != nil {
		return nil, fmt.Errorf("api: openapi.json: %w", err)
	}
	return b.Bytes(), nil
}

// httpMethods are the keys of an OpenAPI path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// checkOpenAPI checks that the document describes exactly the routes ("METHOD
// PATTERN"), each operation with an operationId and a 2xx response.
func checkOpenAPI(doc []byte, routes []string) error {
	var d openapiDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("api: openapi.json: %w", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.0.") || d.Info.Title == "" || d.Info.Version == "" {
		return errors.New("api: openapi.json: openapi 3.0.x, info.title and info.version are required")
	}
	want := map[string]bool{}
	for _, rt := range routes {
		want[rt] = true
	}
	var errs []error
	ids := map[string]string{}
	for path, item := range d.Paths {
		for method, raw := range item {
			if !slices.Contains(httpMethods, method) {
				continue // parameters, summary…
			}
			key := strings.ToUpper(method) + " " + path
			if !want[key] {
				errs = append(errs, fmt.Errorf("documents %s, which is not a route", key))
				continue
			}
			delete(want, key)
			var op struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", key, err))
				continue
			}
			if op.OperationID == "" {
				errs = append(errs, fmt.Errorf("%s has no operationId", key))
			} else if other, dup := ids[op.OperationID]; dup {
				errs = append(errs, fmt.Errorf("%s and %s share the operationId %s", key, other, op.OperationID))
			}
			ids[op.OperationID] = key
			ok := false
			for code := range op.Responses {
				ok = ok || (len(code) == 3 && code[0] == '2')
			}
			if !ok {
				errs = append(errs, fmt.Errorf("%s has no 2xx response", key))
			}
		}
	}
	for key := range want {
		errs = append(errs, fmt.Errorf("route %s is not documented", key))
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return fmt.Errorf("api: openapi.json does not match the routes: %w", errors.Join(errs...))
	}
	return nil
}

func (h *Handler) getOpenAPI(w http.ResponseWriter, r *http.Request, c *call) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(h.openapi)
	return nil
}
