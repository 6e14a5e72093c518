// Package simtest starts the Exchange simulator for tests: on a loopback listener,
// stopped when the test ends. Imported only by tests.
package simtest

import (
	"context"
	"testing"
	"time"

	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// Start builds a simulator with opts and serves it on a free loopback port (lc.Addr
// defaults to 127.0.0.1:0, and with TLS, lc.StateDir to a temporary directory). The
// server is shut down when the test ends.
func Start(t testing.TB, opts exchangesim.Options, lc exchangesim.ListenConfig) (*exchangesim.Simulator, *exchangesim.Server) {
	t.Helper()
	sim, err := exchangesim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if lc.Addr == "" {
		lc.Addr = "127.0.0.1:0"
	}
	if lc.TLS && lc.StateDir == "" {
		lc.StateDir = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := sim.Start(ctx, lc)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		sctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		srv.Shutdown(sctx)
	})
	return sim, srv
}
