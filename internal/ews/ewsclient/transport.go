package ewsclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// tlsConfig builds the TLS configuration the options ask for.
func tlsConfig(o *Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipVerify}
	if o.RootCAs != nil {
		cfg.RootCAs = o.RootCAs.Clone()
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := cfg.RootCAs
		if pool == nil {
			if pool, err = x509.SystemCertPool(); err != nil {
				pool = x509.NewCertPool()
			}
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// newTransport returns one of the client's own transports. Every connection it opens
// goes through Options.DialContext (when set), so host overrides and address policies
// apply to it, TLS included.
func (c *Client) newTransport(o TransportOptions) *http.Transport {
	dial := c.opts.DialContext
	if dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	if o.OnDial != nil {
		inner, onDial := dial, o.OnDial
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := inner(ctx, network, addr)
			if err == nil {
				onDial()
			}
			return conn, err
		}
	}
	t := &http.Transport{
		Proxy:                 c.opts.Proxy,
		DialContext:           dial,
		TLSClientConfig:       c.tls.Clone(),
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     !o.HTTP1,
	}
	if o.HTTP1 {
		// A non-nil, empty map turns HTTP/2 off for TLS connections.
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if o.SingleConn {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 1, 1
	}
	return t
}

// newBase is what Authenticators build on: a transport of the client's (or
// Options.Transport), traced when Options.Trace is set.
func (c *Client) newBase(o TransportOptions) http.RoundTripper {
	var rt http.RoundTripper
	if c.opts.Transport != nil {
		rt = c.opts.Transport
	} else {
		rt = c.newTransport(o)
	}
	if c.tracer != nil {
		rt = &traceTransport{base: rt, t: c.tracer}
	}
	return rt
}

// limitReader fails with ErrResponseTooLarge when more is asked of it after the input
// went past end: the limit counted from where the current response (or envelope)
// started. It never reads past end+1, and it fails only when its reader needs more, so
// that read-ahead into the next envelope of a stream is no error.
type limitReader struct {
	r     io.Reader
	n     int64 // bytes read
	end   int64
	limit int64 // for the message
}

func newLimitReader(r io.Reader, limit int64) *limitReader {
	return &limitReader{r: r, end: limit, limit: limit}
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n > l.end {
		return 0, l.err()
	}
	if rest := l.end + 1 - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

func (l *limitReader) err() error {
	return fmt.Errorf("%w: more than %d bytes (Options.MaxResponseBytes)", ErrResponseTooLarge, l.limit)
}

// startAt moves the limit to count from offset start of the input.
func (l *limitReader) startAt(start int64) { l.end = start + l.limit }
