package api_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The OpenAPI document is valid JSON with the required fields, describes exactly the
// registered routes, and every operation has an operationId, a 2xx response and its
// path parameters; every $ref resolves.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	served := e.do(t, "", "GET", "/api/v1/openapi.json", nil).want(t, 200)
	if !bytes.Equal(served.body, e.api.OpenAPI()) || !strings.HasPrefix(served.header.Get("Content-Type"), "application/json") {
		t.Fatal("the served document is not OpenAPI()")
	}
	var doc map[string]any
	if err := json.Unmarshal(served.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.0.3" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Fatalf("info %v", info)
	}
	comps, _ := doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	bearer, _ := schemes["bearerAuth"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Fatalf("bearerAuth %v", bearer)
	}
	if sec, _ := doc["security"].([]any); len(sec) != 1 {
		t.Fatalf("global security %v", doc["security"])
	}

	// Paths and methods: exactly the routes.
	paths, _ := doc["paths"].(map[string]any)
	var documented []string
	opIDs := map[string]bool{}
	wildcard := regexp.MustCompile(`\{([a-z]+)\}`)
	for p, item := range paths {
		item := item.(map[string]any)
		shared := params(t, doc, item["parameters"])
		for method, op := range item {
			if method == "parameters" {
				continue
			}
			route := strings.ToUpper(method) + " " + p
			documented = append(documented, route)
			op := op.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" || opIDs[id] {
				t.Errorf("%s: operationId %q missing or repeated", route, id)
			}
			opIDs[id] = true
			ok := false
			for code := range op["responses"].(map[string]any) {
				ok = ok || strings.HasPrefix(code, "2")
			}
			if !ok {
				t.Errorf("%s has no 2xx response", route)
			}
			declared := append(params(t, doc, op["parameters"]), shared...)
			for _, m := range wildcard.FindAllStringSubmatch(p, -1) {
				if !slices.Contains(declared, m[1]) {
					t.Errorf("%s does not declare the path parameter %s", route, m[1])
				}
			}
			if _, public := op["security"]; public != (route == "GET /api/v1/openapi.json") {
				t.Errorf("%s: security overridden: %v", route, op["security"])
			}
			if method == "post" || method == "put" {
				if rb, ok := op["requestBody"].(map[string]any); !ok || rb["content"] == nil {
					t.Errorf("%s has no request body", route)
				}
			}
		}
	}
	// ServeMux patterns and OpenAPI path templates share the {name} syntax: the routes
	// are compared as they are.
	routes := e.api.Routes()
	slices.Sort(routes)
	slices.Sort(documented)
	if !slices.Equal(routes, documented) {
		t.Fatalf("routes and document differ:\nroutes     %q\ndocumented %q", routes, documented)
	}

	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					if resolve(doc, x.(string)) == nil {
						t.Errorf("unresolved $ref %s", x)
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

// params returns the names of the path parameters in an OpenAPI parameter list.
func params(t *testing.T, doc map[string]any, list any) []string {
	t.Helper()
	var out []string
	l, _ := list.([]any)
	for _, p := range l {
		m := p.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m, _ = resolve(doc, ref).(map[string]any)
		}
		if m["in"] == "path" {
			if m["required"] != true {
				t.Errorf("path parameter %v not required", m["name"])
			}
			out = append(out, m["name"].(string))
		}
	}
	return out
}

// resolve follows a local JSON reference.
func resolve(doc map[string]any, ref string) any {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
