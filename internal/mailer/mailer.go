// Package mailer sends plain-text emails over SMTP (net/smtp): mailbridge's alerts to
// organizations' admins. It upgrades the connection with STARTTLS whenever the server
// offers it (and, with RequireTLS, refuses to send otherwise), and authenticates with
// PLAIN, which net/smtp only allows over TLS or to localhost.
package mailer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"
)

// Config says how to reach the SMTP server. The zero Config sends nothing (Enabled is
// false).
type Config struct {
	// Addr is the server, host:port (587 for submission with STARTTLS, 25 for a relay).
	Addr string
	// From is the sender address.
	From string
	// Username and Password authenticate (AUTH PLAIN); none when Username is empty.
	Username, Password string
	// RequireTLS refuses to send unless the server offers STARTTLS.
	RequireTLS bool
	// TLSConfig, if not nil, is used for STARTTLS (tests: the server's CA); ServerName
	// defaults to the host of Addr.
	TLSConfig *tls.Config
	// Timeout bounds a whole send; default 30 s.
	Timeout time.Duration
	// HelloName is sent in EHLO; default the host name.
	HelloName string
}

// Enabled tells whether emails can be sent: a server and a sender are configured.
func (c Config) Enabled() bool { return c.Addr != "" && c.From != "" }

// Validate reports what is wrong with a configuration that is set at all.
func (c Config) Validate() error {
	if c.Addr == "" && c.From == "" && c.Username == "" {
		return nil
	}
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--smtp-addr: want host:port (%v)", err))
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" {
		errs = append(errs, errors.New("--smtp-from: want a plain email address"))
	}
	if c.Username != "" && c.Password == "" {
		errs = append(errs, errors.New("--smtp-username needs MAILBRIDGE_SMTP_PASSWORD"))
	}
	return errors.Join(errs...)
}

// Message is an email to send.
type Message struct {
	To      []string
	Subject string
	Body    string // plain text, lines separated by \n
}

// Send sends msg in one SMTP transaction to all its recipients.
func Send(ctx context.Context, c Config, msg Message) (err error) {
	if !c.Enabled() {
		return errors.New("mailer: no SMTP server configured")
	}
	if len(msg.To) == 0 {
		return errors.New("mailer: no recipient")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("mailer: %w", err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("mailer: connect to %s: %w", c.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Stop waiting on the server when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mailer: %s: %w", c.Addr, err)
	}
	defer cl.Close()
	hello := c.HelloName
	if hello == "" {
		if hello, _ = os.Hostname(); hello == "" {
			hello = "localhost"
		}
	}
	if err := cl.Hello(hello); err != nil {
		return fmt.Errorf("mailer: EHLO: %w", err)
	}
	if ok, _ := cl.Extension("STARTTLS"); ok {
		conf := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if c.TLSConfig != nil {
			conf = c.TLSConfig.Clone()
			if conf.ServerName == "" {
				conf.ServerName = host
			}
		}
		if err := cl.StartTLS(conf); err != nil {
			return fmt.Errorf("mailer: STARTTLS: %w", err)
		}
	} else if c.RequireTLS {
		return fmt.Errorf("mailer: %s does not offer STARTTLS, and TLS is required (--smtp-require-tls)", c.Addr)
	}
	if c.Username != "" {
		if ok, _ := cl.Extension("AUTH"); !ok {
			return fmt.Errorf("mailer: %s offers no authentication, but --smtp-username is set", c.Addr)
		}
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return fmt.Errorf("mailer: authenticate as %s: %w", c.Username, err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("mailer: MAIL FROM: %w", err)
	}
	for _, to := range msg.To {
		if err := cl.Rcpt(to); err != nil {
			return fmt.Errorf("mailer: RCPT TO %s: %w", to, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("mailer: DATA: %w", err)
	}
	if _, err := w.Write(Format(c.From, msg, time.Now())); err != nil {
		return fmt.Errorf("mailer: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mailer: DATA: %w", err)
	}
	if err := cl.Quit(); err != nil {
		return fmt.Errorf("mailer: QUIT: %w", err)
	}
	return nil
}

// Format returns msg as an RFC 5322 message from from, dated at: UTF-8 text,
// quoted-printable, the subject encoded, no header able to inject another; the To header
// names the recipient only when there is one.
func Format(from string, msg Message, at time.Time) []byte {
	var b bytes.Buffer
	oneLine := strings.NewReplacer("\r", " ", "\n", " ")
	id := make([]byte, 12)
	rand.Read(id)
	domain := from[strings.LastIndexByte(from, '@')+1:]
	fmt.Fprintf(&b, "From: %s\r\n", from)
	// Several recipients (an organization's admins) do not see each other's addresses:
	// they are envelope recipients only.
	to := "undisclosed-recipients:;"
	if len(msg.To) == 1 {
		to = msg.To[0]
	}
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", oneLine.Replace(msg.Subject)))
	fmt.Fprintf(&b, "Date: %s\r\n", at.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nAuto-Submitted: auto-generated\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(msg.Body, "\n", "\r\n")))
	qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}
