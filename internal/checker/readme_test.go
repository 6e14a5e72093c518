package checker_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/checker"
)

var update = flag.Bool("update", false, "rewrite the codes table in README.md")

// codesTable renders CodeInfos as the README's Markdown table.
func codesTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Codes version %d.\n\n", checker.CodesVersion)
	b.WriteString("| code | status | check | meaning |\n|---|---|---|---|\n")
	for _, ci := range checker.CodeInfos() {
		checks := "any"
		if len(ci.Checks) > 0 {
			checks = "`" + strings.Join(ci.Checks, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", ci.Code, ci.Status, checks, ci.Meaning)
	}
	return b.String()
}

// TestREADMECodes keeps README.md's table of codes identical to CodeInfos; run with
// -update to rewrite it.
func TestREADMECodes(t *testing.T) {
	const begin, end = "<!-- codes:begin -->\n", "<!-- codes:end -->"
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md has no codes markers")
	}
	want := codesTable()
	if got := s[i+len(begin) : j]; got != want {
		if !*update {
			t.Fatalf("README.md's codes table is out of date; run go test -run TestREADMECodes -update\n got:\n%s\nwant:\n%s", got, want)
		}
		if err := os.WriteFile("README.md", []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
