package hostoverride

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		specs []string
		host  string
		port  string
		want  []string
	}{
		{"curl form", []string{"contoso.com:443:127.0.0.1"}, "contoso.com", "443", []string{"127.0.0.1:443"}},
		{"another port", []string{"contoso.com:443:127.0.0.1:8443"}, "contoso.com", "443", []string{"127.0.0.1:8443"}},
		{"ipv6", []string{"contoso.com:443:[::1]"}, "contoso.com", "443", []string{"[::1]:443"}},
		{"ipv6 and port", []string{"contoso.com:443:[::1]:8443"}, "contoso.com", "443", []string{"[::1]:8443"}},
		{"several addresses", []string{"contoso.com:443:10.0.0.5,[::1]:8443,127.0.0.1:9"}, "contoso.com", "443",
			[]string{"10.0.0.5:443", "[::1]:8443", "127.0.0.1:9"}},
		{"host name target", []string{"contoso.com:443:LocalHost:8443"}, "contoso.com", "443", []string{"localhost:8443"}},
		{"case and trailing dot", []string{"Contoso.COM.:443:127.0.0.1"}, "contoso.com", "443", []string{"127.0.0.1:443"}},
		{"lookup is case-insensitive", []string{"contoso.com:443:127.0.0.1"}, "CONTOSO.com.", "443", []string{"127.0.0.1:443"}},
		{"leading zeros in port", []string{"contoso.com:0443:127.0.0.1:08443"}, "contoso.com", "443", []string{"127.0.0.1:8443"}},
		{"bracketed ipv6 host", []string{"[fe80::1]:80:127.0.0.1:8080"}, "fe80::1", "80", []string{"127.0.0.1:8080"}},
		{"several specs", []string{"a.example:443:127.0.0.1:1", "b.example:80:127.0.0.1:2"}, "b.example", "80", []string{"127.0.0.1:2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := Parse(tc.specs)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, ok := o.Lookup(tc.host, tc.port)
			if !ok {
				t.Fatalf("Lookup(%q, %q): no override", tc.host, tc.port)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("Lookup = %q, want %q", got, tc.want)
			}
			if o.Len() != len(tc.specs) {
				t.Errorf("Len = %d, want %d", o.Len(), len(tc.specs))
			}
		})
	}
}

func TestParseNoMatch(t *testing.T) {
	t.Parallel()
	o, err := Parse([]string{"contoso.com:443:127.0.0.1:8443"})
	if err != nil {
		t.Fatal(err)
	}
	for _, hp := range [][2]string{{"contoso.com", "80"}, {"autodiscover.contoso.com", "443"}, {"contoso.co", "443"}} {
		if got, ok := o.Lookup(hp[0], hp[1]); ok {
			t.Errorf("Lookup(%s, %s) = %q, want no override", hp[0], hp[1], got)
		}
	}
	var nilO *Overrides
	if _, ok := nilO.Lookup("contoso.com", "443"); ok || nilO.Len() != 0 || nilO.String() != "" {
		t.Error("a nil *Overrides overrides something")
	}
	empty, err := Parse(nil)
	if err != nil || empty.Len() != 0 {
		t.Errorf("Parse(nil) = %v, %v; want an empty set", empty, err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec, wantErr string
	}{
		{"empty", "", "empty"},
		{"no port", "contoso.com", "no port"},
		{"no address", "contoso.com:443", "no address"},
		{"empty address", "contoso.com:443:", "no address"},
		{"empty address in list", "contoso.com:443:127.0.0.1,", "empty address"},
		{"no host", ":443:127.0.0.1", "no host"},
		{"bad port", "contoso.com:https:127.0.0.1", `port "https"`},
		{"port zero", "contoso.com:0:127.0.0.1", `port "0"`},
		{"port too large", "contoso.com:65536:127.0.0.1", `port "65536"`},
		{"bad target port", "contoso.com:443:127.0.0.1:x", `port "x"`},
		{"unbracketed ipv6", "contoso.com:443:::1", "brackets"},
		{"unbracketed ipv6 with port", "contoso.com:443:fe80::1:8443", "brackets"},
		{"unclosed bracket", "contoso.com:443:[::1", "unclosed"},
		{"ipv4 in brackets", "contoso.com:443:[127.0.0.1]", "not an IPv6"},
		{"junk after bracket", "contoso.com:443:[::1]8443", "want [IPV6]"},
		{"bad host", "con toso.com:443:127.0.0.1", "not a host name"},
		{"bad target", "contoso.com:443:127.0.0.1/8", "not an IP address or a host name"},
		{"curl add prefix", "+contoso.com:443:127.0.0.1", "not supported"},
		{"curl remove prefix", "-contoso.com:443", "not supported"},
		{"wildcard", "*:443:127.0.0.1", "wildcard"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]string{tc.spec})
			if err == nil {
				t.Fatalf("Parse(%q): no error", tc.spec)
			}
			if !strings.HasPrefix(err.Error(), "hostoverride: ") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) = %q, want an error mentioning %q", tc.spec, err, tc.wantErr)
			}
		})
	}
	if _, err := Parse([]string{"contoso.com:443:127.0.0.1", "CONTOSO.com:443:127.0.0.2"}); err == nil ||
		!strings.Contains(err.Error(), "already overridden") {
		t.Errorf("duplicate spec: err = %v, want 'already overridden'", err)
	}
}

