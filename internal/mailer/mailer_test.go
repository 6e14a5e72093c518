package mailer_test

import (
	"context"
	"crypto/tls"
	"io"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/mailer"
	"github.com/mailbridge/mailbridge/internal/mailer/mailertest"
)

func TestSend(t *testing.T) {
	t.Parallel()
	msg := mailer.Message{To: []string{"ada@contoso.com", "bob@contoso.com"}, Subject: "[mailbridge] Contoso: Größe\r\nBcc: eve@evil.test",
		Body: "First line.\nA long line " + strings.Repeat("é", 100) + "\n"}
	tests := []struct {
		name    string
		opts    mailertest.Options
		cfg     func(s *mailertest.Server) mailer.Config
		wantErr string
		tls     bool
		auth    string
	}{
		{name: "plain", cfg: func(s *mailertest.Server) mailer.Config {
			return mailer.Config{Addr: s.Addr, From: "mailbridge@example.net"}
		}},
		{name: "STARTTLS when offered", opts: mailertest.Options{TLS: true}, tls: true,
			cfg: func(s *mailertest.Server) mailer.Config {
				return mailer.Config{Addr: s.Addr, From: "mailbridge@example.net", TLSConfig: &tls.Config{RootCAs: s.CertPool}}
			}},
		{name: "TLS required and offered", opts: mailertest.Options{TLS: true}, tls: true,
			cfg: func(s *mailertest.Server) mailer.Config {
				return mailer.Config{Addr: s.Addr, From: "mailbridge@example.net", RequireTLS: true, TLSConfig: &tls.Config{RootCAs: s.CertPool}}
			}},
		{name: "TLS required, not offered", wantErr: "does not offer STARTTLS",
			cfg: func(s *mailertest.Server) mailer.Config {
				return mailer.Config{Addr: s.Addr, From: "mailbridge@example.net", RequireTLS: true}
			}},
		{name: "authenticated over TLS", opts: mailertest.Options{TLS: true, Users: map[string]string{"relay": "s3cret"}}, tls: true, auth: "relay",
			cfg: func(s *mailertest.Server) mailer.Config {
				return mailer.Config{Addr: s.Addr, From: "mailbridge@example.net", Username: "relay", Password: "s3cret", TLSConfig: &tls.Config{RootCAs: s.CertPool}}
			}},
		{name: "wrong password", opts: mailertest.Options{TLS: true, Users: map[string]string{"relay": "s3cret"}}, wantErr: "authenticate as relay",
			cfg: func(s *mailertest.Server) mailer.Config {
				return mailer.Config{Addr: s.Addr, From: "mailbridge@example.net", Username: "relay", Password: "wrong", TLSConfig: &tls.Config{RootCAs: s.CertPool}}
			}},
		{name: "untrusted certificate", opts: mailertest.Options{TLS: true}, wantErr: "STARTTLS",
			cfg: func(s *mailertest.Server) mailer.Config {
				return mailer.Config{Addr: s.Addr, From: "mailbridge@example.net"}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := mailertest.Start(t, tc.opts)
			cfg := tc.cfg(srv)
			cfg.Timeout = 10 * time.Second
			err := mailer.Send(context.Background(), cfg, msg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if n := len(srv.Messages()); n != 0 {
					t.Fatalf("%d messages sent", n)
				}
				if strings.Contains(err.Error(), "wrong") {
					t.Fatalf("the password is in the error: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("%d messages", len(got))
			}
			m := got[0]
			if m.From != "mailbridge@example.net" || strings.Join(m.To, ",") != "ada@contoso.com,bob@contoso.com" || m.TLS != tc.tls || m.Auth != tc.auth {
				t.Fatalf("envelope %+v", m)
			}
			p := m.Parsed(t)
			subject, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
			if err != nil || subject != "[mailbridge] Contoso: Größe  Bcc: eve@evil.test" {
				t.Fatalf("subject %q (%v)", subject, err)
			}
			if p.Header.Get("To") != "undisclosed-recipients:;" {
				t.Fatalf("the recipients see each other: To: %q", p.Header.Get("To"))
			}
			if p.Header.Get("Bcc") != "" || p.Header.Get("Date") == "" || p.Header.Get("Message-Id") == "" {
				t.Fatalf("headers %v", p.Header)
			}
			body, _ := io.ReadAll(p.Body)
			if !strings.Contains(string(body), "First line.") || p.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
				t.Fatalf("body %q", body)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  mailer.Config
		ok   bool
	}{
		{"none", mailer.Config{}, true},
		{"complete", mailer.Config{Addr: "smtp.example.net:587", From: "mailbridge@example.net"}, true},
		{"no port", mailer.Config{Addr: "smtp.example.net", From: "mailbridge@example.net"}, false},
		{"display name", mailer.Config{Addr: "smtp.example.net:587", From: "Mailbridge <mailbridge@example.net>"}, false},
		{"user without password", mailer.Config{Addr: "smtp.example.net:587", From: "m@example.net", Username: "u"}, false},
	}
	for _, tc := range tests {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if (mailer.Config{Addr: "x:25"}).Enabled() {
		t.Error("enabled without a sender")
	}
}
