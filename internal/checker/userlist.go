package checker

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// UserEntry is one user of a list read by ParseUserList.
type UserEntry struct {
	// Address is the entry as written, trimmed and without an "SMTP:" prefix. It is not
	// validated: Check reports an entry that is not an address as invalid_address, and
	// ValidAddress tells beforehand.
	Address string
	// Line is the entry's line in the input, from 1, for messages about it.
	Line int
}

// ErrNoAddressColumn is returned by ParseUserList for a CSV file in which no column is
// named after an address and none holds addresses.
var ErrNoAddressColumn = errors.New("no column of email addresses (name it in a header such as \"email\" or \"PrimarySmtpAddress\")")

// addressHeaders are the CSV headers that name an address column, normalized by
// normalizeHeader, best first: Exchange's own property names (what Get-Mailbox |
// Export-Csv writes), then the usual spreadsheet names, then the sign-in name, which is
// often but not always the address.
var addressHeaders = []string{
	"primarysmtpaddress", "windowsemailaddress",
	"emailaddress", "email", "mail", "mailaddress", "smtpaddress", "smtp", "emailadresse",
	"userprincipalname", "upn",
	"address", "user", "users",
}

// ParseUserList reads a list of users, as admins export them:
//
//   - one address a line;
//   - CSV (comma, semicolon or tab separated, quotes handled as RFC 4180 says) with a
//     header: the column whose header names an address is used — PrimarySmtpAddress,
//     WindowsEmailAddress, email, E-mail Address, mail, UserPrincipalName and the like,
//     in any case, quoted or not; without such a header, the first column whose values
//     are addresses (in a file of several columns, a first line without an "@" is then
//     taken for a header of other names, and skipped);
//   - PowerShell's Export-Csv output (its "#TYPE …" line, a quoted header, quoted
//     values), and Format-Table output saved with ">" (a header over a line of dashes,
//     in UTF-16).
//
// Blank lines, lines starting with # and rows with an empty address cell are skipped.
// Entries come in input order, neither validated nor deduplicated (Check does both).
// The input is read whole: callers taking uploads bound its size. The error is
// ErrNoAddressColumn (wrapped) for a CSV file without an address column, or a CSV
// syntax error with its line.
func ParseUserList(r io.Reader) ([]UserEntry, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("checker: user list: %w", err)
	}
	text := decodeText(data)
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = detectDelimiter(text)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	type record struct {
		fields []string
		line   int
	}
	var recs []record
	width := 0
	for {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("checker: user list: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if skipRecord(fields) {
			continue
		}
		recs = append(recs, record{fields, line})
		width = max(width, len(fields))
	}
	if len(recs) == 0 {
		return nil, nil
	}

	col := headerColumn(recs[0].fields)
	if col >= 0 {
		recs = recs[1:]
	} else {
		rows := make([][]string, len(recs))
		for i, rec := range recs {
			rows[i] = rec.fields
		}
		col = addressColumn(width, rows)
		switch {
		case col < 0 && width > 1:
			return nil, fmt.Errorf("checker: user list: %w", ErrNoAddressColumn)
		case col < 0:
			col = 0 // one entry a line, none an address: Check reports each
		case width > 1 && !strings.Contains(strings.Join(recs[0].fields, ""), "@"):
			recs = recs[1:] // a header of other names (Name,Login,Department)
		}
	}
	var out []UserEntry
	for _, rec := range recs {
		if col >= len(rec.fields) {
			continue
		}
		if a := stripSMTP(rec.fields[col]); a != "" {
			out = append(out, UserEntry{Address: a, Line: rec.line})
		}
	}
	return out, nil
}

// decodeText returns data as UTF-8 text without a byte order mark. UTF-16 (what Windows
// PowerShell's ">" and Out-File write) is recognized by its byte order mark.
func decodeText(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return string(data[3:])
	case len(data) >= 2 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF):
		big := data[0] == 0xFE
		units := make([]uint16, 0, len(data)/2)
		for i := 2; i+1 < len(data); i += 2 {
			if big {
				units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
			} else {
				units = append(units, uint16(data[i+1])<<8|uint16(data[i]))
			}
		}
		return string(utf16.Decode(units))
	}
	return string(data)
}

// detectDelimiter picks the separator of the first line that is neither blank nor a
// comment: the most frequent of comma, semicolon (Excel in many European locales) and
// tab outside quotes; comma when there is none (one column).
func detectDelimiter(text string) rune {
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		counts := map[rune]int{}
		quoted := false
		for _, c := range line {
			switch {
			case c == '"':
				quoted = !quoted
			case !quoted && (c == ',' || c == ';' || c == '\t'):
				counts[c]++
			}
		}
		best := ','
		for _, c := range []rune{';', '\t'} {
			if counts[c] > counts[best] {
				best = c
			}
		}
		return best
	}
	return ','
}

// skipRecord reports a record that holds no entry: empty cells only, a comment after
// leading blanks, or the line of dashes under a Format-Table header.
func skipRecord(fields []string) bool {
	if strings.HasPrefix(fields[0], "#") {
		return true
	}
	for _, f := range fields {
		if strings.Trim(f, "- ") != "" {
			return false
		}
	}
	return true
}

// normalizeHeader lowercases a header and drops its spaces, dashes, underscores and
// dots: "E-mail Address" and "email_address" are both "emailaddress".
func normalizeHeader(h string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(h)))
}

// headerColumn returns the column of fields whose name is the best address header, or
// -1 when fields is not such a header.
func headerColumn(fields []string) int {
	best, col := len(addressHeaders), -1
	for j, f := range fields {
		h := normalizeHeader(f)
		for rank, name := range addressHeaders {
			if h == name && rank < best {
				best, col = rank, j
			}
		}
	}
	return col
}

// addressColumn returns the first of width columns that holds an address in some row,
// or -1.
func addressColumn(width int, rows [][]string) int {
	for j := range width {
		for _, fields := range rows {
			if j < len(fields) && ValidAddress(stripSMTP(fields[j])) {
				return j
			}
		}
	}
	return -1
}

// stripSMTP removes the "SMTP:" prefix of a proxy address (as EmailAddresses lists them).
func stripSMTP(a string) string {
	if len(a) > 5 && strings.EqualFold(a[:5], "smtp:") {
		return strings.TrimSpace(a[5:])
	}
	return a
}

// UniqueUsers returns users trimmed of spaces and without repeats (compared
// case-insensitively, the first spelling kept), in order: the users Check counts.
func UniqueUsers(users []string) []string {
	seen := make(map[string]bool, len(users))
	out := make([]string, 0, len(users))
	for _, u := range users {
		u = strings.TrimSpace(u)
		key := strings.ToLower(u)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, u)
	}
	return out
}