// recordingDialer records the addresses it is asked to dial and fails for those in
// fail.
type recordingDialer struct {
	dialed []string
	fail   map[string]bool
}

func (d *recordingDialer) dial(_ context.Context, _, addr string) (net.Conn, error) {
	d.dialed = append(d.dialed, addr)
	if d.fail[addr] {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	c1, c2 := net.Pipe()
	c2.Close()
	return c1, nil
}

func TestDialContextRewrites(t *testing.T) {
	t.Parallel()
	o, err := Parse([]string{"contoso.com:443:127.0.0.1:8443", "mail.contoso.com:443:10.9.9.9,127.0.0.1:9443"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		addr    string
		fail    []string
		want    []string
		wantErr bool
	}{
		{"overridden", "contoso.com:443", nil, []string{"127.0.0.1:8443"}, false},
		{"overridden, any case", "CONTOSO.COM:443", nil, []string{"127.0.0.1:8443"}, false},
		{"other port passes through", "contoso.com:80", nil, []string{"contoso.com:80"}, false},
		{"other host passes through", "autodiscover.contoso.com:443", nil, []string{"autodiscover.contoso.com:443"}, false},
		{"first address answers", "mail.contoso.com:443", nil, []string{"10.9.9.9:443"}, false},
		{"falls back to the next address", "mail.contoso.com:443", []string{"10.9.9.9:443"},
			[]string{"10.9.9.9:443", "127.0.0.1:9443"}, false},
		{"all addresses fail", "mail.contoso.com:443", []string{"10.9.9.9:443", "127.0.0.1:9443"},
			[]string{"10.9.9.9:443", "127.0.0.1:9443"}, true},
		{"not host:port passes through", "contoso.com", nil, []string{"contoso.com"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &recordingDialer{fail: map[string]bool{}}
			for _, f := range tc.fail {
				d.fail[f] = true
			}
			conn, err := o.DialContext(d.dial)(context.Background(), "tcp", tc.addr)
			if (err != nil) != tc.wantErr {
				t.Fatalf("dial err = %v, wantErr %v", err, tc.wantErr)
			}
			if conn != nil {
				conn.Close()
			}
			if strings.Join(d.dialed, " ") != strings.Join(tc.want, " ") {
				t.Errorf("dialed %q, want %q", d.dialed, tc.want)
			}
			if err != nil {
				var op *net.OpError
				if !errors.As(err, &op) {
					t.Errorf("error %v does not wrap the dialer's *net.OpError", err)
				}
				if !strings.Contains(err.Error(), tc.addr) {
					t.Errorf("error %q does not name %s", err, tc.addr)
				}
			}
		})
	}
}

func TestDialContextCanceled(t *testing.T) {
	t.Parallel()
	o, err := Parse([]string{"contoso.com:443:10.0.0.1,10.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var dialed []string
	next := func(ctx context.Context, _, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		cancel()
		return nil, ctx.Err()
	}
	if _, err := o.DialContext(next)(ctx, "tcp", "contoso.com:443"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if len(dialed) != 1 {
		t.Errorf("dialed %q after cancellation, want only the first address", dialed)
	}
}

// TestTLSKeepsHostName reaches an HTTPS server valid for "example.com" through an
// override: the certificate is checked against the URL's host name, and the request
// carries it in Host.
func TestTLSKeepsHostName(t *testing.T) {
	t.Parallel()
	var gotHost string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost = r.Host
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	// httptest's certificate is valid for example.com (and 127.0.0.1), not for
	// other.test.
	o, err := Parse([]string{"example.com:443:" + srv.Listener.Addr().String(), "other.test:443:" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = o.DialContext(nil)
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	resp, err := client.Get("https://example.com/")
	if err != nil {
		t.Fatalf("GET https://example.com/ through the override: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" || gotHost != "example.com" {
		t.Errorf("body %q, Host %q; want hello, example.com", body, gotHost)
	}

	_, err = client.Get("https://other.test/")
	if err == nil || !strings.Contains(err.Error(), "other.test") {
		t.Errorf("GET https://other.test/ = %v, want a certificate error naming other.test", err)
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	specs := []string{"contoso.com:443:127.0.0.1:8443", "autodiscover.contoso.com:443:[::1]"}
	o, err := Parse(specs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.String(), strings.Join(specs, " "); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
