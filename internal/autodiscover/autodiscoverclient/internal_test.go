package autodiscoverclient

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestSwapFile(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, file, want string }{
		{"https://contoso.com/autodiscover/autodiscover.xml", "autodiscover.svc", "https://contoso.com/autodiscover/autodiscover.svc"},
		{"https://contoso.com/Autodiscover/Autodiscover.XML", "autodiscover.svc", "https://contoso.com/Autodiscover/autodiscover.svc"},
		{"https://contoso.com/autodiscover/autodiscover.svc", "autodiscover.xml", "https://contoso.com/autodiscover/autodiscover.xml"},
		{"https://contoso.com:8443/autodiscover/autodiscover.xml?x=1", "autodiscover.svc", "https://contoso.com:8443/autodiscover/autodiscover.svc?x=1"},
		{"https://contoso.com/other/path", "autodiscover.svc", ""},
	}
	for _, tc := range tests {
		got, ok := swapFile(tc.in, tc.file)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("swapFile(%q, %q) = %q, %v; want %q", tc.in, tc.file, got, ok, tc.want)
		}
	}
}

func TestDomainOf(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"alice@contoso.com":      "contoso.com",
		"Alice@Contoso.COM":      "contoso.com",
		"alice@contoso.com.":     "contoso.com",
		"a.b+c@mail.contoso.com": "mail.contoso.com",
	}
	for in, want := range good {
		if got, err := domainOf(in); err != nil || got != want {
			t.Errorf("domainOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "alice", "@contoso.com", "alice@", "alice@contoso", "a@b@contoso.com", "alice@con toso.com",
		"alice@contoso.com/evil", "alice@contoso.com:443", "alice@-.."} {
		if _, err := domainOf(in); !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("domainOf(%q): err %v, want ErrInvalidEmail", in, err)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	if got := redactURL("https://user:secret@contoso.com/autodiscover/autodiscover.xml"); strings.Contains(got, "secret") ||
		!strings.Contains(got, "contoso.com/autodiscover") {
		t.Errorf("redactURL = %q", got)
	}
	msg := `Post "https://svc:Svc-Pass@contoso.com/x": refused, see https://a:b@c.example/`
	if got := redactText(msg); strings.Contains(got, "Svc-Pass") || strings.Contains(got, "a:b@") || !strings.Contains(got, "contoso.com/x") {
		t.Errorf("redactText = %q", got)
	}
	if got := redactText("plain text"); got != "plain text" {
		t.Errorf("redactText changed %q", got)
	}
}

func TestOfferedSchemes(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Add("WWW-Authenticate", "Negotiate")
	h.Add("WWW-Authenticate", `Basic realm="contoso.com", NTLM`)
	got := offeredSchemes(h)
	if strings.Join(got, ",") != "Negotiate,Basic,NTLM" {
		t.Errorf("offeredSchemes = %q", got)
	}
	for _, tc := range []struct {
		offered []string
		scheme  string
		want    bool
	}{
		{[]string{"Basic"}, "Basic", true},
		{[]string{"basic"}, "Basic", true},
		{[]string{"Basic"}, "NTLM", false},
		{[]string{"Negotiate"}, "NTLM", true},
		{nil, "Basic", false},
	} {
		if got := offers(tc.offered, tc.scheme); got != tc.want {
			t.Errorf("offers(%q, %s) = %v, want %v", tc.offered, tc.scheme, got, tc.want)
		}
	}
}

func TestHTTPSOnly(t *testing.T) {
	t.Parallel()
	for in, ok := range map[string]bool{
		"https://mail.contoso.com/autodiscover/autodiscover.xml": true,
		"HTTPS://mail.contoso.com/x":                             true,
		"http://mail.contoso.com/autodiscover/autodiscover.xml":  false,
		"ftp://mail.contoso.com/":                                false,
		"/autodiscover/autodiscover.xml":                         false,
		"https://":                                               false,
	} {
		if err := httpsOnly(in); (err == nil) != ok {
			t.Errorf("httpsOnly(%q) = %v, want ok %v", in, err, ok)
		}
	}
}
