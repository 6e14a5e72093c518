package control

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEmailLen is the longest address SMTP allows (RFC 5321: 254 in a path).
const maxEmailLen = 254

// NormalizeEmail checks that s is a plain email address (local@domain, no display name)
// and returns it trimmed and in lower case, or a message for the person who typed it.
func NormalizeEmail(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "Enter an email address."
	case len(s) > maxEmailLen:
		return "", "This address is too long."
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return "", "This address contains characters an address cannot have."
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", "“" + s + "” is not an email address (like alice@contoso.com)."
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.HasPrefix(domain, "[") {
		return "", "“" + s + "” is not an email address (like alice@contoso.com)."
	}
	return strings.ToLower(s), ""
}

// cleanName trims a name and checks its length; what names it in the message.
func cleanName(s, what string, max int) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "Enter " + what + "."
	case utf8.RuneCountInString(s) > max:
		return "", "This is too long (at most " + itoa(max) + " characters)."
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return "", "This contains characters it cannot have."
	}
	return s, ""
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// checkNewPassword says what is wrong with a new admin password, if anything.
func checkNewPassword(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case pw == "":
		return "Enter a password."
	case n < 12:
		return "Use at least 12 characters."
	case len(pw) > 1024:
		return "This password is too long."
	}
	return ""
}
