package netguard

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateEndpointURL(t *testing.T) {
	t.Parallel()
	private := Policy{AllowPrivate: true}
	tests := []struct {
		name        string
		raw         string
		policy      Policy // the zero Policy allows public endpoints only
		wantErr     string // substring of the reason; "" for success
		wantBlocked bool   // the error also matches ErrBlocked
		wantScheme  string // on success
		wantHost    string // on success, u.Hostname()
	}{
		{name: "EWS URL", raw: "https://outlook.office365.com/EWS/Exchange.asmx", wantScheme: "https", wantHost: "outlook.office365.com"},
		{name: "uppercase scheme", raw: "HTTPS://Mail.Contoso.com/EWS/Exchange.asmx", wantScheme: "https", wantHost: "Mail.Contoso.com"},
		{name: "port", raw: "https://mail.contoso.com:8443/EWS/Exchange.asmx", wantScheme: "https", wantHost: "mail.contoso.com"},
		{name: "highest port", raw: "https://mail.contoso.com:65535/", wantScheme: "https", wantHost: "mail.contoso.com"},
		{name: "trailing dot", raw: "https://mail.contoso.com./EWS", wantScheme: "https", wantHost: "mail.contoso.com."},
		{name: "query", raw: "https://mail.contoso.com/ews?x=1", wantScheme: "https", wantHost: "mail.contoso.com"},
		{name: "underscore", raw: "https://mail_1.contoso.com/", wantScheme: "https", wantHost: "mail_1.contoso.com"},
		{name: "public IPv4 literal", raw: "https://52.96.0.1/EWS/Exchange.asmx", wantScheme: "https", wantHost: "52.96.0.1"},
		{name: "public IPv6 literal", raw: "https://[2603:1026::1]:443/EWS/Exchange.asmx", wantScheme: "https", wantHost: "2603:1026::1"},
		{name: "simulator over http", raw: "http://localhost:8080/EWS/Exchange.asmx", policy: private, wantScheme: "http", wantHost: "localhost"},
		{name: "loopback literal allowed", raw: "https://127.0.0.1:8443/EWS/Exchange.asmx", policy: private, wantScheme: "https", wantHost: "127.0.0.1"},
		{name: "IPv6 loopback allowed", raw: "https://[::1]:8443/", policy: private, wantScheme: "https", wantHost: "::1"},
		{name: "single label allowed", raw: "http://exchangesim/EWS/Exchange.asmx", policy: private, wantScheme: "http", wantHost: "exchangesim"},
		{name: "internal domain allowed", raw: "https://mail.corp.internal/EWS", policy: private, wantScheme: "https", wantHost: "mail.corp.internal"},

		{name: "empty", raw: "", wantErr: "the URL is empty"},
		{name: "too long", raw: "https://mail.contoso.com/" + strings.Repeat("a", 2048), wantErr: "longer than 2048 characters"},
		{name: "space in host", raw: "https://mail contoso.com/", wantErr: "contains a space or a control character"},
		{name: "leading space", raw: " https://mail.contoso.com/", wantErr: "space"},
		{name: "space in path", raw: "https://mail.contoso.com/EWS/Exchange asmx", wantErr: "space"},
		{name: "trailing newline", raw: "https://mail.contoso.com/EWS/Exchange.asmx\n", wantErr: "control character"},
		{name: "no-break space", raw: "https://mail.contoso.com/\u00a0", wantErr: "space"},
		{name: "NUL", raw: "https://mail.contoso.com\x00.evil.com/", wantErr: "control character"},
		{name: "no scheme", raw: "mail.contoso.com/EWS/Exchange.asmx", wantErr: "no scheme; it should start with https://"},
		{name: "scheme-relative", raw: "//mail.contoso.com/EWS", wantErr: "no scheme"},
		{name: "plain http", raw: "http://mail.contoso.com/EWS/Exchange.asmx", wantErr: "plain http is refused; use https (http is allowed only when an operator allows private endpoints with --allow-private-endpoints"},
		{name: "ftp", raw: "ftp://mail.contoso.com/", wantErr: `the scheme "ftp" is not supported; use https`},
		{name: "javascript", raw: "javascript:alert(1)", wantErr: `the scheme "javascript" is not supported`},
		{name: "javascript uppercase", raw: "JavaScript:alert(document.cookie)", wantErr: `the scheme "javascript" is not supported`},
		{name: "javascript even if private allowed", raw: "javascript:alert(1)", policy: private, wantErr: `the scheme "javascript"`},
		{name: "file", raw: "file:///etc/passwd", wantErr: `the scheme "file"`},
		{name: "opaque", raw: "https:mail.contoso.com/EWS", wantErr: "should have the form https://host/path"},
		{name: "user and password", raw: "https://admin:hunter2@mail.contoso.com/EWS", wantErr: "contains a user name or password; remove them and enter the password in the password field"},
		{name: "user only", raw: "https://admin@mail.contoso.com/EWS", wantErr: "user name or password"},
		{name: "password only", raw: "https://:hunter2@mail.contoso.com/EWS", wantErr: "user name or password"},
		{name: "password with slash", raw: "https://admin:hunter2/x@mail.contoso.com/EWS", wantErr: "cannot be parsed; if it contains a user name or password, remove them"},
		{name: "credentials before private host", raw: "http://svc:hunter2@localhost/", policy: private, wantErr: "user name or password"},
		{name: "fragment", raw: "https://mail.contoso.com/EWS#top", wantErr: "contains a fragment"},
		{name: "empty fragment", raw: "https://mail.contoso.com/EWS#", wantErr: "fragment"},
		{name: "no host", raw: "https:///EWS/Exchange.asmx", wantErr: "no host name"},
		{name: "port without host", raw: "https://:443/EWS", wantErr: "no host name"},
		{name: "port zero", raw: "https://mail.contoso.com:0/", wantErr: "the port 0 is out of range (1-65535)"},
		{name: "port too high", raw: "https://mail.contoso.com:65536/", wantErr: "the port 65536 is out of range"},
		{name: "port huge", raw: "https://mail.contoso.com:99999999999999999999/", wantErr: "out of range"},
		{name: "empty port", raw: "https://mail.contoso.com:/EWS", wantErr: "the port after the colon is empty"},
		{name: "named port", raw: "https://mail.contoso.com:https/", wantErr: "cannot be parsed"},
		{name: "unclosed IPv6 bracket", raw: "https://[2603:1026::1/EWS", wantErr: "cannot be parsed"},
		{name: "IPv6 without brackets", raw: "https://2603:1026::1/EWS", wantErr: "cannot be parsed"},
		{name: "localhost", raw: "https://localhost/EWS", wantErr: `the host "localhost" is this machine; an operator can allow private endpoints`},
		{name: "LOCALHOST with dot", raw: "https://LOCALHOST./EWS", wantErr: "is this machine"},
		{name: "subdomain of localhost", raw: "https://ews.localhost/EWS", wantErr: "is this machine"},
		{name: "escaped localhost", raw: "https://%6c%6fcalhost/EWS", wantErr: "cannot be parsed"},
		{name: "GCP metadata name", raw: "https://metadata.google.internal/computeMetadata/v1/", wantErr: `special-use domain "internal"`},
		{name: "mDNS name", raw: "https://exchange.local/EWS", wantErr: `special-use domain "local"`},
		{name: "home.arpa", raw: "https://nas.home.arpa/", wantErr: `special-use domain "home.arpa"`},
		{name: "single label", raw: "https://exchange/EWS/Exchange.asmx", wantErr: `the host "exchange" is not a fully qualified domain name`},
		{name: "loopback literal", raw: "https://127.0.0.1/EWS", wantErr: "address 127.0.0.1 is a loopback address (127.0.0.0/8)", wantBlocked: true},
		{name: "private literal", raw: "https://10.0.0.5/EWS/Exchange.asmx", wantErr: "address 10.0.0.5 is in a private network range (10.0.0.0/8)", wantBlocked: true},
		{name: "IPv6 loopback literal", raw: "https://[::1]:8443/EWS", wantErr: "address ::1 is the loopback address", wantBlocked: true},
		{name: "IPv4-mapped literal", raw: "https://[::ffff:192.168.1.1]/EWS", wantErr: "IPv4-mapped form of 192.168.1.1", wantBlocked: true},
		{name: "link-local with zone", raw: "https://[fe80::1%25eth0]/EWS", wantErr: "link-local", wantBlocked: true},
		{name: "unspecified", raw: "https://0.0.0.0/EWS", wantErr: "unspecified", wantBlocked: true},
		{name: "metadata", raw: "http://169.254.169.254/latest/meta-data/", policy: private, wantErr: "cloud metadata endpoint; it is refused even when private endpoints are allowed", wantBlocked: true},
		{name: "decimal IPv4", raw: "https://2130706433/EWS", wantErr: "looks like an IP address in a non-standard form"},
		{name: "short IPv4", raw: "https://127.1/EWS", policy: private, wantErr: "non-standard form"},
		{name: "hex IPv4", raw: "https://0x7f.0x1/EWS", wantErr: "non-standard form"},
		{name: "non-ASCII host", raw: "https://bücher.example/EWS", wantErr: "non-ASCII characters; enter its punycode form"},
		{name: "hyphen at start", raw: "https://-mail.contoso.com/", wantErr: "starts or ends with a hyphen"},
		{name: "empty label", raw: "https://mail..contoso.com/", wantErr: "empty label"},
		{name: "long label", raw: "https://" + strings.Repeat("a", 64) + ".contoso.com/", wantErr: "longer than 63"},
		{name: "odd character", raw: "https://mail!.contoso.com/", wantErr: `the character '!'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := ValidateEndpointURL(tt.raw, tt.policy)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateEndpointURL(%q) = %v", tt.raw, err)
				}
				if u.Scheme != tt.wantScheme || u.Hostname() != tt.wantHost {
					t.Errorf("URL scheme %q, host %q; want %q, %q", u.Scheme, u.Hostname(), tt.wantScheme, tt.wantHost)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateEndpointURL(%q) = %v, nil; want an error containing %q", tt.raw, u, tt.wantErr)
			}
			if u != nil {
				t.Errorf("ValidateEndpointURL returned %v along with an error", u)
			}
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is %T; want *URLError", err, err)
			}
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("errors.Is(%v, ErrInvalidURL) = false", err)
			}
			if !strings.Contains(ue.Reason, tt.wantErr) {
				t.Errorf("Reason = %q; want it to contain %q", ue.Reason, tt.wantErr)
			}
			if got, want := err.Error(), "invalid endpoint URL: "+ue.Reason; got != want {
				t.Errorf("Error() = %q; want %q", got, want)
			}
			if errors.Is(err, ErrBlocked) != tt.wantBlocked {
				t.Errorf("errors.Is(%v, ErrBlocked) = %v; want %v", err, !tt.wantBlocked, tt.wantBlocked)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q contains the password from the URL", err)
			}
		})
	}
}
