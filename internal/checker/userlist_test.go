package checker_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/mailbridge/mailbridge/internal/checker"
)

// utf16LE encodes s as Windows PowerShell's ">" writes files: UTF-16LE with a BOM.
func utf16LE(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func TestParseUserList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want []string // address@line
	}{
		{"one address a line",
			"# the sales team\nalice@contoso.com\n\n  carol@contoso.com  \n\t# indented comment\ndave@contoso.com",
			[]string{"alice@contoso.com:2", "carol@contoso.com:4", "dave@contoso.com:6"}},
		{"CRLF and a UTF-8 BOM", "\ufeffalice@contoso.com\r\nbob@contoso.com\r\n", []string{"alice@contoso.com:1", "bob@contoso.com:2"}},
		{"single column with an email header", "email\nalice@contoso.com\nbob@contoso.com\n", []string{"alice@contoso.com:2", "bob@contoso.com:3"}},
		{"header in another case", "PRIMARYSMTPADDRESS\nalice@contoso.com\n", []string{"alice@contoso.com:2"}},
		{"quoted header", "\"mail\"\nalice@contoso.com\n", []string{"alice@contoso.com:2"}},
		{"UserPrincipalName header", "UserPrincipalName\nalice@contoso.com\n", []string{"alice@contoso.com:2"}},
		{"WindowsEmailAddress header", "WindowsEmailAddress\nalice@contoso.com\n", []string{"alice@contoso.com:2"}},
		{"Export-Csv, one column",
			"#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\r\n\"PrimarySmtpAddress\"\r\n\"alice@contoso.com\"\r\n\"bob@contoso.com\"\r\n",
			[]string{"alice@contoso.com:3", "bob@contoso.com:4"}},
		{"Export-Csv, several columns, commas inside quotes",
			"#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\r\n" +
				"\"DisplayName\",\"Alias\",\"UserPrincipalName\",\"PrimarySmtpAddress\"\r\n" +
				"\"Wood, Alice\",\"alice\",\"alice@corp.contoso.com\",\"alice@contoso.com\"\r\n" +
				"\"Ng, Bob\",\"bob\",\"bob@corp.contoso.com\",\"bob@contoso.com\"\r\n",
			[]string{"alice@contoso.com:3", "bob@contoso.com:4"}},
		{"Export-Csv -NoTypeInformation, PowerShell 7",
			"\"Name\",\"WindowsEmailAddress\"\n\"Alice\",\"alice@contoso.com\"\n", []string{"alice@contoso.com:2"}},
		{"CSV with an email column among others",
			"name,email,department\n# a comment\nAlice,alice@contoso.com,Sales\nBob,bob@contoso.com,Engineering\nBroken,bob-at-contoso,Nowhere\n",
			[]string{"alice@contoso.com:3", "bob@contoso.com:4", "bob-at-contoso:5"}},
		{"semicolons and a spaced header", "Name;E-mail Address\nAlice;alice@contoso.com\n", []string{"alice@contoso.com:2"}},
		{"tabs", "Name\tMail\nAlice\talice@contoso.com\n", []string{"alice@contoso.com:2"}},
		{"no header: the column of addresses", "Alice,alice@contoso.com,Sales\nBob,bob@contoso.com,Engineering\n",
			[]string{"alice@contoso.com:1", "bob@contoso.com:2"}},
		{"a header of other names", "Name,Login,Department\nAlice,alice@contoso.com,Sales\n", []string{"alice@contoso.com:2"}},
		{"empty cells and short rows skipped", "name,email\nAlice,alice@contoso.com\nNobody,\nShort\n,\n", []string{"alice@contoso.com:2"}},
		{"proxy address prefix", "EmailAddress\nSMTP:alice@contoso.com\nsmtp:bob@contoso.com\n", []string{"alice@contoso.com:2", "bob@contoso.com:3"}},
		{"Format-Table saved with > (UTF-16LE)",
			utf16LE("\r\nPrimarySmtpAddress\r\n------------------\r\nalice@contoso.com\r\nbob@contoso.com   \r\n\r\n\r\n"),
			[]string{"alice@contoso.com:4", "bob@contoso.com:5"}},
		{"entries that are not addresses are kept", "alice@contoso.com\nnot an address\n", []string{"alice@contoso.com:1", "not an address:2"}},
		{"nothing but comments", "#TYPE x\n# y\n\n", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			entries, err := checker.ParseUserList(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, fmt.Sprintf("%s:%d", e.Address, e.Line))
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseUserListErrors(t *testing.T) {
	t.Parallel()
	_, err := checker.ParseUserList(strings.NewReader("Name,Department\nAlice,Sales\n"))
	if !errors.Is(err, checker.ErrNoAddressColumn) {
		t.Errorf("no address column: err %v, want ErrNoAddressColumn", err)
	}
	_, err = checker.ParseUserList(errReader{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("read error: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestUniqueUsers(t *testing.T) {
	t.Parallel()
	got := checker.UniqueUsers([]string{"alice@contoso.com", " ALICE@contoso.com ", "bob@contoso.com", "not an address", "not an address"})
	if want := []string{"alice@contoso.com", "bob@contoso.com", "not an address"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %q, want %q", got, want)
	}
}
