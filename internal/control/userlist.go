package control

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/mail"
	"strings"
)

// Limits of a user import.
const (
	// MaxImportBytes bounds a pasted or uploaded list.
	MaxImportBytes = 8 << 20
	// MaxImportUsers bounds the users one import adds.
	MaxImportUsers = 50000
	// maxLineErrors bounds the line errors reported.
	maxLineErrors = 20
)

// listEntry is one user read from a list, with the line it came from.
type listEntry struct {
	line  int
	email string
	name  string
}

// LineError is a line of an imported list that is not understood.
type LineError struct {
	Line    int
	Text    string // the line, shortened
	Message string
}

// ImportError reports the lines of a list that are not understood; nothing was imported.
type ImportError struct {
	Lines []LineError // the first ones
	Total int         // how many lines are wrong in all
}

func (e *ImportError) Error() string {
	if len(e.Lines) == 0 {
		return "the list cannot be read"
	}
	return fmt.Sprintf("%d line(s) of the list are not understood, e.g. line %d: %s", e.Total, e.Lines[0].Line, e.Lines[0].Message)
}

// addressHeaders are column names that hold a user's address, compared in lower case
// without spaces, dashes or underscores (PowerShell's Export-Csv, Entra ID and Exchange
// admin center exports, hand-made lists).
var addressHeaders = map[string]bool{
	"email": true, "emailaddress": true, "mail": true, "smtp": true, "smtpaddress": true,
	"primarysmtpaddress": true, "windowsemailaddress": true, "userprincipalname": true,
	"upn": true, "address": true, "user": true, "username": true,
}

// nameHeaders are column names that hold a display name.
var nameHeaders = map[string]bool{"displayname": true, "name": true, "fullname": true}

func headerKey(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// parseUserList reads users from text an admin pasted or uploaded: one address a line;
// or CSV (comma, semicolon or tab separated) with or without a header row, where a
// header picks the address and display-name columns; or addresses separated by commas
// or semicolons, also in "Name <address>" form as mail programs copy them. Blank lines,
// # comments and PowerShell's #TYPE line are skipped. Every line that cannot be read is
// reported (*ImportError); duplicates within the list are dropped.
func parseUserList(r io.Reader) ([]listEntry, int, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > MaxImportBytes {
		return nil, 0, &ImportError{Lines: []LineError{{Message: fmt.Sprintf("The list is larger than %d MB: split it.", MaxImportBytes>>20)}}, Total: 1}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	// Keep the lines that matter, with their numbers.
	type srcLine struct {
		n    int
		text string
	}
	var lines []srcLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxImportBytes)
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		lines = append(lines, srcLine{n, t})
	}
	if err := sc.Err(); err != nil {
		return nil, 0, &ImportError{Lines: []LineError{{Message: "A line is too long to be a list of users."}}, Total: 1}
	}
	if len(lines) == 0 {
		return nil, 0, &ImportError{Lines: []LineError{{Message: "The list is empty."}}, Total: 1}
	}
	delim := ','
	first := lines[0].text
	switch {
	case strings.Contains(first, "\t"):
		delim = '\t'
	case strings.Contains(first, ";") && !strings.Contains(first, ","):
		delim = ';'
	}
	split := func(text string) ([]string, error) {
		cr := csv.NewReader(strings.NewReader(text))
		cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes, cr.TrimLeadingSpace = delim, -1, true, true
		rec, err := cr.Read()
		if err != nil {
			return nil, err
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		return rec, nil
	}
	// A header row has no address in it and names an address column.
	addrCol, nameCol := -1, -1
	if rec, err := split(first); err == nil && !strings.Contains(first, "@") {
		for i, f := range rec {
			k := headerKey(f)
			if addrCol < 0 && addressHeaders[k] {
				addrCol = i
			}
			if nameCol < 0 && nameHeaders[k] {
				nameCol = i
			}
		}
		if addrCol < 0 {
			return nil, 0, &ImportError{Lines: []LineError{{Line: lines[0].n, Text: short(first),
				Message: "The first line looks like a header, but no column is named like an address (Email, PrimarySmtpAddress, UserPrincipalName…)."}}, Total: 1}
		}
		lines = lines[1:]
	}
	var (
		out   []listEntry
		errs  ImportError
		seen  = map[string]bool{}
		dupes int
	)
	bad := func(l srcLine, msg string) {
		errs.Total++
		if len(errs.Lines) < maxLineErrors {
			errs.Lines = append(errs.Lines, LineError{Line: l.n, Text: short(l.text), Message: msg})
		}
	}
	add := func(l srcLine, email, name string) {
		norm, msg := NormalizeEmail(email)
		if msg != "" {
			bad(l, msg)
			return
		}
		if seen[norm] {
			dupes++
			return
		}
		seen[norm] = true
		out = append(out, listEntry{line: l.n, email: norm, name: strings.TrimSpace(name)})
	}
	for _, l := range lines {
		rec, err := split(l.text)
		if err != nil {
			bad(l, "This line is not valid CSV.")
			continue
		}
		if addrCol >= 0 {
			if addrCol >= len(rec) || rec[addrCol] == "" {
				bad(l, "This line has no address in the address column.")
				continue
			}
			name := ""
			if nameCol >= 0 && nameCol < len(rec) {
				name = rec[nameCol]
			}
			add(l, rec[addrCol], name)
			continue
		}
		// No header: every field with an @ is an address ("Name <addr>" allowed); with
		// exactly one address, another field is its display name.
		var addrs, others []string
		for _, f := range rec {
			if f == "" {
				continue
			}
			if strings.Contains(f, "@") {
				addrs = append(addrs, f)
			} else {
				others = append(others, f)
			}
		}
		if len(addrs) == 0 {
			bad(l, "This line has no email address.")
			continue
		}
		for _, f := range addrs {
			name := ""
			if strings.Contains(f, "<") {
				a, err := mail.ParseAddress(f)
				if err != nil {
					bad(l, "“"+short(f)+"” is not an email address.")
					continue
				}
				f, name = a.Address, a.Name
			}
			if name == "" && len(addrs) == 1 && len(others) > 0 {
				name = others[0]
			}
			add(l, f, name)
		}
	}
	if errs.Total > 0 {
		return nil, 0, &errs
	}
	if len(out) > MaxImportUsers {
		return nil, 0, &ImportError{Lines: []LineError{{Message: fmt.Sprintf("The list has %d users; at most %d can be imported at once.", len(out), MaxImportUsers)}}, Total: 1}
	}
	return out, dupes, nil
}

// short shortens s for an error message.
func short(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "…"
	}
	return s
}
