// Package mailertest is a test helper; imported only by tests. It is a tiny SMTP server
// on loopback, speaking just enough of the protocol for net/smtp (EHLO, optional
// STARTTLS and AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT), that keeps the messages
// it receives so that a test can check what was sent, and how often.
package mailertest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is what the server received in one DATA.
type Message struct {
	From string
	To   []string
	Data string // the raw message, CRLF line ends, dot-unstuffed
	TLS  bool   // received after STARTTLS
	Auth string // the user name authenticated, if any
}

// Parsed returns the message parsed (headers and body).
func (m Message) Parsed(t testing.TB) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatalf("mailertest: %v", err)
	}
	return msg
}

// Options vary a Server.
type Options struct {
	// TLS offers STARTTLS with a self-signed certificate for 127.0.0.1 (CertPool trusts it).
	TLS bool
	// Users, if set, offers AUTH PLAIN and accepts these user names and passwords.
	Users map[string]string
}

// Server is a running SMTP server.
type Server struct {
	Addr string
	// CertPool trusts the server's certificate (with Options.TLS).
	CertPool *x509.CertPool
	ln       net.Listener
	opts     Options
	tlsConf  *tls.Config
	mu       sync.Mutex
	msgs     []Message
	arrived  chan struct{}
	wg       sync.WaitGroup
}

// Start starts a server on 127.0.0.1; it stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, opts: opts, arrived: make(chan struct{}, 1000)}
	if opts.TLS {
		s.tlsConf, s.CertPool = selfSigned(t)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// Messages returns the messages received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Arrived receives a value for each message, when it has been received.
func (s *Server) Arrived() <-chan struct{} { return s.arrived }

// Wait waits until n messages have been received in all, or fails the test after
// timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("mailertest: %d messages after %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.session(c)
		}()
	}
}

// session speaks SMTP on one connection.
func (s *Server) session(c net.Conn) {
	c.SetDeadline(time.Now().Add(time.Minute))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	reply("220 mailertest ESMTP")
	var cur Message
	tlsOn := false
	auth := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"250-mailertest", "250-8BITMIME"}
			if s.tlsConf != nil && !tlsOn {
				ext = append(ext, "250-STARTTLS")
			}
			if s.opts.Users != nil {
				ext = append(ext, "250-AUTH PLAIN")
			}
			ext = append(ext, "250 SIZE 1048576")
			reply(ext...)
		case "STARTTLS":
			if s.tlsConf == nil || tlsOn {
				reply("502 not offered")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(c, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, tlsOn = tc, true
			r, w = bufio.NewReader(tc), bufio.NewWriter(tc)
			cur = Message{}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if s.opts.Users == nil || !strings.EqualFold(mech, "PLAIN") {
				reply("504 unsupported")
				continue
			}
			b, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if err != nil || len(parts) != 3 || s.opts.Users[parts[1]] == "" || s.opts.Users[parts[1]] != parts[2] {
				reply("535 authentication failed")
				continue
			}
			auth = parts[1]
			reply("235 ok")
		case "MAIL":
			cur = Message{From: addrOf(arg), TLS: tlsOn, Auth: auth}
			reply("250 ok")
		case "RCPT":
			cur.To = append(cur.To, addrOf(arg))
			reply("250 ok")
		case "DATA":
			if cur.From == "" || len(cur.To) == 0 {
				reply("503 need MAIL and RCPT")
				continue
			}
			reply("354 end with .")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			s.arrived <- struct{}{}
			cur = Message{}
			reply("250 queued")
		case "RSET":
			cur = Message{}
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("500 unknown command")
		}
	}
}

// addrOf reads the address of "FROM:<a@b>" or "TO:<a@b> SIZE=…".
func addrOf(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailertest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}
