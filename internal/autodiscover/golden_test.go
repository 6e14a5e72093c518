package autodiscover

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the encoder output (run go test -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// xmlShape flattens a document into one line per element, in document order: its depth,
// namespace URI and local name, its attributes other than namespace declarations (by
// namespace URI, sorted) and its trimmed text. Two documents with equal shapes have the
// same elements, namespaces, order, attributes and values, whatever prefixes they use.
func xmlShape(t *testing.T, doc []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var (
		lines []string
		stack []int // index in lines of each open element
		text  []string
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("xmlShape: %v\n%s", err, doc)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			var attrs []string
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", a.Name.Space, a.Name.Local, a.Value))
			}
			sort.Strings(attrs)
			lines = append(lines, fmt.Sprintf("%d {%s}%s %v", len(stack), tk.Name.Space, tk.Name.Local, attrs))
			stack = append(stack, len(lines)-1)
			text = append(text, "")
		case xml.CharData:
			if n := len(text); n > 0 {
				text[n-1] += string(tk)
			}
		case xml.EndElement:
			n := len(stack)
			if s := strings.TrimSpace(text[n-1]); s != "" {
				lines[stack[n-1]] += fmt.Sprintf(" text=%q", s)
			}
			stack, text = stack[:n-1], text[:n-1]
		}
	}
	return lines
}

func diffShapes(t *testing.T, got, want []string) {
	t.Helper()
	n := max(len(got), len(want))
	for i := range n {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("element %d:\n got  %s\n want %s", i, g, w)
			return
		}
	}
}
