package api

import (
	"strings"
	"testing"
)

// New refuses a document that does not match the routes.
func TestCheckOpenAPI(t *testing.T) {
	t.Parallel()
	h := &Handler{}
	routes := h.Routes()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkOpenAPI(doc, routes); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		doc    string
		routes []string
		want   string
	}{
		{"route not documented", string(doc), append(routes, "GET /api/v1/extra"), "route GET /api/v1/extra is not documented"},
		{"documented, not a route", string(doc), routes[1:], "documents GET /api/v1/openapi.json, which is not a route"},
		{"not JSON", "{", routes, "openapi.json"},
		{"not 3.0", `{"openapi":"2.0","info":{"title":"x","version":"1"}}`, nil, "openapi 3.0.x"},
		{"no operationId", `{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{}}}}}}`, []string{"GET /a"}, "no operationId"},
		{"no 2xx", `{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"operationId":"a","responses":{"404":{}}}}}}`, []string{"GET /a"}, "no 2xx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkOpenAPI([]byte(c.doc), c.routes)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
